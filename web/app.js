// app.js: hash router and views of the hwtrace web app.
// Every view is an async function (ctx) → Node. The router shows it in #view, and
// when it has rendered sets document.body.dataset.ready to the route's name, so
// tests (and people) know the data is on screen. DOM is built only with h(): server
// text always becomes text nodes, never HTML.

import * as api from './api.js';
import {
  t, has, lang, setLang, applyLang, pick, formatTime, formatInt, formatMass, parseMass, todayCst,
  tonnes, formatTonnes, formatPermille, formatLitresAsM3,
} from './i18n.js';

// own: the user's enterprise (roles decide which links an enterprise user gets), or null.
const state = { user: null, own: null, refs: null, flash: null };
const $ = (sel) => document.querySelector(sel);

// ---------------------------------------------------------------- DOM helpers

/** h('a', {href, class, dataset: {...}, onclick}, ...children): children are Nodes or text. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

const colon = () => (lang() === 'zh' ? '：' : ': ');
const labelled = (key) => t(key) + colon();
const time = (iso) => (iso ? h('time', { datetime: iso, title: iso }, formatTime(iso)) : t('common.none'));

function refName(list, code) {
  const item = state.refs?.[list]?.find((x) => x.code === code);
  return item ? pick(item) : code;
}

function options(list, selected, blankLabel) {
  const opts = (state.refs?.[list] || []).map((x) =>
    h('option', { value: x.code, selected: x.code === selected }, pick(x)));
  return blankLabel === undefined ? opts : [h('option', { value: '' }, blankLabel), ...opts];
}

/** A labelled form control. spec: {id, name, label, type, hint, options, ...attributes}. */
function field({ label, hint, options: opts, type = 'text', ...attrs }) {
  const hintId = hint ? `${attrs.id}-hint` : null;
  const common = { ...attrs, 'aria-describedby': hintId };
  const control = type === 'select' ? h('select', common, opts)
    : type === 'textarea' ? h('textarea', common)
    : h('input', { type, ...common });
  return h('div', { class: 'field' },
    h('label', { for: attrs.id }, label),
    control,
    hint ? h('small', { id: hintId, class: 'hint' }, hint) : null);
}

function section(title, ...children) {
  return h('section', { class: 'panel' }, h('h2', {}, title), ...children);
}

function submitButton(formId, label) {
  return h('button', { type: 'submit', id: `${formId.replace(/-form$/, '')}-submit`, class: 'primary' }, label);
}

/** A table that turns into cards on phones; cols: [[label, item => content]]. */
function dataTable(id, cols, items, rowData) {
  const head = h('thead', {}, h('tr', {}, cols.map(([label]) => h('th', { scope: 'col' }, label))));
  const rows = items.length
    ? items.map((it) => h('tr', { dataset: rowData(it) },
      cols.map(([label, cell]) => h('td', { 'data-label': label }, h('div', { class: 'cell' }, cell(it))))))
    : h('tr', { class: 'empty' }, h('td', { colspan: cols.length }, t('common.empty')));
  return h('div', { class: 'table-wrap' }, h('table', { id }, head, h('tbody', {}, rows)));
}

/** A button that asks once more ("confirm …") before running a destructive action. */
function confirmButton(attrs, label, confirmLabel, action) {
  const btn = h('button', { type: 'button', class: 'danger', ...attrs }, label);
  btn.addEventListener('click', () => {
    if (btn.dataset.confirm !== 'yes') {
      btn.dataset.confirm = 'yes';
      btn.textContent = confirmLabel;
      return;
    }
    btn.disabled = true;
    busy(action()).finally(() => { btn.disabled = false; });
  });
  return btn;
}

function readForm(form) {
  const out = {};
  for (const [k, v] of new FormData(form)) out[k] = typeof v === 'string' ? v.trim() : v;
  return out;
}

// ---------------------------------------------------------------- errors and notices

function uiError(code, vars) {
  return { code, local: true, vars };
}

function errorText(e) {
  if (e.local) return t(`err.${e.code}`, e.vars);
  if (e instanceof api.ApiError) {
    const server = lang() === 'zh' ? e.messageZh || e.messageEn : e.messageEn || e.messageZh;
    if (server) return server;
    if (e.status === 0) return t('err.network');
    return has(`err.${e.code}`) ? t(`err.${e.code}`) : t('err.http', { status: e.status });
  }
  return t('err.unexpected', { msg: e?.message || String(e) });
}

function renderError(box, e) {
  box.replaceChildren(
    h('span', { class: 'error-message' }, errorText(e)), ' ',
    h('code', { class: 'error-code' }, e.code || 'error'));
  box.dataset.code = e.code || 'error';
  box.hidden = false;
}

function showError(e) {
  if (e?.name === 'AbortError') return;
  if (!e?.local && !(e instanceof api.ApiError)) console.error(e);
  renderError($('#error'), e);
}

function clearError() {
  const box = $('#error');
  box.hidden = true;
  box.replaceChildren();
  delete box.dataset.code;
}

function notice(text) {
  $('#notice').textContent = text || '';
}

/** Runs an action started by the user: clears errors, marks the page busy, shows failures. */
async function busy(promise) {
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

/** Submits a form through `action(values)`; errors go to #error, never blocked client-side. */
function onSubmit(form, action) {
  form.noValidate = true;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const btn = form.querySelector('[type=submit]');
    if (btn) btn.disabled = true;
    notice('');
    busy(Promise.resolve().then(() => action(readForm(form))))
      .finally(() => { if (btn) btn.disabled = false; });
  });
  return form;
}

// ---------------------------------------------------------------- session and permissions

const isAdmin = () => state.user?.role === 'admin';
/** Regulators and administrators: alerts, district indicators, every facility's reconciliation. */
const canOversee = () => isAdmin() || state.user?.role === 'regulator';
/** The USCC of the user's own enterprise when it is a treatment facility or collection point, else null. */
const ownFacility = () => (['facility', 'collection_point'].some((r) => state.own?.roles?.includes(r)) ? state.own.uscc : null);

/** Loads the user's own enterprise (for its roles); never fails the caller. */
async function loadOwnEnterprise() {
  state.own = null;
  const uscc = state.user?.enterprise;
  if (!uscc) return;
  try {
    state.own = await api.enterprise(uscc);
  } catch {
    state.own = null;
  }
}

/** May the user add records of `kind` to enterprise `uscc`? The server checks again. */
function canWrite(kind, uscc) {
  if (isAdmin()) return true;
  return kind !== 'permits' && state.user?.role === 'enterprise_admin' && state.user.enterprise === uscc;
}

async function ensureRefs(signal) {
  if (!state.refs) state.refs = await api.reference(signal);
  return state.refs;
}

async function doLogout() {
  const ok = await busy(api.logout().then(() => true, (e) => { if (e.status === 401) return true; throw e; }));
  if (!ok) return;
  state.user = null;
  state.own = null;
  renderHeader();
  go('#/');
}

// ---------------------------------------------------------------- header

function navLink(id, href, key) {
  return h('a', { id, href, 'data-route': href.slice(2).split(/[/?]/)[0] || 'home' }, t(key));
}

function renderHeader() {
  const u = state.user;
  $('#brand-tagline').textContent = t('app.tagline');
  $('#skip-link').textContent = t('app.skip');
  $('#nav').setAttribute('aria-label', t('app.nav'));
  $('#nav').replaceChildren(...[
    navLink('nav-home', '#/', 'nav.home'),
    navLink('nav-catalogue', '#/catalogue', 'nav.catalogue'),
    u && navLink('nav-enterprises', '#/enterprises', 'nav.enterprises'),
    u && navLink('nav-items', '#/items', 'nav.items'),
    canOversee() && navLink('nav-alerts', '#/alerts', 'nav.alerts'),
    canOversee() && navLink('nav-indicators', '#/indicators', 'nav.indicators'),
    canOversee() && navLink('nav-facilities', '#/facilities', 'nav.facilities'),
    ownFacility() && navLink('nav-my-facility', `#/facilities/${encodeURIComponent(ownFacility())}`, 'nav.my_facility'),
    isAdmin() && navLink('nav-users', '#/users', 'nav.users'),
    u && navLink('nav-tokens', '#/tokens', 'nav.tokens'),
  ].filter(Boolean));
  renderWhoami(u);
  const toggle = $('#lang-toggle');
  toggle.textContent = t('lang.toggle');
  toggle.title = t('lang.toggle_title');
  toggle.lang = lang() === 'zh' ? 'en' : 'zh-CN';
  toggle.dataset.lang = lang();
  $('#footer-note').textContent = t('app.times_note');
  $('#footer-public').textContent = t('footer.public');
}

function renderWhoami(u) {
  const who = $('#whoami');
  const logout = $('#logout');
  logout.hidden = !u;
  logout.textContent = t('nav.logout');
  if (!u) {
    delete who.dataset.username;
    delete who.dataset.role;
    const link = h('a', { id: 'login-link', href: '#/login' }, t('nav.login'));
    link.addEventListener('click', (ev) => { ev.preventDefault(); go(loginHref()); });
    who.replaceChildren(link);
    return;
  }
  Object.assign(who.dataset, { username: u.username, role: u.role });
  who.replaceChildren(
    h('span', { class: 'who-name' }, u.display_name || u.username),
    h('span', { class: 'who-role' }, refName('user_roles', u.role)));
}

