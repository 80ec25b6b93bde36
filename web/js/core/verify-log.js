// core/verify-log.js: what the browser checks itself about the log, with core/verify.js
// (WebCrypto only; the server serves bytes and proofs, it is never asked whether they hold):
//
//   - the log keys: the `log` keys of GET /api/v1/keys (the kept checkpoint records which one
//     signed it); label and device keys are taken from their registration entries in the log
//     (`log_seq` of the key list), each fetched and proved included in the checkpoint;
//   - `trustCheckpoint(note)`: the checkpoint's signature by a log key, then consistency with
//     the last checkpoint this browser verified (IndexedDB db `hwtrace-log`, store
//     `checkpoints`, one record per origin): a consistency proof from the smaller tree to the
//     larger one is fetched and checked, and the larger checkpoint is kept. A checkpoint that
//     is not consistent with the kept one is a split view: two histories under the same log
//     key. The kept one is never replaced by it;
//   - `verifyItem(code)`: every entry of the item's history (GET /api/v1/items/{code}/history)
//     proved included in the answer's checkpoint, its `prev` link, each signature of its DSSE
//     envelope by a device key whose registration entry is itself proved in the log (and
//     logged before the event, not revoked before it), and the label that created the item by
//     a label key proved the same way.

import * as api from './api.js';
import { b64ToBytes } from './bytes.js';
import {
  envelopePayload, hex, leafHash, parseCheckpoint, parseVkey, verifyCheckpoint, verifyConsistency,
  verifyEnvelope, verifyInclusion, verifyLabelB64,
} from './verify.js';

const DB = 'hwtrace-log';
const STORE = 'checkpoints';
const enc = new TextEncoder();

