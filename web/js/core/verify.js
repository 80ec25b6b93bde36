// core/verify.js: the log's formats checked in the browser, by WebCrypto alone (SHA-256 and
// Ed25519), with no server help: the server only serves bytes (SPEC §2–§5). Pure: no DOM, no
// fetch, so the range audit's Web Worker (core/verify-worker.js) uses it too.
//
//   - keys: verifier key strings `name+<hex key_id>+b64(0x01 || pk)` (C2SP signed-note), the
//     key ID recomputed as SHA-256(name || 0x0A || 0x01 || pk)[0..4];
//   - Merkle trees (RFC 6962 / RFC 9162 §2.1): leaf and node hashes, the root of a list of
//     leaves, inclusion and consistency proofs verified as RFC 9162 §2.1.3.2 and §2.1.4.2;
//   - checkpoints (C2SP tlog-checkpoint in a C2SP signed note): parsed, and the signature of
//     the log key checked over the body (the three lines and their final newline);
//   - DSSE envelopes (SPEC §4): each signature over PAE(payloadType, payload);
//   - labels (SPEC §3): the label key's signature over "hwtrace/label/v1\n" || payload.

import { b64ToBytes, concatBytes } from './bytes.js';

const enc = new TextEncoder();

export const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

export function equalBytes(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

// ---- keys ----

/** A verifier key string → {name, keyId (8 hex), publicKey (32 bytes), vkey}, or null. */
export async function parseVkey(vkey) {
  const m = /^(.+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]{44})$/.exec(vkey || '');
  if (!m) return null;
  let raw;
  try {
    raw = b64ToBytes(m[3]);
  } catch {
    return null;
  }
  if (raw.length !== 33 || raw[0] !== 0x01) return null;
  const id = await sha256(concatBytes(enc.encode(m[1]), new Uint8Array([0x0a]), raw));
  if (hex(id.slice(0, 4)) !== m[2]) return null;
  return { name: m[1], keyId: m[2], publicKey: raw.slice(1), vkey };
}

const imported = new Map();

/** Ed25519 verification by WebCrypto; false (never a throw) for a bad key or signature. */
export async function ed25519Verify(publicKey, signature, message) {
  const id = hex(publicKey);
  try {
    if (!imported.has(id)) {
      imported.set(id, crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']));
    }
    if (signature.length !== 64) return false;
    return await crypto.subtle.verify({ name: 'Ed25519' }, await imported.get(id), signature, message);
  } catch {
    return false;
  }
}

// ---- Merkle trees ----

export const leafHash = (entryBytes) => sha256(concatBytes(new Uint8Array([0x00]), entryBytes));
export const nodeHash = (left, right) => sha256(concatBytes(new Uint8Array([0x01]), left, right));

/** The largest power of two smaller than n (n > 1). */
function split(n) {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** The root of the tree over `leaves` (leaf hashes), RFC 6962 §2.1. */
export async function rootOf(leaves, from = 0, to = leaves.length) {
  const n = to - from;
  if (n === 0) return sha256(new Uint8Array());
  if (n === 1) return leaves[from];
  const k = split(n);
  return nodeHash(await rootOf(leaves, from, from + k), await rootOf(leaves, from + k, to));
}

/**
 * A tree built leaf by leaf, keeping only the roots of its complete subtrees (the "frontier"),
 * so the root of millions of entries is computed in O(log n) memory.
 */
export class TreeBuilder {
  constructor() {
    this.size = 0;
    this.stack = []; // [{height, hash}], heights strictly decreasing
  }

  async push(leaf) {
    await this.pushNode(0, leaf);
  }

  /**
   * Adds 2^k leaves at once, their subtree hashed level by level (each level's hashes
   * concurrently). The tree's size must be a multiple of 2^k, as when every earlier push was
   * a block of the same size.
   */
  async pushBlock(leaves) {
    const n = leaves.length;
    if (n === 0 || (n & (n - 1)) !== 0 || this.size % n !== 0) throw new Error('pushBlock: not an aligned power of two');
    let level = leaves;
    let height = 0;
    while (level.length > 1) {
      const next = [];
      for (let i = 0; i < level.length; i += 2) next.push(nodeHash(level[i], level[i + 1]));
      level = await Promise.all(next);
      height += 1;
    }
    await this.pushNode(height, level[0]);
  }

  async pushNode(height, hash) {
    let node = { height, hash };
    while (this.stack.length && this.stack.at(-1).height === node.height) {
      const left = this.stack.pop();
      node = { height: node.height + 1, hash: await nodeHash(left.hash, node.hash) };
    }
    this.stack.push(node);
    this.size += 2 ** height;
  }

  async root() {
    if (!this.stack.length) return sha256(new Uint8Array());
    let hash = this.stack.at(-1).hash;
    for (let i = this.stack.length - 2; i >= 0; i -= 1) hash = await nodeHash(this.stack[i].hash, hash);
    return hash;
  }
}

/** RFC 9162 §2.1.3.2: the root an inclusion proof leads to, or null when the proof is malformed. */
export async function rootFromInclusion(index, size, leaf, proof) {
  if (!(index >= 0 && index < size)) return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

export async function verifyInclusion(index, size, leaf, proof, root) {
  if (leaf?.length !== 32 || root?.length !== 32 || proof.some((p) => p.length !== 32)) return false;
  return equalBytes(await rootFromInclusion(index, size, leaf, proof), root);
}

function isPowerOfTwo(n) {
  let m = n;
  while (m > 1 && m % 2 === 0) m /= 2;
  return m === 1;
}

/** RFC 9162 §2.1.4.2: whether `proof` shows the tree of `oldSize` (root oldRoot) is a prefix of the tree of `newSize`. */
export async function verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof) {
  // A proof from the empty tree proves nothing; RFC 9162 asks for 0 < old <= new.
  if (!(oldSize > 0 && oldSize <= newSize)) return false;
  if (oldSize === newSize) return proof.length === 0 && equalBytes(oldRoot, newRoot);
  if (oldRoot?.length !== 32 || newRoot?.length !== 32 || proof.some((p) => p.length !== 32)) return false;
  if (proof.length === 0) return false;
  let path = proof;
  if (isPowerOfTwo(oldSize)) path = [oldRoot, ...proof];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(fr, oldRoot) && equalBytes(sr, newRoot);
}

// ---- checkpoints (C2SP signed note + tlog-checkpoint) ----

/**
 * A checkpoint note → {origin, size, root (bytes), rootB64, body (text signed), signatures:
 * [{name, keyId, sig}]}, or null when it is not a well-formed checkpoint.
 */
export function parseCheckpoint(note) {
  if (typeof note !== 'string') return null;
  const at = note.indexOf('\n\n');
  if (at < 0) return null;
  const body = note.slice(0, at + 1);
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3 || !lines[0] || !/^(0|[1-9][0-9]*)$/.test(lines[1])) return null;
  let root;
  try {
    root = b64ToBytes(lines[2]);
  } catch {
    return null;
  }
  if (root.length !== 32) return null;
  const signatures = [];
  const sigText = note.slice(at + 2);
  if (!sigText.endsWith('\n')) return null;
  for (const line of sigText.slice(0, -1).split('\n')) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) return null;
    let raw;
    try {
      raw = b64ToBytes(m[2]);
    } catch {
      return null;
    }
    if (raw.length < 5) return null;
    signatures.push({ name: m[1], keyId: hex(raw.slice(0, 4)), sig: raw.slice(4) });
  }
  return {
    origin: lines[0], size: Number(lines[1]), root, rootB64: lines[2], extensions: lines.slice(3), body, signatures, note,
  };
}