function markNav(name) {
  for (const a of document.querySelectorAll('#nav a')) {
    const here = a.dataset.route === name || (name === 'enterprise' && a.dataset.route === 'enterprises')
      || (name === 'items-new' && a.dataset.route === 'items')
      || (name === 'facility' && a.dataset.route === 'facilities');
    if (here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

// ---------------------------------------------------------------- router

const routes = [
  { name: 'home', re: /^\/?$/, view: homeView, title: 'home.title' },
  { name: 'catalogue', re: /^\/catalogue$/, view: catalogueView, title: 'catalogue.title' },
  { name: 'login', re: /^\/login$/, view: loginView, title: 'login.title' },
  { name: 'enterprises', re: /^\/enterprises$/, view: enterprisesView, title: 'ent.title', auth: true },
  {
    name: 'enterprise', re: /^\/enterprises\/([^/]+)(?:\/(permits|vehicles|drivers|devices))?$/,
    view: enterpriseView, title: 'ent.title', auth: true,
  },
  { name: 'items', re: /^\/items$/, view: itemsView, title: 'item.title', auth: true },
  { name: 'items-new', re: /^\/items\/new$/, view: itemNewView, title: 'gen.title', auth: true },
  { name: 'alerts', re: /^\/alerts$/, view: alertsView, title: 'alert.title', auth: true },
  { name: 'indicators', re: /^\/indicators$/, view: indicatorsView, title: 'ind.title', auth: true },
  { name: 'facilities', re: /^\/facilities$/, view: facilitiesView, title: 'fac.title', auth: true },
  { name: 'facility', re: /^\/facilities\/([^/]+)$/, view: facilityView, title: 'fac.title', auth: true },
  { name: 'users', re: /^\/users$/, view: usersView, title: 'user.title', auth: true, admin: true },
  { name: 'tokens', re: /^\/tokens$/, view: tokensView, title: 'token.title', auth: true },
];
const notFound = { name: 'notfound', view: notFoundView, title: 'notfound.title' };

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const i = raw.indexOf('?');
  const path = i < 0 ? raw : raw.slice(0, i);
  return { path, query: new URLSearchParams(i < 0 ? '' : raw.slice(i + 1)) };
}

function matchRoute(path) {
  for (const r of routes) {
    const m = r.re.exec(path);
    if (m) return { route: r, params: m.slice(1).map((p) => (p ? decodeURIComponent(p) : p)) };
  }
  return { route: notFound, params: [] };
}

/** Navigates to `hash` and renders it (even when it is the current one); resolves when rendered. */
function go(hash, { replace = false } = {}) {
  if (location.hash !== hash) history[replace ? 'replaceState' : 'pushState'](null, '', hash);
  return route();
}

/** Links, back and forward: render unless this URL is the one already rendered. */
function onLocationChange() {
  if (location.href !== routedHref) route();
}

function loginHref() {
  const here = location.hash;
  return here && !here.startsWith('#/login') && here !== '#/' ? `#/login?next=${encodeURIComponent(here)}` : '#/login';
}

function setTitle(text) {
  $('#view-title').textContent = text;
  document.title = `${text} · hwtrace`;
}

let currentNav = null;
let routedHref = null;

async function route({ keepFocus = false } = {}) {
  routedHref = location.href;
  currentNav?.abort();
  const nav = new AbortController();
  currentNav = nav;
  const { path, query } = parseHash();
  const { route: r, params } = matchRoute(path);
  const ctx = { params, query, signal: nav.signal, alive: () => currentNav === nav && !nav.signal.aborted };
  document.body.dataset.ready = '';
  document.body.dataset.route = r.name;
  clearError();
  notice(state.flash);
  state.flash = null;
  markNav(r.name);
  setTitle(t(r.title));
  if (r.auth && !state.user) return go(loginHref(), { replace: true });
  if (!keepFocus) $('#view-title').focus({ preventScroll: true });
  await renderView(r, ctx);
}

async function renderView(r, ctx) {
  const view = $('#view');
  view.setAttribute('aria-busy', 'true');
  // Keep the old content for a moment: quick re-renders (after a save) then do not flicker.
  const slow = setTimeout(() => view.replaceChildren(h('p', { class: 'loading' }, t('app.loading'))), 200);
  ctx.signal.addEventListener('abort', () => clearTimeout(slow));
  let node = null;
  try {
    if (r.admin && !isAdmin()) throw uiError('forbidden');
    node = await r.view(ctx);
  } catch (e) {
    if (!ctx.alive() || e?.name === 'AbortError') return;
    if (e?.status === 401 && r.auth) return sessionExpired();
    showError(e);
  }
  if (!ctx.alive()) return;
  clearTimeout(slow);
  view.replaceChildren(...(node ? [node] : []));
  view.removeAttribute('aria-busy');
  document.body.dataset.ready = r.name;
}

function sessionExpired() {
  state.user = null;
  state.own = null;
  api.forgetSession();
  renderHeader();
  return go(loginHref(), { replace: true });
}

// ---------------------------------------------------------------- views: home, login, not found

function homeView() {
  const card = (href, key, id) => h('li', { class: 'card' },
    h('a', { href, id }, h('strong', {}, t(`home.${key}`))), h('p', {}, t(`home.${key}_text`)));
  const facility = ownFacility();
  const q = h('input', { id: 'home-q', type: 'search', name: 'q', placeholder: t('catalogue.placeholder') });
  const search = h('form', { id: 'home-search', role: 'search', class: 'inline-form' },
    h('label', { for: 'home-q' }, t('home.search_label')), q,
    h('button', { type: 'submit', id: 'home-search-submit' }, t('home.search_button')));
  search.addEventListener('submit', (ev) => {
    ev.preventDefault();
    go(`#/catalogue?q=${encodeURIComponent(q.value.trim())}`);
  });
  return h('div', { id: 'home' },
    h('p', { class: 'lead' }, t('home.lead')),
    search,
    h('ul', { class: 'cards' },
      card('#/catalogue', 'catalogue', 'home-catalogue'),
      state.user ? card('#/enterprises', 'enterprises', 'home-enterprises') : card('#/login', 'login', 'home-login'),
      canOversee() && card('#/alerts', 'alerts', 'home-alerts'),
      canOversee() && card('#/indicators', 'indicators', 'home-indicators'),
      canOversee() && card('#/facilities', 'facilities', 'home-facilities'),
      facility && card(`#/facilities/${encodeURIComponent(facility)}`, 'my_facility', 'home-my-facility'),
      card(api.PUBLIC_FACILITIES, 'public', 'home-public'),
      state.user && card('#/tokens', 'tokens', 'home-tokens')));
}

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
    await go(next.startsWith('#/') && !next.startsWith('#/login') ? next : '#/enterprises');
  });
  return form;
}

function notFoundView() {
  return h('div', {}, h('p', {}, t('notfound.text')), h('p', {}, h('a', { href: '#/' }, t('notfound.home'))));
}

// ---------------------------------------------------------------- view: catalogue

async function catalogueView(ctx) {
  await ensureRefs(ctx.signal).catch(showError); // hazard names only; the search works without them
  const q0 = (ctx.query.get('q') || '').trim();
  const els = {
    input: h('input', {
      id: 'catalogue-q', type: 'search', name: 'q', value: q0, autocomplete: 'off', spellcheck: 'false',
      placeholder: t('catalogue.placeholder'), 'aria-describedby': 'catalogue-hint', 'aria-controls': 'catalogue-results',
    }),
    total: h('p', { id: 'catalogue-total', role: 'status', class: 'muted' }),
    chips: h('div', { id: 'catalogue-categories', class: 'chips', role: 'group', 'aria-label': t('catalogue.categories') }),
    list: h('ul', { id: 'catalogue-results', class: 'results', 'data-q': '' }),
  };
  const search = catalogueSearch(els, ctx);
  els.input.addEventListener('input', () => search.later(els.input.value));
  const form = h('form', { id: 'catalogue-form', role: 'search', class: 'stack' },
    h('label', { for: 'catalogue-q' }, t('catalogue.q')), els.input,
    h('small', { id: 'catalogue-hint', class: 'hint' }, t('catalogue.hint')));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); search.now(els.input.value); });
  await search.now(q0);
  return h('div', { id: 'catalogue' }, form, els.total, els.chips, els.list);
}

/** Type-ahead: debounced, cancels stale requests, keeps the query in the URL. */
function catalogueSearch(els, ctx) {
  let timer = 0;
  let inflight = null;
  ctx.signal.addEventListener('abort', () => { clearTimeout(timer); inflight?.abort(); });
  els.pick = (q) => { els.input.value = q; run(q); };

  async function run(raw) {
    clearTimeout(timer);
    inflight?.abort();
    if (!ctx.alive()) return;
    const mine = (inflight = new AbortController());
    const q = raw.trim();
    history.replaceState(null, '', q ? `#/catalogue?q=${encodeURIComponent(q)}` : '#/catalogue');
    routedHref = location.href;
    if (!q) return renderCatalogue(els, q, null);
    document.body.dataset.ready = '';
    try {
      const data = await api.catalogue(q, AbortSignal.any([mine.signal, ctx.signal]));
      clearError();
      renderCatalogue(els, q, data);
    } catch (e) {
      showError(e);
    } finally {
      // During the first render the router sets ready once the view is mounted.
      if (inflight === mine && ctx.alive() && els.input.isConnected) document.body.dataset.ready = 'catalogue';
    }
  }
  return { now: run, later: (q) => { clearTimeout(timer); timer = setTimeout(() => run(q), 150); } };
}

function renderCatalogue(els, q, data) {
  const results = data?.results || [];
  els.list.dataset.q = q;
  els.total.textContent = !q ? t('catalogue.prompt')
    : results.length ? t('catalogue.total', { total: formatInt(data.total), version: data.version, shown: results.length })
    : t('catalogue.none');
  const categories = [...new Map(results.map((r) => [r.category, r.category_name])).entries()];
  els.chips.replaceChildren(...categories.map(([cat, name]) =>
    h('button', { type: 'button', class: 'chip', dataset: { category: cat }, title: name, onclick: () => els.pick(cat) },
      highlight(cat, q), ' ', name)));
  els.list.replaceChildren(...results.map((r) => catalogueRow(r, q)));
}

function catalogueRow(r, q) {
  return h('li', { class: 'result', dataset: { code: r.code, category: r.category } },
    h('div', { class: 'result-head' },
      h('span', { class: 'code' }, highlightCode(r.code, q)),
      h('span', { class: 'chip static', title: r.category_name }, highlight(r.category, q), ' ', highlight(r.category_name, q)),
      hazardChips(r.hazard)),
    h('p', { class: 'desc' }, highlight(r.description, q)),
    h('p', { class: 'muted small' }, labelled('catalogue.industry'), highlight(r.industry, q)),
    exemptionList(r.exemptions));
}

/** The stage of an exemption of the national list, in the UI language. */
function exemptionStage(x) {
  return lang() === 'zh' ? x.stage : x.stage_en;
}

/** A code's exemptions (豁免管理清单): stage, what is exempt, and its condition. */
function exemptionList(exemptions) {
  if (!exemptions?.length) return null;
  return h('div', { class: 'exemptions small', dataset: { exempt: exemptions.map((x) => x.stage_en).join(',') } },
    h('strong', {}, t('catalogue.exemptions')),
    h('ul', {}, exemptions.map((x) => h('li', { dataset: { stage: x.stage_en } },
      h('span', { class: 'chip static' }, exemptionStage(x)), ' ', x.waste ? [h('strong', {}, x.waste), colon()] : null, x.exemption, ' ',
      h('span', { class: 'muted' }, t('catalogue.exempt_condition', { condition: x.condition }))))));
}

/** The distinct exempt stages of a code, joined for a line of text. */
function exemptStages(exemptions) {
  return [...new Set((exemptions || []).map(exemptionStage))].join(lang() === 'zh' ? '、' : ', ');
}

function hazardChips(hazard) {
  const codes = String(hazard || '').split(/[,，/\s]+/).filter(Boolean);
  return h('span', { class: 'hazards' }, h('span', { class: 'sr-only' }, labelled('catalogue.hazard')),
    codes.map((c) => h('span', { class: `hazard hazard-${c}`, title: refName('hazards', c) }, c, ' ', refName('hazards', c))));
}

