// screens/shared/item.js: the page of one item (#/items/<code>, route `item`), for everyone
// who may see the item (its generator, its holder, the district's regulators): the label as
// printed (the label page in a frame, printable from here), its state, holder, masses, manifest
// and the items it came from or became, and its full history in words from GET
// /items/{code}/events: each entry's event type, who signed it (enterprise and device, with
// the key IDs), the device's signed time and the logged time, the masses and decisions it
// states (masses, and at each weighing the difference from the mass before it), the manifest
// legs (the carriers in order, the receiver, the vehicle, from the signed manifest_open), and
// the state, holder and mass it left the item in. Every item code of the app links here
// (core/links.js).
//
// The page verifies the history in this browser (core/verify-log.js, WebCrypto only): each
// entry's inclusion proof against the checkpoint of GET /items/{code}/history, that
// checkpoint's signature by the log key and its consistency with the checkpoint this browser
// kept, each envelope's device signatures against keys registered in the log, and the label's
// signature. Each step shows a green tick or what failed (`li[data-verified]`); the panel
// `#item-verify[data-state=running|verified|failed|split]` sums it up, with the split view
// when the served checkpoint is not consistent with the kept one.

import { t, register, formatMass, formatInt, formatTime, formatPermille, lang } from '../../core/i18n.js';
import { h, section, time, colon } from '../../core/dom.js';
import { ensureRefs } from '../../core/state.js';
import { busy } from '../../core/feedback.js';
import * as api from '../../core/api.js';
import * as records from '../../core/records.js';
import { itemLink, manifestLink } from '../../core/links.js';
import { decisionName, eventName, formName, hazardName, incidentName, methodName, stateName } from '../../core/names.js';
import { base32, b64ToBytes } from '../../core/bytes.js';
import { verifyItem } from '../../core/verify-log.js';
import { checkpointFacts, keptLine, reasonText, splitView, verdictBadge } from '../../core/verify-view.js';

