// app.js: starts the web app (plain ES modules, no build step). Everything else is under js/:
// core/ holds what every screen uses (api.js, the one place that talks HTTP; i18n.js; dom.js;
// router.js; nav.js; forms.js; roles.js, who lands where; ...), screens/<role>/ one module
// per screen, and routes.js the list of screens. This file wires them: the routes, the
// header, the language switch, logging out, and the first render.

import * as api from './js/core/api.js';
import { lang, setLang, applyLang } from './js/core/i18n.js';
import { $ } from './js/core/dom.js';
import { state, ensureRefs, loadOwnEnterprise, forgetUser } from './js/core/state.js';
import { busy } from './js/core/feedback.js';
import { go, route, setRoutes, start } from './js/core/router.js';
import { initNav, renderHeader, setSections } from './js/core/nav.js';
import { homeHref } from './js/core/roles.js';
import { routes, notFound } from './js/routes.js';
import { startPwa } from './js/core/pwa.js';

/** The other language, re-rendering this page with what was typed kept. */
function toggleLanguage() {
  setLang(lang() === 'zh' ? 'en' : 'zh');
  renderHeader();
  route({ keepFocus: true, keepInput: true });
}

async function logout() {
  const ok = await busy(api.logout().then(() => true, (e) => { if (e.status === 401) return true; throw e; }));
  if (!ok) return;
  forgetUser();
  renderHeader();
  go('#/');
}

async function boot() {
  applyLang();
  setRoutes(routes, notFound);
  setSections(routes);
  initNav();
  renderHeader();
  startPwa();
  $('#lang-toggle').addEventListener('click', toggleLanguage);
  $('#logout').addEventListener('click', logout);
  // The hash is the router's: the skip link moves focus instead of navigating.
  $('#skip-link').addEventListener('click', (ev) => { ev.preventDefault(); $('#main').focus(); });
  const [session] = await Promise.allSettled([api.getSession(), ensureRefs()]);
  state.user = session.status === 'fulfilled' ? session.value?.user || null : null;
  await loadOwnEnterprise();
  renderHeader();
  // The app opened without a page named (an installed app, a bookmark of the site): a
  // logged-in user starts on the user's home.
  if (!location.hash && state.user) history.replaceState(null, '', homeHref());
  start();
  await route({ keepFocus: true });
}

boot();
