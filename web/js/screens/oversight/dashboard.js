// screens/oversight/dashboard.js: the regulator's dashboard (#/dashboard/<chart>, regulators
// and administrators), pictures first: one page per chart (capacity, flows, sankey, rates,
// alerts, stock; #/dashboard is the first), each with the period and district filters, its
// table one click away (#dash-table-toggle) and a CSV download of the API's figures
// (#dash-csv-<id>). The figures come from /api/v1/dashboard/<chart>; the charts are drawn by
// the vendored ECharts, loaded on these pages only. Each chart's element is
// `#dash-chart-<id>` (`echarts.getInstanceByDom(el).getOption()` holds the API's values).

import { t, register, todayCst, formatTime } from '../../core/i18n.js';
import { $, h, field, options, readForm, dataTable } from '../../core/dom.js';
import { request } from '../../core/api.js';
import { go } from '../../core/router.js';
import { ensureRefs, state } from '../../core/state.js';
import { canOversee, isAdmin } from '../../core/roles.js';
import { districtName } from '../../core/names.js';
import { SPECS, loadECharts, toCsv } from './dashboard-charts.js';

register({
  zh: {
    'nav.dashboard': '监管看板',
    'dash.title': '监管看板',
    'dash.tab.capacity': '处置能力',
    'dash.tab.flows': '月度流量',
    'dash.tab.sankey': '流向',
    'dash.tab.rates': '处置率',
    'dash.tab.alerts': '预警',
    'dash.tab.stock': '产废单位库存',
    'dash.flows': '每月产生、接收、处置量',
    'dash.sankey': '统计期内产生的危险废物流向：区县、行业 → 运输单位、收集点 → 处置单位、处置方式',
    'dash.rates': '每月产生的废物的处置率（对照100%目标）',
    'dash.alerts': '未处理预警（按规则和持续时间）',
    'dash.stock': '产废单位现有贮存（按贮存时间）',
    'dash.from': '起始日期',
    'dash.to': '截止日期',
    'dash.district': '区县',
    'dash.show': '查看',
    'dash.table': '表格',
    'dash.chart': '图表',
    'dash.csv': '下载CSV',
    'dash.period': '统计期 {from} 至 {to}（北京时间）· 区县：{district}',
    'dash.now': '截至 {time}（统计期不适用）· 区县：{district}',
    'dash.empty': '统计期内没有数据。',
  },
  en: {
    'nav.dashboard': 'Dashboard',
    'dash.title': 'Dashboard',
    'dash.tab.capacity': 'Capacity',
    'dash.tab.flows': 'Monthly flows',
    'dash.tab.sankey': 'Where it goes',
    'dash.tab.rates': 'Disposal rates',
    'dash.tab.alerts': 'Alerts',
    'dash.tab.stock': 'Stock at generators',
    'dash.flows': 'Generated, received and treated each month',
    'dash.sankey': 'Waste generated in the period: districts and industries → transporters and collection points → facilities and methods',
    'dash.rates': 'Disposal rates of each month’s waste, against the 100% target',
    'dash.alerts': 'Open alerts by rule and age',
    'dash.stock': 'Stored at generators now, by storage age',
    'dash.from': 'From',
    'dash.to': 'To',
    'dash.district': 'District',
    'dash.show': 'Show',
    'dash.table': 'Table',
    'dash.chart': 'Chart',
    'dash.csv': 'Download CSV',
    'dash.period': 'Period {from} to {to} (China time) · district: {district}',
    'dash.now': 'As of {time} (the period does not apply) · district: {district}',
    'dash.empty': 'No figures in the period.',
  },
});

export const CHARTS = ['capacity', 'flows', 'sankey', 'rates', 'alerts', 'stock'];
/** Charts of the present moment: the period filter does not apply to them. */
const NOW_CHARTS = ['alerts', 'stock'];

/** The charts drawn by the last render, disposed of when the page changes. */
let drawn = [];
let blobs = [];
let onResize = null;

function dispose() {
  for (const c of drawn) c.dispose();
  for (const u of blobs) URL.revokeObjectURL(u);
  drawn = [];
  blobs = [];
  if (onResize) window.removeEventListener('resize', onResize);
  onResize = null;
}

async function dashboardView(ctx, chart) {
  dispose();
  const today = todayCst();
  const q = {
    from: ctx.query.get('from') || `${today.slice(0, 4)}-01-01`,
    to: ctx.query.get('to') || today,
    district: isAdmin() ? ctx.query.get('district') || '' : '',
  };
  const query = Object.fromEntries(Object.entries(q).filter(([, v]) => v));
  const [echarts, data] = await Promise.all([
    loadECharts(),
    request('GET', `/dashboard/${chart}`, { query, signal: ctx.signal }),
    ensureRefs(ctx.signal),
  ]);
  const district = data.district ? districtName(data.district) : t('common.all');
  const scope = NOW_CHARTS.includes(chart)
    ? t('dash.now', { time: formatTime(data.as_of), district })
    : t('dash.period', { from: data.from || q.from, to: data.to || data.date || q.to, district });
  const width = Math.max(280, ($('#view')?.clientWidth || 800) - 32);
  const panels = SPECS[chart](data).map((spec) => panel(echarts, spec, width, q));
  return h('div', { id: 'dashboard', dataset: { chart, from: q.from, to: q.to, district: data.district || '' } },
    tabs(chart, q),
    filterForm(chart, q),
    h('p', { id: 'dash-scope', class: 'muted' }, scope),
    panels);
}

