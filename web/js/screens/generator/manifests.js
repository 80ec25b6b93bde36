// screens/generator/manifests.js: the manifests (#/manifests), newest first, filtered by state
// and the enterprise's role on them, each with its issuer, receiver, carriers, vehicle, driver,
// planned day, items and state, linking to the manifest's page; and the way to open a new one
// (#/manifests/new, manifest-form.js). A generator's user sees what its enterprise issued by
// default; other enterprise users their enterprise's manifests in any role; a regulator its
// district's and an administrator all (`?party=<USCC>` narrows to one enterprise).

import { t, register, formatMass } from '../../core/i18n.js';
import { h, field, readForm } from '../../core/dom.js';
import { go } from '../../core/router.js';
import { ensureRefs, state as appState } from '../../core/state.js';
import { busy } from '../../core/feedback.js';
import { canOversee, isEnterpriseUser, isGenerator } from '../../core/roles.js';
import { manifestStateName, refCodes } from '../../core/names.js';
import { manifestLink } from '../../core/links.js';
import * as records from '../../core/records.js';
import { epcisPanel } from '../oversight/records.js';

register({
  zh: {
    'nav.manifests': '转移联单',
    'nav.manifests_short': '联单',
    'mfl.title': '转移联单',
    'mfl.new': '开立联单',
    'mfl.state': '联单状态',
    'mfl.number': '联单编号',
    'mfl.receiver': '接收单位',
    'mfl.carriers': '运输单位',
    'mfl.vehicle': '车辆和驾驶员',
    'mfl.planned': '计划转移日期',
    'mfl.items': '物品',
    'mfl.items_n': '{n} 件，{mass}',
    'mfl.none': '没有符合条件的联单',
    'mfl.more': '更多',
    'mfl.shown': '显示 {n} 张',
    'mfl.issuer': '移出单位',
    'mfl.role': '本单位角色',
    'mfl.role.issuer': '移出（开立）',
    'mfl.role.carrier': '运输',
    'mfl.role.receiver': '接收',
  },
  en: {
    'nav.manifests': 'Manifests',
    'nav.manifests_short': 'Manifests',
    'mfl.title': 'Transfer manifests',
    'mfl.new': 'Open a manifest',
    'mfl.state': 'Manifest state',
    'mfl.number': 'Manifest number',
    'mfl.receiver': 'Receiver',
    'mfl.carriers': 'Transporters',
    'mfl.vehicle': 'Vehicle and driver',
    'mfl.planned': 'Planned date',
    'mfl.items': 'Items',
    'mfl.items_n': '{n} items, {mass}',
    'mfl.none': 'No matching manifests',
    'mfl.more': 'More',
    'mfl.shown': '{n} shown',
    'mfl.issuer': 'Issuer',
    'mfl.role': 'Our role',
    'mfl.role.issuer': 'issuer',
    'mfl.role.carrier': 'carrier',
    'mfl.role.receiver': 'receiver',
  },
});

const PAGE = 50;

/** A manifest's state as a badge; the code stays in data-state. */
export const manifestStateBadge = (code) =>
  h('span', { class: `badge state ${code === 'cancelled' ? 'warn' : 'ok'}`, dataset: { state: code } }, manifestStateName(code));

/** The carriers of a manifest line, in carrying order. */
export const carriersText = (m) => m.legs.map((l) => l.transporter_name || l.transporter).join(' → ');

export const driverText = (m) => [m.vehicle_plate, m.driver_name].filter(Boolean).join(' · ');

function row(m) {
  const cells = [
    ['mfl.number', manifestLink(m.number)],
    ['mfl.issuer', m.issuer_name || m.issuer],
    ['mfl.receiver', m.receiver_name || m.receiver],
    ['mfl.carriers', carriersText(m)],
    ['mfl.vehicle', h('span', { class: 'plate' }, driverText(m))],
    ['mfl.planned', m.planned_date],
    ['mfl.items', h('span', { class: 'num' }, t('mfl.items_n', { n: m.items_count, mass: formatMass(m.declared_g) }))],
    ['mfl.state', manifestStateBadge(m.state)],
  ];
  return h('tr', { dataset: { number: m.number, state: m.state, seq: m.created_seq } },
    cells.map(([key, c]) => h('td', { 'data-label': t(key) }, h('div', { class: 'cell' }, c))));
}

