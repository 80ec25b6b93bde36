// core/search.js: the search box of every page (a logged-in user's): in the header's bar on
// wide screens (#header-search, input #header-search-q) and at the top of the phone's "more"
// sheet (#sheet-search, input #sheet-search-q). It takes an item code, a manifest number, an
// enterprise's name or its USCC and opens the results page (#/search?q=..., screens/shared/
// search.js), which asks GET /api/v1/search: the server finds only what the user may read.

import { t, register } from './i18n.js';
import { h } from './dom.js';

register({
  zh: {
    'search.label': '搜索',
    'search.placeholder': '物品编码、联单编号、企业名称或信用代码',
    'search.go': '搜索',
  },
  en: {
    'search.label': 'Search',
    'search.placeholder': 'Item code, manifest no., enterprise name or USCC',
    'search.go': 'Search',
  },
});

/** The hash of the results page for `q`. */
export const searchHref = (q) => `#/search?q=${encodeURIComponent(q.trim())}`;

/** A search form with ids `<id>` (the form) and `<id>-q` (its input), `q` filled in. */
export function searchForm(id, q = '') {
  const input = h('input', {
    id: `${id}-q`, name: 'q', type: 'search', value: q, enterkeyhint: 'search', autocomplete: 'off',
    placeholder: t('search.placeholder'), 'aria-label': t('search.label'), maxlength: 60, required: true,
  });
  const form = h('form', { id, class: 'search-form', role: 'search' },
    input, h('button', { type: 'submit', id: `${id}-go`, class: 'search-go' }, t('search.go')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    if (text) location.hash = searchHref(text);
  });
  return form;
}