function highlight(text, q) {
  const s = String(text ?? '');
  const i = q ? s.toLowerCase().indexOf(q.toLowerCase()) : -1;
  if (i < 0) return s;
  return [s.slice(0, i), h('mark', {}, s.slice(i, i + q.length)), s.slice(i + q.length)];
}

/** Marks the digits of `code` that match a digit query typed with or without hyphens. */
function highlightCode(code, q) {
  const digits = q.replace(/[-\s]/g, '');
  if (!/^\d+$/.test(digits)) return highlight(code, q);
  const positions = [...code].flatMap((c, i) => (/\d/.test(c) ? [i] : []));
  const at = positions.map((i) => code[i]).join('').indexOf(digits);
  if (at < 0) return code;
  const start = positions[at];
  const end = positions[at + digits.length - 1] + 1;
  return [code.slice(0, start), h('mark', {}, code.slice(start, end)), code.slice(end)];
}

// ---------------------------------------------------------------- view: enterprises list

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
    [t('ent.district'), (e) => refName('districts', e.district)],
    [t('ent.contact'), (e) => [e.contact_name, ' ', h('span', { class: 'muted' }, e.contact_phone)]],
  ], list, (e) => ({ uscc: e.uscc }));
}

const roleChips = (roles) =>
  h('span', { class: 'chips' }, (roles || []).map((r) => h('span', { class: 'chip static', dataset: { role: r } }, refName('enterprise_roles', r))));

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
  const form = h('form', { id: 'enterprise-form', class: 'stack' },
    usccField('ent-uscc', 'uscc', t('ent.uscc')),
    field({ id: 'ent-name-zh', name: 'name_zh', label: t('ent.name_zh') }),
    field({ id: 'ent-name-en', name: 'name_en', label: t('ent.name_en') + t('common.optional') }),
    h('fieldset', { id: 'ent-roles' }, h('legend', {}, t('ent.roles')), roles),
    field({ id: 'ent-district', name: 'district', type: 'select', label: t('ent.district'), hint: t('ent.district_hint'),
      options: options('districts', 'wansheng', t('ent.district_outside')) }),
    field({ id: 'ent-address', name: 'address', label: t('ent.address') }),
    field({ id: 'ent-contact-name', name: 'contact_name', label: t('ent.contact') }),
    field({ id: 'ent-contact-phone', name: 'contact_phone', type: 'tel', label: t('ent.phone') }),
    submitButton('enterprise-form', t('ent.add')));
  return onSubmit(form, async (v) => {
    const body = { ...v, uscc: v.uscc.toUpperCase(), name_en: v.name_en || null, roles: new FormData(form).getAll('roles') };
    if (!body.district) delete body.district;
    const made = await api.createEnterprise(body);
    state.flash = t('common.created');
    await go(`#/enterprises/${encodeURIComponent(made?.uscc || body.uscc)}`);
  });
}

// ---------------------------------------------------------------- view: one enterprise

const TABS = ['permits', 'vehicles', 'drivers', 'devices'];

async function enterpriseView(ctx) {
  await ensureRefs(ctx.signal);
  const [uscc, tab = 'permits'] = ctx.params;
  let listError = null; // a refused list still leaves the enterprise itself on screen
  const [ent, data, localKeys] = await Promise.all([
    api.enterprise(uscc, ctx.signal),
    api.listOf(uscc, tab, ctx.signal).catch((e) => {
      if (e.name === 'AbortError' || e.status === 401) throw e;
      listError = e;
      return null;
    }),
    tab === 'devices' ? localKeyNames() : [],
  ]);
  setTitle(pick(ent));
  if (listError) showError(listError);
  const items = data?.[tab] || [];
  const panels = { permits: permitsPanel, vehicles: vehiclesPanel, drivers: driversPanel, devices: devicesPanel };
  return h('div', { id: 'enterprise-detail', dataset: { uscc: ent.uscc, tab } },
    enterpriseSummary(ent),
    enterpriseTabs(ent.uscc, tab),
    h('section', { id: `panel-${tab}`, 'aria-labelledby': `tab-${tab}`, class: 'tabpanel' },
      listError ? null : panels[tab](ent.uscc, items, new Set(localKeys))));
}

function enterpriseSummary(e) {
  const row = (label, value) => [h('dt', {}, label), h('dd', {}, value)];
  return h('dl', { id: 'enterprise-summary', class: 'summary' },
    e.name_en && lang() === 'zh' ? row(t('ent.name_en'), e.name_en) : null,
    lang() === 'en' && e.name_en ? row(t('ent.name_zh'), e.name_zh) : null,
    row(t('ent.uscc'), h('span', { class: 'mono', id: 'enterprise-uscc' }, e.uscc)),
    row(t('ent.roles'), roleChips(e.roles)),
    row(t('ent.district'), refName('districts', e.district)),
    row(t('ent.province'), h('span', { id: 'enterprise-province', dataset: { province: e.province, county: e.county } },
      e.province_name, ' · ', h('span', { class: 'mono' }, e.county), ' ',
      e.county_name || e.prefecture_name || t('ent.county_unknown'))),
    row(t('ent.address'), e.address),
    row(t('ent.contact'), [e.contact_name, ' ', e.contact_phone]),
    row(t('common.created_at'), time(e.created_at)));
}

function enterpriseTabs(uscc, active) {
  return h('nav', { class: 'tabs', 'aria-label': t('tab.label') },
    TABS.map((tab) => h('a', {
      id: `tab-${tab}`, href: `#/enterprises/${encodeURIComponent(uscc)}/${tab}`,
      'aria-current': tab === active ? 'page' : null, dataset: { tab },
    }, t(`tab.${tab}`))));
}

function permitsPanel(uscc, permits) {
  const list = h('div', { id: 'permit-list', class: 'cards-list' },
    permits.length ? permits.map(permitCard) : h('p', { class: 'empty' }, t('common.empty')));
  return h('div', {}, list, canWrite('permits', uscc) && section(t('permit.add'), permitForm(uscc)));
}

function permitCard(p) {
  const expired = p.valid_until < todayCst();
  return h('article', { class: 'card permit', dataset: { number: p.number, kind: p.kind } },
    h('h3', {}, h('span', { class: 'mono' }, p.number), ' ', h('span', { class: 'badge' }, refName('permit_kinds', p.kind)),
      expired && h('span', { class: 'badge warn' }, t('permit.expired'))),
    h('p', {}, labelled('permit.valid'), p.valid_from, ' – ', p.valid_until),
    h('p', {}, labelled('permit.waste_codes'), h('span', { class: 'chips' },
      (p.waste_codes || []).map((c) => h('a', { class: 'chip mono', href: `#/catalogue?q=${encodeURIComponent(c)}` }, c)))),
    h('ul', { class: 'capacities' },
      (p.capacities || []).map((c) => h('li', { dataset: { method: c.method } },
        refName('treatment_methods', c.method), colon(), c.capacity_t_per_day != null
          ? t('permit.capacity_day_value', { n: formatInt(c.capacity_t_per_day) })
          : t('permit.capacity_value', { n: formatInt(c.capacity_t_per_year) }))),
      p.collection_t_per_year != null && h('li', { dataset: { method: 'collection' } },
        labelled('permit.collection'), t('permit.capacity_value', { n: formatInt(p.collection_t_per_year) })),
      p.landfill_volume_m3 != null && h('li', { dataset: { method: 'landfill_volume' } },
        labelled('permit.landfill'), t('permit.landfill_value', { n: formatInt(p.landfill_volume_m3) }))));
}

/** Whole numbers go to the server as numbers; anything else goes as typed, for the server to refuse. */
function wholeNumber(s) {
  const plain = s.replace(/[,\s_]/g, '');
  return /^\d+$/.test(plain) && Number.isSafeInteger(Number(plain)) ? Number(plain) : s;
}

function permitForm(uscc) {
  const methods = state.refs?.treatment_methods || [];
  const form = h('form', { id: 'permit-form', class: 'stack' },
    field({ id: 'permit-kind', name: 'kind', type: 'select', label: t('permit.kind'), options: options('permit_kinds', 'operating') }),
    field({ id: 'permit-number', name: 'number', label: t('permit.number') }),
    h('div', { class: 'row' },
      field({ id: 'permit-valid-from', name: 'valid_from', type: 'date', label: t('permit.valid_from') }),
      field({ id: 'permit-valid-until', name: 'valid_until', type: 'date', label: t('permit.valid_until') })),
    field({ id: 'permit-waste-codes', name: 'waste_codes', type: 'textarea', label: t('permit.waste_codes'), hint: t('permit.waste_codes_hint'), rows: 2 }),
    field({ id: 'permit-collection', name: 'collection_t_per_year', label: t('permit.collection') + t('common.optional'), inputmode: 'numeric' }),
    field({ id: 'permit-capacity-per', name: 'per', type: 'select', label: t('permit.capacity_per'),
      options: [h('option', { value: 'year' }, t('permit.per_year')), h('option', { value: 'day' }, t('permit.per_day'))] }),
    h('fieldset', { id: 'permit-capacities' }, h('legend', {}, t('permit.capacities')),
      h('div', { class: 'grid' }, methods.map((m) => field({
        id: `permit-cap-${m.code}`, name: `cap_${m.code}`, label: pick(m), inputmode: 'numeric', placeholder: t('permit.integer_hint'),
      })))),
    field({ id: 'permit-landfill', name: 'landfill_volume_m3', label: t('permit.landfill') + t('common.optional'), inputmode: 'numeric' }),
    submitButton('permit-form', t('permit.add')));
  return onSubmit(form, async (v) => {
    const unit = v.per === 'day' ? 'capacity_t_per_day' : 'capacity_t_per_year';
    await api.createIn(uscc, 'permits', {
      kind: v.kind || 'operating',
      number: v.number,
      valid_from: v.valid_from,
      valid_until: v.valid_until,
      waste_codes: v.waste_codes.toUpperCase().split(/[\s,，、;；]+/).filter(Boolean),
      capacities: methods.filter((m) => v[`cap_${m.code}`])
        .map((m) => ({ method: m.code, [unit]: wholeNumber(v[`cap_${m.code}`]) })),
      landfill_volume_m3: v.landfill_volume_m3 ? wholeNumber(v.landfill_volume_m3) : null,
      collection_t_per_year: v.collection_t_per_year ? wholeNumber(v.collection_t_per_year) : null,
    });
    await created();
  });
}

/** After a successful write: re-render the view (ready is set again) with a notice. */
function created(key = 'common.created') {
  state.flash = t(key);
  return route({ keepFocus: true });
}

