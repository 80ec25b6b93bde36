// screens/registry/devices.js: an enterprise's devices tab: its registered signing keys, the
// form to register one with a key made in this browser (kept in IndexedDB, never exported),
// and revocation.

import * as api from '../../core/api.js';
import { t, register, formatTime } from '../../core/i18n.js';
import { h, field, section, submitButton, dataTable, time } from '../../core/dom.js';
import { created } from '../../core/router.js';
import { busy, uiError } from '../../core/feedback.js';
import { onSubmit, confirmButton } from '../../core/forms.js';
import { canWrite } from '../../core/roles.js';
import { generateDeviceKey, saveDeviceKey } from '../../core/keys.js';

register({
  zh: {
    'device.device': '设备名',
    'device.device_hint': '如 phone-1；完整名称为 信用代码/设备名。',
    'device.pubkey': '公钥（Base64，32 字节 Ed25519）',
    'device.genkey': '在本机生成密钥',
    'device.genkey_done': '已在本机生成密钥对。私钥不可导出，注册成功后保存在本浏览器中。',
    'device.key_id': '密钥 ID',
    'device.registered': '注册时间',
    'device.status': '状态',
    'device.active': '有效',
    'device.revoked_at': '已吊销（{time}）',
    'device.local': '本机密钥',
    'device.revoke': '吊销',
    'device.revoke_confirm': '确认吊销',
    'device.add': '注册设备',
  },
  en: {
    'device.device': 'Device name',
    'device.device_hint': 'e.g. phone-1; the full name is USCC/device.',
    'device.pubkey': 'Public key (base64, 32-byte Ed25519)',
    'device.genkey': 'Generate a key on this device',
    'device.genkey_done': 'A key pair was generated on this device. The private key cannot be exported; it is kept in this browser once the device is registered.',
    'device.key_id': 'Key ID',
    'device.registered': 'Registered',
    'device.status': 'Status',
    'device.active': 'Active',
    'device.revoked_at': 'Revoked ({time})',
    'device.local': 'Key on this device',
    'device.revoke': 'Revoke',
    'device.revoke_confirm': 'Confirm revoke',
    'device.add': 'Register a device',
  },
});

/** The devices tab of enterprise `uscc`; `localKeys`: the key names this browser holds. */
export function devicesPanel(uscc, devices, localKeys) {
  const writable = canWrite('devices', uscc);
  const status = (d) => (d.revoked_at
    ? h('span', { class: 'badge warn' }, t('device.revoked_at', { time: formatTime(d.revoked_at) }))
    : h('span', { class: 'badge ok' }, t('device.active')));
  const action = (d) => writable && !d.revoked_at && confirmButton(
    { 'data-action': 'revoke', id: `revoke-${d.device}` }, t('device.revoke'), t('device.revoke_confirm'),
    async () => { await api.revokeDevice(uscc, d.device); await created('common.revoked'); });
  const table = dataTable('device-list', [
    [t('device.device'), (d) => [h('span', { class: 'mono' }, d.name || d.device),
      localKeys.has(d.name) && h('span', { class: 'badge local', 'data-local-key': 'yes' }, t('device.local'))]],
    [t('device.key_id'), (d) => h('span', { class: 'mono', title: d.vkey || '' }, d.key_id)],
    [t('device.registered'), (d) => time(d.registered_at)],
    [t('device.status'), status],
    ...(writable ? [[t('common.actions'), action]] : []),
  ], devices, (d) => ({ device: d.device, keyId: d.key_id, revoked: d.revoked_at ? 'yes' : 'no' }));
  return h('div', {}, table, writable && section(t('device.add'), deviceForm(uscc)));
}

function deviceForm(uscc) {
  let generated = null; // {pair, publicKeyB64} made by the button, saved once the server accepts it
  const status = h('p', { id: 'device-genkey-status', role: 'status', class: 'hint' });
  const genButton = h('button', { type: 'button', id: 'device-genkey' }, t('device.genkey'));
  const form = h('form', { id: 'device-form', class: 'stack' },
    field({ id: 'device-name', name: 'device', label: t('device.device'), hint: t('device.device_hint'), placeholder: 'phone-1', autocapitalize: 'none' }),
    field({ id: 'device-pubkey', name: 'public_key', type: 'textarea', label: t('device.pubkey'), rows: 2, spellcheck: 'false', class: 'mono',
      // The key pair made by the button is not kept across a re-render: neither is its public half.
      'data-no-restore': true }),
    h('div', { class: 'actions' }, genButton), status,
    submitButton('device-form', t('device.add')));
  genButton.addEventListener('click', () => busy((async () => {
    generated = await generateDeviceKey();
    form.elements.public_key.value = generated.publicKeyB64;
    status.textContent = t('device.genkey_done');
  })()));
  return onSubmit(form, async (v) => {
    const dev = await api.createIn(uscc, 'devices', { device: v.device, public_key: v.public_key });
    if (generated && generated.publicKeyB64 === v.public_key) {
      const name = dev?.name || `${uscc}/${v.device}`;
      try {
        await saveDeviceKey(name, { ...generated.pair, public_key: v.public_key, key_id: dev?.key_id, enterprise: uscc, device: v.device });
      } catch (e) {
        throw uiError('key_store', { msg: e?.message || String(e) });
      }
    }
    await created();
  });
}