function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function store(mode, op) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = op(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** The checkpoint this browser last verified for `origin`: {origin, size, root, note, vkey, verifiedAt} or undefined. */
export const keptCheckpoint = (origin) => store('readonly', (s) => s.get(origin));
const keep = (record) => store('readwrite', (s) => s.put(record, record.origin));

let keysPromise = null;

/** The key list, parsed once per page load: {log: [parsed], label: [...], device: [...]}, each with `logSeq`, `revokedAt`. */
export function loadKeys({ refresh = false } = {}) {
  if (!keysPromise || refresh) {
    keysPromise = api.keys().then(async (list) => {
      const out = { log: [], label: [], device: [] };
      for (const k of list.keys || []) {
        const v = await parseVkey(k.vkey);
        if (!v || !out[k.role]) continue;
        out[k.role].push({ ...v, role: k.role, logSeq: k.log_seq ?? null, revokedAt: k.revoked_at || null });
      }
      return out;
    });
    keysPromise.catch(() => { keysPromise = null; });
  }
  return keysPromise;
}

/**
 * Checks `note` (a checkpoint) and its consistency with the kept one. Answers
 * {state: 'verified'|'failed'|'split', checkpoint, key, kept, reason}: `verified` when the
 * signature holds and the history extends (or is extended by) the kept one; the larger of
 * the two is then kept.
 */
export async function trustCheckpoint(note, signal) {
  const keys = await loadKeys();
  const sig = await verifyCheckpoint(note, keys.log);
  if (!sig.ok) return { state: 'failed', reason: `checkpoint_${sig.reason}`, checkpoint: sig.checkpoint };
  const cp = sig.checkpoint;
  const kept = await keptCheckpoint(cp.origin);
  const record = { origin: cp.origin, size: cp.size, root: cp.rootB64, note, vkey: sig.key.vkey, verifiedAt: new Date().toISOString() };
  if (!kept) {
    await keep(record);
    return { state: 'verified', checkpoint: cp, key: sig.key, kept: null, first: true };
  }
  const keptRoot = b64ToBytes(kept.root);
  let consistent;
  if (kept.size === cp.size) {
    consistent = kept.root === cp.rootB64;
  } else {
    const [small, smallRoot, large, largeRoot] = kept.size < cp.size
      ? [kept.size, keptRoot, cp.size, cp.root] : [cp.size, cp.root, kept.size, keptRoot];
    try {
      const proof = await api.logConsistency(small, large, signal);
      consistent = await verifyConsistency(small, large, smallRoot, largeRoot, proof.hashes.map(b64ToBytes));
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      // The served log cannot prove its tree of the kept size: it is not the history kept.
      consistent = false;
    }
  }
  if (!consistent) return { state: 'split', checkpoint: cp, key: sig.key, kept, reason: 'inconsistent' };
  if (cp.size > kept.size) await keep(record);
  return { state: 'verified', checkpoint: cp, key: sig.key, kept };
}

/** Proves entry `seq` (fetched) included in `cp`; answers its JSON, or null. */
async function provedEntry(seq, cp, signal) {
  const [line] = await api.logEntries(seq, seq + 1, signal);
  const proof = await api.logInclusion(seq, cp.size, signal);
  const ok = await verifyInclusion(seq, cp.size, await leafHash(enc.encode(line)), proof.hashes.map(b64ToBytes), cp.root);
  if (!ok) return null;
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

/**
 * A key resolver whose keys are taken from their registration entries, each proved included
 * in `cp`: `get(keyId, role, beforeSeq)` → parsed key (with `logSeq`) or null.
 */
function provedKeys(keys, cp, signal) {
  const proved = new Map();
  const proveOne = (k) => {
    if (!proved.has(k.vkey)) {
      proved.set(k.vkey, (async () => {
        if (k.logSeq === null || k.logSeq >= cp.size) return false;
        const e = await provedEntry(k.logSeq, cp, signal);
        return !!e && e.kind === 'key' && e.key?.vkey === k.vkey && e.key?.role === k.role && e.key?.action === 'register';
      })());
    }
    return proved.get(k.vkey);
  };
  return async (keyId, role, beforeSeq, at) => {
    for (const k of keys[role].filter((x) => x.keyId === keyId)) {
      if (k.logSeq === null || k.logSeq >= beforeSeq) continue;
      if (k.revokedAt && at && Date.parse(k.revokedAt) <= Date.parse(at)) continue;
      if (await proveOne(k)) return k;
    }
    return null;
  };
}

/**
 * Verifies every entry of item `code`. Answers {checkpoint: trustCheckpoint's answer,
 * entries: [{index, ok, failed: [reasons], signers: [{keyId, name, ok}], label, payload}]}
 * and calls `onEntry(result)` as each one is done.
 */
export async function verifyItem(code, { signal, onEntry } = {}) {
  const history = await api.itemHistory(code, signal);
  const trust = await trustCheckpoint(history.checkpoint, signal);
  const cp = trust.checkpoint;
  const keys = await loadKeys();
  const keyFor = provedKeys(keys, cp || { size: 0 }, signal);
  const results = [];
  let prevLeaf = '';
  for (const he of history.entries) {
    const failed = [];
    const bytes = enc.encode(he.entry);
    const leaf = await leafHash(bytes);
    if (trust.state === 'failed' || !cp) failed.push('checkpoint');
    else if (trust.state === 'split') failed.push('split');
    else if (!(await verifyInclusion(he.index, cp.size, leaf, he.inclusion_proof.map(b64ToBytes), cp.root))) failed.push('inclusion');
    let entry = null;
    try {
      entry = JSON.parse(he.entry);
    } catch {
      failed.push('entry');
    }
    const out = { index: he.index, failed, signers: [], label: null, payload: null, entry };
    if (entry) {
      if (entry.seq !== he.index) failed.push('seq');
      if (!entry.prev || entry.prev[code] !== prevLeaf) failed.push('prev');
      if (entry.envelope) {
        out.payload = envelopePayload(entry.envelope);
        const sigs = entry.envelope.signatures || [];
        const resolved = new Map();
        for (const s of sigs) resolved.set(s.keyid, await keyFor(s.keyid, 'device', he.index, entry.logged_at));
        out.signers = await verifyEnvelope(entry.envelope, (id) => resolved.get(id) || null);
        if (out.signers.some((s) => !s.ok)) failed.push('signature');
        const p = out.payload;
        if (!p || !out.signers[0]?.ok || out.signers[0].name !== `${p.actor}/${p.device}`) {
          if (!failed.includes('signature')) failed.push('signer');
        }
      }
      const labels = entry.labels || (entry.label ? [entry.label] : []);
      for (const l of labels) {
        let keyId = null;
        try {
          keyId = hex(b64ToBytes(l).slice(1, 5));
        } catch { /* judged below */ }
        const key = keyId && (await keyFor(keyId, 'label', he.index, entry.logged_at));
        const v = await verifyLabelB64(l, (id) => (id === key?.keyId ? key : null));
        if (v.code === code || labels.length === 1) out.label = v;
        if (!v.ok) failed.push('label');
      }
    }
    prevLeaf = hex(leaf);
    out.ok = failed.length === 0;
    results.push(out);
    onEntry?.(out);
  }
  return { history, checkpoint: trust, entries: results };
}

export { parseCheckpoint };