function vehiclesPanel(uscc, vehicles) {
  const table = dataTable('vehicle-list', [
    [t('vehicle.plate'), (v) => h('span', { class: 'plate' }, v.plate)],
    [t('vehicle.type'), (v) => refName('vehicle_types', v.vehicle_type)],
    [t('common.created_at'), (v) => time(v.created_at)],
  ], vehicles, (v) => ({ plate: v.plate }));
  const form = h('form', { id: 'vehicle-form', class: 'stack' },
    field({ id: 'vehicle-plate', name: 'plate', label: t('vehicle.plate'), placeholder: '渝A12345', autocapitalize: 'characters' }),
    field({ id: 'vehicle-type', name: 'vehicle_type', type: 'select', label: t('vehicle.type'), options: options('vehicle_types', '') }),
    submitButton('vehicle-form', t('vehicle.add')));
  onSubmit(form, async (v) => {
    await api.createIn(uscc, 'vehicles', { plate: v.plate.toUpperCase(), vehicle_type: v.vehicle_type });
    await created();
  });
  return h('div', {}, table, canWrite('vehicles', uscc) && section(t('vehicle.add'), form));
}

function driversPanel(uscc, drivers) {
  const table = dataTable('driver-list', [
    [t('driver.name'), (d) => d.name],
    [t('driver.licence'), (d) => h('span', { class: 'mono' }, d.licence_no)],
    [t('driver.phone'), (d) => d.phone],
    [t('common.created_at'), (d) => time(d.created_at)],
  ], drivers, (d) => ({ driverId: d.id }));
  const form = h('form', { id: 'driver-form', class: 'stack' },
    field({ id: 'driver-name', name: 'name', label: t('driver.name') }),
    field({ id: 'driver-licence', name: 'licence_no', label: t('driver.licence') }),
    field({ id: 'driver-phone', name: 'phone', type: 'tel', label: t('driver.phone') }),
    submitButton('driver-form', t('driver.add')));
  onSubmit(form, async (v) => {
    await api.createIn(uscc, 'drivers', v);
    await created();
  });
  return h('div', {}, table, canWrite('drivers', uscc) && section(t('driver.add'), form));
}

function devicesPanel(uscc, devices, localKeys) {
  const writable = canWrite('devices', uscc);
  const status = (d) => (d.revoked_at
    ? h('span', { class: 'badge warn' }, t('device.revoked_at', { time: formatTime(d.revoked_at) }))
    : h('span', { class: 'badge ok' }, t('device.active')));
  const action = (d) => writable && !d.revoked_at && confirmButton(
    { 'data-action': 'revoke', id: `revoke-${d.device}` }, t('device.revoke'), t('device.revoke_confirm'),
    async () => { await api.revokeDevice(uscc, d.device); await created('common.revoked'); });
  const table = dataTable('device-list', [
    [t('device.device'), (d) => [h('span', { class: 'mono' }, d.name || d.device),
      localKeys.has(d.name) && h('span', { class: 'badge local', 'data-local-key': 'yes' }, t('device.local'))]],
    [t('device.key_id'), (d) => h('span', { class: 'mono', title: d.vkey || '' }, d.key_id)],
    [t('device.registered'), (d) => time(d.registered_at)],
    [t('device.status'), status],
    ...(writable ? [[t('common.actions'), action]] : []),
  ], devices, (d) => ({ device: d.device, keyId: d.key_id, revoked: d.revoked_at ? 'yes' : 'no' }));
  return h('div', {}, table, writable && section(t('device.add'), deviceForm(uscc)));
}

function deviceForm(uscc) {
  let generated = null; // {pair, publicKeyB64} made by the button, saved once the server accepts it
  const status = h('p', { id: 'device-genkey-status', role: 'status', class: 'hint' });
  const genButton = h('button', { type: 'button', id: 'device-genkey' }, t('device.genkey'));
  const form = h('form', { id: 'device-form', class: 'stack' },
    field({ id: 'device-name', name: 'device', label: t('device.device'), hint: t('device.device_hint'), placeholder: 'phone-1', autocapitalize: 'none' }),
    field({ id: 'device-pubkey', name: 'public_key', type: 'textarea', label: t('device.pubkey'), rows: 2, spellcheck: 'false', class: 'mono' }),
    h('div', { class: 'actions' }, genButton), status,
    submitButton('device-form', t('device.add')));
  genButton.addEventListener('click', () => busy((async () => {
    generated = await generateDeviceKey();
    form.elements.public_key.value = generated.publicKeyB64;
    status.textContent = t('device.genkey_done');
  })()));
  return onSubmit(form, async (v) => {
    const dev = await api.createIn(uscc, 'devices', { device: v.device, public_key: v.public_key });
    if (generated && generated.publicKeyB64 === v.public_key) {
      const name = dev?.name || `${uscc}/${v.device}`;
      try {
        await saveDeviceKey(name, { ...generated.pair, public_key: v.public_key, key_id: dev?.key_id, enterprise: uscc, device: v.device });
      } catch (e) {
        throw uiError('key_store', { msg: e?.message || String(e) });
      }
    }
    await created();
  });
}

// ---------------------------------------------------------------- device keys (WebCrypto + IndexedDB)

const KEY_DB = 'hwtrace';
const KEY_STORE = 'device-keys';

/** A new Ed25519 pair whose private key can never leave this browser; public key as base64 of 32 raw bytes. */
async function generateDeviceKey() {
  let pair;
  try {
    pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  } catch {
    throw uiError('keygen_unsupported');
  }
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return { pair, publicKeyB64: btoa(String.fromCharCode(...raw)) };
}

