// core/forms.js: forms people fill in. `onSubmit` runs a form's action (the server decides;
// nothing is blocked client-side except what the action itself checks) and shows errors:
// errors about one field appear next to that field (`#<control id>-error`, with the machine
// code in data-code), the rest in #error. A form submitted with `{once: true}` locks after
// success until the screen starts a new run (`unlockForm`), so a second click cannot repeat
// it. `captureInputs`/`restoreInputs` keep what was typed across a re-render (a language
// switch). `refusalField` maps a server refusal to the field it concerns, in plain words.

import { ApiError } from './api.js';
import { t, has, register } from './i18n.js';
import { h, readForm } from './dom.js';
import { busy, notice } from './feedback.js';

register({
  zh: {
    'form.missing_field': '请填写“{field}”。',
    'form.missing_choice': '请选择“{field}”。',
    'form.field_too_long': '“{field}”太长，最多 {max} 个字。',
    'form.bad_text': '“{field}”含有不可见的控制字符，请删除后重试。',
    'form.invalid': '“{field}”填写有误，请检查。',
    'form.locked': '本次已提交。如需再次提交，请先开始新的一批。',
  },
  en: {
    'form.missing_field': 'Please fill in “{field}”.',
    'form.missing_choice': 'Please choose “{field}”.',
    'form.field_too_long': '“{field}” is too long: at most {max} characters.',
    'form.bad_text': '“{field}” contains invisible control characters; remove them and try again.',
    'form.invalid': '“{field}” is not valid; please check it.',
    'form.locked': 'This was submitted. Start a new run to submit again.',
  },
});

/** Errors that each concern one field: [{name, code, text}] (name: the control's name). */
export class FieldErrors extends Error {
  constructor(errors) {
    super(errors.map((e) => `${e.name}: ${e.text}`).join('; '));
    this.name = 'FieldErrors';
    this.errors = errors;
  }
}

/** The control(s) named `name` in `form`: one element, or the first of a group. */
function controlOf(form, name) {
  const c = form.elements.namedItem(name);
  return c instanceof RadioNodeList ? c[0] : c;
}

/** Where a field's error goes: its `.field`, or the fieldset of a group of checkboxes. */
function fieldBox(control) {
  return control?.closest('.field') || control?.closest('fieldset');
}

/** The words people read for a field: its label, without "(optional)". */
export function fieldLabel(form, name) {
  const control = controlOf(form, name);
  const box = fieldBox(control);
  const label = box?.querySelector(':scope > label, :scope > legend');
  return (label?.textContent || name).replace(t('common.optional'), '').trim();
}

export function clearFieldErrors(form) {
  for (const el of form.querySelectorAll('.field-error')) el.remove();
  for (const el of form.querySelectorAll('[data-field-invalid]')) {
    el.removeAttribute('aria-invalid');
    el.removeAttribute('data-field-invalid');
    const ids = (el.getAttribute('aria-describedby') || '').split(' ').filter((id) => id && !id.endsWith('-error'));
    if (ids.length) el.setAttribute('aria-describedby', ids.join(' '));
    else el.removeAttribute('aria-describedby');
  }
}

