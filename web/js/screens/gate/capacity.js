// screens/gate/capacity.js: the gate's capacity panel (#/gate/capacity): for each treatment
// method of the facility's permits, what was treated today against the daily capacity where
// the permit states one (else the annual capacity's daily average, for scale), and what was
// treated this year against the annual capacity (to date, pro rata, and of the whole year);
// what was received today and this year; the landfill's volume used; for a collection point,
// what it collected against its collection licence. Data: GET
// /api/v1/reconciliation/facilities/{uscc}?date=<today>, the same figures as the full
// reconciliation (#/facilities/<uscc>), which it links to.

import * as api from '../../core/api.js';
import { t, register, formatInt, formatPermille, formatTonnes, formatLitresAsM3, todayCst } from '../../core/i18n.js';
import { h } from '../../core/dom.js';
import { ensureRefs, state } from '../../core/state.js';
import { isGate, ownFacility } from '../../core/roles.js';
import { isRef, methodName } from '../../core/names.js';

register({
  zh: {
    'nav.gate_capacity': '处置能力',
    'nav.gate_capacity_short': '能力',
    'cap.title': '处置能力使用',
    'cap.date': '{date}（本年第 {day} 天，共 {days} 天）',
    'cap.received_today': '今日接收',
    'cap.received_year': '本年接收',
    'cap.items': '{n} 件',
    'cap.today': '今日处置',
    'cap.year': '本年处置',
    'cap.of_daily': '日处置能力 {cap}，已用 {pct}',
    'cap.no_daily': '许可证按年核定能力，无日处置上限；折合每日 {avg}',
    'cap.of_year': '年处置能力 {cap}，已用全年的 {pct}',
    'cap.prorated': '按日折算至今 {cap}，利用率 {pct}',
    'cap.days_over': '本年超日能力 {n} 天',
    'cap.daily_only': '只核定日处置能力',
    'cap.landfill': '填埋库容',
    'cap.landfill_value': '已用 {used} 立方米 / 核准 {licensed} 立方米（{pct}）',
    'cap.collection': '收集经营许可',
    'cap.collection_value': '本年收集 {received} / 年收集能力 {capacity}（按日折算利用率 {pct}）',
    'cap.none': '本单位没有核定处置能力的许可证。',
    'cap.full': '查看完整的处置能力核算',
    'cap.over': '超出',
  },
  en: {
    'nav.gate_capacity': 'Capacity',
    'nav.gate_capacity_short': 'Capacity',
    'cap.title': 'Capacity in use',
    'cap.date': '{date} (day {day} of {days})',
    'cap.received_today': 'Received today',
    'cap.received_year': 'Received this year',
    'cap.items': '{n} items',
    'cap.today': 'Treated today',
    'cap.year': 'Treated this year',
    'cap.of_daily': 'daily capacity {cap}, {pct} used',
    'cap.no_daily': 'licensed per year, no daily limit; {avg} a day on average',
    'cap.of_year': 'annual capacity {cap}, {pct} of the year used',
    'cap.prorated': 'pro rata to date {cap}, utilisation {pct}',
    'cap.days_over': '{n} days over the daily capacity this year',
    'cap.daily_only': 'licensed per day only',
    'cap.landfill': 'Landfill volume',
    'cap.landfill_value': '{used} m³ used of {licensed} m³ licensed ({pct})',
    'cap.collection': 'Collection licence',
    'cap.collection_value': 'collected {received} this year of {capacity} a year ({pct} of the pro-rated capacity)',
    'cap.none': 'We hold no permit with a treatment capacity.',
    'cap.full': 'The full capacity reconciliation',
    'cap.over': 'over',
  },
});

/** ‰ of `part` in `whole` by integer arithmetic (null without a whole). */
const permille = (part, whole) => (whole ? Math.floor((part * 1000) / whole) : null);

/** A bar of `p` ‰ (capped at the bar's end, marked when over). */
function bar(p, label) {
  const over = p != null && p > 1000;
  const width = p == null ? 0 : Math.min(p, 1000) / 10;
  return h('div', { class: `meter${over ? ' over' : ''}`, role: 'img', 'aria-label': label, dataset: { permille: p ?? '' } },
    h('span', { style: `width:${width}%` }));
}