function tabs(current, q) {
  const qs = new URLSearchParams(Object.entries(q).filter(([, v]) => v)).toString();
  return h('nav', { id: 'dash-tabs', class: 'dash-tabs', 'aria-label': t('dash.title') },
    CHARTS.map((c) => h('a', {
      href: `#/dashboard/${c}${qs ? `?${qs}` : ''}`, id: `dash-tab-${c}`, dataset: { chart: c },
      'aria-current': c === current ? 'page' : null, class: c === current ? 'active' : null,
    }, t(`dash.tab.${c}`))));
}

function filterForm(chart, q) {
  const own = state.user?.district;
  const form = h('form', { id: 'dash-form', class: 'filters dash-filters' },
    field({ id: 'dash-from', name: 'from', type: 'date', label: t('dash.from'), value: q.from }),
    field({ id: 'dash-to', name: 'to', type: 'date', label: t('dash.to'), value: q.to }),
    isAdmin()
      ? field({ id: 'dash-district', name: 'district', type: 'select', label: t('dash.district'),
        options: options('districts', q.district, t('common.all')) })
      : field({ id: 'dash-district', name: 'district', type: 'select', label: t('dash.district'), disabled: true,
        options: [h('option', { value: own || '' }, own ? districtName(own) : t('common.all'))] }),
    h('button', { type: 'submit', id: 'dash-submit' }, t('dash.show')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const values = readForm(form);
    if (!isAdmin()) delete values.district;
    const qs = new URLSearchParams(Object.entries(values).filter(([, v]) => v)).toString();
    go(`#/dashboard/${chart}${qs ? `?${qs}` : ''}`);
  });
  return form;
}

/** One chart with its table (hidden until asked for) and its CSV. */
function panel(echarts, spec, width, q) {
  const height = spec.height || 380;
  const el = h('div', { id: `dash-chart-${spec.id}`, class: 'dash-chart', role: 'img', 'aria-label': spec.title,
    style: `height:${height}px` });
  const chart = echarts.init(el, null, { renderer: 'canvas', width, height });
  chart.setOption(spec.option);
  drawn.push(chart);
  if (!onResize) {
    onResize = () => drawn.forEach((c) => c.resize());
    window.addEventListener('resize', onResize);
  }
  // Once on the page, fit the chart to its box.
  requestAnimationFrame(() => { if (el.isConnected) chart.resize(); });

  const table = h('div', { id: `dash-table-${spec.id}`, class: 'dash-table', hidden: true },
    dataTable(`dash-rows-${spec.id}`, spec.columns, spec.rows, (r) => ({ row: String(spec.rows.indexOf(r)) })));
  const toggle = h('button', {
    type: 'button', id: `dash-table-toggle-${spec.id}`, class: 'dash-toggle', 'aria-expanded': 'false',
    'aria-controls': table.id,
  }, t('dash.table'));
  toggle.addEventListener('click', () => {
    const open = table.hidden;
    table.hidden = !open;
    el.hidden = open;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = t(open ? 'dash.chart' : 'dash.table');
    if (!open) chart.resize();
  });
  const csv = toCsv(spec.csv, spec.rows);
  const file = `hwtrace-${spec.id}-${q.from}-${q.to}${q.district ? `-${q.district}` : ''}.csv`;
  const href = URL.createObjectURL(new Blob(['\ufeff', csv], { type: 'text/csv;charset=utf-8' }));
  blobs.push(href);
  const link = h('a', { id: `dash-csv-${spec.id}`, class: 'button dash-csv', download: file, href }, t('dash.csv'));
  return h('section', { class: 'panel dash-panel', dataset: { spec: spec.id } },
    h('div', { class: 'dash-head' },
      h('h2', {}, spec.title),
      h('div', { class: 'dash-actions' }, toggle, link)),
    el,
    table,
    !spec.rows.length && h('p', { class: 'muted small' }, t('dash.empty')));
}

/** `#/dashboard` (the first chart) and one route per chart, `dashboard-<chart>`: each page is ready under its own name. */
export const routes = [
  {
    name: 'dashboard', pattern: '/dashboard', view: (ctx) => dashboardView(ctx, CHARTS[0]), title: 'dash.title', auth: true, allow: canOversee,
    nav: { label: 'nav.dashboard', rank: 45, main: true, show: canOversee, also: CHARTS.map((c) => `dashboard-${c}`) },
  },
  ...CHARTS.map((c) => ({
    name: `dashboard-${c}`, pattern: `/dashboard/${c}`, view: (ctx) => dashboardView(ctx, c), title: 'dash.title', auth: true, allow: canOversee,
  })),
];