register({
  zh: {
    'itemp.title': '物品详情',
    'itemp.code': '物品编码',
    'itemp.waste': '废物',
    'itemp.state': '状态',
    'itemp.holder': '持有单位',
    'itemp.generator': '产生单位',
    'itemp.declared': '申报净重',
    'itemp.mass': '现重量',
    'itemp.form': '形态和危险特性',
    'itemp.packaging': '包装',
    'itemp.generated_at': '产生时间',
    'itemp.storage_place': '贮存地点',
    'itemp.manifest': '转移联单',
    'itemp.inputs': '来源物品',
    'itemp.outputs': '产生的物品',
    'itemp.discrepancy': '重量差异',
    'itemp.discrepancy_text': '应为 {expected}，过磅 {weighed}（{answered}）',
    'itemp.answered': '已说明',
    'itemp.unanswered': '未说明',
    'itemp.label': '标签',
    'itemp.print_label': '打印标签',
    'itemp.open_label': '打开标签页',
    'itemp.verify': '验证标签',
    'itemp.history': '全部记录',
    'itemp.history_lead': '每条记录都是日志中的一条签名条目，按记录顺序排列。',
    'itemp.proofs': '带包含证明的原始日志条目（JSON）',
    'itemp.entry': '日志第 {index} 条',
    'itemp.signed_by': '签名',
    'itemp.device': '设备 {device}',
    'itemp.keys': '密钥 {keys}',
    'itemp.signed_at': '签名时间',
    'itemp.logged_at': '记录时间',
    'itemp.after': '之后',
    'itemp.detail': '内容',
    'itemp.after_text': '{state} · 持有：{holder} · {mass}',
    'itemp.m.declared': '申报 {m}',
    'itemp.m.weighed': '过磅 {m}',
    'itemp.m.accepted': '接收 {m}',
    'itemp.m.refused': '拒收 {m}',
    'itemp.m.treated': '处置 {m}',
    'itemp.m.lost': '损失 {m}',
    'itemp.to': '交给 {name}',
    'itemp.place': '贮存于 {place}',
    'itemp.decision': '决定：{decision}',
    'itemp.method': '方式：{method}',
    'itemp.incident': '类型：{kind}',
    'itemp.note': '说明：{note}',
    'itemp.made_from': '来源：',
    'itemp.created': '产生：',
    'itemp.corrects': '更正第 {index} 条的 {field}：{value}',
    'itemp.none': '日志中还没有这件物品的记录。',
    'itemp.diff': '比之前 {diff}（{pct}）',
    'itemp.legs': '运输：',
    'itemp.leg_receiver': '接收：',
    'itemp.vehicle': '车辆 {plate}，计划 {date}',
    'itemp.verify_title': '本机验证',
    'itemp.verify_lead': '本浏览器自己检查：每条记录在已签名日志中的包含证明、检查点的日志密钥签名、设备签名（密钥须已登记在日志中）和标签签名。服务器只提供数据。',
    'itemp.verify_sum_ok': '全部 {n} 个步骤已验证',
    'itemp.verify_sum_bad': '{bad} / {n} 个步骤验证失败',
    'itemp.log_link': '查看日志并审计一段条目',
  },
  en: {
    'itemp.title': 'Item',
    'itemp.code': 'Item code',
    'itemp.waste': 'Waste',
    'itemp.state': 'State',
    'itemp.holder': 'Holder',
    'itemp.generator': 'Generator',
    'itemp.declared': 'Declared net mass',
    'itemp.mass': 'Mass now',
    'itemp.form': 'Form and hazards',
    'itemp.packaging': 'Packaging',
    'itemp.generated_at': 'Generated',
    'itemp.storage_place': 'Storage place',
    'itemp.manifest': 'Manifest',
    'itemp.inputs': 'Made from',
    'itemp.outputs': 'Became',
    'itemp.discrepancy': 'Weight discrepancy',
    'itemp.discrepancy_text': 'expected {expected}, weighed {weighed} ({answered})',
    'itemp.answered': 'explained',
    'itemp.unanswered': 'not explained',
    'itemp.label': 'Label',
    'itemp.print_label': 'Print the label',
    'itemp.open_label': 'Open the label page',
    'itemp.verify': 'Verify the label',
    'itemp.history': 'Full history',
    'itemp.history_lead': 'Each record is one signed entry of the log, in log order.',
    'itemp.proofs': 'The raw log entries with inclusion proofs (JSON)',
    'itemp.entry': 'log entry {index}',
    'itemp.signed_by': 'Signed by',
    'itemp.device': 'device {device}',
    'itemp.keys': 'key {keys}',
    'itemp.signed_at': 'Signed at',
    'itemp.logged_at': 'Logged at',
    'itemp.after': 'After',
    'itemp.detail': 'Details',
    'itemp.after_text': '{state} · held by {holder} · {mass}',
    'itemp.m.declared': 'declared {m}',
    'itemp.m.weighed': 'weighed {m}',
    'itemp.m.accepted': 'accepted {m}',
    'itemp.m.refused': 'refused {m}',
    'itemp.m.treated': 'treated {m}',
    'itemp.m.lost': 'lost {m}',
    'itemp.to': 'to {name}',
    'itemp.place': 'stored at {place}',
    'itemp.decision': 'decision: {decision}',
    'itemp.method': 'method: {method}',
    'itemp.incident': 'kind: {kind}',
    'itemp.note': 'note: {note}',
    'itemp.made_from': 'made from: ',
    'itemp.created': 'made: ',
    'itemp.corrects': 'corrects {field} of entry {index}: {value}',
    'itemp.none': 'The log has no entry of this item yet.',
    'itemp.diff': '{diff} from before ({pct})',
    'itemp.legs': 'carried by: ',
    'itemp.leg_receiver': 'to: ',
    'itemp.vehicle': 'vehicle {plate}, planned {date}',
    'itemp.verify_title': 'Verified in this browser',
    'itemp.verify_lead': 'This browser checks by itself: each record\'s inclusion proof in the signed log, the checkpoint\'s signature by the log key, the device signatures (keys registered in the log) and the label\'s signature. The server only serves the data.',
    'itemp.verify_sum_ok': 'all {n} steps verified',
    'itemp.verify_sum_bad': '{bad} of {n} steps failed verification',
    'itemp.log_link': 'Open the log and audit a range of entries',
  },
});

