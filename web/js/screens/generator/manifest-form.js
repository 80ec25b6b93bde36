// screens/generator/manifest-form.js: opening a transfer manifest (#/manifests/new, route
// `manifest-new`). The clerk picks items from the enterprise's store, grouped by waste code
// (or comes with them from the inventory, `?items=`); the receivers offered are those whose
// permit covers every chosen code on the planned day (GET /receivers), and when the receiver is
// in another province the form asks for one of the issuer's approvals that covers the load;
// then the transporter(s) (GET /transporters), the first transporter's vehicle and driver, and
// the planned day. The browser signs `manifest_open` with its device key and goes to the new
// manifest's page. The pieces (store picker, fleet choice) serve the amendment form too.

import * as api from '../../core/api.js';
import { t, register, formatMass, formatTime, todayCst, pick } from '../../core/i18n.js';
import { h, field } from '../../core/dom.js';
import { go } from '../../core/router.js';
import { state, ensureRefs } from '../../core/state.js';
import { notice, showError, uiError } from '../../core/feedback.js';
import { onSubmit, FieldErrors, fieldLabel, refusalField, isRefusal } from '../../core/forms.js';
import { isEnterpriseUser } from '../../core/roles.js';
import { vehicleTypeName } from '../../core/names.js';
import { itemLink, manifestHref } from '../../core/links.js';
import * as records from '../../core/records.js';
import { ownKeys, noKeyPanel, deviceField, keyNamed, signAndSend } from './signing.js';

