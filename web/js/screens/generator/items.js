// screens/generator/items.js: the inventory (#/items): the items the user may see, newest
// first, filtered by generation date and custody state, with label, verification and print
// links, each code linking to the item's page; a generator's users start here (it links to
// the registration form). For an enterprise's users it also shows, from the ledger (GET
// /enterprises/{uscc}/ledger), the storage warnings (over a registered capacity, stored past
// the age limit), what is in store against the registered capacities, and each stored item's
// storage age; selected stored items can go straight onto a new manifest.

import * as api from '../../core/api.js';
import { t, register, formatInt, formatMass } from '../../core/i18n.js';
import { h, field, readForm, time } from '../../core/dom.js';
import { go } from '../../core/router.js';
import { state, ensureRefs } from '../../core/state.js';
import { busy } from '../../core/feedback.js';
import { isEnterpriseUser, isGenerator } from '../../core/roles.js';
import { refCodes, stateName } from '../../core/names.js';
import { base32, b64ToBytes } from '../../core/bytes.js';
import { itemLink } from '../../core/links.js';
import * as records from '../../core/records.js';
import { inventoryPanels, ageCell } from './inventory.js';

register({
  zh: {
    'nav.items': '物品',
    'item.title': '物品',
    'item.new_link': '登记容器',
    'item.date': '产生日期',
    'item.state': '状态',
    'item.select': '选择',
    'item.select_all': '全选本页',
    'item.select_one': '选择 {code}',
    'item.code': '物品编码',
    'item.waste': '废物代码和名称',
    'item.mass': '净重',
    'item.generated_at': '产生时间',
    'item.print_selected': '打印所选标签',
    'item.selected': '已选 {n} 个',
    'item.too_many': '一次最多打印 {max} 个标签，请减少所选数量。',
    'item.verify': '验证',
    'item.more': '更多',
    'item.shown': '显示 {n} 个',
    'item.none': '没有符合条件的物品',
    'item.age': '贮存时长',
    'item.to_manifest': '用所选物品开立联单',
  },
  en: {
    'nav.items': 'Items',
    'item.title': 'Items',
    'item.new_link': 'Register a container',
    'item.date': 'Generated on',
    'item.state': 'State',
    'item.select': 'Select',
    'item.select_all': 'Select all on this page',
    'item.select_one': 'Select {code}',
    'item.code': 'Item code',
    'item.waste': 'Waste code and name',
    'item.mass': 'Net mass',
    'item.generated_at': 'Generated',
    'item.print_selected': 'Print selected labels',
    'item.selected': '{n} selected',
    'item.too_many': 'At most {max} labels can be printed at once; select fewer.',
    'item.verify': 'Verify',
    'item.more': 'More',
    'item.shown': '{n} shown',
    'item.none': 'No matching items',
    'item.age': 'Storage age',
    'item.to_manifest': 'Open a manifest with the selected items',
  },
});

const ITEMS_PAGE = 100;
export const MAX_SHEET_LABELS = 500;

/** The item's public verification page on this origin: /Q/<base32 of the 124 label bytes>. */
function verifyHref(item) {
  try {
    return item.label_b64 ? `/Q/${base32(b64ToBytes(item.label_b64))}` : null;
  } catch {
    return null;
  }
}

/** A custody state as a badge with its name; the code stays in data-state. */
export const stateBadge = (code) => h('span', { class: 'badge ok state', dataset: { state: code } }, stateName(code));

