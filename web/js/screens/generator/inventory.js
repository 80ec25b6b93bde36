// screens/generator/inventory.js: the store's state on the inventory (#/items), from the
// ledger answer (docs/field-api.md §6): the warnings (a store over its registered capacity,
// items stored past their age limit: medical waste 48 hours, other waste a year) with their
// basis, what is in store against each registered capacity, and each stored item's age.

import { t, register, formatMass, formatPermille, lang } from '../../core/i18n.js';
import { h, time } from '../../core/dom.js';
import { itemLink } from '../../core/links.js';

register({
  zh: {
    'inv.warnings': '贮存预警',
    'inv.warnings_n': '{n} 条',
    'inv.no_warnings': '没有超量或超期贮存。',
    'inv.more_warnings': '其余 {n} 条',
    'inv.not_listed': '另有 {n} 条未列出。',
    'inv.basis': '依据：{basis}',
    'inv.kind.over_quantity': '超量',
    'inv.kind.over_age': '超期',
    'inv.store': '贮存情况',
    'inv.in_store': '在库 {n} 件，共 {mass}',
    'inv.place': '贮存场所',
    'inv.whole_store': '整个贮存设施',
    'inv.capacity': '登记贮存能力',
    'inv.stored': '现贮存',
    'inv.used': '占用',
    'inv.over': '超量',
    'inv.no_capacity': '本单位尚未登记贮存能力，无法判断是否超量。',
    'inv.age': '{d} 天 {h} 小时',
    'inv.age_hours': '{h} 小时',
    'inv.over_age': '超期',
    'inv.limit': '期限 {at}',
    'inv.as_of': '截至',
  },
  en: {
    'inv.warnings': 'Storage warnings',
    'inv.warnings_n': '{n}',
    'inv.no_warnings': 'Nothing stored over capacity or past its age limit.',
    'inv.more_warnings': '{n} more',
    'inv.not_listed': '{n} more not listed.',
    'inv.basis': 'Basis: {basis}',
    'inv.kind.over_quantity': 'over capacity',
    'inv.kind.over_age': 'over age',
    'inv.store': 'In store',
    'inv.in_store': '{n} items in store, {mass}',
    'inv.place': 'Storage place',
    'inv.whole_store': 'The whole store',
    'inv.capacity': 'Registered capacity',
    'inv.stored': 'Stored',
    'inv.used': 'Used',
    'inv.over': 'over',
    'inv.no_capacity': 'No storage capacity is registered, so over-quantity cannot be judged.',
    'inv.age': '{d} d {h} h',
    'inv.age_hours': '{h} h',
    'inv.over_age': 'over age',
    'inv.limit': 'limit {at}',
    'inv.as_of': 'As of',
  },
});

/** Warnings shown at once; the rest fold away. */
const WARNINGS_SHOWN = 8;

const said = (w, base) => (lang() === 'en' ? w[`${base}_en`] || w[`${base}_zh`] : w[`${base}_zh`] || w[`${base}_en`]);

/** Hours as "d days h hours" (or hours alone under two days). */
export function ageText(hours) {
  if (hours < 48) return t('inv.age_hours', { h: hours });
  return t('inv.age', { d: Math.floor(hours / 24), h: hours % 24 });
}

/**
 * The storage age cell of an item: from the ledger when it lists the item (`aged`); else, for
 * an item stored at its generator, counted from its generation (the ledger's rule there).
 */
export function ageCell(item, aged, asOf) {
  let hours = aged?.storage_age_hours;
  if ((hours === null || hours === undefined) && item.state === 'stored' && asOf && !aged) {
    hours = Math.max(0, Math.floor((Date.parse(asOf) - Date.parse(item.generated_at)) / 3600000));
  }
  if (hours === null || hours === undefined || Number.isNaN(hours)) return t('common.none');
  const over = !!aged?.over_age;
  return h('span', {
    class: `age${over ? ' warn-text' : ''}`, dataset: { hours, overAge: over ? 'yes' : 'no' },
    title: aged?.age_limit_at ? t('inv.limit', { at: time(aged.age_limit_at).textContent }) : null,
  }, ageText(hours), over && [' ', h('span', { class: 'badge warn' }, t('inv.over_age'))]);
}

