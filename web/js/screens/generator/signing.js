// screens/generator/signing.js: what the generator's manifest screens need to sign: this
// browser's device keys of the user's enterprise (core/keys.js), the choice among them when
// there are several, the help shown when there is none, and one signed event sent with its
// receipt answered.

import * as api from '../../core/api.js';
import { t, register } from '../../core/i18n.js';
import { h, field } from '../../core/dom.js';
import { allRoutes } from '../../core/router.js';
import { state } from '../../core/state.js';
import { uiError } from '../../core/feedback.js';
import { enterpriseKeys, eventHead, signEvent } from '../../core/keys.js';

register({
  zh: {
    'sign.device': '签名设备（本机密钥）',
    'sign.no_key': '本浏览器还没有本企业的设备密钥，无法签名。请先登记本机为签名设备。',
    'sign.enrol_link': '登记本机',
  },
  en: {
    'sign.device': 'Signing device (key on this device)',
    'sign.no_key': 'This browser holds no device key of your enterprise, so it cannot sign. Enrol this browser as a signing device first.',
    'sign.enrol_link': 'Enrol this browser',
  },
});

/** This browser's usable keys of the user's enterprise (none for users of no enterprise). */
export async function ownKeys(signal) {
  const uscc = state.user?.enterprise;
  return uscc ? enterpriseKeys(uscc, signal) : [];
}

/** Where a user enrols this browser: the enrolment page when the app has one, else the devices tab. */
function enrolHref() {
  if (allRoutes().some((r) => r.name === 'device')) return '#/device';
  return `#/enterprises/${encodeURIComponent(state.user?.enterprise || '')}/devices`;
}

/** The help shown instead of a signing form when this browser holds no key. */
export function noKeyPanel(id) {
  return h('div', { id, class: 'panel highlight', dataset: { noKey: 'yes' } },
    h('p', {}, t('sign.no_key')),
    h('p', {}, h('a', { class: 'button', href: enrolHref() }, t('sign.enrol_link'))));
}

/** The device choice of a form (a select named `device`), hidden when there is only one key. */
export function deviceField(keys, id) {
  const f = field({
    id, name: 'device', type: 'select', label: t('sign.device'),
    options: keys.map((k) => h('option', { value: k.name }, `${k.device} (${k.keyId})`)),
  });
  if (keys.length === 1) f.hidden = true;
  return f;
}

/** The key a form's `device` value names. */
export function keyNamed(keys, name) {
  const key = keys.find((k) => k.name === name) || (keys.length === 1 ? keys[0] : null);
  if (!key) throw uiError('no_device_key');
  return key;
}

/** Signs `fields` as an event of `type` by the user's enterprise with `key`, sends it, answers the receipt. */
export async function signAndSend(key, type, fields) {
  const envelope = await signEvent(key, { ...eventHead(type, state.user.enterprise, key), ...fields });
  return api.submitEvent(envelope);
}