register({
  zh: {
    'mf.title': '开立转移联单',
    'mf.lead': '一车一单：选择本次转移的物品，再选择接收单位、运输单位、车辆、驾驶员和计划转移日期，用本机设备密钥签名开立。',
    'mf.items': '转移物品（本单位贮存中、尚未列入联单的物品）',
    'mf.items_hint': '按废物代码分组；可整组勾选。一张联单最多 {max} 件。',
    'mf.group_all': '全选 {code}',
    'mf.group_n': '{n} 件，{mass}',
    'mf.no_stock': '本单位贮存中没有可列入联单的物品。',
    'mf.selected': '已选 {n} 件，{mass}；废物代码：{codes}',
    'mf.selected_none': '尚未选择物品',
    'mf.choose': '请选择',
    'mf.receiver': '接收单位',
    'mf.receiver_first': '请先选择物品',
    'mf.receiver_none': '没有单位的许可证在计划日期覆盖所选全部废物代码',
    'mf.receiver_hint': '只列出许可证在计划日期覆盖所选全部废物代码的单位（{n} 家）。',
    'mf.receiver_loading': '正在查询可接收单位…',
    'mf.other_province': '跨省',
    'mf.approval': '跨省转移批准',
    'mf.approval_hint': '接收单位在{province}，跨省转移须经批准（《危险废物转移管理办法》第二十一条）。',
    'mf.approval_none': '本单位没有覆盖这批物品、接收单位和计划日期的跨省转移批准，无法开立。',
    'mf.approval_option': '{number}（有效至 {until}，剩余 {remaining}）',
    'mf.transporter': '运输单位',
    'mf.transporter_n': '第 {n} 运输单位（联运，选填）',
    'mf.add_relay': '添加联运运输单位',
    'mf.vehicle': '车辆（第一运输单位的）',
    'mf.driver': '驾驶员（第一运输单位的）',
    'mf.no_vehicle': '该运输单位没有登记车辆',
    'mf.no_driver': '该运输单位没有登记驾驶员',
    'mf.date': '计划转移日期',
    'mf.submit': '签名并开立联单',
    'mf.signing': '正在签名…',
    'mf.opened': '联单已开立',
    'mf.check.items': '请至少选择一件物品。',
    'mf.check.too_many': '一张联单最多 {max} 件物品。',
    'mf.check.approval': '跨省转移须选择一项批准。',
    'mf.refusal.permit_scope': '接收单位的许可证在计划日期不覆盖这些废物代码，请重新选择接收单位或日期。',
    'mf.refusal.already_on_manifest': '所选物品中有已列入其他联单的，请刷新后重新选择。',
    'mf.refusal.not_holder': '所选物品中有不在本单位贮存的，请刷新后重新选择。',
    'mf.refusal.unknown_vehicle': '这辆车没有登记在所选运输单位名下。',
    'mf.refusal.unknown_driver': '这位驾驶员没有登记在所选运输单位名下。',
    'mf.refusal.not_a_transporter': '所选单位不是登记的运输单位。',
    'mf.refusal.approval': '跨省转移批准不适用：{msg}',
  },
  en: {
    'mf.title': 'Open a transfer manifest',
    'mf.lead': 'One manifest per vehicle trip: choose the items of this transfer, then the receiver, transporter, vehicle, driver and planned date, and sign it with this device\'s key.',
    'mf.items': 'Items (in your store, not yet on a manifest)',
    'mf.items_hint': 'Grouped by waste code; tick a whole group at once. At most {max} items per manifest.',
    'mf.group_all': 'All of {code}',
    'mf.group_n': '{n} items, {mass}',
    'mf.no_stock': 'Nothing in your store can go on a manifest.',
    'mf.selected': '{n} selected, {mass}; waste codes: {codes}',
    'mf.selected_none': 'No item selected yet',
    'mf.choose': 'Choose…',
    'mf.receiver': 'Receiver',
    'mf.receiver_first': 'Choose the items first',
    'mf.receiver_none': 'No receiver\'s permit covers every chosen waste code on the planned date',
    'mf.receiver_hint': 'Only receivers whose permit covers every chosen waste code on the planned date ({n}).',
    'mf.receiver_loading': 'Looking up receivers…',
    'mf.other_province': 'other province',
    'mf.approval': 'Cross-province approval',
    'mf.approval_hint': 'The receiver is in {province}: a transfer across a province boundary needs an approval (Transfer Measures art. 21).',
    'mf.approval_none': 'Your enterprise has no cross-province approval covering these items, this receiver and this date, so the manifest cannot be opened.',
    'mf.approval_option': '{number} (valid until {until}, {remaining} left)',
    'mf.transporter': 'Transporter',
    'mf.transporter_n': 'Transporter {n} (relay, optional)',
    'mf.add_relay': 'Add a relay transporter',
    'mf.vehicle': 'Vehicle (of the first transporter)',
    'mf.driver': 'Driver (of the first transporter)',
    'mf.no_vehicle': 'This transporter has no registered vehicle',
    'mf.no_driver': 'This transporter has no registered driver',
    'mf.date': 'Planned date',
    'mf.submit': 'Sign and open the manifest',
    'mf.signing': 'Signing…',
    'mf.opened': 'Manifest opened',
    'mf.check.items': 'Choose at least one item.',
    'mf.check.too_many': 'A manifest holds at most {max} items.',
    'mf.check.approval': 'A cross-province transfer needs an approval: choose one.',
    'mf.refusal.permit_scope': 'The receiver\'s permit does not cover these waste codes on the planned date; choose another receiver or date.',
    'mf.refusal.already_on_manifest': 'Some chosen items are already on another manifest; reload and choose again.',
    'mf.refusal.not_holder': 'Some chosen items are not in your store; reload and choose again.',
    'mf.refusal.unknown_vehicle': 'This vehicle is not registered with the chosen transporter.',
    'mf.refusal.unknown_driver': 'This driver is not registered with the chosen transporter.',
    'mf.refusal.not_a_transporter': 'The chosen enterprise is not a registered transporter.',
    'mf.refusal.approval': 'The cross-province approval does not apply: {msg}',
  },
});

/** Most items on one manifest (MAX_ITEMS_PER_EVENT). */
export const MAX_MANIFEST_ITEMS = 100;
/** Most transporters on one manifest. */
const MAX_TRANSPORTERS = 5;
/** The store's items the picker reads (one page of GET /items). */
const STOCK_PAGE = 500;

