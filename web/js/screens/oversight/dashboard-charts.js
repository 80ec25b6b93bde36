// screens/oversight/dashboard-charts.js: the dashboard's charts, one spec per chart: the API
// figures → the ECharts option (series values are the API's integers: grams, counts, ‰; axes
// and tooltips format them), the table's columns and the CSV's columns (raw API values).
// Also loads the vendored ECharts (web/vendor/echarts.min.js) on first use only, so no other
// page pays for it.

import { t, lang, register, formatInt, formatPermille, formatTonnes, tonnes } from '../../core/i18n.js';
import { h } from '../../core/dom.js';
import { districtName } from '../../core/names.js';

register({
  zh: {
    'dash.capacity.annual': '年处置能力利用（截至统计期末）',
    'dash.capacity.daily': '日处置能力（许可按日核定的方式）',
    'dash.facility': '设施',
    'dash.method': '处置方式',
    'dash.treated_ytd': '年内已处置',
    'dash.capacity_g': '年许可能力',
    'dash.prorated': '按日折算能力（比例线）',
    'dash.utilisation': '利用率',
    'dash.daily_capacity': '日许可能力',
    'dash.peak_day': '最大日处置量',
    'dash.peak_date': '最大日',
    'dash.days_over': '超日能力天数',
    'dash.month': '月份',
    'dash.generated': '产生',
    'dash.received': '接收',
    'dash.treated': '处置',
    'dash.source': '来源',
    'dash.target': '去向',
    'dash.mass': '重量',
    'dash.industrial': '工业危险废物安全处置率',
    'dash.medical': '医疗废物集中处置率',
    'dash.target_line': '目标 100%',
    'dash.rule': '预警规则',
    'dash.total': '合计',
    'dash.age': '已持续',
    'dash.days': '{range} 天',
    'dash.band': '贮存时间',
    'dash.industrial_stock': '工业危险废物',
    'dash.medical_stock': '医疗废物',
    'dash.items': '件数',
    'dash.stage.district': '区县',
    'dash.stage.industry': '行业',
    'dash.stage.transporter': '运输单位',
    'dash.stage.collection_point': '收集点',
    'dash.stage.facility': '处置单位',
    'dash.stage.method': '处置方式',
    'dash.stage.waiting': '尚未转移',
    'dash.tonnes_axis': '吨',
  },
  en: {
    'dash.capacity.annual': 'Annual capacity use (at the end of the period)',
    'dash.capacity.daily': 'Daily capacity (methods licensed per day)',
    'dash.facility': 'Facility',
    'dash.method': 'Method',
    'dash.treated_ytd': 'Treated this year',
    'dash.capacity_g': 'Annual licensed capacity',
    'dash.prorated': 'Pro-rata capacity (the line)',
    'dash.utilisation': 'Utilisation',
    'dash.daily_capacity': 'Daily licensed capacity',
    'dash.peak_day': 'Busiest day',
    'dash.peak_date': 'Date of busiest day',
    'dash.days_over': 'Days over the daily capacity',
    'dash.month': 'Month',
    'dash.generated': 'Generated',
    'dash.received': 'Received',
    'dash.treated': 'Treated',
    'dash.source': 'From',
    'dash.target': 'To',
    'dash.mass': 'Mass',
    'dash.industrial': 'Industrial hazardous waste safe-disposal rate',
    'dash.medical': 'Medical waste centralised disposal rate',
    'dash.target_line': 'Target 100%',
    'dash.rule': 'Alert rule',
    'dash.total': 'Total',
    'dash.age': 'Open for',
    'dash.days': '{range} days',
    'dash.band': 'Stored for',
    'dash.industrial_stock': 'Industrial hazardous waste',
    'dash.medical_stock': 'Medical waste',
    'dash.items': 'Items',
    'dash.stage.district': 'District',
    'dash.stage.industry': 'Industry',
    'dash.stage.transporter': 'Transporter',
    'dash.stage.collection_point': 'Collection point',
    'dash.stage.facility': 'Facility',
    'dash.stage.method': 'Method',
    'dash.stage.waiting': 'Not yet shipped',
    'dash.tonnes_axis': 't',
  },
});

