// screens/generator/register.js: registering containers (#/items/new). A generator's user
// fills the form once for a run of identical containers; the browser signs one `generate`
// event per container with its device key and sends them. Errors appear next to the field
// they concern, in plain words (the server's refusal codes and field names are mapped here,
// the code kept in data-code). After a run with registered containers the form is reset and
// locked: the results show, and only "new run" (#gen-new-run) opens the form again, so a
// second click cannot register the same containers twice. The label's waste name defaults to
// a short name (core/waste.js). What was typed survives a language switch (core/router.js).

import * as api from '../../core/api.js';
import { t, lang, register, parseMass, formatMass } from '../../core/i18n.js';
import { h, field, options } from '../../core/dom.js';
import { state, ensureRefs } from '../../core/state.js';
import { notice } from '../../core/feedback.js';
import {
  onSubmit, FieldErrors, fieldLabel, refusalField, lockForm, unlockForm, clearFieldErrors, wholeNumber, isRefusal,
} from '../../core/forms.js';
import { isEnterpriseUser } from '../../core/roles.js';
import { hazardName } from '../../core/names.js';
import { enterpriseKeys, eventHead, signEvent } from '../../core/keys.js';
import { normalizeWasteCode, shortWasteName } from '../../core/waste.js';
import { exemptStages } from '../public/catalogue.js';
import { MAX_SHEET_LABELS } from './items.js';

