// screens/gate/common.js: what the facility gate's screens share (arrivals, a load's weighing
// and receipt, treatment and residues, the capacity panel): the scanner field, reading a
// scanned label or item code, the device key the gate signs with, signing and sending a
// run of events, the weighing rule (the tolerance the server states, a load reading split
// over its items), and a new item's label with its print button.
//
// The scanner: a USB scanner in keyboard mode types the QR text (or the item code) and
// Enter. The scan field takes it when it has the focus; while a gate screen is shown, keys
// typed with the focus on no field at all go to the scan field too, so a scan is never lost
// because somebody clicked elsewhere. A label's QR text (`<base>/Q/<b32>`) is checked by the
// service (`/Q/` answered as JSON): a forged label says so and goes no further.
//
// Weighing a whole load: the net reading (grams) is split over the chosen items in
// proportion to their expected masses (the masses the log holds, as declared unless weighed
// or reduced by a loss before), by the largest-remainder rule: each item gets the whole grams
// of its exact share, and the grams left over go one each to the items with the largest
// fractional parts (ties: in the list's order). The shares add up to the reading exactly;
// integers throughout (BigInt), never floats. A split reading shows every item the same
// relative difference: weigh item by item to find which one is off.

import * as api from '../../core/api.js';
import { t, lang, register, formatMass } from '../../core/i18n.js';
import { h } from '../../core/dom.js';
import { state } from '../../core/state.js';
import { busy } from '../../core/feedback.js';
import { deviceKeyFor, eventHead, signEvent } from '../../core/keys.js';
import { itemLink } from '../../core/links.js';

register({
  zh: {
    'gate.scan': '扫描标签',
    'gate.scan_hint': '用扫码枪扫描标签二维码，或输入 37 位物品编码后按回车。',
    'gate.scan_go': '查找',
    'gate.scan_checking': '正在核验标签…',
    'gate.scan_unreadable': '“{text}”既不是标签二维码，也不是 37 位物品编码。',
    'gate.scan_forged': '伪造标签！{reason}',
    'gate.scan_bad_label': '标签无法核验：{reason}',
    'gate.scan_genuine': '标签真实：{code}',
    'gate.scanned_code': '物品编码：{code}',
    'gate.no_key': '本浏览器还没有 {name} 的设备密钥。门岗的过磅、接收、处置和残渣登记都要用本机的设备密钥签名。',
    'gate.no_key_enrol': '请在本机申请设备登记，由本单位管理员批准后即可签名。',
    'gate.no_key_link': '申请本机设备登记',
    'gate.device': '签名设备：{device}（密钥 {key}）',
    'gate.not_gate': '只有利用处置单位或收集单位的用户使用门岗页面。',
    'gate.print': '打印标签',
    'gate.label_of': '新标签',
    'gate.signing': '正在签名 {n} 个事件…',
    'gate.logged': '已记入日志，序号 {index}',
    'gate.tabs': '门岗',
  },
  en: {
    'gate.scan': 'Scan a label',
    'gate.scan_hint': 'Scan the label’s QR code with the scanner, or type the 37-character item code and press Enter.',
    'gate.scan_go': 'Find',
    'gate.scan_checking': 'Checking the label…',
    'gate.scan_unreadable': '“{text}” is neither a label’s QR code nor a 37-character item code.',
    'gate.scan_forged': 'Forged label! {reason}',
    'gate.scan_bad_label': 'The label cannot be verified: {reason}',
    'gate.scan_genuine': 'Genuine label: {code}',
    'gate.scanned_code': 'Item code: {code}',
    'gate.no_key': 'This browser holds no device key of {name} yet. Weighing, receiving, treatment and residues are signed with a device key of this device.',
    'gate.no_key_enrol': 'Ask for this device to be enrolled; once your enterprise administrator approves it, it signs.',
    'gate.no_key_link': 'Enrol this device',
    'gate.device': 'Signing device: {device} (key {key})',
    'gate.not_gate': 'The gate’s pages are for users of treatment facilities and collection points.',
    'gate.print': 'Print the label',
    'gate.label_of': 'New label',
    'gate.signing': 'Signing {n} events…',
    'gate.logged': 'logged, index {index}',
    'gate.tabs': 'Gate',
  },
});

