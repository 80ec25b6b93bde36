// screens/oversight/indicators.js: the district indicators (#/indicators, regulators and
// administrators): the disposal rates of a period, grouped, and the mass balance with the
// items whose mass changed.

import * as api from '../../core/api.js';
import { t, has, lang, register, formatInt, formatMass, formatPermille, formatTime, formatTonnes, todayCst } from '../../core/i18n.js';
import { h, field, labelled, options, section, dataTable, readForm, tonnesCell, definition } from '../../core/dom.js';
import { go } from '../../core/router.js';
import { ensureRefs } from '../../core/state.js';
import { canOversee, isAdmin } from '../../core/roles.js';
import { districtName } from '../../core/names.js';
import { itemLink } from '../../core/links.js';

register({
  zh: {
    'nav.indicators': '统计指标',
    'ind.title': '统计指标',
    'ind.from': '起始日期',
    'ind.to': '截止日期',
    'ind.district': '区县',
    'ind.by': '分组',
    'ind.by.category': '按类别',
    'ind.by.district': '按区县',
    'ind.by.generator': '按产生单位',
    'ind.by.code': '按废物代码',
    'ind.submit': '统计',
    'ind.period': '统计期 {from} 至 {to}（北京时间），状态截至 {as_of}',
    'ind.rates': '处置率',
    'ind.industrial': '工业危险废物安全处置率',
    'ind.medical': '医疗废物集中处置率',
    'ind.items': '件数',
    'ind.generated': '产生量',
    'ind.treated': '已处置',
    'ind.at_generator': '在产废单位',
    'ind.in_transit': '运输途中',
    'ind.at_facility': '在接收单位未处置',
    'ind.lost': '损失',
    'ind.rate': '处置率',
    'ind.no_waste': '统计期内无此类废物',
    'ind.groups': '分组明细',
    'ind.balance': '物料平衡',
    'ind.balance_lead': '产生量 = 各处所在量 + 日志记录的变化（正数表示重量减少）',
    'ind.repacked': '已合并或分装',
    'ind.weighing': '称重差异',
    'ind.refused_at_gate': '拒收部分',
    'ind.treatment': '处置差异',
    'ind.correction': '更正',
    'ind.unexplained': '无法解释',
    'ind.difference': '差额',
    'ind.closes': '平衡',
    'ind.not_closes': '不平衡',
    'ind.lines': '有变化的物品',
    'ind.lines_shown': '共 {total} 件，显示前 {shown} 件（不平衡的在前）。',
    'ind.bucket': '所在',
    'ind.bucket.at_generator': '在产废单位',
    'ind.bucket.in_transit': '运输途中',
    'ind.bucket.at_facility': '在接收单位',
    'ind.bucket.treated': '已处置',
    'ind.bucket.repacked': '已合并或分装',
    'ind.bucket.lost': '损失',
    'ind.declared': '申报重量',
    'ind.mass_now': '现重量',
  },
  en: {
    'nav.indicators': 'Indicators',
    'ind.title': 'Indicators',
    'ind.from': 'From',
    'ind.to': 'To',
    'ind.district': 'District',
    'ind.by': 'Group by',
    'ind.by.category': 'category',
    'ind.by.district': 'district',
    'ind.by.generator': 'generator',
    'ind.by.code': 'waste code',
    'ind.submit': 'Show',
    'ind.period': 'Period {from} to {to} (China time), standing as of {as_of}',
    'ind.rates': 'Disposal rates',
    'ind.industrial': 'Industrial hazardous waste safe-disposal rate',
    'ind.medical': 'Medical waste centralised disposal rate',
    'ind.items': 'Items',
    'ind.generated': 'Generated',
    'ind.treated': 'Treated',
    'ind.at_generator': 'At generators',
    'ind.in_transit': 'In transit',
    'ind.at_facility': 'Untreated at receivers',
    'ind.lost': 'Lost',
    'ind.rate': 'Disposal rate',
    'ind.no_waste': 'None of this waste in the period',
    'ind.groups': 'By group',
    'ind.balance': 'Mass balance',
    'ind.balance_lead': 'Generated = where it is + the changes the log records (positive: the mass went down)',
    'ind.repacked': 'Repacked (consolidated or split)',
    'ind.weighing': 'Weighing differences',
    'ind.refused_at_gate': 'Refused at the gate',
    'ind.treatment': 'Treatment differences',
    'ind.correction': 'Corrections',
    'ind.unexplained': 'Unexplained',
    'ind.difference': 'Difference',
    'ind.closes': 'closes',
    'ind.not_closes': 'does not close',
    'ind.lines': 'Items whose mass changed',
    'ind.lines_shown': '{total} items, the first {shown} shown (those that do not close first).',
    'ind.bucket': 'Where',
    'ind.bucket.at_generator': 'at generator',
    'ind.bucket.in_transit': 'in transit',
    'ind.bucket.at_facility': 'at receiver',
    'ind.bucket.treated': 'treated',
    'ind.bucket.repacked': 'repacked',
    'ind.bucket.lost': 'lost',
    'ind.declared': 'Declared',
    'ind.mass_now': 'Mass now',
  },
});

