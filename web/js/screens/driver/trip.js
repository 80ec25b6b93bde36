// screens/driver/trip.js: one trip (#/trips/<manifest number>) on the driver's phone, online
// or not. The driver scans each label (camera, keyboard-wedge scanner, or the item code typed
// by hand: core/scan.js); each scan is checked on the phone against the label keys it keeps
// (core/labels.js: a forged label turns red at once, no network needed) and against the
// manifest's items. Scanned items gather in a basket; the buttons under it sign, with this
// phone's device key, the step they need: `accept` (released to this carrier; the scanned
// labels go with it), `release` to the next carrier (a hand-over; the next driver's phone then
// scans and accepts), `arrive` at the receiver's gate (the last carrier). Every signed event
// goes into the queue first (core/queue.js) and is sent when the network allows; the page
// shows the items as they stand after this phone's events, and the fate of the last one
// (#trip-last: queued, sent, logged with its index, or refused with the reason).

import { t, register, formatMass, formatTime } from '../../core/i18n.js';
import { h, emptyState } from '../../core/dom.js';
import { state } from '../../core/state.js';
import { isDriver } from '../../core/roles.js';
import { notice, showError } from '../../core/feedback.js';
import { hazardName, formName } from '../../core/names.js';
import { eventHead, signEvent, deviceKeyFor } from '../../core/keys.js';
import { parseScan, verifyLabel, loadLabelKeys } from '../../core/labels.js';
import { scanner } from '../../core/scan.js';
import { shortWasteName } from '../../core/waste.js';
import * as queue from '../../core/queue.js';
import { keepOffline } from '../../core/pwa.js';
import * as api from '../../core/api.js';
import { statusText } from '../account/queue.js';
import {
  chosenVehicle, loadTrips, tripsQuery, localView, legOf, samePlate,
} from './custody.js';

/** Replaces `el`'s children with the given nodes, leaving out the absent ones. */
const fill = (el, ...kids) => el.replaceChildren(...kids.flat().filter((k) => k !== null && k !== undefined && k !== false));

