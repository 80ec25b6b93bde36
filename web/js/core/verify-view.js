// core/verify-view.js: what the browser's own checks (core/verify-log.js) look like on a page:
// a checkpoint decoded with its signature verdict, the verdict of a step (a green tick, or
// what failed, in words), and the split view: the checkpoint this browser kept beside the one
// just served, when they are not two states of one history.

import { t, register, formatInt, formatTime } from './i18n.js';
import { h, colon } from './dom.js';
import { b64ToBytes } from './bytes.js';
import { hex } from './verify.js';

register({
  zh: {
    'vfy.ok': '已在本机验证',
    'vfy.failed': '验证失败',
    'vfy.running': '正在本机验证…',
    'vfy.origin': '日志',
    'vfy.size': '条目数',
    'vfy.root': '根哈希',
    'vfy.signed': '签名',
    'vfy.sig_ok': '日志密钥 {key} 的签名有效',
    'vfy.kept': '本浏览器保存的检查点',
    'vfy.kept_none': '首次验证：已保存此检查点，以后每次都会检查新检查点与它一致。',
    'vfy.kept_ok': '与本浏览器保存的检查点（{size} 条，{time} 验证）一致（一致性证明已验证）。',
    'vfy.split_title': '分叉视图：日志给出了两段不同的历史',
    'vfy.split_lead': '服务器现在给出的检查点与本浏览器以前验证并保存的检查点不一致：两者都由同一日志密钥签名，但不是同一历史的前后两个状态。日志记录可能被改写过。请勿信任本页内容，并报告此情况。',
    'vfy.split_kept': '以前验证的检查点',
    'vfy.split_served': '现在给出的检查点',
    'vfy.r.checkpoint': '检查点签名无效',
    'vfy.r.split': '所对照的检查点与本浏览器保存的检查点不一致（分叉）',
    'vfy.r.checkpoint_malformed': '检查点格式错误',
    'vfy.r.checkpoint_bad_signature': '检查点签名无效',
    'vfy.r.checkpoint_wrong_origin': '检查点的日志名称与密钥不符',
    'vfy.r.checkpoint_no_log_key_signature': '检查点没有已知日志密钥的签名',
    'vfy.r.inclusion': '包含证明不成立：条目不在已签名的日志树中',
    'vfy.r.entry': '条目不是有效的 JSON',
    'vfy.r.seq': '条目序号与位置不符',
    'vfy.r.prev': '与该物品上一条目的链接（prev）不符',
    'vfy.r.signature': '设备签名无效或密钥未在日志中登记',
    'vfy.r.signer': '签名者不是事件所写的设备',
    'vfy.r.label': '标签签名无效',
    'vfy.r.leaf': '条目哈希不符',
    'vfy.r.root': '重新计算的根哈希与检查点不符',
    'vfy.r.key': '密钥条目无效',
  },
  en: {
    'vfy.ok': 'Verified in this browser',
    'vfy.failed': 'Verification failed',
    'vfy.running': 'Verifying in this browser…',
    'vfy.origin': 'Log',
    'vfy.size': 'Entries',
    'vfy.root': 'Root hash',
    'vfy.signed': 'Signature',
    'vfy.sig_ok': 'valid signature by the log key {key}',
    'vfy.kept': 'Checkpoint kept by this browser',
    'vfy.kept_none': 'First verification: this checkpoint is kept, and every later one is checked against it.',
    'vfy.kept_ok': 'Consistent with the checkpoint this browser kept ({size} entries, verified {time}): consistency proof checked.',
    'vfy.split_title': 'Split view: the log has shown two different histories',
    'vfy.split_lead': 'The checkpoint served now is not consistent with the one this browser verified and kept before: both are signed by the same log key, but they are not two states of one history. The log may have been rewritten. Do not trust this page, and report it.',
    'vfy.split_kept': 'Checkpoint verified before',
    'vfy.split_served': 'Checkpoint served now',
    'vfy.r.checkpoint': 'the checkpoint signature is not valid',
    'vfy.r.split': 'the checkpoint it is proved against is not consistent with the one this browser kept (split view)',
    'vfy.r.checkpoint_malformed': 'the checkpoint is malformed',
    'vfy.r.checkpoint_bad_signature': 'the checkpoint signature is not valid',
    'vfy.r.checkpoint_wrong_origin': 'the checkpoint names another log than its key',
    'vfy.r.checkpoint_no_log_key_signature': 'the checkpoint is not signed by a known log key',
    'vfy.r.inclusion': 'the inclusion proof fails: the entry is not in the signed tree',
    'vfy.r.entry': 'the entry is not valid JSON',
    'vfy.r.seq': 'the entry\'s seq is not its position',
    'vfy.r.prev': 'the link to the item\'s previous entry (prev) does not match',
    'vfy.r.signature': 'a device signature is not valid, or its key is not registered in the log',
    'vfy.r.signer': 'the signer is not the device the event names',
    'vfy.r.label': 'the label signature is not valid',
    'vfy.r.leaf': 'an entry hash does not match',
    'vfy.r.root': 'the recomputed root does not match the checkpoint',
    'vfy.r.key': 'a key entry is not valid',
  },
});