/** Refusals of manifest_open and manifest_amend, by the field they concern. */
export const MANIFEST_REFUSALS = {
  prefix: 'mf.refusal',
  codes: {
    permit_scope: 'receiver', not_a_receiver: 'receiver', already_on_manifest: 'items', not_holder: 'items',
    unknown_vehicle: 'vehicle_plate', bad_plate: 'vehicle_plate', unknown_driver: 'driver_licence',
    bad_driver_licence: 'driver_licence', not_a_transporter: 'transporter_1', bad_date: 'planned_date',
    approval_required: 'approval', unknown_approval: 'approval', approval_parties: 'approval',
    approval_expired: 'approval', approval_scope: 'approval', approval_exceeded: 'approval',
    empty_amendment: 'reason', missing_field: 'reason',
  },
  fields: { reason: 'reason', planned_date: 'planned_date', vehicle_plate: 'vehicle_plate', driver_licence: 'driver_licence' },
  text(code, name, err) {
    if (name === 'approval') return t('mf.refusal.approval', { msg: errText(err) });
    return null;
  },
};

function errText(err) {
  return (document.documentElement.lang === 'en' ? err.messageEn : err.messageZh) || err.messageEn || '';
}

/** A refused event as field errors where it concerns one field; else thrown as it is. */
export function fieldRefusal(form, e) {
  if (!isRefusal(e)) return e;
  const f = refusalField(form, e, MANIFEST_REFUSALS);
  return f ? new FieldErrors([f]) : e;
}

/** The user's stored items that are on no manifest (what a manifest may take), oldest first. */
export async function loadStock(signal) {
  const { items } = await api.items({ state: 'stored', limit: STOCK_PAGE }, signal);
  const me = state.user?.enterprise;
  return items.filter((it) => it.holder === me && !it.custody?.manifest).reverse();
}

/**
 * Checkboxes of `items` (named `name`), grouped by waste code with a box for the whole group.
 * Answers {el, selected(), onChange(fn)}; `checked` codes start ticked.
 */
export function itemPicker(items, { id, name, checked = [] }) {
  const listeners = [];
  const changed = () => listeners.forEach((fn) => fn());
  const groups = new Map();
  for (const it of items) {
    if (!groups.has(it.waste_code)) groups.set(it.waste_code, []);
    groups.get(it.waste_code).push(it);
  }
  const boxes = [];
  const groupEls = [...groups].map(([code, list]) => {
    const all = h('input', { type: 'checkbox', id: `${id}-all-${code}`, dataset: { group: code } });
    const mine = list.map((it) => {
      const cb = h('input', {
        type: 'checkbox', name, value: it.code, id: `${id}-${it.code}`, checked: checked.includes(it.code),
        dataset: { waste: code, mass: it.mass_g },
      });
      boxes.push(cb);
      return h('li', { dataset: { code: it.code } },
        h('label', { class: 'check', for: cb.id }, cb,
          h('span', { class: 'mf-item-text' },
            h('span', { class: 'mono item-code' }, it.code),
            h('span', { class: 'mf-item-meta' },
              h('span', { class: 'num' }, formatMass(it.mass_g)), ' · ', formatTime(it.generated_at)))),
        itemLink(it.code, { class: 'small detail-link', 'aria-label': it.code, title: it.code }));
    });
    const sync = () => {
      const n = mine.filter((li) => li.querySelector('input').checked).length;
      all.checked = n === mine.length;
      all.indeterminate = n > 0 && n < mine.length;
    };
    all.addEventListener('change', () => {
      for (const li of mine) li.querySelector('input').checked = all.checked;
      changed();
    });
    for (const li of mine) li.querySelector('input').addEventListener('change', () => { sync(); changed(); });
    sync();
    const mass = list.reduce((s, it) => s + it.mass_g, 0);
    return h('div', { class: 'mf-group', dataset: { waste: code } },
      h('label', { class: 'check mf-group-head', for: all.id }, all,
        h('strong', {}, t('mf.group_all', { code })), ' ', h('span', {}, list[0].waste_name), ' ',
        h('span', { class: 'muted' }, t('mf.group_n', { n: list.length, mass: formatMass(mass) }))),
      h('ul', { class: 'mf-items' }, mine));
  });
  const el = h('div', { id, class: 'mf-picker' },
    groupEls.length ? groupEls : h('p', { class: 'muted', id: `${id}-empty` }, t('mf.no_stock')));
  return {
    el,
    selected: () => boxes.filter((b) => b.checked).map((b) => ({ code: b.value, waste: b.dataset.waste, mass: Number(b.dataset.mass) })),
    onChange: (fn) => listeners.push(fn),
  };
}