register({
  zh: {
    'trip.title': '行程',
    'trip.not_found': '今天的联单中没有 {number}',
    'trip.not_found_text': '联单可能已完成、作废，或不是本单位承运。返回今日行程查看。',
    'trip.back': '返回今日行程',
    'trip.to': '运往',
    'trip.issuer': '产废单位',
    'trip.leg_of': '第 {order} 程 / 共 {legs} 程',
    'trip.next_carrier': '下一承运',
    'trip.as_of': '数据时间',
    'trip.offline': '离线：显示本机保存的数据',
    'trip.scan_title': '扫描标签',
    'trip.items_title': '联单物品（{n} 件）',
    'trip.basket_title': '已扫描（{n} 件）',
    'trip.basket_empty': '扫描物品标签后，可在这里接收、交接或运抵。',
    'trip.basket_clear': '清空',
    'trip.accept': '接收 {n} 件',
    'trip.hand_over': '交给 {who} {n} 件',
    'trip.arrive': '运抵 {n} 件',
    'trip.arrive_all': '全部运抵（{n} 件）',
    'trip.hand_over_all': '全部交给 {who}（{n} 件）',
    'trip.no_key': '本机还不是本单位的签名设备，不能签名。',
    'trip.no_key_link': '登记本机',
    'trip.signed': '已签名：{what}。已加入发送队列。',
    'trip.last': '最近签名的事件',
    'trip.queue_link': '查看发送队列',
    'trip.pending': '待发送',
    'trip.label_mass': '标签净重 {mass}',
    'trip.step.wait_release': '待 {who} 交出',
    'trip.step.accept': '待接收（{who} 已交出）',
    'trip.step.handed': '已交给 {who}，待其接收',
    'trip.step.hand_over': '交接给 {who}',
    'trip.step.arrive': '运抵 {who}',
    'trip.step.elsewhere': '在 {who} 处',
    'trip.step.arrived': '已运抵，待 {who} 称重接收',
    'trip.step.refused': '被 {who} 拒收',
    'trip.step.delivered': '已由 {who} 接收',
    'trip.step.other': '—',
    'trip.verdict.genuine': '标签真实',
    'trip.verdict.forged': '伪造标签！签名验证失败',
    'trip.verdict.unknown_key': '无法核验：签名密钥未知（联网后更新密钥再扫）',
    'trip.verdict.revoked': '标签无效：签发时密钥已吊销',
    'trip.verdict.bad_version': '无法识别的标签版本',
    'trip.verdict.no_keys': '无法核验：本机还没有保存签名密钥（请先联网打开一次）',
    'trip.verdict.not_on_manifest': '不在本联单上',
    'trip.verdict.label_mismatch': '标签与联单记录不符',
    'trip.verdict.typed': '手工输入的编码（未核验标签签名）',
    'trip.verdict.unreadable': '无法识别：不是本系统的标签或物品编码',
    'trip.verdict_forged_hint': '不要接收此物品，并报告产废单位和监管部门。',
    'trip.claimed': '标签所写（不可信）：',
    'trip.what.accept': '接收 {n} 件',
    'trip.what.release': '交给 {who} {n} 件',
    'trip.what.arrive': '运抵 {n} 件',
    'trip.source.camera': '相机',
    'trip.source.keyboard': '扫码枪/输入',
  },
  en: {
    'trip.title': 'Trip',
    'trip.not_found': '{number} is not among today\'s manifests',
    'trip.not_found_text': 'The manifest may be done or cancelled, or not carried by your enterprise. Go back to today\'s trips.',
    'trip.back': 'Back to today\'s trips',
    'trip.to': 'To',
    'trip.issuer': 'Generator',
    'trip.leg_of': 'leg {order} of {legs}',
    'trip.next_carrier': 'Next carrier',
    'trip.as_of': 'Data as of',
    'trip.offline': 'Offline: showing the data kept on this phone',
    'trip.scan_title': 'Scan labels',
    'trip.items_title': 'Items on the manifest ({n})',
    'trip.basket_title': 'Scanned ({n})',
    'trip.basket_empty': 'Scan the items\' labels, then accept, hand over or deliver them here.',
    'trip.basket_clear': 'Clear',
    'trip.accept': 'Accept {n}',
    'trip.hand_over': 'Hand {n} over to {who}',
    'trip.arrive': 'Deliver {n}',
    'trip.arrive_all': 'Deliver all ({n})',
    'trip.hand_over_all': 'Hand all over to {who} ({n})',
    'trip.no_key': 'This phone is not yet a signing device of your enterprise; it cannot sign.',
    'trip.no_key_link': 'Enrol this phone',
    'trip.signed': 'Signed: {what}. Queued for sending.',
    'trip.last': 'Last signed event',
    'trip.queue_link': 'See the queue',
    'trip.pending': 'to send',
    'trip.label_mass': 'label mass {mass}',
    'trip.step.wait_release': 'waiting for {who} to release it',
    'trip.step.accept': 'to accept ({who} released it)',
    'trip.step.handed': 'handed to {who}, not accepted yet',
    'trip.step.hand_over': 'hand over to {who}',
    'trip.step.arrive': 'deliver to {who}',
    'trip.step.elsewhere': 'with {who}',
    'trip.step.arrived': 'delivered, waiting for {who} to weigh and receive it',
    'trip.step.refused': 'refused by {who}',
    'trip.step.delivered': 'received by {who}',
    'trip.step.other': '—',
    'trip.verdict.genuine': 'Genuine label',
    'trip.verdict.forged': 'FORGED label! The signature does not verify',
    'trip.verdict.unknown_key': 'Cannot check: unknown signing key (update the keys online, then scan again)',
    'trip.verdict.revoked': 'Invalid label: issued after its key was revoked',
    'trip.verdict.bad_version': 'Unknown label version',
    'trip.verdict.no_keys': 'Cannot check: no keys kept on this phone yet (open the app online once)',
    'trip.verdict.not_on_manifest': 'Not on this manifest',
    'trip.verdict.label_mismatch': 'The label does not match the manifest\'s record',
    'trip.verdict.typed': 'Code typed by hand (label signature not checked)',
    'trip.verdict.unreadable': 'Not readable: neither a label of this system nor an item code',
    'trip.verdict_forged_hint': 'Do not accept this item; report it to the generator and the regulator.',
    'trip.claimed': 'The label claims (not to be trusted): ',
    'trip.what.accept': 'accept {n}',
    'trip.what.release': 'hand {n} over to {who}',
    'trip.what.arrive': 'deliver {n}',
    'trip.source.camera': 'camera',
    'trip.source.keyboard': 'scanner/typed',
  },
});

