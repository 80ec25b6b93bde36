// screens/oversight/facilities.js: treatment facilities' capacity reconciliation: the list
// (#/facilities, regulators and administrators) and one facility (#/facilities/<uscc>), which a
// facility's own users open as "our reconciliation".

import * as api from '../../core/api.js';
import { t, lang, register, pick, formatInt, formatPermille, formatTime, formatTonnes, formatLitresAsM3, todayCst } from '../../core/i18n.js';
import { h, field, labelled, section, dataTable, readForm, tonnesCell, definition } from '../../core/dom.js';
import { go, setTitle } from '../../core/router.js';
import { ensureRefs } from '../../core/state.js';
import { canOversee, ownFacility } from '../../core/roles.js';
import { districtName, isRef, methodName, stateName } from '../../core/names.js';
import { itemLink } from '../../core/links.js';

register({
  zh: {
    'nav.facilities': '处置设施',
    'nav.my_facility': '本单位核算',
    'fac.title': '处置设施',
    'fac.lead': '利用处置单位的处置能力核算。公众可查看的汇总见',
    'fac.public_link': '设施能力公开页面',
    'fac.name': '名称',
    'fac.date': '统计日期',
    'fac.show': '查看',
    'fac.day': '第 {day} 天 / 共 {days} 天',
    'fac.received': '年内接收',
    'fac.received_value': '{mass}（{n} 件）',
    'fac.methods': '各处置方式',
    'fac.method': '处置方式',
    'fac.capacity': '许可能力（吨/年）',
    'fac.treated': '年内处置（吨）',
    'fac.prorated': '按日折算能力（吨）',
    'fac.utilisation': '利用率',
    'fac.projected': '全年预计（吨）',
    'fac.projected_pct': '预计占能力',
    'fac.days_left': '剩余能力可用天数',
    'fac.inventory': '库存（按废物代码）',
    'fac.waste_code': '废物代码',
    'fac.items': '件数',
    'fac.items_n': '{n} 件',
    'fac.mass': '重量',
    'fac.inventory_total': '库存合计',
    'fac.oldest': '库存最久的物品',
    'fac.oldest_value': '持有自 {time}，已 {days} 天',
    'fac.collection': '收集经营许可',
    'fac.collection_value': '年内接收 {received}，年收集能力 {capacity}（按日折算利用率 {pct}）',
    'fac.daily_capacity': '日处置能力（吨）',
    'fac.treated_on_date': '当日处置（吨）',
    'fac.days_over': '年内超日能力天数',
    'fac.landfill': '填埋库容',
    'fac.landfill_licensed': '核准库容',
    'fac.landfill_used': '已用',
    'fac.landfill_remaining': '剩余',
    'fac.m3': '{n} 立方米',
    'fac.none': '无',
  },
  en: {
    'nav.facilities': 'Facilities',
    'nav.my_facility': 'Our reconciliation',
    'fac.title': 'Treatment facilities',
    'fac.lead': 'Capacity reconciliation of treatment facilities. The public summary is on the',
    'fac.public_link': 'public disclosure page',
    'fac.name': 'Name',
    'fac.date': 'Date',
    'fac.show': 'Show',
    'fac.day': 'day {day} of {days}',
    'fac.received': 'Received this year',
    'fac.received_value': '{mass} ({n} items)',
    'fac.methods': 'By treatment method',
    'fac.method': 'Method',
    'fac.capacity': 'Licensed capacity (t/year)',
    'fac.treated': 'Treated this year (t)',
    'fac.prorated': 'Capacity to date (t)',
    'fac.utilisation': 'Utilisation',
    'fac.projected': 'Projected for the year (t)',
    'fac.projected_pct': 'Projected of capacity',
    'fac.days_left': 'Days of capacity left',
    'fac.inventory': 'Inventory by waste code',
    'fac.waste_code': 'Waste code',
    'fac.items': 'Items',
    'fac.items_n': '{n} items',
    'fac.mass': 'Mass',
    'fac.inventory_total': 'Inventory in total',
    'fac.oldest': 'Oldest item in store',
    'fac.oldest_value': 'held since {time}, {days} days',
    'fac.collection': 'Collection licence',
    'fac.collection_value': 'received {received} this year against {capacity} a year ({pct} of the pro-rated capacity)',
    'fac.daily_capacity': 'Daily capacity (t)',
    'fac.treated_on_date': 'Treated on the date (t)',
    'fac.days_over': 'Days over the daily capacity',
    'fac.landfill': 'Landfill volume',
    'fac.landfill_licensed': 'Licensed',
    'fac.landfill_used': 'Used',
    'fac.landfill_remaining': 'Remaining',
    'fac.m3': '{n} m³',
    'fac.none': 'none',
  },
});

