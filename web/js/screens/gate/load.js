// screens/gate/load.js: one load at the gate (#/gate/load/<manifest>): the manifest's items
// that arrived, scanned one by one, weighed item by item or as a whole load (the net reading
// split over the items in proportion to their expected masses, see common.js), with the
// difference from the expected mass in grams and percent and the tolerance's verdict shown
// as soon as a reading is typed, before anything is signed; then the receiver's decision for
// each item: accept, refuse (with the reason), or accept part and refuse the rest (the
// accepted and refused masses add up to the weighing). "Sign and confirm" signs a `weigh` for
// each item not weighed yet and a `receive` for each decided item, sent as one batch; "weigh
// only" signs the weighings and leaves the decisions for later. The refused part of a
// partial refusal is an item of its own with a new label (the receipt's `created`), shown
// here with its print button.

import * as api from '../../core/api.js';
import { t, register, formatInt, formatMass, formatTime, parseMass } from '../../core/i18n.js';
import { h, emptyState } from '../../core/dom.js';
import { ensureRefs } from '../../core/state.js';
import { notice } from '../../core/feedback.js';
import { onSubmit, FieldErrors } from '../../core/forms.js';
import { isGate, ownFacility } from '../../core/roles.js';
import { decisionName, stateName } from '../../core/names.js';
import {
  scanField, gateKey, noKeyHelp, deviceLine, signAndSend, refusalText, weighCheck, percentText, diffText,
  toleranceText, splitLoad, labelCard, cell, put,
} from './common.js';
import { itemLink } from '../../core/links.js';

