// screens/shared/search.js: the results of the search box (#/search?q=..., core/search.js):
// items (#search-items, rows tr[data-code], each code a link to its item page), manifests
// (#search-manifests, tr[data-number], to the manifest page) and enterprises
// (#search-enterprises, tr[data-uscc], to the enterprise page), as GET /api/v1/search finds
// them among what the user may read. #search-results carries the query as taken (data-q)
// and how it was read (data-kind).

import * as api from '../../core/api.js';
import { t, register, formatMass } from '../../core/i18n.js';
import { h, dataTable, section } from '../../core/dom.js';
import { ensureRefs } from '../../core/state.js';
import { districtName, enterpriseRoleName, stateName } from '../../core/names.js';
import { itemLink, manifestLink } from '../../core/links.js';
import { searchForm } from '../../core/search.js';

register({
  zh: {
    'search.title': '搜索',
    'search.items': '物品',
    'search.manifests': '转移联单',
    'search.enterprises': '企业',
    'search.none': '没有找到“{q}”。只显示您有权查看的记录。',
    'search.found': '“{q}”：{items} 件物品，{manifests} 份联单，{enterprises} 家企业。',
    'search.truncated': '结果较多，只显示前 20 条；请输入更完整的编码或名称。',
    'search.kind.item_code': '按物品编码',
    'search.kind.manifest_number': '按联单编号',
    'search.kind.uscc': '按统一社会信用代码',
    'search.kind.code_prefix': '按编码开头',
    'search.kind.name': '按企业名称',
    'search.col.code': '物品编码',
    'search.col.waste': '废物',
    'search.col.mass': '重量',
    'search.col.state': '状态',
    'search.col.holder': '当前持有',
    'search.col.number': '联单编号',
    'search.col.issuer': '移出单位',
    'search.col.receiver': '接收单位',
    'search.col.date': '计划日期',
    'search.col.name': '名称',
    'search.col.uscc': '统一社会信用代码',
    'search.col.district': '区县',
    'search.col.roles': '角色',
    'search.hint': '输入物品编码、联单编号、企业名称或统一社会信用代码（也可只输入开头几位）。',
  },
  en: {
    'search.title': 'Search',
    'search.items': 'Items',
    'search.manifests': 'Manifests',
    'search.enterprises': 'Enterprises',
    'search.none': 'Nothing found for “{q}”. Only records you may read are shown.',
    'search.found': '“{q}”: {items} items, {manifests} manifests, {enterprises} enterprises.',
    'search.truncated': 'More matched; the first 20 of each are shown. Type more of the code or name.',
    'search.kind.item_code': 'by item code',
    'search.kind.manifest_number': 'by manifest number',
    'search.kind.uscc': 'by USCC',
    'search.kind.code_prefix': 'by the start of a code',
    'search.kind.name': 'by enterprise name',
    'search.col.code': 'Item code',
    'search.col.waste': 'Waste',
    'search.col.mass': 'Mass',
    'search.col.state': 'State',
    'search.col.holder': 'Held by',
    'search.col.number': 'Manifest no.',
    'search.col.issuer': 'From',
    'search.col.receiver': 'To',
    'search.col.date': 'Planned',
    'search.col.name': 'Name',
    'search.col.uscc': 'USCC',
    'search.col.district': 'District',
    'search.col.roles': 'Roles',
    'search.hint': 'Type an item code, a manifest number, an enterprise name or a USCC (or the start of a code).',
  },
});

export const enterpriseHref = (uscc) => `#/enterprises/${encodeURIComponent(uscc)}`;
const enterpriseLink = (uscc, name) =>
  h('a', { href: enterpriseHref(uscc), class: 'enterprise-link', dataset: { uscc } }, name || uscc);

async function searchView(ctx) {
  const q = (ctx.query.get('q') || '').trim();
  const form = searchForm('search-page', q);
  if (!q) return h('div', { id: 'search' }, form, h('p', { class: 'hint' }, t('search.hint')));
  await ensureRefs(ctx.signal);
  const r = await api.search(q, ctx.signal);
  const total = r.items.length + r.manifests.length + r.enterprises.length;
  const summary = total
    ? t('search.found', { q: r.q, items: r.items.length, manifests: r.manifests.length, enterprises: r.enterprises.length })
    : t('search.none', { q: r.q });
  return h('div', { id: 'search' }, form,
    h('div', { id: 'search-results', dataset: { q: r.q, kind: r.kind, total: String(total) } },
      h('p', { id: 'search-summary', role: 'status' }, summary, ' ',
        h('span', { class: 'muted small' }, `(${t(`search.kind.${r.kind}`)})`)),
      r.truncated && h('p', { class: 'hint' }, t('search.truncated')),
      r.items.length > 0 && section(t('search.items'), itemTable(r.items)),
      r.manifests.length > 0 && section(t('search.manifests'), manifestTable(r.manifests)),
      r.enterprises.length > 0 && section(t('search.enterprises'), enterpriseTable(r.enterprises))));
}

function itemTable(items) {
  return dataTable('search-items', [
    [t('search.col.code'), (i) => itemLink(i.code)],
    [t('search.col.waste'), (i) => [h('span', { class: 'mono' }, i.waste_code), ' ', i.waste_name]],
    [t('search.col.mass'), (i) => formatMass(i.mass_g)],
    [t('search.col.state'), (i) => stateName(i.state)],
    [t('search.col.holder'), (i) => enterpriseLink(i.holder, i.holder_name)],
  ], items, (i) => ({ code: i.code }));
}

function manifestTable(list) {
  return dataTable('search-manifests', [
    [t('search.col.number'), (m) => manifestLink(m.number)],
    [t('search.col.issuer'), (m) => enterpriseLink(m.issuer, m.issuer_name)],
    [t('search.col.receiver'), (m) => enterpriseLink(m.receiver, m.receiver_name)],
    [t('search.col.date'), (m) => m.planned_date],
  ], list, (m) => ({ number: m.number }));
}

function enterpriseTable(list) {
  return dataTable('search-enterprises', [
    [t('search.col.name'), (e) => enterpriseLink(e.uscc, e.name_zh)],
    [t('search.col.uscc'), (e) => h('span', { class: 'mono' }, e.uscc)],
    [t('search.col.district'), (e) => districtName(e.district)],
    [t('search.col.roles'), (e) => e.roles.map(enterpriseRoleName).join('、')],
  ], list, (e) => ({ uscc: e.uscc }));
}

export const routes = [
  { name: 'search', pattern: '/search', view: searchView, title: 'search.title', auth: true },
];