let loading = null;

/** The vendored ECharts, loaded once by a script element (its UMD build sets `window.echarts`). */
export function loadECharts() {
  if (window.echarts) return Promise.resolve(window.echarts);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = '/vendor/echarts.min.js';
      s.async = true;
      s.onload = () => resolve(window.echarts);
      s.onerror = () => {
        loading = null;
        s.remove();
        reject(new Error('ECharts could not be loaded'));
      };
      document.head.append(s);
    });
  }
  return loading;
}

const PALETTE = ['#1f6f8b', '#e0a100', '#6a9a3a', '#b5473a', '#7b5ea7', '#3a8f8f', '#a0522d'];

/** Grams on an axis: tonnes without decimals past what the scale needs. */
const tonnesAxis = (g) => formatInt(Math.round(g / 1e6));
const tonnesTip = (g) => (g === null || g === undefined ? '—' : formatTonnes(g));
const permilleAxis = (p) => `${p / 10}%`;
const name = (o) => (lang() === 'en' && o.name_en ? o.name_en : o.name_zh);
const methodLabel = (r) => (lang() === 'en' ? r.method : r.method_zh);
const bandLabel = (b) => t('dash.days', { range: b.max_days === null ? `≥${b.min_days}` : `${b.min_days}–${b.max_days}` });

/** A phone-sized screen. */
const narrow = () => window.innerWidth < 600;
/** A horizontal bar chart's height for `n` rows. */
const rowsHeight = (n) => Math.max(220, 110 + n * 64);
/** Category labels beside horizontal bars: narrower on a phone. */
const categoryLabel = () => ({
  width: narrow() ? 96 : 220, overflow: 'truncate', lineHeight: 15, interval: 0,
});

/**
 * Tooltips drawn on the canvas, not as HTML: ECharts' HTML tooltips are strings with `style`
 * attributes, which the Content-Security-Policy refuses, and names from the server would be
 * HTML in them.
 */
const TIP = { trigger: 'axis', confine: true, renderMode: 'richText' };

function base(extra) {
  return {
    color: PALETTE,
    animation: false,
    grid: { left: 8, right: 32, top: 48, bottom: 8, containLabel: true },
    legend: { top: 0, type: 'scroll' },
    tooltip: TIP,
    ...extra,
  };
}

/** A row's text for the tooltip and the table: tonnes, the grams in the title. */
const tonnesCell = (g) => h('span', { class: 'num', title: `${formatInt(g)} g` }, tonnes(g));
const numCell = (n) => h('span', { class: 'num' }, formatInt(n));
const pctCell = (p) => h('span', { class: 'num' }, formatPermille(p));

/**
 * Each chart: `charts(data)` → [{id, title, option, table: {columns, rows}, csv: {header, rows}}].
 * A page may hold more than one chart (capacity: annual and daily).
 */
