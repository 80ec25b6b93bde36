// screens/oversight/alerts.js: the alerts (#/alerts, regulators and administrators): the list
// with its filter, the administrator's sweep and self-audit buttons, and the acknowledgement
// a regulator signs with a device key of this browser.

import * as api from '../../core/api.js';
import { t, register, has, pick, formatInt, formatTime } from '../../core/i18n.js';
import { h, field, section, submitButton, dataTable, readForm, time } from '../../core/dom.js';
import { go, route } from '../../core/router.js';
import { state, ensureRefs } from '../../core/state.js';
import { busy, uiError } from '../../core/feedback.js';
import { onSubmit } from '../../core/forms.js';
import { canOversee, isAdmin } from '../../core/roles.js';
import { districtName, methodName, refCodes, ruleName } from '../../core/names.js';
import { enterpriseKeys, eventHead, localKeyRecords, signEvent } from '../../core/keys.js';
import { itemLink, manifestLink } from '../../core/links.js';

register({
  zh: {
    'nav.alerts': '预警',
    'alert.title': '预警',
    'alert.state': '状态',
    'alert.rule': '规则',
    'alert.id': '编号',
    'alert.subject': '对象',
    'alert.district': '区县',
    'alert.started': '开始时间',
    'alert.entries': '日志条目',
    'alert.detail': '详情',
    'alert.state.open': '未处理',
    'alert.state.acknowledged': '已确认',
    'alert.state.resolved': '已解除',
    'alert.entry.started': '触发',
    'alert.entry.resolved': '解除',
    'alert.entry.acked': '确认',
    'alert.resolved_at': '解除于 {time}',
    'alert.by_time': '（随时间解除）',
    'alert.shown': '显示 {n} 条，按时间从新到旧。',
    'alert.sweep': '立即运行巡检',
    'alert.sweep_done': '巡检完成：检查了 {n} 件物品。',
    'alert.self_audit': '立即运行日志自审计',
    'alert.self_audit_done': '自审计完成：核对 {entries} 个日志条目，发现 {findings} 个问题，新开 {opened} 条预警。',
    'alert.admin_tools': '系统管理员：巡检每分钟自动运行，自审计每小时自动运行；也可以立即运行。',
    'alert.ack_explain': '确认预警须由生态环境主管部门的设备对 acknowledge 事件签名（见 docs/events.md），确认记录和其他交接一样写入可审计的日志；预警在消除其原因的事件发生时解除。',
    'alert.ack_no_key': '本浏览器中没有生态环境主管部门（角色“生态环境主管部门”的单位）的设备密钥，因此这里不能签名确认。请在“本机设备”页申请登记本机，系统管理员批准后即可签名确认。',
    'alert.ack_title': '签名确认预警',
    'alert.ack_alert': '预警',
    'alert.ack_device': '签名设备（本机密钥）',
    'alert.ack_note': '处理说明',
    'alert.ack_note_hint': '如：已约谈产生单位，改送有资质单位。',
    'alert.ack_submit': '签名并确认',
    'alert.ack_pick': '确认…',
    'alert.ack_done': '已确认预警 {id}，日志条目 {index}。',
    'alert.ack_none_open': '当前没有未处理的预警。',
    'alert.detail.expected_g': '申报',
    'alert.detail.weighed_g': '称重',
    'alert.detail.generator': '产生单位',
    'alert.detail.holder': '持有单位',
    'alert.detail.since': '自',
    'alert.detail.generated': '产生于',
    'alert.detail.manifest': '联单',
    'alert.detail.receiver_due': '应确认接收日期',
    'alert.detail.capacity_g': '许可能力',
    'alert.detail.treated_ytd_g': '年内处置',
    'alert.detail.over_permille': '超出',
    'alert.detail.reapplication_needed': '需重新申领许可',
    'alert.detail.valid_until': '有效期至',
    'alert.detail.owner': '所属单位',
    'alert.detail.device': '设备',
    'alert.detail.check': '检查项',
    'alert.detail.index': '条目',
    'alert.detail.item': '物品',
    'alert.detail.message': '说明',
    'alert.detail.licensed_holder': '持有单位有相应许可',
    'alert.detail.per': '能力口径',
    'alert.detail.treated_day_g': '当日处置',
    'alert.detail.day': '日期',
    'alert.per.year': '按年',
    'alert.per.day': '按日',
    'alert.situation': '情况',
    'alert.enterprise': '企业（信用代码）',
    'alert.age': '持续时间',
    'alert.age.any': '不限',
    'alert.age.1': '1 天以上',
    'alert.age.7': '7 天以上',
    'alert.age.30': '30 天以上',
    'alert.age_days': '已持续 {n} 天',
    'alert.csv': '导出 CSV',
    'alert.note': '确认说明：',
    'alert.concerns': '涉及：',
  },
  en: {
    'nav.alerts': 'Alerts',
    'alert.title': 'Alerts',
    'alert.state': 'State',
    'alert.rule': 'Rule',
    'alert.id': 'No.',
    'alert.subject': 'Subject',
    'alert.district': 'District',
    'alert.started': 'Started',
    'alert.entries': 'Log entries',
    'alert.detail': 'Detail',
    'alert.state.open': 'open',
    'alert.state.acknowledged': 'acknowledged',
    'alert.state.resolved': 'resolved',
    'alert.entry.started': 'raised',
    'alert.entry.resolved': 'resolved',
    'alert.entry.acked': 'acknowledged',
    'alert.resolved_at': 'resolved {time}',
    'alert.by_time': '(resolved by time)',
    'alert.shown': '{n} shown, newest first.',
    'alert.sweep': 'Run the sweep now',
    'alert.sweep_done': 'Sweep done: {n} items looked at.',
    'alert.self_audit': 'Run the self-audit now',
    'alert.self_audit_done': 'Self-audit done: {entries} log entries checked, {findings} findings, {opened} alerts opened.',
    'alert.admin_tools': 'Administrator: the sweep runs every minute and the self-audit every hour; either can be run now.',
    'alert.ack_explain': 'An alert is acknowledged by an acknowledge event signed by a regulator\'s device (see docs/events.md), logged as verifiably as any hand-over; the alert is resolved when the event that cures it happens.',
    'alert.ack_no_key': 'This browser holds no device key of a regulator (an enterprise with the role “regulator”), so it cannot sign an acknowledgement. Ask to enrol this device on “This device”; once an administrator approves it, it signs acknowledgements.',
    'alert.ack_title': 'Acknowledge an alert (signed)',
    'alert.ack_alert': 'Alert',
    'alert.ack_device': 'Signing device (key on this device)',
    'alert.ack_note': 'Note',
    'alert.ack_note_hint': 'e.g. Met the generator; the waste now goes to a licensed facility.',
    'alert.ack_submit': 'Sign and acknowledge',
    'alert.ack_pick': 'Acknowledge…',
    'alert.ack_done': 'Alert {id} acknowledged, log entry {index}.',
    'alert.ack_none_open': 'No open alerts.',
    'alert.detail.expected_g': 'declared',
    'alert.detail.weighed_g': 'weighed',
    'alert.detail.generator': 'generator',
    'alert.detail.holder': 'holder',
    'alert.detail.since': 'since',
    'alert.detail.generated': 'generated',
    'alert.detail.manifest': 'manifest',
    'alert.detail.receiver_due': 'receipt due',
    'alert.detail.capacity_g': 'licensed capacity',
    'alert.detail.treated_ytd_g': 'treated this year',
    'alert.detail.over_permille': 'over by',
    'alert.detail.reapplication_needed': 'new permit needed',
    'alert.detail.valid_until': 'valid until',
    'alert.detail.owner': 'owner',
    'alert.detail.device': 'device',
    'alert.detail.check': 'check',
    'alert.detail.index': 'entry',
    'alert.detail.item': 'item',
    'alert.detail.message': 'message',
    'alert.detail.licensed_holder': 'holder licensed',
    'alert.detail.per': 'capacity per',
    'alert.detail.treated_day_g': 'treated that day',
    'alert.detail.day': 'day',
    'alert.per.year': 'year',
    'alert.per.day': 'day',
    'alert.situation': 'Situation',
    'alert.enterprise': 'Enterprise (USCC)',
    'alert.age': 'Age',
    'alert.age.any': 'any',
    'alert.age.1': '1 day or more',
    'alert.age.7': '7 days or more',
    'alert.age.30': '30 days or more',
    'alert.age_days': '{n} days so far',
    'alert.csv': 'Download CSV',
    'alert.note': 'Note: ',
    'alert.concerns': 'Concerns: ',
  },
});

