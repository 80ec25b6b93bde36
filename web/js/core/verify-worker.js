// core/verify-worker.js: the range audit of the log page (screens/oversight/log.js), in a Web
// Worker so the page stays responsive. Message in: {start, end, checkpoint: note, logKeys:
// [vkey strings]}. It reads the entries 0..end (GET /log/entries, 1000 at a time, the next
// chunk fetched while one is checked) and, with WebCrypto alone:
//   - recomputes every leaf hash and the root of the tree of `end` entries, and proves it a
//     prefix of the checkpoint's tree: equal to its root when `end` is its size, else by a
//     consistency proof from `end` to its size; the checkpoint's signature is checked first;
//   - follows the `key` entries (register, revoke) from entry 0, so each signature is judged
//     against the keys in force when its entry was logged;
//   - for the entries start..end: `seq`, each DSSE envelope's signatures (the first by the
//     device the event names), each label's signature by a label key in force, and each
//     `prev` link (item → hex leaf hash of the item's previous entry, "" for its first).
// Messages out: {type: 'progress', done, total}, then {type: 'done', ok, findings: [{seq,
// check}], checked, hashed, seconds, root}. At most 50 findings are reported.

import * as api from './api.js';
import { b64ToBytes } from './bytes.js';
import {
  TreeBuilder, envelopePayload, equalBytes, hex, leafHash, parseVkey, verifyCheckpoint, verifyConsistency,
  verifyEnvelope, verifyLabelB64,
} from './verify.js';

const CHUNK = 1000;
/** Leaves hashed into the tree as one block (a power of two). */
const BLOCK = 1024;
const MAX_FINDINGS = 50;
const enc = new TextEncoder();

async function audit({ start, end, checkpoint, logKeys }) {
  const t0 = performance.now();
  const findings = [];
  let count = 0;
  const find = (seq, check) => {
    count += 1;
    if (findings.length < MAX_FINDINGS) findings.push({ seq, check });
  };
  const keys = [];
  for (const v of logKeys) {
    const k = await parseVkey(v);
    if (k) keys.push(k);
  }
  const sig = await verifyCheckpoint(checkpoint, keys);
  if (!sig.ok) {
    find(null, `checkpoint_${sig.reason}`);
    return { ok: false, findings, count, checked: 0, hashed: 0, seconds: 0 };
  }
  const cp = sig.checkpoint;
  const last = Math.min(end, cp.size);
  const tree = new TreeBuilder();
  const inForce = { device: new Map(), label: new Map() }; // keyId → [parsed key]
  const prevOf = new Map(); // item → hex leaf
  let checked = 0;
  const fetchChunk = (s) => (s < last ? api.logEntries(s, Math.min(s + CHUNK, last)) : null);
  // Up to AHEAD chunks are being fetched while one is checked.
  const AHEAD = 4;
  const queue = [];
  let nextStart = 0;
  const refill = () => {
    while (queue.length < AHEAD && nextStart < last) {
      queue.push(fetchChunk(nextStart));
      nextStart += CHUNK;
    }
  };
  refill();
  // Leaves not yet in the tree (fewer than a block), and the tree's building, in order.
  const pending = [];
  let building = Promise.resolve();
  for (let s = 0; s < last; s += CHUNK) {
    const lines = await queue.shift();
    refill();
    // Leaf hashes and signatures run concurrently (WebCrypto works off the thread); the tree
    // is built in order, and the key state each signature is judged by is taken in order.
    const leaves = await Promise.all(lines.map((l) => leafHash(enc.encode(l))));
    const jobs = [];
    pending.push(...leaves);
    while (pending.length >= BLOCK) {
      const block = pending.splice(0, BLOCK);
      building = building.then(() => tree.pushBlock(block));
    }
    for (let i = 0; i < lines.length; i += 1) {
      const seq = s + i;
      const leaf = leaves[i];
      let e;
      try {
        e = JSON.parse(lines[i]);
      } catch {
        if (seq >= start) find(seq, 'entry');
        continue;
      }
      const judged = seq >= start;
      if (judged) checked += 1;
      if (judged && e.seq !== seq) find(seq, 'seq');
      if (e.kind === 'key' && e.key) {
        const k = await parseVkey(e.key.vkey);
        if (!k) {
          if (judged) find(seq, 'key');
        } else if (inForce[e.key.role]) {
          const list = inForce[e.key.role].get(k.keyId) || [];
          if (e.key.action === 'register') list.push(k);
          else if (e.key.action === 'revoke') list.splice(0, list.length, ...list.filter((x) => x.vkey !== k.vkey));
          inForce[e.key.role].set(k.keyId, list);
        }
      }
      if (judged && e.envelope) {
        const keys = new Map((e.envelope.signatures || []).map((x) => [x.keyid, (inForce.device.get(x.keyid) || [])[0] || null]));
        jobs.push(verifyEnvelope(e.envelope, (id) => keys.get(id) || null).then((signers) => {
          const p = envelopePayload(e.envelope);
          if (signers.some((x) => !x.ok)) find(seq, 'signature');
          else if (!p || signers[0].name !== `${p.actor}/${p.device}`) find(seq, 'signer');
        }));
      }
      if (judged) {
        for (const l of e.labels || (e.label ? [e.label] : [])) {
          const labelKeys = new Map([...inForce.label].map(([id, list]) => [id, list.at(-1) || null]));
          jobs.push(verifyLabelB64(l, (id) => labelKeys.get(id) || null).then((v) => {
            if (!v.ok) find(seq, 'label');
          }));
        }
      }
      const leafHex = hex(leaf);
      for (const [item, prev] of Object.entries(e.prev || {})) {
        if (judged && (prevOf.get(item) || '') !== prev) find(seq, 'prev');
        prevOf.set(item, leafHex);
      }
    }
    await Promise.all(jobs);
    postMessage({ type: 'progress', done: s + lines.length, total: last });
  }
  await building;
  for (const leaf of pending) await tree.push(leaf);
  const root = await tree.root();
  let rootOk;
  if (last === cp.size) {
    rootOk = equalBytes(root, cp.root);
  } else {
    try {
      const proof = await api.logConsistency(last, cp.size);
      rootOk = await verifyConsistency(last, cp.size, root, cp.root, proof.hashes.map(b64ToBytes));
    } catch {
      rootOk = false;
    }
  }
  if (!rootOk) find(null, 'root');
  const seconds = (performance.now() - t0) / 1000;
  return { ok: count === 0, findings, count, checked, hashed: last, seconds, root: hex(root), size: cp.size };
}

onmessage = async (ev) => {
  try {
    postMessage({ type: 'done', ...(await audit(ev.data)) });
  } catch (e) {
    postMessage({ type: 'error', message: String(e?.message || e) });
  }
};
