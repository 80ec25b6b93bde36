// screens/registry/enterprises.js: the enterprise register (#/enterprises): the list with its
// filter (an enterprise user sees only its own), and the administrator's form to add one.

import * as api from '../../core/api.js';
import { t, register, pick } from '../../core/i18n.js';
import { h, field, options, section, submitButton, dataTable, readForm } from '../../core/dom.js';
import { go } from '../../core/router.js';
import { state, ensureRefs } from '../../core/state.js';
import { onSubmit } from '../../core/forms.js';
import { isAdmin } from '../../core/roles.js';
import { districtName, enterpriseRoleName } from '../../core/names.js';

register({
  zh: {
    'nav.enterprises': '企业',
    'ent.title': '企业',
    'ent.q': '名称或统一社会信用代码',
    'ent.role': '角色',
    'ent.district': '区县',
    'ent.district_hint': '监管所属区县；省外企业可不选，按其统一社会信用代码归入所在省份',
    'ent.district_outside': '（省外企业：按代码所在省份）',
    'ent.province': '登记机关所在地',
    'ent.county_unknown': '（区划代码不在2023年区划表中）',
    'ent.name': '名称',
    'ent.uscc': '统一社会信用代码',
    'ent.roles': '角色',
    'ent.contact': '联系人',
    'ent.phone': '联系电话',
    'ent.address': '地址',
    'ent.name_zh': '中文名称',
    'ent.name_en': '英文名称',
    'ent.add': '添加企业',
    'ent.uscc_hint': '18 位：数字和大写字母（不含 I、O、S、V、Z）。',
    'ent.uscc_len': '长度应为 18 位（当前 {n} 位）。',
    'ent.uscc_chars': '含有不允许的字符。',
    'ent.uscc_check': '校验码不符，应为 {c}。',
    'ent.uscc_ok': '格式和校验码正确。',
  },
  en: {
    'nav.enterprises': 'Enterprises',
    'ent.title': 'Enterprises',
    'ent.q': 'Name or USCC',
    'ent.role': 'Role',
    'ent.district': 'District',
    'ent.district_hint': 'The supervising district; an enterprise registered in another province may leave it empty and is placed under its province by its code',
    'ent.district_outside': '(another province: by its code)',
    'ent.province': 'Registered in',
    'ent.county_unknown': '(division code not in the 2023 list)',
    'ent.name': 'Name',
    'ent.uscc': 'Unified social credit code (USCC)',
    'ent.roles': 'Roles',
    'ent.contact': 'Contact',
    'ent.phone': 'Phone',
    'ent.address': 'Address',
    'ent.name_zh': 'Chinese name',
    'ent.name_en': 'English name',
    'ent.add': 'Add an enterprise',
    'ent.uscc_hint': '18 characters: digits and capital letters except I, O, S, V, Z.',
    'ent.uscc_len': 'Must be 18 characters (now {n}).',
    'ent.uscc_chars': 'Contains characters that are not allowed.',
    'ent.uscc_check': 'Check character does not match; expected {c}.',
    'ent.uscc_ok': 'Format and check character are valid.',
  },
});

async function enterprisesView(ctx) {
  await ensureRefs(ctx.signal);
  const filters = Object.fromEntries(['q', 'role', 'district'].map((k) => [k, ctx.query.get(k) || '']));
  const { enterprises } = await api.enterprises(filters, ctx.signal);
  return h('div', {},
    enterpriseFilter(filters),
    enterpriseTable(enterprises),
    isAdmin() && section(t('ent.add'), enterpriseForm()));
}

function enterpriseFilter(f) {
  const form = h('form', { id: 'enterprise-filter', role: 'search', class: 'filters' },
    field({ id: 'enterprise-q', name: 'q', type: 'search', label: t('ent.q'), value: f.q }),
    field({ id: 'enterprise-role', name: 'role', type: 'select', label: t('ent.role'), options: options('enterprise_roles', f.role, t('common.all')) }),
    field({ id: 'enterprise-district', name: 'district', type: 'select', label: t('ent.district'), options: options('districts', f.district, t('common.all')) }),
    h('button', { type: 'submit', id: 'enterprise-filter-submit' }, t('common.filter')));
  const apply = () => {
    const qs = new URLSearchParams(Object.entries(readForm(form)).filter(([, v]) => v)).toString();
    go(qs ? `#/enterprises?${qs}` : '#/enterprises');
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); apply(); });
  form.addEventListener('change', (ev) => { if (ev.target.tagName === 'SELECT') apply(); });
  return form;
}

