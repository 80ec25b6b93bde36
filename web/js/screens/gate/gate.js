// screens/gate/gate.js: the facility gate's start page (#/gate): what has arrived at the
// user's treatment facility or collection point and what is on its way, grouped by manifest
// (转移联单), with the day by which each arrived load's receipt is due (5 working days,
// overdue marked), and the scan field: scanning a label (or typing an item code) opens the
// weighing of that item's load (#/gate/load/<manifest>). Data: GET
// /api/v1/enterprises/{uscc}/arrivals (arrived first, the longest waiting first).

import * as api from '../../core/api.js';
import { t, register, formatInt, formatMass, formatTime } from '../../core/i18n.js';
import { h, emptyState } from '../../core/dom.js';
import { go } from '../../core/router.js';
import { ensureRefs } from '../../core/state.js';
import { isGate, ownFacility } from '../../core/roles.js';
import { stateName } from '../../core/names.js';
import { scanField, cell } from './common.js';
import { itemLink } from '../../core/links.js';

register({
  zh: {
    'nav.gate': '到货接收',
    'nav.gate_short': '到货',
    'gate.title': '到货接收',
    'gate.summary': '已运抵 {arrived} 件 · 在途 {on_the_way} 件',
    'gate.as_of': '截至 {time}',
    'gate.arrived_title': '已运抵，待过磅接收',
    'gate.on_the_way_title': '在途',
    'gate.empty_title': '目前没有运往本单位的物品',
    'gate.empty_text': '承运人在门岗确认运抵后，物品会出现在这里，按转移联单分组。',
    'gate.none_arrived': '目前没有已运抵的物品。',
    'gate.manifest': '联单 {number}',
    'gate.from_to': '{issuer} → 承运 {carrier}',
    'gate.n_arrived': '已运抵 {n} 件',
    'gate.n_on_the_way': '在途 {n} 件',
    'gate.items_n': '{n} 件物品',
    'gate.due': '接收期限 {date}',
    'gate.overdue': '已逾期',
    'gate.open_load': '过磅接收',
    'gate.col_item': '物品编码',
    'gate.col_waste': '废物',
    'gate.col_state': '状态',
    'gate.col_declared': '申报重量',
    'gate.col_since': '运抵/出发时间',
    'gate.col_due': '接收期限',
    'gate.scan_not_here': '{code} 不在本单位的到货中（当前状态：{state}）。',
    'gate.scan_unknown_item': '{code} 不在本单位的到货中。',
    'gate.cut': '只列出最早的 {n} 件。',
  },
  en: {
    'nav.gate': 'Arrivals',
    'nav.gate_short': 'Arrivals',
    'gate.title': 'Arrivals',
    'gate.summary': '{arrived} arrived · {on_the_way} on the way',
    'gate.as_of': 'as of {time}',
    'gate.arrived_title': 'Arrived, to weigh and receive',
    'gate.on_the_way_title': 'On the way',
    'gate.empty_title': 'Nothing is on its way to us',
    'gate.empty_text': 'Once a carrier declares its load at the gate, the items show here, grouped by manifest.',
    'gate.none_arrived': 'Nothing has arrived for now.',
    'gate.manifest': 'Manifest {number}',
    'gate.from_to': '{issuer} → carried by {carrier}',
    'gate.n_arrived': '{n} arrived',
    'gate.n_on_the_way': '{n} on the way',
    'gate.items_n': '{n} items',
    'gate.due': 'receipt due {date}',
    'gate.overdue': 'overdue',
    'gate.open_load': 'Weigh and receive',
    'gate.col_item': 'Item code',
    'gate.col_waste': 'Waste',
    'gate.col_state': 'State',
    'gate.col_declared': 'Declared',
    'gate.col_since': 'Arrived / left',
    'gate.col_due': 'Receipt due',
    'gate.scan_not_here': '{code} is not among our arrivals (its state: {state}).',
    'gate.scan_unknown_item': '{code} is not among our arrivals.',
    'gate.cut': 'Only the first {n} are listed.',
  },
});

/** The manifests of `items` (arrivals), each with its items, counts, earliest due day and overdue flag. */
export function byManifest(items) {
  const groups = new Map();
  for (const it of items) {
    let g = groups.get(it.manifest);
    if (!g) {
      g = {
        number: it.manifest, issuer: it.issuer, issuerName: it.issuer_name, carrierName: it.carrier_name,
        plate: it.vehicle_plate, items: [], arrived: 0, onTheWay: 0, due: null, overdue: false, first: it.since,
      };
      groups.set(it.manifest, g);
    }
    g.items.push(it);
    if (it.state === 'arrived') {
      g.arrived += 1;
      if (it.receipt_due && (!g.due || it.receipt_due < g.due)) g.due = it.receipt_due;
      g.overdue ||= !!it.receipt_overdue;
    } else {
      g.onTheWay += 1;
    }
    if (it.since < g.first) g.first = it.since;
  }
  return [...groups.values()];
}

const wide = () => window.matchMedia('(min-width: 48rem)').matches;