async function facilitiesView(ctx) {
  await ensureRefs(ctx.signal);
  const lists = await Promise.all(['facility', 'collection_point'].map((role) => api.enterprises({ role }, ctx.signal)));
  const seen = new Set();
  const enterprises = lists.flatMap((l) => l.enterprises).filter((e) => !seen.has(e.uscc) && seen.add(e.uscc));
  const table = dataTable('facility-list', [
    [t('fac.name'), (e) => h('a', { href: `#/facilities/${encodeURIComponent(e.uscc)}` }, pick(e))],
    [t('common.uscc'), (e) => h('span', { class: 'mono' }, e.uscc)],
    [t('common.district'), (e) => districtName(e.district)],
  ], enterprises, (e) => ({ uscc: e.uscc }));
  return h('div', { id: 'facilities' },
    h('p', { class: 'muted' }, t('fac.lead'), ' ', h('a', { id: 'facilities-public', href: api.PUBLIC_FACILITIES }, t('fac.public_link')),
      lang() === 'zh' ? '。' : '.'),
    table);
}

async function facilityView(ctx) {
  await ensureRefs(ctx.signal);
  const [uscc] = ctx.params;
  const date = ctx.query.get('date') || todayCst();
  const [r, ent] = await Promise.all([
    api.facilityReconciliation(uscc, date, ctx.signal),
    api.enterprise(uscc, ctx.signal).catch((e) => {
      if (e.name === 'AbortError' || e.status === 401) throw e;
      return null;
    }),
  ]);
  setTitle(ent ? pick(ent) : r.name_zh);
  const form = h('form', { id: 'fac-form', class: 'inline-form' },
    field({ id: 'fac-date', name: 'date', type: 'date', label: t('fac.date'), value: r.date }),
    h('button', { type: 'submit', id: 'fac-submit' }, t('fac.show')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const d = readForm(form).date;
    go(`#/facilities/${encodeURIComponent(uscc)}${d ? `?date=${encodeURIComponent(d)}` : ''}`);
  });
  return h('div', { id: 'facility', dataset: { uscc: r.facility, date: r.date } },
    form,
    facilitySummary(r),
    section(t('fac.methods'), methodsTable(r.methods)),
    section(t('fac.inventory'), inventoryTable(r.inventory),
      h('p', { id: 'fac-inventory-total' }, labelled('fac.inventory_total'), formatTonnes(r.inventory_g))),
    definition('fac-definition', r));
}

