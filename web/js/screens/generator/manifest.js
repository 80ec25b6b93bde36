// screens/generator/manifest.js: one transfer manifest (#/manifests/<number>, route
// `manifest`): its parties, vehicle, driver, day, approval and items with where each stands;
// printing the 转移联单 (GET /manifests/{number}/print, printed from a hidden frame without
// leaving the page); and for its issuer, before loading, amending it (vehicle, driver, day,
// transporter, items) or cancelling it, and releasing its items to the first transporter by
// scanning them (a USB scanner's keystrokes and Enter, or the typed code): each scan must be
// an item of this manifest still in the store, and a scanned label must be exactly the one the
// server signed for it; the release is one signed `release` naming the first transporter.

import { t, register, formatMass, todayCst, lang } from '../../core/i18n.js';
import { h, field, section } from '../../core/dom.js';
import { created } from '../../core/router.js';
import { state, ensureRefs } from '../../core/state.js';
import { busy, notice, uiError } from '../../core/feedback.js';
import { onSubmit, FieldErrors, fieldLabel } from '../../core/forms.js';
import { isEnterpriseUser } from '../../core/roles.js';
import { itemLink } from '../../core/links.js';
import { stateName } from '../../core/names.js';
import * as records from '../../core/records.js';
import { stateBadge } from './items.js';
import { manifestStateBadge } from './manifests.js';
import { ownKeys, noKeyPanel, deviceField, keyNamed, signAndSend } from './signing.js';
import { fieldRefusal, fleetFields, itemPicker, loadStock, selectionText, MAX_MANIFEST_ITEMS } from './manifest-form.js';
import { parseScan, sameLabel, scanInput } from './scanner.js';
import { printUrl } from '../../core/print.js';

