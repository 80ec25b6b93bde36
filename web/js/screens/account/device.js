// screens/account/device.js: devices for people, not admins. `#/device`: a signed-in user asks
// to enrol the browser it is using — the browser makes a non-extractable Ed25519 key
// (core/keys.js), keeps it in IndexedDB and sends only its public half — and sees the key ID to
// compare with the one its administrator sees; the page follows the request until it is
// decided. `#/enrolments`: an enterprise administrator (or, for a regulator's bureau, an
// administrator) approves or rejects the pending requests from its own session, each shown with
// its key ID. Once approved, the key signs on every screen (keys.js `deviceKeyFor`).

import * as api from '../../core/api.js';
import { t, register } from '../../core/i18n.js';
import { h, field, submitButton, dataTable, emptyState, time } from '../../core/dom.js';
import { route } from '../../core/router.js';
import { state } from '../../core/state.js';
import { notice, busy } from '../../core/feedback.js';
import { onSubmit } from '../../core/forms.js';
import { isAdmin, homeHref } from '../../core/roles.js';
import { generateDeviceKey, saveDeviceKey, deleteDeviceKey, localKeyRecords } from '../../core/keys.js';

register({
  zh: {
    'nav.device': '本机设备',
    'nav.enrolments': '设备审批',
    'enrol.title': '本机设备与签名密钥',
    'enrol.intro': '在本机（手机或电脑）上签名的转移事件，须使用本机生成的密钥。私钥只保存在本浏览器中，不能导出；申请经管理员批准后即可签名。',
    'enrol.device': '设备名称',
    'enrol.device_hint': '如 phone-1、gate-pc；同一单位内不能重名。',
    'enrol.submit': '申请登记本机',
    'enrol.key_id': '密钥 ID',
    'enrol.compare': '请管理员在“设备审批”中核对此密钥 ID 后批准。',
    'enrol.state': '状态',
    'enrol.pending': '待批准',
    'enrol.approved': '已批准，可以签名',
    'enrol.rejected': '已拒绝',
    'enrol.expired': '已过期',
    'enrol.reason': '理由：{reason}',
    'enrol.again': '重新申请',
    'enrol.owner': '所属单位',
    'enrol.none': '本机还没有签名密钥。',
    'enrol.go_home': '开始工作',
    'enrols.title': '设备登记审批',
    'enrols.requester': '申请人',
    'enrols.requested_at': '申请时间',
    'enrols.expires_at': '有效至',
    'enrols.approve': '批准',
    'enrols.reject': '拒绝',
    'enrols.approved': '已批准设备 {device}（密钥 {key}）',
    'enrols.rejected': '已拒绝设备 {device} 的申请',
    'enrols.empty': '没有待批准的设备申请',
    'enrols.empty_hint': '同事在自己的手机或电脑上打开“本机设备”申请后，会出现在这里。',
    'enrols.refresh': '刷新',
  },
  en: {
    'nav.device': 'This device',
    'nav.enrolments': 'Device approvals',
    'enrol.title': 'This device and its signing key',
    'enrol.intro': 'Custody events signed on this phone or PC are signed with a key made on it. The private key stays in this browser and cannot be exported; once an administrator approves the request, it signs.',
    'enrol.device': 'Device name',
    'enrol.device_hint': 'e.g. phone-1, gate-pc; unique within the enterprise.',
    'enrol.submit': 'Ask to enrol this device',
    'enrol.key_id': 'Key ID',
    'enrol.compare': 'Ask your administrator to compare this key ID under “Device approvals” and approve it.',
    'enrol.state': 'State',
    'enrol.pending': 'waiting for approval',
    'enrol.approved': 'approved: it signs',
    'enrol.rejected': 'rejected',
    'enrol.expired': 'expired',
    'enrol.reason': 'Reason: {reason}',
    'enrol.again': 'Ask again',
    'enrol.owner': 'Enterprise',
    'enrol.none': 'This device has no signing key yet.',
    'enrol.go_home': 'Start working',
    'enrols.title': 'Device enrolment approvals',
    'enrols.requester': 'Requested by',
    'enrols.requested_at': 'Requested',
    'enrols.expires_at': 'Valid until',
    'enrols.approve': 'Approve',
    'enrols.reject': 'Reject',
    'enrols.approved': 'Device {device} approved (key {key})',
    'enrols.rejected': 'The request of device {device} was rejected',
    'enrols.empty': 'No device waits for approval',
    'enrols.empty_hint': 'A colleague who opens “This device” on their own phone or PC and asks appears here.',
    'enrols.refresh': 'Refresh',
  },
});

/** How often an open #/device page asks whether its request was decided. */
const POLL_MS = 2000;

const stateBadge = (s) => h('span', {
  id: 'enrol-state', class: `badge ${s === 'approved' ? 'ok' : s === 'pending' ? '' : 'warn'}`, 'data-state': s,
}, t(`enrol.${s}`));

/** This browser's key records that came from an enrolment request, newest first. */
async function enrolledRecords() {
  const records = await localKeyRecords();
  return records.filter(({ rec }) => rec?.enrolment_id).sort((a, b) => b.rec.enrolment_id - a.rec.enrolment_id);
}

