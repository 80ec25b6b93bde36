// core/nav.js: the page's header and navigation. The sections come from the routes: a route
// with `nav: {label, short?, show?, href?, id?, rank, main?, also?}` is a section, shown to
// the users for whom `show()` is true (everyone when absent), linking to `href()` (else the
// route's pattern), ordered by `rank`; `also` names other routes that belong to it (the
// enterprise page to the enterprise list). On wide screens every section is in the header's
// bar (#nav, links #nav-<section>); on phones a bottom bar (#phone-nav, links #pnav-<section>)
// holds the user's home and the next `main` sections, four in all, and "more" (#phone-more)
// opens a sheet (#phone-sheet, links #sheet-<section>) with every section.

import { t, lang } from './i18n.js';
import { $, h } from './dom.js';
import { state } from './state.js';
import { homeHref } from './roles.js';
import { userRoleName } from './names.js';
import { searchForm } from './search.js';

/** How many sections the phone's bottom bar holds besides "more". */
const PHONE_BAR = 4;

let sections = [];

/** Takes the sections from the routes (app.js calls it once with every route). */
export function setSections(routes) {
  sections = routes.filter((r) => r.nav).map((r) => ({
    ...r.nav,
    route: r.name,
    key: (r.nav.id || `nav-${r.name}`).replace(/^nav-/, ''),
    path: r.pattern,
  })).sort((a, b) => a.rank - b.rank);
}

/** The sections this user may open, in order, with their hrefs. */
export function visibleSections() {
  return sections.filter((s) => !s.show || s.show())
    .map((s) => ({ ...s, href: s.href ? s.href() : `#${s.path}` }));
}

/** The login page's hash, coming back here after logging in. */
export function loginHref() {
  const here = location.hash;
  return here && !here.startsWith('#/login') && here !== '#/' ? `#/login?next=${encodeURIComponent(here)}` : '#/login';
}

function link(prefix, s, label) {
  return h('a', {
    id: `${prefix}-${s.key}`, href: s.href,
    dataset: { route: s.route, section: s.key, also: (s.also || []).join(' ') },
  }, label);
}

/** The phone bar's sections: the user's home first, then the main ones, then the rest. */
function phoneBar(list) {
  const home = homeHref();
  const first = list.find((s) => s.href === home) || list.find((s) => s.route === 'home');
  const rest = list.filter((s) => s !== first);
  return [first, ...rest.filter((s) => s.main), ...rest.filter((s) => !s.main)].filter(Boolean).slice(0, PHONE_BAR);
}

/** The header's search box (core/search.js), for logged-in users, before the account. */
function renderSearch() {
  document.querySelector('#header-search')?.remove();
  if (state.user) document.querySelector('.site-header .account').before(searchForm('header-search'));
}

function renderNav() {
  const list = visibleSections();
  renderSearch();
  $('#nav').setAttribute('aria-label', t('app.nav'));
  $('#nav').replaceChildren(...list.map((s) => link('nav', s, t(s.label))));

  const bar = phoneBar(list);
  const more = h('button', {
    type: 'button', id: 'phone-more', class: 'phone-more', 'aria-expanded': 'false', 'aria-controls': 'phone-sheet',
  }, h('span', { class: 'pnav-label' }, t('nav.more')));
  more.addEventListener('click', () => toggleSheet());
  $('#phone-nav').setAttribute('aria-label', t('nav.phone'));
  $('#phone-nav').replaceChildren(
    ...bar.map((s) => link('pnav', s, h('span', { class: 'pnav-label' }, t(s.short || s.label)))), more);

  const close = h('button', { type: 'button', id: 'phone-sheet-close', class: 'sheet-close' }, t('nav.close'));
  close.addEventListener('click', () => toggleSheet(false));
  const sheet = $('#phone-sheet');
  sheet.setAttribute('aria-label', t('nav.more_title'));
  sheet.replaceChildren(h('div', { class: 'sheet-card' },
    h('div', { class: 'sheet-head' }, h('h2', {}, t('nav.more_title')), close),
    state.user && searchForm('sheet-search'),
    h('ul', { class: 'sheet-list' }, list.map((s) => h('li', {}, link('sheet', s, t(s.label)))))));
  sheet.onclick = (ev) => {
    // A tap outside the card, or on a section (the router then shows it).
    if (ev.target === sheet || ev.target.closest('a')) toggleSheet(false);
  };
}

/** Closes the phone's sheet with Escape (app.js calls it once). */
export function initNav() {
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && !$('#phone-sheet').hidden) {
      toggleSheet(false);
      $('#phone-more')?.focus();
    }
  });
}

/** Opens (or closes) the phone's sheet of every section. */
export function toggleSheet(open) {
  const sheet = $('#phone-sheet');
  const more = $('#phone-more');
  const show = open ?? sheet.hidden;
  sheet.hidden = !show;
  more?.setAttribute('aria-expanded', String(show));
  document.body.classList.toggle('sheet-open', show);
  if (show) sheet.querySelector('a')?.focus();
}

/** Marks the links of the section of route `name` as the current page. */
export function markNav(name) {
  toggleSheet(false);
  for (const a of document.querySelectorAll('#nav a, #phone-nav a, #phone-sheet a')) {
    const here = a.dataset.route === name || a.dataset.also.split(' ').includes(name);
    if (here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const inBar = !!document.querySelector('#phone-nav a[aria-current]');
  const inSheet = !!document.querySelector('#phone-sheet a[aria-current]');
  $('#phone-more')?.classList.toggle('current', inSheet && !inBar);
}

/** Draws the header (brand, sections, who is logged in, language) and footer in the UI language. */
export function renderHeader() {
  $('#brand-tagline').textContent = t('app.tagline');
  $('#skip-link').textContent = t('app.skip');
  renderNav();
  markNav(document.body.dataset.route || '');
  renderWhoami(state.user);
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
    const a = h('a', { id: 'login-link', href: '#/login' }, t('nav.login'));
    a.addEventListener('click', (ev) => { ev.preventDefault(); location.hash = loginHref(); });
    who.replaceChildren(a);
    return;
  }
  Object.assign(who.dataset, { username: u.username, role: u.role });
  who.replaceChildren(
    h('span', { class: 'who-name' }, u.display_name || u.username),
    h('span', { class: 'who-role' }, userRoleName(u.role)));
}