function openKeyDb(version) {
  return new Promise((resolve, reject) => {
    const req = version ? indexedDB.open(KEY_DB, version) : indexedDB.open(KEY_DB);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(KEY_STORE)) req.result.createObjectStore(KEY_STORE);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Opens db `hwtrace`, adding store `device-keys` if a newer version of the db lacks it. */
async function keyDb() {
  const db = await openKeyDb();
  if (db.objectStoreNames.contains(KEY_STORE)) return db;
  const next = db.version + 1;
  db.close();
  return openKeyDb(next);
}

async function keyStore(mode, op) {
  const db = await keyDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(KEY_STORE, mode);
      const req = op(tx.objectStore(KEY_STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** Stores the CryptoKeyPair (plus its public facts) under the full device name "<USCC>/<device>". */
const saveDeviceKey = (name, record) => keyStore('readwrite', (s) => s.put(record, name));

async function localKeyNames() {
  try {
    return await keyStore('readonly', (s) => s.getAllKeys());
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------- bytes: base64, base32, hex

function bytesToB64(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function b64ToBytes(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i += 1) out[i] = s.charCodeAt(i);
  return out;
}

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32, upper case, without padding (as the label's QR text carries it). */
function base32(bytes) {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function randomHex(nBytes) {
  const bytes = crypto.getRandomValues(new Uint8Array(nBytes));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ---------------------------------------------------------------- view: items

const ITEMS_PAGE = 100;
const MAX_SHEET_LABELS = 500;
const ITEM_STATES = ['stored'];

const stateName = (s) => (has(`state.${s}`) ? t(`state.${s}`) : s);
const isEnterpriseUser = () =>
  ['enterprise_admin', 'enterprise_clerk'].includes(state.user?.role) && !!state.user?.enterprise;

/** The item's public verification page on this origin: /Q/<base32 of the 124 label bytes>. */
function verifyHref(item) {
  try {
    return item.label_b64 ? `/Q/${base32(b64ToBytes(item.label_b64))}` : null;
  } catch {
    return null;
  }
}

async function itemsView(ctx) {
  await ensureRefs(ctx.signal);
  const filters = { date: ctx.query.get('date') || '', state: ctx.query.get('state') || '' };
  const { items } = await api.items({ ...filters, limit: ITEMS_PAGE }, ctx.signal);

  const shown = [];
  const selected = new Set();
  const tbody = h('tbody', {});
  const selectAll = h('input', { type: 'checkbox', id: 'items-select-all', 'aria-label': t('item.select_all'), title: t('item.select_all') });
  const count = h('span', { id: 'items-count', class: 'muted', role: 'status' });
  const tooMany = h('p', { id: 'items-too-many', class: 'hint warn-text', hidden: true }, t('item.too_many', { max: MAX_SHEET_LABELS }));
  const print = h('a', { id: 'items-print', class: 'button primary', target: '_blank', rel: 'noopener' }, t('item.print_selected'));
  const more = h('button', { type: 'button', id: 'items-more' }, t('item.more'));

  const update = () => {
    const codes = shown.map((it) => it.code).filter((c) => selected.has(c));
    count.textContent = [t('item.shown', { n: shown.length }), t('item.selected', { n: codes.length })].join(' · ');
    const printable = codes.length > 0 && codes.length <= MAX_SHEET_LABELS;
    if (printable) {
      print.href = api.sheetUrl(codes);
      print.removeAttribute('aria-disabled');
    } else {
      print.removeAttribute('href');
      print.setAttribute('aria-disabled', 'true');
    }
    print.dataset.count = String(codes.length);
    tooMany.hidden = codes.length <= MAX_SHEET_LABELS;
    selectAll.checked = shown.length > 0 && codes.length === shown.length;
    selectAll.indeterminate = codes.length > 0 && codes.length < shown.length;
  };
  const toggle = (code, on) => {
    if (on) selected.add(code);
    else selected.delete(code);
    update();
  };
  const add = (list) => {
    if (!shown.length) tbody.replaceChildren();
    for (const it of list) {
      if (shown.some((s) => s.code === it.code)) continue;
      shown.push(it);
      tbody.append(itemRow(it, toggle));
    }
    if (!shown.length) tbody.replaceChildren(h('tr', { class: 'empty' }, h('td', { colspan: 7 }, t('item.none'))));
    more.hidden = list.length < ITEMS_PAGE;
    update();
  };

  selectAll.addEventListener('change', () => {
    for (const cb of tbody.querySelectorAll('input[data-select]')) {
      cb.checked = selectAll.checked;
      if (cb.checked) selected.add(cb.dataset.select);
      else selected.delete(cb.dataset.select);
    }
    update();
  });
  more.addEventListener('click', () => {
    if (!shown.length) return;
    more.disabled = true;
    const before = Math.min(...shown.map((it) => it.created_seq));
    busy(api.items({ ...filters, limit: ITEMS_PAGE, before }, ctx.signal).then((next) => add(next.items)))
      .finally(() => { more.disabled = false; });
  });
  add(items);

  const cols = ['', 'item.code', 'item.waste', 'item.mass', 'item.state', 'item.generated_at', 'common.actions'];
  const head = h('thead', {}, h('tr', {}, cols.map((key, i) =>
    h('th', { scope: 'col' }, i === 0 ? selectAll : t(key)))));
  return h('div', { id: 'items' },
    isEnterpriseUser() && h('p', { class: 'actions' },
      h('a', { id: 'items-new-link', class: 'button', href: '#/items/new' }, t('item.new_link'))),
    itemFilter(filters),
    h('div', { class: 'toolbar' }, print, count, tooMany),
    h('div', { class: 'table-wrap' }, h('table', { id: 'item-list', class: 'items' }, head, tbody)),
    h('p', { class: 'actions' }, more));
}

function itemRow(it, toggle) {
  const cb = h('input', {
    type: 'checkbox', dataset: { select: it.code }, 'aria-label': t('item.select_one', { code: it.code }),
  });
  cb.addEventListener('change', () => toggle(it.code, cb.checked));
  const verify = verifyHref(it);
  const cells = [
    [t('item.select'), cb],
    [t('item.code'), h('span', { class: 'mono item-code' }, it.code)],
    [t('item.waste'), [h('span', { class: 'mono' }, it.waste_code), ' ', h('span', {}, it.waste_name)]],
    [t('item.mass'), h('span', { class: 'num', title: `${formatInt(it.mass_g)} g` }, formatMass(it.mass_g))],
    [t('item.state'), h('span', { class: 'badge ok', dataset: { state: it.state } }, stateName(it.state))],
    [t('item.generated_at'), time(it.generated_at)],
    [t('common.actions'), h('span', { class: 'actions' },
      h('a', { href: api.labelUrl(it.code), target: '_blank', rel: 'noopener', dataset: { action: 'label' } }, t('item.label')),
      verify && h('a', { href: verify, target: '_blank', rel: 'noopener', dataset: { action: 'verify' } }, t('item.verify')))],
  ];
  return h('tr', { dataset: { code: it.code, seq: it.created_seq } },
    cells.map(([label, c]) => h('td', { 'data-label': label }, h('div', { class: 'cell' }, c))));
}

function itemFilter(f) {
  const states = ITEM_STATES.map((s) => h('option', { value: s, selected: s === f.state }, stateName(s)));
  const form = h('form', { id: 'items-filter', role: 'search', class: 'filters items-filters' },
    field({ id: 'items-date', name: 'date', type: 'date', label: t('item.date'), value: f.date }),
    field({ id: 'items-state', name: 'state', type: 'select', label: t('item.state'),
      options: [h('option', { value: '' }, t('common.all')), ...states] }),
    h('button', { type: 'submit', id: 'items-filter-submit' }, t('common.filter')));
  const apply = () => {
    const qs = new URLSearchParams(Object.entries(readForm(form)).filter(([, v]) => v)).toString();
    go(qs ? `#/items?${qs}` : '#/items');
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); apply(); });
  form.addEventListener('change', apply);
  return form;
}

// ---------------------------------------------------------------- view: register containers (generate)

const EVENT_PAYLOAD_TYPE = 'application/vnd.hwtrace.event+json';
const HAZARD_LETTERS = ['T', 'C', 'I', 'R', 'In'];
const MAX_RUN = 200;

/** Now as RFC 3339 with the +08:00 offset, to the second: "2026-11-29T15:04:05+08:00". */
function nowCstRfc3339() {
  return `${new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 19)}+08:00`;
}

/** "90024908" → "900-249-08"; anything else unchanged (the server decides). */
function normalizeWasteCode(s) {
  const v = s.trim();
  const m = /^(\d{3})(\d{3})(\d{2})$/.exec(v);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : v;
}

/** Every key record of this browser as {name, rec}; none when IndexedDB cannot be read. */
async function localKeyRecords() {
  const records = [];
  await keyStore('readonly', (s) => {
    const req = s.openCursor();
    req.onsuccess = () => {
      const c = req.result;
      if (!c) return;
      records.push({ name: String(c.key), rec: c.value });
      c.continue();
    };
    return req;
  }).catch(() => null);
  return records;
}

/** This browser's device keys of enterprise `uscc`, with the server's view of them when readable. */
async function enterpriseKeys(uscc, signal) {
  const records = await localKeyRecords();
  const mine = records.filter(({ name, rec }) =>
    rec?.privateKey && (rec.enterprise === uscc || name.startsWith(`${uscc}/`)));
  if (!mine.length) return [];
  const devices = await api.listOf(uscc, 'devices', signal).then((d) => d.devices, (e) => {
    if (e.name === 'AbortError' || e.status === 401) throw e;
    return null;
  });
  const keys = [];
  for (const { name, rec } of mine) {
    const device = rec.device || name.slice(uscc.length + 1);
    const onServer = devices?.find((d) => (d.name || `${uscc}/${d.device}`) === name && (!rec.key_id || d.key_id === rec.key_id));
    if (devices && (!onServer || onServer.revoked_at)) continue; // revoked, or replaced by another key
    const keyId = rec.key_id || onServer?.key_id;
    if (!keyId) continue;
    keys.push({ name, device, keyId, privateKey: rec.privateKey });
  }
  return keys.sort((a, b) => a.name.localeCompare(b.name));
}

/** A DSSE envelope of `event`, signed with Ed25519 over PAE(payloadType, payload). */
async function signEvent(key, event) {
  const enc = new TextEncoder();
  const payload = enc.encode(JSON.stringify(event));
  const type = enc.encode(EVENT_PAYLOAD_TYPE);
  const pae = concatBytes(enc.encode(`DSSEv1 ${type.length} `), type, enc.encode(` ${payload.length} `), payload);
  let sig;
  try {
    sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key.privateKey, pae));
  } catch (e) {
    throw uiError('sign_failed', { msg: e?.message || String(e) });
  }
  return {
    payloadType: EVENT_PAYLOAD_TYPE,
    payload: bytesToB64(payload),
    signatures: [{ keyid: key.keyId, sig: bytesToB64(sig) }],
  };
}

function noKeyHelp(uscc) {
  const admin = state.user?.role === 'enterprise_admin';
  return h('div', { id: 'gen-no-key', class: 'panel highlight' },
    h('p', {}, t('gen.no_key', { name: uscc })),
    h('p', {}, t(admin ? 'gen.no_key_admin' : 'gen.no_key_clerk')),
    admin && h('p', {}, h('a', { id: 'gen-devices-link', class: 'button', href: `#/enterprises/${encodeURIComponent(uscc)}/devices` }, t('gen.devices_link'))));
}

async function itemNewView(ctx) {
  await ensureRefs(ctx.signal);
  if (!isEnterpriseUser()) return h('p', { id: 'gen-not-enterprise', class: 'muted' }, t('gen.enterprise_only'));
  const uscc = state.user.enterprise;
  const keys = await enterpriseKeys(uscc, ctx.signal);
  if (!keys.length) return noKeyHelp(uscc);

  const hazardBox = h('fieldset', { id: 'gen-hazards' }, h('legend', {}, t('gen.hazards')),
    HAZARD_LETTERS.map((c) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'hazards', value: c, id: `gen-hazard-${c}` }),
      h('span', { class: `hazard hazard-${c}` }, c), ' ', refName('hazards', c))),
    h('small', { class: 'hint' }, t('gen.hazards_hint')));
  const codeField = field({
    id: 'gen-waste-code', name: 'waste_code', label: t('gen.waste_code'), hint: t('gen.waste_code_hint'),
    list: 'gen-waste-code-options', autocomplete: 'off', spellcheck: 'false', class: 'mono',
  });
  const wasteInfo = h('p', { id: 'gen-waste-info', class: 'hint', role: 'status' });
  const datalist = h('datalist', { id: 'gen-waste-code-options' });
  const deviceOptions = keys.map((k) => h('option', { value: k.name }, `${k.device} (${k.keyId})`));
  const optional = (key) => t(key) + t('common.optional');

  const form = h('form', { id: 'generate-form', class: 'stack' },
    h('p', { class: 'muted' }, t('gen.lead')),
    field({ id: 'gen-device', name: 'device', type: 'select', label: t('gen.device'), options: deviceOptions }),
    codeField, datalist, wasteInfo,
    h('div', { class: 'row' },
      field({ id: 'gen-mass-kg', name: 'mass_kg', label: t('gen.mass'), hint: t('gen.mass_hint'), inputmode: 'decimal', autocomplete: 'off' }),
      field({ id: 'gen-form', name: 'form', type: 'select', label: t('gen.form'), options: options('forms', '', t('gen.choose')) })),
    hazardBox,
    h('div', { class: 'row' },
      field({ id: 'gen-packaging', name: 'packaging', label: t('gen.packaging'), placeholder: t('gen.packaging_placeholder') }),
      field({ id: 'gen-volume', name: 'container_volume_l', label: t('gen.volume'), inputmode: 'numeric', autocomplete: 'off' })),
    field({ id: 'gen-components', name: 'components', label: t('gen.components') }),
    h('div', { class: 'row' },
      field({ id: 'gen-harmful', name: 'harmful_components', label: optional('gen.harmful') }),
      field({ id: 'gen-precautions', name: 'precautions', label: optional('gen.precautions') })),
    h('div', { class: 'row' },
      field({ id: 'gen-storage', name: 'storage_place', label: t('gen.storage') }),
      field({ id: 'gen-waste-name', name: 'waste_name', label: optional('gen.waste_name'), hint: t('gen.waste_name_hint') })),
    field({ id: 'gen-count', name: 'count', label: t('gen.count'), hint: t('gen.count_hint'), value: 1, inputmode: 'numeric', autocomplete: 'off' }),
    h('button', { type: 'submit', id: 'gen-submit', class: 'primary' }, t('gen.submit')));
  const results = h('section', { id: 'gen-results', class: 'panel', hidden: true, 'aria-live': 'polite' });

  wasteTypeAhead(ctx, codeField.querySelector('input'), datalist, wasteInfo, hazardBox);

  let runs = 0;
  onSubmit(form, async (v) => {
    const hazards = new FormData(form).getAll('hazards');
    const grams = parseMass(v.mass_kg, 'kg');
    if (grams === null) throw uiError('bad_mass_input', { text: v.mass_kg });
    const n = /^\d+$/.test(v.count) ? Number(v.count) : NaN;
    if (!(n >= 1 && n <= MAX_RUN)) throw uiError('bad_count');
    const key = keys.find((k) => k.name === v.device);
    if (!key) throw uiError('no_device_key');
    const fields = {
      waste_code: normalizeWasteCode(v.waste_code),
      mass_g: grams,
      form: v.form,
      hazards,
      packaging: v.packaging,
      container_volume_l: wholeNumber(v.container_volume_l),
      components: v.components,
      storage_place: v.storage_place,
    };
    for (const k of ['waste_name', 'harmful_components', 'precautions']) if (v[k]) fields[k] = v[k];
    notice(t('gen.signing', { n }));
    const envelopes = [];
    for (let i = 0; i < n; i += 1) {
      const event = { type: 'generate', actor: uscc, device: key.device, at: nowCstRfc3339(), nonce: randomHex(8), ...fields };
      envelopes.push(await signEvent(key, event));
    }
    let outcome;
    if (n === 1) {
      try {
        outcome = [{ ok: true, receipt: await api.submitEvent(envelopes[0]) }];
      } catch (e) {
        // A refusal of the one container is its result; a failure to reach the server is not.
        if (!(e instanceof api.ApiError) || e.status === 0 || e.status === 401 || e.status >= 500) throw e;
        outcome = [{ ok: false, error: { error: e.code, message: e.messageEn, message_zh: e.messageZh } }];
      }
    } else {
      outcome = (await api.submitEvents(envelopes)).results || [];
    }
    notice('');
    runs += 1;
    renderGenResults(results, outcome, runs);
    results.scrollIntoView({ block: 'start' });
  });
  return h('div', { id: 'items-new' }, form, results);
}

/** Catalogue type-ahead for the waste code; an exact match pre-ticks its hazards. */
function wasteTypeAhead(ctx, input, datalist, info, hazardBox) {
  let timer = 0;
  let inflight = null;
  let lastQuery = null;
  let applied = null;
  ctx.signal.addEventListener('abort', () => { clearTimeout(timer); inflight?.abort(); });

  const apply = (entry) => {
    const stages = exemptStages(entry.exemptions);
    info.textContent = t('gen.waste_found', { desc: `${entry.category} ${entry.category_name} · ${entry.description}` })
      + (stages ? ` · ${t('gen.waste_exempt', { stages })}` : '');
    if (applied === entry.code) return; // keep what the user changed for this code
    applied = entry.code;
    const letters = String(entry.hazard || '').match(/In|[TCIR]/g) || [];
    for (const c of HAZARD_LETTERS) hazardBox.querySelector(`#gen-hazard-${c}`).checked = letters.includes(c);
    hazardBox.dataset.code = entry.code;
  };

  async function lookup() {
    clearTimeout(timer);
    const q = input.value.trim();
    if (q === lastQuery || !ctx.alive()) return;
    lastQuery = q;
    inflight?.abort();
    if (!q) {
      datalist.replaceChildren();
      info.textContent = '';
      return;
    }
    const mine = (inflight = new AbortController());
    let data;
    try {
      data = await api.catalogue(q, AbortSignal.any([mine.signal, ctx.signal]), 20);
    } catch {
      return; // a help only: the server checks the code on submission
    }
    if (inflight !== mine || !ctx.alive()) return;
    const found = data?.results || [];
    datalist.replaceChildren(...found.map((r) => {
      const stages = exemptStages(r.exemptions);
      const exempt = stages ? ` · ${t('gen.waste_exempt', { stages })}` : '';
      return h('option', { value: r.code }, `${r.code} ${r.description}${exempt}`);
    }));
    const code = normalizeWasteCode(q);
    const exact = found.find((r) => r.code === code);
    if (exact) {
      if (input.value.trim() !== exact.code && document.activeElement !== input) input.value = exact.code;
      apply(exact);
    } else if (/^\d{3}-?\d{3}-?\d{2}$/.test(q)) {
      info.textContent = t('gen.waste_unknown');
    } else {
      info.textContent = '';
    }
  }
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(lookup, 150); });
  input.addEventListener('change', lookup);
}

function serverMessage(err) {
  const zh = err?.message_zh;
  const en = err?.message;
  return (lang() === 'zh' ? zh || en : en || zh) || err?.error || '';
}

function renderGenResults(box, outcome, run) {
  const codes = outcome.filter((r) => r.ok && r.receipt?.item_code).map((r) => r.receipt.item_code);
  const refused = outcome.length - codes.length;
  const items = outcome.map((r, i) => {
    const which = h('span', { class: 'muted' }, t('gen.container', { n: i + 1 }), ' ');
    if (r.ok && r.receipt?.item_code) {
      const code = r.receipt.item_code;
      return h('li', { dataset: { code } }, which, h('span', { class: 'mono item-code' }, code), ' ',
        h('a', { href: api.labelUrl(code), target: '_blank', rel: 'noopener' }, t('item.label')));
    }
    const code = r.error?.error || 'error';
    return h('li', { class: 'refused', dataset: { error: code } }, which,
      h('span', { class: 'error-message' }, serverMessage(r.error)), ' ', h('code', { class: 'error-code' }, code));
  });
  // Labels print in serial order (the server numbers a batch's containers in any order).
  const printable = [...codes].sort().slice(0, MAX_SHEET_LABELS);
  box.replaceChildren(
    h('h2', {}, t('gen.results')),
    h('p', { id: 'gen-summary' }, t('gen.summary', { accepted: codes.length, refused })),
    h('ol', { id: 'gen-result-list', class: 'gen-results' }, items),
    h('p', { class: 'actions' },
      printable.length > 0 && h('a', { id: 'gen-print', class: 'button primary', href: api.sheetUrl(printable), target: '_blank', rel: 'noopener' }, t('gen.print')),
      h('a', { id: 'gen-items-link', class: 'button', href: '#/items' }, t('gen.to_items'))));
  Object.assign(box.dataset, { run: String(run), accepted: String(codes.length), refused: String(refused) });
  box.hidden = false;
}

// ---------------------------------------------------------------- view: users (admin)

async function usersView(ctx) {
  await ensureRefs(ctx.signal);
  const [{ users }, { enterprises }] = await Promise.all([
    api.users(ctx.signal),
    api.enterprises({}, ctx.signal).catch(() => ({ enterprises: [] })),
  ]);
  const table = dataTable('user-list', [
    [t('user.username'), (u) => h('span', { class: 'mono' }, u.username)],
    [t('user.display_name'), (u) => u.display_name],
    [t('user.role'), (u) => refName('user_roles', u.role)],
    [t('user.enterprise'), (u) => u.enterprise || t('common.none')],
    [t('user.district'), (u) => (u.district ? refName('districts', u.district) : t('common.none'))],
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
    await api.createUser(body);
    await created();
  });
}

// ---------------------------------------------------------------- view: API tokens

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

// ---------------------------------------------------------------- view: alerts (regulators, administrators)

const ALERT_STATES = ['open', 'acknowledged', 'resolved'];
const ALERT_RULES = [
  'weight_discrepancy', 'medical_over_48h', 'storage_over_year', 'transit_too_long', 'receipt_overdue',
  'permit_scope', 'capacity_exceeded', 'permit_expired', 'key_revoked_use', 'log_integrity',
];
const ALERTS_PAGE = 200;
const ITEM_CODE_RE = /^[0-9A-Z]{37}$/;

async function alertsView(ctx) {
  await ensureRefs(ctx.signal);
  const filters = { state: ctx.query.get('state') || '', rule: ctx.query.get('rule') || '' };
  const [list, keys] = await Promise.all([
    api.alerts({ ...filters, limit: ALERTS_PAGE }, ctx.signal),
    regulatorKeys(ctx.signal),
  ]);
  const open = list.filter((a) => a.state === 'open');
  const ack = keys.length && open.length ? acknowledgeForm(open, keys) : null;
  return h('div', { id: 'alerts' },
    alertFilter(filters),
    isAdmin() && alertAdminTools(),
    h('p', { id: 'alert-ack-explain', class: 'hint' }, t('alert.ack_explain')),
    h('p', { id: 'alerts-count', class: 'muted', role: 'status' }, t('alert.shown', { n: list.length })),
    alertTable(list, ack),
    ack ? section(t('alert.ack_title'), ack)
      : h('p', { id: 'alert-ack-unavailable', class: 'muted small' },
        keys.length ? t('alert.ack_none_open') : t('alert.ack_no_key')));
}

function alertFilter(f) {
  const opt = (value, label, selected) => h('option', { value, selected: value === selected }, label);
  const form = h('form', { id: 'alert-filter', role: 'search', class: 'filters items-filters' },
    field({ id: 'alert-state', name: 'state', type: 'select', label: t('alert.state'),
      options: [opt('', t('common.all'), f.state), ...ALERT_STATES.map((s) => opt(s, t(`alert.state.${s}`), f.state))] }),
    field({ id: 'alert-rule', name: 'rule', type: 'select', label: t('alert.rule'),
      options: [opt('', t('common.all'), f.rule), ...ALERT_RULES.map((r) => opt(r, t(`rule.${r}`), f.rule))] }),
    h('button', { type: 'submit', id: 'alert-filter-submit' }, t('common.filter')));
  const apply = () => {
    const qs = new URLSearchParams(Object.entries(readForm(form)).filter(([, v]) => v)).toString();
    go(qs ? `#/alerts?${qs}` : '#/alerts');
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); apply(); });
  form.addEventListener('change', apply);
  return form;
}