const GROUPINGS = ['category', 'district', 'generator', 'code'];
const BALANCE_LINES_SHOWN = 50;

async function indicatorsView(ctx) {
  await ensureRefs(ctx.signal);
  const today = todayCst();
  const q = {
    from: ctx.query.get('from') || `${today.slice(0, 4)}-01-01`,
    to: ctx.query.get('to') || today,
    district: isAdmin() ? ctx.query.get('district') || '' : '',
    by: ctx.query.get('by') || 'category',
  };
  const period = { from: q.from, to: q.to, district: q.district };
  const [rates, balance] = await Promise.all([
    api.disposal({ ...period, by: q.by }, ctx.signal),
    api.massBalance(period, ctx.signal),
  ]);
  const district = rates.district ? districtName(rates.district) : t('common.all');
  return h('div', { id: 'indicators', dataset: { from: rates.from, to: rates.to, district: rates.district || '' } },
    indicatorForm(q),
    h('p', { id: 'ind-period', class: 'muted' },
      t('ind.period', { from: rates.from, to: rates.to, as_of: formatTime(rates.as_of) }), ' · ',
      labelled('ind.district'), district),
    section(t('ind.rates'),
      h('div', { class: 'figures' },
        rateCard('ind-industrial', t('ind.industrial'), rates.industrial),
        rateCard('ind-medical', t('ind.medical'), rates.medical)),
      definition('ind-definition', rates)),
    section(t('ind.groups'), groupsTable(rates.groups, q.by)),
    section(t('ind.balance'), balancePanel(balance)));
}

function indicatorForm(q) {
  const byOptions = GROUPINGS.map((g) => h('option', { value: g, selected: g === q.by }, t(`ind.by.${g}`)));
  const form = h('form', { id: 'ind-form', class: 'filters ind-filters' },
    field({ id: 'ind-from', name: 'from', type: 'date', label: t('ind.from'), value: q.from }),
    field({ id: 'ind-to', name: 'to', type: 'date', label: t('ind.to'), value: q.to }),
    isAdmin() && field({ id: 'ind-district', name: 'district', type: 'select', label: t('ind.district'),
      options: options('districts', q.district, t('common.all')) }),
    field({ id: 'ind-by', name: 'by', type: 'select', label: t('ind.by'), options: byOptions }),
    h('button', { type: 'submit', id: 'ind-submit' }, t('ind.submit')));
  const apply = () => {
    const qs = new URLSearchParams(Object.entries(readForm(form)).filter(([, v]) => v)).toString();
    go(`#/indicators?${qs}`);
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); apply(); });
  form.addEventListener('change', (ev) => { if (ev.target.tagName === 'SELECT') apply(); });
  return form;
}

function rateCard(id, title, s) {
  const row = (key, content) => [h('dt', {}, t(key)), h('dd', {}, content)];
  const massRow = (key, g) => row(key, h('span', { class: 'num', title: `${formatInt(g)} g` }, formatTonnes(g)));
  return h('article', { id, class: 'card figure', dataset: { permille: s.disposal_permille ?? '' } },
    h('h3', {}, title),
    h('p', { class: 'big num rate' }, formatPermille(s.disposal_permille)),
    !s.items && h('p', { class: 'muted small' }, t('ind.no_waste')),
    h('dl', { class: 'summary compact' },
      row('ind.items', h('span', { class: 'num' }, formatInt(s.items))),
      massRow('ind.generated', s.generated_g),
      massRow('ind.treated', s.treated_g),
      massRow('ind.at_generator', s.at_generator_g),
      massRow('ind.in_transit', s.in_transit_g),
      massRow('ind.at_facility', s.at_facility_g),
      massRow('ind.lost', s.lost_g)));
}

