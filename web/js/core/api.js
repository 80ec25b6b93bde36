// core/api.js: the one place that talks to the server (/api/v1, same origin, JSON).
// The session cookie is HttpOnly, so the only secret JS holds is the CSRF token from
// the session answer; it goes on every non-GET request while logged in.

const BASE = '/api/v1';

let csrfToken = null;

/** An error answer `{error, message, message_zh}`, or a network failure (status 0, code "network"). */
export class ApiError extends Error {
  constructor(status, body = {}) {
    super(body.message || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.error || (status ? `http_${status}` : 'network');
    this.messageEn = body.message || null;
    this.messageZh = body.message_zh || null;
  }
}

function queryString(query) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') qs.set(k, v);
  }
  const s = qs.toString();
  return s ? `?${s}` : '';
}

async function readJson(res) {
  try {
    return await res.json();
  } catch {
    return null;
  }
}

/**
 * Sends one request; resolves to the parsed JSON (null for 204), rejects with ApiError or
 * AbortError. `root`: a path of the site itself (`/Q/...`) rather than of /api/v1.
 */
export async function request(method, path, { body, query, signal, root = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch((root ? '' : BASE) + path + queryString(query), {
      method, headers, signal, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0);
  }
  if (res.status === 204) return null;
  const data = await readJson(res);
  if (!res.ok) throw new ApiError(res.status, data || {});
  return data;
}

const seg = encodeURIComponent;

// ---- session ----

/** The current session `{user, csrf_token}`, or null when not logged in. */
export async function getSession(signal) {
  try {
    const s = await request('GET', '/session', { signal });
    csrfToken = s.csrf_token || null;
    return s;
  } catch (e) {
    if (e.status === 401) {
      csrfToken = null;
      return null;
    }
    throw e;
  }
}

export async function login(username, password) {
  const s = await request('POST', '/session', { body: { username, password } });
  csrfToken = s.csrf_token || null;
  return s;
}

export async function logout() {
  try {
    await request('DELETE', '/session');
  } finally {
    csrfToken = null;
  }
}

export function forgetSession() {
  csrfToken = null;
}

// ---- public ----

export const reference = (signal) => request('GET', '/reference', { signal });

// No limit by default: the server's default returns every code of the largest category.
export const catalogue = (q, signal, limit) =>
  request('GET', '/catalogue', { query: { q, limit }, signal });

/** One code of the current catalogue, with its category and exemptions. */
export const catalogueEntry = (code, signal) => request('GET', `/catalogue/${seg(code)}`, { signal });

// ---- enterprises and what they hold ----

export const enterprises = (filters, signal) => request('GET', '/enterprises', { query: filters, signal });
export const enterprise = (uscc, signal) => request('GET', `/enterprises/${seg(uscc)}`, { signal });
export const createEnterprise = (body) => request('POST', '/enterprises', { body });

/** kind: "permits" | "vehicles" | "drivers" | "devices". */
export const listOf = (uscc, kind, signal) => request('GET', `/enterprises/${seg(uscc)}/${kind}`, { signal });
export const createIn = (uscc, kind, body) => request('POST', `/enterprises/${seg(uscc)}/${kind}`, { body });
export const revokeDevice = (uscc, device) =>
  request('POST', `/enterprises/${seg(uscc)}/devices/${seg(device)}/revoke`);

// ---- device enrolment: a person asks to enrol the browser it uses; its admin approves ----

export const requestEnrolment = (device, publicKey) =>
  request('POST', '/device-enrolments', { body: { device, public_key: publicKey } });
export const enrolment = (id, signal) => request('GET', `/device-enrolments/${seg(id)}`, { signal });
/** state: pending (default) | approved | rejected | expired | all. */
export const enrolments = (state, signal) => request('GET', '/device-enrolments', { query: { state }, signal });
export const approveEnrolment = (id) => request('POST', `/device-enrolments/${seg(id)}/approve`);
export const rejectEnrolment = (id, reason) =>
  request('POST', `/device-enrolments/${seg(id)}/reject`, { body: reason ? { reason } : {} });

// ---- users and tokens ----

export const users = (signal) => request('GET', '/users', { signal });
export const createUser = (body) => request('POST', '/users', { body });

export const tokens = (signal) => request('GET', '/tokens', { signal });
export const createToken = (name) => request('POST', '/tokens', { body: { name } });
export const deleteToken = (id) => request('DELETE', `/tokens/${seg(id)}`);

// ---- items and their labels ----

/** filters: {limit, before, state, date}; newest first. */
export const items = (filters, signal) => request('GET', '/items', { query: filters, signal });

/** The label sheet for a print run (at most 500 codes), as a same-origin URL to open. */
export const sheetUrl = (codes) => `${BASE}/labels/sheet?items=${codes.map(seg).join(',')}`;
export const labelUrl = (code) => `${BASE}/items/${seg(code)}/label`;

// ---- signed custody events (the device signature authenticates them) ----

export const submitEvent = (envelope) => request('POST', '/events', { body: envelope });
export const submitEvents = (envelopes) => request('POST', '/events/batch', { body: { envelopes } });

// ---- oversight: alerts, indicators, capacity reconciliation (regulators, administrators) ----

/** filters: {state, rule, limit}; newest first. */
export const alerts = (filters, signal) => request('GET', '/alerts', { query: filters, signal });
/** The alert list with the same filters as a CSV file to download. */
export const alertsCsvUrl = (filters) => `${BASE}/alerts/csv?${new URLSearchParams(filters)}`;
export const runSweep = () => request('POST', '/alerts/sweep');
export const runSelfAudit = () => request('POST', '/alerts/self-audit');

/** period: {from, to, district, as_of}; `by` groups the disposal rates. */
export const disposal = (period, signal) => request('GET', '/indicators/disposal', { query: period, signal });
export const massBalance = (period, signal) => request('GET', '/indicators/mass-balance', { query: period, signal });

export const facilityReconciliation = (uscc, date, signal) =>
  request('GET', `/reconciliation/facilities/${seg(uscc)}`, { query: { date }, signal });

/** The public disclosure page (HTML, no login). */
export const PUBLIC_FACILITIES = '/public/facilities';

/** One log entry's exact bytes (SPEC §5.4, public). */
export const entryUrl = (index) => `/log/entries?start=${index}&end=${Number(index) + 1}`;

// ---- the facility gate: arrivals, items, the store, permits, labels ----

/** Items on their way to receiver `uscc` or waiting at its gate (arrived first). */
export const arrivals = (uscc, signal) => request('GET', `/enterprises/${seg(uscc)}/arrivals`, { signal });
/** One item with its custody facts. */
/** Items, manifests and enterprises the user may read matching `q` (core/search.js). */
export const search = (q, signal) => request('GET', '/search', { query: { q }, signal });

export const item = (code, signal) => request('GET', `/items/${seg(code)}`, { signal });
/** An enterprise's items by state, with storage ages. */
export const ledger = (uscc, signal) => request('GET', `/enterprises/${seg(uscc)}/ledger`, { signal });
/** The QR code of an item's label, as an SVG picture. */
export const qrUrl = (code) => `${BASE}/items/${seg(code)}/qr.svg`;
/** A scanned label checked by the service (`/Q/<b32>` as JSON): `{verdict, item, ...}`. */
export const verifyLabel = (b32, signal) => request('GET', `/Q/${seg(b32)}`, { signal, root: true });
// ---- the field: manifests, what a phone keeps offline, and what became of an envelope ----

/** filters: {party, role, vehicle, date, state, items ('full' for labels), limit, before}. */
export const manifests = (filters, signal) => request('GET', '/manifests', { query: filters, signal });

/** Every key the service ever used or accepted, label keys included (SPEC §2; public). */
export const keys = (signal) => request('GET', '/keys', { signal });

/** The whole active catalogue (public). */
export const catalogueAll = (signal) => request('GET', '/catalogue/all', { signal });

/** The log entry that used a device key's nonce: {index, kind: 'event'|'refusal', refusal}. */
export const eventByNonce = (keyId, nonce, signal) =>
  request('GET', '/events/by-nonce', { query: { key_id: keyId, nonce }, signal });

// ---- the log as bytes (SPEC §5.4, public), for the checks the browser makes itself (core/verify*.js) ----

/** A log endpoint's body as text (the checkpoint note, NDJSON entries), or ApiError. */
export async function logText(path, signal) {
  let res;
  try {
    res = await fetch(path, { signal, credentials: 'same-origin', cache: 'no-store' });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0);
  }
  if (!res.ok) throw new ApiError(res.status, (await readJson(res)) || {});
  return res.text();
}
/** The latest checkpoint note. */
export const logCheckpoint = (signal) => logText('/log/checkpoint', signal);
/** Entries start..end-1 (at most 1000) as their exact lines. */
export const logEntries = (start, end, signal) =>
  logText(`/log/entries?start=${start}&end=${end}`, signal).then((t) => (t.endsWith('\n') ? t.slice(0, -1) : t).split('\n'));
/** An inclusion proof {index, size, hashes}. */
export const logInclusion = (index, size, signal) =>
  logText(`/log/proof/inclusion?index=${index}&size=${size}`, signal).then(JSON.parse);
/** A consistency proof {old, new, hashes}. */
export const logConsistency = (old, size, signal) =>
  logText(`/log/proof/consistency?old=${old}&new=${size}`, signal).then(JSON.parse);
/** An item's entries with inclusion proofs against one checkpoint (SPEC §5.4). */
export const itemHistory = (code, signal) => request('GET', `/items/${seg(code)}/history`, { signal });