/** Replaces the children of `el` (arrays flattened; null, undefined and false left out). */
export function put(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}

/** A table cell that is one labelled line of a card on phones (its content in one box). */
export const cell = (label, ...children) => h('td', { 'data-label': label }, h('div', { class: 'cell' }, ...children));

// ---- scanning ----

/** An item code: the unit's USCC (18), the waste code's digits (8), the date (8), a serial (3). */
const ITEM_CODE = /^[0-9A-HJ-NP-RTUW-Y]{18}\d{19}$/;
/** The base32 of a label's 124 bytes (payload || signature). */
const LABEL_B32 = /^[A-Z2-7]{199}$/;

/**
 * What a scan or a typed text is: {kind: 'label', b32} for a label's QR text (or its bare
 * base32), {kind: 'code', code} for an item code, {kind: 'unknown'} for anything else.
 */
export function parseScan(text) {
  const s = String(text || '').trim();
  const q = /\/Q\/([A-Za-z2-7]+)\/?$/.exec(s);
  if (q) return { kind: 'label', b32: q[1].toUpperCase() };
  const bare = s.replace(/[\s-]/g, '').toUpperCase();
  if (ITEM_CODE.test(bare)) return { kind: 'code', code: bare };
  if (LABEL_B32.test(bare)) return { kind: 'label', b32: bare };
  return { kind: 'unknown' };
}

/**
 * Reads a scan: resolves to {code, verdict} (verdict 'genuine' for a checked label, null for
 * a typed code) or {error, verdict, text} for a forged, unknown or unreadable label.
 */
export async function readScan(text, signal) {
  const scan = parseScan(text);
  if (scan.kind === 'code') return { code: scan.code, verdict: null };
  if (scan.kind === 'unknown') return { error: t('gate.scan_unreadable', { text: String(text).trim().slice(0, 60) }), verdict: 'unreadable' };
  const view = await api.verifyLabel(scan.b32, signal);
  const reason = pickReason(view);
  if (view.verdict === 'genuine' && view.item?.item_code) return { code: view.item.item_code, verdict: 'genuine', view };
  if (view.verdict === 'forged') return { error: t('gate.scan_forged', { reason }), verdict: 'forged' };
  return { error: t('gate.scan_bad_label', { reason }), verdict: view.verdict || 'malformed' };
}

function pickReason(view) {
  return (lang() === 'en' ? view?.reason_en : view?.reason_zh) || view?.reason_zh || '';
}

const isEditable = (el) => !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));

/**
 * The scan field: a form with one input (`#<id>`), its button, and a line for the outcome
 * (`#<id>-result`, with data-verdict and data-code). `onScan(result)` gets what `readScan`
 * found and may answer a text to show (or a Node). Keys typed while no field has the focus
 * go to it (a scanner never loses a scan); it stops when the view goes (ctx.signal).
 */
