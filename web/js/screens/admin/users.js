// screens/admin/users.js: user accounts (#/users, administrators only): the list and the form
// to add one.

import * as api from '../../core/api.js';
import { t, register, pick } from '../../core/i18n.js';
import { h, field, options, section, submitButton, dataTable, time } from '../../core/dom.js';
import { created } from '../../core/router.js';
import { ensureRefs } from '../../core/state.js';
import { onSubmit, refusalField, FieldErrors } from '../../core/forms.js';
import { errorText } from '../../core/feedback.js';
import { isAdmin } from '../../core/roles.js';
import { districtName, userRoleName } from '../../core/names.js';

register({
  zh: {
    'nav.users': '用户',
    'user.title': '用户',
    'user.username': '用户名',
    'user.password': '密码',
    'user.display_name': '显示名称',
    'user.role': '角色',
    'user.enterprise': '所属企业（统一社会信用代码）',
    'user.district': '区县',
    'user.add': '添加用户',
  },
  en: {
    'nav.users': 'Users',
    'user.title': 'Users',
    'user.username': 'Username',
    'user.password': 'Password',
    'user.display_name': 'Display name',
    'user.role': 'Role',
    'user.enterprise': 'Enterprise (USCC)',
    'user.district': 'District',
    'user.add': 'Add a user',
  },
});

async function usersView(ctx) {
  await ensureRefs(ctx.signal);
  const [{ users }, { enterprises }] = await Promise.all([
    api.users(ctx.signal),
    api.enterprises({}, ctx.signal).catch(() => ({ enterprises: [] })),
  ]);
  const table = dataTable('user-list', [
    [t('user.username'), (u) => h('span', { class: 'mono' }, u.username)],
    [t('user.display_name'), (u) => u.display_name],
    [t('user.role'), (u) => userRoleName(u.role)],
    [t('user.enterprise'), (u) => u.enterprise || t('common.none')],
    [t('user.district'), (u) => (u.district ? districtName(u.district) : t('common.none'))],
    [t('common.created_at'), (u) => time(u.created_at)],
  ], users, (u) => ({ username: u.username, role: u.role }));
  return h('div', {}, table, section(t('user.add'), userForm(enterprises)));
}

function userForm(enterprises) {
  const form = h('form', { id: 'user-form', class: 'stack' },
    field({ id: 'user-username', name: 'username', label: t('user.username'), autocapitalize: 'none', autocomplete: 'off' }),
    field({ id: 'user-password', name: 'password', type: 'password', label: t('user.password'), autocomplete: 'new-password' }),
    field({ id: 'user-display-name', name: 'display_name', label: t('user.display_name') }),
    field({ id: 'user-role', name: 'role', type: 'select', label: t('user.role'), options: options('user_roles', 'enterprise_clerk') }),
    field({ id: 'user-enterprise', name: 'enterprise', label: t('user.enterprise') + t('common.optional'), list: 'user-enterprise-options', class: 'mono' }),
    h('datalist', { id: 'user-enterprise-options' }, enterprises.map((e) => h('option', { value: e.uscc }, pick(e)))),
    field({ id: 'user-district', name: 'district', type: 'select', label: t('user.district') + t('common.optional'), options: options('districts', '', t('common.none')) }),
    submitButton('user-form', t('user.add')));
  return onSubmit(form, async (v) => {
    const body = { username: v.username, password: v.password, display_name: v.display_name, role: v.role };
    if (v.enterprise) body.enterprise = v.enterprise.toUpperCase();
    if (v.district) body.district = v.district;
    try {
      await api.createUser(body);
    } catch (e) {
      // The server says why a password or username is refused; it goes under that field.
      const onField = e instanceof api.ApiError && refusalField(form, e, { codes: USER_FIELDS, text: () => errorText(e) });
      if (onField) throw new FieldErrors([onField]);
      throw e;
    }
    await created();
  });
}

/** Refusals of a new user that concern one field. */
const USER_FIELDS = { weak_password: 'password', bad_username: 'username', username_taken: 'username' };

export const routes = [
  {
    name: 'users', pattern: '/users', view: usersView, title: 'user.title', auth: true, allow: isAdmin,
    nav: { label: 'nav.users', rank: 80, show: isAdmin },
  },
];