export const reasonText = (r) => t(`vfy.r.${r}`);

/** A tick or the failures, as a badge: data-verified="ok|failed|running". */
export function verdictBadge(failed, attrs = {}) {
  if (failed === null) return h('span', { class: 'verdict running', dataset: { verified: 'running' }, ...attrs }, t('vfy.running'));
  if (!failed.length) return h('span', { class: 'verdict ok', dataset: { verified: 'ok' }, ...attrs }, '✓ ', t('vfy.ok'));
  return h('span', { class: 'verdict failed', dataset: { verified: 'failed', failed: failed.join(' ') }, ...attrs },
    '✗ ', t('vfy.failed'), colon(), failed.map(reasonText).join('；'));
}

const rootHex = (b64) => {
  try {
    return hex(b64ToBytes(b64));
  } catch {
    return b64;
  }
};

/** One checkpoint decoded: origin, size, root (b64 and hex), signature lines. */
export function checkpointFacts(cp, { id, keyName } = {}) {
  return h('dl', { class: 'summary compact checkpoint-facts', id, dataset: { size: cp.size, root: cp.rootB64 || cp.root } },
    h('dt', {}, t('vfy.origin')), h('dd', { class: 'mono cp-origin' }, cp.origin),
    h('dt', {}, t('vfy.size')), h('dd', { class: 'num cp-size' }, formatInt(cp.size)),
    h('dt', {}, t('vfy.root')), h('dd', { class: 'mono small cp-root', title: rootHex(cp.rootB64 || cp.root) }, cp.rootB64 || cp.root),
    keyName && [h('dt', {}, t('vfy.signed')), h('dd', { class: 'cp-signed' }, '✓ ', t('vfy.sig_ok', { key: keyName }))]);
}

/** What the kept checkpoint says about a verified one. */
export function keptLine(trust) {
  if (!trust.kept) return h('p', { class: 'muted small', id: 'cp-kept', dataset: { kept: 'first' } }, t('vfy.kept_none'));
  return h('p', { class: 'muted small', id: 'cp-kept', dataset: { kept: 'consistent', size: trust.kept.size } },
    t('vfy.kept_ok', { size: formatInt(trust.kept.size), time: formatTime(trust.kept.verifiedAt) }));
}

/** The split view: the kept checkpoint beside the served one, in red. */
export function splitView(trust) {
  const kept = { origin: trust.kept.origin, size: trust.kept.size, rootB64: trust.kept.root };
  return h('section', { id: 'split-view', class: 'panel split-view', role: 'alert', dataset: { kept: trust.kept.size, served: trust.checkpoint.size } },
    h('h2', {}, '✗ ', t('vfy.split_title')),
    h('p', {}, t('vfy.split_lead')),
    h('div', { class: 'split-columns' },
      h('div', { class: 'split-side', id: 'split-kept' }, h('h3', {}, t('vfy.split_kept')),
        checkpointFacts(kept), h('p', { class: 'muted small' }, formatTime(trust.kept.verifiedAt)),
        h('pre', { class: 'note' }, trust.kept.note)),
      h('div', { class: 'split-side', id: 'split-served' }, h('h3', {}, t('vfy.split_served')),
        checkpointFacts(trust.checkpoint, { keyName: trust.key?.name }), h('pre', { class: 'note' }, trust.checkpoint.note))));
}
