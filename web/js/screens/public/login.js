// screens/public/login.js: logging in (#/login). After logging in the user goes back where the
// login was asked for (`?next=`), else to the user's home (core/roles.js).

import * as api from '../../core/api.js';
import { t, register } from '../../core/i18n.js';
import { $, h, field, submitButton } from '../../core/dom.js';
import { go } from '../../core/router.js';
import { state, loadOwnEnterprise } from '../../core/state.js';
import { renderError } from '../../core/feedback.js';
import { onSubmit } from '../../core/forms.js';
import { renderHeader } from '../../core/nav.js';
import { homeHref } from '../../core/roles.js';

register({
  zh: {
    'login.title': '登录',
    'login.username': '用户名',
    'login.password': '密码',
    'login.submit': '登录',
    'login.already': '当前已登录：{name}',
  },
  en: {
    'login.title': 'Log in',
    'login.username': 'Username',
    'login.password': 'Password',
    'login.submit': 'Log in',
    'login.already': 'Logged in as {name}',
  },
});

function loginView(ctx) {
  const next = ctx.query.get('next') || '';
  const err = h('div', { id: 'login-error', role: 'alert', class: 'error', hidden: true });
  const form = h('form', { id: 'login-form', class: 'stack narrow' },
    state.user && h('p', { class: 'muted' }, t('login.already', { name: state.user.display_name || state.user.username })),
    field({ id: 'login-user', name: 'username', label: t('login.username'), autocomplete: 'username', autocapitalize: 'none' }),
    field({ id: 'login-pass', name: 'password', type: 'password', label: t('login.password'), autocomplete: 'current-password' }),
    err,
    submitButton('login-form', t('login.submit')));
  onSubmit(form, async (v) => {
    err.hidden = true;
    try {
      const s = await api.login(v.username, v.password);
      state.user = s.user;
      await loadOwnEnterprise();
    } catch (e) {
      renderError(err, e);
      $('#login-pass').select();
      return;
    }
    renderHeader();
    await go(next.startsWith('#/') && !next.startsWith('#/login') ? next : homeHref());
  });
  return form;
}

export const routes = [
  { name: 'login', pattern: '/login', view: loginView, title: 'login.title' },
];