function methodCard(m, r) {
  const name = isRef('treatment_methods', m.method) ? methodName(m.method) : m.method_zh || m.method;
  const todayP = m.daily_capacity_g != null ? permille(m.treated_on_date_g, m.daily_capacity_g) : null;
  const yearP = m.capacity_g ? permille(m.treated_ytd_g, m.capacity_g) : null;
  const avg = m.capacity_g ? Math.floor(m.capacity_g / r.days_in_year) : null;
  const todayText = m.daily_capacity_g != null
    ? t('cap.of_daily', { cap: formatTonnes(m.daily_capacity_g), pct: formatPermille(todayP) })
    : avg != null ? t('cap.no_daily', { avg: formatTonnes(avg) }) : '';
  return h('article', { class: 'cap-card', dataset: { method: m.method, today: String(m.treated_on_date_g), year: String(m.treated_ytd_g), todayPermille: todayP ?? '', over: todayP > 1000 ? 'yes' : 'no' } },
    h('h3', {}, name),
    h('div', { class: 'cap-figure' },
      h('span', { class: 'cap-label' }, t('cap.today')),
      h('span', { class: 'cap-big', dataset: { figure: 'today' } }, formatTonnes(m.treated_on_date_g)),
      h('span', { class: 'muted small' }, t('cap.items', { n: formatInt(m.treated_on_date_items) }))),
    m.daily_capacity_g != null ? bar(todayP, todayText) : null,
    h('p', { class: `small ${todayP > 1000 ? 'bad-text' : 'muted'}` }, todayText, todayP > 1000 ? ` · ${t('cap.over')}` : ''),
    h('div', { class: 'cap-figure' },
      h('span', { class: 'cap-label' }, t('cap.year')),
      h('span', { class: 'cap-big', dataset: { figure: 'year' } }, formatTonnes(m.treated_ytd_g)),
      h('span', { class: 'muted small' }, t('cap.items', { n: formatInt(m.treated_ytd_items) }))),
    m.capacity_g ? bar(yearP, t('cap.of_year', { cap: formatTonnes(m.capacity_g), pct: formatPermille(yearP) })) : null,
    h('p', { class: 'small muted' }, m.capacity_g
      ? [t('cap.of_year', { cap: formatTonnes(m.capacity_g), pct: formatPermille(yearP) }), h('br'),
        t('cap.prorated', { cap: formatTonnes(m.prorated_capacity_g), pct: formatPermille(m.utilisation_permille) })]
      : t('cap.daily_only')),
    m.days_over_daily_capacity ? h('p', { class: 'small bad-text' }, t('cap.days_over', { n: formatInt(m.days_over_daily_capacity) })) : null);
}

async function capacityView(ctx) {
  await ensureRefs(ctx.signal);
  const uscc = ownFacility();
  if (!uscc) return h('p', { id: 'gate-not-gate', class: 'muted' }, t('gate.not_gate'));
  const r = await api.facilityReconciliation(uscc, todayCst(), ctx.signal);
  const lf = r.landfill;
  const col = r.collection;
  const figure = (id, key, g, n) => h('div', { class: 'cap-figure', id },
    h('span', { class: 'cap-label' }, t(key)),
    h('span', { class: 'cap-big', dataset: { g: String(g), n: String(n) } }, formatTonnes(g)),
    h('span', { class: 'muted small' }, t('cap.items', { n: formatInt(n) })));
  return h('div', { id: 'gate-capacity', dataset: { date: r.date, uscc: r.facility } },
    h('p', { class: 'muted' }, h('strong', {}, state.own?.name_zh || r.name_zh), ' · ', t('cap.date', { date: r.date, day: r.day_of_year, days: r.days_in_year })),
    h('section', { class: 'panel cap-received' },
      figure('cap-received-today', 'cap.received_today', r.received_on_date_g, r.received_on_date_items),
      figure('cap-received-year', 'cap.received_year', r.received_ytd_g, r.received_ytd_items)),
    r.methods.length
      ? h('section', { id: 'cap-methods', class: 'cap-grid' }, r.methods.map((m) => methodCard(m, r)))
      : h('p', { id: 'cap-none', class: 'panel muted' }, t('cap.none')),
    lf && h('section', { id: 'cap-landfill', class: 'panel', dataset: { usedL: String(lf.used_l) } },
      h('h3', {}, t('cap.landfill')),
      bar(lf.used_permille, t('cap.landfill')),
      h('p', { class: 'small muted' }, t('cap.landfill_value', { used: formatLitresAsM3(lf.used_l), licensed: formatInt(lf.licensed_m3), pct: formatPermille(lf.used_permille) }))),
    col && h('section', { id: 'cap-collection', class: 'panel' },
      h('h3', {}, t('cap.collection')),
      bar(col.utilisation_permille, t('cap.collection')),
      h('p', { class: 'small muted' }, t('cap.collection_value', { received: formatTonnes(col.received_ytd_g), capacity: formatTonnes(col.capacity_g), pct: formatPermille(col.utilisation_permille) }))),
    h('p', {}, h('a', { id: 'cap-full', class: 'button', href: `#/facilities/${encodeURIComponent(uscc)}` }, t('cap.full'))));
}

export const routes = [
  {
    name: 'gate-capacity', pattern: '/gate/capacity', view: capacityView, title: 'cap.title', auth: true, allow: isGate,
    nav: { label: 'nav.gate_capacity', short: 'nav.gate_capacity_short', rank: 7, main: true, show: isGate },
  },
];