register({
  zh: {
    'gen.title': '登记容器',
    'gen.lead': '每个容器登记后获得一个物品编码和签名标签。数量大于 1 时，将按相同内容登记多个容器，便于一次打印。',
    'gen.enterprise_only': '只有产废企业的用户可以登记容器。',
    'gen.no_key': '本浏览器还没有 {name} 的设备密钥。登记容器需要用本机的设备密钥签名。',
    'gen.no_key_enrol': '在“本机设备”页申请登记本机，管理员批准后即可在此签名登记容器。',
    'gen.enrol_link': '登记本机',
    'gen.device': '签名设备（本机密钥）',
    'gen.waste_code': '废物代码',
    'gen.waste_code_hint': '输入代码或名称查询，如 900-249-08 或 废矿物油。',
    'gen.waste_found': '{desc}',
    'gen.waste_exempt': '部分情形可豁免（{stages}，须符合名录条件）',
    'gen.waste_unknown': '名录中没有找到此代码，将由服务器核对。',
    'gen.mass': '每个容器的净重（千克）',
    'gen.mass_hint': '最多 3 位小数，如 185.5',
    'gen.form': '物理形态',
    'gen.choose': '请选择',
    'gen.hazards': '危险特性',
    'gen.hazards_hint': '已按名录预先勾选，可修改。',
    'gen.packaging': '包装方式',
    'gen.packaging_placeholder': '如 200L钢桶',
    'gen.volume': '容器容积（升）',
    'gen.components': '主要成分',
    'gen.harmful': '有害成分',
    'gen.precautions': '注意事项',
    'gen.storage': '贮存地点',
    'gen.waste_name': '废物名称',
    'gen.count': '容器数量',
    'gen.count_hint': '1–200 个，内容相同，各得一个编码。',
    'gen.submit': '签名并登记',
    'gen.results': '登记结果',
    'gen.summary': '已登记 {accepted} 个，被拒绝 {refused} 个。',
    'gen.container': '第 {n} 个',
    'gen.print': '打印这些标签',
    'gen.to_items': '查看物品列表',
    'gen.signing': '正在签名 {n} 个容器…',
    'gen.waste_name_hint': '默认为名录名称的简称，印在标签上，可修改。',
    'gen.new_run': '登记新的一批',
    'gen.done_hint': '这一批已登记，表单已清空。再次登记请点击“登记新的一批”。',
    'gen.check.bad_mass_input': '净重“{text}”无效：请输入千克数，最多 3 位小数，如 185.5。',
    'gen.check.bad_count': '容器数量应为 1 到 {max} 的整数。',
    'gen.refusal.unknown_waste_code': '《国家危险废物名录》中没有废物代码“{code}”。请核对，或输入名称从建议中选择。',
    'gen.refusal.bad_waste_code_format': '废物代码应为 8 位数字，如 900-249-08。',
    'gen.refusal.bad_mass': '每个容器的净重应大于 0，且不超过 {max}。',
    'gen.refusal.bad_form': '请选择物理形态。',
    'gen.refusal.bad_hazard': '请至少勾选一种危险特性。',
    'gen.refusal.bad_volume': '容器容积应为 1 到 {max} 升的整数。',
  },
  en: {
    'gen.title': 'Register a container',
    'gen.lead': 'Each registered container gets an item code and a signed label. With a count above 1, that many identical containers are registered, ready to print in one run.',
    'gen.enterprise_only': 'Only users of a generating enterprise can register containers.',
    'gen.no_key': 'This browser holds no device key of {name} yet. Registering containers needs a device key on this device to sign with.',
    'gen.no_key_enrol': 'Ask to enrol this device on “This device”; once your administrator approves it, it signs here.',
    'gen.enrol_link': 'Enrol this device',
    'gen.device': 'Signing device (key on this device)',
    'gen.waste_code': 'Waste code',
    'gen.waste_code_hint': 'Type a code or a name, e.g. 900-249-08 or 废矿物油.',
    'gen.waste_found': '{desc}',
    'gen.waste_exempt': 'exempt in some cases ({stages}, under the conditions of the list)',
    'gen.waste_unknown': 'This code is not in the catalogue; the server will check it.',
    'gen.mass': 'Net mass per container (kg)',
    'gen.mass_hint': 'Up to 3 decimals, e.g. 185.5',
    'gen.form': 'Physical form',
    'gen.choose': 'Choose…',
    'gen.hazards': 'Hazards',
    'gen.hazards_hint': 'Pre-ticked from the catalogue; change if needed.',
    'gen.packaging': 'Packaging',
    'gen.packaging_placeholder': 'e.g. 200L钢桶 (200 L steel drum)',
    'gen.volume': 'Container volume (L)',
    'gen.components': 'Main components',
    'gen.harmful': 'Harmful components',
    'gen.precautions': 'Precautions',
    'gen.storage': 'Storage place',
    'gen.waste_name': 'Waste name',
    'gen.count': 'Number of containers',
    'gen.count_hint': '1–200 identical containers, each with its own code.',
    'gen.submit': 'Sign and register',
    'gen.results': 'Results',
    'gen.summary': '{accepted} registered, {refused} refused.',
    'gen.container': 'Container {n}',
    'gen.print': 'Print these labels',
    'gen.to_items': 'View the item list',
    'gen.signing': 'Signing {n} containers…',
    'gen.waste_name_hint': 'A short form of the catalogue\'s name by default, printed on the label; change it if needed.',
    'gen.new_run': 'Register a new run',
    'gen.done_hint': 'This run is registered and the form was cleared. To register more, press “Register a new run”.',
    'gen.check.bad_mass_input': 'Net mass “{text}” is not valid: type kilograms with at most 3 decimals, e.g. 185.5.',
    'gen.check.bad_count': 'The number of containers must be a whole number from 1 to {max}.',
    'gen.refusal.unknown_waste_code': 'The National Hazardous Waste List has no waste code “{code}”. Check it, or type a name and pick a suggestion.',
    'gen.refusal.bad_waste_code_format': 'A waste code has 8 digits, e.g. 900-249-08.',
    'gen.refusal.bad_mass': 'The net mass per container must be above 0 and at most {max}.',
    'gen.refusal.bad_form': 'Choose the physical form.',
    'gen.refusal.bad_hazard': 'Tick at least one hazard.',
    'gen.refusal.bad_volume': 'The container volume must be a whole number of litres from 1 to {max}.',
  },
});

const HAZARD_LETTERS = ['T', 'C', 'I', 'R', 'In'];
const MAX_RUN = 200;
/** The form's fields that must not be empty (checked before signing; the server checks again). */
const REQUIRED = ['waste_code', 'mass_kg', 'form', 'packaging', 'container_volume_l', 'components', 'storage_place'];

