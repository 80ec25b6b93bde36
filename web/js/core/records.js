// core/records.js: the generator's and the item page's requests (manifests, receivers and
// transporters for a manifest, the ledger with its storage warnings, one item and its history
// in words), built on api.js's `request` (api.js stays the one module that calls fetch).
// docs/field-api.md describes the answers.

import { request } from './api.js';

const seg = encodeURIComponent;

/** filters: {party, role, vehicle, date, state, number, items, limit, before}; newest first. */
export const manifests = (filters, signal) => request('GET', '/manifests', { query: filters, signal });

/** One manifest as the list shows it, with every item (`items=full`); null when not found. */
export async function manifestLine(number, signal) {
  const { manifests: list } = await manifests({ number, items: 'full', limit: 1 }, signal);
  return list[0] || null;
}

/** The printable 转移联单 (HTML, A4), as a same-origin URL. */
export const manifestPrintUrl = (number) => `/api/v1/manifests/${seg(number)}/print`;

/** Receivers whose permits cover every code on `date`, with the approvals a transfer needs. */
export const receivers = (codes, date, signal) =>
  request('GET', '/receivers', { query: { codes: codes.join(','), date }, signal });

/** Registered transporters with their vehicles and drivers. */
export const transporters = (signal) => request('GET', '/transporters', { signal });

/** The enterprise's ledger: items by state with storage ages, capacities and warnings. */
export const ledger = (uscc, signal) => request('GET', `/enterprises/${seg(uscc)}/ledger`, { signal });

export const item = (code, signal) => request('GET', `/items/${seg(code)}`, { signal });

/** The item's history in words (GET /items/{code}/events). */
export const itemEvents = (code, signal) => request('GET', `/items/${seg(code)}/events`, { signal });

/** The item's entries with inclusion proofs (SPEC §5.4), as a URL to open. */
export const itemHistoryUrl = (code) => `/api/v1/items/${seg(code)}/history`;