/** "n selected, mass; codes" of picked items. */
export function selectionText(picked) {
  if (!picked.length) return t('mf.selected_none');
  const codes = [...new Set(picked.map((p) => p.waste))].sort();
  const mass = picked.reduce((s, p) => s + p.mass, 0);
  return t('mf.selected', { n: picked.length, mass: formatMass(mass), codes: codes.join('、') });
}

const nameOf = (e) => pick(e, 'name') || e.name_zh || e.uscc;

/** <option>s of the transporters, after a blank one. */
function transporterOptions(list, selected, blank) {
  return [h('option', { value: '' }, blank),
    ...list.map((tr) => h('option', { value: tr.uscc, selected: tr.uscc === selected }, `${nameOf(tr)}（${tr.uscc}）`))];
}

/**
 * The vehicle and driver selects of the transporter chosen in `transporterSelect`: refilled when
 * it changes, keeping `plate` and `licence` when that transporter has them.
 */
export function fleetFields(transporters, transporterSelect, { prefix, plate = '', licence = '' }) {
  const vehicle = field({ id: `${prefix}-vehicle`, name: 'vehicle_plate', type: 'select', label: t('mf.vehicle'), options: [] });
  const driver = field({ id: `${prefix}-driver`, name: 'driver_licence', type: 'select', label: t('mf.driver'), options: [] });
  const fill = () => {
    const tr = transporters.find((x) => x.uscc === transporterSelect.value);
    const vs = vehicle.querySelector('select');
    const ds = driver.querySelector('select');
    const keepPlate = vs.value || plate;
    const keepLicence = ds.value || licence;
    vs.replaceChildren(...(tr?.vehicles?.length
      ? tr.vehicles.map((v) => h('option', { value: v.plate, selected: v.plate === keepPlate }, `${v.plate}（${vehicleTypeName(v.vehicle_type)}）`))
      : [h('option', { value: '' }, tr ? t('mf.no_vehicle') : t('mf.choose'))]));
    ds.replaceChildren(...(tr?.drivers?.length
      ? tr.drivers.map((d) => h('option', { value: d.licence_no, selected: d.licence_no === keepLicence }, `${d.name}（${d.licence_no}）`))
      : [h('option', { value: '' }, tr ? t('mf.no_driver') : t('mf.choose'))]));
  };
  transporterSelect.addEventListener('change', () => {
    vehicle.querySelector('select').value = '';
    driver.querySelector('select').value = '';
    fill();
  });
  fill();
  return { vehicle, driver, refill: fill };
}

/** The transporter selects: the first required, relays added on demand (up to five in all). */
function transporterFields(transporters, first = '') {
  const box = h('div', { id: 'mf-transporters', class: 'stack' });
  const selects = [];
  const add = (n, value) => {
    const f = field({
      id: `mf-transporter-${n}`, name: `transporter_${n}`, type: 'select',
      label: n === 1 ? t('mf.transporter') : t('mf.transporter_n', { n }),
      options: transporterOptions(transporters, value, t('mf.choose')),
    });
    selects.push(f.querySelector('select'));
    box.append(f);
    return f;
  };
  add(1, first);
  const more = h('button', { type: 'button', id: 'mf-add-relay', class: 'small-button' }, t('mf.add_relay'));
  more.addEventListener('click', () => {
    add(selects.length + 1, '');
    more.hidden = selects.length >= MAX_TRANSPORTERS;
    selects.at(-1).focus();
  });
  return { box, more, first: selects[0], chosen: () => selects.map((s) => s.value).filter(Boolean) };
}