/**
 * The server's refusals of a `generate` event and the fields of this form they concern: codes
 * that always concern one field, and the event's field names (which the generic refusals
 * missing_field, field_too_long and bad_text name) with this form's names for them.
 */
const REFUSAL_FIELDS = {
  prefix: 'gen.refusal',
  codes: {
    unknown_waste_code: 'waste_code', bad_waste_code_format: 'waste_code', bad_mass: 'mass_kg',
    bad_form: 'form', bad_hazard: 'hazards', bad_volume: 'container_volume_l',
  },
  fields: {
    waste_code: 'waste_code', mass_g: 'mass_kg', form: 'form', hazards: 'hazards', packaging: 'packaging',
    container_volume_l: 'container_volume_l', components: 'components', storage_place: 'storage_place',
    waste_name: 'waste_name', harmful_components: 'harmful_components', precautions: 'precautions',
  },
  text(code, name, err) {
    const msg = err.messageEn || '';
    if (code === 'unknown_waste_code') return t('gen.refusal.unknown_waste_code', { code: /waste code (\S+)/.exec(msg)?.[1] || '' });
    if (code === 'bad_mass') return t('gen.refusal.bad_mass', { max: formatMass(/to (\d+)/.exec(msg)?.[1] || '') });
    if (code === 'bad_volume') return t('gen.refusal.bad_volume', { max: /-(\d+)/.exec(msg)?.[1] || '' });
    return null;
  },
};

function noKeyHelp(uscc) {
  return h('div', { id: 'gen-no-key', class: 'panel highlight' },
    h('p', {}, t('gen.no_key', { name: uscc })),
    h('p', {}, t('gen.no_key_enrol')),
    h('p', {}, h('a', { id: 'gen-enrol-link', class: 'button primary', href: '#/device' }, t('gen.enrol_link'))));
}

function generateForm(keys) {
  const optional = (key) => t(key) + t('common.optional');
  const hazardBox = h('fieldset', { id: 'gen-hazards' }, h('legend', {}, t('gen.hazards')),
    HAZARD_LETTERS.map((c) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'hazards', value: c, id: `gen-hazard-${c}` }),
      h('span', { class: `hazard hazard-${c}` }, c), ' ', hazardName(c))),
    h('small', { class: 'hint' }, t('gen.hazards_hint')));
  const deviceOptions = keys.map((k) => h('option', { value: k.name }, `${k.device} (${k.keyId})`));
  const form = h('form', { id: 'generate-form', class: 'stack' },
    h('p', { class: 'muted' }, t('gen.lead')),
    field({ id: 'gen-device', name: 'device', type: 'select', label: t('gen.device'), options: deviceOptions }),
    field({
      id: 'gen-waste-code', name: 'waste_code', label: t('gen.waste_code'), hint: t('gen.waste_code_hint'),
      list: 'gen-waste-code-options', autocomplete: 'off', spellcheck: 'false', class: 'mono',
    }),
    h('datalist', { id: 'gen-waste-code-options' }),
    h('p', { id: 'gen-waste-info', class: 'hint', role: 'status' }),
    h('div', { class: 'row' },
      field({ id: 'gen-mass-kg', name: 'mass_kg', label: t('gen.mass'), hint: t('gen.mass_hint'), inputmode: 'decimal', autocomplete: 'off' }),
      field({ id: 'gen-form', name: 'form', type: 'select', label: t('gen.form'), options: options('forms', '', t('gen.choose')) })),
    hazardBox,
    h('div', { class: 'row' },
      field({ id: 'gen-packaging', name: 'packaging', label: t('gen.packaging'), placeholder: t('gen.packaging_placeholder') }),
      field({ id: 'gen-volume', name: 'container_volume_l', label: t('gen.volume'), inputmode: 'numeric', autocomplete: 'off' })),
    field({ id: 'gen-components', name: 'components', label: t('gen.components') }),
    h('div', { class: 'row' },
      field({ id: 'gen-harmful', name: 'harmful_components', label: optional('gen.harmful') }),
      field({ id: 'gen-precautions', name: 'precautions', label: optional('gen.precautions') })),
    h('div', { class: 'row' },
      field({ id: 'gen-storage', name: 'storage_place', label: t('gen.storage') }),
      field({ id: 'gen-waste-name', name: 'waste_name', label: t('gen.waste_name'), hint: t('gen.waste_name_hint') })),
    field({ id: 'gen-count', name: 'count', label: t('gen.count'), hint: t('gen.count_hint'), value: 1, inputmode: 'numeric', autocomplete: 'off' }),
    h('button', { type: 'submit', id: 'gen-submit', class: 'primary' }, t('gen.submit')));
  return form;
}