const ALERT_STATES = ['open', 'acknowledged', 'resolved'];
/** The list's filters, in the URL's query: state, rule, enterprise (USCC), minimum age in days. */
const FILTERS = ['state', 'rule', 'enterprise', 'min_age_days'];
const AGES = ['1', '7', '30'];
const given = (f) => Object.fromEntries(Object.entries(f).filter(([, v]) => v));
const ALERTS_PAGE = 200;
const ITEM_CODE_RE = /^[0-9A-Z]{37}$/;

async function alertsView(ctx) {
  await ensureRefs(ctx.signal);
  const filters = Object.fromEntries(FILTERS.map((k) => [k, ctx.query.get(k) || '']));
  const [list, keys] = await Promise.all([
    api.alerts({ ...given(filters), limit: ALERTS_PAGE }, ctx.signal),
    regulatorKeys(ctx.signal),
  ]);
  const open = list.filter((a) => a.state === 'open');
  const ack = keys.length && open.length ? acknowledgeForm(open, keys) : null;
  return h('div', { id: 'alerts' },
    alertFilter(filters),
    isAdmin() && alertAdminTools(),
    h('p', { id: 'alert-ack-explain', class: 'hint' }, t('alert.ack_explain')),
    h('p', { id: 'alerts-count', class: 'muted', role: 'status' }, t('alert.shown', { n: list.length }), ' ',
      h('a', { id: 'alerts-csv', href: api.alertsCsvUrl(given(filters)), download: '' }, t('alert.csv'))),
    alertTable(list, ack),
    ack ? section(t('alert.ack_title'), ack)
      : h('p', { id: 'alert-ack-unavailable', class: 'muted small' },
        keys.length ? t('alert.ack_none_open') : t('alert.ack_no_key')));
}

