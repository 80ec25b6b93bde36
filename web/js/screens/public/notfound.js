// screens/public/notfound.js: the page shown for a hash no route matches.

import { t, register } from '../../core/i18n.js';
import { h } from '../../core/dom.js';

register({
  zh: {
    'notfound.title': '页面不存在',
    'notfound.text': '没有这个页面。',
    'notfound.home': '返回首页',
  },
  en: {
    'notfound.title': 'Page not found',
    'notfound.text': 'There is no such page.',
    'notfound.home': 'Back to the home page',
  },
});

function notFoundView() {
  return h('div', {}, h('p', {}, t('notfound.text')), h('p', {}, h('a', { href: '#/' }, t('notfound.home'))));
}

/** The route the router falls back to. */
export const notFound = { name: 'notfound', pattern: null, view: notFoundView, title: 'notfound.title' };
