// core/labels.js: what a scanned text is and whether a label is genuine, with no network
// (SPEC §3, docs/field-api.md §5). A scan is a label's QR text (`<BASE URL>/Q/<b32>`, or the
// b32 alone), or an item code typed by hand (37 characters). A label is the 124 bytes
// `payload (60) || signature (64)`; it is genuine when the label key named by payload bytes
// 1–4, found among the keys the phone keeps (GET /api/v1/keys), signed
// "hwtrace/label/v1\n" || payload with Ed25519 (WebCrypto), before that key's revocation.
// A signature that fails is a forged label, whatever else it says.

import * as api from './api.js';
import { b64ToBytes, bytesToB64 } from './bytes.js';

export const LABEL_BYTES = 124;
const PAYLOAD_BYTES = 60;
const LABEL_CONTEXT = 'hwtrace/label/v1\n';
const USCC_CHARS = '0-9ABCDEFGHJKLMNPQRTUWXY';
/** A 37-character item code (SPEC §1.3): unit (USCC), waste code digits, date, serial. */
export const ITEM_CODE_RE = new RegExp(`^[${USCC_CHARS}]{18}[0-9]{19}$`);
const B32_RE = /^[A-Z2-7]+$/;
const HAZARD_BITS = [['T', 0x01], ['C', 0x02], ['I', 0x04], ['R', 0x08], ['In', 0x10]];
const FORMS = { 1: 'solid', 2: 'semi_solid', 3: 'liquid', 4: 'gas' };

/** RFC 4648 base32 without padding → bytes, or null when it is not base32. */
export function unbase32(text) {
  if (!B32_RE.test(text)) return null;
  const out = [];
  let bits = 0;
  let value = 0;
  for (const ch of text) {
    value = (value << 5) | 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
      value &= (1 << bits) - 1;
    }
  }
  return new Uint8Array(out);
}

/**
 * What a scanned or typed text is: {kind: 'label', b32, bytes} (a label's QR text or its
 * b32), {kind: 'code', code} (an item code), or {kind: 'unreadable'}.
 */
export function parseScan(text) {
  const raw = String(text || '').trim();
  const upper = raw.toUpperCase();
  if (ITEM_CODE_RE.test(upper)) return { kind: 'code', code: upper };
  const at = upper.lastIndexOf('/Q/');
  const b32 = (at >= 0 ? upper.slice(at + 3) : upper).split(/[?#/]/)[0];
  const bytes = b32 ? unbase32(b32) : null;
  if (bytes && bytes.length === LABEL_BYTES) return { kind: 'label', b32, bytes };
  return { kind: 'unreadable' };
}

const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');

function u64(bytes, at) {
  let v = 0n;
  for (let i = 0; i < 8; i += 1) v = (v << 8n) | BigInt(bytes[at + i]);
  return v;
}

/** The payload's fields: {version, keyId, code, massG, hazards, form, issuedAt (Date)}. */
export function readPayload(bytes) {
  const bits = bytes[50];
  return {
    version: bytes[0],
    keyId: hex(bytes.slice(1, 5)),
    code: new TextDecoder().decode(bytes.slice(5, 42)),
    massG: Number(u64(bytes, 42)),
    hazards: HAZARD_BITS.filter(([, b]) => bits & b).map(([h]) => h),
    form: FORMS[bytes[51]] || null,
    issuedAt: new Date(Number(u64(bytes, 52)) * 1000),
  };
}

/** `name+<8 hex>+b64(0x01 || key)`: the b64 of 33 bytes is the last 44 characters. */
function parseVkey(vkey) {
  const m = /^(.+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]{44})$/.exec(vkey || '');
  if (!m) return null;
  const raw = b64ToBytes(m[3]);
  if (raw.length !== 33 || raw[0] !== 0x01) return null;
  return { name: m[1], keyId: m[2], publicKey: raw.slice(1) };
}

/**
 * The label keys of a GET /api/v1/keys answer, by key ID: {keyId: {name, publicKey,
 * revokedAt (Date|null)}}.
 */
export function labelKeys(keyList) {
  const out = {};
  for (const k of keyList?.keys || []) {
    if (k.role !== 'label') continue;
    const v = parseVkey(k.vkey);
    if (v) out[v.keyId] = { ...v, revokedAt: k.revoked_at ? new Date(k.revoked_at) : null };
  }
  return out;
}

let keysPromise = null;

/** The label keys this phone keeps (the service worker answers GET /keys offline); null if none. */
export function loadLabelKeys({ refresh = false } = {}) {
  if (!keysPromise || refresh) {
    keysPromise = api.keys().then(labelKeys, () => null);
  }
  return keysPromise;
}

const imported = new Map();

async function verifyKey(key) {
  if (!imported.has(key.keyId)) {
    imported.set(key.keyId, crypto.subtle.importKey('raw', key.publicKey, { name: 'Ed25519' }, false, ['verify']));
  }
  return imported.get(key.keyId);
}

/**
 * Checks a label's 124 bytes against `keys` (labelKeys). Answers {verdict, payload, b64}:
 * verdict `genuine`, `forged` (the signature fails), `unknown_key` (no kept label key has
 * its key ID: refresh the keys when online), `revoked` (issued at or after its key's
 * revocation), `bad_version` or `no_keys` (none kept yet).
 */
export async function verifyLabel(bytes, keys) {
  const payload = readPayload(bytes);
  const b64 = bytesToB64(bytes);
  if (payload.version !== 0x01) return { verdict: 'bad_version', payload, b64 };
  if (!keys) return { verdict: 'no_keys', payload, b64 };
  const key = keys[payload.keyId];
  if (!key) return { verdict: 'unknown_key', payload, b64 };
  const context = new TextEncoder().encode(LABEL_CONTEXT);
  const message = new Uint8Array(context.length + PAYLOAD_BYTES);
  message.set(context, 0);
  message.set(bytes.slice(0, PAYLOAD_BYTES), context.length);
  let ok = false;
  try {
    ok = await crypto.subtle.verify({ name: 'Ed25519' }, await verifyKey(key), bytes.slice(PAYLOAD_BYTES), message);
  } catch {
    ok = false;
  }
  if (!ok) return { verdict: 'forged', payload, b64 };
  if (key.revokedAt && payload.issuedAt >= key.revokedAt) return { verdict: 'revoked', payload, b64 };
  return { verdict: 'genuine', payload, b64 };
}