/** What is wrong with the form before anything is signed, as field errors. */
function localProblems(form, v, keys) {
  const problems = [];
  const add = (name, code, text) => problems.push({ name, code, text });
  for (const name of REQUIRED) {
    const choose = form.elements.namedItem(name)?.tagName === 'SELECT';
    if (!v[name]) add(name, 'missing_field', t(choose ? 'form.missing_choice' : 'form.missing_field', { field: fieldLabel(form, name) }));
  }
  if (v.mass_kg && parseMass(v.mass_kg, 'kg') === null) add('mass_kg', 'bad_mass_input', t('gen.check.bad_mass_input', { text: v.mass_kg }));
  if (!new FormData(form).getAll('hazards').length) add('hazards', 'bad_hazard', t('gen.refusal.bad_hazard'));
  const n = /^\d+$/.test(v.count) ? Number(v.count) : NaN;
  if (!(n >= 1 && n <= MAX_RUN)) add('count', 'bad_count', t('gen.check.bad_count', { max: MAX_RUN }));
  if (!keys.some((k) => k.name === v.device)) add('device', 'no_device_key', t('err.no_device_key'));
  return problems;
}

/** A refusal in a batch answer, in the shape of an ApiError's. */
const refusalOf = (r) => ({ code: r.error?.error || 'error', messageEn: r.error?.message, messageZh: r.error?.message_zh });

async function itemNewView(ctx) {
  await ensureRefs(ctx.signal);
  if (!isEnterpriseUser()) return h('p', { id: 'gen-not-enterprise', class: 'muted' }, t('gen.enterprise_only'));
  const uscc = state.user.enterprise;
  const keys = await enterpriseKeys(uscc, ctx.signal);
  if (!keys.length) return noKeyHelp(uscc);

  const form = generateForm(keys);
  const results = h('section', { id: 'gen-results', class: 'panel', hidden: true, 'aria-live': 'polite' });
  const lookup = wasteTypeAhead(ctx, form);
  form.addEventListener('hw:restored', () => lookup.restored());
  const memo = ctx.memo; // {runs, done: {outcome, run}}: kept across a language switch

  const newRun = () => {
    memo.done = null;
    unlockForm(form);
    form.hidden = false;
    results.hidden = true;
    form.elements.waste_code.focus();
  };
  const done = (outcome, run) => {
    memo.done = { outcome, run };
    const device = form.elements.device.value;
    form.reset();
    form.elements.device.value = device;
    lookup.reset();
    clearFieldErrors(form);
    lockForm(form);
    form.hidden = true;
    renderGenResults(results, form, outcome, run, newRun);
  };

  onSubmit(form, async (v) => {
    const problems = localProblems(form, v, keys);
    if (problems.length) throw new FieldErrors(problems);
    const n = Number(v.count);
    const key = keys.find((k) => k.name === v.device);
    const code = normalizeWasteCode(v.waste_code);
    if (!v.waste_name) {
      const entry = await lookup.entry(code);
      if (entry) form.elements.waste_name.value = v.waste_name = shortWasteName(entry);
    }
    const fields = {
      waste_code: code,
      mass_g: parseMass(v.mass_kg, 'kg'),
      form: v.form,
      hazards: new FormData(form).getAll('hazards'),
      packaging: v.packaging,
      container_volume_l: wholeNumber(v.container_volume_l),
      components: v.components,
      storage_place: v.storage_place,
    };
    for (const k of ['waste_name', 'harmful_components', 'precautions']) if (v[k]) fields[k] = v[k];
    notice(t('gen.signing', { n }));
    const envelopes = [];
    for (let i = 0; i < n; i += 1) envelopes.push(await signEvent(key, { ...eventHead('generate', uscc, key), ...fields }));
    let outcome;
    if (n === 1) {
      try {
        outcome = [{ ok: true, receipt: await api.submitEvent(envelopes[0]) }];
      } catch (e) {
        // A refusal of the one container is its result; a failure to reach the server is not.
        if (!isRefusal(e)) throw e;
        outcome = [{ ok: false, error: { error: e.code, message: e.messageEn, message_zh: e.messageZh } }];
      }
    } else {
      outcome = (await api.submitEvents(envelopes)).results || [];
    }
    notice('');
    memo.runs = (memo.runs || 0) + 1;
    if (outcome.some((r) => r.ok && r.receipt?.item_code)) {
      done(outcome, memo.runs);
    } else {
      renderGenResults(results, form, outcome, memo.runs, newRun);
      const onFields = outcome.map((r) => refusalField(form, refusalOf(r), REFUSAL_FIELDS)).filter(Boolean);
      const unique = onFields.filter((e, i) => onFields.findIndex((x) => x.name === e.name) === i);
      if (unique.length) throw new FieldErrors(unique);
    }
    results.scrollIntoView({ block: 'start' });
  });

  if (memo.done) {
    // A language switch after a run: the results again, in the new words.
    lockForm(form);
    form.hidden = true;
    renderGenResults(results, form, memo.done.outcome, memo.done.run, newRun);
  }
  return h('div', { id: 'items-new' }, form, results);
}

