// core/scan.js: a scanner for the field screens (the driver's trip, the gate): three ways in,
// one callback out. `scanner({onScan, signal})` answers a panel with
//   - the camera (#scan-camera): the phone's back camera in a <video>; each frame is read by
//     BarcodeDetector where the browser has one that reads QR codes, else by the vendored
//     decoder (vendor/qr.js, jsQR, loaded on first use). It keeps reading until stopped
//     (#scan-camera-stop, leaving the page, or the app going to the background), reporting
//     each new text once;
//   - a keyboard-wedge scanner: it types the label's text into the focused field
//     (#scan-input) and presses Enter;
//   - the item code typed by hand into the same field (37 characters), then Enter or
//     #scan-submit.
// `onScan(text, source)` gets the raw text and `camera` or `keyboard`; what the text is, and
// whether the label is genuine, is core/labels.js's business. The panel's parts (`controls`,
// `frame`, `form`) are for the screen to place, or all of them at once with `node()`.

import { t, register } from './i18n.js';
import { h } from './dom.js';

register({
  zh: {
    'scan.camera': '相机扫码',
    'scan.camera_stop': '关闭相机',
    'scan.camera_starting': '正在打开相机…',
    'scan.camera_on': '请将标签上的二维码对准取景框',
    'scan.camera_denied': '未获得相机权限。请在浏览器设置中允许使用相机，或用扫码枪、手工输入。',
    'scan.camera_missing': '没有找到可用的相机，请用扫码枪或手工输入。',
    'scan.camera_failed': '相机无法打开：{msg}',
    'scan.input': '扫码枪扫描或输入 37 位物品编码',
    'scan.input_hint': '扫码枪扫描时请先点这里；手工输入编码后按“确定”。',
    'scan.submit': '确定',
  },
  en: {
    'scan.camera': 'Scan with the camera',
    'scan.camera_stop': 'Close the camera',
    'scan.camera_starting': 'Opening the camera…',
    'scan.camera_on': 'Point the camera at the label\'s QR code',
    'scan.camera_denied': 'The camera was not allowed. Allow it in the browser\'s settings, or use a scanner or type the code.',
    'scan.camera_missing': 'No camera found. Use a scanner or type the code.',
    'scan.camera_failed': 'The camera could not be opened: {msg}',
    'scan.input': 'Scan with a scanner, or type the 37-character item code',
    'scan.input_hint': 'Tap here before scanning with a scanner; after typing a code press OK.',
    'scan.submit': 'OK',
  },
});

/** Pause between two frames read from the camera. */
const FRAME_MS = 120;
/** Widest picture handed to the decoder (a smaller one reads as well and faster). */
const MAX_DECODE_WIDTH = 800;
/** The same text seen again within this time is the same scan. */
const REPEAT_MS = 4000;

/** A BarcodeDetector that reads QR codes, or null. */
async function qrDetector() {
  if (typeof globalThis.BarcodeDetector !== 'function') return null;
  try {
    const formats = await globalThis.BarcodeDetector.getSupportedFormats();
    return formats.includes('qr_code') ? new globalThis.BarcodeDetector({ formats: ['qr_code'] }) : null;
  } catch {
    return null;
  }
}