/** The receiver select and, for a receiver in another province, the approval to name. */
function receiverFields(ctx, { onLookup }) {
  const receiver = field({
    id: 'mf-receiver', name: 'receiver', type: 'select', label: t('mf.receiver'),
    options: [h('option', { value: '' }, t('mf.receiver_first'))],
  });
  const select = receiver.querySelector('select');
  const hint = h('small', { id: 'mf-receiver-hint', class: 'hint', role: 'status' });
  receiver.append(hint);
  const approval = field({ id: 'mf-approval', name: 'approval', type: 'select', label: t('mf.approval'), options: [] });
  const approvalHint = h('small', { id: 'mf-approval-hint', class: 'hint' });
  approval.append(approvalHint);
  approval.hidden = true;
  let found = [];
  let asked = '';
  let inflight = null;

  const showApproval = () => {
    const r = found.find((x) => x.uscc === select.value);
    const needed = !!r?.approval_needed;
    approval.hidden = !needed;
    approval.dataset.needed = needed ? 'yes' : 'no';
    const as = approval.querySelector('select');
    if (!needed) {
      as.replaceChildren();
      return;
    }
    approvalHint.textContent = t('mf.approval_hint', { province: r.province_name || r.province });
    as.replaceChildren(...(r.approvals.length
      ? r.approvals.map((a) => h('option', { value: a.number }, t('mf.approval_option', {
        number: a.number, until: a.valid_until, remaining: formatMass(a.remaining_g),
      })))
      : [h('option', { value: '' }, t('mf.approval_none'))]));
  };
  select.addEventListener('change', showApproval);

  /** Asks for the receivers of `codes` on `date` (again only when either changed). */
  async function lookup(codes, date) {
    const key = `${codes.join(',')}@${date}`;
    if (key === asked) return;
    asked = key;
    inflight?.abort();
    const keep = select.value;
    if (!codes.length) {
      found = [];
      select.replaceChildren(h('option', { value: '' }, t('mf.receiver_first')));
      hint.textContent = '';
      select.dataset.codes = '';
      showApproval();
      onLookup();
      return;
    }
    hint.textContent = t('mf.receiver_loading');
    const mine = (inflight = new AbortController());
    let answer;
    try {
      answer = await records.receivers(codes, date, AbortSignal.any([mine.signal, ctx.signal]));
    } catch (e) {
      if (e.name === 'AbortError') return;
      asked = '';
      throw e;
    }
    if (inflight !== mine || !ctx.alive()) return;
    found = answer.receivers;
    select.replaceChildren(...(found.length
      ? [h('option', { value: '' }, t('mf.choose')), ...found.map((r) => h('option', {
        value: r.uscc, selected: r.uscc === keep, dataset: { approvalNeeded: r.approval_needed ? 'yes' : 'no' },
      }, `${nameOf(r)}${r.approval_needed ? `（${t('mf.other_province')}：${r.province_name}）` : ''}`))]
      : [h('option', { value: '' }, t('mf.receiver_none'))]));
    hint.textContent = t('mf.receiver_hint', { n: found.length });
    select.dataset.codes = codes.join(',');
    select.dataset.date = date;
    showApproval();
    onLookup();
  }
  return { receiver, approval, select, lookup, receiverOf: (uscc) => found.find((r) => r.uscc === uscc) };
}

/** What is wrong before anything is signed, as field errors. */
function localProblems(form, v, picked, rf, carriers) {
  const problems = [];
  const add = (name, code, text) => problems.push({ name, code, text });
  const choose = (name) => add(name, 'missing_field', t('form.missing_choice', { field: fieldLabel(form, name) }));
  if (!picked.length) add('items', 'no_items', t('mf.check.items'));
  if (picked.length > MAX_MANIFEST_ITEMS) add('items', 'too_many_items', t('mf.check.too_many', { max: MAX_MANIFEST_ITEMS }));
  if (picked.length && !v.receiver) choose('receiver');
  const r = rf.receiverOf(v.receiver);
  if (r?.approval_needed && !v.approval) add('approval', 'approval_required', t('mf.check.approval'));
  if (!carriers.length) choose('transporter_1');
  if (!v.vehicle_plate) choose('vehicle_plate');
  if (!v.driver_licence) choose('driver_licence');
  if (!v.planned_date) add('planned_date', 'missing_field', t('form.missing_field', { field: fieldLabel(form, 'planned_date') }));
  return problems;
}

