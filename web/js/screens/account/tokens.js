// screens/account/tokens.js: the user's API tokens (#/tokens): the list, creating one (shown
// once, with a copy button) and deleting one.

import * as api from '../../core/api.js';
import { t, register } from '../../core/i18n.js';
import { h, field, section, submitButton, dataTable, time } from '../../core/dom.js';
import { state } from '../../core/state.js';
import { notice } from '../../core/feedback.js';
import { onSubmit, confirmButton } from '../../core/forms.js';

register({
  zh: {
    'nav.tokens': '令牌',
    'token.title': 'API 令牌',
    'token.name': '名称',
    'token.last_used': '最近使用',
    'token.never': '从未使用',
    'token.delete': '删除',
    'token.delete_confirm': '确认删除',
    'token.add': '新建令牌',
    'token.new': '新令牌',
    'token.once': '令牌只显示这一次，请立即复制并妥善保存。',
    'token.copy': '复制',
    'token.copied': '已复制',
    'token.copy_failed': '无法自动复制，请手动选中复制。',
  },
  en: {
    'nav.tokens': 'API tokens',
    'token.title': 'API tokens',
    'token.name': 'Name',
    'token.last_used': 'Last used',
    'token.never': 'Never',
    'token.delete': 'Delete',
    'token.delete_confirm': 'Confirm delete',
    'token.add': 'Create a token',
    'token.new': 'New token',
    'token.once': 'This token is shown only once. Copy it now and keep it safe.',
    'token.copy': 'Copy',
    'token.copied': 'Copied',
    'token.copy_failed': 'Could not copy automatically; select the token and copy it by hand.',
  },
});

async function tokensView(ctx) {
  const listBox = h('div', { id: 'token-list-box' });
  const newBox = h('div', { id: 'token-new', class: 'panel highlight', hidden: true });
  const refresh = async (signal) => {
    const { tokens } = await api.tokens(signal);
    listBox.replaceChildren(tokenTable(tokens, refresh));
  };
  await refresh(ctx.signal);
  const form = h('form', { id: 'token-form', class: 'inline-form' },
    field({ id: 'token-name', name: 'name', label: t('token.name'), autocomplete: 'off' }),
    submitButton('token-form', t('token.add')));
  onSubmit(form, async (v) => {
    const made = await api.createToken(v.name);
    showNewToken(newBox, made);
    form.reset();
    await refresh();
  });
  return h('div', {}, newBox, listBox, section(t('token.add'), form));
}

function tokenTable(tokens, refresh) {
  const del = (tok) => confirmButton({ 'data-action': 'delete', id: `token-delete-${tok.id}` },
    t('token.delete'), t('token.delete_confirm'),
    async () => { await api.deleteToken(tok.id); notice(t('common.deleted')); await refresh(); });
  return dataTable('token-list', [
    [t('token.name'), (k) => k.name],
    [t('common.created_at'), (k) => time(k.created_at)],
    [t('token.last_used'), (k) => (k.last_used_at ? time(k.last_used_at) : t('token.never'))],
    [t('common.actions'), del],
  ], tokens, (k) => ({ tokenId: k.id }));
}

/** Shows a freshly made token once, with a copy button. */
function showNewToken(box, made) {
  const value = h('input', { id: 'token-value', readonly: true, value: made.token, class: 'mono', 'aria-label': t('token.new'), 'data-token-id': made.id });
  const copied = h('span', { id: 'token-copy-status', role: 'status', class: 'hint' });
  const copy = h('button', { type: 'button', id: 'token-copy' }, t('token.copy'));
  copy.addEventListener('click', async () => {
    value.select();
    try {
      await navigator.clipboard.writeText(made.token);
      copied.textContent = t('token.copied');
    } catch {
      copied.textContent = document.execCommand?.('copy') ? t('token.copied') : t('token.copy_failed');
    }
  });
  box.replaceChildren(h('h2', {}, t('token.new'), ': ', made.name), h('p', {}, t('token.once')),
    h('div', { class: 'inline-form' }, value, copy), copied);
  box.hidden = false;
  value.focus();
  value.select();
}

export const routes = [
  {
    name: 'tokens', pattern: '/tokens', view: tokensView, title: 'token.title', auth: true,
    nav: { label: 'nav.tokens', rank: 90, show: () => !!state.user },
  },
];
