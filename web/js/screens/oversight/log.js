// screens/oversight/log.js: the log page (#/log, route `log`, public like the log itself): the
// current checkpoint decoded and verified in this browser (origin, size, root, the signature
// by the log key, consistency with the checkpoint this browser kept, or the split view), the
// time of its latest entry (that entry proved included), and the range audit: entries
// start..end checked in a Web Worker (core/verify-worker.js) with a progress bar, every leaf
// hash and the root recomputed, every signature and `prev` link checked. The outcome is
// `#audit-result[data-state=passed|failed]` with the rate in entries per second.

import { t, register, formatInt, formatTime } from '../../core/i18n.js';
import { h, section } from '../../core/dom.js';
import * as api from '../../core/api.js';
import { canOversee } from '../../core/roles.js';
import { b64ToBytes } from '../../core/bytes.js';
import { leafHash, verifyInclusion } from '../../core/verify.js';
import { loadKeys, trustCheckpoint } from '../../core/verify-log.js';
import { checkpointFacts, keptLine, reasonText, splitView } from '../../core/verify-view.js';

register({
  zh: {
    'logp.title': '日志',
    'logp.nav': '日志',
    'logp.checkpoint': '当前检查点',
    'logp.lead': '本页在本浏览器中验证日志：检查点的签名、与以前保存的检查点的一致性，以及选定范围内每个条目的哈希、签名和链接。服务器只提供数据。',
    'logp.latest': '最新条目记录于 {time}（第 {index} 条，包含证明已验证）',
    'logp.audit': '范围审计',
    'logp.audit_lead': '重新计算第 0 条到结束条目的每个叶哈希和根哈希，并检查起止范围内每个条目的设备签名、标签签名和 prev 链接。在后台线程（Web Worker）中运行。',
    'logp.start': '起始条目',
    'logp.end': '结束条目（不含）',
    'logp.run': '开始审计',
    'logp.progress': '已检查 {done} / {total} 条',
    'logp.passed': '✓ 审计通过：{checked} 条已检查，{hashed} 条已重新计算哈希，根哈希与已签名检查点一致。',
    'logp.failed': '✗ 审计失败：发现 {count} 个问题',
    'logp.rate': '用时 {seconds} 秒，每秒 {rate} 条',
    'logp.finding': '第 {seq} 条：{what}',
    'logp.finding_tree': '树：{what}',
    'logp.error': '审计无法完成：{message}',
  },
  en: {
    'logp.title': 'Log',
    'logp.nav': 'Log',
    'logp.checkpoint': 'Current checkpoint',
    'logp.lead': 'This page verifies the log in this browser: the checkpoint\'s signature, its consistency with the checkpoint kept before, and each entry\'s hash, signatures and links in the range chosen. The server only serves the data.',
    'logp.latest': 'latest entry logged {time} (entry {index}, inclusion proof verified)',
    'logp.audit': 'Range audit',
    'logp.audit_lead': 'Recomputes every leaf hash from entry 0 to the end entry and the root, and checks each entry\'s device signatures, label signatures and prev links from start to end. Runs in the background (a Web Worker).',
    'logp.start': 'First entry',
    'logp.end': 'End entry (excluded)',
    'logp.run': 'Run the audit',
    'logp.progress': '{done} of {total} entries checked',
    'logp.passed': '✓ Audit passed: {checked} entries checked, {hashed} hashed again, the root matches the signed checkpoint.',
    'logp.failed': '✗ Audit failed: {count} findings',
    'logp.rate': '{seconds} s, {rate} entries per second',
    'logp.finding': 'entry {seq}: {what}',
    'logp.finding_tree': 'tree: {what}',
    'logp.error': 'The audit could not finish: {message}',
  },
});

async function latestEntry(cp, signal) {
  if (!cp.size) return null;
  const index = cp.size - 1;
  const [line] = await api.logEntries(index, cp.size, signal);
  const proof = await api.logInclusion(index, cp.size, signal);
  const ok = await verifyInclusion(index, cp.size, await leafHash(new TextEncoder().encode(line)), proof.hashes.map(b64ToBytes), cp.root);
  if (!ok) return { index, ok };
  return { index, ok, loggedAt: JSON.parse(line).logged_at };
}