/** Label sides in CSS pixels by container volume (HJ 1276: ≤50 L 100 mm, <450 L 150 mm, else 200 mm). */
function labelSidePx(volumeL) {
  const mm = volumeL <= 50 ? 100 : volumeL < 450 ? 150 : 200;
  return Math.round((mm * 96) / 25.4);
}
/** The width the label's picture is shown at. */
const LABEL_SHOWN_PX = 300;
/** The label page's own margin around the label on screen (8 mm), in CSS pixels. */
const LABEL_PAGE_MARGIN_PX = 31;

const partyName = (p) => (p ? (lang() === 'en' && p.name_en) || p.name_zh || p.uscc : '');
const party = (p) => (p ? [partyName(p), ' ', h('span', { class: 'mono muted small' }, p.uscc)] : t('common.none'));

function verifyHref(item) {
  try {
    return item.label_b64 ? `/Q/${base32(b64ToBytes(item.label_b64))}` : null;
  } catch {
    return null;
  }
}

/** The label page in a frame, scaled down to a picture, printable from here. */
function labelPanel(item) {
  const side = labelSidePx(item.container_volume_l || 0);
  const frameW = side + 2 * LABEL_PAGE_MARGIN_PX;
  const frameH = side + 3 * LABEL_PAGE_MARGIN_PX;
  const scale = LABEL_SHOWN_PX / frameW;
  const frame = h('iframe', {
    id: 'item-label-frame', src: api.labelUrl(item.code), title: t('itemp.label'), tabindex: '-1',
    style: `width:${frameW}px;height:${frameH}px;transform:scale(${scale});transform-origin:0 0;border:0`,
  });
  const box = h('div', { class: 'label-picture', style: `width:${LABEL_SHOWN_PX}px;height:${Math.ceil(frameH * scale)}px` }, frame);
  const print = h('button', { type: 'button', id: 'item-print-label', class: 'primary' }, t('itemp.print_label'));
  print.addEventListener('click', () => busy(Promise.resolve().then(() => frame.contentWindow.print())));
  const verify = verifyHref(item);
  return h('section', { id: 'item-label', class: 'panel' },
    h('h2', {}, t('itemp.label')), box,
    h('p', { class: 'actions' }, print,
      h('a', { id: 'item-label-link', class: 'button', href: api.labelUrl(item.code), target: '_blank', rel: 'noopener' }, t('itemp.open_label')),
      verify && h('a', { id: 'item-verify-link', class: 'button', href: verify, target: '_blank', rel: 'noopener' }, t('itemp.verify'))));
}

