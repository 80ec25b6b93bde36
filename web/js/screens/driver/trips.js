// screens/driver/trips.js: the driver's start page (#/trips): today's manifests for the vehicle
// this phone drives, built for a phone held in one hand. The driver picks the vehicle once
// (#vehicle-list; remembered on this phone, changed with #trips-change-vehicle); the page then
// lists the manifests of the day on which the driver's enterprise carries (planned today, or
// earlier and still under way): those naming this vehicle, and the relays where the
// enterprise takes over from another carrier (their vehicle is not on the manifest). Each
// card (a.trip-card[data-number]) says what waits for this carrier (to accept, to hand over,
// to declare at the gate) and opens the trip (screens/driver/trip.js). The answer, every item
// with its label, is what the phone uses with no network (the service worker keeps it).

import * as api from '../../core/api.js';
import { t, register, formatTime, formatMass } from '../../core/i18n.js';
import { h, emptyState } from '../../core/dom.js';
import { state } from '../../core/state.js';
import { isDriver } from '../../core/roles.js';
import { go } from '../../core/router.js';
import { keepOffline } from '../../core/pwa.js';
import * as queue from '../../core/queue.js';
import {
  chosenVehicle, chooseVehicle, loadTrips, tripsQuery, localView, stepCounts, samePlate, legOf,
} from './custody.js';

register({
  zh: {
    'nav.trips': '今日行程',
    'nav.trips_short': '行程',
    'trips.title': '今日行程',
    'trips.no_enterprise': '只有运输单位的用户有行程。',
    'trips.pick_vehicle': '请选择您驾驶的车辆',
    'trips.pick_vehicle_hint': '只需选择一次，本机会记住。以后可以随时更换。',
    'trips.no_vehicles': '本单位还没有登记车辆，请联系企业管理员。',
    'trips.vehicle': '车辆',
    'trips.change_vehicle': '更换车辆',
    'trips.as_of': '数据时间 {time}',
    'trips.offline_data': '离线：显示本机保存的数据',
    'trips.mine': '本车联单',
    'trips.relay': '接力运输（从其他承运单位接手）',
    'trips.others': '本单位其他车辆的联单（{n} 张）',
    'trips.none_title': '今天没有本车的联单',
    'trips.none_text': '产废单位开具联单并指定本车后，联单会出现在这里。',
    'trips.to': '运往 {name}',
    'trips.items': '{n} 件 · {mass}',
    'trips.leg': '第 {order} 程 / 共 {legs} 程',
    'trips.planned': '计划 {date}',
    'trips.step.accept': '待接收 {n}',
    'trips.step.hand_over': '待交接 {n}',
    'trips.step.arrive': '待运抵 {n}',
    'trips.step.wait_release': '待交出 {n}',
    'trips.step.done': '已完成',
    'trips.pending': '{n} 个事件待发送',
  },
  en: {
    'nav.trips': 'Today\'s trips',
    'nav.trips_short': 'Trips',
    'trips.title': 'Today\'s trips',
    'trips.no_enterprise': 'Only users of a transporter have trips.',
    'trips.pick_vehicle': 'Choose the vehicle you drive',
    'trips.pick_vehicle_hint': 'Chosen once, remembered on this phone. You can change it at any time.',
    'trips.no_vehicles': 'Your enterprise has no vehicle registered yet; ask its administrator.',
    'trips.vehicle': 'Vehicle',
    'trips.change_vehicle': 'Change vehicle',
    'trips.as_of': 'Data as of {time}',
    'trips.offline_data': 'Offline: showing the data kept on this phone',
    'trips.mine': 'This vehicle\'s manifests',
    'trips.relay': 'Relays (taking over from another carrier)',
    'trips.others': 'Manifests of your other vehicles ({n})',
    'trips.none_title': 'No manifest for this vehicle today',
    'trips.none_text': 'When a generator opens a manifest naming this vehicle, it shows here.',
    'trips.to': 'To {name}',
    'trips.items': '{n} items · {mass}',
    'trips.leg': 'Leg {order} of {legs}',
    'trips.planned': 'Planned {date}',
    'trips.step.accept': '{n} to accept',
    'trips.step.hand_over': '{n} to hand over',
    'trips.step.arrive': '{n} to deliver',
    'trips.step.wait_release': '{n} not released yet',
    'trips.step.done': 'Done',
    'trips.pending': '{n} events to send',
  },
});

const CARD_STEPS = ['accept', 'hand_over', 'arrive', 'wait_release'];

