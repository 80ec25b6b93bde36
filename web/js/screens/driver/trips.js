// screens/driver/trips.js: the driver's start page (#/trips): today's trips of the user's
// transporter. The driver's screens (manifests of the day, scanning, hand-over, arrival,
// the offline queue) are not built yet: until then this page says so plainly and links to
// what exists, and lists nothing it does not have.

import { t, register } from '../../core/i18n.js';
import { h, emptyState } from '../../core/dom.js';
import { state } from '../../core/state.js';
import { isDriver } from '../../core/roles.js';

register({
  zh: {
    'nav.trips': '今日行程',
    'nav.trips_short': '行程',
    'trips.title': '今日行程',
    'trips.empty_title': '这里还没有行程',
    'trips.empty_text': '今后这里将列出分配给本单位车辆的今日转移联单，驾驶员可在手机上扫描标签、接收、交接和运抵，断网时也能签名。这些功能尚未开通，因此这里暂时没有内容。',
    'trips.in_transit': '查看本单位运输中的物品',
    'trips.fleet': '本单位的车辆和驾驶员',
  },
  en: {
    'nav.trips': 'Today\'s trips',
    'nav.trips_short': 'Trips',
    'trips.title': 'Today\'s trips',
    'trips.empty_title': 'No trips here yet',
    'trips.empty_text': 'This page will list the day\'s manifests for your vehicles, where a driver scans labels, takes over, hands over and arrives on the phone, signing even without network. These functions are not available yet, so there is nothing here for now.',
    'trips.in_transit': 'Items your enterprise has in transit',
    'trips.fleet': 'Your vehicles and drivers',
  },
});

function tripsView() {
  const uscc = state.user?.enterprise;
  return h('div', { id: 'trips' },
    emptyState('trips-empty', t('trips.empty_title'), t('trips.empty_text'),
      h('p', { class: 'actions' },
        h('a', { id: 'trips-in-transit', class: 'button', href: '#/items?state=in_transit' }, t('trips.in_transit')),
        uscc && h('a', { id: 'trips-fleet', class: 'button', href: `#/enterprises/${encodeURIComponent(uscc)}/vehicles` }, t('trips.fleet')))));
}

export const routes = [
  {
    name: 'trips', pattern: '/trips', view: tripsView, title: 'trips.title', auth: true,
    nav: { label: 'nav.trips', short: 'nav.trips_short', rank: 5, main: true, show: isDriver },
  },
];
