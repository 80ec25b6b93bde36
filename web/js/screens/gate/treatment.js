// screens/gate/treatment.js: treatment and residues (#/gate/treatment). The items in the
// facility's store (received, or its own stored waste and residues; GET .../ledger) are
// picked by scanning or ticking; each is treated by a method its operating licence lists
// (only the methods of the permits valid today whose scope covers every picked item's code
// are offered), with the quantity treated (its mass by default) and, for a landfill, the
// volume it takes (m³, to the litre). Then the residues of the treatment (fly ash and bottom
// ash 772-003-18 from incineration, sludge 772-006-49 from the physico-chemical line, ...) are
// registered as new items naming the treated items as their `inputs`, each with its label to
// print. The treated items offered as inputs: those treated today by this facility (the
// newest 200 treated items it holds, of which those whose state changed today, China time),
// those treated on this page, and any treated item of ours scanned here.

import * as api from '../../core/api.js';
import { t, register, formatMass, formatTime, parseMass, todayCst, formatInt } from '../../core/i18n.js';
import { h, field, options } from '../../core/dom.js';
import { state, ensureRefs } from '../../core/state.js';
import { notice } from '../../core/feedback.js';
import { onSubmit, FieldErrors, fieldLabel } from '../../core/forms.js';
import { isGate, ownFacility } from '../../core/roles.js';
import { hazardName, methodName, stateName } from '../../core/names.js';
import { normalizeWasteCode, shortWasteName } from '../../core/waste.js';
import {
  scanField, gateKey, noKeyHelp, deviceLine, signAndSend, refusalText, labelCard, kgText, cell, put,
} from './common.js';
import { itemLink } from '../../core/links.js';