function vehiclePicker(uscc, vehicles) {
  if (!vehicles.length) return emptyState('trips-no-vehicles', t('trips.pick_vehicle'), t('trips.no_vehicles'));
  return h('section', { id: 'vehicle-pick', class: 'panel' },
    h('h2', {}, t('trips.pick_vehicle')),
    h('p', { class: 'hint' }, t('trips.pick_vehicle_hint')),
    h('div', { id: 'vehicle-list', class: 'big-choices' }, vehicles.map((v) => h('button', {
      type: 'button', class: 'big choice', dataset: { plate: v.plate },
      onclick: () => {
        chooseVehicle(uscc, v.plate);
        go('#/trips');
      },
    }, h('span', { class: 'plate' }, v.plate)))));
}

function tripCard(m, me) {
  const counts = stepCounts(m);
  const leg = legOf(m, me);
  const pending = m.items.reduce((n, it) => n + it.pending, 0);
  const mass = m.items.reduce((g, it) => g + (it.mass_g || 0), 0);
  const chips = CARD_STEPS.filter((s) => counts[s]).map((s) =>
    h('span', { class: `chip step-${s}`, dataset: { step: s, count: String(counts[s]) } }, t(`trips.step.${s}`, { n: counts[s] })));
  return h('li', {},
    h('a', { class: 'trip-card', href: `#/trips/${encodeURIComponent(m.number)}`, dataset: { number: m.number, state: m.state } },
      h('span', { class: 'trip-head' },
        h('span', { class: 'mono trip-no' }, m.number),
        leg && m.legs.length > 1 ? h('span', { class: 'badge' }, t('trips.leg', { order: leg.order, legs: m.legs.length })) : null),
      h('strong', { class: 'trip-to' }, t('trips.to', { name: m.receiver_name })),
      h('span', { class: 'muted' }, t('trips.items', { n: m.items.length, mass: formatMass(mass) }), ' · ',
        t('trips.planned', { date: m.planned_date }), ' · ', h('span', { class: 'plate' }, m.vehicle_plate)),
      h('span', { class: 'chips' }, chips.length ? chips : h('span', { class: 'chip static' }, t('trips.step.done'))),
      pending ? h('span', { class: 'warn-text small' }, t('trips.pending', { n: pending })) : null));
}

async function tripsView(ctx) {
  const uscc = state.user?.enterprise;
  if (!uscc || !isDriver()) return emptyState('trips-empty', t('trips.title'), t('trips.no_enterprise'));
  const plate = chosenVehicle(uscc);
  if (!plate) {
    const vehicles = (await api.listOf(uscc, 'vehicles', ctx.signal)).vehicles || [];
    keepOffline(() => api.listOf(uscc, 'vehicles'));
    return h('div', { id: 'trips' }, vehiclePicker(uscc, vehicles));
  }
  const [list, records] = await Promise.all([loadTrips(uscc, ctx.signal), queue.list()]);
  keepOffline(() => api.manifests(tripsQuery(uscc)));
  const trips = list.manifests.map((m) => localView(m, records, list.fetchedAt, uscc));
  const mine = trips.filter((m) => samePlate(m.vehicle_plate, plate) && m.legs[0]?.transporter === uscc);
  const relays = trips.filter((m) => m.legs[0]?.transporter !== uscc);
  const others = trips.filter((m) => !mine.includes(m) && !relays.includes(m));
  const cards = (id, ms) => h('ul', { id, class: 'trip-list' }, ms.map((m) => tripCard(m, uscc)));
  return h('div', { id: 'trips', dataset: { plate } },
    h('div', { class: 'toolbar trips-bar' },
      h('span', {}, t('trips.vehicle'), ' ', h('strong', { id: 'trips-plate', class: 'plate' }, plate)),
      h('button', {
        type: 'button', id: 'trips-change-vehicle', class: 'small-button',
        onclick: () => {
          chooseVehicle(uscc, null);
          go('#/trips');
        },
      }, t('trips.change_vehicle'))),
    h('p', { id: 'trips-as-of', class: 'hint' }, t('trips.as_of', { time: formatTime(list.as_of) }),
      navigator.onLine ? null : [' · ', h('strong', { class: 'warn-text' }, t('trips.offline_data'))]),
    mine.length ? h('section', {}, h('h2', {}, t('trips.mine')), cards('trip-list', mine))
      : emptyState('trips-none', t('trips.none_title'), t('trips.none_text')),
    relays.length ? h('section', {}, h('h2', {}, t('trips.relay')), cards('trip-relays', relays)) : null,
    others.length ? h('details', { id: 'trip-others' }, h('summary', {}, t('trips.others', { n: others.length })),
      cards('trip-other-list', others)) : null);
}

export const routes = [
  {
    name: 'trips', pattern: '/trips', view: tripsView, title: 'trips.title', auth: true,
    nav: { label: 'nav.trips', short: 'nav.trips_short', rank: 5, main: true, show: isDriver },
  },
];