function groupName(g, by) {
  if (by === 'district') return districtName(g.key);
  if (by === 'category' || !g.name || g.name === g.key) return h('span', { class: 'mono' }, g.key);
  return [h('span', {}, g.name), h('small', { class: 'mono muted block' }, g.key)];
}

function groupsTable(groups, by) {
  const unit = lang() === 'zh' ? '（吨）' : ' (t)';
  return dataTable('ind-groups', [
    [t(`ind.by.${by}`), (g) => groupName(g, by)],
    [t('ind.items'), (g) => h('span', { class: 'num' }, formatInt(g.items))],
    [t('ind.generated') + unit, (g) => tonnesCell(g.generated_g)],
    [t('ind.treated') + unit, (g) => tonnesCell(g.treated_g)],
    [t('ind.at_generator') + unit, (g) => tonnesCell(g.at_generator_g)],
    [t('ind.in_transit') + unit, (g) => tonnesCell(g.in_transit_g)],
    [t('ind.at_facility') + unit, (g) => tonnesCell(g.at_facility_g)],
    [t('ind.lost') + unit, (g) => tonnesCell(g.lost_g)],
    [t('ind.rate'), (g) => h('span', { class: 'num' }, formatPermille(g.disposal_permille))],
  ], groups, (g) => ({ key: g.key, permille: g.disposal_permille ?? '' }));
}

const BALANCE_PLACES = [
  ['at_generator_g', 'ind.at_generator'], ['in_transit_g', 'ind.in_transit'], ['at_facility_g', 'ind.at_facility'],
  ['treated_g', 'ind.treated'], ['repacked_g', 'ind.repacked'],
];
const BALANCE_CHANGES = [
  ['weighing_g', 'ind.weighing'], ['refused_at_gate_g', 'ind.refused_at_gate'], ['lost_g', 'ind.lost'],
  ['treatment_g', 'ind.treatment'], ['correction_g', 'ind.correction'], ['unexplained_g', 'ind.unexplained'],
];

/** The balance's terms in tonnes and in exact grams (a gram off must show), whether it closes, and its lines. */
function balancePanel(b) {
  const term = (field, key, sign) => h('tr', { dataset: { term: field, g: String(b[field]) } },
    h('th', { scope: 'row' }, sign ? h('span', { class: 'muted op' }, sign, ' ') : null, t(key)),
    h('td', { class: 'num' }, formatTonnes(b[field])),
    h('td', { class: 'num muted' }, `${formatInt(b[field])} g`));
  const closes = h('span', { id: 'balance-closes', class: `badge ${b.closes ? 'ok' : 'warn'}`, dataset: { closes: String(b.closes) } },
    t(b.closes ? 'ind.closes' : 'ind.not_closes'));
  const terms = h('table', { id: 'balance-terms', class: 'terms' }, h('tbody', {},
    term('generated_g', 'ind.generated', ''),
    BALANCE_PLACES.map(([f, k], i) => term(f, k, i === 0 ? '=' : '+')),
    BALANCE_CHANGES.map(([f, k]) => term(f, k, '+')),
    term('difference_g', 'ind.difference', '±')));
  const shown = b.lines.slice(0, BALANCE_LINES_SHOWN);
  const bucket = (l) => (has(`ind.bucket.${l.bucket}`) ? t(`ind.bucket.${l.bucket}`) : l.bucket);
  const mass = (f) => (l) => h('span', { class: l[f] ? 'num' : 'num muted' }, formatMass(l[f]));
  return h('div', { id: 'balance' },
    h('p', {}, t('ind.balance_lead'), ' ', closes),
    h('div', { class: 'table-wrap terms-wrap' }, terms),
    definition('balance-definition', b),
    h('h3', {}, t('ind.lines')),
    h('p', { id: 'balance-lines-count', class: 'muted small' },
      t('ind.lines_shown', { total: formatInt(b.lines_total), shown: shown.length })),
    dataTable('balance-lines', [
      [t('common.item_code'), (l) => itemLink(l.item)],
      [t('ind.declared'), mass('declared_g')],
      [t('ind.bucket'), bucket],
      [t('ind.mass_now'), mass('mass_g')],
      ...BALANCE_CHANGES.map(([f, k]) => [t(k), mass(f)]),
    ], shown, (l) => ({ item: l.item, unexplained: String(l.unexplained_g) })));
}

export const routes = [
  {
    name: 'indicators', pattern: '/indicators', view: indicatorsView, title: 'ind.title', auth: true,
    nav: { label: 'nav.indicators', rank: 50, main: true, show: canOversee },
  },
];