const alertStateName = (s) => (has(`alert.state.${s}`) ? t(`alert.state.${s}`) : s);

function alertFilter(f) {
  const opt = (value, label, selected) => h('option', { value, selected: value === selected }, label);
  const form = h('form', { id: 'alert-filter', role: 'search', class: 'filters items-filters' },
    field({ id: 'alert-state', name: 'state', type: 'select', label: t('alert.state'),
      options: [opt('', t('common.all'), f.state), ...ALERT_STATES.map((s) => opt(s, alertStateName(s), f.state))] }),
    field({ id: 'alert-rule', name: 'rule', type: 'select', label: t('alert.rule'),
      options: [opt('', t('common.all'), f.rule), ...refCodes('alert_rules').map((r) => opt(r, ruleName(r), f.rule))] }),
    field({ id: 'alert-enterprise', name: 'enterprise', label: t('alert.enterprise'), value: f.enterprise,
      maxlength: 18, autocomplete: 'off', spellcheck: 'false', class: 'mono' }),
    field({ id: 'alert-age', name: 'min_age_days', type: 'select', label: t('alert.age'),
      options: [opt('', t('alert.age.any'), f.min_age_days), ...AGES.map((d) => opt(d, t(`alert.age.${d}`), f.min_age_days))] }),
    h('button', { type: 'submit', id: 'alert-filter-submit' }, t('common.filter')));
  const apply = () => {
    const qs = new URLSearchParams(Object.entries(readForm(form)).filter(([, v]) => v)).toString();
    go(qs ? `#/alerts?${qs}` : '#/alerts');
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); apply(); });
  form.addEventListener('change', (ev) => { if (ev.target.tagName === 'SELECT') apply(); });
  return form;
}

