// core/pwa.js: the installable, offline-first app. It registers the service worker (/sw.js,
// which keeps the app and the data a phone needs; its state in <html data-sw>: `ready` once it
// controls the page, `failed` when the browser refused it, `unsupported`), shows in the header
// whether the device is online and how many signed events wait to be sent (#net-status, a link
// to the queue), and starts the queue's sending (core/queue.js). app.js calls `startPwa()`.
//
// A page opened for the first time is not yet controlled by the worker, so its first requests
// are not kept; a screen that needs its data offline calls `keepOffline(fetch)` after loading,
// and the fetch is made again through the worker once it controls the page.

import { t, register } from './i18n.js';
import { $, h } from './dom.js';
import { state } from './state.js';
import * as queue from './queue.js';

register({
  zh: {
    'net.online': '在线',
    'net.offline': '离线',
    'net.pending': '待发送 {n}',
    'net.title_online': '网络已连接。点击查看签名事件的发送队列。',
    'net.title_offline': '没有网络：签名的事件保存在本机，联网后自动发送。点击查看发送队列。',
    'net.sw_failed': '离线功能不可用（浏览器未能安装服务工作线程）。',
  },
  en: {
    'net.online': 'Online',
    'net.offline': 'Offline',
    'net.pending': '{n} to send',
    'net.title_online': 'Connected. Tap to see the queue of signed events.',
    'net.title_offline': 'No network: signed events are kept on this device and sent once connected. Tap to see the queue.',
    'net.sw_failed': 'Offline use is not available (the browser did not install the service worker).',
  },
});

const warmers = [];
let pending = 0;

/** Registers the service worker; a refusal is shown, never thrown. */
function registerWorker() {
  const root = document.documentElement;
  if (!('serviceWorker' in navigator)) {
    root.dataset.sw = 'unsupported';
    return;
  }
  root.dataset.sw = navigator.serviceWorker.controller ? 'ready' : 'installing';
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    root.dataset.sw = 'ready';
    for (const fn of warmers.splice(0)) Promise.resolve().then(fn).catch(() => null);
  });
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).then(
    () => null,
    (e) => {
      root.dataset.sw = 'failed';
      console.warn('service worker not registered:', e);
      renderIndicator();
    },
  );
}

/**
 * Makes sure what `fetch` loads is kept for offline use: when the page is not controlled by
 * the service worker yet, `fetch` runs again once it is.
 */
export function keepOffline(fetch) {
  if (!('serviceWorker' in navigator) || navigator.serviceWorker.controller) return;
  warmers.push(fetch);
}

function renderIndicator() {
  let el = $('#net-status');
  if (!el) {
    el = h('a', { id: 'net-status', class: 'net-status', href: '#/queue' });
    $('.account')?.prepend(el);
  }
  const online = navigator.onLine;
  const failed = document.documentElement.dataset.sw === 'failed';
  el.dataset.online = online ? 'yes' : 'no';
  el.dataset.pending = String(pending);
  el.hidden = !(state.user || !online || pending);
  el.title = [online ? t('net.title_online') : t('net.title_offline'), failed ? t('net.sw_failed') : '']
    .filter(Boolean).join(' ');
  el.replaceChildren(...[
    h('span', { class: 'net-dot', 'aria-hidden': 'true' }),
    h('span', { class: 'net-text' }, online ? t('net.online') : t('net.offline')),
    pending ? h('span', { id: 'net-pending', class: 'net-pending' }, t('net.pending', { n: pending })) : null,
  ].filter(Boolean));
}

async function refreshPending() {
  pending = await queue.pendingCount().catch(() => 0);
  renderIndicator();
}

/** Starts the offline machinery: the worker, the indicator, the queue's sending. */
export function startPwa() {
  registerWorker();
  renderIndicator();
  window.addEventListener('online', renderIndicator);
  window.addEventListener('offline', renderIndicator);
  window.addEventListener('hashchange', renderIndicator);
  // The language switch and logging in or out re-render the header: follow them.
  new MutationObserver(renderIndicator).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
  new MutationObserver(renderIndicator).observe($('#whoami'), { childList: true });
  queue.onChange(refreshPending);
  refreshPending();
  queue.startSync();
}