function facilitySummary(r) {
  const row = (id, key, content) => [h('dt', {}, t(key)), h('dd', { id }, content)];
  const oldest = r.oldest_in_store;
  const lf = r.landfill;
  const m3 = (l) => t('fac.m3', { n: formatLitresAsM3(l) });
  return h('dl', { id: 'fac-summary', class: 'summary' },
    row('fac-uscc', 'ent.uscc', h('span', { class: 'mono' }, r.facility)),
    row('fac-day', 'fac.date', [r.date, ' ', h('span', { class: 'muted' }, t('fac.day', { day: r.day_of_year, days: r.days_in_year }))]),
    row('fac-received', 'fac.received', t('fac.received_value', { mass: formatTonnes(r.received_ytd_g), n: formatInt(r.received_ytd_items) })),
    row('fac-oldest', 'fac.oldest', oldest
      ? [itemLink(oldest.item), ' ',
        t('fac.oldest_value', { time: formatTime(oldest.held_since), days: formatInt(oldest.age_days) }), ' ',
        h('span', { class: 'muted small' }, stateName(oldest.state))]
      : t('fac.none')),
    r.collection && row('fac-collection', 'fac.collection', h('span', { dataset: { permille: r.collection.utilisation_permille ?? '' } },
      t('fac.collection_value', { received: formatTonnes(r.collection.received_ytd_g), capacity: formatTonnes(r.collection.capacity_g),
        pct: formatPermille(r.collection.utilisation_permille) }))),
    row('fac-landfill', 'fac.landfill', lf
      ? h('span', { dataset: { permille: lf.used_permille ?? '' } },
        labelled('fac.landfill_licensed'), t('fac.m3', { n: formatInt(lf.licensed_m3) }), ' · ',
        labelled('fac.landfill_used'), m3(lf.used_l), ` (${formatPermille(lf.used_permille)})`, ' · ',
        labelled('fac.landfill_remaining'), m3(lf.remaining_l))
      : t('fac.none')));
}

function methodsTable(methods) {
  const pct = (p) => h('span', { class: 'num' }, formatPermille(p));
  return dataTable('fac-methods', [
    [t('fac.method'), (m) => (isRef('treatment_methods', m.method) ? methodName(m.method) : m.method_zh || m.method)],
    [t('fac.capacity'), (m) => tonnesCell(m.capacity_g)],
    [t('fac.treated'), (m) => [tonnesCell(m.treated_ytd_g), ' ', h('span', { class: 'muted small' }, `(${t('fac.items_n', { n: formatInt(m.treated_ytd_items) })})`)]],
    [t('fac.prorated'), (m) => tonnesCell(m.prorated_capacity_g)],
    [t('fac.utilisation'), (m) => pct(m.utilisation_permille)],
    [t('fac.projected'), (m) => tonnesCell(m.projected_year_g)],
    [t('fac.projected_pct'), (m) => pct(m.projected_permille)],
    [t('fac.days_left'), (m) => h('span', { class: 'num' }, m.days_of_capacity_left == null ? t('common.none') : formatInt(m.days_of_capacity_left))],
    [t('fac.daily_capacity'), (m) => (m.daily_capacity_g == null ? h('span', { class: 'num' }, t('common.none')) : tonnesCell(m.daily_capacity_g))],
    [t('fac.treated_on_date'), (m) => tonnesCell(m.treated_on_date_g)],
    [t('fac.days_over'), (m) => h('span', { class: 'num' }, m.days_over_daily_capacity == null ? t('common.none') : formatInt(m.days_over_daily_capacity))],
  ], methods, (m) => ({ method: m.method, utilisation: m.utilisation_permille ?? '' }));
}

function inventoryTable(lines) {
  return dataTable('fac-inventory', [
    [t('fac.waste_code'), (l) => h('a', { class: 'mono', href: `#/catalogue?q=${encodeURIComponent(l.waste_code)}` }, l.waste_code)],
    [t('fac.items'), (l) => h('span', { class: 'num' }, formatInt(l.items))],
    [t('fac.mass'), (l) => h('span', { class: 'num', title: `${formatInt(l.mass_g)} g` }, formatTonnes(l.mass_g))],
  ], lines, (l) => ({ code: l.waste_code }));
}

export const routes = [
  {
    name: 'facilities', pattern: '/facilities', view: facilitiesView, title: 'fac.title', auth: true,
    nav: { label: 'nav.facilities', rank: 60, main: true, show: canOversee, also: ['facility'] },
  },
  {
    name: 'facility', pattern: '/facilities/:uscc', view: facilityView, title: 'fac.title', auth: true,
    nav: {
      id: 'nav-my-facility', label: 'nav.my_facility', rank: 65, main: true, show: () => !!ownFacility(),
      href: () => `#/facilities/${encodeURIComponent(ownFacility())}`,
    },
  },
];