/**
 * Catalogue type-ahead for the waste code: suggestions, the code's category and exemptions, and
 * for an exact match its hazards pre-ticked and its short name as the label's waste name
 * (unless the user wrote another). Answers {entry(code), reset(), restored()}.
 */
function wasteTypeAhead(ctx, form) {
  const input = form.elements.waste_code;
  const nameInput = form.elements.waste_name;
  const datalist = form.querySelector('#gen-waste-code-options');
  const info = form.querySelector('#gen-waste-info');
  const hazardBox = form.querySelector('#gen-hazards');
  let timer = 0;
  let inflight = null;
  let lastQuery = null;
  let applied = null; // the code whose hazards and name were filled in
  let lastAuto = null; // the waste name filled in for it
  let restoring = false; // after a language switch: keep what the user had
  let found = [];
  ctx.signal.addEventListener('abort', () => { clearTimeout(timer); inflight?.abort(); });

  const apply = (entry) => {
    const stages = exemptStages(entry.exemptions);
    info.textContent = t('gen.waste_found', { desc: `${entry.category} ${entry.category_name} · ${entry.description}` })
      + (stages ? ` · ${t('gen.waste_exempt', { stages })}` : '');
    const short = shortWasteName(entry);
    if (restoring) {
      restoring = false;
      applied = entry.code;
      if (nameInput.value === short) lastAuto = short;
      hazardBox.dataset.code = entry.code;
      return;
    }
    if (applied === entry.code) return; // keep what the user changed for this code
    applied = entry.code;
    const letters = String(entry.hazard || '').match(/In|[TCIR]/g) || [];
    for (const c of HAZARD_LETTERS) hazardBox.querySelector(`#gen-hazard-${c}`).checked = letters.includes(c);
    hazardBox.dataset.code = entry.code;
    if (!nameInput.value.trim() || nameInput.value === lastAuto) {
      nameInput.value = short;
      lastAuto = short;
    }
  };

  async function lookup() {
    clearTimeout(timer);
    const q = input.value.trim();
    if (q === lastQuery || !ctx.alive()) return;
    lastQuery = q;
    inflight?.abort();
    if (!q) {
      datalist.replaceChildren();
      info.textContent = '';
      return;
    }
    const mine = (inflight = new AbortController());
    let data;
    try {
      data = await api.catalogue(q, AbortSignal.any([mine.signal, ctx.signal]), 20);
    } catch {
      return; // a help only: the server checks the code on submission
    }
    if (inflight !== mine || !ctx.alive()) return;
    found = data?.results || [];
    datalist.replaceChildren(...found.map((r) => {
      const stages = exemptStages(r.exemptions);
      const exempt = stages ? ` · ${t('gen.waste_exempt', { stages })}` : '';
      return h('option', { value: r.code }, `${r.code} ${r.description}${exempt}`);
    }));
    const code = normalizeWasteCode(q);
    const exact = found.find((r) => r.code === code);
    if (exact) {
      if (input.value.trim() !== exact.code && document.activeElement !== input) input.value = exact.code;
      apply(exact);
    } else if (/^\d{3}-?\d{3}-?\d{2}$/.test(q)) {
      info.textContent = t('gen.waste_unknown');
    } else {
      info.textContent = '';
    }
  }
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(lookup, 150); });
  input.addEventListener('change', lookup);

  return {
    /** The catalogue entry of `code` (looked up now if the type-ahead has not), or null. */
    async entry(code) {
      return found.find((r) => r.code === code)
        || api.catalogueEntry(code, ctx.signal).catch((e) => { if (e.name === 'AbortError') throw e; return null; });
    },
    reset() {
      clearTimeout(timer);
      inflight?.abort();
      lastQuery = applied = lastAuto = null;
      found = [];
      datalist.replaceChildren();
      info.textContent = '';
      delete hazardBox.dataset.code;
    },
    restored() {
      restoring = true;
      lastQuery = null;
      lookup();
    },
  };
}

