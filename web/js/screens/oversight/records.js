// screens/oversight/records.js: an enterprise's records as files, on its page (#/enterprises/
// <uscc>, registry/enterprise.js): its manifests in the app (#/manifests?party=<uscc>), the
// HJ 1259 management ledger for a period (CSV or XLSX, GET /api/v1/enterprises/{uscc}/hj1259)
// and the periodic reports of a year (CSV, .../reports). For the enterprise's users, the
// district's regulators and administrators: the server checks who may read them. And the
// EPCIS export of the log for a period (GET /api/v1/export/epcis?since=&until=), for
// regulators and administrators, on the manifest list.

import { t, register, todayCst } from '../../core/i18n.js';
import { h, field, section } from '../../core/dom.js';

register({
  zh: {
    'rec.title': '台账与报表',
    'rec.from': '自',
    'rec.to': '至',
    'rec.year': '年度',
    'rec.manifests': '查看本单位转移联单',
    'rec.ledger_csv': '管理台账（HJ 1259）CSV',
    'rec.ledger_xlsx': '管理台账（HJ 1259）Excel',
    'rec.reports_csv': '年度申报报表 CSV',
    'rec.hint': '台账按所选期间导出；申报报表按年度，按管理类别分月、季或年。',
    'rec.epcis_title': 'EPCIS 导出',
    'rec.epcis': '下载 EPCIS 2.0 文件',
    'rec.epcis_hint': '所选期间写入日志的交接事件（每次最多 10,000 个日志条目，文件中的 hwtrace:next 为续传起点）。',
  },
  en: {
    'rec.title': 'Ledger and reports',
    'rec.from': 'From',
    'rec.to': 'To',
    'rec.year': 'Year',
    'rec.manifests': 'This enterprise\'s manifests',
    'rec.ledger_csv': 'HJ 1259 ledger, CSV',
    'rec.ledger_xlsx': 'HJ 1259 ledger, Excel',
    'rec.reports_csv': 'Periodic reports of the year, CSV',
    'rec.hint': 'The ledger covers the chosen period; the reports the year, by month, quarter or year as the unit\'s class requires.',
    'rec.epcis_title': 'EPCIS export',
    'rec.epcis': 'Download the EPCIS 2.0 document',
    'rec.epcis_hint': 'The custody events logged in the period (at most 10,000 log entries a file; its hwtrace:next says where to go on).',
  },
});

const q = (params) => new URLSearchParams(params).toString();

/** The enterprise's ledger and report downloads, following the chosen period. */
export function recordsPanel(uscc) {
  const today = todayCst();
  const from = field({ id: 'records-from', name: 'from', type: 'date', label: t('rec.from'), value: `${today.slice(0, 4)}-01-01` });
  const to = field({ id: 'records-to', name: 'to', type: 'date', label: t('rec.to'), value: today });
  const base = `/api/v1/enterprises/${encodeURIComponent(uscc)}`;
  const link = (id, key) => h('a', { id, class: 'button', download: '' }, t(key));
  const ledgerCsv = link('ledger-csv', 'rec.ledger_csv');
  const ledgerXlsx = link('ledger-xlsx', 'rec.ledger_xlsx');
  const reportsCsv = link('reports-csv', 'rec.reports_csv');
  const update = () => {
    const f = from.querySelector('input').value;
    const tt = to.querySelector('input').value;
    ledgerCsv.href = `${base}/hj1259?${q({ from: f, to: tt, format: 'csv', lang: 'both' })}`;
    ledgerXlsx.href = `${base}/hj1259?${q({ from: f, to: tt, format: 'xlsx' })}`;
    reportsCsv.href = `${base}/reports?${q({ year: (tt || today).slice(0, 4), format: 'csv', lang: 'both' })}`;
  };
  from.addEventListener('input', update);
  to.addEventListener('input', update);
  update();
  return h('div', { id: 'records-panel' }, section(t('rec.title'),
    h('p', {}, h('a', { id: 'records-manifests', href: `#/manifests?party=${encodeURIComponent(uscc)}` }, t('rec.manifests'))),
    h('div', { class: 'filters' }, from, to),
    h('p', { class: 'toolbar records-links' }, ledgerCsv, ' ', ledgerXlsx, ' ', reportsCsv),
    h('p', { class: 'hint' }, t('rec.hint'))));
}

/** The EPCIS export of the log for a period (regulators and administrators). */
export function epcisPanel() {
  const today = todayCst();
  const since = field({ id: 'epcis-since', name: 'since', type: 'date', label: t('rec.from'), value: today.slice(0, 8) + '01' });
  const until = field({ id: 'epcis-until', name: 'until', type: 'date', label: t('rec.to'), value: today });
  const a = h('a', { id: 'epcis-download', class: 'button', download: '' }, t('rec.epcis'));
  const update = () => {
    a.href = `/api/v1/export/epcis?${q({ since: since.querySelector('input').value, until: until.querySelector('input').value })}`;
  };
  since.addEventListener('input', update);
  until.addEventListener('input', update);
  update();
  return h('div', { id: 'epcis-panel' }, section(t('rec.epcis_title'),
    h('div', { class: 'filters' }, since, until), h('p', {}, a), h('p', { class: 'hint' }, t('rec.epcis_hint'))));
}