function summary(item, story) {
  const c = item.custody || {};
  const last = story.entries.at(-1);
  const first = story.entries[0];
  const links = (codes) => (codes?.length ? h('span', { class: 'links' }, codes.map((x) => itemLink(x))) : null);
  const rows = [
    ['itemp.code', h('span', { class: 'mono' }, item.code)],
    ['itemp.waste', [h('span', { class: 'mono' }, item.waste_code), ' ', item.waste_name]],
    ['itemp.state', h('span', { class: 'badge ok state', dataset: { state: item.state } }, stateName(item.state))],
    ['itemp.holder', last?.holder ? party(last.holder) : h('span', { class: 'mono' }, item.holder)],
    ['itemp.generator', first && first.actor.uscc === item.generator ? party(first.actor) : h('span', { class: 'mono' }, item.generator)],
    ['itemp.declared', h('span', { class: 'num', title: `${formatInt(c.declared_g ?? item.mass_g)} g` }, formatMass(c.declared_g ?? item.mass_g))],
    ['itemp.mass', h('span', { class: 'num', id: 'item-mass', title: `${formatInt(c.mass_g ?? item.mass_g)} g` }, formatMass(c.mass_g ?? item.mass_g))],
    ['itemp.form', [formName(item.form), ' · ', item.hazards.map(hazardName).join('、')]],
    ['itemp.packaging', `${item.packaging}（${item.container_volume_l} L）`],
    ['itemp.generated_at', time(item.generated_at)],
    ['itemp.storage_place', item.storage_place],
    c.manifest && ['itemp.manifest', manifestLink(c.manifest)],
    c.inputs?.length && ['itemp.inputs', links(c.inputs)],
    c.outputs?.length && ['itemp.outputs', links(c.outputs)],
    c.discrepancy && ['itemp.discrepancy', t('itemp.discrepancy_text', {
      expected: formatMass(c.discrepancy.expected_g), weighed: formatMass(c.discrepancy.weighed_g),
      answered: t(c.discrepancy.answered ? 'itemp.answered' : 'itemp.unanswered'),
    })],
  ].filter(Boolean);
  return h('section', { id: 'item-detail', class: 'panel', dataset: { code: item.code, state: item.state } },
    h('dl', { class: 'summary' }, rows.flatMap(([k, v]) => [h('dt', {}, t(k)), h('dd', { dataset: { term: k.slice(6) } }, v)])));
}

/** What an entry states, in words: masses, party, decision, method, place, reason, items. */
function stated(e, before) {
  const m = e.masses || {};
  const parts = [];
  const mass = (key, g) => g !== null && g !== undefined && parts.push(t(`itemp.m.${key}`, { m: formatMass(g) }));
  mass('declared', m.declared_g);
  mass('weighed', m.weighed_g);
  if (m.weighed_g !== null && m.weighed_g !== undefined && before) {
    const diff = m.weighed_g - before;
    parts.push(h('span', { class: `weigh-diff${diff < 0 ? ' warn-text' : ''}`, dataset: { diff } },
      t('itemp.diff', { diff: (diff > 0 ? '+' : '') + formatMass(diff), pct: (diff < 0 ? '−' : '+') + formatPermille(Math.round((Math.abs(diff) * 1000) / before)) })));
  }
  mass('accepted', m.accepted_g);
  mass('refused', m.refused_g);
  mass('treated', m.treated_g);
  mass('lost', m.lost_g);
  if (e.decision) parts.push(t('itemp.decision', { decision: decisionName(e.decision) }));
  if (e.type === 'treat' && e.method) parts.push(t('itemp.method', { method: methodName(e.method) }));
  if (e.incident_kind) parts.push(t('itemp.incident', { kind: incidentName(e.incident_kind) }));
  if (e.to) parts.push(t('itemp.to', { name: partyName(e.to) }));
  if (e.storage_place) parts.push(t('itemp.place', { place: e.storage_place }));
  if (e.corrects !== null && e.corrects !== undefined) {
    parts.push(t('itemp.corrects', { index: e.corrects, field: e.field || '', value: JSON.stringify(e.new_value) }));
  }
  if (e.note) parts.push(t('itemp.note', { note: e.note }));
  const out = parts.map((p) => h('span', { class: 'detail-part' }, p));
  if (e.manifest) out.push(h('span', { class: 'detail-part' }, t('itemp.manifest'), ' ', manifestLink(e.manifest)));
  if (e.inputs?.length) out.push(h('span', { class: 'detail-part' }, t('itemp.made_from'), e.inputs.map((x) => itemLink(x))));
  if (e.created?.length) out.push(h('span', { class: 'detail-part' }, t('itemp.created'), e.created.map((x) => itemLink(x))));
  return out;
}