async function itemsView(ctx) {
  await ensureRefs(ctx.signal);
  const filters = { date: ctx.query.get('date') || '', state: ctx.query.get('state') || '' };
  const uscc = isEnterpriseUser() ? state.user.enterprise : null;
  const [{ items }, ledger] = await Promise.all([
    api.items({ ...filters, limit: ITEMS_PAGE }, ctx.signal),
    // The inventory's warnings and ages are a help: without them the list still shows.
    uscc ? records.ledger(uscc, ctx.signal).catch((e) => { if (e.name === 'AbortError') throw e; return null; }) : null,
  ]);
  const ages = new Map((ledger?.states || []).flatMap((g) => g.items).map((it) => [it.code, it]));
  const ageOf = (it) => ages.get(it.code) || null;

  const shown = [];
  const selected = new Set();
  const tbody = h('tbody', {});
  const selectAll = h('input', { type: 'checkbox', id: 'items-select-all', 'aria-label': t('item.select_all'), title: t('item.select_all') });
  const count = h('span', { id: 'items-count', class: 'muted', role: 'status' });
  const tooMany = h('p', { id: 'items-too-many', class: 'hint warn-text', hidden: true }, t('item.too_many', { max: MAX_SHEET_LABELS }));
  const print = h('a', { id: 'items-print', class: 'button primary', target: '_blank', rel: 'noopener' }, t('item.print_selected'));
  const more = h('button', { type: 'button', id: 'items-more' }, t('item.more'));
  const toManifest = isGenerator() && h('a', { id: 'items-to-manifest', class: 'button' }, t('item.to_manifest'));

  const update = () => {
    const codes = shown.map((it) => it.code).filter((c) => selected.has(c));
    count.textContent = [t('item.shown', { n: shown.length }), t('item.selected', { n: codes.length })].join(' · ');
    const printable = codes.length > 0 && codes.length <= MAX_SHEET_LABELS;
    if (printable) {
      print.href = api.sheetUrl(codes);
      print.removeAttribute('aria-disabled');
    } else {
      print.removeAttribute('href');
      print.setAttribute('aria-disabled', 'true');
    }
    print.dataset.count = String(codes.length);
    tooMany.hidden = codes.length <= MAX_SHEET_LABELS;
    if (toManifest) {
      const stored = shown.filter((it) => codes.includes(it.code) && it.state === 'stored' && !it.custody?.manifest);
      if (stored.length) {
        toManifest.href = `#/manifests/new?items=${stored.map((it) => it.code).join(',')}`;
        toManifest.removeAttribute('aria-disabled');
      } else {
        toManifest.removeAttribute('href');
        toManifest.setAttribute('aria-disabled', 'true');
      }
      toManifest.dataset.count = String(stored.length);
    }
    selectAll.checked = shown.length > 0 && codes.length === shown.length;
    selectAll.indeterminate = codes.length > 0 && codes.length < shown.length;
  };
  const toggle = (code, on) => {
    if (on) selected.add(code);
    else selected.delete(code);
    update();
  };
  const add = (list) => {
    if (!shown.length) tbody.replaceChildren();
    for (const it of list) {
      if (shown.some((s) => s.code === it.code)) continue;
      shown.push(it);
      tbody.append(itemRow(it, toggle, ageOf(it), ledger?.as_of));
    }
    if (!shown.length) tbody.replaceChildren(h('tr', { class: 'empty' }, h('td', { colspan: 8 }, t('item.none'))));
    more.hidden = list.length < ITEMS_PAGE;
    update();
  };

  selectAll.addEventListener('change', () => {
    for (const cb of tbody.querySelectorAll('input[data-select]')) {
      cb.checked = selectAll.checked;
      if (cb.checked) selected.add(cb.dataset.select);
      else selected.delete(cb.dataset.select);
    }
    update();
  });
  more.addEventListener('click', () => {
    if (!shown.length) return;
    more.disabled = true;
    const before = Math.min(...shown.map((it) => it.created_seq));
    busy(api.items({ ...filters, limit: ITEMS_PAGE, before }, ctx.signal).then((next) => add(next.items)))
      .finally(() => { more.disabled = false; });
  });
  add(items);

  const cols = ['', 'item.code', 'item.waste', 'item.mass', 'item.state', 'item.age', 'item.generated_at', 'common.actions'];
  const head = h('thead', {}, h('tr', {}, cols.map((key, i) =>
    h('th', { scope: 'col' }, i === 0 ? selectAll : t(key)))));
  return h('div', { id: 'items' },
    isEnterpriseUser() && h('p', { class: 'actions' },
      h('a', { id: 'items-new-link', class: 'button', href: '#/items/new' }, t('item.new_link'))),
    ledger && inventoryPanels(ledger),
    itemFilter(filters),
    h('div', { class: 'toolbar' }, print, toManifest, count, tooMany),
    h('div', { class: 'table-wrap' }, h('table', { id: 'item-list', class: 'items' }, head, tbody)),
    h('p', { class: 'actions' }, more));
}

function itemRow(it, toggle, aged, asOf) {
  const cb = h('input', {
    type: 'checkbox', dataset: { select: it.code }, 'aria-label': t('item.select_one', { code: it.code }),
  });
  cb.addEventListener('change', () => toggle(it.code, cb.checked));
  const verify = verifyHref(it);
  const cells = [
    [t('item.select'), cb],
    [t('item.code'), itemLink(it.code)],
    [t('item.waste'), [h('span', { class: 'mono' }, it.waste_code), ' ', h('span', {}, it.waste_name)]],
    [t('item.mass'), h('span', { class: 'num', title: `${formatInt(it.mass_g)} g` }, formatMass(it.mass_g))],
    [t('item.state'), stateBadge(it.state)],
    [t('item.age'), ageCell(it, aged, asOf)],
    [t('item.generated_at'), time(it.generated_at)],
    [t('common.actions'), h('span', { class: 'actions' },
      h('a', { href: api.labelUrl(it.code), target: '_blank', rel: 'noopener', dataset: { action: 'label' } }, t('common.label')),
      verify && h('a', { href: verify, target: '_blank', rel: 'noopener', dataset: { action: 'verify' } }, t('item.verify')))],
  ];
  return h('tr', { dataset: { code: it.code, seq: it.created_seq, state: it.state, ...(aged?.over_age ? { overAge: 'yes' } : {}) } },
    cells.map(([label, c]) => h('td', { 'data-label': label }, h('div', { class: 'cell' }, c))));
}

function itemFilter(f) {
  const states = refCodes('item_states').map((s) => h('option', { value: s, selected: s === f.state }, stateName(s)));
  const form = h('form', { id: 'items-filter', role: 'search', class: 'filters items-filters' },
    field({ id: 'items-date', name: 'date', type: 'date', label: t('item.date'), value: f.date }),
    field({ id: 'items-state', name: 'state', type: 'select', label: t('item.state'),
      options: [h('option', { value: '' }, t('common.all')), ...states] }),
    h('button', { type: 'submit', id: 'items-filter-submit' }, t('common.filter')));
  const apply = () => {
    const qs = new URLSearchParams(Object.entries(readForm(form)).filter(([, v]) => v)).toString();
    go(qs ? `#/items?${qs}` : '#/items');
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); apply(); });
  form.addEventListener('change', apply);
  return form;
}

export const routes = [
  {
    name: 'items', pattern: '/items', view: itemsView, title: 'item.title', auth: true,
    nav: { label: 'nav.items', rank: 30, main: true, show: () => !!state.user, also: ['items-new', 'item'] },
  },
];