register({
  zh: {
    'load.title': '过磅接收',
    'load.back': '返回到货列表',
    'load.head': '联单 {number}',
    'load.scanned_n': '已扫描 {n} / {total} 件',
    'load.mode': '过磅方式',
    'load.mode_item': '逐件过磅',
    'load.mode_load': '整车过磅（按应有重量分摊）',
    'load.total': '整车净重（千克）',
    'load.total_hint': '地磅读数扣除皮重后的净重，最多 3 位小数。按各件应有重量的比例分摊到勾选的物品，整克分配，余下的克数依次分给小数部分最大的物品，合计等于读数。',
    'load.tolerance': '允许误差 ±{pct}（与服务器的规则相同：超出即记录为重量差异）',
    'load.col_take': '选择',
    'load.col_item': '物品',
    'load.col_expected': '申报重量',
    'load.col_reading': '过磅重量（千克）',
    'load.col_diff': '差异',
    'load.col_decision': '接收决定',
    'load.expected_now': '应有 {mass}',
    'load.scanned': '已扫描',
    'load.weighed_at': '已过磅 {mass}',
    'load.on_the_way': '在途，尚未运抵',
    'load.reading_label': '{code} 的过磅重量（千克）',
    'load.share': '分摊 {mass}',
    'load.within': '在允差内',
    'load.discrepancy': '超出允差',
    'load.later': '稍后决定',
    'load.refused_kg': '拒收重量（千克）',
    'load.accepted_is': '接收 {mass}',
    'load.reason': '拒收原因',
    'load.check_none': '填写过磅重量后，这里显示与申报重量的差异。',
    'load.check_sum': '本次 {n} 件：过磅合计 {weighed}，应有 {expected}，差异 {diff}（{pct}）。',
    'load.check_ok': '全部在允许误差内。',
    'load.check_bad': '{n} 件超出允许误差 ±{pct}，确认后将记录为重量差异，并通知产生单位说明：',
    'load.confirm': '签名确认过磅和接收',
    'load.confirm_bad': '签名确认（含 {n} 件重量差异）',
    'load.weigh_only': '仅记录过磅',
    'load.nothing': '没有要签名的内容：请勾选物品并填写过磅重量。',
    'load.check.missing_reading': '请填写过磅重量。',
    'load.check.bad_reading': '过磅重量“{text}”无效：请输入大于 0 的千克数，最多 3 位小数。',
    'load.check.missing_total': '请填写整车净重。',
    'load.check.bad_total': '整车净重“{text}”无效：请输入大于 0 的千克数，最多 3 位小数。',
    'load.check.zero_share': '分摊到 {code} 的重量为 0，请逐件过磅。',
    'load.check.missing_reason': '请填写拒收原因。',
    'load.check.bad_refused': '拒收重量应大于 0 且小于过磅重量 {mass}。',
    'load.results': '签名结果',
    'load.summary': '已记入日志 {ok} 个事件，被拒绝 {refused} 个。',
    'load.r_weigh': '过磅 {mass}',
    'load.r_accept': '{decision} {mass}',
    'load.r_refuse': '{decision} {mass}（{reason}）',
    'load.r_receive': '{decision}：接收 {accepted}，拒收 {refused}（{reason}）',
    'load.parts': '拒收部分的新标签',
    'load.part_title': '拒收部分（新物品）',
    'load.part_of': '拒收自 {code}',
    'load.part_mass': '拒收重量 {mass}',
    'load.part_hint': '请打印此标签贴在拒收部分上。它仍由承运人持有，由产生单位开具新联单退回或转送。',
    'load.done': '本联单已没有待接收的物品。',
    'load.empty': '联单 {number} 没有运往本单位、待接收的物品。',
    'load.elsewhere': '{code} 属于另一张联单 {number}。',
    'load.not_on_load': '{code} 不在本联单中。',
    'load.scan_ok': '已扫描 {code}（{n} / {total}）',
  },
  en: {
    'load.title': 'Weigh and receive',
    'load.back': 'Back to arrivals',
    'load.head': 'Manifest {number}',
    'load.scanned_n': '{n} of {total} scanned',
    'load.mode': 'Weighing',
    'load.mode_item': 'Item by item',
    'load.mode_load': 'Whole load (split by expected mass)',
    'load.total': 'Net load reading (kg)',
    'load.total_hint': 'The weighbridge reading less the tare, up to 3 decimals. Split over the ticked items in proportion to their expected masses in whole grams; the grams left over go one each to the items with the largest fractions, so the shares add up to the reading.',
    'load.tolerance': 'Tolerance ±{pct} (the server’s rule: beyond it, a weight discrepancy is recorded)',
    'load.col_take': 'Take',
    'load.col_item': 'Item',
    'load.col_expected': 'Declared',
    'load.col_reading': 'Weighed (kg)',
    'load.col_diff': 'Difference',
    'load.col_decision': 'Decision',
    'load.expected_now': 'expected {mass}',
    'load.scanned': 'scanned',
    'load.weighed_at': 'weighed {mass}',
    'load.on_the_way': 'on the way, not arrived',
    'load.reading_label': 'Weighed mass of {code} (kg)',
    'load.share': 'share {mass}',
    'load.within': 'within tolerance',
    'load.discrepancy': 'beyond tolerance',
    'load.later': 'Decide later',
    'load.refused_kg': 'Refused (kg)',
    'load.accepted_is': 'accepting {mass}',
    'load.reason': 'Reason for refusal',
    'load.check_none': 'Once readings are typed, the difference from the declared masses shows here.',
    'load.check_sum': '{n} items: weighed {weighed} in all, expected {expected}, difference {diff} ({pct}).',
    'load.check_ok': 'All within tolerance.',
    'load.check_bad': '{n} beyond the tolerance of ±{pct}; confirming records a weight discrepancy, which the generator is asked to explain:',
    'load.confirm': 'Sign and confirm weighing and receipt',
    'load.confirm_bad': 'Sign and confirm ({n} weight discrepancies)',
    'load.weigh_only': 'Record the weighing only',
    'load.nothing': 'Nothing to sign: tick items and type their weighed masses.',
    'load.check.missing_reading': 'Type the weighed mass.',
    'load.check.bad_reading': 'Weighed mass “{text}” is not valid: type kilograms above 0 with at most 3 decimals.',
    'load.check.missing_total': 'Type the net load reading.',
    'load.check.bad_total': 'Net load reading “{text}” is not valid: type kilograms above 0 with at most 3 decimals.',
    'load.check.zero_share': 'The share of {code} is 0 g; weigh item by item.',
    'load.check.missing_reason': 'Type the reason for the refusal.',
    'load.check.bad_refused': 'The refused mass must be above 0 and below the weighed {mass}.',
    'load.results': 'Signed',
    'load.summary': '{ok} events logged, {refused} refused.',
    'load.r_weigh': 'weighed {mass}',
    'load.r_accept': '{decision} {mass}',
    'load.r_refuse': '{decision} {mass} ({reason})',
    'load.r_receive': '{decision}: accepted {accepted}, refused {refused} ({reason})',
    'load.parts': 'New labels of refused parts',
    'load.part_title': 'Refused part (a new item)',
    'load.part_of': 'refused of {code}',
    'load.part_mass': 'refused mass {mass}',
    'load.part_hint': 'Print this label and stick it on the refused part. The carrier keeps it; the generator opens a new manifest to take it back or send it on.',
    'load.done': 'Nothing on this manifest waits to be received any more.',
    'load.empty': 'Manifest {number} has nothing travelling to us or waiting at the gate.',
    'load.elsewhere': '{code} is on another manifest, {number}.',
    'load.not_on_load': '{code} is not on this manifest.',
    'load.scan_ok': 'Scanned {code} ({n} of {total})',
  },
});