/** Shows each error under its field and focuses the first field in error. */
export function showFieldErrors(form, errors) {
  let first = null;
  for (const e of errors) {
    const group = form.elements.namedItem(e.name) instanceof RadioNodeList;
    const box = fieldBox(controlOf(form, e.name));
    if (!box) continue;
    // A group of checkboxes is marked as a whole, on its fieldset.
    const control = group ? box : controlOf(form, e.name);
    const id = `${control.id || `${form.id}-${e.name}`}-error`;
    box.querySelector(`#${CSS.escape(id)}`)?.remove();
    box.append(h('p', { id, class: 'field-error', role: 'alert', dataset: { code: e.code, field: e.name } }, e.text));
    control.setAttribute('aria-invalid', 'true');
    control.setAttribute('data-field-invalid', '');
    const described = (control.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
    control.setAttribute('aria-describedby', [...described, id].join(' '));
    first ??= group ? box.querySelector('input') : control;
  }
  first?.focus({ preventScroll: false });
}

/**
 * The field a server refusal concerns, as {name, code, text}, or null when it concerns the
 * whole submission. `map.codes`: refusal code → the form's field name, for codes that always
 * concern one field; `map.fields`: the server's field names (`mass_g`) → the form's, for the
 * generic codes (missing_field, field_too_long, bad_text) whose message starts with the
 * server's field name. `map.text(code, name, err)` may give the words; else `<prefix>.<code>`
 * or the generic `form.<code>` words, with the field's label.
 */
export function refusalField(form, err, map) {
  const code = err.code;
  let name = map.codes?.[code];
  if (!name) {
    const serverField = /^([a-z_]+)(?::| )/.exec(err.messageEn || '')?.[1];
    name = serverField ? map.fields?.[serverField] : null;
  }
  if (!name || !controlOf(form, name)) return null;
  const label = fieldLabel(form, name);
  const max = /(\d+)/.exec(err.messageEn || '')?.[1] || '';
  const own = map.text?.(code, name, err);
  const key = `${map.prefix}.${code}`;
  const text = own || (has(key) ? t(key, { field: label, max })
    : has(`form.${code}`) ? t(`form.${code}`, { field: label, max })
    : t('form.invalid', { field: label }));
  return { name, code, text };
}

/**
 * Submits a form through `action(values)`. Errors about fields (FieldErrors) go next to the
 * fields, the rest to #error. With `once`, a successful action locks the form.
 */
export function onSubmit(form, action, { once = false } = {}) {
  form.noValidate = true;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (form.dataset.locked === 'yes' || form.dataset.busy === 'yes') {
      if (form.dataset.locked === 'yes') notice(t('form.locked'));
      return;
    }
    const btn = form.querySelector('[type=submit]');
    if (btn) btn.disabled = true;
    form.dataset.busy = 'yes';
    notice('');
    clearFieldErrors(form);
    busy(Promise.resolve().then(() => action(readForm(form))).then((done) => {
      if (once && done !== false) lockForm(form);
    }, (e) => {
      if (!(e instanceof FieldErrors)) throw e;
      showFieldErrors(form, e.errors);
    })).finally(() => {
      delete form.dataset.busy;
      if (!btn) return;
      if (form.dataset.locked === 'yes') btn.dataset.lockedByForm = 'yes';
      else btn.disabled = false;
    });
  });
  return form;
}

/** Disables every control of the form: it was submitted and must not be sent again. */
export function lockForm(form) {
  form.dataset.locked = 'yes';
  for (const el of form.elements) {
    if (!el.disabled) {
      el.disabled = true;
      el.dataset.lockedByForm = 'yes';
    }
  }
}

/** Unlocks a locked form for a new run. */
export function unlockForm(form) {
  delete form.dataset.locked;
  for (const el of form.elements) {
    if (el.dataset.lockedByForm) {
      el.disabled = false;
      delete el.dataset.lockedByForm;
    }
  }
}

/** A button that asks once more ("confirm …") before running a destructive action. */
export function confirmButton(attrs, label, confirmLabel, action) {
  const btn = h('button', { type: 'button', class: 'danger', ...attrs }, label);
  btn.addEventListener('click', () => {
    if (btn.dataset.confirm !== 'yes') {
      btn.dataset.confirm = 'yes';
      btn.textContent = confirmLabel;
      return;
    }
    btn.disabled = true;
    busy(action()).finally(() => { btn.disabled = false; });
  });
  return btn;
}

/** Whole numbers go to the server as numbers; anything else goes as typed, for the server to refuse. */
export function wholeNumber(s) {
  const plain = s.replace(/[,\s_]/g, '');
  return /^\d+$/.test(plain) && Number.isSafeInteger(Number(plain)) ? Number(plain) : s;
}

/** Is `e` a refusal the server answered (as opposed to no answer at all)? */
export const isRefusal = (e) =>
  e instanceof ApiError && e.status !== 0 && e.status !== 401 && e.status < 500;

/**
 * What the user typed into the controls (with an id) under `root`, to put back after a
 * re-render; a control marked `data-no-restore` is left out (its value belongs to state the
 * re-render loses, like a key pair made in the page).
 */
export function captureInputs(root) {
  const saved = new Map();
  for (const el of root.querySelectorAll('input[id], select[id], textarea[id]')) {
    if (el.type === 'file' || el.readOnly || 'noRestore' in el.dataset) continue;
    saved.set(el.id, el.type === 'checkbox' || el.type === 'radio' ? { checked: el.checked } : { value: el.value });
  }
  return saved;
}

/**
 * Puts saved values back into the controls of the same ids under `root`, without firing
 * their events; each form that got values back then receives one `hw:restored` event.
 */
export function restoreInputs(root, saved) {
  const forms = new Set();
  for (const [id, v] of saved) {
    const el = root.querySelector(`#${CSS.escape(id)}`);
    if (!el) continue;
    if ('checked' in v) el.checked = v.checked;
    else if (el.tagName !== 'SELECT' || [...el.options].some((o) => o.value === v.value)) el.value = v.value;
    if (el.form) forms.add(el.form);
  }
  for (const f of forms) f.dispatchEvent(new CustomEvent('hw:restored'));
}