function historyEntry(e, before) {
  const after = e.state && t('itemp.after_text', {
    state: stateName(e.state), holder: partyName(e.holder), mass: e.mass_g !== null ? formatMass(e.mass_g) : '',
  });
  return h('li', { class: 'history-entry', dataset: { index: e.index, type: e.type, state: e.state || '' } },
    h('h3', {}, h('span', { class: 'event-name' }, eventName(e.type)),
      h('span', { class: 'muted small' }, t('itemp.entry', { index: e.index })),
      h('span', { class: 'verdict-slot' }, verdictBadge(null))),
    h('dl', { class: 'summary compact' },
      h('dt', {}, t('itemp.signed_by')),
      h('dd', { class: 'signer', dataset: { actor: e.actor.uscc, device: e.device } },
        partyName(e.actor), ' ', h('span', { class: 'mono muted small' }, e.actor.uscc), ' · ',
        t('itemp.device', { device: e.device }), ' · ', h('span', { class: 'mono small' }, t('itemp.keys', { keys: e.key_ids.join(', ') }))),
      h('dt', {}, t('itemp.signed_at')), h('dd', { class: 'signed-at' }, h('time', { datetime: e.at, title: e.at }, formatTime(e.at))),
      h('dt', {}, t('itemp.logged_at')), h('dd', { class: 'logged-at' }, time(e.logged_at)),
      stated(e, before).length > 0 && [h('dt', {}, t('itemp.detail')), h('dd', { class: 'detail' }, stated(e, before))],
      after && [h('dt', {}, t('itemp.after')), h('dd', { class: 'after' }, after)]));
}

async function itemView(ctx) {
  await ensureRefs(ctx.signal);
  const code = ctx.args.code;
  const [item, story] = await Promise.all([records.item(code, ctx.signal), records.itemEvents(code, ctx.signal)]);
  let before = null;
  const rows = story.entries.map((e) => {
    const li = historyEntry(e, before);
    if (e.mass_g !== null && e.mass_g !== undefined) before = e.mass_g;
    return li;
  });
  const panel = h('section', { id: 'item-verify', class: 'panel verify-panel', dataset: { state: 'running' } },
    h('h2', {}, t('itemp.verify_title')), h('p', { class: 'muted small' }, t('itemp.verify_lead')),
    h('div', { class: 'verify-body' }, verdictBadge(null, { id: 'item-verify-verdict' })));
  // Runs after the page is on screen; the panel and each step show the outcome as it comes.
  queueMicrotask(() => runVerification(code, rows, panel, story, ctx.signal));
  return h('div', { id: 'item-page', dataset: { code: item.code } },
    panel,
    h('div', { class: 'item-top' }, summary(item, story), labelPanel(item)),
    section(t('itemp.history'),
      h('p', { class: 'muted' }, t('itemp.history_lead')),
      story.entries.length
        ? h('ol', { id: 'item-history', class: 'history' }, rows)
        : h('p', { id: 'item-history-none', class: 'muted' }, t('itemp.none')),
      h('p', {}, h('a', { id: 'item-history-proofs', href: records.itemHistoryUrl(item.code), target: '_blank', rel: 'noopener' },
        t('itemp.proofs')))));
}

/** The manifest legs a signed manifest_open states: carriers in order, receiver, vehicle. */
function legs(payload, names) {
  if (payload?.type !== 'manifest_open') return null;
  const named = (u) => (names.get(u) ? [names.get(u), ' ', h('span', { class: 'mono muted small' }, u)] : h('span', { class: 'mono' }, u));
  const carriers = (payload.transporters || []).map((u, i) => h('span', { class: 'leg', dataset: { leg: i + 1, uscc: u } }, `${i + 1}. `, named(u)));
  return h('span', { class: 'detail-part legs', dataset: { legs: (payload.transporters || []).length } },
    t('itemp.legs'), carriers, ' → ', t('itemp.leg_receiver'), named(payload.receiver || ''), ' · ',
    t('itemp.vehicle', { plate: payload.vehicle_plate || '', date: payload.planned_date || '' }));
}