/** The scanner panel; `onScan(text, source)`; it stops its camera when `signal` aborts. */
export function scanner({ onScan, signal }) {
  const video = h('video', { id: 'scan-video', playsinline: true, muted: true, autoplay: true });
  video.muted = true;
  const status = h('p', { id: 'scan-camera-status', class: 'scan-status', role: 'status' });
  const frame = h('div', { id: 'scan-frame', class: 'scan-frame', hidden: true }, video, h('div', { class: 'scan-aim' }));
  const startBtn = h('button', { type: 'button', id: 'scan-camera', class: 'primary big' }, t('scan.camera'));
  const stopBtn = h('button', { type: 'button', id: 'scan-camera-stop', class: 'big', hidden: true }, t('scan.camera_stop'));
  const input = h('input', {
    id: 'scan-input', name: 'scan', type: 'text', autocomplete: 'off', autocapitalize: 'characters',
    spellcheck: 'false', enterkeyhint: 'done', 'aria-describedby': 'scan-input-hint', class: 'mono',
  });
  const form = h('form', { id: 'scan-form', class: 'scan-form' },
    h('label', { for: 'scan-input' }, t('scan.input')),
    h('div', { class: 'scan-row' }, input, h('button', { type: 'submit', id: 'scan-submit' }, t('scan.submit'))),
    h('small', { id: 'scan-input-hint', class: 'hint' }, t('scan.input_hint')));

  let stream = null;
  let timer = null;
  let last = { text: null, at: 0 };

  const report = (text, source) => {
    const now = Date.now();
    if (source === 'camera' && text === last.text && now - last.at < REPEAT_MS) return;
    last = { text, at: now };
    navigator.vibrate?.(60);
    onScan(text, source);
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    input.value = '';
    if (text) report(text, 'keyboard');
  });

  function stop() {
    clearTimeout(timer);
    timer = null;
    stream?.getTracks().forEach((tr) => tr.stop());
    stream = null;
    video.srcObject = null;
    frame.hidden = true;
    stopBtn.hidden = true;
    startBtn.hidden = false;
    status.textContent = '';
  }

  async function start() {
    if (stream) return;
    status.textContent = t('scan.camera_starting');
    startBtn.hidden = true;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
    } catch (e) {
      stop();
      status.textContent = e?.name === 'NotAllowedError' ? t('scan.camera_denied')
        : e?.name === 'NotFoundError' ? t('scan.camera_missing')
          : t('scan.camera_failed', { msg: e?.message || String(e) });
      status.dataset.state = 'failed';
      return;
    }
    if (signal?.aborted) return stop();
    frame.hidden = false;
    stopBtn.hidden = false;
    status.textContent = t('scan.camera_on');
    status.dataset.state = 'on';
    video.srcObject = stream;
    await video.play().catch(() => null);
    const detector = await qrDetector();
    const decode = detector ? null : (await import('../../vendor/qr.js')).decode;
    frame.dataset.decoder = detector ? 'barcode-detector' : 'jsqr';
    const canvas = document.createElement('canvas');
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    const tick = async () => {
      if (!stream) return;
      let text = null;
      try {
        if (video.readyState >= 2 && video.videoWidth) {
          if (detector) {
            text = (await detector.detect(video))[0]?.rawValue || null;
          } else {
            const scale = Math.min(1, MAX_DECODE_WIDTH / video.videoWidth);
            canvas.width = Math.round(video.videoWidth * scale);
            canvas.height = Math.round(video.videoHeight * scale);
            ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
            text = decode(ctx.getImageData(0, 0, canvas.width, canvas.height));
          }
        }
      } catch {
        text = null;
      }
      if (!stream) return;
      if (text) report(text, 'camera');
      timer = setTimeout(tick, FRAME_MS);
    };
    tick();
  }

  startBtn.addEventListener('click', start);
  stopBtn.addEventListener('click', stop);
  signal?.addEventListener('abort', stop);
  const onHidden = () => {
    if (document.visibilityState === 'hidden') stop();
  };
  document.addEventListener('visibilitychange', onHidden);
  signal?.addEventListener('abort', () => document.removeEventListener('visibilitychange', onHidden));

  // The parts, for a screen to place (a scan's result between the buttons and the picture,
  // say), and all of them in one panel.
  const controls = h('div', { id: 'scanner', class: 'scanner' }, h('div', { class: 'scan-buttons' }, startBtn, stopBtn), status);
  return {
    controls, frame, form, stop,
    node: () => h('div', { class: 'scanner-all' }, controls, frame, form),
    focusInput: () => input.focus(),
  };
}