register({
  zh: {
    'mfp.title': '转移联单',
    'err.unknown_manifest': '没有这张联单，或您不是它的相关方。',
    'mfp.number': '联单编号',
    'mfp.state': '状态',
    'mfp.issuer': '移出单位',
    'mfp.receiver': '接收单位',
    'mfp.carriers': '运输单位',
    'mfp.vehicle': '车牌号',
    'mfp.driver': '驾驶员',
    'mfp.planned': '计划转移日期',
    'mfp.approval': '跨省转移批准',
    'mfp.total': '物品',
    'mfp.total_n': '{n} 件，申报 {mass}',
    'mfp.items': '联单物品',
    'mfp.code': '物品编码',
    'mfp.waste': '废物代码和名称',
    'mfp.declared': '标签净重',
    'mfp.mass': '现重量',
    'mfp.holder': '持有单位',
    'mfp.item_state': '状态',
    'mfp.print': '打印联单',
    'mfp.print_page': '打开打印页',
    'mfp.printing': '正在准备打印…',
    'mfp.amend_open': '变更联单',
    'mfp.cancel_open': '作废联单',
    'mfp.amend': '变更联单（装车前）',
    'mfp.amend_lead': '只填写要改的内容；变更须说明原因，并用本机设备密钥签名。',
    'mfp.transporter': '第一运输单位',
    'mfp.remove': '从联单移出的物品',
    'mfp.add': '加入联单的物品',
    'mfp.reason': '变更原因',
    'mfp.amend_submit': '签名并变更',
    'mfp.amended': '联单已变更',
    'mfp.no_change': '没有任何变更：请修改车辆、驾驶员、日期、运输单位或物品。',
    'mfp.cancel': '作废联单',
    'mfp.cancel_lead': '在运输单位接收任何物品之前，移出单位可以作废联单；物品留在本单位贮存。',
    'mfp.cancel_reason': '作废原因',
    'mfp.cancel_submit': '签名并作废',
    'mfp.cancelled': '联单已作废',
    'mfp.release': '扫码放行给运输单位',
    'mfp.release_lead': '装车时逐件扫描标签；全部扫描后签名放行给第一运输单位 {name}，由驾驶员扫码接收。',
    'mfp.release_list': '已扫描',
    'mfp.release_none': '尚未扫描',
    'mfp.release_progress': '已扫描 {n} / {total} 件',
    'mfp.release_submit': '签名放行 {n} 件给 {name}',
    'mfp.released': '已放行，等待运输单位接收',
    'mfp.remove_scan': '移除',
    'mfp.scan.unreadable': '无法识别“{text}”：不是标签二维码，也不是 37 位物品编码。',
    'mfp.scan.not_on_manifest': '物品 {code} 不在这张联单上。',
    'mfp.scan.not_in_store': '物品 {code} 已不在本单位贮存中（{state}），不能再放行。',
    'mfp.scan.twice': '物品 {code} 已扫描。',
    'mfp.scan.forged': '标签与服务器为物品 {code} 签发的标签不符：可能是伪造或过期的标签，请勿装车。',
    'mfp.scan.ok': '已扫描 {code}',
  },
  en: {
    'mfp.title': 'Transfer manifest',
    'mfp.number': 'Manifest number',
    'mfp.state': 'State',
    'mfp.issuer': 'Consignor',
    'mfp.receiver': 'Receiver',
    'mfp.carriers': 'Transporters',
    'mfp.vehicle': 'Vehicle',
    'mfp.driver': 'Driver',
    'mfp.planned': 'Planned date',
    'mfp.approval': 'Cross-province approval',
    'mfp.total': 'Items',
    'mfp.total_n': '{n} items, {mass} declared',
    'mfp.items': 'Items on the manifest',
    'mfp.code': 'Item code',
    'mfp.waste': 'Waste code and name',
    'mfp.declared': 'Label mass',
    'mfp.mass': 'Mass now',
    'mfp.holder': 'Holder',
    'mfp.item_state': 'State',
    'mfp.print': 'Print the manifest',
    'mfp.print_page': 'Open the print page',
    'mfp.printing': 'Preparing to print…',
    'mfp.amend_open': 'Amend',
    'mfp.cancel_open': 'Cancel the manifest',
    'mfp.amend': 'Amend the manifest (before loading)',
    'mfp.amend_lead': 'Fill in only what changes; an amendment states its reason and is signed with this device\'s key.',
    'mfp.transporter': 'First transporter',
    'mfp.remove': 'Items to take off the manifest',
    'mfp.add': 'Items to add to the manifest',
    'mfp.reason': 'Reason for the change',
    'mfp.amend_submit': 'Sign and amend',
    'mfp.amended': 'Manifest amended',
    'mfp.no_change': 'Nothing changes: change the vehicle, driver, date, transporter or items.',
    'mfp.cancel': 'Cancel the manifest',
    'mfp.cancel_lead': 'Before a transporter accepts any item, the consignor may cancel the manifest; the items stay in your store.',
    'mfp.cancel_reason': 'Reason for cancelling',
    'mfp.cancel_submit': 'Sign and cancel',
    'mfp.cancelled': 'Manifest cancelled',
    'mfp.release': 'Release to the transporter by scanning',
    'mfp.release_lead': 'Scan each label as it is loaded; then sign the release to the first transporter, {name}, whose driver scans and accepts them.',
    'mfp.release_list': 'Scanned',
    'mfp.release_none': 'Nothing scanned yet',
    'mfp.release_progress': '{n} of {total} scanned',
    'mfp.release_submit': 'Sign the release of {n} to {name}',
    'mfp.released': 'Released; waiting for the transporter to accept',
    'mfp.remove_scan': 'Remove',
    'mfp.scan.unreadable': 'Cannot read “{text}”: neither a label\'s QR code nor a 37-character item code.',
    'mfp.scan.not_on_manifest': 'Item {code} is not on this manifest.',
    'mfp.scan.not_in_store': 'Item {code} is no longer in your store ({state}); it cannot be released again.',
    'mfp.scan.twice': 'Item {code} is already scanned.',
    'mfp.scan.forged': 'This label differs from the one the server signed for item {code}: it may be forged or outdated. Do not load it.',
    'mfp.scan.ok': 'Scanned {code}',
    'err.unknown_manifest': 'There is no such manifest, or you are not a party to it.',
  },
});

/** Item states of an item still in its issuer's store, on the manifest. */
const AT_REST = ['stored', 'received'];

const nameOf = (m, uscc) => {
  if (uscc === m.issuer) return m.issuer_name;
  if (uscc === m.receiver) return m.receiver_name;
  return m.legs.find((l) => l.transporter === uscc)?.transporter_name || '';
};

const party = (name, uscc) => [name || uscc, ' ', h('span', { class: 'mono muted small' }, uscc)];