/** The server's words of a warning, its item's code in them a link to the item's page. */
function message(w) {
  const text = said(w, 'message');
  const at = w.item ? text.indexOf(w.item) : -1;
  if (at < 0) return [text, w.item && [' ', itemLink(w.item)]];
  return [text.slice(0, at), itemLink(w.item), text.slice(at + w.item.length)];
}

function warningItem(w) {
  return h('li', { dataset: { kind: w.kind, rule: w.rule, ...(w.item ? { item: w.item } : {}), ...(w.place ? { place: w.place } : {}) } },
    h('span', { class: 'badge warn' }, t(`inv.kind.${w.kind}`)), ' ',
    h('span', { class: 'warning-message' }, message(w)),
    h('small', { class: 'hint block' }, t('inv.basis', { basis: said(w, 'basis') })));
}

function warningsPanel(ledger) {
  const list = ledger.warnings || [];
  const total = ledger.warnings_total ?? list.length;
  const first = list.slice(0, WARNINGS_SHOWN);
  const rest = list.slice(WARNINGS_SHOWN);
  return h('section', { id: 'inventory-warnings', class: `panel${total ? ' warn-panel' : ''}`, dataset: { total } },
    h('h2', {}, t('inv.warnings'), total ? [' ', h('span', { class: 'badge warn' }, t('inv.warnings_n', { n: total }))] : null),
    total
      ? [h('ul', { class: 'warnings' }, first.map(warningItem)),
        rest.length > 0 && h('details', {}, h('summary', {}, t('inv.more_warnings', { n: rest.length })),
          h('ul', { class: 'warnings' }, rest.map(warningItem))),
        total > list.length && h('p', { class: 'hint' }, t('inv.not_listed', { n: total - list.length }))]
      : h('p', { class: 'muted', id: 'inventory-no-warnings' }, t('inv.no_warnings')));
}

function storagePanel(ledger) {
  const lines = ledger.storage || [];
  const cols = ['inv.place', 'inv.capacity', 'inv.stored', 'inv.used'];
  const table = lines.length
    ? h('div', { class: 'table-wrap' }, h('table', { id: 'inventory-capacities' },
      h('thead', {}, h('tr', {}, cols.map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', {}, lines.map((l) => h('tr', { dataset: { place: l.place ?? '', over: l.over ? 'yes' : 'no' } },
        [l.place || t('inv.whole_store'), h('span', { class: 'num' }, formatMass(l.capacity_g)),
          h('span', { class: 'num' }, formatMass(l.stored_g)),
          [h('span', { class: 'num' }, formatPermille(l.used_permille)), l.over && [' ', h('span', { class: 'badge warn' }, t('inv.over'))]]]
          .map((c, i) => h('td', { 'data-label': t(cols[i]) }, h('div', { class: 'cell' }, c))))))))
    : h('p', { class: 'hint', id: 'inventory-no-capacity' }, t('inv.no_capacity'));
  return h('section', { id: 'inventory-storage', class: 'panel', dataset: { items: ledger.in_store_items, grams: ledger.in_store_g } },
    h('h2', {}, t('inv.store')),
    h('p', { id: 'inventory-in-store' }, t('inv.in_store', { n: ledger.in_store_items, mass: formatMass(ledger.in_store_g) }),
      ' · ', h('span', { class: 'muted' }, t('inv.as_of'), ' ', time(ledger.as_of))),
    table);
}

/** The warnings and the store's use, side by side on wide screens. */
export function inventoryPanels(ledger) {
  return h('div', { class: 'inventory-panels' }, warningsPanel(ledger), storagePanel(ledger));
}
