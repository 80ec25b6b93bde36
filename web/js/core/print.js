// core/print.js: printing a page of the server (a label sheet, the 转移联单) without leaving
// the screen: the page loads in a hidden frame, which prints itself once loaded. The browser's
// print dialog then shows that page alone, sized by its own print CSS (@page).

import { h } from './dom.js';

/** Prints the same-origin page at `url` from a hidden frame (one at a time); resolves once asked. */
export function printUrl(url, title = '') {
  document.querySelector('#print-frame')?.remove();
  const frame = h('iframe', { id: 'print-frame', src: url, title, class: 'print-frame', 'aria-hidden': 'true', tabindex: '-1' });
  return new Promise((resolve, reject) => {
    frame.addEventListener('load', () => {
      try {
        frame.contentWindow.print();
        resolve();
      } catch (e) {
        reject(e);
      }
    }, { once: true });
    document.body.append(frame);
  });
}