function summary(m) {
  const rows = [
    ['mfp.number', h('span', { class: 'mono' }, m.number)],
    ['mfp.state', manifestStateBadge(m.state)],
    ['mfp.issuer', party(m.issuer_name, m.issuer)],
    ['mfp.receiver', party(m.receiver_name, m.receiver)],
    ['mfp.carriers', h('ol', { class: 'legs' }, m.legs.map((l) =>
      h('li', { dataset: { transporter: l.transporter } }, party(l.transporter_name, l.transporter))))],
    ['mfp.vehicle', h('span', { class: 'plate', id: 'manifest-vehicle' }, m.vehicle_plate)],
    ['mfp.driver', h('span', { id: 'manifest-driver', dataset: { licence: m.driver_licence } },
      m.driver_name ? `${m.driver_name}（${m.driver_licence}）` : m.driver_licence)],
    ['mfp.planned', h('span', { id: 'manifest-date' }, m.planned_date)],
    ['mfp.approval', m.approval || t('common.none')],
    ['mfp.total', t('mfp.total_n', { n: m.items_count, mass: formatMass(m.declared_g) })],
  ];
  return h('dl', { class: 'summary' }, rows.flatMap(([k, v]) => [h('dt', {}, t(k)), h('dd', {}, v)]));
}

function itemsTable(m) {
  const cols = [
    ['mfp.code', (it) => itemLink(it.code)],
    ['mfp.waste', (it) => [h('span', { class: 'mono' }, it.waste_code), ' ', it.waste_name]],
    ['mfp.declared', (it) => h('span', { class: 'num' }, formatMass(it.label_mass_g))],
    ['mfp.mass', (it) => h('span', { class: 'num' }, formatMass(it.mass_g))],
    ['mfp.item_state', (it) => stateBadge(it.state)],
    ['mfp.holder', (it) => nameOf(m, it.holder) || h('span', { class: 'mono' }, it.holder)],
  ];
  const head = h('thead', {}, h('tr', {}, cols.map(([k]) => h('th', { scope: 'col' }, t(k)))));
  const body = h('tbody', {}, m.items.map((it) => h('tr', { dataset: { code: it.code, state: it.state } },
    cols.map(([k, cell]) => h('td', { 'data-label': t(k) }, h('div', { class: 'cell' }, cell(it)))))));
  return h('div', { class: 'table-wrap' }, h('table', { id: 'manifest-items' }, head, body));
}

/** Prints the 转移联单 from a hidden frame, staying on this page. */
async function printManifest(number) {
  notice(t('mfp.printing'));
  try {
    await printUrl(records.manifestPrintUrl(number), t('mfp.print'));
  } finally {
    notice('');
  }
}

function actionsBar(m, mine, panels) {
  const print = h('button', { type: 'button', id: 'manifest-print', class: 'primary' }, t('mfp.print'));
  print.addEventListener('click', () => busy(printManifest(m.number)));
  const toggle = (id, label, panel) => {
    if (!panel) return null;
    const b = h('button', { type: 'button', id, 'aria-expanded': 'false', 'aria-controls': panel.id }, label);
    b.addEventListener('click', () => {
      const open = panel.hidden;
      for (const p of Object.values(panels)) if (p) p.hidden = true;
      panel.hidden = !open;
      b.setAttribute('aria-expanded', String(open));
      if (open) panel.querySelector('input:not([type=hidden]), select, textarea')?.focus();
    });
    return b;
  };
  return h('p', { class: 'actions', id: 'manifest-actions' },
    print,
    h('a', { id: 'manifest-print-link', class: 'button', href: records.manifestPrintUrl(m.number), target: '_blank', rel: 'noopener' },
      t('mfp.print_page')),
    mine && toggle('manifest-amend-toggle', t('mfp.amend_open'), panels.amend),
    mine && toggle('manifest-cancel-toggle', t('mfp.cancel_open'), panels.cancel));
}

