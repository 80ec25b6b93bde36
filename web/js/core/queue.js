// core/queue.js: the outbox of signed events, for every screen that signs (the driver's, the
// gate's, the generator's). A signed envelope goes into IndexedDB first (db `hwtrace-queue`,
// store `events`, key `id` in signing order), so it survives a reload, a closed app and a
// phone restarted in the mountains; it is sent when the network allows, every waiting event
// in signing order as one batch (POST /api/v1/events/batch), and the answer is kept with it.
//
// Each event's status:
//   queued   signed and kept here, not sent yet;
//   sent     sent at least once, no answer yet (the network dropped, or it is on its way);
//   logged   in the custody log, with its index (`index`) and the receipt's essentials;
//   refused  refused by the service, with its reason (`refusal`: {error, message,
//            message_zh}; `index` is the `refusal` entry's when the refusal was logged).
// An event is never signed twice: it is retried as the same envelope, with the same nonce, so
// the log cannot hold it twice. When a batch's answer was lost the service refuses the
// envelopes as replayed (`replayed_nonce`), and the queue asks by key and nonce what became
// of each (GET /api/v1/events/by-nonce): logged, with its index, or refused, with its reason.
//
//   import { enqueue, settled } from '../../core/queue.js';
//   const rec = await enqueue(await signEvent(key, event), { screen: 'trip' });
//   // ...later, or never if the phone stays offline:
//   const done = await settled(rec.id); // done.status === 'logged' | 'refused'
//
// Screens follow changes with `onChange(cb)` (also those made by other tabs of the app).

import * as api from './api.js';
import { b64ToBytes } from './bytes.js';

const DB_NAME = 'hwtrace-queue';
const DB_VERSION = 1;
const STORE = 'events';
const CHANNEL = 'hwtrace-queue';
const LOCK = 'hwtrace-queue-send';

/** Most envelopes in one batch (the service takes up to 1000 per batch). */
export const MAX_BATCH = 200;
/** Finished events (logged or refused) kept for the queue screen; older ones are dropped. */
export const KEEP_FINISHED = 500;
/** Waits between retries after a failed send: from the first, doubling up to the last. */
const RETRY_FIRST_MS = 5_000;
const RETRY_MAX_MS = 60_000;
/** A look at the queue now and then, in case an `online` event never came. */
const PERIODIC_MS = 30_000;

export const STATUSES = ['queued', 'sent', 'logged', 'refused'];
export const isFinished = (rec) => rec.status === 'logged' || rec.status === 'refused';
export const isPending = (rec) => rec.status === 'queued' || rec.status === 'sent';

// ---- storage ----

let dbPromise = null;

function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => {
        req.result.createObjectStore(STORE, { keyPath: 'id', autoIncrement: true });
      };
      req.onsuccess = () => {
        const db = req.result;
        db.onversionchange = () => {
          db.close();
          dbPromise = null;
        };
        resolve(db);
      };
      req.onerror = () => {
        dbPromise = null;
        reject(req.error);
      };
    });
  }
  return dbPromise;
}

function done(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function objectStore(mode) {
  return (await openDb()).transaction(STORE, mode).objectStore(STORE);
}

const put = async (rec) => done((await objectStore('readwrite')).put(rec));
const remove = async (id) => done((await objectStore('readwrite')).delete(id));

/** Every event kept, in signing order. */
export const list = async () => done((await objectStore('readonly')).getAll());

/** One event by id, or undefined. */
export const get = async (id) => done((await objectStore('readonly')).get(id));

/** How many events wait to be logged (queued or sent). */
export async function pendingCount() {
  return (await list()).filter(isPending).length;
}

// ---- change notices (this tab and the others) ----

const listeners = new Set();
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL) : null;

function changed() {
  for (const cb of listeners) cb();
  channel?.postMessage('changed');
  checkWaiters();
}

channel?.addEventListener('message', () => {
  for (const cb of listeners) cb();
  checkWaiters();
});

/** Calls `cb()` whenever an event is added or changes status, here or in another tab; answers a stop function. */
export function onChange(cb) {
  listeners.add(cb);
  return () => listeners.delete(cb);
}

const waiters = new Map(); // id -> [resolve]

async function checkWaiters() {
  for (const [id, resolves] of [...waiters]) {
    const rec = await get(id).catch(() => null);
    if (rec && isFinished(rec)) {
      waiters.delete(id);
      resolves.forEach((r) => r(rec));
    }
  }
}

/** Resolves with the event once it is logged or refused (at once if it already is). */
export async function settled(id) {
  const rec = await get(id);
  if (!rec || isFinished(rec)) return rec;
  return new Promise((resolve) => {
    waiters.set(id, [...(waiters.get(id) || []), resolve]);
    checkWaiters();
  });
}

// ---- adding ----