const ROLES = ['issuer', 'carrier', 'receiver'];

/** The role asked for by default: a generator's user looks at what it issued. */
const defaultRole = () => (isGenerator() ? 'issuer' : '');

function stateFilter(current, role, party) {
  const form = h('form', { id: 'manifests-filter', role: 'search', class: 'filters items-filters' },
    field({
      id: 'manifests-state', name: 'state', type: 'select', label: t('mfl.state'),
      options: [h('option', { value: '' }, t('common.all')),
        ...refCodes('manifest_states').map((s) => h('option', { value: s, selected: s === current }, manifestStateName(s)))],
    }),
    (isEnterpriseUser() || party) && field({
      id: 'manifests-role', name: 'role', type: 'select', label: t('mfl.role'),
      options: [h('option', { value: 'any', selected: !role }, t('common.all')),
        ...ROLES.map((r) => h('option', { value: r, selected: r === role }, t(`mfl.role.${r}`)))],
    }));
  const apply = () => {
    const { state, role: picked } = readForm(form);
    const q = new URLSearchParams(Object.entries({ state, role: picked, party }).filter(([, v]) => v)).toString();
    go(q ? `#/manifests?${q}` : '#/manifests');
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); apply(); });
  form.addEventListener('change', apply);
  return form;
}

async function manifestsView(ctx) {
  await ensureRefs(ctx.signal);
  const state = ctx.query.get('state') || '';
  const party = ctx.query.get('party') || '';
  const asked = ctx.query.get('role');
  const role = asked === 'any' ? '' : asked || (party ? '' : defaultRole());
  const filters = Object.fromEntries(Object.entries({ role, state, party, limit: PAGE }).filter(([, v]) => v));
  const { manifests } = await records.manifests(filters, ctx.signal);
  const shown = [];
  const tbody = h('tbody', {});
  const count = h('span', { id: 'manifests-count', class: 'muted', role: 'status' });
  const more = h('button', { type: 'button', id: 'manifests-more' }, t('mfl.more'));
  const add = (list) => {
    if (!shown.length) tbody.replaceChildren();
    for (const m of list) {
      shown.push(m);
      tbody.append(row(m));
    }
    if (!shown.length) tbody.replaceChildren(h('tr', { class: 'empty' }, h('td', { colspan: 8 }, t('mfl.none'))));
    more.hidden = list.length < PAGE;
    count.textContent = t('mfl.shown', { n: shown.length });
  };
  more.addEventListener('click', () => {
    more.disabled = true;
    const before = Math.min(...shown.map((m) => m.created_seq));
    busy(records.manifests({ ...filters, before }, ctx.signal).then((next) => add(next.manifests)))
      .finally(() => { more.disabled = false; });
  });
  add(manifests);
  const head = h('thead', {}, h('tr', {}, ['mfl.number', 'mfl.issuer', 'mfl.receiver', 'mfl.carriers', 'mfl.vehicle', 'mfl.planned',
    'mfl.items', 'mfl.state'].map((k) => h('th', { scope: 'col' }, t(k)))));
  return h('div', { id: 'manifests' },
    isEnterpriseUser() && h('p', { class: 'actions' },
      h('a', { id: 'manifests-new-link', class: 'button primary', href: '#/manifests/new' }, t('mfl.new'))),
    stateFilter(state, role, party),
    h('div', { class: 'toolbar' }, count),
    h('div', { class: 'table-wrap' }, h('table', { id: 'manifest-list' }, head, tbody)),
    h('p', { class: 'actions' }, more),
    canOversee() && epcisPanel());
}

export const routes = [
  {
    name: 'manifests', pattern: '/manifests', view: manifestsView, title: 'mfl.title', auth: true,
    allow: () => !!appState.user,
    nav: {
      label: 'nav.manifests', short: 'nav.manifests_short', rank: 32, main: true,
      show: () => isEnterpriseUser() || canOversee(),
      also: ['manifest', 'manifest-new'],
    },
  },
];
