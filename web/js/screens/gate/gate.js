// screens/gate/gate.js: the facility gate's start page (#/gate): arrivals at the user's
// treatment facility or collection point. The gate's screens (scanning a load, weighing,
// receiving or refusing, treatment, residues) are not built yet: until then this page says
// so plainly and links to what exists, and lists nothing it does not have.

import { t, register } from '../../core/i18n.js';
import { h, emptyState } from '../../core/dom.js';
import { isGate, ownFacility } from '../../core/roles.js';

register({
  zh: {
    'nav.gate': '到货接收',
    'nav.gate_short': '到货',
    'gate.title': '到货接收',
    'gate.empty_title': '这里还没有到货',
    'gate.empty_text': '今后这里将列出运抵本单位的物品和转移联单，门岗可扫描标签、录入过磅重量、接收或拒收，并记录处置和产生的残渣。这些功能尚未开通，因此这里暂时没有内容。',
    'gate.arrived': '查看已运抵的物品',
    'gate.reconciliation': '本单位处置能力核算',
  },
  en: {
    'nav.gate': 'Arrivals',
    'nav.gate_short': 'Arrivals',
    'gate.title': 'Arrivals',
    'gate.empty_title': 'No arrivals here yet',
    'gate.empty_text': 'This page will list the items and manifests arriving at your site, where the gate scans labels, enters the weighbridge reading, receives or refuses, and records treatment and its residues. These functions are not available yet, so there is nothing here for now.',
    'gate.arrived': 'Items that have arrived',
    'gate.reconciliation': 'Our capacity reconciliation',
  },
});

function gateView() {
  const uscc = ownFacility();
  return h('div', { id: 'gate' },
    emptyState('gate-empty', t('gate.empty_title'), t('gate.empty_text'),
      h('p', { class: 'actions' },
        h('a', { id: 'gate-arrived', class: 'button', href: '#/items?state=arrived' }, t('gate.arrived')),
        uscc && h('a', { id: 'gate-reconciliation', class: 'button', href: `#/facilities/${encodeURIComponent(uscc)}` }, t('gate.reconciliation')))));
}

export const routes = [
  {
    name: 'gate', pattern: '/gate', view: gateView, title: 'gate.title', auth: true,
    nav: { label: 'nav.gate', short: 'nav.gate_short', rank: 5, main: true, show: isGate },
  },
];
