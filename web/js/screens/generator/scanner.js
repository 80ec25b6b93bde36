// screens/generator/scanner.js: reading labels at a PC: a USB scanner in keyboard mode types
// the QR text and presses Enter into a focused input, or a person types the 37-character item
// code. `parseScan` takes either (the QR text `<BASE>/Q/<b32>`, the bare b32, or an item code)
// and answers the item code and, for a QR text, the label's 124 bytes (SPEC §3), so a screen
// can compare them with the label the server signed for that item: a label that differs is not
// that item's label.

import { t, register } from '../../core/i18n.js';
import { h } from '../../core/dom.js';
import { b64ToBytes } from '../../core/bytes.js';
import { ITEM_CODE_RE, parseScan as readScan, readPayload } from '../../core/labels.js';

register({
  zh: {
    'scan.label': '扫描标签或输入物品编码',
    'scan.hint': '用扫码枪扫描标签（扫码后自动回车），或输入 37 位物品编码后按回车。',
    'scan.add': '确定',
  },
  en: {
    'scan.label': 'Scan a label or type an item code',
    'scan.hint': 'Scan the label with the USB scanner (it presses Enter), or type the 37-character item code and press Enter.',
    'scan.add': 'Add',
  },
});

/**
 * What a scan or a typed text names: {code, label} (label: the 124 bytes of a QR text, or
 * null for a typed code), or null when it is neither (core/labels.js reads it).
 */
export function parseScan(raw) {
  const scan = readScan(raw);
  if (scan.kind === 'code') return { code: scan.code, label: null };
  if (scan.kind !== 'label') return null;
  const { code } = readPayload(scan.bytes);
  if (!ITEM_CODE_RE.test(code)) return null;
  return { code, label: scan.bytes };
}

/** Whether `label` (124 bytes) is exactly the label the server signed (`label_b64`). */
export function sameLabel(label, labelB64) {
  if (!label || !labelB64) return false;
  const signed = b64ToBytes(labelB64);
  return signed.length === label.length && signed.every((b, i) => b === label[i]);
}

/** The declared mass a label's payload states, in grams (u64be at offset 42). */
export function labelMass(label) {
  return readPayload(label).massG;
}

/**
 * An input for a keyboard-wedge scanner or typing: Enter (or the button) hands the text to
 * `onScan` and clears the input, which keeps the focus for the next scan.
 */
export function scanInput({ id, onScan }) {
  const input = h('input', {
    id, type: 'text', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false',
    class: 'mono scan-input', enterkeyhint: 'done', 'aria-describedby': `${id}-hint`, 'data-no-restore': '',
  });
  const take = () => {
    const text = input.value.trim();
    input.value = '';
    input.focus();
    if (text) onScan(text);
  };
  input.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter') return;
    ev.preventDefault();
    take();
  });
  const button = h('button', { type: 'button', id: `${id}-add` }, t('scan.add'));
  button.addEventListener('click', take);
  return h('div', { class: 'field scan-field' },
    h('label', { for: id }, t('scan.label')),
    h('div', { class: 'scan-row' }, input, button),
    h('small', { id: `${id}-hint`, class: 'hint' }, t('scan.hint')));
}
