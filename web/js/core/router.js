// core/router.js: the hash router. A screen module exports `routes`: a list of
// `{name, pattern, view, title, auth?, allow?, nav?}`:
//   name     the route's name; `document.body.dataset.ready` is set to it once the view's data
//            is on screen (tests and people wait for it), and `data-route` on <body> while shown;
//   pattern  the hash path, '/items' or '/enterprises/:uscc/:tab(permits|vehicles)?' (a `:param`
//            is one segment, with an optional (regex) and an optional `?`);
//   view     async (ctx) => Node, ctx = {params (in order), args (by name), query, signal,
//            alive(), memo (kept while the same URL is re-rendered for a language switch)};
//   title    the string key of the page title;
//   auth     true when it needs a logged-in user (else the login page, then back here);
//   allow    () => bool, whether this user may open it (else a "forbidden" error);
//   nav      its entry in the navigation (see core/nav.js).
// app.js hands the routes of every screen to `setRoutes`.

import { t } from './i18n.js';
import { $, h } from './dom.js';
import { state, forgetUser } from './state.js';
import { clearError, notice, showError, uiError } from './feedback.js';
import { captureInputs, restoreInputs } from './forms.js';
import { loginHref, markNav, renderHeader } from './nav.js';

let routes = [];
let notFound = null;

/** Compiles a route pattern into a RegExp and its parameter names. */
function compile(pattern) {
  const names = [];
  if (pattern === '/') return { re: /^\/?$/, names };
  const body = pattern.split('/').filter(Boolean).map((seg) => {
    const m = /^:(\w+)(?:\(([^)]*)\))?(\?)?$/.exec(seg);
    if (!m) return `/${seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
    names.push(m[1]);
    const part = `/(${m[2] ? `(?:${m[2]})` : '[^/]+'})`;
    return m[3] ? `(?:${part})?` : part;
  }).join('');
  return { re: new RegExp(`^${body}$`), names };
}

/** Installs the app's routes (in matching order) and the route shown when none matches. */
export function setRoutes(list, fallback) {
  routes = list.map((r) => ({ ...r, ...compile(r.pattern) }));
  notFound = fallback;
}

/** The installed routes, in order. */
export const allRoutes = () => routes;

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const i = raw.indexOf('?');
  const path = i < 0 ? raw : raw.slice(0, i);
  return { path, query: new URLSearchParams(i < 0 ? '' : raw.slice(i + 1)) };
}

function matchRoute(path) {
  for (const r of routes) {
    const m = r.re.exec(path);
    if (m) {
      const params = m.slice(1).map((p) => (p ? decodeURIComponent(p) : p));
      return { route: r, params, args: Object.fromEntries(r.names.map((n, i) => [n, params[i]])) };
    }
  }
  return { route: notFound, params: [], args: {} };
}

/** Navigates to `hash` and renders it (even when it is the current one); resolves when rendered. */
export function go(hash, { replace = false } = {}) {
  if (location.hash !== hash) history[replace ? 'replaceState' : 'pushState'](null, '', hash);
  return route();
}

/** Changes the URL without rendering (a screen keeping its own state in the URL, say). */
export function replaceHash(hash) {
  history.replaceState(null, '', hash);
  routedHref = location.href;
}

export function setTitle(text) {
  $('#view-title').textContent = text;
  document.title = `${text} · hwtrace`;
}

let currentNav = null;
let routedHref = null;
let memo = { href: null, data: {} };

/** Links, back and forward: render unless this URL is the one already rendered. */
function onLocationChange() {
  if (location.href !== routedHref) route();
}

/** Starts following the URL. */
export function start() {
  window.addEventListener('hashchange', onLocationChange);
  window.addEventListener('popstate', onLocationChange);
}

/**
 * Renders the current URL. keepFocus: leave the focus where it is (a re-render after a save);
 * keepInput: the same page again (a language switch): what was typed is put back and the
 * view's ctx.memo is kept.
 */
export async function route({ keepFocus = false, keepInput = false } = {}) {
  const saved = keepInput ? captureInputs($('#view')) : null;
  if (!keepInput || memo.href !== location.href) memo = { href: location.href, data: {} };
  routedHref = location.href;
  currentNav?.abort();
  const nav = new AbortController();
  currentNav = nav;
  const { path, query } = parseHash();
  const { route: r, params, args } = matchRoute(path);
  const ctx = {
    params, args, query, memo: memo.data, signal: nav.signal,
    alive: () => currentNav === nav && !nav.signal.aborted,
  };
  document.body.dataset.ready = '';
  document.body.dataset.route = r.name;
  clearError();
  notice(state.flash);
  state.flash = null;
  markNav(r.name);
  setTitle(t(r.title));
  if (r.auth && !state.user) return go(loginHref(), { replace: true });
  if (!keepFocus) $('#view-title').focus({ preventScroll: true });
  await renderView(r, ctx, saved);
}

async function renderView(r, ctx, saved) {
  const view = $('#view');
  view.setAttribute('aria-busy', 'true');
  // Keep the old content for a moment: quick re-renders (after a save) then do not flicker.
  const slow = setTimeout(() => view.replaceChildren(h('p', { class: 'loading' }, t('app.loading'))), 200);
  ctx.signal.addEventListener('abort', () => clearTimeout(slow));
  let node = null;
  try {
    if (r.allow && !r.allow()) throw uiError('forbidden');
    node = await r.view(ctx);
  } catch (e) {
    if (!ctx.alive() || e?.name === 'AbortError') return;
    if (e?.status === 401 && r.auth) return sessionExpired();
    showError(e);
  }
  if (!ctx.alive()) return;
  clearTimeout(slow);
  view.replaceChildren(...(node ? [node] : []));
  if (saved) restoreInputs(view, saved);
  view.removeAttribute('aria-busy');
  document.body.dataset.ready = r.name;
}

/** After a successful write: re-render the view (ready is set again) with a notice. */
export function created(key = 'common.created') {
  state.flash = t(key);
  return route({ keepFocus: true });
}

function sessionExpired() {
  forgetUser();
  renderHeader();
  return go(loginHref(), { replace: true });
}
