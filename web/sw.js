// sw.js: the app's service worker, so that a phone with no network still opens the app and has
// what its driver needs. The service serves this file at /sw.js (scope: the whole app) with its
// build filled in (src/http/web.rs): `shell`, every file of the app, and `version`, a hash of
// them all. So a changed file is a new worker, which fills a new shell cache and, once
// active, deletes the old one.
//
// What it answers, same origin only:
//   - the app's page and files (`shell`): from the shell cache first (offline first), else
//     from the network;
//   - the API answers a phone needs offline (KEPT: the session, the reference lists, the keys
//     that verify labels, the whole catalogue, the user's own enterprise with its vehicles
//     and devices, the manifests with their items): from the network when it answers within
//     NETWORK_TIMEOUT_MS, a copy kept in the data cache; else the last copy. The keys, the
//     reference lists and the catalogue are fetched at install, before any page asks;
//   - everything else (signed events, other pages and API calls): untouched, to the network.
// Logging in or out empties the data cache of what belonged to the session (not the public
// lists), so a shared phone never shows one user's manifests to the next.

const BUILD = /*BUILD*/{"version": "dev", "shell": []}/*END*/;

const SHELL_CACHE = `hwtrace-shell-${BUILD.version}`;
const SHELL_PREFIX = 'hwtrace-shell-';
const DATA_CACHE = 'hwtrace-data-v1';

/** Public answers every phone keeps, fetched at install. */
const PUBLIC_DATA = ['/api/v1/reference', '/api/v1/keys', '/api/v1/catalogue/all'];

/** API answers kept for offline use (GET, by path; the whole URL, query included, is the key). */
const KEPT = [
  /^\/api\/v1\/session$/,
  /^\/api\/v1\/reference$/,
  /^\/api\/v1\/keys$/,
  /^\/api\/v1\/catalogue\/all$/,
  /^\/api\/v1\/manifests$/,
  /^\/api\/v1\/enterprises\/[0-9A-Z]{18}$/,
  /^\/api\/v1\/enterprises\/[0-9A-Z]{18}\/(vehicles|devices)$/,
];

/** How long an API request may take before the kept copy is answered instead. */
const NETWORK_TIMEOUT_MS = 5000;
/** Manifest answers kept (one per vehicle and day asked); the oldest go first. */
const MAX_MANIFEST_ANSWERS = 20;

const shellPaths = new Set(BUILD.shell);

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const shell = await caches.open(SHELL_CACHE);
    // Past the HTTP cache: the files of exactly this version.
    await shell.addAll(BUILD.shell.map((path) => new Request(path, { cache: 'reload' })));
    const data = await caches.open(DATA_CACHE);
    await Promise.all(PUBLIC_DATA.map(async (path) => {
      try {
        const res = await fetch(path, { headers: { Accept: 'application/json' } });
        if (res.ok) await data.put(path, res);
      } catch {
        // No network at install: the page's own requests fill it later.
      }
    }));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(SHELL_PREFIX) && name !== SHELL_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data?.type === 'version') event.source?.postMessage({ type: 'version', version: BUILD.version });
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  const path = url.pathname;
  if (req.method !== 'GET') {
    if (path === '/api/v1/session') event.respondWith(sessionChange(req));
    return;
  }
  if (req.mode === 'navigate') {
    if (path === '/' || path === '/index.html') event.respondWith(fromShell('/', req));
    return;
  }
  if (shellPaths.has(path) && path !== '/') {
    event.respondWith(fromShell(path, req));
    return;
  }
  if (KEPT.some((re) => re.test(path))) event.respondWith(networkFirst(req, path));
});

/** The shell's copy of `path`, else the network's answer. */
async function fromShell(path, req) {
  const hit = await caches.match(path, { cacheName: SHELL_CACHE });
  return hit || fetch(req);
}

/** The network's answer within NETWORK_TIMEOUT_MS (kept when it is a success), else the kept copy. */
async function networkFirst(req, path) {
  const data = await caches.open(DATA_CACHE);
  const network = fetch(req).then(async (res) => {
    if (res.ok) {
      await data.put(req, res.clone());
      if (path === '/api/v1/manifests') await pruneManifests(data);
    } else if (res.status === 401 && path === '/api/v1/session') {
      await forgetSession(data);
    }
    return res;
  });
  let timer;
  const late = new Promise((resolve) => { timer = setTimeout(resolve, NETWORK_TIMEOUT_MS, 'late'); });
  try {
    const first = await Promise.race([network, late]);
    if (first !== 'late') return first;
  } catch {
    const kept = await data.match(req);
    if (kept) return kept;
    throw new TypeError('offline, and no copy of this answer is kept');
  } finally {
    clearTimeout(timer);
  }
  // The network is slow: the kept copy if there is one, else wait for the network.
  return (await data.match(req)) || network;
}

async function pruneManifests(data) {
  const kept = (await data.keys()).filter((r) => new URL(r.url).pathname === '/api/v1/manifests');
  for (const old of kept.slice(0, Math.max(0, kept.length - MAX_MANIFEST_ANSWERS))) await data.delete(old);
}

/** Drops what belonged to the session from the data cache (the public lists stay). */
async function forgetSession(data) {
  for (const r of await data.keys()) {
    if (!PUBLIC_DATA.includes(new URL(r.url).pathname)) await data.delete(r);
  }
}

/** Logging in or out: the data of the session before goes. */
async function sessionChange(req) {
  const res = await fetch(req);
  await forgetSession(await caches.open(DATA_CACHE));
  return res;
}