async function deviceView(ctx) {
  const box = h('div', { id: 'enrol-box' });
  const show = async (signal) => {
    const records = await enrolledRecords();
    const latest = records[0];
    if (!latest) {
      box.replaceChildren(h('p', { class: 'hint' }, t('enrol.none')), enrolForm());
      return null;
    }
    const req = await api.enrolment(latest.rec.enrolment_id, signal).catch((e) => {
      if (e.name === 'AbortError') throw e;
      return { state: latest.rec.state || 'pending', key_id: latest.rec.key_id, device: latest.rec.device };
    });
    const after = req.state === 'approved'
      ? h('p', {}, h('a', { id: 'enrol-home', class: 'button primary', href: homeHref() }, t('enrol.go_home')))
      : ['rejected', 'expired'].includes(req.state) ? againButton(latest, show) : '';
    box.replaceChildren(requestPanel(latest, req), after);
    return req.state;
  };
  const first = await show(ctx.signal);
  // Follow a pending request until it is decided, as long as the page is shown.
  if (first === 'pending') {
    const timer = setInterval(async () => {
      if (!ctx.alive()) { clearInterval(timer); return; }
      try {
        const now = await show(ctx.signal);
        if (now !== 'pending') clearInterval(timer);
      } catch { /* the next tick tries again */ }
    }, POLL_MS);
    ctx.signal.addEventListener('abort', () => clearInterval(timer));
  }
  return h('div', {}, h('p', { class: 'hint' }, t('enrol.intro')), box);
}

function requestPanel(local, req) {
  return h('div', { class: 'panel', dataset: { enrolment: req.id ?? local.rec.enrolment_id } },
    h('p', {}, t('enrol.device'), ': ', h('strong', { class: 'mono', id: 'enrol-device-name' }, local.rec.device)),
    h('p', { class: 'key-id' }, t('enrol.key_id'), ': ',
      h('strong', { id: 'enrol-key-id', class: 'mono big' }, req.key_id || local.rec.key_id)),
    req.owner_name && h('p', {}, t('enrol.owner'), ': ', req.owner_name),
    h('p', {}, t('enrol.state'), ': ', stateBadge(req.state)),
    req.state === 'pending' && h('p', { class: 'hint' }, t('enrol.compare')),
    req.reason && h('p', {}, t('enrol.reason', { reason: req.reason })));
}

function againButton(local, show) {
  const b = h('button', { type: 'button', id: 'enrol-again' }, t('enrol.again'));
  b.addEventListener('click', () => busy((async () => {
    await deleteDeviceKey(local.name);
    await show();
  })()));
  return b;
}

function enrolForm() {
  const form = h('form', { id: 'enrol-form', class: 'stack' },
    field({ id: 'enrol-device', name: 'device', label: t('enrol.device'), hint: t('enrol.device_hint'),
      autocapitalize: 'none', autocomplete: 'off', placeholder: 'phone-1' }),
    submitButton('enrol-form', t('enrol.submit')));
  return onSubmit(form, async (v) => {
    const made = await generateDeviceKey();
    const req = await api.requestEnrolment(v.device, made.publicKeyB64);
    await saveDeviceKey(req.key_name, {
      ...made.pair, public_key: made.publicKeyB64, key_id: req.key_id, enterprise: req.owner,
      device: req.device, enrolment_id: req.id, state: req.state,
    });
    // Shown again, the page follows the pending request until it is decided.
    await route({ keepFocus: true });
  }, { once: true });
}

async function enrolmentsView(ctx) {
  const box = h('div', { id: 'enrolments-box' });
  const refresh = async (signal) => {
    const { enrolments } = await api.enrolments('pending', signal);
    box.replaceChildren(enrolments.length
      ? enrolmentTable(enrolments, refresh)
      : emptyState('enrolments-empty', t('enrols.empty'), t('enrols.empty_hint')));
  };
  await refresh(ctx.signal);
  const again = h('button', { type: 'button', id: 'enrolments-refresh' }, t('enrols.refresh'));
  again.addEventListener('click', () => busy(refresh()));
  return h('div', {}, h('div', { class: 'actions' }, again), box);
}

function enrolmentTable(list, refresh) {
  const act = (e) => {
    const approve = h('button', { type: 'button', class: 'approve primary', 'data-action': 'approve' }, t('enrols.approve'));
    const reject = h('button', { type: 'button', class: 'reject', 'data-action': 'reject' }, t('enrols.reject'));
    approve.addEventListener('click', () => busy((async () => {
      await api.approveEnrolment(e.id);
      notice(t('enrols.approved', { device: e.device, key: e.key_id }));
      await refresh();
    })()));
    reject.addEventListener('click', () => busy((async () => {
      await api.rejectEnrolment(e.id);
      notice(t('enrols.rejected', { device: e.device }));
      await refresh();
    })()));
    return h('span', { class: 'actions' }, approve, ' ', reject);
  };
  return dataTable('enrolment-list', [
    [t('enrol.owner'), (e) => e.owner_name || e.owner],
    [t('enrol.device'), (e) => h('span', { class: 'mono' }, e.device)],
    [t('enrol.key_id'), (e) => h('strong', { class: 'mono big' }, e.key_id)],
    [t('enrols.requester'), (e) => e.requester_name || e.requester],
    [t('enrols.requested_at'), (e) => time(e.requested_at)],
    [t('enrols.expires_at'), (e) => time(e.expires_at)],
    [t('common.actions'), act],
  ], list, (e) => ({ enrolmentId: e.id, keyId: e.key_id, device: e.device }));
}

const mayApprove = () => isAdmin() || state.user?.role === 'enterprise_admin';

export const routes = [
  {
    name: 'device', pattern: '/device', view: deviceView, title: 'enrol.title', auth: true,
    nav: { label: 'nav.device', rank: 85, show: () => !!state.user && !isAdmin() },
  },
  {
    name: 'enrolments', pattern: '/enrolments', view: enrolmentsView, title: 'enrols.title', auth: true,
    allow: mayApprove,
    nav: { label: 'nav.enrolments', rank: 84, show: mayApprove },
  },
];