function alertAdminTools() {
  const run = (id, key, action) => {
    const btn = h('button', { type: 'button', id }, t(key));
    btn.addEventListener('click', () => {
      btn.disabled = true;
      busy(action().then((text) => { state.flash = text; return route({ keepFocus: true }); }))
        .finally(() => { btn.disabled = false; });
    });
    return btn;
  };
  return h('div', { id: 'alert-admin', class: 'toolbar' },
    run('alert-sweep', 'alert.sweep', async () => t('alert.sweep_done', { n: formatInt(await api.runSweep()) })),
    run('alert-self-audit', 'alert.self_audit', async () => {
      const r = await api.runSelfAudit();
      return t('alert.self_audit_done', { entries: formatInt(r.entries), findings: formatInt(r.findings), opened: formatInt(r.opened) });
    }),
    h('small', { class: 'hint' }, t('alert.admin_tools')));
}

function alertTable(list, ack) {
  const cols = [
    [t('alert.id'), (a) => h('span', { class: 'mono' }, String(a.id))],
    [t('alert.rule'), (a) => h('span', { class: 'rule-name', title: a.rule }, pick(a, 'rule') || a.rule)],
    [t('alert.subject'), alertSubject],
    [t('alert.district'), (a) => (a.district ? refName('districts', a.district) : t('common.none'))],
    [t('alert.started'), (a) => time(a.started_at)],
    [t('alert.state'), alertState],
    [t('alert.entries'), alertEntries],
    [t('alert.detail'), (a) => alertDetail(a.detail)],
  ];
  if (ack) {
    cols.push([t('common.actions'), (a) => a.state === 'open' && h('button', {
      type: 'button', class: 'small-button', dataset: { ack: a.id },
      onclick: () => {
        ack.elements.alert.value = String(a.id);
        ack.elements.note.focus();
      },
    }, t('alert.ack_pick'))]);
  }
  return dataTable('alert-list', cols, list, (a) => ({ id: a.id, rule: a.rule, state: a.state }));
}

