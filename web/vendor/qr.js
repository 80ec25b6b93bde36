// qr.js: the browser app's QR decoder, an ES-module face on the vendored jsQR (see README.md
// in this folder for the package, version, source and licence).
//
// jsQR is published as a UMD bundle only. Imported as a module it finds neither `module` nor
// `define` and sets `self.jsQR` (a window, or a worker's global scope); this file takes it from
// there, so the rest of the app imports `decode` and never touches the global.
//
//   import { decode } from '/vendor/qr.js';
//   ctx.drawImage(video, 0, 0);
//   const text = decode(ctx.getImageData(0, 0, canvas.width, canvas.height)); // string or null

import './jsQR.js';

const jsQR = self.jsQR;
if (typeof jsQR !== 'function') {
  throw new Error('vendor/jsQR.js did not define jsQR');
}

/**
 * The text of the QR code found in `imageData` (an ImageData, or any `{data, width, height}`
 * holding RGBA bytes in a Uint8ClampedArray), or null when no code can be read.
 *
 * Labels are printed dark on light, so inverted codes are not searched for: that halves the
 * work per camera frame.
 */
export function decode(imageData) {
  const { data, width, height } = imageData;
  const found = jsQR(data, width, height, { inversionAttempts: 'dontInvert' });
  return found && found.data ? found.data : null;
}