function alertAdminTools() {
  const run = (id, key, action) => {
    const btn = h('button', { type: 'button', id }, t(key));
    btn.addEventListener('click', () => {
      btn.disabled = true;
      busy(action().then((text) => { state.flash = text; return route({ keepFocus: true }); }))
        .finally(() => { btn.disabled = false; });
    });
    return btn;
  };
  return h('div', { id: 'alert-admin', class: 'toolbar' },
    run('alert-sweep', 'alert.sweep', async () => t('alert.sweep_done', { n: formatInt(await api.runSweep()) })),
    run('alert-self-audit', 'alert.self_audit', async () => {
      const r = await api.runSelfAudit();
      return t('alert.self_audit_done', { entries: formatInt(r.entries), findings: formatInt(r.findings), opened: formatInt(r.opened) });
    }),
    h('small', { class: 'hint' }, t('alert.admin_tools')));
}

function alertTable(list, ack) {
  const cols = [
    [t('alert.id'), (a) => h('span', { class: 'mono' }, String(a.id))],
    [t('alert.rule'), (a) => h('span', { class: 'rule-name', title: a.rule }, pick(a, 'rule') || ruleName(a.rule))],
    [t('alert.situation'), alertSituation],
    [t('alert.subject'), alertSubject],
    [t('alert.district'), (a) => (a.district ? districtName(a.district) : t('common.none'))],
    [t('alert.started'), (a) => [time(a.started_at),
      h('small', { class: 'muted block', dataset: { age: String(a.age_days) } }, t('alert.age_days', { n: formatInt(a.age_days) }))]],
    [t('alert.state'), alertState],
    [t('alert.entries'), alertEntries],
  ];
  if (ack) {
    cols.push([t('common.actions'), (a) => a.state === 'open' && h('button', {
      type: 'button', class: 'small-button', dataset: { ack: a.id },
      onclick: () => {
        ack.elements.alert.value = String(a.id);
        ack.elements.note.focus();
      },
    }, t('alert.ack_pick'))]);
  }
  return dataTable('alert-list', cols, list, (a) => ({ id: a.id, rule: a.rule, state: a.state }));
}

const enterpriseLink = (uscc, text) =>
  h('a', { href: `#/enterprises/${encodeURIComponent(uscc)}`, class: 'enterprise-link', dataset: { uscc } }, text || uscc);

/**
 * The situation in words (the server's, in the UI language), then links to what it concerns:
 * the item's page, the manifest's page and each enterprise's page.
 */
function alertSituation(a) {
  const s = a.situation || {};
  const links = [
    s.item && itemLink(s.item),
    s.manifest && manifestLink(s.manifest),
    ...(s.enterprises || []).map((e) => enterpriseLink(e.uscc, e.name_zh)),
  ].filter(Boolean);
  return h('div', { class: 'alert-words' },
    h('p', { class: 'words' }, pick(s, 'words')),
    links.length > 0 && h('p', { class: 'small links alert-links' }, h('span', { class: 'muted' }, t('alert.concerns')), links));
}

const facilityLink = (uscc, text) =>
  h('a', { href: `#/facilities/${encodeURIComponent(uscc)}`, class: 'mono' }, text || uscc);

/** The subject, linked where the app has a page for it. */
function alertSubject(a) {
  const s = a.subject;
  if (ITEM_CODE_RE.test(s)) return itemLink(s, { title: t('common.item_code') });
  if (a.rule === 'capacity_exceeded') {
    const [uscc, method, year] = s.split('/');
    return [facilityLink(uscc), ' ', methodName(method), ' ', year];
  }
  if (a.rule === 'permit_expired' && a.detail?.holder) {
    return [h('span', { class: 'mono' }, s), ' ', facilityLink(a.detail.holder)];
  }
  if (a.rule === 'key_revoked_use') {
    const [uscc, device] = s.split('/');
    return h('a', { href: `#/enterprises/${encodeURIComponent(uscc)}/devices`, class: 'mono' }, `${uscc}/${device}`);
  }
  return h('span', { class: 'mono' }, s);
}