function enterpriseTable(list) {
  const link = (e) => h('a', { href: `#/enterprises/${encodeURIComponent(e.uscc)}` }, pick(e));
  return dataTable('enterprise-list', [
    [t('ent.name'), link],
    [t('ent.uscc'), (e) => h('span', { class: 'mono' }, e.uscc)],
    [t('ent.roles'), (e) => roleChips(e.roles)],
    [t('ent.district'), (e) => districtName(e.district)],
    [t('ent.contact'), (e) => [e.contact_name, ' ', h('span', { class: 'muted' }, e.contact_phone)]],
  ], list, (e) => ({ uscc: e.uscc }));
}

/** An enterprise's roles as named chips. */
export const roleChips = (roles) =>
  h('span', { class: 'chips' }, (roles || []).map((r) => h('span', { class: 'chip static', dataset: { role: r } }, enterpriseRoleName(r))));

// USCC (GB 32100-2015): 17 characters and a check character, alphabet without I O S V Z.
const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** A hint about a USCC, or null if it looks valid. Only a hint: the server decides. */
function usccProblem(s) {
  if (s.length !== 18) return t('ent.uscc_len', { n: s.length });
  if ([...s].some((c) => !USCC_CHARS.includes(c))) return t('ent.uscc_chars');
  const sum = USCC_WEIGHTS.reduce((acc, w, i) => acc + w * USCC_CHARS.indexOf(s[i]), 0);
  const check = USCC_CHARS[(31 - (sum % 31)) % 31];
  return s[17] === check ? null : t('ent.uscc_check', { c: check });
}

function usccField(id, name, label) {
  const wrap = field({ id, name, label, hint: t('ent.uscc_hint'), autocapitalize: 'characters', spellcheck: 'false', maxlength: 18, class: 'mono' });
  const input = wrap.querySelector('input');
  const hint = wrap.querySelector('.hint');
  input.addEventListener('input', () => {
    const s = input.value.trim().toUpperCase();
    const problem = s ? usccProblem(s) : null;
    hint.textContent = !s ? t('ent.uscc_hint') : problem || t('ent.uscc_ok');
    if (problem) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  });
  return wrap;
}

function enterpriseForm() {
  const roles = (state.refs?.enterprise_roles || []).map((r) =>
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'roles', value: r.code, id: `ent-role-${r.code}` }), pick(r)));
  const uscc = usccField('ent-uscc', 'uscc', t('ent.uscc'));
  const form = h('form', { id: 'enterprise-form', class: 'stack' },
    uscc,
    field({ id: 'ent-name-zh', name: 'name_zh', label: t('ent.name_zh') }),
    field({ id: 'ent-name-en', name: 'name_en', label: t('ent.name_en') + t('common.optional') }),
    h('fieldset', { id: 'ent-roles' }, h('legend', {}, t('ent.roles')), roles),
    field({ id: 'ent-district', name: 'district', type: 'select', label: t('ent.district'), hint: t('ent.district_hint'),
      options: options('districts', 'wansheng', t('ent.district_outside')) }),
    field({ id: 'ent-address', name: 'address', label: t('ent.address') }),
    field({ id: 'ent-contact-name', name: 'contact_name', label: t('ent.contact') }),
    field({ id: 'ent-contact-phone', name: 'contact_phone', type: 'tel', label: t('ent.phone') }),
    submitButton('enterprise-form', t('ent.add')));
  // The USCC's hint again, in the new language, after a language switch.
  form.addEventListener('hw:restored', () => uscc.querySelector('input').dispatchEvent(new Event('input')));
  return onSubmit(form, async (v) => {
    const body = { ...v, uscc: v.uscc.toUpperCase(), name_en: v.name_en || null, roles: new FormData(form).getAll('roles') };
    if (!body.district) delete body.district;
    const made = await api.createEnterprise(body);
    state.flash = t('common.created');
    await go(`#/enterprises/${encodeURIComponent(made?.uscc || body.uscc)}`);
  });
}

export const routes = [
  {
    name: 'enterprises', pattern: '/enterprises', view: enterprisesView, title: 'ent.title', auth: true,
    nav: { label: 'nav.enterprises', rank: 20, main: true, show: () => !!state.user, also: ['enterprise'] },
  },
];
