// screens/account/queue.js: the queue of signed events on this device (#/queue), for every
// user who signs (drivers, gates, generators): each event in signing order, newest first,
// with its status (core/queue.js): queued, sent and waiting for the answer, logged with its
// log index (a link to the entry), or refused with the reason in the UI language (the
// service's message_zh in Chinese). Online it sends what waits at once; #queue-send sends
// again now. It follows the queue as it changes, in this tab and others.

import { t, register, formatTime, lang } from '../../core/i18n.js';
import { h, emptyState } from '../../core/dom.js';
import { eventName } from '../../core/names.js';
import { isDriver, isGate } from '../../core/roles.js';
import * as queue from '../../core/queue.js';
import * as api from '../../core/api.js';

/** Replaces `el`'s children with the given nodes, leaving out the absent ones. */
const fill = (el, ...kids) => el.replaceChildren(...kids.flat().filter((k) => k !== null && k !== undefined && k !== false));

register({
  zh: {
    'nav.queue': '发送队列',
    'nav.queue_short': '队列',
    'queue.title': '发送队列',
    'queue.lead': '本机签名的事件先保存在这里，联网后按签名顺序一次性发送。重试时发送同一个签名信封，不会重复记录。',
    'queue.empty_title': '本机还没有签名的事件',
    'queue.empty_text': '在行程或接收页面扫码签名后，事件会出现在这里。',
    'queue.summary': '共 {all} 个：待发送 {queued}，已发送待确认 {sent}，已记录 {logged}，被拒绝 {refused}',
    'queue.send': '立即发送',
    'queue.offline': '当前离线，联网后自动发送。',
    'queue.status.queued': '待发送',
    'queue.status.sent': '已发送，等待服务器确认',
    'queue.status.logged': '已记录，日志 #{index}',
    'queue.status.refused': '被拒绝：{reason}',
    'queue.items': '{n} 件',
    'queue.manifest': '联单 {number}',
    'queue.signed_at': '签名于 {time}',
    'queue.attempts': '已尝试 {n} 次',
    'queue.entry': '查看日志条目',
  },
  en: {
    'nav.queue': 'Send queue',
    'nav.queue_short': 'Queue',
    'queue.title': 'Send queue',
    'queue.lead': 'Events signed on this device wait here and are sent, in signing order, in one batch when there is network. A retry sends the same signed envelope, so nothing is logged twice.',
    'queue.empty_title': 'No event signed on this device yet',
    'queue.empty_text': 'Events signed on a trip or at the gate show here.',
    'queue.summary': '{all} in all: {queued} to send, {sent} sent and not confirmed, {logged} logged, {refused} refused',
    'queue.send': 'Send now',
    'queue.offline': 'Offline now; they go once there is network.',
    'queue.status.queued': 'to send',
    'queue.status.sent': 'sent, waiting for the service',
    'queue.status.logged': 'logged, entry #{index}',
    'queue.status.refused': 'refused: {reason}',
    'queue.items': '{n} items',
    'queue.manifest': 'manifest {number}',
    'queue.signed_at': 'signed {time}',
    'queue.attempts': '{n} attempts',
    'queue.entry': 'See the log entry',
  },
});

/** The reason of a refused event in the UI language (the service's Chinese message in Chinese). */
export function refusalReason(rec) {
  const r = rec.refusal || {};
  return (lang() === 'zh' ? r.message_zh || r.message : r.message || r.message_zh) || r.error || '';
}

/** An event's status in words. */
export function statusText(rec) {
  return t(`queue.status.${rec.status}`, { index: rec.index ?? '', reason: refusalReason(rec) });
}

function row(rec) {
  return h('li', {
    class: `queue-row status-${rec.status}`,
    dataset: {
      id: String(rec.id), status: rec.status, type: rec.type, index: rec.index ?? '',
      refusal: rec.refusal?.error || '', nonce: rec.nonce, items: rec.items.join(' '),
    },
  },
  h('div', { class: 'item-line' },
    h('strong', {}, eventName(rec.type)),
    h('span', { class: `badge queue-badge status-${rec.status}` }, statusText(rec))),
  h('div', { class: 'small muted' },
    t('queue.items', { n: rec.items.length }),
    rec.manifest ? [' · ', t('queue.manifest', { number: rec.manifest })] : null,
    ' · ', t('queue.signed_at', { time: formatTime(rec.at) }),
    rec.attempts > 1 ? [' · ', t('queue.attempts', { n: rec.attempts })] : null),
  rec.items.length ? h('div', { class: 'mono item-code small' }, rec.items.join(' ')) : null,
  rec.index !== null && rec.index !== undefined
    ? h('a', { class: 'small', href: api.entryUrl(rec.index), target: '_blank', rel: 'noopener' }, t('queue.entry')) : null);
}

async function queueView(ctx) {
  const box = h('div', { id: 'queue-box' });
  const render = async () => {
    const all = await queue.list();
    if (!ctx.alive()) return;
    const count = (s) => all.filter((r) => r.status === s).length;
    fill(box,
      h('p', { id: 'queue-summary', dataset: Object.fromEntries(queue.STATUSES.map((s) => [s, String(count(s))])) },
        t('queue.summary', { all: all.length, queued: count('queued'), sent: count('sent'), logged: count('logged'), refused: count('refused') })),
      navigator.onLine ? null : h('p', { class: 'warn-text' }, t('queue.offline')),
      all.length
        ? h('ol', { id: 'queue-list', class: 'queue-list', reversed: true }, [...all].reverse().map(row))
        : emptyState('queue-empty', t('queue.empty_title'), t('queue.empty_text')));
  };
  const stop = queue.onChange(() => (ctx.alive() ? render() : stop()));
  ctx.signal.addEventListener('abort', stop);
  const onNet = () => (ctx.alive() ? render() : null);
  window.addEventListener('online', onNet);
  window.addEventListener('offline', onNet);
  ctx.signal.addEventListener('abort', () => {
    window.removeEventListener('online', onNet);
    window.removeEventListener('offline', onNet);
  });
  await render();
  queue.flush();
  return h('div', { id: 'queue' },
    h('p', { class: 'lead' }, t('queue.lead')),
    h('div', { class: 'toolbar' }, h('button', {
      type: 'button', id: 'queue-send', class: 'primary big', onclick: () => queue.flush(),
    }, t('queue.send'))),
    box);
}

export const routes = [
  {
    name: 'queue', pattern: '/queue', view: queueView, title: 'queue.title',
    nav: { label: 'nav.queue', short: 'nav.queue_short', rank: 6, main: true, show: () => isDriver() || isGate() },
  },
];