export const SPECS = {
  capacity(d) {
    const annual = d.rows.filter((r) => r.capacity_g > 0);
    const daily = d.rows.filter((r) => r.daily_capacity_g !== null);
    const cat = (r) => `${methodLabel(r)}\n${name(r)}`;
    const out = [{
      id: 'capacity-annual',
      title: t('dash.capacity.annual'),
      rows: annual,
      height: rowsHeight(annual.length),
      option: base({
        tooltip: { ...TIP, valueFormatter: tonnesTip },
        yAxis: { type: 'category', inverse: true, data: annual.map(cat), axisLabel: categoryLabel() },
        xAxis: { type: 'value', name: t('dash.tonnes_axis'), splitNumber: 4, axisLabel: { formatter: tonnesAxis, hideOverlap: true } },
        series: [
          // The permit behind, what was treated in front of it, the pro-rata share as a tick across.
          {
            id: 'capacity_g', name: t('dash.capacity_g'), type: 'bar', data: annual.map((r) => r.capacity_g),
            itemStyle: { color: '#e9dcb5' }, barMaxWidth: 36,
          },
          {
            id: 'treated_ytd_g', name: t('dash.treated_ytd'), type: 'bar', data: annual.map((r) => r.treated_ytd_g),
            itemStyle: { color: '#1f6f8b' }, barGap: '-100%', barMaxWidth: 36,
          },
          {
            id: 'prorated_capacity_g', name: t('dash.prorated'), type: 'line', data: annual.map((r) => r.prorated_capacity_g),
            symbol: 'rect', symbolSize: [3, 44], lineStyle: { width: 0 }, itemStyle: { color: '#b5473a' }, z: 5,
          },
        ],
      }),
      columns: [
        [t('dash.facility'), (r) => name(r)],
        [t('dash.method'), methodLabel],
        [t('dash.treated_ytd'), (r) => tonnesCell(r.treated_ytd_g)],
        [t('dash.capacity_g'), (r) => tonnesCell(r.capacity_g)],
        [t('dash.prorated'), (r) => tonnesCell(r.prorated_capacity_g)],
        [t('dash.utilisation'), (r) => pctCell(r.utilisation_permille)],
      ],
      csv: ['facility', 'method', 'treated_ytd_g', 'capacity_g', 'prorated_capacity_g', 'utilisation_permille'],
    }];
    if (daily.length) {
      out.push({
        id: 'capacity-daily',
        title: t('dash.capacity.daily'),
        rows: daily,
        height: rowsHeight(daily.length),
        option: base({
          tooltip: { ...TIP, valueFormatter: tonnesTip },
          yAxis: { type: 'category', inverse: true, data: daily.map(cat), axisLabel: categoryLabel() },
          xAxis: { type: 'value', name: t('dash.tonnes_axis'), splitNumber: 4, axisLabel: { formatter: (g) => String(g / 1e6), hideOverlap: true } },
          series: [
            { id: 'peak_day_g', name: t('dash.peak_day'), type: 'bar', data: daily.map((r) => r.peak_day_g), barMaxWidth: 36 },
            {
              id: 'daily_capacity_g', name: t('dash.daily_capacity'), type: 'line', data: daily.map((r) => r.daily_capacity_g),
              symbol: 'rect', symbolSize: [3, 44], lineStyle: { width: 0 }, itemStyle: { color: '#b5473a' }, z: 5,
            },
          ],
        }),
        columns: [
          [t('dash.facility'), (r) => name(r)],
          [t('dash.method'), methodLabel],
          [t('dash.daily_capacity'), (r) => tonnesCell(r.daily_capacity_g)],
          [t('dash.peak_day'), (r) => tonnesCell(r.peak_day_g)],
          [t('dash.peak_date'), (r) => r.peak_day || t('common.none')],
          [t('dash.days_over'), (r) => numCell(r.days_over_daily_capacity ?? 0)],
        ],
        csv: ['facility', 'method', 'daily_capacity_g', 'peak_day', 'peak_day_g', 'days_over_daily_capacity'],
      });
    }
    return out;
  },

  flows(d) {
    const m = d.months;
    const keys = [['generated_g', 'dash.generated'], ['received_g', 'dash.received'], ['treated_g', 'dash.treated']];
    return [{
      id: 'flows',
      title: t('dash.flows'),
      rows: m,
      option: base({
        tooltip: { ...TIP, valueFormatter: tonnesTip },
        xAxis: { type: 'category', data: m.map((x) => x.month) },
        yAxis: { type: 'value', name: t('dash.tonnes_axis'), axisLabel: { formatter: tonnesAxis } },
        series: keys.map(([k, label]) => ({ id: k, name: t(label), type: 'bar', barMaxWidth: 28, data: m.map((x) => x[k]) })),
      }),
      columns: [[t('dash.month'), (x) => x.month], ...keys.map(([k, label]) => [t(label), (x) => tonnesCell(x[k])])],
      csv: ['month', 'generated_g', 'received_g', 'treated_g'],
    }];
  },

  sankey(d) {
    const byId = new Map(d.nodes.map((n) => [n.id, n]));
    const nodeName = (id) => {
      const n = byId.get(id);
      if (!n) return id;
      if (n.stage === 'district') return districtName(n.key) || name(n);
      return name(n);
    };
    const depth = { district: 0, industry: 1, transporter: 2, waiting: 2, collection_point: 3, facility: 4, method: 5 };
    return [{
      id: 'sankey',
      title: t('dash.sankey'),
      rows: d.links,
      height: narrow() ? 640 : Math.max(420, Math.min(1200, d.nodes.length * 22)),
      option: {
        animation: false,
        color: PALETTE,
        tooltip: {
          ...TIP, trigger: 'item',
          formatter: (p) => (p.dataType === 'edge'
            ? `${nodeName(p.data.source)} → ${nodeName(p.data.target)}\n${formatTonnes(p.data.value)}`
            : `${nodeName(p.name)}\n${formatTonnes(p.value)}`),
        },
        series: [{
          id: 'sankey',
          type: 'sankey',
          // On a phone the stages run down the screen, each node's name beside it.
          ...(narrow()
            ? { orient: 'vertical', left: 8, right: 8, top: 8, bottom: 24, nodeGap: 18, nodeWidth: 14 }
            : { left: 8, right: 120, top: 8, bottom: 8, nodeGap: 6 }),
          emphasis: { focus: 'adjacency' },
          lineStyle: { color: 'gradient', opacity: 0.35 },
          label: narrow()
            ? { formatter: (p) => nodeName(p.name), fontSize: 10, position: 'bottom', overflow: 'truncate', width: 76 }
            : { formatter: (p) => nodeName(p.name), fontSize: 11, overflow: 'truncate', width: 110 },
          data: d.nodes.map((n) => ({ name: n.id, depth: depth[n.stage] ?? 0 })),
          links: d.links.map((l) => ({ source: l.source, target: l.target, value: l.mass_g })),
        }],
      },
      columns: [
        [t('dash.source'), (l) => [h('small', { class: 'muted block' }, t(`dash.stage.${byId.get(l.source)?.stage}`)), nodeName(l.source)]],
        [t('dash.target'), (l) => [h('small', { class: 'muted block' }, t(`dash.stage.${byId.get(l.target)?.stage}`)), nodeName(l.target)]],
        [t('dash.mass'), (l) => tonnesCell(l.mass_g)],
      ],
      csv: ['source', 'target', 'mass_g'],
    }];
  },

  rates(d) {
    const m = d.months;
    const series = [['industrial', 'dash.industrial'], ['medical', 'dash.medical']];
    return [{
      id: 'rates',
      title: t('dash.rates'),
      rows: m.map((x) => ({
        month: x.month,
        industrial_generated_g: x.industrial.generated_g,
        industrial_treated_g: x.industrial.treated_g,
        industrial_permille: x.industrial.disposal_permille,
        medical_generated_g: x.medical.generated_g,
        medical_treated_g: x.medical.treated_g,
        medical_permille: x.medical.disposal_permille,
      })),
      option: base({
        tooltip: { ...TIP, valueFormatter: (p) => formatPermille(p) },
        xAxis: { type: 'category', data: m.map((x) => x.month) },
        yAxis: { type: 'value', min: 0, max: (v) => Math.max(1000, v.max), axisLabel: { formatter: permilleAxis } },
        series: series.map(([k, label], i) => ({
          id: k, name: t(label), type: 'line', connectNulls: false, symbolSize: 7,
          data: m.map((x) => x[k].disposal_permille),
          markLine: i === 0 ? {
            silent: true, symbol: 'none', lineStyle: { color: '#b5473a', type: 'dashed' },
            label: { formatter: t('dash.target_line'), position: 'insideEndTop' },
            data: [{ yAxis: d.target_permille }],
          } : undefined,
        })),
      }),
      columns: [
        [t('dash.month'), (x) => x.month],
        ...series.flatMap(([k, label]) => [
          [`${t(label)} · ${t('dash.generated')}`, (x) => tonnesCell(x[`${k}_generated_g`])],
          [`${t(label)} · ${t('dash.treated')}`, (x) => tonnesCell(x[`${k}_treated_g`])],
          [t(label), (x) => pctCell(x[`${k}_permille`])],
        ]),
      ],
      csv: ['month', 'industrial_generated_g', 'industrial_treated_g', 'industrial_permille',
        'medical_generated_g', 'medical_treated_g', 'medical_permille'],
    }];
  },

  alerts(d) {
    const rules = d.rules;
    const rows = rules.map((r) => {
      const row = { rule: r.rule, name: lang() === 'en' ? r.rule_en : r.rule_zh, total: r.total };
      d.bands.forEach((b, i) => { row[`days_${b.key}`] = r.counts[i]; });
      return row;
    });
    return [{
      id: 'alerts',
      title: t('dash.alerts'),
      rows,
      option: base({
        xAxis: { type: 'category', data: rows.map((r) => r.name), axisLabel: { interval: 0, width: 90, overflow: 'break' } },
        yAxis: { type: 'value', minInterval: 1 },
        series: d.bands.map((b, i) => ({
          id: `days_${b.key}`, name: bandLabel(b), type: 'bar', stack: 'age', barMaxWidth: 64, data: rules.map((r) => r.counts[i]),
        })),
      }),
      columns: [
        [t('dash.rule'), (r) => r.name],
        ...d.bands.map((b) => [bandLabel(b), (r) => numCell(r[`days_${b.key}`])]),
        [t('dash.total'), (r) => numCell(r.total)],
      ],
      csv: ['rule', ...d.bands.map((b) => `days_${b.key}`), 'total'],
    }];
  },

  stock(d) {
    const lines = d.lines;
    const labels = d.bands.map(bandLabel);
    return [{
      id: 'stock',
      title: t('dash.stock'),
      rows: lines.map((l, i) => ({ ...l, label: labels[i] })),
      option: base({
        tooltip: { ...TIP, valueFormatter: tonnesTip },
        xAxis: { type: 'category', data: labels },
        yAxis: { type: 'value', name: t('dash.tonnes_axis'), axisLabel: { formatter: (g) => tonnes(g) } },
        series: [
          { id: 'industrial_g', name: t('dash.industrial_stock'), type: 'bar', stack: 'mass', barMaxWidth: 64, data: lines.map((l) => l.industrial_g) },
          { id: 'medical_g', name: t('dash.medical_stock'), type: 'bar', stack: 'mass', barMaxWidth: 64, data: lines.map((l) => l.medical_g) },
        ],
      }),
      columns: [
        [t('dash.band'), (l) => l.label],
        [`${t('dash.industrial_stock')} · ${t('dash.items')}`, (l) => numCell(l.industrial_items)],
        [`${t('dash.industrial_stock')} · ${t('dash.mass')}`, (l) => tonnesCell(l.industrial_g)],
        [`${t('dash.medical_stock')} · ${t('dash.items')}`, (l) => numCell(l.medical_items)],
        [`${t('dash.medical_stock')} · ${t('dash.mass')}`, (l) => tonnesCell(l.medical_g)],
      ],
      csv: ['band', 'industrial_items', 'industrial_g', 'medical_items', 'medical_g'],
    }];
  },
};

/** A text a spreadsheet would run as a formula (OWASP "CSV injection"), unless a plain number. */
const FORMULA = /^[=+\-@\t\r]/;
const NUMBER = /^[+-]?\d+(\.\d+)?$/;

/**
 * A CSV text (RFC 4180, CRLF) of `rows` with the raw values of `keys`; a cell that would start
 * a formula gets a leading `'`, as the server's CSV exports do (src/render/csv.rs).
 */
export function toCsv(keys, rows) {
  const cell = (v) => {
    const raw = v === null || v === undefined ? '' : String(v);
    const s = FORMULA.test(raw) && !NUMBER.test(raw) ? `'${raw}` : raw;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [keys, ...rows.map((r) => keys.map((k) => r[k]))].map((line) => line.map(cell).join(',')).join('\r\n') + '\r\n';
}
