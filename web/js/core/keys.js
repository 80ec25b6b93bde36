// core/keys.js: this browser's device keys and signed events. A key pair is made by WebCrypto
// (Ed25519, private key not extractable) and kept in IndexedDB (db `hwtrace`, store
// `device-keys`, under the device's full name "<USCC>/<device>"); events are signed as DSSE
// envelopes (SPEC §4) with it. Every screen that signs (registration, acknowledgements, and
// the driver's and the gate's screens) goes through here.

import * as api from './api.js';
import { register } from './i18n.js';
import { uiError } from './feedback.js';
import { bytesToB64, concatBytes, randomHex } from './bytes.js';

register({
  zh: {
    'err.keygen_unsupported': '此浏览器无法生成 Ed25519 密钥（需要较新的 Chromium，并通过 HTTPS 或 localhost 访问）。',
    'err.key_store': '设备已注册，但无法把密钥保存到本机：{msg}',
    'err.no_device_key': '请选择本机的设备密钥。',
    'err.sign_failed': '签名失败：{msg}',
  },
  en: {
    'err.keygen_unsupported': 'This browser cannot generate Ed25519 keys (it needs a recent Chromium, over HTTPS or on localhost).',
    'err.key_store': 'The device was registered but its key could not be stored on this device: {msg}',
    'err.no_device_key': 'Choose a device key of this browser.',
    'err.sign_failed': 'Signing failed: {msg}',
  },
});

const KEY_DB = 'hwtrace';
const KEY_STORE = 'device-keys';
const EVENT_PAYLOAD_TYPE = 'application/vnd.hwtrace.event+json';

/** A new Ed25519 pair whose private key can never leave this browser; public key as base64 of 32 raw bytes. */
export async function generateDeviceKey() {
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
export const saveDeviceKey = (name, record) => keyStore('readwrite', (s) => s.put(record, name));

/** Forgets the key stored under `name` (a request that was refused or lapsed). */
export const deleteDeviceKey = (name) => keyStore('readwrite', (s) => s.delete(name));

/** The full names of the device keys this browser holds (none when IndexedDB cannot be read). */
export async function localKeyNames() {
  try {
    return await keyStore('readonly', (s) => s.getAllKeys());
  } catch {
    return [];
  }
}

/** Every key record of this browser as {name, rec}; none when IndexedDB cannot be read. */
export async function localKeyRecords() {
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

/**
 * This browser's usable device keys of enterprise `uscc` ({name, device, keyId, privateKey}),
 * leaving out keys the server has revoked or replaced when it can say so.
 */
export async function enterpriseKeys(uscc, signal) {
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

/**
 * The key this browser signs with for enterprise `uscc` (the first usable one), or null when it
 * holds none yet: the screens that sign send the user to #/device to enrol this browser.
 */
export async function deviceKeyFor(uscc, signal) {
  const keys = await enterpriseKeys(uscc, signal);
  return keys[0] || null;
}

/** Now as RFC 3339 with the +08:00 offset, to the second: "2026-11-29T15:04:05+08:00". */
export function nowCstRfc3339() {
  return `${new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 19)}+08:00`;
}

/** The members every event starts with, for `key` of enterprise `actor`. */
export const eventHead = (type, actor, key) =>
  ({ type, actor, device: key.device, at: nowCstRfc3339(), nonce: randomHex(8) });

/** A DSSE envelope of `event`, signed with Ed25519 over PAE(payloadType, payload). */
export async function signEvent(key, event) {
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