const DECISIONS = ['accept', 'partial', 'refuse', 'later'];

/** A control in a table cell with its label for screen readers, in a `.field` for its error. */
function cellField(control, labelText) {
  return h('div', { class: 'field cell-field' }, h('label', { class: 'sr-only', for: control.id }, labelText), control);
}

/** The parts of the view that depend on the load's items; `state` is kept across re-renders. */
function loadForm(items, st, key) {
  const weighable = (it) => it.state === 'arrived';
  const rows = new Map();
  const form = h('form', { id: 'load-form', class: 'stack' });

  const mode = h('fieldset', { id: 'load-mode', class: 'mode' }, h('legend', {}, t('load.mode')),
    ['item', 'load'].map((m) => h('label', { class: 'check' },
      h('input', { type: 'radio', name: 'mode', value: m, id: `load-mode-${m}`, checked: st.mode === m }), ' ', t(`load.mode_${m}`))));
  const total = h('input', { id: 'load-total', name: 'total', inputmode: 'decimal', autocomplete: 'off', class: 'num-input' });
  const totalField = h('div', { class: 'field', id: 'load-total-field' },
    h('label', { for: 'load-total' }, t('load.total')), total, h('small', { class: 'hint' }, t('load.total_hint')));

  const row = (it) => {
    const canWeigh = weighable(it) && it.weighed_g == null;
    const take = h('input', {
      type: 'checkbox', id: `load-take-${it.code}`, name: `take-${it.code}`, checked: weighable(it) && st.take.get(it.code) !== false,
      disabled: !weighable(it), dataset: { take: it.code },
    });
    const reading = canWeigh && h('input', {
      id: `load-w-${it.code}`, name: `w-${it.code}`, inputmode: 'decimal', autocomplete: 'off', class: 'num-input', dataset: { weigh: it.code },
    });
    const share = h('span', { class: 'share num', dataset: { share: it.code } });
    const diff = h('span', { class: 'diff', dataset: { diff: it.code } });
    const decision = weighable(it) && h('select', { id: `load-d-${it.code}`, name: `d-${it.code}`, dataset: { decision: it.code } },
      DECISIONS.map((d) => h('option', { value: d }, d === 'later' ? t('load.later') : decisionName(d))));
    const refused = weighable(it) && h('input', { id: `load-r-${it.code}`, name: `r-${it.code}`, inputmode: 'decimal', autocomplete: 'off', class: 'num-input' });
    const accepted = h('span', { class: 'small muted', dataset: { accepted: it.code } });
    const reason = weighable(it) && h('input', { id: `load-reason-${it.code}`, name: `reason-${it.code}`, autocomplete: 'off', maxlength: 500 });
    const partBox = weighable(it) && h('div', { class: 'partial-fields', hidden: true },
      h('div', { class: 'field cell-field' }, h('label', { for: refused.id }, t('load.refused_kg')), refused, accepted));
    const reasonBox = weighable(it) && h('div', { class: 'reason-field', hidden: true },
      h('div', { class: 'field cell-field' }, h('label', { for: reason.id }, t('load.reason')), reason));
    const tr = h('tr', { dataset: { code: it.code, state: it.state, weighed: it.weighed_g == null ? 'no' : 'yes', scanned: st.scanned.has(it.code) ? 'yes' : 'no' } },
      cell(t('load.col_take'), take),
      cell(t('load.col_item'),
        itemLink(it.code), ' ',
        h('span', { class: 'badge ok scanned-badge', dataset: { scannedBadge: it.code } }, t('load.scanned')),
        h('div', { class: 'small waste-desc', title: it.waste_name }, h('span', { class: 'mono' }, it.waste_code), ' ', it.waste_name),
        !weighable(it) && h('div', { class: 'small muted' }, stateName(it.state), ' · ', t('load.on_the_way'))),
      cell(t('load.col_expected'),
        h('span', { class: 'num' }, formatMass(it.declared_g)),
        it.mass_g !== it.declared_g && it.weighed_g == null && h('div', { class: 'small muted' }, t('load.expected_now', { mass: formatMass(it.mass_g) }))),
      cell(t('load.col_reading'),
        it.weighed_g != null ? h('span', { class: 'num' }, t('load.weighed_at', { mass: formatMass(it.weighed_g) }))
          : canWeigh ? [cellField(reading, t('load.reading_label', { code: it.code })), share] : t('common.none')),
      cell(t('load.col_diff'), diff),
      cell(t('load.col_decision'), weighable(it) ? [cellField(decision, t('load.col_decision')), partBox, reasonBox] : t('common.none')));
    rows.set(it.code, { it, tr, take, reading, share, diff, decision, refused, accepted, reason, partBox, reasonBox });
    return tr;
  };

  const table = h('div', { class: 'table-wrap' }, h('table', { id: 'load-items', class: 'load-table' },
    h('thead', {}, h('tr', {}, ['load.col_take', 'load.col_item', 'load.col_expected', 'load.col_reading', 'load.col_diff', 'load.col_decision']
      .map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', {}, items.map(row))));
  const check = h('div', { id: 'load-check', class: 'load-check', role: 'status', 'aria-live': 'polite' });
  const confirm = h('button', { type: 'submit', id: 'load-confirm', class: 'primary', value: 'confirm' }, t('load.confirm'));
  const weighOnly = h('button', { type: 'submit', id: 'load-weigh-only', value: 'weigh' }, t('load.weigh_only'));
  form.append(
    h('div', { class: 'load-controls' }, mode, totalField),
    h('p', { class: 'hint', id: 'load-tolerance' }, t('load.tolerance', { pct: toleranceText() })),
    table, check,
    key ? h('p', { class: 'actions' }, confirm, weighOnly) : null);

  /** Each row's reading now (grams or null) and, in load mode, its share. */
  const readings = () => {
    const out = new Map();
    const m = form.elements.mode.value;
    const taken = [...rows.values()].filter((r) => r.take.checked && !r.take.disabled);
    if (m === 'load') {
      const pending = taken.filter((r) => r.it.weighed_g == null);
      const g = parseMass(total.value, 'kg');
      const shares = g ? splitLoad(g, pending.map((r) => r.it.mass_g)) : [];
      pending.forEach((r, i) => out.set(r.it.code, g ? shares[i] : null));
    } else {
      for (const r of taken) if (r.reading) out.set(r.it.code, parseMass(r.reading.value, 'kg'));
    }
    for (const r of taken) if (r.it.weighed_g != null) out.set(r.it.code, r.it.weighed_g);
    return out;
  };

  const update = () => {
    const m = form.elements.mode.value;
    st.mode = m;
    totalField.hidden = m !== 'load';
    const now = readings();
    let n = 0;
    let sumW = 0;
    let sumE = 0;
    const bad = [];
    for (const r of rows.values()) {
      const { it, tr } = r;
      st.take.set(it.code, r.take.checked);
      tr.dataset.scanned = st.scanned.has(it.code) ? 'yes' : 'no';
      if (r.reading) r.reading.closest('.field').hidden = m === 'load';
      r.share.hidden = m !== 'load' || it.weighed_g != null;
      const g = now.get(it.code) ?? null;
      r.share.textContent = m === 'load' && g != null && it.weighed_g == null ? t('load.share', { mass: formatMass(g) }) : '';
      const expected = it.weighed_g == null ? it.mass_g : it.declared_g;
      if (g == null || !r.take.checked) {
        put(r.diff, t('common.none'));
        r.diff.dataset.check = 'none';
        tr.dataset.discrepancy = 'no';
      } else {
        const c = weighCheck(expected, g);
        put(r.diff,
          h('span', { class: 'num' }, `${diffText(c.diff)}（${percentText(c.tenths)}）`), ' ',
          h('span', { class: `badge ${c.within ? 'ok' : 'bad'}` }, t(c.within ? 'load.within' : 'load.discrepancy')));
        r.diff.dataset.check = c.within ? 'ok' : 'discrepancy';
        r.diff.dataset.diffG = String(c.diff);
        r.diff.dataset.tenths = String(c.tenths);
        tr.dataset.discrepancy = c.within || it.weighed_g != null ? 'no' : 'yes';
        if (it.weighed_g == null) {
          n += 1;
          sumW += g;
          sumE += expected;
          if (!c.within) bad.push({ it, c });
        }
      }
      if (r.decision) {
        const d = r.decision.value;
        r.partBox.hidden = d !== 'partial';
        r.reasonBox.hidden = d !== 'partial' && d !== 'refuse';
        const refusedG = parseMass(r.refused.value, 'kg');
        r.accepted.textContent = d === 'partial' && g != null && refusedG != null && refusedG < g
          ? t('load.accepted_is', { mass: formatMass(g - refusedG) }) : '';
      }
    }
    const sums = n ? weighCheck(sumE, sumW) : null;
    check.dataset.discrepancies = String(bad.length);
    check.dataset.weighed = String(sumW);
    check.className = `load-check ${bad.length ? 'bad' : n ? 'good' : ''}`;
    put(check, ...(n === 0 ? [h('p', { class: 'muted' }, t('load.check_none'))] : [
      h('p', {}, t('load.check_sum', { n, weighed: formatMass(sumW), expected: formatMass(sumE), diff: diffText(sumW - sumE), pct: percentText(sums.tenths) })),
      bad.length
        ? [h('p', { class: 'bad-text' }, h('strong', {}, t('load.check_bad', { n: bad.length, pct: toleranceText() }))),
          h('ul', { id: 'load-discrepancies' }, bad.map(({ it, c }) => h('li', { dataset: { code: it.code } },
            h('span', { class: 'mono item-code' }, it.code), ' ', `${formatMass(it.mass_g)} → ${formatMass(it.mass_g + c.diff)}`, ' ',
            h('strong', {}, `${diffText(c.diff)}（${percentText(c.tenths)}）`))))]
        : h('p', { class: 'good-text' }, t('load.check_ok')),
    ].flat()));
    confirm.textContent = bad.length ? t('load.confirm_bad', { n: bad.length }) : t('load.confirm');
  };
  form.addEventListener('input', update);
  form.addEventListener('change', update);
  form.addEventListener('hw:restored', update);

  /** The events of this form, item by item (a weigh, then a receive), or FieldErrors. */
  const collect = (decide) => {
    const problems = [];
    const add = (name, code, text) => problems.push({ name, code, text });
    const m = form.elements.mode.value;
    const now = readings();
    if (m === 'load' && [...rows.values()].some((r) => r.take.checked && !r.take.disabled && r.it.weighed_g == null)) {
      const g = parseMass(total.value, 'kg');
      if (!total.value.trim()) add('total', 'missing_total', t('load.check.missing_total'));
      else if (!g) add('total', 'bad_total', t('load.check.bad_total', { text: total.value.trim() }));
    }
    const events = [];
    for (const r of rows.values()) {
      if (!r.take.checked || r.take.disabled) continue;
      const { it } = r;
      const g = now.get(it.code) ?? null;
      if (it.weighed_g == null) {
        if (m === 'item') {
          const text = r.reading.value.trim();
          if (!text) { add(r.reading.name, 'missing_reading', t('load.check.missing_reading')); continue; }
          if (!g) { add(r.reading.name, 'bad_reading', t('load.check.bad_reading', { text })); continue; }
        } else if (g === 0) {
          add('total', 'zero_share', t('load.check.zero_share', { code: it.code }));
          continue;
        } else if (g == null) {
          continue;
        }
      }
      const mine = [];
      if (it.weighed_g == null) mine.push({ type: 'weigh', item: it.code, weighed_mass_g: g });
      const d = decide ? r.decision.value : 'later';
      const reason = r.reason.value.trim();
      if ((d === 'refuse' || d === 'partial') && !reason) add(r.reason.name, 'missing_reason', t('load.check.missing_reason'));
      if (d === 'accept') mine.push({ type: 'receive', item: it.code, decision: 'accept', accepted_mass_g: g, refused_mass_g: 0 });
      if (d === 'refuse' && reason) mine.push({ type: 'receive', item: it.code, decision: 'refuse', accepted_mass_g: 0, refused_mass_g: g, reason });
      if (d === 'partial') {
        const refusedG = parseMass(r.refused.value, 'kg');
        if (!refusedG || refusedG >= g) add(r.refused.name, 'bad_refused', t('load.check.bad_refused', { mass: formatMass(g) }));
        else if (reason) mine.push({ type: 'receive', item: it.code, decision: 'partial', accepted_mass_g: g - refusedG, refused_mass_g: refusedG, reason });
      }
      events.push(...mine);
    }
    if (problems.length) throw new FieldErrors(problems);
    return events;
  };

  update();
  return { form, collect, update, rows };
}

function resultsPanel(st) {
  const { outcome, run } = st.results;
  const ok = outcome.filter((o) => o.result.ok).length;
  const parts = outcome.filter((o) => o.result.ok && o.event.type === 'receive' && o.event.decision === 'partial' && o.result.receipt?.created?.length);
  const line = (o) => {
    const e = o.event;
    const what = e.type === 'weigh' ? t('load.r_weigh', { mass: formatMass(e.weighed_mass_g) })
      : e.decision === 'accept' ? t('load.r_accept', { decision: decisionName(e.decision), mass: formatMass(e.accepted_mass_g) })
        : e.decision === 'refuse' ? t('load.r_refuse', { decision: decisionName(e.decision), mass: formatMass(e.refused_mass_g), reason: e.reason })
          : t('load.r_receive', { decision: decisionName(e.decision), accepted: formatMass(e.accepted_mass_g), refused: formatMass(e.refused_mass_g), reason: e.reason });
    return h('li', { class: o.result.ok ? '' : 'refused', dataset: { code: e.item, type: e.type, outcome: o.result.ok ? 'ok' : 'refused', index: o.result.receipt?.index ?? '' } },
      itemLink(e.item), ' ', what, ' · ',
      o.result.ok ? h('a', { class: 'muted', href: api.entryUrl(o.result.receipt.index), target: '_blank', rel: 'noopener' }, t('gate.logged', { index: formatInt(o.result.receipt.index) }))
        : h('span', { class: 'error-message', dataset: { error: o.result.error?.error || '' } }, refusalText(o.result)));
  };
  return h('section', { id: 'load-results', class: 'panel', dataset: { run: String(run), ok: String(ok), refused: String(outcome.length - ok) } },
    h('h2', {}, t('load.results')),
    h('p', {}, t('load.summary', { ok, refused: outcome.length - ok })),
    h('ul', { class: 'result-lines' }, outcome.map(line)),
    parts.length > 0 && h('div', { id: 'load-parts' },
      h('h3', {}, t('load.parts')),
      h('p', { class: 'hint' }, t('load.part_hint')),
      parts.map((o) => {
        const part = o.result.receipt.created[0].item_code;
        return labelCard(part, {
          id: `load-part-${part}`, title: t('load.part_title'),
          lines: [t('load.part_of', { code: o.event.item }), t('load.part_mass', { mass: formatMass(o.event.refused_mass_g) })],
        });
      })));
}

async function loadView(ctx) {
  await ensureRefs(ctx.signal);
  const uscc = ownFacility();
  if (!uscc) return h('p', { id: 'gate-not-gate', class: 'muted' }, t('gate.not_gate'));
  const { manifest: number } = ctx.args;
  const [first, key] = await Promise.all([api.arrivals(uscc, ctx.signal), gateKey(uscc, ctx.signal)]);
  const st = ctx.memo;
  st.scanned ??= new Set(ctx.query.get('scan') ? [ctx.query.get('scan')] : []);
  st.take ??= new Map();
  st.mode ??= 'item';
  st.runs ??= 0;

  const head = h('div', { id: 'load-head' });
  const body = h('div', { id: 'load-body' });
  const results = h('div', { id: 'load-results-box' });
  let all = first.items;
  let view = null;

  const drawHead = () => {
    const items = all.filter((it) => it.manifest === number);
    const arrived = items.filter((it) => it.state === 'arrived');
    const g = items[0];
    put(head, 
      h('p', {}, h('a', { id: 'load-back', href: '#/gate' }, `← ${t('load.back')}`)),
      g ? h('div', { class: 'manifest-head' },
        h('div', {},
          h('h2', {}, h('span', { class: 'mono' }, t('load.head', { number })), ' ', g.vehicle_plate && h('span', { class: 'plate' }, g.vehicle_plate)),
          h('p', { class: 'small muted' }, t('gate.from_to', { issuer: g.issuer_name, carrier: g.carrier_name }),
            ' · ', t('gate.n_arrived', { n: arrived.length }),
            arrived[0]?.receipt_due ? [' · ', h('span', { class: items.some((i) => i.receipt_overdue) ? 'overdue' : '' },
              t('gate.due', { date: arrived.map((i) => i.receipt_due).filter(Boolean).sort()[0] }),
              items.some((i) => i.receipt_overdue) ? ` · ${t('gate.overdue')}` : '')] : null,
            ' · ', h('span', { id: 'load-scanned', dataset: { n: String(arrived.filter((i) => st.scanned.has(i.code)).length) } },
              t('load.scanned_n', { n: arrived.filter((i) => st.scanned.has(i.code)).length, total: arrived.length }))))) : null);
  };

  const draw = () => {
    drawHead();
    const items = all.filter((it) => it.manifest === number);
    if (!items.length) {
      view = null;
      put(body, st.results
        ? h('p', { id: 'load-done', class: 'panel good-text' }, t('load.done'))
        : emptyState('load-empty', t('load.empty', { number })));
      return;
    }
    view = loadForm(items, st, key);
    onSubmit(view.form, async () => {
      const decide = view.form.dataset.submitter !== 'weigh';
      delete view.form.dataset.submitter;
      const events = view.collect(decide);
      if (!events.length) {
        notice(t('load.nothing'));
        return false;
      }
      notice(t('gate.signing', { n: events.length }));
      const answer = await signAndSend(key, uscc, events);
      notice('');
      st.runs += 1;
      st.results = { run: st.runs, outcome: events.map((event, i) => ({ event, result: answer[i] || { ok: false, error: { error: 'no_answer' } } })) };
      put(results, resultsPanel(st));
      all = (await api.arrivals(uscc, ctx.signal)).items;
      draw();
      results.scrollIntoView({ block: 'start' });
      return true;
    });
    // Which button sent the form (Enter in a field confirms).
    view.form.addEventListener('click', (ev) => {
      const b = ev.target.closest('button[type=submit]');
      if (b) view.form.dataset.submitter = b.value;
    });
    put(body, view.form);
  };

  const scan = scanField(ctx, {
    id: 'load-scan',
    async onScan({ code }) {
      const arrived = all.filter((it) => it.manifest === number && it.state === 'arrived');
      const mine = all.find((it) => it.code === code);
      if (mine && mine.manifest === number) {
        st.scanned.add(code);
        drawHead();
        view?.update();
        return t('load.scan_ok', { code, n: arrived.filter((i) => st.scanned.has(i.code)).length, total: arrived.length });
      }
      if (mine) return h('span', {}, t('load.elsewhere', { code, number: mine.manifest }), ' ', h('a', { href: `#/gate/load/${mine.manifest}?scan=${encodeURIComponent(code)}` }, t('gate.open_load')));
      return t('load.not_on_load', { code });
    },
  });

  draw();
  if (st.results) put(results, resultsPanel(st));
  return h('div', { id: 'gate-load-view' },
    head,
    key ? deviceLine(key) : noKeyHelp(uscc),
    h('section', { class: 'panel scan-panel' }, scan.form),
    results,
    body,
    h('p', { class: 'muted small' }, t('gate.as_of', { time: formatTime(first.as_of) })));
}

export const routes = [
  { name: 'gate-load', pattern: '/gate/load/:manifest(\\d{14})', view: loadView, title: 'load.title', auth: true, allow: isGate },
];