/**
 * Checks a checkpoint against the log keys (parsed vkeys): answers {ok, checkpoint, key,
 * reason}. It is valid when one signature line names a log key by name and key ID and that
 * key's Ed25519 signature over the body verifies; the origin must be the key's name.
 */
export async function verifyCheckpoint(note, logKeys) {
  const cp = parseCheckpoint(note);
  if (!cp) return { ok: false, reason: 'malformed' };
  for (const s of cp.signatures) {
    const key = logKeys.find((k) => k.name === s.name && k.keyId === s.keyId);
    if (!key) continue;
    const ok = await ed25519Verify(key.publicKey, s.sig, enc.encode(cp.body));
    if (!ok) return { ok: false, checkpoint: cp, key, reason: 'bad_signature' };
    if (cp.origin !== key.name) return { ok: false, checkpoint: cp, key, reason: 'wrong_origin' };
    return { ok: true, checkpoint: cp, key };
  }
  return { ok: false, checkpoint: cp, reason: 'no_log_key_signature' };
}

// ---- DSSE envelopes ----

/** The DSSE v1 pre-authentication encoding of (payloadType, payload bytes). */
export function pae(payloadType, payload) {
  const type = enc.encode(payloadType);
  return concatBytes(enc.encode(`DSSEv1 ${type.length} `), type, enc.encode(` ${payload.length} `), payload);
}

/**
 * Checks every signature of a DSSE envelope against `keyFor(keyId)` → parsed key or null.
 * Answers [{keyId, name, ok, reason}] in signature order; an envelope is good when the list
 * is not empty and every one is ok.
 */
export async function verifyEnvelope(envelope, keyFor) {
  let payload;
  try {
    payload = b64ToBytes(envelope.payload);
  } catch {
    return [{ keyId: null, ok: false, reason: 'bad_payload' }];
  }
  const message = pae(envelope.payloadType || '', payload);
  const out = [];
  for (const s of envelope.signatures || []) {
    const key = keyFor(s.keyid);
    if (!key) {
      out.push({ keyId: s.keyid, ok: false, reason: 'unknown_key' });
      continue;
    }
    let sig;
    try {
      sig = b64ToBytes(s.sig);
    } catch {
      sig = new Uint8Array();
    }
    const ok = await ed25519Verify(key.publicKey, sig, message);
    out.push({ keyId: s.keyid, name: key.name, ok, reason: ok ? null : 'bad_signature' });
  }
  if (!out.length) out.push({ keyId: null, ok: false, reason: 'no_signature' });
  return out;
}

/** The event JSON an envelope carries, or null. */
export function envelopePayload(envelope) {
  try {
    return JSON.parse(new TextDecoder().decode(b64ToBytes(envelope.payload)));
  } catch {
    return null;
  }
}

// ---- labels ----

const LABEL_CONTEXT = enc.encode('hwtrace/label/v1\n');

/**
 * Checks a label (b64 of payload 60 || sig 64) against `keyFor(keyId)`; answers {ok, keyId,
 * code, reason}.
 */
export async function verifyLabelB64(labelB64, keyFor) {
  let bytes;
  try {
    bytes = b64ToBytes(labelB64);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (bytes.length !== 124 || bytes[0] !== 0x01) return { ok: false, reason: 'malformed' };
  const keyId = hex(bytes.slice(1, 5));
  const code = new TextDecoder().decode(bytes.slice(5, 42));
  const key = keyFor(keyId);
  if (!key) return { ok: false, keyId, code, reason: 'unknown_key' };
  const ok = await ed25519Verify(key.publicKey, bytes.slice(60), concatBytes(LABEL_CONTEXT, bytes.slice(0, 60)));
  return { ok, keyId, code, reason: ok ? null : 'bad_signature' };
}