register({
  zh: {
    'nav.gate_treatment': '处置记录',
    'nav.gate_treatment_short': '处置',
    'treat.title': '处置与残渣',
    'treat.store': '待处置物品（本单位贮存）',
    'treat.store_n': '共 {n} 件，{mass}',
    'treat.store_empty': '本单位贮存中没有物品。',
    'treat.col_pick': '选择',
    'treat.col_item': '物品',
    'treat.col_mass': '重量',
    'treat.col_since': '入库时间',
    'treat.col_age': '贮存天数',
    'treat.days': '{n} 天',
    'treat.over_age': '超期',
    'treat.form': '记录处置',
    'treat.picked_none': '请在上表勾选或扫描要处置的物品。',
    'treat.method': '处置方式',
    'treat.method_hint': '只列出本单位今日有效的经营许可证核准的处置方式；不能覆盖所选全部物品的方式不可选。',
    'treat.no_method': '本单位没有今日有效、核准处置方式的经营许可证，不能记录处置。',
    'treat.permits': '许可证：{list}',
    'treat.qty': '处置量（千克）',
    'treat.volume': '填埋体积（立方米）',
    'treat.volume_hint': '最多 3 位小数（精确到升）。',
    'treat.submit': '签名记录处置',
    'treat.results': '处置结果',
    'treat.r_line': '{method} {mass}',
    'treat.check.missing_qty': '请填写处置量。',
    'treat.check.bad_qty': '处置量“{text}”无效：请输入大于 0 的千克数，最多 3 位小数。',
    'treat.check.missing_volume': '填埋须填写体积。',
    'treat.check.bad_volume': '体积“{text}”无效：请输入大于 0 的立方米数，最多 3 位小数。',
    'treat.check.no_method': '请选择处置方式。',
    'treat.residue': '产生残渣',
    'treat.residue_lead': '登记处置产生的残渣（如焚烧飞灰、底渣），作为新物品并打印标签；勾选它来自的已处置物品。',
    'treat.inputs': '来源物品（今日已处置）',
    'treat.inputs_none': '今天还没有已处置的物品。处置后，或扫描已处置物品的标签，即可在此选择。',
    'treat.residue_code': '残渣废物代码',
    'treat.residue_code_hint': '如 772-003-18（焚烧飞灰、底渣）、772-006-49（物化处理污泥）。',
    'treat.residue_mass': '重量（千克）',
    'treat.residue_form': '物理形态',
    'treat.residue_hazards': '危险特性',
    'treat.residue_packaging': '包装方式',
    'treat.residue_volume': '容器容积（升）',
    'treat.residue_components': '主要成分',
    'treat.residue_storage': '贮存地点',
    'treat.residue_name': '废物名称',
    'treat.residue_submit': '签名登记残渣',
    'treat.residue_done': '残渣已登记',
    'treat.residue_label': '残渣新标签',
    'treat.residue_of': '来自 {n} 件已处置物品',
    'treat.check.no_inputs': '请勾选至少一件来源物品。',
    'treat.check.missing': '请填写“{field}”。',
    'treat.check.bad_mass': '重量“{text}”无效：请输入大于 0 的千克数，最多 3 位小数。',
    'treat.check.no_hazard': '请至少勾选一种危险特性。',
    'treat.default_packaging': '吨袋',
    'treat.default_storage': '残渣暂存库',
    'treat.scan_picked': '已选择 {code} 待处置。',
    'treat.scan_input': '{code} 已处置，已加入残渣来源。',
    'treat.scan_other': '{code} 不在本单位贮存中（当前状态：{state}）。',
    'treat.scan_unknown': '{code} 不是本单位的物品。',
    'treat.choose': '请选择',
  },
  en: {
    'nav.gate_treatment': 'Treatment',
    'nav.gate_treatment_short': 'Treat',
    'treat.title': 'Treatment and residues',
    'treat.store': 'In our store, to treat',
    'treat.store_n': '{n} items, {mass}',
    'treat.store_empty': 'Nothing is in our store.',
    'treat.col_pick': 'Pick',
    'treat.col_item': 'Item',
    'treat.col_mass': 'Mass',
    'treat.col_since': 'In store since',
    'treat.col_age': 'Days in store',
    'treat.days': '{n} days',
    'treat.over_age': 'over age',
    'treat.form': 'Record treatment',
    'treat.picked_none': 'Tick or scan the items to treat in the table above.',
    'treat.method': 'Method',
    'treat.method_hint': 'Only the methods of our operating licences valid today; a method that does not cover every picked item cannot be chosen.',
    'treat.no_method': 'We hold no operating licence valid today that lists a treatment method: treatment cannot be recorded.',
    'treat.permits': 'Permits: {list}',
    'treat.qty': 'Quantity treated (kg)',
    'treat.volume': 'Landfill volume (m³)',
    'treat.volume_hint': 'Up to 3 decimals (to the litre).',
    'treat.submit': 'Sign and record the treatment',
    'treat.results': 'Treatment recorded',
    'treat.r_line': '{method} {mass}',
    'treat.check.missing_qty': 'Type the quantity treated.',
    'treat.check.bad_qty': 'Quantity “{text}” is not valid: type kilograms above 0 with at most 3 decimals.',
    'treat.check.missing_volume': 'A landfill needs the volume.',
    'treat.check.bad_volume': 'Volume “{text}” is not valid: type cubic metres above 0 with at most 3 decimals.',
    'treat.check.no_method': 'Choose the method.',
    'treat.residue': 'Residues',
    'treat.residue_lead': 'Register what the treatment left (fly ash, bottom ash...) as a new item with its label; tick the treated items it came from.',
    'treat.inputs': 'From (treated today)',
    'treat.inputs_none': 'Nothing was treated today yet. Once items are treated, or a treated item’s label is scanned, they can be chosen here.',
    'treat.residue_code': 'Residue waste code',
    'treat.residue_code_hint': 'e.g. 772-003-18 (fly ash, bottom ash), 772-006-49 (physico-chemical sludge).',
    'treat.residue_mass': 'Mass (kg)',
    'treat.residue_form': 'Physical form',
    'treat.residue_hazards': 'Hazards',
    'treat.residue_packaging': 'Packaging',
    'treat.residue_volume': 'Container volume (L)',
    'treat.residue_components': 'Main components',
    'treat.residue_storage': 'Storage place',
    'treat.residue_name': 'Waste name',
    'treat.residue_submit': 'Sign and register the residue',
    'treat.residue_done': 'Residue registered',
    'treat.residue_label': 'The residue’s new label',
    'treat.residue_of': 'from {n} treated items',
    'treat.check.no_inputs': 'Tick at least one item it came from.',
    'treat.check.missing': 'Fill in “{field}”.',
    'treat.check.bad_mass': 'Mass “{text}” is not valid: type kilograms above 0 with at most 3 decimals.',
    'treat.check.no_hazard': 'Tick at least one hazard.',
    'treat.default_packaging': '吨袋',
    'treat.default_storage': '残渣暂存库',
    'treat.scan_picked': 'Picked {code} to treat.',
    'treat.scan_input': '{code} is treated; added to the residue’s inputs.',
    'treat.scan_other': '{code} is not in our store (its state: {state}).',
    'treat.scan_unknown': '{code} is not one of ours.',
    'treat.choose': 'Choose…',
  },
});