function alertState(a) {
  const tone = { open: 'warn', acknowledged: 'local', resolved: 'ok' }[a.state] || 'warn';
  return [h('span', { class: `badge ${tone}`, dataset: { state: a.state } }, alertStateName(a.state)),
    a.resolved_at && h('small', { class: 'muted block' }, t('alert.resolved_at', { time: formatTime(a.resolved_at) })),
    a.ack_note && h('small', { class: 'block ack-note' }, t('alert.note'), a.ack_note)];
}

const entryLink = (index) => h('a', { href: api.entryUrl(index), class: 'mono', target: '_blank', rel: 'noopener' }, `#${index}`);

/** The log entries that raised, resolved and acknowledged the alert. */
function alertEntries(a) {
  const parts = [
    a.started_seq != null && ['started', entryLink(a.started_seq)],
    a.resolved_seq != null ? ['resolved', entryLink(a.resolved_seq)]
      : a.state === 'resolved' && ['resolved', t('alert.by_time')],
    a.acked_seq != null && ['acked', entryLink(a.acked_seq)],
  ].filter(Boolean);
  if (!parts.length) return t('common.none');
  return h('span', { class: 'entries' }, parts.map(([k, v]) =>
    h('span', { class: 'entry', dataset: { entry: k } }, t(`alert.entry.${k}`), ' ', v)));
}

/** This browser's usable keys of enterprises with the regulator role (they sign acknowledgements). */
async function regulatorKeys(signal) {
  const records = await localKeyRecords();
  const owners = [...new Set(records.filter(({ rec }) => rec?.privateKey)
    .map(({ name, rec }) => rec.enterprise || name.split('/')[0]))];
  const keys = [];
  for (const uscc of owners) {
    const ent = await api.enterprise(uscc, signal).catch((e) => {
      if (e.name === 'AbortError' || e.status === 401) throw e;
      return null; // not readable by this user: not offered
    });
    if (!ent?.roles?.includes('regulator')) continue;
    for (const k of await enterpriseKeys(uscc, signal)) keys.push({ ...k, uscc });
  }
  return keys;
}

/** Signs an `acknowledge` event with a regulator's device key of this browser and posts it. */
function acknowledgeForm(open, keys) {
  const form = h('form', { id: 'ack-form', class: 'stack' },
    field({ id: 'ack-alert', name: 'alert', type: 'select', label: t('alert.ack_alert'),
      options: open.map((a) => h('option', { value: a.id }, `${a.id} · ${pick(a, 'rule') || ruleName(a.rule)} · ${a.subject}`)) }),
    field({ id: 'ack-device', name: 'device', type: 'select', label: t('alert.ack_device'),
      options: keys.map((k) => h('option', { value: k.name }, `${k.name} (${k.keyId})`)) }),
    field({ id: 'ack-note', name: 'note', type: 'textarea', label: t('alert.ack_note'), hint: t('alert.ack_note_hint'), rows: 2 }),
    submitButton('ack-form', t('alert.ack_submit')));
  return onSubmit(form, async (v) => {
    const key = keys.find((k) => k.name === v.device);
    if (!key) throw uiError('no_device_key');
    const id = Number(v.alert);
    const event = { ...eventHead('acknowledge', key.uscc, key), alert: id, note: v.note };
    const receipt = await api.submitEvent(await signEvent(key, event));
    state.flash = t('alert.ack_done', { id, index: receipt?.index ?? '?' });
    await route({ keepFocus: true });
  });
}

export const routes = [
  {
    name: 'alerts', pattern: '/alerts', view: alertsView, title: 'alert.title', auth: true,
    nav: { label: 'nav.alerts', rank: 40, main: true, show: canOversee },
  },
];