/** The event inside a DSSE envelope (its payload, decoded). */
export function payloadOf(envelope) {
  return JSON.parse(new TextDecoder().decode(b64ToBytes(envelope.payload)));
}

/**
 * Keeps a signed envelope and, when online, sends it (with everything else waiting). `meta`
 * is the screen's own note (what to show, what to come back to). Answers the kept record.
 */
export async function enqueue(envelope, meta = {}) {
  const event = payloadOf(envelope);
  const items = event.items || (event.item ? [event.item] : event.inputs || []);
  const rec = {
    envelope,
    meta,
    type: event.type,
    actor: event.actor,
    device: event.device,
    at: event.at,
    nonce: event.nonce,
    key_id: envelope.signatures?.[0]?.keyid || null,
    items,
    manifest: event.manifest || null,
    status: 'queued',
    queued_at: new Date().toISOString(),
    attempts: 0,
    sent_at: null,
    settled_at: null,
    index: null,
    refusal: null,
    receipt: null,
    last_error: null,
  };
  rec.id = await put(rec);
  changed();
  flush();
  return rec;
}

// ---- sending ----

let running = null;
let again = false;
let retryTimer = null;
let retryDelay = RETRY_FIRST_MS;

/** Sends what waits, now, if the browser is online; resolves when this round is over. */
export function flush() {
  if (running) {
    again = true;
    return running;
  }
  clearTimeout(retryTimer);
  running = withLock(sendAll)
    .catch((e) => {
      console.warn('queue: sending failed', e);
      scheduleRetry();
    })
    .finally(() => {
      running = null;
      if (again) {
        again = false;
        flush();
      }
    });
  return running;
}

/** One sender at a time across the app's tabs (Web Locks), so no batch goes twice at once. */
function withLock(fn) {
  return navigator.locks?.request ? navigator.locks.request(LOCK, fn) : fn();
}

function scheduleRetry() {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(flush, retryDelay);
  retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
}

async function sendAll() {
  for (;;) {
    if (!navigator.onLine) return;
    const batch = (await list()).filter(isPending).slice(0, MAX_BATCH);
    if (!batch.length) {
      retryDelay = RETRY_FIRST_MS;
      return;
    }
    const now = new Date().toISOString();
    for (const rec of batch) {
      Object.assign(rec, { status: 'sent', attempts: rec.attempts + 1, sent_at: now, last_error: null });
      await put(rec);
    }
    changed();
    let answer;
    try {
      answer = await api.submitEvents(batch.map((rec) => rec.envelope));
    } catch (e) {
      // No answer (no network), or none to use (the service down, the batch refused whole):
      // the events stay as they are and go again later, the same envelopes.
      for (const rec of batch) {
        rec.last_error = e.code || 'network';
        await put(rec);
      }
      changed();
      scheduleRetry();
      return;
    }
    for (const [i, rec] of batch.entries()) await settle(rec, answer.results?.[i]);
    await prune();
    changed();
  }
}

/** What a receipt says that a screen may need later (the entry and its proof stay in the log). */
function essentials(receipt) {
  const { index, item_code, manifest_no, label, created } = receipt;
  return { index, item_code, manifest_no, label, created };
}

async function settle(rec, result) {
  const at = new Date().toISOString();
  if (result?.ok) {
    Object.assign(rec, { status: 'logged', index: result.receipt.index, receipt: essentials(result.receipt), settled_at: at });
  } else if (result?.error?.error === 'replayed_nonce') {
    await lookUp(rec, at);
  } else if (result?.error) {
    Object.assign(rec, { status: 'refused', refusal: result.error, settled_at: at });
  } else {
    rec.last_error = 'no_answer';
  }
  await put(rec);
}

/** The service has this nonce already: it was logged before, whose answer was lost. Which entry? */
async function lookUp(rec, at) {
  try {
    const used = await api.eventByNonce(rec.key_id, rec.nonce);
    if (used.kind === 'event') {
      Object.assign(rec, { status: 'logged', index: used.index, settled_at: at });
    } else {
      Object.assign(rec, { status: 'refused', index: used.index, refusal: used.refusal, settled_at: at });
    }
  } catch (e) {
    rec.last_error = e.code || 'network'; // asked again at the next send
  }
}

/** Keeps the newest KEEP_FINISHED finished events; waiting ones are never dropped. */
async function prune() {
  const finished = (await list()).filter(isFinished);
  for (const rec of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) await remove(rec.id);
}

let started = false;

/** Sends when the network comes back, when the app comes to the front, and now and then. */
export function startSync() {
  if (started) return;
  started = true;
  window.addEventListener('online', () => {
    retryDelay = RETRY_FIRST_MS;
    flush();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') flush();
  });
  setInterval(() => {
    if (navigator.onLine && !running) pendingCount().then((n) => n && flush(), () => null);
  }, PERIODIC_MS);
  flush();
}