export function scanField(ctx, { id, label = t('gate.scan'), hint = t('gate.scan_hint'), onScan }) {
  const input = h('input', {
    id, name: 'scan', type: 'text', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'characters',
    class: 'mono scan-input', 'aria-describedby': `${id}-hint`, dataset: { noRestore: '' },
  });
  const result = h('p', { id: `${id}-result`, class: 'scan-result', role: 'status', 'aria-live': 'polite' });
  const form = h('form', { id: `${id}-form`, class: 'scan-form' },
    h('label', { for: id }, label),
    h('div', { class: 'scan-row' }, input, h('button', { type: 'submit', id: `${id}-go` }, t('gate.scan_go'))),
    h('small', { id: `${id}-hint`, class: 'hint' }, hint),
    result);
  const show = (text, verdict, code) => {
    put(result, text || null);
    result.dataset.verdict = verdict || '';
    result.dataset.code = code || '';
    result.className = `scan-result ${verdict === 'forged' || verdict === 'unreadable' || verdict === 'malformed' || verdict === 'unknown_key' ? 'bad' : verdict === 'refused' ? 'warn' : 'good'}`;
  };
  let seq = 0;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.value = '';
    const mine = (seq += 1);
    show(t('gate.scan_checking'), 'checking', '');
    busy((async () => {
      const found = await readScan(text, ctx.signal);
      if (mine !== seq || !ctx.alive()) return;
      if (found.error) {
        show(found.error, found.verdict, '');
        return;
      }
      const said = await onScan(found);
      if (mine !== seq || !ctx.alive()) return;
      show(said || (found.verdict === 'genuine' ? t('gate.scan_genuine', { code: found.code }) : t('gate.scanned_code', { code: found.code })),
        found.verdict === 'genuine' ? 'genuine' : 'code', found.code);
    })()).finally(() => {
      if (mine === seq && result.dataset.verdict === 'checking') show('', '', '');
    });
  });
  const onKey = (ev) => {
    if (!input.isConnected || ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (isEditable(document.activeElement) || document.querySelector('#phone-sheet:not([hidden])')) return;
    if (ev.key === 'Enter' && input.value) {
      ev.preventDefault();
      form.requestSubmit();
    } else if (ev.key.length === 1) {
      ev.preventDefault();
      input.value += ev.key;
      input.focus({ preventScroll: true });
    }
  };
  document.addEventListener('keydown', onKey);
  ctx.signal.addEventListener('abort', () => document.removeEventListener('keydown', onKey));
  // Ready for the scanner once on screen.
  setTimeout(() => { if (ctx.alive() && !isEditable(document.activeElement)) input.focus({ preventScroll: true }); }, 0);
  return { form, input, show };
}

// ---- the device key ----

/** The device key this browser signs with for `uscc` (core/keys.js), or null. */
export const gateKey = (uscc, signal) => deviceKeyFor(uscc, signal);

/** What to do without a device key (enrolment of this browser). */
export function noKeyHelp(uscc) {
  return h('div', { id: 'gate-no-key', class: 'panel highlight' },
    h('p', {}, t('gate.no_key', { name: state.own?.name_zh || uscc })),
    h('p', {}, t('gate.no_key_enrol')),
    h('p', {}, h('a', { id: 'gate-enrol-link', class: 'button primary', href: '#/device' }, t('gate.no_key_link'))));
}

/** The line naming the device that signs. */
export const deviceLine = (key) =>
  h('p', { id: 'gate-device', class: 'muted small', dataset: { keyId: key.keyId } }, t('gate.device', { device: key.device, key: key.keyId }));

/**
 * Signs `events` (each `{type, ...fields}`) with `key` for enterprise `uscc` and sends them
 * as one batch (applied in the order of their times, ties in this order). Resolves to one
 * result per event, in order: `{ok, receipt}` or `{ok: false, error: {error, message, message_zh}}`.
 */
export async function signAndSend(key, uscc, events) {
  const envelopes = [];
  for (const { type, ...fields } of events) envelopes.push(await signEvent(key, { ...eventHead(type, uscc, key), ...fields }));
  const answer = await api.submitEvents(envelopes);
  return answer.results || [];
}

/** A refusal in a batch answer, in the UI language. */
export function refusalText(r) {
  const e = r?.error || {};
  return (lang() === 'en' ? e.message || e.message_zh : e.message_zh || e.message) || e.error || '';
}

// ---- weighing ----

/** The tolerance the custody rules apply ({permille, slack_g}), as the server states it. */
export function tolerance() {
  const tol = state.refs?.mass_tolerance;
  return { permille: Number(tol?.permille ?? 50), slack: Number(tol?.slack_g ?? 1) };
}

/**
 * A weighing against the expected mass: {diff (grams, signed), tenths (the difference in
 * tenths of a percent, signed, rounded half away from zero), within (the custody rule's
 * verdict: |diff| ≤ expected × permille ÷ 1000 + slack)}.
 */