const facilityLink = (uscc, text) =>
  h('a', { href: `#/facilities/${encodeURIComponent(uscc)}`, class: 'mono' }, text || uscc);

/** The subject, linked where the app has a page for it. */
function alertSubject(a) {
  const s = a.subject;
  if (ITEM_CODE_RE.test(s)) return h('span', { class: 'mono item-code', title: t('item.code') }, s);
  if (a.rule === 'capacity_exceeded') {
    const [uscc, method, year] = s.split('/');
    return [facilityLink(uscc), ' ', refName('treatment_methods', method), ' ', year];
  }
  if (a.rule === 'permit_expired' && a.detail?.holder) {
    return [h('span', { class: 'mono' }, s), ' ', facilityLink(a.detail.holder)];
  }
  if (a.rule === 'key_revoked_use') {
    const [uscc, device] = s.split('/');
    return h('a', { href: `#/enterprises/${encodeURIComponent(uscc)}/devices`, class: 'mono' }, `${uscc}/${device}`);
  }
  return h('span', { class: 'mono' }, s);
}

function alertState(a) {
  const tone = { open: 'warn', acknowledged: 'local', resolved: 'ok' }[a.state] || 'warn';
  return [h('span', { class: `badge ${tone}`, dataset: { state: a.state } },
    has(`alert.state.${a.state}`) ? t(`alert.state.${a.state}`) : a.state),
  a.resolved_at && h('small', { class: 'muted block' }, t('alert.resolved_at', { time: formatTime(a.resolved_at) }))];
}

const entryLink = (index) => h('a', { href: api.entryUrl(index), class: 'mono', target: '_blank', rel: 'noopener' }, `#${index}`);

/** The log entries that raised, resolved and acknowledged the alert. */
function alertEntries(a) {
  const parts = [
    a.started_seq != null && ['started', entryLink(a.started_seq)],
    a.resolved_seq != null ? ['resolved', entryLink(a.resolved_seq)]
      : a.state === 'resolved' && ['resolved', t('alert.by_time')],
    a.acked_seq != null && ['acked', entryLink(a.acked_seq)],
  ].filter(Boolean);
  if (!parts.length) return t('common.none');
  return h('span', { class: 'entries' }, parts.map(([k, v]) =>
    h('span', { class: 'entry', dataset: { entry: k } }, t(`alert.entry.${k}`), ' ', v)));
}

/** The detail object, compactly: known keys named and formatted, masses exact. */
function alertDetail(detail) {
  if (!detail || typeof detail !== 'object') return t('common.none');
  const value = (k, v) => {
    if (typeof v === 'boolean') return v ? t('common.yes') : t('common.no');
    if (k.endsWith('_g') && Number.isInteger(v)) return formatMass(v);
    if (k.endsWith('_permille') && Number.isInteger(v)) return formatPermille(v);
    if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v)) return formatTime(v);
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  };
  const parts = Object.entries(detail).filter(([, v]) => v !== null && v !== undefined && v !== '');
  return h('span', { class: 'detail' }, parts.map(([k, v]) =>
    h('span', { class: 'detail-part', dataset: { key: k } },
      h('span', { class: 'muted' }, has(`alert.detail.${k}`) ? t(`alert.detail.${k}`) : k), ' ',
      h('span', { class: /^[0-9A-Z]{18}/.test(String(v)) ? 'mono' : null }, value(k, v)))));
}

/** This browser's usable keys of enterprises with the regulator role (they sign acknowledgements). */
async function regulatorKeys(signal) {
  const records = await localKeyRecords();
  const owners = [...new Set(records.filter(({ rec }) => rec?.privateKey)
    .map(({ name, rec }) => rec.enterprise || name.split('/')[0]))];
  const keys = [];
  for (const uscc of owners) {
    const ent = await api.enterprise(uscc, signal).catch((e) => {
      if (e.name === 'AbortError' || e.status === 401) throw e;
      return null; // not readable by this user: not offered
    });
    if (!ent?.roles?.includes('regulator')) continue;
    for (const k of await enterpriseKeys(uscc, signal)) keys.push({ ...k, uscc });
  }
  return keys;
}

/** Signs an `acknowledge` event with a regulator's device key of this browser and posts it. */
function acknowledgeForm(open, keys) {
  const form = h('form', { id: 'ack-form', class: 'stack' },
    field({ id: 'ack-alert', name: 'alert', type: 'select', label: t('alert.ack_alert'),
      options: open.map((a) => h('option', { value: a.id }, `${a.id} · ${pick(a, 'rule') || a.rule} · ${a.subject}`)) }),
    field({ id: 'ack-device', name: 'device', type: 'select', label: t('alert.ack_device'),
      options: keys.map((k) => h('option', { value: k.name }, `${k.name} (${k.keyId})`)) }),
    field({ id: 'ack-note', name: 'note', type: 'textarea', label: t('alert.ack_note'), hint: t('alert.ack_note_hint'), rows: 2 }),
    submitButton('ack-form', t('alert.ack_submit')));
  return onSubmit(form, async (v) => {
    const key = keys.find((k) => k.name === v.device);
    if (!key) throw uiError('no_device_key');
    const id = Number(v.alert);
    const event = {
      type: 'acknowledge', actor: key.uscc, device: key.device, at: nowCstRfc3339(), nonce: randomHex(8),
      alert: id, note: v.note,
    };
    const receipt = await api.submitEvent(await signEvent(key, event));
    state.flash = t('alert.ack_done', { id, index: receipt?.index ?? '?' });
    await route({ keepFocus: true });
  });
}

// ---------------------------------------------------------------- view: indicators (regulators, administrators)

const GROUPINGS = ['category', 'district', 'generator', 'code'];
const BALANCE_LINES_SHOWN = 50;

async function indicatorsView(ctx) {
  await ensureRefs(ctx.signal);
  const today = todayCst();
  const q = {
    from: ctx.query.get('from') || `${today.slice(0, 4)}-01-01`,
    to: ctx.query.get('to') || today,
    district: isAdmin() ? ctx.query.get('district') || '' : '',
    by: ctx.query.get('by') || 'category',
  };
  const period = { from: q.from, to: q.to, district: q.district };
  const [rates, balance] = await Promise.all([
    api.disposal({ ...period, by: q.by }, ctx.signal),
    api.massBalance(period, ctx.signal),
  ]);
  const district = rates.district ? refName('districts', rates.district) : t('common.all');
  return h('div', { id: 'indicators', dataset: { from: rates.from, to: rates.to, district: rates.district || '' } },
    indicatorForm(q),
    h('p', { id: 'ind-period', class: 'muted' },
      t('ind.period', { from: rates.from, to: rates.to, as_of: formatTime(rates.as_of) }), ' · ',
      labelled('ind.district'), district),
    section(t('ind.rates'),
      h('div', { class: 'figures' },
        rateCard('ind-industrial', t('ind.industrial'), rates.industrial),
        rateCard('ind-medical', t('ind.medical'), rates.medical)),
      definition('ind-definition', rates)),
    section(t('ind.groups'), groupsTable(rates.groups, q.by)),
    section(t('ind.balance'), balancePanel(balance)));
}

function indicatorForm(q) {
  const byOptions = GROUPINGS.map((g) => h('option', { value: g, selected: g === q.by }, t(`ind.by.${g}`)));
  const form = h('form', { id: 'ind-form', class: 'filters ind-filters' },
    field({ id: 'ind-from', name: 'from', type: 'date', label: t('ind.from'), value: q.from }),
    field({ id: 'ind-to', name: 'to', type: 'date', label: t('ind.to'), value: q.to }),
    isAdmin() && field({ id: 'ind-district', name: 'district', type: 'select', label: t('ind.district'),
      options: options('districts', q.district, t('common.all')) }),
    field({ id: 'ind-by', name: 'by', type: 'select', label: t('ind.by'), options: byOptions }),
    h('button', { type: 'submit', id: 'ind-submit' }, t('ind.submit')));
  const apply = () => {
    const qs = new URLSearchParams(Object.entries(readForm(form)).filter(([, v]) => v)).toString();
    go(`#/indicators?${qs}`);
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); apply(); });
  form.addEventListener('change', (ev) => { if (ev.target.tagName === 'SELECT') apply(); });
  return form;
}

/** Grams as tonnes (to the kilogram), the exact grams in the title. */
const tonnesCell = (g) => h('span', { class: 'num', title: `${formatInt(g)} g` }, tonnes(g));

function definition(id, obj) {
  return h('p', { id, class: 'definition' }, h('strong', {}, labelled('ind.definition')), pick(obj, 'definition'));
}

function rateCard(id, title, s) {
  const row = (key, content) => [h('dt', {}, t(key)), h('dd', {}, content)];
  const massRow = (key, g) => row(key, h('span', { class: 'num', title: `${formatInt(g)} g` }, formatTonnes(g)));
  return h('article', { id, class: 'card figure', dataset: { permille: s.disposal_permille ?? '' } },
    h('h3', {}, title),
    h('p', { class: 'big num rate' }, formatPermille(s.disposal_permille)),
    !s.items && h('p', { class: 'muted small' }, t('ind.no_waste')),
    h('dl', { class: 'summary compact' },
      row('ind.items', h('span', { class: 'num' }, formatInt(s.items))),
      massRow('ind.generated', s.generated_g),
      massRow('ind.treated', s.treated_g),
      massRow('ind.at_generator', s.at_generator_g),
      massRow('ind.in_transit', s.in_transit_g),
      massRow('ind.at_facility', s.at_facility_g),
      massRow('ind.lost', s.lost_g)));
}

function groupName(g, by) {
  if (by === 'district') return refName('districts', g.key);
  if (by === 'category' || !g.name || g.name === g.key) return h('span', { class: 'mono' }, g.key);
  return [h('span', {}, g.name), h('small', { class: 'mono muted block' }, g.key)];
}

function groupsTable(groups, by) {
  const unit = lang() === 'zh' ? '（吨）' : ' (t)';
  return dataTable('ind-groups', [
    [t(`ind.by.${by}`), (g) => groupName(g, by)],
    [t('ind.items'), (g) => h('span', { class: 'num' }, formatInt(g.items))],
    [t('ind.generated') + unit, (g) => tonnesCell(g.generated_g)],
    [t('ind.treated') + unit, (g) => tonnesCell(g.treated_g)],
    [t('ind.at_generator') + unit, (g) => tonnesCell(g.at_generator_g)],
    [t('ind.in_transit') + unit, (g) => tonnesCell(g.in_transit_g)],
    [t('ind.at_facility') + unit, (g) => tonnesCell(g.at_facility_g)],
    [t('ind.lost') + unit, (g) => tonnesCell(g.lost_g)],
    [t('ind.rate'), (g) => h('span', { class: 'num' }, formatPermille(g.disposal_permille))],
  ], groups, (g) => ({ key: g.key, permille: g.disposal_permille ?? '' }));
}