/** The amendment form (before the first release), or null when it can no longer be amended. */
async function amendPanel(ctx, m, keys) {
  const [stock, { transporters }] = await Promise.all([loadStock(ctx.signal), records.transporters(ctx.signal)]);
  const first = m.legs[0]?.transporter || '';
  const carrier = field({
    id: 'amend-transporter', name: 'transporter', type: 'select', label: t('mfp.transporter'),
    options: transporters.map((tr) => h('option', { value: tr.uscc, selected: tr.uscc === first },
      `${(lang() === 'en' && tr.name_en) || tr.name_zh}（${tr.uscc}）`)),
  });
  const fleet = fleetFields(transporters, carrier.querySelector('select'),
    { prefix: 'amend', plate: m.vehicle_plate, licence: m.driver_licence });
  const remove = h('fieldset', { id: 'amend-remove', class: 'field' }, h('legend', {}, t('mfp.remove')),
    h('ul', { class: 'mf-items' }, m.items.map((it) => h('li', {},
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'remove_items', value: it.code, id: `amend-remove-${it.code}` }),
        h('span', { class: 'mono item-code' }, it.code), ' ', h('span', { class: 'num muted' }, formatMass(it.label_mass_g)))))));
  const picker = itemPicker(stock, { id: 'amend-add', name: 'add_items' });
  const added = h('p', { id: 'amend-added', class: 'hint', role: 'status' }, selectionText([]));
  picker.onChange(() => { added.textContent = selectionText(picker.selected()); });
  const form = h('form', { id: 'amend-form', class: 'stack' },
    h('p', { class: 'muted' }, t('mfp.amend_lead')),
    carrier,
    h('div', { class: 'row' }, fleet.vehicle, fleet.driver),
    field({ id: 'amend-date', name: 'planned_date', type: 'date', label: t('mf.date'), value: m.planned_date, min: todayCst() }),
    remove,
    h('fieldset', { id: 'amend-add-box', class: 'field' }, h('legend', {}, t('mfp.add')), picker.el, added),
    field({ id: 'amend-reason', name: 'reason', label: t('mfp.reason') }),
    deviceField(keys, 'amend-device'),
    h('button', { type: 'submit', id: 'amend-submit', class: 'primary' }, t('mfp.amend_submit')));
  onSubmit(form, async (v) => {
    const fd = new FormData(form);
    const fields = { manifest: m.number, reason: v.reason };
    if (v.transporter && v.transporter !== first) fields.transporters = [v.transporter, ...m.legs.slice(1).map((l) => l.transporter)];
    if (v.vehicle_plate && v.vehicle_plate !== m.vehicle_plate) fields.vehicle_plate = v.vehicle_plate;
    if (v.driver_licence && v.driver_licence !== m.driver_licence) fields.driver_licence = v.driver_licence;
    if (v.planned_date && v.planned_date !== m.planned_date) fields.planned_date = v.planned_date;
    const removeItems = fd.getAll('remove_items');
    const addItems = picker.selected().map((p) => p.code);
    if (removeItems.length) fields.remove_items = removeItems;
    if (addItems.length) fields.add_items = addItems;
    const problems = [];
    if (Object.keys(fields).length === 2) problems.push({ name: 'reason', code: 'empty_amendment', text: t('mfp.no_change') });
    else if (!v.reason) problems.push({ name: 'reason', code: 'missing_field', text: t('form.missing_field', { field: fieldLabel(form, 'reason') }) });
    if (m.items.length - removeItems.length + addItems.length > MAX_MANIFEST_ITEMS) {
      problems.push({ name: 'add_items', code: 'too_many_items', text: t('mf.check.too_many', { max: MAX_MANIFEST_ITEMS }) });
    }
    if (problems.length) throw new FieldErrors(problems);
    try {
      await signAndSend(keyNamed(keys, v.device), 'manifest_amend', fields);
    } catch (e) {
      throw fieldRefusal(form, e);
    }
    await created('mfp.amended');
    return false;
  });
  return section(t('mfp.amend'), form);
}

function cancelPanel(m, keys) {
  const form = h('form', { id: 'cancel-form', class: 'stack' },
    h('p', { class: 'muted' }, t('mfp.cancel_lead')),
    field({ id: 'cancel-reason', name: 'reason', label: t('mfp.cancel_reason') }),
    deviceField(keys, 'cancel-device'),
    h('button', { type: 'submit', id: 'cancel-submit', class: 'danger' }, t('mfp.cancel_submit')));
  onSubmit(form, async (v) => {
    if (!v.reason) {
      throw new FieldErrors([{ name: 'reason', code: 'missing_field', text: t('form.missing_field', { field: fieldLabel(form, 'reason') }) }]);
    }
    try {
      await signAndSend(keyNamed(keys, v.device), 'manifest_cancel', { manifest: m.number, reason: v.reason });
    } catch (e) {
      throw fieldRefusal(form, e);
    }
    await created('mfp.cancelled');
    return false;
  });
  return section(t('mfp.cancel'), form);
}

