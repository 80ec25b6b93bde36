// core/feedback.js: telling people what happened: the page's error box (#error) and notice
// line (#notice), and `busy()` for actions the user starts. An error shows a message in the
// UI language; its machine code is kept in `data-code` (for tests and support), never shown.

import { ApiError } from './api.js';
import { t, has, lang } from './i18n.js';
import { $, h } from './dom.js';

/** An error found in the browser (not by the server): `err.<code>` in the string tables. */
export function uiError(code, vars) {
  return { code, local: true, vars };
}

export function errorText(e) {
  if (e.local) return t(`err.${e.code}`, e.vars);
  if (e instanceof ApiError) {
    const server = lang() === 'zh' ? e.messageZh || e.messageEn : e.messageEn || e.messageZh;
    if (server) return server;
    if (e.status === 0) return t('err.network');
    return has(`err.${e.code}`) ? t(`err.${e.code}`) : t('err.http', { status: e.status });
  }
  return t('err.unexpected', { msg: e?.message || String(e) });
}

/** Shows `e` in `box` (an error element): its message, with its code in data-code. */
export function renderError(box, e, text = errorText(e)) {
  box.replaceChildren(h('span', { class: 'error-message' }, text));
  box.dataset.code = e.code || 'error';
  box.hidden = false;
}

export function showError(e) {
  if (e?.name === 'AbortError') return;
  if (!e?.local && !(e instanceof ApiError)) console.error(e);
  renderError($('#error'), e);
}

export function clearError() {
  const box = $('#error');
  box.hidden = true;
  box.replaceChildren();
  delete box.dataset.code;
}

export function notice(text) {
  $('#notice').textContent = text || '';
}

/** Runs an action started by the user: clears errors, marks the page busy, shows failures. */
export async function busy(promise) {
  const ready = document.body.dataset.ready;
  document.body.dataset.ready = '';
  clearError();
  try {
    return await promise;
  } catch (e) {
    showError(e);
  } finally {
    if (!document.body.dataset.ready) document.body.dataset.ready = ready;
  }
}