const BALANCE_PLACES = [
  ['at_generator_g', 'ind.at_generator'], ['in_transit_g', 'ind.in_transit'], ['at_facility_g', 'ind.at_facility'],
  ['treated_g', 'ind.treated'], ['repacked_g', 'ind.repacked'],
];
const BALANCE_CHANGES = [
  ['weighing_g', 'ind.weighing'], ['refused_at_gate_g', 'ind.refused_at_gate'], ['lost_g', 'ind.lost'],
  ['treatment_g', 'ind.treatment'], ['correction_g', 'ind.correction'], ['unexplained_g', 'ind.unexplained'],
];

/** The balance's terms in tonnes and in exact grams (a gram off must show), whether it closes, and its lines. */
function balancePanel(b) {
  const term = (field, key, sign) => h('tr', { dataset: { term: field, g: String(b[field]) } },
    h('th', { scope: 'row' }, sign ? h('span', { class: 'muted op' }, sign, ' ') : null, t(key)),
    h('td', { class: 'num' }, formatTonnes(b[field])),
    h('td', { class: 'num muted' }, `${formatInt(b[field])} g`));
  const closes = h('span', { id: 'balance-closes', class: `badge ${b.closes ? 'ok' : 'warn'}`, dataset: { closes: String(b.closes) } },
    t(b.closes ? 'ind.closes' : 'ind.not_closes'));
  const terms = h('table', { id: 'balance-terms', class: 'terms' }, h('tbody', {},
    term('generated_g', 'ind.generated', ''),
    BALANCE_PLACES.map(([f, k], i) => term(f, k, i === 0 ? '=' : '+')),
    BALANCE_CHANGES.map(([f, k]) => term(f, k, '+')),
    term('difference_g', 'ind.difference', '±')));
  const shown = b.lines.slice(0, BALANCE_LINES_SHOWN);
  const bucket = (l) => (has(`ind.bucket.${l.bucket}`) ? t(`ind.bucket.${l.bucket}`) : l.bucket);
  const mass = (f) => (l) => h('span', { class: l[f] ? 'num' : 'num muted' }, formatMass(l[f]));
  return h('div', { id: 'balance' },
    h('p', {}, t('ind.balance_lead'), ' ', closes),
    h('div', { class: 'table-wrap terms-wrap' }, terms),
    definition('balance-definition', b),
    h('h3', {}, t('ind.lines')),
    h('p', { id: 'balance-lines-count', class: 'muted small' },
      t('ind.lines_shown', { total: formatInt(b.lines_total), shown: shown.length })),
    dataTable('balance-lines', [
      [t('item.code'), (l) => h('span', { class: 'mono item-code' }, l.item)],
      [t('ind.declared'), mass('declared_g')],
      [t('ind.bucket'), bucket],
      [t('ind.mass_now'), mass('mass_g')],
      ...BALANCE_CHANGES.map(([f, k]) => [t(k), mass(f)]),
    ], shown, (l) => ({ item: l.item, unexplained: String(l.unexplained_g) })));
}

// ---------------------------------------------------------------- views: facilities and their reconciliation

async function facilitiesView(ctx) {
  await ensureRefs(ctx.signal);
  const lists = await Promise.all(['facility', 'collection_point'].map((role) => api.enterprises({ role }, ctx.signal)));
  const seen = new Set();
  const enterprises = lists.flatMap((l) => l.enterprises).filter((e) => !seen.has(e.uscc) && seen.add(e.uscc));
  const table = dataTable('facility-list', [
    [t('fac.name'), (e) => h('a', { href: `#/facilities/${encodeURIComponent(e.uscc)}` }, pick(e))],
    [t('ent.uscc'), (e) => h('span', { class: 'mono' }, e.uscc)],
    [t('ent.district'), (e) => refName('districts', e.district)],
  ], enterprises, (e) => ({ uscc: e.uscc }));
  return h('div', { id: 'facilities' },
    h('p', { class: 'muted' }, t('fac.lead'), ' ', h('a', { id: 'facilities-public', href: api.PUBLIC_FACILITIES }, t('fac.public_link')),
      lang() === 'zh' ? '。' : '.'),
    table);
}

async function facilityView(ctx) {
  await ensureRefs(ctx.signal);
  const [uscc] = ctx.params;
  const date = ctx.query.get('date') || todayCst();
  const [r, ent] = await Promise.all([
    api.facilityReconciliation(uscc, date, ctx.signal),
    api.enterprise(uscc, ctx.signal).catch((e) => {
      if (e.name === 'AbortError' || e.status === 401) throw e;
      return null;
    }),
  ]);
  setTitle(ent ? pick(ent) : r.name_zh);
  const form = h('form', { id: 'fac-form', class: 'inline-form' },
    field({ id: 'fac-date', name: 'date', type: 'date', label: t('fac.date'), value: r.date }),
    h('button', { type: 'submit', id: 'fac-submit' }, t('fac.show')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const d = readForm(form).date;
    go(`#/facilities/${encodeURIComponent(uscc)}${d ? `?date=${encodeURIComponent(d)}` : ''}`);
  });
  return h('div', { id: 'facility', dataset: { uscc: r.facility, date: r.date } },
    form,
    facilitySummary(r),
    section(t('fac.methods'), methodsTable(r.methods)),
    section(t('fac.inventory'), inventoryTable(r.inventory),
      h('p', { id: 'fac-inventory-total' }, labelled('fac.inventory_total'), formatTonnes(r.inventory_g))),
    definition('fac-definition', r));
}

function facilitySummary(r) {
  const row = (id, key, content) => [h('dt', {}, t(key)), h('dd', { id }, content)];
  const oldest = r.oldest_in_store;
  const lf = r.landfill;
  const m3 = (l) => t('fac.m3', { n: formatLitresAsM3(l) });
  return h('dl', { id: 'fac-summary', class: 'summary' },
    row('fac-uscc', 'ent.uscc', h('span', { class: 'mono' }, r.facility)),
    row('fac-day', 'fac.date', [r.date, ' ', h('span', { class: 'muted' }, t('fac.day', { day: r.day_of_year, days: r.days_in_year }))]),
    row('fac-received', 'fac.received', t('fac.received_value', { mass: formatTonnes(r.received_ytd_g), n: formatInt(r.received_ytd_items) })),
    row('fac-oldest', 'fac.oldest', oldest
      ? [h('span', { class: 'mono item-code' }, oldest.item), ' ',
        t('fac.oldest_value', { time: formatTime(oldest.held_since), days: formatInt(oldest.age_days) }), ' ',
        h('span', { class: 'muted small' }, stateName(oldest.state))]
      : t('fac.none')),
    r.collection && row('fac-collection', 'fac.collection', h('span', { dataset: { permille: r.collection.utilisation_permille ?? '' } },
      t('fac.collection_value', { received: formatTonnes(r.collection.received_ytd_g), capacity: formatTonnes(r.collection.capacity_g),
        pct: formatPermille(r.collection.utilisation_permille) }))),
    row('fac-landfill', 'fac.landfill', lf
      ? h('span', { dataset: { permille: lf.used_permille ?? '' } },
        labelled('fac.landfill_licensed'), t('fac.m3', { n: formatInt(lf.licensed_m3) }), ' · ',
        labelled('fac.landfill_used'), m3(lf.used_l), ` (${formatPermille(lf.used_permille)})`, ' · ',
        labelled('fac.landfill_remaining'), m3(lf.remaining_l))
      : t('fac.none')));
}

function methodsTable(methods) {
  const pct = (p) => h('span', { class: 'num' }, formatPermille(p));
  return dataTable('fac-methods', [
    [t('fac.method'), (m) => (state.refs?.treatment_methods?.some((x) => x.code === m.method)
      ? refName('treatment_methods', m.method) : m.method_zh || m.method)],
    [t('fac.capacity'), (m) => tonnesCell(m.capacity_g)],
    [t('fac.treated'), (m) => [tonnesCell(m.treated_ytd_g), ' ', h('span', { class: 'muted small' }, `(${t('fac.items_n', { n: formatInt(m.treated_ytd_items) })})`)]],
    [t('fac.prorated'), (m) => tonnesCell(m.prorated_capacity_g)],
    [t('fac.utilisation'), (m) => pct(m.utilisation_permille)],
    [t('fac.projected'), (m) => tonnesCell(m.projected_year_g)],
    [t('fac.projected_pct'), (m) => pct(m.projected_permille)],
    [t('fac.days_left'), (m) => h('span', { class: 'num' }, m.days_of_capacity_left == null ? t('common.none') : formatInt(m.days_of_capacity_left))],
    [t('fac.daily_capacity'), (m) => (m.daily_capacity_g == null ? h('span', { class: 'num' }, t('common.none')) : tonnesCell(m.daily_capacity_g))],
    [t('fac.treated_on_date'), (m) => tonnesCell(m.treated_on_date_g)],
    [t('fac.days_over'), (m) => h('span', { class: 'num' }, m.days_over_daily_capacity == null ? t('common.none') : formatInt(m.days_over_daily_capacity))],
  ], methods, (m) => ({ method: m.method, utilisation: m.utilisation_permille ?? '' }));
}

function inventoryTable(lines) {
  return dataTable('fac-inventory', [
    [t('fac.waste_code'), (l) => h('a', { class: 'mono', href: `#/catalogue?q=${encodeURIComponent(l.waste_code)}` }, l.waste_code)],
    [t('fac.items'), (l) => h('span', { class: 'num' }, formatInt(l.items))],
    [t('fac.mass'), (l) => h('span', { class: 'num', title: `${formatInt(l.mass_g)} g` }, formatTonnes(l.mass_g))],
  ], lines, (l) => ({ code: l.waste_code }));
}

// ---------------------------------------------------------------- start

function toggleLanguage() {
  setLang(lang() === 'zh' ? 'en' : 'zh');
  renderHeader();
  route({ keepFocus: true });
}

async function boot() {
  applyLang();
  renderHeader();
  $('#lang-toggle').addEventListener('click', toggleLanguage);
  $('#logout').addEventListener('click', doLogout);
  // The hash is the router's: the skip link moves focus instead of navigating.
  $('#skip-link').addEventListener('click', (ev) => { ev.preventDefault(); $('#main').focus(); });
  const [session] = await Promise.allSettled([api.getSession(), ensureRefs()]);
  state.user = session.status === 'fulfilled' ? session.value?.user || null : null;
  await loadOwnEnterprise();
  renderHeader();
  window.addEventListener('hashchange', onLocationChange);
  window.addEventListener('popstate', onLocationChange);
  await route({ keepFocus: true });
}

boot();