async function runVerification(code, rows, panel, story, signal) {
  const names = new Map();
  for (const e of story.entries) {
    for (const p of [e.actor, e.holder, e.to]) if (p?.name_zh) names.set(p.uscc, partyName(p));
  }
  const byIndex = new Map(rows.map((li) => [Number(li.dataset.index), li]));
  const body = panel.querySelector('.verify-body');
  let result;
  try {
    result = await verifyItem(code, {
      signal,
      onEntry: (r) => {
        const li = byIndex.get(r.index);
        if (!li) return;
        li.dataset.verified = r.ok ? 'ok' : 'failed';
        li.dataset.failed = r.failed.join(' ');
        li.querySelector('.verdict-slot').replaceChildren(verdictBadge(r.failed));
        const signer = li.querySelector('.signer');
        if (signer) {
          signer.dataset.keysVerified = r.signers.map((x) => `${x.keyId}:${x.ok ? 'ok' : x.reason}`).join(' ');
          signer.append(h('span', { class: 'signer-keys' }, r.signers.map((x) =>
            h('span', { class: `key-verdict ${x.ok ? 'ok' : 'failed'}`, dataset: { keyId: x.keyId || '' } },
              ` ${x.ok ? '✓' : '✗'} ${x.name || x.keyId || ''}`))));
        }
        const leg = legs(r.payload, names);
        if (leg) li.querySelector('.detail')?.append(leg);
        if (r.label) {
          li.dataset.label = r.label.ok ? 'ok' : 'failed';
        }
      },
    });
  } catch (e) {
    if (e.name === 'AbortError') return;
    panel.dataset.state = 'failed';
    body.replaceChildren(h('p', { class: 'verdict failed', dataset: { verified: 'failed' } }, '✗ ', t('vfy.failed'), colon(), e.message));
    return;
  }
  const trust = result.checkpoint;
  const bad = result.entries.filter((r) => !r.ok).length;
  const parts = [];
  if (trust.state === 'split') {
    parts.push(splitView(trust));
  } else if (trust.state === 'failed') {
    parts.push(h('p', { class: 'verdict failed', dataset: { verified: 'failed', failed: trust.reason } }, '✗ ', reasonText(trust.reason)));
  } else {
    parts.push(checkpointFacts(trust.checkpoint, { id: 'item-checkpoint', keyName: `${trust.key.name} (${trust.key.keyId})` }), keptLine(trust));
    parts.push(h('p', { class: 'small' }, h('a', { id: 'item-log-link', href: '#/log' }, t('itemp.log_link'))));
  }
  const failed = [...new Set(result.entries.flatMap((r) => r.failed))];
  if (trust.state === 'failed') failed.unshift(trust.reason?.startsWith('checkpoint') ? trust.reason : 'checkpoint');
  parts.unshift(h('p', { id: 'item-verify-summary', class: `verify-summary ${bad || trust.state !== 'verified' ? 'failed' : 'ok'}` },
    verdictBadge([...new Set(failed)], { id: 'item-verify-verdict' }), ' ',
    bad ? t('itemp.verify_sum_bad', { bad, n: result.entries.length }) : t('itemp.verify_sum_ok', { n: result.entries.length })));
  body.replaceChildren(...parts);
  panel.dataset.bad = bad;
  panel.dataset.state = trust.state === 'split' ? 'split' : bad || trust.state !== 'verified' ? 'failed' : 'verified';
}

export const routes = [
  { name: 'item', pattern: '/items/:code([0-9A-Z]{37})', view: itemView, title: 'itemp.title', auth: true },
];