/** Releasing the items still in store to the first transporter, by scanning each. */
function releasePanel(m, keys) {
  const to = m.legs[0];
  const toName = to.transporter_name || to.transporter;
  const waiting = m.items.filter((it) => AT_REST.includes(it.state));
  const scanned = [];
  const list = h('ol', { id: 'release-scanned', class: 'scanned' });
  const message = h('p', { id: 'release-message', role: 'status', class: 'scan-message' });
  const progress = h('p', { id: 'release-progress', class: 'muted' });
  const submit = h('button', { type: 'button', id: 'release-submit', class: 'primary' });
  const device = deviceField(keys, 'release-device');

  const say = (kind, text) => {
    message.textContent = text;
    message.dataset.kind = kind;
  };
  const render = () => {
    list.replaceChildren(...(scanned.length ? scanned.map((code) => {
      const it = m.items.find((x) => x.code === code);
      const drop = h('button', { type: 'button', class: 'small-button', dataset: { drop: code } }, t('mfp.remove_scan'));
      drop.addEventListener('click', () => {
        scanned.splice(scanned.indexOf(code), 1);
        render();
      });
      return h('li', { dataset: { code } }, itemLink(code), ' ', h('span', { class: 'num muted' }, formatMass(it.label_mass_g)), ' ', drop);
    }) : [h('li', { class: 'muted empty' }, t('mfp.release_none'))]));
    progress.textContent = t('mfp.release_progress', { n: scanned.length, total: waiting.length });
    submit.textContent = t('mfp.release_submit', { n: scanned.length, name: toName });
    submit.disabled = !scanned.length;
    list.dataset.count = String(scanned.length);
  };
  const onScan = (text) => {
    const s = parseScan(text);
    if (!s) return say('error', t('mfp.scan.unreadable', { text: text.slice(0, 60) }));
    const it = m.items.find((x) => x.code === s.code);
    if (!it) return say('error', t('mfp.scan.not_on_manifest', { code: s.code }));
    if (s.label && !sameLabel(s.label, it.label_b64)) return say('forged', t('mfp.scan.forged', { code: s.code }));
    if (!AT_REST.includes(it.state)) {
      return say('error', t('mfp.scan.not_in_store', { code: s.code, state: stateName(it.state) }));
    }
    if (scanned.includes(s.code)) return say('twice', t('mfp.scan.twice', { code: s.code }));
    scanned.push(s.code);
    say('ok', t('mfp.scan.ok', { code: s.code }));
    return render();
  };
  submit.addEventListener('click', () => {
    submit.disabled = true;
    busy((async () => {
      const key = keyNamed(keys, device.querySelector('select').value);
      await signAndSend(key, 'release', { items: [...scanned], to: to.transporter, manifest: m.number });
      await created('mfp.released');
    })()).finally(() => { if (document.body.contains(submit)) submit.disabled = !scanned.length; });
  });
  render();
  return h('section', { id: 'release-panel', class: 'panel highlight' },
    h('h2', {}, t('mfp.release')),
    h('p', { class: 'muted' }, t('mfp.release_lead', { name: toName })),
    scanInput({ id: 'release-scan', onScan }),
    message, progress,
    h('h3', {}, t('mfp.release_list')), list,
    device,
    h('p', { class: 'actions' }, submit));
}

async function manifestView(ctx) {
  await ensureRefs(ctx.signal);
  const number = ctx.args.number;
  const m = await records.manifestLine(number, ctx.signal);
  if (!m) throw uiError('unknown_manifest');
  const mine = isEnterpriseUser() && m.issuer === state.user.enterprise;
  const atRest = m.items.filter((it) => AT_REST.includes(it.state));
  const beforeRelease = m.state === 'open' && atRest.length === m.items.length;
  const keys = mine && m.state === 'open' ? await ownKeys(ctx.signal) : [];
  const panels = { amend: null, cancel: null };
  if (keys.length && beforeRelease) panels.amend = await amendPanel(ctx, m, keys);
  if (keys.length && m.state === 'open') panels.cancel = cancelPanel(m, keys);
  for (const [k, p] of Object.entries(panels)) {
    if (!p) continue;
    p.id = `manifest-${k}`;
    p.hidden = true;
  }
  const release = keys.length && atRest.length && m.state === 'open' ? releasePanel(m, keys) : null;
  return h('div', { id: 'manifest-page', dataset: { number: m.number, state: m.state } },
    h('section', { id: 'manifest-detail', class: 'panel', dataset: { number: m.number, state: m.state, issuer: m.issuer } },
      summary(m)),
    actionsBar(m, mine, panels),
    panels.amend, panels.cancel,
    mine && m.state === 'open' && !keys.length && noKeyPanel('manifest-no-key'),
    release,
    h('section', { class: 'panel' }, h('h2', {}, t('mfp.items')), itemsTable(m)));
}

export const routes = [
  { name: 'manifest', pattern: '/manifests/:number(\\d{14})', view: manifestView, title: 'mfp.title', auth: true },
];