function serverMessage(err) {
  const zh = err?.message_zh;
  const en = err?.message;
  return (lang() === 'zh' ? zh || en : en || zh) || '';
}

function renderGenResults(box, form, outcome, run, newRun) {
  const codes = outcome.filter((r) => r.ok && r.receipt?.item_code).map((r) => r.receipt.item_code);
  const refused = outcome.length - codes.length;
  const items = outcome.map((r, i) => {
    const which = h('span', { class: 'muted' }, t('gen.container', { n: i + 1 }), ' ');
    if (r.ok && r.receipt?.item_code) {
      const code = r.receipt.item_code;
      return h('li', { dataset: { code } }, which, h('span', { class: 'mono item-code' }, code), ' ',
        h('a', { href: api.labelUrl(code), target: '_blank', rel: 'noopener' }, t('common.label')));
    }
    const refusal = refusalOf(r);
    const text = refusalField(form, refusal, REFUSAL_FIELDS)?.text || serverMessage(r.error);
    return h('li', { class: 'refused', dataset: { error: refusal.code } }, which, h('span', { class: 'error-message' }, text));
  });
  // Labels print in serial order (the server numbers a batch's containers in any order).
  const printable = [...codes].sort().slice(0, MAX_SHEET_LABELS);
  const again = codes.length > 0 && h('button', { type: 'button', id: 'gen-new-run' }, t('gen.new_run'));
  again && again.addEventListener('click', newRun);
  box.replaceChildren(
    h('h2', {}, t('gen.results')),
    h('p', { id: 'gen-summary' }, t('gen.summary', { accepted: codes.length, refused })),
    h('ol', { id: 'gen-result-list', class: 'gen-results' }, items),
    codes.length > 0 && h('p', { class: 'hint' }, t('gen.done_hint')),
    h('p', { class: 'actions' },
      printable.length > 0 && h('a', { id: 'gen-print', class: 'button primary', href: api.sheetUrl(printable), target: '_blank', rel: 'noopener' }, t('gen.print')),
      again,
      h('a', { id: 'gen-items-link', class: 'button', href: '#/items' }, t('gen.to_items'))));
  Object.assign(box.dataset, { run: String(run), accepted: String(codes.length), refused: String(refused) });
  box.hidden = false;
}

export const routes = [
  { name: 'items-new', pattern: '/items/new', view: itemNewView, title: 'gen.title', auth: true },
];