function itemRows(g) {
  const row = (it) => h('tr', { dataset: { code: it.code, state: it.state, overdue: it.receipt_overdue ? 'yes' : 'no' } },
    cell(t('gate.col_item'), itemLink(it.code)),
    cell(t('gate.col_waste'), h('div', { class: 'small waste-desc', title: it.waste_name }, h('span', { class: 'mono' }, it.waste_code), ' ', it.waste_name)),
    cell(t('gate.col_state'), h('span', { class: `badge state ${it.state === 'arrived' ? 'ok' : ''}` }, stateName(it.state))),
    cell(t('gate.col_declared'), h('span', { class: 'num' }, formatMass(it.declared_g))),
    cell(t('gate.col_since'), h('time', { datetime: it.since }, formatTime(it.since))),
    cell(t('gate.col_due'), it.receipt_due
      ? h('span', { class: it.receipt_overdue ? 'due overdue' : 'due' }, it.receipt_due, it.receipt_overdue ? ` · ${t('gate.overdue')}` : '')
      : t('common.none')));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'gate-items compact' },
    h('thead', {}, h('tr', {}, ['gate.col_item', 'gate.col_waste', 'gate.col_state', 'gate.col_declared', 'gate.col_since', 'gate.col_due']
      .map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', {}, g.items.map(row))));
}

function manifestCard(g) {
  const open = g.arrived > 0 && wide() && g.items.length <= 12;
  const total = g.items.reduce((a, it) => a + it.declared_g, 0);
  return h('article', {
    class: `manifest-card${g.overdue ? ' overdue' : ''}`,
    dataset: { manifest: g.number, arrived: String(g.arrived), onTheWay: String(g.onTheWay), overdue: g.overdue ? 'yes' : 'no', due: g.due || '' },
  },
  h('div', { class: 'manifest-head' },
    h('div', {},
      h('h3', {}, h('span', { class: 'mono' }, t('gate.manifest', { number: g.number })), g.plate && h('span', { class: 'plate' }, g.plate)),
      h('p', { class: 'small muted' }, t('gate.from_to', { issuer: g.issuerName, carrier: g.carrierName }))),
    g.arrived > 0 && h('a', { class: 'button primary', href: `#/gate/load/${g.number}`, dataset: { open: g.number } }, t('gate.open_load'))),
  h('p', { class: 'chips' },
    g.arrived > 0 && h('span', { class: 'chip static' }, t('gate.n_arrived', { n: g.arrived })),
    g.onTheWay > 0 && h('span', { class: 'chip static muted-chip' }, t('gate.n_on_the_way', { n: g.onTheWay })),
    h('span', { class: 'chip static muted-chip' }, formatMass(total)),
    g.due && h('span', { class: `chip static ${g.overdue ? 'bad-chip' : 'muted-chip'}`, dataset: { due: g.due } },
      t('gate.due', { date: g.due }), g.overdue ? ` · ${t('gate.overdue')}` : '')),
  h('details', { class: 'manifest-items', open },
    h('summary', {}, t('gate.items_n', { n: g.items.length })),
    itemRows(g)));
}

async function arrivalsView(ctx) {
  await ensureRefs(ctx.signal);
  const uscc = ownFacility();
  if (!uscc) return h('p', { id: 'gate-not-gate', class: 'muted' }, t('gate.not_gate'));
  const data = await api.arrivals(uscc, ctx.signal);
  const groups = byManifest(data.items);
  const arrived = groups.filter((g) => g.arrived > 0);
  const onTheWay = groups.filter((g) => g.arrived === 0);

  const scan = scanField(ctx, {
    id: 'gate-scan',
    async onScan({ code }) {
      const hit = data.items.find((it) => it.code === code);
      if (hit) {
        go(`#/gate/load/${hit.manifest}?scan=${encodeURIComponent(code)}`);
        return null;
      }
      const item = await api.item(code, ctx.signal).catch((e) => {
        if (e.name === 'AbortError') throw e;
        return null;
      });
      return item ? t('gate.scan_not_here', { code, state: stateName(item.state) }) : t('gate.scan_unknown_item', { code });
    },
  });

  const shown = data.items.length;
  const summary = h('p', { id: 'gate-summary', class: 'gate-summary', dataset: { arrived: String(data.arrived), onTheWay: String(data.on_the_way) } },
    h('strong', {}, t('gate.summary', { arrived: formatInt(data.arrived), on_the_way: formatInt(data.on_the_way) })), ' ',
    h('span', { class: 'muted small' }, t('gate.as_of', { time: formatTime(data.as_of) })),
    shown < data.arrived + data.on_the_way ? h('span', { class: 'muted small' }, ' ', t('gate.cut', { n: formatInt(shown) })) : null);

  if (!groups.length) {
    return h('div', { id: 'gate' }, h('section', { class: 'panel scan-panel' }, scan.form), summary,
      emptyState('gate-empty', t('gate.empty_title'), t('gate.empty_text')));
  }
  return h('div', { id: 'gate' },
    h('section', { class: 'panel scan-panel' }, scan.form),
    summary,
    h('section', { id: 'gate-arrived', class: 'manifest-list' },
      h('h2', {}, t('gate.arrived_title')),
      arrived.length ? arrived.map(manifestCard) : h('p', { class: 'muted' }, t('gate.none_arrived'))),
    onTheWay.length > 0 && h('section', { id: 'gate-on-the-way', class: 'manifest-list' },
      h('h2', {}, t('gate.on_the_way_title')),
      onTheWay.map(manifestCard)));
}

export const routes = [
  {
    name: 'gate', pattern: '/gate', view: arrivalsView, title: 'gate.title', auth: true,
    nav: { label: 'nav.gate', short: 'nav.gate_short', rank: 5, main: true, show: isGate },
  },
];
