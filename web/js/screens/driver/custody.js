// screens/driver/custody.js: what the driver's screens know of a trip, shared by the list of
// trips and the trip page: the vehicle this phone drives (chosen once, remembered per
// enterprise), the day's manifests as the carrier (one request, which the service worker keeps
// for offline use), each item's next step from this carrier's point of view, and the view of a
// manifest after the events this phone signed but the service has not logged yet (the queue).
// The device key that signs is core/keys.js `deviceKeyFor` (the browser enrolled at #/device).

import * as api from '../../core/api.js';
import { todayCst } from '../../core/i18n.js';
import * as queue from '../../core/queue.js';

const VEHICLE_KEY = 'hwtrace.driver.vehicle';

/** The plate this phone drives for enterprise `uscc`, or null. */
export function chosenVehicle(uscc) {
  try {
    return JSON.parse(localStorage.getItem(VEHICLE_KEY) || '{}')[uscc] || null;
  } catch {
    return null;
  }
}

export function chooseVehicle(uscc, plate) {
  let all = {};
  try {
    all = JSON.parse(localStorage.getItem(VEHICLE_KEY) || '{}') || {};
  } catch {
    all = {};
  }
  if (plate) all[uscc] = plate;
  else delete all[uscc];
  localStorage.setItem(VEHICLE_KEY, JSON.stringify(all));
}

/**
 * The query of the day's manifests of carrier `uscc`, with every item and its label. Always
 * built here, the same way, so the worker's kept copy answers it offline.
 */
export const tripsQuery = (uscc) => ({ party: uscc, role: 'carrier', date: todayCst(), items: 'full' });

/** The day's manifests of carrier `uscc`, and when this phone fetched them. */
export async function loadTrips(uscc, signal) {
  const list = await api.manifests(tripsQuery(uscc), signal);
  return { ...list, fetchedAt: Date.now() };
}

/** Compares plates the way the service does: without the middle dot. */
export const samePlate = (a, b) => !!a && !!b && a.replace('·', '') === b.replace('·', '');

/** This carrier's leg of the manifest (1-based `order`), or null. */
export const legOf = (m, me) => m.legs.find((l) => l.transporter === me) || null;

/** The transporter after leg `order`, or null for the last. */
export const legAfter = (m, order) => m.legs.find((l) => l.order === order + 1) || null;

/** The party an item `released` by `holder` was released to: the next transporter. */
function releasedTo(m, holder) {
  if (holder === m.issuer) return m.legs[0] || null;
  const leg = m.legs.find((l) => l.transporter === holder);
  return leg ? legAfter(m, leg.order) : null;
}

const nameOf = (m, uscc) => (uscc === m.issuer ? m.issuer_name
  : uscc === m.receiver ? m.receiver_name
    : m.legs.find((l) => l.transporter === uscc)?.transporter_name || uscc);

/**
 * What the item needs next, seen by carrier `me`: {step, who?} where step is
 *   wait_release  still with the issuer, not released yet;
 *   accept        released to me: scan and accept it;
 *   handed        I released it to the next carrier (`who`), who has not accepted yet;
 *   hand_over     I hold it and the next carrier (`who`) takes it over;
 *   arrive        I hold it and I am the last carrier: declare it at the receiver's gate;
 *   elsewhere     with another carrier (`who`), or between two others;
 *   arrived       declared at the gate, waiting for the receiver's weighing and decision;
 *   refused       refused at the gate;
 *   delivered     with the receiver (received, and perhaps treated since);
 *   other         anything else (lost, consolidated...).
 */
export function nextStep(m, item, me) {
  const { state, holder } = item;
  if (state === 'stored' || state === 'received') {
    if (holder === m.issuer) return { step: 'wait_release', who: m.issuer_name };
    if (holder === m.receiver) return { step: 'delivered', who: m.receiver_name };
  }
  if (state === 'released') {
    const to = releasedTo(m, holder);
    if (to?.transporter === me) return { step: 'accept', who: nameOf(m, holder) };
    if (holder === me) return { step: 'handed', who: to?.transporter_name || '' };
    return { step: 'elsewhere', who: nameOf(m, holder) };
  }
  if (state === 'in_transit') {
    if (holder !== me) return { step: 'elsewhere', who: nameOf(m, holder) };
    const mine = legOf(m, me);
    const next = mine ? legAfter(m, mine.order) : null;
    return next ? { step: 'hand_over', who: next.transporter_name, to: next.transporter } : { step: 'arrive', who: m.receiver_name };
  }
  if (state === 'arrived') return { step: 'arrived', who: m.receiver_name };
  if (state === 'refused') return { step: 'refused', who: m.receiver_name };
  if (state === 'treated') return { step: 'delivered', who: m.receiver_name };
  return { step: 'other' };
}

/** The effect on an item of an event carrier `me` signed: its new state and holder. */
function effect(type, item, me) {
  if (type === 'accept') return { ...item, state: 'in_transit', holder: me };
  if (type === 'release') return { ...item, state: 'released', holder: me };
  if (type === 'arrive') return { ...item, state: 'arrived', holder: me };
  return item;
}

/**
 * Manifest `m` as this phone sees it: the service's answer (fetched at `fetchedAt`) with the
 * events of `me` in the queue that the answer cannot show yet (waiting, or logged after it was
 * fetched) applied in signing order. Each item gets `pending` (how many of its events wait)
 * and `nextStep`.
 */
export function localView(m, records, fetchedAt, me) {
  const items = new Map((m.items || []).map((it) => [it.code, { ...it, pending: 0 }]));
  for (const rec of records) {
    if (rec.manifest !== m.number || rec.actor !== me || rec.status === 'refused') continue;
    const late = rec.status === 'logged' && rec.settled_at && Date.parse(rec.settled_at) > fetchedAt;
    if (!queue.isPending(rec) && !late) continue;
    for (const code of rec.items) {
      const it = items.get(code);
      if (!it) continue;
      const next = effect(rec.type, it, me);
      if (queue.isPending(rec)) next.pending = it.pending + 1;
      items.set(code, next);
    }
  }
  const list = [...items.values()].map((it) => ({ ...it, next: nextStep(m, it, me), mayAccept: mayAccept(m, it, me) }));
  return { ...m, items: list };
}

/** How many items of a (local) manifest are at each step: {accept: 2, hand_over: 1, ...}. */
export function stepCounts(m) {
  const out = {};
  for (const it of m.items || []) out[it.next.step] = (out[it.next.step] || 0) + 1;
  return out;
}

/**
 * May carrier `me` sign an `accept` for the item? When it was released to me, and also when the
 * phone's data cannot know yet that it was (an offline hand-over: the previous carrier's release
 * is on that carrier's phone; a pickup whose release the generator signed after this phone's
 * data was fetched): the item is not mine yet, and not at or past the gate. The service decides.
 */
export function mayAccept(m, item, me) {
  if (!legOf(m, me)) return false;
  return ['accept', 'elsewhere', 'wait_release'].includes(nextStep(m, item, me).step) && item.holder !== me;
}