const HAZARD_LETTERS = ['T', 'C', 'I', 'R', 'In'];
/** Residue codes offered, and the one suggested after each method. */
const RESIDUE_CODES = ['772-003-18', '772-005-18', '772-006-49', '772-004-18'];
const RESIDUE_AFTER = { incineration: '772-003-18', physico_chemical: '772-006-49', stabilisation: '772-006-49' };

/** The CST day of an RFC 3339 time. */
const cstDay = (iso) => formatTime(iso).slice(0, 10);

/** Does permit `p` cover waste code `code` (the code itself, or its category HWnn)? */
const covers = (p, code) => p.waste_codes.includes(code) || p.waste_codes.includes(`HW${code.slice(-2)}`);
/** The treatment methods a permit licenses: its capacities' methods, and landfill with a volume. */
const methodsOf = (p) => [...p.capacities.map((c) => c.method), ...(p.landfill_volume_m3 ? ['landfill'] : [])];

/** Operating licences valid today, and the methods they license for a set of codes. */
function licences(permits) {
  const today = todayCst();
  const valid = permits.filter((p) => p.kind === 'operating' && p.valid_from <= today && today <= p.valid_until && methodsOf(p).length);
  const all = [...new Set(valid.flatMap(methodsOf))];
  const order = (state.refs?.treatment_methods || []).map((m) => m.code);
  all.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return {
    valid,
    all,
    for: (codes) => new Set(valid.filter((p) => codes.every((c) => covers(p, c))).flatMap(methodsOf)),
  };
}

async function loadData(uscc, signal) {
  const [ledger, permits, treated] = await Promise.all([
    api.ledger(uscc, signal),
    api.listOf(uscc, 'permits', signal),
    api.items({ state: 'treated', limit: 200 }, signal),
  ]);
  const inStore = ledger.states
    .filter((g) => g.state === 'received' || g.state === 'stored')
    .flatMap((g) => g.items)
    .filter((it) => it.holder === uscc);
  const today = todayCst();
  const treatedToday = treated.items.filter((it) => it.holder === uscc && it.custody?.state_since && cstDay(it.custody.state_since) === today);
  return { inStore, permits: permits.permits, treatedToday };
}