async function manifestNewView(ctx) {
  await ensureRefs(ctx.signal);
  if (!isEnterpriseUser()) throw uiError('forbidden');
  const [keys, stock, { transporters }] = await Promise.all([
    ownKeys(ctx.signal), loadStock(ctx.signal), records.transporters(ctx.signal),
  ]);
  if (!keys.length) return noKeyPanel('mf-no-key');
  const preselected = (ctx.query.get('items') || '').split(',').filter(Boolean);

  const picker = itemPicker(stock, { id: 'mf-items', name: 'items', checked: preselected });
  const selected = h('p', { id: 'mf-selected', class: 'hint', role: 'status' });
  const rf = receiverFields(ctx, { onLookup: () => { form.dataset.receivers = String(rf.select.options.length); } });
  const carriers = transporterFields(transporters);
  const fleet = fleetFields(transporters, carriers.first, { prefix: 'mf' });
  const date = field({ id: 'mf-date', name: 'planned_date', type: 'date', label: t('mf.date'), value: todayCst() });
  const itemsBox = h('fieldset', { id: 'mf-items-box', class: 'field' },
    h('legend', {}, t('mf.items')),
    h('small', { class: 'hint' }, t('mf.items_hint', { max: MAX_MANIFEST_ITEMS })),
    picker.el, selected,
    // A control named `items` even with nothing in store, so that errors about the items have
    // a field to sit by.
    h('input', { type: 'hidden', name: 'items', id: 'mf-items-none' }));
  const form = h('form', { id: 'manifest-form', class: 'stack' },
    h('p', { class: 'muted' }, t('mf.lead')),
    itemsBox,
    h('div', { class: 'row' }, rf.receiver, date),
    rf.approval,
    carriers.box, h('p', { class: 'actions' }, carriers.more),
    h('div', { class: 'row' }, fleet.vehicle, fleet.driver),
    deviceField(keys, 'mf-device'),
    h('button', { type: 'submit', id: 'mf-submit', class: 'primary' }, t('mf.submit')));

  const refresh = () => {
    const picked = picker.selected();
    selected.textContent = selectionText(picked);
    const codes = [...new Set(picked.map((p) => p.waste))].sort();
    rf.lookup(codes, form.elements.planned_date.value || todayCst()).catch(showError);
  };
  picker.onChange(refresh);
  form.elements.planned_date.addEventListener('change', refresh);
  form.addEventListener('hw:restored', refresh);
  refresh();

  onSubmit(form, async (v) => {
    const picked = picker.selected();
    const problems = localProblems(form, v, picked, rf, carriers.chosen());
    if (problems.length) throw new FieldErrors(problems);
    const key = keyNamed(keys, v.device);
    const fields = {
      transporters: carriers.chosen(),
      vehicle_plate: v.vehicle_plate,
      driver_licence: v.driver_licence,
      receiver: v.receiver,
      items: picked.map((p) => p.code),
      planned_date: v.planned_date,
    };
    if (v.approval) fields.approval = v.approval;
    notice(t('mf.signing'));
    let receipt;
    try {
      receipt = await signAndSend(key, 'manifest_open', fields);
    } catch (e) {
      notice('');
      throw fieldRefusal(form, e);
    }
    state.flash = t('mf.opened');
    await go(manifestHref(receipt.manifest_no));
    return false;
  });
  return h('div', { id: 'manifest-new' }, form);
}

export const routes = [
  { name: 'manifest-new', pattern: '/manifests/new', view: manifestNewView, title: 'mf.title', auth: true, allow: isEnterpriseUser },
];
