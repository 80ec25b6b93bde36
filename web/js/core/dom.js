// core/dom.js: building the page. DOM is made only with h(): server text always becomes
// text nodes, never HTML. Also the small pieces every screen uses: labelled form fields,
// panels, tables that turn into cards on phones, times, options from the reference lists.

import { t, lang, pick, formatInt, formatTime, tonnes } from './i18n.js';
import { state } from './state.js';

export const $ = (sel) => document.querySelector(sel);

/**
 * h('a', {href, class, dataset: {...}, style, onclick}, ...children): children are Nodes or
 * text. `style` is set through the element's style object, which the Content-Security-Policy
 * allows (a `style` attribute it refuses: no inline styles, src/http/security.rs).
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') el.style.cssText = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

export const colon = () => (lang() === 'zh' ? '：' : ': ');
export const labelled = (key) => t(key) + colon();
export const time = (iso) => (iso ? h('time', { datetime: iso, title: iso }, formatTime(iso)) : t('common.none'));

/** <option>s of a reference list, optionally after a blank one. */
export function options(list, selected, blankLabel) {
  const opts = (state.refs?.[list] || []).map((x) =>
    h('option', { value: x.code, selected: x.code === selected }, pick(x)));
  return blankLabel === undefined ? opts : [h('option', { value: '' }, blankLabel), ...opts];
}

/**
 * A labelled form control. spec: {id, name, label, type, hint, options, ...attributes}. It
 * has a place for its error (`#<id>-error`, filled by forms.js) under the control.
 */
export function field({ label, hint, options: opts, type = 'text', ...attrs }) {
  const hintId = hint ? `${attrs.id}-hint` : null;
  const common = { ...attrs, 'aria-describedby': hintId };
  const control = type === 'select' ? h('select', common, opts)
    : type === 'textarea' ? h('textarea', common)
    : h('input', { type, ...common });
  return h('div', { class: 'field', dataset: { field: attrs.name || '' } },
    h('label', { for: attrs.id }, label),
    control,
    hint ? h('small', { id: hintId, class: 'hint' }, hint) : null);
}

export function section(title, ...children) {
  return h('section', { class: 'panel' }, h('h2', {}, title), ...children);
}

export function submitButton(formId, label) {
  return h('button', { type: 'submit', id: `${formId.replace(/-form$/, '')}-submit`, class: 'primary' }, label);
}

/** A table that turns into cards on phones; cols: [[label, item => content]]. */
export function dataTable(id, cols, items, rowData) {
  const head = h('thead', {}, h('tr', {}, cols.map(([label]) => h('th', { scope: 'col' }, label))));
  const rows = items.length
    ? items.map((it) => h('tr', { dataset: rowData(it) },
      cols.map(([label, cell]) => h('td', { 'data-label': label }, h('div', { class: 'cell' }, cell(it))))))
    : h('tr', { class: 'empty' }, h('td', { colspan: cols.length }, t('common.empty')));
  return h('div', { class: 'table-wrap' }, h('table', { id }, head, h('tbody', {}, rows)));
}

/** A screen that has nothing to show yet, saying so plainly (never a made-up list). */
export function emptyState(id, title, ...lines) {
  return h('section', { id, class: 'panel empty-state', dataset: { empty: 'yes' } },
    h('h2', {}, title), lines.map((l) => (l instanceof Node ? l : h('p', {}, l))));
}

/** The values of a form's named controls, trimmed. */
export function readForm(form) {
  const out = {};
  for (const [k, v] of new FormData(form)) out[k] = typeof v === 'string' ? v.trim() : v;
  return out;
}

/** Integer grams as tonnes (to the kilogram), the exact grams in the title. */
export const tonnesCell = (g) => h('span', { class: 'num', title: `${formatInt(g)} g` }, tonnes(g));

/** A figure's definition as the server words it (`definition_zh`, `definition_en`). */
export function definition(id, obj) {
  return h('p', { id, class: 'definition' }, h('strong', {}, labelled('common.definition')), pick(obj, 'definition'));
}