function storeTable(items, picked) {
  const rows = items.map((it) => h('tr', { dataset: { code: it.code, picked: picked.has(it.code) ? 'yes' : 'no' } },
    cell(t('treat.col_pick'),
      h('input', { type: 'checkbox', id: `treat-pick-${it.code}`, dataset: { pick: it.code }, checked: picked.has(it.code), 'aria-label': it.code })),
    cell(t('treat.col_item'),
      h('label', { for: `treat-pick-${it.code}` }, h('span', { class: 'mono item-code' }, it.code)),
      h('div', { class: 'small waste-desc', title: it.waste_name }, h('span', { class: 'mono' }, it.waste_code), ' ', it.waste_name)),
    cell(t('treat.col_mass'), h('span', { class: 'num' }, formatMass(it.mass_g))),
    cell(t('treat.col_since'), h('time', { datetime: it.since }, formatTime(it.since))),
    cell(t('treat.col_age'),
      it.storage_age_days == null ? t('common.none') : t('treat.days', { n: formatInt(it.storage_age_days) }),
      it.over_age ? [' ', h('span', { class: 'badge bad' }, t('treat.over_age'))] : null)));
  return h('div', { class: 'table-wrap store-wrap' }, h('table', { id: 'treat-items' },
    h('thead', {}, h('tr', {}, ['treat.col_pick', 'treat.col_item', 'treat.col_mass', 'treat.col_since', 'treat.col_age'].map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', {}, rows.length ? rows : h('tr', { class: 'empty' }, h('td', { colspan: 5 }, t('treat.store_empty'))))));
}

/** The treatment form for the picked items; answers {form, refresh()}. */
function treatForm(ctx, data, st, lic, key, uscc, reload) {
  const form = h('form', { id: 'treat-form', class: 'stack' });
  const method = h('select', { id: 'treat-method', name: 'method' });
  const lines = h('div', { id: 'treat-selected', class: 'treat-lines' });
  const refresh = () => {
    const picked = data.inStore.filter((it) => st.picked.has(it.code));
    const allowed = lic.for(picked.map((it) => it.waste_code));
    const was = method.value || st.method || '';
    put(method, h('option', { value: '' }, t('treat.choose')),
      lic.all.map((m) => h('option', { value: m, disabled: picked.length > 0 && !allowed.has(m) }, methodName(m))));
    method.value = was && (!picked.length || allowed.has(was)) ? was : '';
    const landfill = method.value === 'landfill';
    const keep = new Map([...lines.querySelectorAll('input')].map((i) => [i.id, i.value]));
    put(lines, ...(picked.length ? picked.map((it) => {
      const qty = h('input', { id: `treat-q-${it.code}`, name: `q-${it.code}`, inputmode: 'decimal', autocomplete: 'off', class: 'num-input', value: keep.get(`treat-q-${it.code}`) ?? kgText(it.mass_g) });
      const vol = h('input', { id: `treat-v-${it.code}`, name: `v-${it.code}`, inputmode: 'decimal', autocomplete: 'off', class: 'num-input', value: keep.get(`treat-v-${it.code}`) ?? '' });
      return h('div', { class: 'treat-line', dataset: { code: it.code } },
        h('div', { class: 'treat-line-item' }, h('span', { class: 'mono item-code' }, it.code),
          h('span', { class: 'small waste-desc', title: it.waste_name }, `${it.waste_code} · ${formatMass(it.mass_g)} · ${it.waste_name}`)),
        h('div', { class: 'field' }, h('label', { for: qty.id }, t('treat.qty')), qty),
        landfill && h('div', { class: 'field' }, h('label', { for: vol.id }, t('treat.volume')), vol, h('small', { class: 'hint' }, t('treat.volume_hint'))));
    }) : [h('p', { class: 'muted', id: 'treat-none' }, t('treat.picked_none'))]));
    form.dataset.picked = String(picked.length);
  };
  method.addEventListener('change', () => { st.method = method.value; refresh(); });
  form.append(
    h('div', { class: 'field' }, h('label', { for: 'treat-method' }, t('treat.method')), method,
      h('small', { class: 'hint' }, t('treat.method_hint'), ' ', t('treat.permits', { list: lic.valid.map((p) => p.number).join('、') }))),
    lines,
    key && h('p', { class: 'actions' }, h('button', { type: 'submit', id: 'treat-submit', class: 'primary' }, t('treat.submit'))));
  refresh();

  onSubmit(form, async () => {
    const picked = data.inStore.filter((it) => st.picked.has(it.code));
    const problems = [];
    const add = (name, code, text) => problems.push({ name, code, text });
    if (!method.value) add('method', 'no_method', t('treat.check.no_method'));
    const events = [];
    for (const it of picked) {
      const q = form.elements[`q-${it.code}`].value.trim();
      const g = parseMass(q, 'kg');
      if (!q) add(`q-${it.code}`, 'missing_qty', t('treat.check.missing_qty'));
      else if (!g) add(`q-${it.code}`, 'bad_qty', t('treat.check.bad_qty', { text: q }));
      const e = { type: 'treat', item: it.code, method: method.value, treated_mass_g: g };
      if (method.value === 'landfill') {
        const v = form.elements[`v-${it.code}`].value.trim();
        const litres = parseMass(v, 'kg');
        if (!v) add(`v-${it.code}`, 'missing_volume', t('treat.check.missing_volume'));
        else if (!litres) add(`v-${it.code}`, 'bad_volume', t('treat.check.bad_volume', { text: v }));
        e.volume_l = litres;
      }
      events.push(e);
    }
    if (problems.length) throw new FieldErrors(problems);
    if (!events.length) {
      notice(t('treat.picked_none'));
      return false;
    }
    notice(t('gate.signing', { n: events.length }));
    const answer = await signAndSend(key, uscc, events);
    notice('');
    st.runs += 1;
    st.treatResults = { run: st.runs, outcome: events.map((event, i) => ({ event, result: answer[i] || { ok: false, error: { error: 'no_answer' } } })) };
    for (const o of st.treatResults.outcome) {
      if (!o.result.ok) continue;
      st.picked.delete(o.event.item);
      st.inputs.add(o.event.item);
      const it = data.inStore.find((x) => x.code === o.event.item);
      if (it) st.treatedHere.set(it.code, { ...it, method: o.event.method });
    }
    const ok = st.treatResults.outcome.find((o) => o.result.ok);
    if (ok) st.lastMethod = ok.event.method;
    await reload();
    return true;
  });
  return { form, refresh };
}

function treatResults(st) {
  const { outcome, run } = st.treatResults;
  return h('div', { id: 'treat-results', class: 'panel', dataset: { run: String(run), ok: String(outcome.filter((o) => o.result.ok).length) } },
    h('h3', {}, t('treat.results')),
    h('ul', { class: 'result-lines' }, outcome.map((o) => h('li', {
      class: o.result.ok ? '' : 'refused',
      dataset: { code: o.event.item, outcome: o.result.ok ? 'ok' : 'refused', index: o.result.receipt?.index ?? '' },
    },
    itemLink(o.event.item), ' ', t('treat.r_line', { method: methodName(o.event.method), mass: formatMass(o.event.treated_mass_g) }), ' · ',
    o.result.ok ? h('a', { class: 'muted', href: api.entryUrl(o.result.receipt.index), target: '_blank', rel: 'noopener' }, t('gate.logged', { index: formatInt(o.result.receipt.index) }))
      : h('span', { class: 'error-message', dataset: { error: o.result.error?.error || '' } }, refusalText(o.result))))));
}

/** The residue form: inputs (treated items), waste code with catalogue defaults, mass and the label's details. */
function residueForm(ctx, candidates, st, key, uscc, reload) {
  const optional = (k) => t(k) + t('common.optional');
  const inputs = h('fieldset', { id: 'residue-inputs' }, h('legend', {}, t('treat.inputs')),
    candidates.length ? candidates.map((it) => h('label', { class: 'check input-choice' },
      h('input', { type: 'checkbox', name: 'inputs', value: it.code, id: `residue-in-${it.code}`, checked: st.inputs.has(it.code), dataset: { input: it.code } }),
      h('span', { class: 'mono item-code' }, it.code), ' ',
      h('span', { class: 'small muted' }, [it.waste_code, it.method ? methodName(it.method) : null, formatMass(it.mass_g)].filter(Boolean).join(' · '))))
      : h('p', { class: 'muted', id: 'residue-inputs-none' }, t('treat.inputs_none')));
  inputs.addEventListener('change', (ev) => {
    const c = ev.target.closest('input[name=inputs]');
    if (c) (c.checked ? st.inputs.add(c.value) : st.inputs.delete(c.value));
  });
  const hazards = h('fieldset', { id: 'residue-hazards' }, h('legend', {}, t('treat.residue_hazards')),
    HAZARD_LETTERS.map((c) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'hazards', value: c, id: `residue-hazard-${c}` }),
      h('span', { class: `hazard hazard-${c}` }, c), ' ', hazardName(c))));
  const suggested = RESIDUE_AFTER[st.lastMethod] || '';
  const form = h('form', { id: 'residue-form', class: 'stack' },
    h('p', { class: 'muted' }, t('treat.residue_lead')),
    inputs,
    h('div', { class: 'row' },
      field({ id: 'residue-waste', name: 'waste_code', label: t('treat.residue_code'), hint: t('treat.residue_code_hint'), list: 'residue-codes', autocomplete: 'off', class: 'mono', value: suggested }),
      field({ id: 'residue-mass', name: 'mass_kg', label: t('treat.residue_mass'), inputmode: 'decimal', autocomplete: 'off' })),
    h('datalist', { id: 'residue-codes' }, RESIDUE_CODES.map((c) => h('option', { value: c }))),
    h('p', { id: 'residue-waste-info', class: 'hint', role: 'status' }),
    hazards,
    h('div', { class: 'row' },
      field({ id: 'residue-phys', name: 'form', type: 'select', label: t('treat.residue_form'), options: options('forms', 'solid') }),
      field({ id: 'residue-packaging', name: 'packaging', label: t('treat.residue_packaging'), value: t('treat.default_packaging') })),
    h('div', { class: 'row' },
      field({ id: 'residue-volume', name: 'container_volume_l', label: t('treat.residue_volume'), inputmode: 'numeric', value: 1000 }),
      field({ id: 'residue-storage', name: 'storage_place', label: t('treat.residue_storage'), value: t('treat.default_storage') })),
    h('div', { class: 'row' },
      field({ id: 'residue-components', name: 'components', label: t('treat.residue_components') }),
      field({ id: 'residue-name', name: 'waste_name', label: optional('treat.residue_name') })),
    key && h('p', { class: 'actions' }, h('button', { type: 'submit', id: 'residue-submit', class: 'primary' }, t('treat.residue_submit'))));

  // Catalogue defaults for the code typed: its hazards, its short name as name and components.
  let applied = null;
  const waste = form.elements.waste_code;
  const info = form.querySelector('#residue-waste-info');
  const lookup = async () => {
    const code = normalizeWasteCode(waste.value);
    if (!/^\d{3}-\d{3}-\d{2}$/.test(code) || code === applied) return;
    const entry = await api.catalogueEntry(code, ctx.signal).catch((e) => { if (e.name === 'AbortError') throw e; return null; });
    if (!entry || normalizeWasteCode(waste.value) !== code || !ctx.alive()) return;
    applied = code;
    info.textContent = `${entry.category} ${entry.category_name} · ${entry.description}`;
    const letters = String(entry.hazard || '').match(/In|[TCIR]/g) || [];
    for (const c of HAZARD_LETTERS) form.querySelector(`#residue-hazard-${c}`).checked = letters.includes(c);
    hazards.dataset.code = code;
    const short = shortWasteName(entry);
    for (const name of ['components', 'waste_name']) {
      const el = form.elements[name];
      if (!el.value.trim() || el.dataset.auto === el.value) {
        el.value = short;
        el.dataset.auto = short;
      }
    }
  };
  waste.addEventListener('change', lookup);
  waste.addEventListener('input', () => { if (/^\d{3}-?\d{3}-?\d{2}$/.test(waste.value.trim())) lookup(); });
  if (suggested) lookup();

  const result = h('div', { id: 'residue-result' });
  if (st.residue) result.append(residueDone(st.residue));
  onSubmit(form, async (v) => {
    const problems = [];
    const add = (name, code, text) => problems.push({ name, code, text });
    const chosen = new FormData(form).getAll('inputs');
    if (!chosen.length) add('inputs', 'no_inputs', t('treat.check.no_inputs'));
    for (const name of ['waste_code', 'mass_kg', 'packaging', 'container_volume_l', 'components', 'storage_place']) {
      if (!v[name]) add(name, 'missing_field', t('treat.check.missing', { field: fieldLabel(form, name) }));
    }
    const g = parseMass(v.mass_kg || '', 'kg');
    if (v.mass_kg && !g) add('mass_kg', 'bad_mass', t('treat.check.bad_mass', { text: v.mass_kg }));
    const hz = new FormData(form).getAll('hazards');
    if (!hz.length) add('hazards', 'bad_hazard', t('treat.check.no_hazard'));
    if (problems.length) throw new FieldErrors(problems);
    const event = {
      type: 'generate', waste_code: normalizeWasteCode(v.waste_code), mass_g: g, form: v.form, hazards: hz,
      packaging: v.packaging, container_volume_l: /^\d+$/.test(v.container_volume_l) ? Number(v.container_volume_l) : v.container_volume_l,
      components: v.components, storage_place: v.storage_place, inputs: chosen,
    };
    if (v.waste_name) event.waste_name = v.waste_name;
    notice(t('gate.signing', { n: 1 }));
    const [answer] = await signAndSend(key, uscc, [event]);
    notice('');
    if (!answer?.ok) {
      put(result, h('p', { id: 'residue-refused', class: 'error-message', dataset: { error: answer?.error?.error || '' } }, refusalText(answer)));
      return false;
    }
    st.residue = { code: answer.receipt.item_code, index: answer.receipt.index, event };
    for (const c of chosen) st.inputs.delete(c);
    await reload();
    return true;
  });
  return { form, result };
}

function residueDone(r) {
  return h('div', { id: 'residue-done', class: 'panel highlight', dataset: { code: r.code, index: String(r.index) } },
    h('p', {}, h('strong', {}, t('treat.residue_done')), ' · ', t('gate.logged', { index: formatInt(r.index) })),
    labelCard(r.code, {
      id: `residue-label-${r.code}`, title: t('treat.residue_label'),
      lines: [`${r.event.waste_code} ${r.event.waste_name || ''} · ${formatMass(r.event.mass_g)}`, t('treat.residue_of', { n: r.event.inputs.length })],
    }));
}

async function treatmentView(ctx) {
  await ensureRefs(ctx.signal);
  const uscc = ownFacility();
  if (!uscc) return h('p', { id: 'gate-not-gate', class: 'muted' }, t('gate.not_gate'));
  const st = ctx.memo;
  st.picked ??= new Set(ctx.query.get('item') ? [ctx.query.get('item')] : []);
  st.inputs ??= new Set();
  st.treatedHere ??= new Map();
  st.extra ??= new Map();
  st.runs ??= 0;
  const [first, key] = await Promise.all([loadData(uscc, ctx.signal), gateKey(uscc, ctx.signal)]);
  let data = first;
  const lic = licences(data.permits);

  const storeBox = h('section', { id: 'treat-store', class: 'panel' });
  const formBox = h('section', { id: 'treat-form-box', class: 'panel' });
  const residueBox = h('section', { id: 'treat-residue', class: 'panel' });
  let treat = null;

  const candidates = () => {
    const seen = new Map();
    for (const it of [...st.treatedHere.values(), ...data.treatedToday.map((i) => ({ ...i, method: i.custody?.treatment_method })), ...st.extra.values()]) {
      if (!seen.has(it.code)) seen.set(it.code, it);
    }
    return [...seen.values()];
  };
  const draw = () => {
    const massG = data.inStore.reduce((a, it) => a + it.mass_g, 0);
    put(storeBox, h('h2', {}, t('treat.store')),
      h('p', { id: 'treat-store-n', class: 'muted', dataset: { n: String(data.inStore.length) } }, t('treat.store_n', { n: formatInt(data.inStore.length), mass: formatMass(massG) })),
      storeTable(data.inStore, st.picked));
    if (!lic.all.length) {
      put(formBox, h('h2', {}, t('treat.form')), h('p', { id: 'treat-no-method', class: 'muted' }, t('treat.no_method')));
    } else {
      treat = treatForm(ctx, data, st, lic, key, uscc, reload);
      put(formBox, h('h2', {}, t('treat.form')), st.treatResults ? treatResults(st) : null, treat.form);
    }
    const residue = residueForm(ctx, candidates(), st, key, uscc, reload);
    put(residueBox, h('h2', {}, t('treat.residue')), residue.result, residue.form);
  };
  async function reload() {
    data = await loadData(uscc, ctx.signal);
    draw();
  }
  storeBox.addEventListener('change', (ev) => {
    const c = ev.target.closest('input[data-pick]');
    if (!c) return;
    if (c.checked) st.picked.add(c.dataset.pick);
    else st.picked.delete(c.dataset.pick);
    c.closest('tr').dataset.picked = c.checked ? 'yes' : 'no';
    treat?.refresh();
  });

  const scan = scanField(ctx, {
    id: 'treat-scan',
    async onScan({ code }) {
      if (data.inStore.some((it) => it.code === code)) {
        st.picked.add(code);
        const box = storeBox.querySelector(`input[data-pick="${code}"]`);
        if (box) {
          box.checked = true;
          box.closest('tr').dataset.picked = 'yes';
          box.closest('tr').scrollIntoView({ block: 'nearest' });
        }
        treat?.refresh();
        return t('treat.scan_picked', { code });
      }
      const item = await api.item(code, ctx.signal).catch((e) => { if (e.name === 'AbortError') throw e; return null; });
      if (!item) return t('treat.scan_unknown', { code });
      if (item.state === 'treated' && item.holder === uscc) {
        st.extra.set(code, { ...item, method: item.custody?.treatment_method });
        st.inputs.add(code);
        draw();
        return t('treat.scan_input', { code });
      }
      return t('treat.scan_other', { code, state: stateName(item.state) });
    },
  });

  draw();
  return h('div', { id: 'gate-treatment' },
    key ? deviceLine(key) : noKeyHelp(uscc),
    h('section', { class: 'panel scan-panel' }, scan.form),
    h('div', { class: 'treat-grid' }, storeBox, formBox),
    residueBox);
}

export const routes = [
  {
    name: 'gate-treatment', pattern: '/gate/treatment', view: treatmentView, title: 'treat.title', auth: true, allow: isGate,
    nav: { label: 'nav.gate_treatment', short: 'nav.gate_treatment_short', rank: 6, main: true, show: isGate },
  },
];