/** Verdicts of a label whose content cannot be trusted (its signature failed or was not checked). */
const UNTRUSTED = new Set(['forged', 'unknown_key', 'revoked', 'bad_version', 'no_keys']);
/** Verdicts that let an item into the basket. */
const USABLE = new Set(['genuine', 'typed']);
/** The steps a basket's item can be signed for, with the event each needs. */
const ACTIONS = [['accept', 'accept'], ['hand_over', 'release'], ['arrive', 'arrive']];

/** A label's text with anything but letters and digits shown as "?" (a forged payload may hold any byte). */
const printable = (text) => String(text).replace(/[^0-9A-Za-z]/g, '?');

const stepText = (next) => t(`trip.step.${next.step}`, { who: next.who || '' });

function statusLine(rec) {
  if (!rec) return null;
  return h('p', {
    id: 'trip-last', class: `queue-status status-${rec.status}`,
    dataset: { id: String(rec.id), status: rec.status, index: rec.index ?? '' },
  }, h('strong', {}, t('trip.last'), ' '), statusText(rec), ' ', h('a', { href: '#/queue' }, t('trip.queue_link')));
}

async function tripView(ctx) {
  const number = ctx.args.number;
  const me = state.user?.enterprise;
  if (!me || !isDriver()) return emptyState('trip-empty', t('trip.title'), t('trips.no_enterprise'));
  const [list, records, keys, key] = await Promise.all([
    loadTrips(me, ctx.signal), queue.list(), loadLabelKeys({ refresh: navigator.onLine }), deviceKeyFor(me, ctx.signal).catch(() => null),
  ]);
  keepOffline(() => Promise.all([api.manifests(tripsQuery(me)), api.keys(), api.listOf(me, 'devices')]));
  const served = list.manifests.find((m) => m.number === number);
  if (!served) {
    return emptyState('trip-missing', t('trip.not_found', { number }), t('trip.not_found_text'),
      h('p', {}, h('a', { class: 'button', href: '#/trips' }, t('trip.back'))));
  }
  const plate = chosenVehicle(me);
  const basket = new Map(); // code -> {verdict, b32, source}
  let view = localView(served, records, list.fetchedAt, me);
  let lastId = null;
  let scans = 0;

  const resultBox = h('section', { id: 'scan-result', class: 'scan-result', hidden: true, 'aria-live': 'assertive' });
  const basketBox = h('div', { id: 'trip-basket', class: 'basket' });
  const itemsBox = h('section', { id: 'trip-items-panel', class: 'panel' });
  const lastBox = h('div', { id: 'trip-last-box' });
  const myLeg = legOf(view, me);

  const item = (code) => view.items.find((it) => it.code === code);

  function showResult(r) {
    resultBox.hidden = false;
    resultBox.className = `scan-result verdict-${r.verdict}`;
    scans += 1;
    Object.assign(resultBox.dataset, {
      verdict: r.verdict, code: r.code || '', text: r.text, source: r.source, step: r.step || '', seq: String(scans),
    });
    const it = r.code ? item(r.code) : null;
    const p = r.payload;
    // What a label that did not verify says is the forger's claim, not a fact.
    const trusted = !UNTRUSTED.has(r.verdict);
    fill(resultBox,
      h('p', { class: 'verdict' }, t(`trip.verdict.${r.verdict}`)),
      r.verdict === 'forged' ? h('p', {}, t('trip.verdict_forged_hint')) : null,
      r.code ? h('p', { class: `mono item-code${trusted ? '' : ' claimed'}` },
        trusted ? '' : t('trip.claimed'), printable(r.code)) : null,
      it ? h('p', {}, shortWasteName({ code: it.waste_code, description: it.waste_name }), ' · ', it.waste_code) : null,
      p ? h('p', { class: `small${trusted ? '' : ' claimed'}` }, t('trip.label_mass', { mass: formatMass(p.massG) }), ' · ',
        p.hazards.map(hazardName).join('、'), p.form ? ` · ${formName(p.form)}` : '') : null,
      it ? h('p', { class: 'step' }, h('strong', {}, stepText(it.next))) : null,
      h('p', { class: 'hint' }, t(`trip.source.${r.source}`)));
  }

  async function onScan(text, source) {
    const scan = parseScan(text);
    const r = { text, source, verdict: 'unreadable' };
    if (scan.kind === 'code') {
      r.code = scan.code;
      r.verdict = item(scan.code) ? 'typed' : 'not_on_manifest';
    } else if (scan.kind === 'label') {
      const checked = await verifyLabel(scan.bytes, keys);
      r.payload = checked.payload;
      r.code = checked.payload.code;
      r.verdict = checked.verdict;
      r.b32 = scan.b32;
      if (r.verdict === 'genuine') {
        const it = item(r.code);
        if (!it) r.verdict = 'not_on_manifest';
        else if (it.label_b64 && it.label_b64 !== checked.b64) r.verdict = 'label_mismatch';
      }
    }
    if (!ctx.alive()) return;
    const it = r.code ? item(r.code) : null;
    r.step = it?.next.step;
    if (USABLE.has(r.verdict) && it) basket.set(r.code, { verdict: r.verdict, b32: r.b32 || null, source });
    showResult(r);
    renderBasket();
  }

  async function sign(type, codes, extra) {
    if (!key) return;
    const event = { ...eventHead(type, me, key), items: codes, manifest: number, ...extra };
    const envelope = await signEvent(key, event);
    const rec = await queue.enqueue(envelope, { screen: 'trip', manifest: number });
    lastId = rec.id;
    for (const c of codes) basket.delete(c);
    return rec;
  }

  async function act(step, codes) {
    const leg = legOf(view, me);
    const who = codes.length ? item(codes[0]).next.who : '';
    try {
      if (step === 'accept') {
        const labels = codes.map((c) => basket.get(c)?.b32);
        const extra = labels.every(Boolean) ? { scanned_labels: labels } : {};
        if (plate && (leg?.order > 1 || !samePlate(plate, view.vehicle_plate))) extra.vehicle_plate = plate;
        await sign('accept', codes, extra);
        notice(t('trip.signed', { what: t('trip.what.accept', { n: codes.length }) }));
      } else if (step === 'hand_over') {
        await sign('release', codes, { to: item(codes[0]).next.to });
        notice(t('trip.signed', { what: t('trip.what.release', { n: codes.length, who }) }));
      } else if (step === 'arrive') {
        await sign('arrive', codes, {});
        notice(t('trip.signed', { what: t('trip.what.arrive', { n: codes.length }) }));
      }
    } catch (e) {
      showError(e);
    }
    await refresh();
  }

  function actionButtons(codesAt, prefix) {
    return ACTIONS.map(([step]) => {
      const codes = codesAt(step);
      if (!codes.length) return null;
      const who = item(codes[0]).next.who;
      const label = prefix === 'all'
        ? (step === 'arrive' ? t('trip.arrive_all', { n: codes.length }) : t('trip.hand_over_all', { n: codes.length, who }))
        : t(`trip.${step}`, { n: codes.length, who });
      return h('button', {
        type: 'button', id: `act-${step.replace('_', '')}${prefix === 'all' ? '-all' : ''}`,
        class: `big ${step === 'accept' || prefix !== 'all' ? 'primary' : ''}`,
        disabled: !key, dataset: { count: String(codes.length), step },
        onclick: (ev) => {
          ev.currentTarget.disabled = true;
          act(step, codes);
        },
      }, label);
    });
  }

  function renderBasket() {
    const codes = [...basket.keys()].filter((c) => item(c));
    const at = (step) => codes.filter((c) => (step === 'accept' ? item(c).mayAccept : item(c).next.step === step));
    fill(basketBox,
      h('div', { class: 'basket-head' },
        h('h2', {}, t('trip.basket_title', { n: codes.length })),
        codes.length ? h('button', {
          type: 'button', id: 'basket-clear', class: 'small-button',
          onclick: () => { basket.clear(); renderBasket(); },
        }, t('trip.basket_clear')) : null),
      codes.length
        ? h('ul', { id: 'basket-list', class: 'basket-list' }, codes.map((c) => h('li', {
          dataset: { code: c, step: item(c).next.step, verdict: basket.get(c).verdict },
        }, h('span', { class: 'mono item-code' }, `…${c.slice(-15)}`), ' ', h('span', { class: 'small' }, stepText(item(c).next)))))
        : h('p', { class: 'hint' }, t('trip.basket_empty')),
      key ? null : h('p', { id: 'trip-no-key', class: 'warn-text' }, t('trip.no_key'), ' ',
        h('a', { href: '#/device' }, t('trip.no_key_link'))),
      h('div', { class: 'actions big-actions' }, actionButtons(at, 'basket')));
  }

  function renderItems() {
    const mine = (step) => view.items.filter((it) => it.next.step === step).map((it) => it.code);
    fill(itemsBox,
      h('h2', {}, t('trip.items_title', { n: view.items.length })),
      h('div', { class: 'actions big-actions' }, actionButtons((step) => (step === 'accept' ? [] : mine(step)), 'all')),
      h('ul', { id: 'trip-items', class: 'trip-items' }, view.items.map((it) => h('li', {
        dataset: { code: it.code, state: it.state, step: it.next.step, pending: String(it.pending) },
        class: basket.has(it.code) ? 'in-basket' : null,
      },
      h('div', { class: 'item-line' }, h('strong', {}, shortWasteName({ code: it.waste_code, description: it.waste_name })),
        h('span', { class: 'num' }, formatMass(it.mass_g))),
      h('div', { class: 'mono item-code' }, it.code),
      h('div', { class: 'item-line' },
        h('span', { class: `chip static step-${it.next.step}` }, stepText(it.next)),
        it.pending ? h('span', { class: 'badge warn' }, t('trip.pending')) : null)))));
  }

  async function renderLast() {
    const rec = lastId ? await queue.get(lastId) : null;
    if (ctx.alive()) fill(lastBox, statusLine(rec) || '');
  }

  async function refresh() {
    const now = await queue.list();
    if (!ctx.alive()) return;
    view = localView(served, now, list.fetchedAt, me);
    renderBasket();
    renderItems();
    await renderLast();
  }

  const stop = queue.onChange(() => { if (ctx.alive()) refresh(); else stop(); });
  ctx.signal.addEventListener('abort', stop);

  const next = myLeg ? view.legs.find((l) => l.order === myLeg.order + 1) : null;
  const scan = scanner({ onScan, signal: ctx.signal });
  renderBasket();
  renderItems();
  return h('div', { id: 'trip', dataset: { number } },
    h('section', { class: 'panel trip-summary' },
      h('div', { class: 'trip-head' },
        h('span', { class: 'mono trip-no' }, number),
        myLeg && view.legs.length > 1 ? h('span', { class: 'badge' }, t('trip.leg_of', { order: myLeg.order, legs: view.legs.length })) : null),
      h('p', { id: 'trip-receiver', class: 'trip-to' }, t('trip.to'), ' ', h('strong', {}, view.receiver_name)),
      h('p', { class: 'small muted' },
        t('trip.issuer'), ' ', view.issuer_name, ' · ', h('span', { class: 'plate' }, view.vehicle_plate),
        next ? [' · ', t('trip.next_carrier'), ' ', next.transporter_name] : null,
        ' · ', t('trip.as_of'), ' ', formatTime(list.as_of)),
      navigator.onLine ? null : h('p', { class: 'warn-text small' }, h('strong', {}, t('trip.offline')))),
    lastBox,
    h('section', { class: 'panel trip-work' },
      h('h2', {}, t('trip.scan_title')),
      scan.controls, resultBox, basketBox, scan.frame, scan.form),
    itemsBox);
}

export const routes = [
  {
    name: 'trip', pattern: '/trips/:number', view: tripView, title: 'trip.title', auth: true,
  },
];
