// core/links.js: links to the pages every list points at. An item code anywhere in the app
// (inventory, ledger, manifests, alerts, arrivals, trips...) is a link to its item page
// (#/items/<code>, screens/shared/item.js); a manifest number to its manifest page
// (#/manifests/<number>, screens/generator/manifest.js). The code stays in data-code /
// data-number for tests and scripts.

import { h } from './dom.js';

/** A 37-character item code (SPEC §1.3). */
export const ITEM_CODE_RE = /^[0-9A-Z]{18}\d{8}\d{8}\d{3}$/;
/** A 14-digit manifest number (SPEC §1.4). */
export const MANIFEST_NO_RE = /^\d{14}$/;

export const itemHref = (code) => `#/items/${encodeURIComponent(code)}`;
export const manifestHref = (number) => `#/manifests/${encodeURIComponent(number)}`;

/** An item code as a link to its page (plain text when it is not an item code). */
export function itemLink(code, attrs = {}) {
  if (!ITEM_CODE_RE.test(String(code))) return h('span', { class: 'mono item-code' }, code);
  return h('a', { href: itemHref(code), class: 'mono item-code item-link', dataset: { code }, ...attrs }, code);
}

/** A manifest number as a link to its page. */
export function manifestLink(number, attrs = {}) {
  if (!MANIFEST_NO_RE.test(String(number))) return h('span', { class: 'mono' }, number);
  return h('a', { href: manifestHref(number), class: 'mono manifest-link', dataset: { number }, ...attrs }, number);
}