export function weighCheck(expected, weighed) {
  const { permille, slack } = tolerance();
  const e = BigInt(expected);
  const diff = BigInt(weighed) - e;
  const abs = diff < 0n ? -diff : diff;
  const within = abs * 1000n <= e * BigInt(permille) + BigInt(slack) * 1000n;
  const tenthsAbs = e > 0n ? (abs * 2000n + e) / (2n * e) : 0n;
  return { diff: Number(diff), tenths: Number(diff < 0n ? -tenthsAbs : tenthsAbs), within };
}

/** "+10.0%" from tenths of a percent. */
export function percentText(tenths) {
  const sign = tenths > 0 ? '+' : tenths < 0 ? '−' : '±';
  const a = Math.abs(tenths);
  return `${sign}${Math.floor(a / 10)}.${a % 10}%`;
}

/** "+20 kg" from signed grams. */
export function diffText(g) {
  return `${g > 0 ? '+' : g < 0 ? '−' : '±'}${formatMass(Math.abs(g))}`;
}

/** The tolerance in words ("5%"). */
export function toleranceText() {
  const { permille } = tolerance();
  return `${Math.floor(permille / 10)}${permille % 10 ? `.${permille % 10}` : ''}%`;
}

/**
 * Splits a load's net reading `total` (grams) over items of expected masses `masses` (grams)
 * in proportion to them, largest remainder first (see the top of this file). Answers whole
 * grams adding up to `total`.
 */
export function splitLoad(total, masses) {
  const sum = masses.reduce((a, m) => a + BigInt(m), 0n);
  if (!masses.length) return [];
  const T = BigInt(total);
  if (sum === 0n) {
    // Nothing declared: equal shares.
    const n = BigInt(masses.length);
    return masses.map((_, i) => Number(T / n + (BigInt(i) < T % n ? 1n : 0n)));
  }
  const exact = masses.map((m) => T * BigInt(m));
  const shares = exact.map((x) => x / sum);
  let left = T - shares.reduce((a, s) => a + s, 0n);
  const order = exact.map((x, i) => ({ i, rem: x % sum })).sort((a, b) => (a.rem === b.rem ? a.i - b.i : a.rem > b.rem ? -1 : 1));
  for (const { i } of order) {
    if (left <= 0n) break;
    shares[i] += 1n;
    left -= 1n;
  }
  return shares.map(Number);
}

/** Integer grams as the kilograms a person types ("185.5"). */
export function kgText(g) {
  const s = String(g).padStart(4, '0');
  const frac = s.slice(-3).replace(/0+$/, '');
  return `${s.slice(0, -3).replace(/^0+(?=\d)/, '')}${frac ? `.${frac}` : ''}`;
}

// ---- labels ----

/** Prints the label page of `code` from a hidden frame of this page (its own print CSS). */
export function printLabel(code) {
  document.querySelector('#gate-print-frame')?.remove();
  const frame = h('iframe', { id: 'gate-print-frame', class: 'print-frame', title: t('gate.print'), src: api.labelUrl(code) });
  frame.addEventListener('load', () => {
    frame.contentWindow.focus();
    frame.contentWindow.print();
  }, { once: true });
  document.body.append(frame);
}

/**
 * A new item's label as the screen shows it: its QR code, code, waste and mass, a link to the
 * label page and a print button (`button[data-print=<code>]`).
 */
export function labelCard(code, { id, title = t('gate.label_of'), lines = [] } = {}) {
  const print = h('button', { type: 'button', class: 'primary', dataset: { print: code } }, t('gate.print'));
  print.addEventListener('click', () => printLabel(code));
  return h('div', { id, class: 'label-card', dataset: { code } },
    h('img', { class: 'label-qr', src: api.qrUrl(code), alt: code, width: 112, height: 112 }),
    h('div', { class: 'label-text' },
      h('strong', {}, title),
      itemLink(code),
      lines.filter(Boolean).map((l) => h('span', { class: 'small' }, l)),
      h('p', { class: 'actions' }, print,
        h('a', { class: 'button', href: api.labelUrl(code), target: '_blank', rel: 'noopener' }, t('common.label')))));
}