function auditPanel(note, cp) {
  const start = h('input', { id: 'audit-start', type: 'number', min: '0', max: String(cp.size), value: '0', inputmode: 'numeric' });
  const end = h('input', { id: 'audit-end', type: 'number', min: '1', max: String(cp.size), value: String(cp.size), inputmode: 'numeric' });
  const run = h('button', { type: 'button', id: 'audit-run', class: 'primary' }, t('logp.run'));
  const bar = h('progress', { id: 'audit-progress', max: '1', value: '0' });
  const status = h('p', { id: 'audit-status', class: 'muted small', 'aria-live': 'polite' });
  const result = h('div', { id: 'audit-result', dataset: { state: 'idle' } });
  let worker = null;
  run.addEventListener('click', async () => {
    worker?.terminate();
    const keys = await loadKeys();
    const from = Math.max(0, Math.min(Number(start.value) || 0, cp.size));
    const to = Math.max(from, Math.min(Number(end.value) || cp.size, cp.size));
    result.dataset.state = 'running';
    result.replaceChildren();
    bar.max = Math.max(to, 1);
    bar.value = 0;
    run.disabled = true;
    worker = new Worker(new URL('../../core/verify-worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = (ev) => {
      const m = ev.data;
      if (m.type === 'progress') {
        bar.value = m.done;
        bar.dataset.done = m.done;
        status.textContent = t('logp.progress', { done: formatInt(m.done), total: formatInt(m.total) });
        return;
      }
      worker.terminate();
      worker = null;
      run.disabled = false;
      if (m.type === 'error') {
        result.dataset.state = 'failed';
        result.replaceChildren(h('p', { class: 'verdict failed' }, t('logp.error', { message: m.message })));
        return;
      }
      const rate = m.seconds > 0 ? Math.round(m.hashed / m.seconds) : 0;
      result.dataset.state = m.ok ? 'passed' : 'failed';
      result.dataset.checked = m.checked;
      result.dataset.hashed = m.hashed;
      result.dataset.rate = rate;
      result.dataset.findings = (m.findings || []).map((f) => `${f.seq ?? 'tree'}:${f.check}`).join(' ');
      result.replaceChildren(
        h('p', { class: `verdict ${m.ok ? 'ok' : 'failed'}` }, m.ok
          ? t('logp.passed', { checked: formatInt(m.checked), hashed: formatInt(m.hashed) })
          : t('logp.failed', { count: formatInt(m.count) })),
        h('p', { id: 'audit-rate', class: 'muted small', dataset: { rate } },
          t('logp.rate', { seconds: m.seconds.toFixed(1), rate: formatInt(rate) })),
        (m.findings || []).length > 0 && h('ul', { id: 'audit-findings', class: 'findings' }, m.findings.map((f) =>
          h('li', { dataset: { seq: f.seq ?? '', check: f.check } }, f.seq === null
            ? t('logp.finding_tree', { what: reasonText(f.check) })
            : t('logp.finding', { seq: f.seq, what: reasonText(f.check) })))));
    };
    worker.postMessage({ start: from, end: to, checkpoint: note, logKeys: keys.log.map((k) => k.vkey) });
  });
  return section(t('logp.audit'),
    h('p', { class: 'muted small' }, t('logp.audit_lead')),
    h('div', { class: 'audit-form' },
      h('label', {}, t('logp.start'), start), h('label', {}, t('logp.end'), end), run),
    bar, status, result);
}

async function logView(ctx) {
  const note = await api.logCheckpoint(ctx.signal);
  const trust = await trustCheckpoint(note, ctx.signal);
  const body = [h('p', { class: 'muted' }, t('logp.lead'))];
  if (trust.state === 'split') {
    body.push(splitView(trust));
  } else if (trust.state === 'failed') {
    body.push(h('p', { class: 'verdict failed', dataset: { verified: 'failed' } }, '✗ ', reasonText(trust.reason)));
  }
  const cp = trust.checkpoint;
  if (trust.state === 'verified') {
    const latest = await latestEntry(cp, ctx.signal);
    body.push(section(t('logp.checkpoint'),
      checkpointFacts(cp, { id: 'log-checkpoint', keyName: `${trust.key.name} (${trust.key.keyId})` }),
      latest && h('p', { id: 'log-latest', class: latest.ok ? '' : 'verdict failed', dataset: { index: latest.index, verified: latest.ok ? 'ok' : 'failed' } },
        latest.ok ? t('logp.latest', { time: formatTime(latest.loggedAt), index: latest.index }) : reasonText('inclusion')),
      keptLine(trust),
      h('pre', { class: 'note', id: 'log-note' }, note)));
    body.push(auditPanel(note, cp));
  }
  return h('div', { id: 'log-page', dataset: { state: trust.state, size: cp?.size ?? '' } }, ...body);
}

export const routes = [
  {
    name: 'log', pattern: '/log', view: logView, title: 'logp.title',
    nav: { label: 'logp.nav', rank: 90, show: canOversee },
  },
];
