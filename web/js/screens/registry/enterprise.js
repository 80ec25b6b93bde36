// screens/registry/enterprise.js: one enterprise (#/enterprises/<uscc>/<tab>): its summary and
// tabs for its permits, vehicles, drivers and devices (screens/registry/devices.js), with the
// forms to add them for those who may.

import * as api from '../../core/api.js';
import { t, lang, register, pick, formatInt, todayCst } from '../../core/i18n.js';
import { h, field, labelled, colon, options, section, submitButton, dataTable, time } from '../../core/dom.js';
import { created, setTitle } from '../../core/router.js';
import { state, ensureRefs } from '../../core/state.js';
import { showError } from '../../core/feedback.js';
import { onSubmit, wholeNumber } from '../../core/forms.js';
import { canWrite } from '../../core/roles.js';
import { districtName, methodName, permitKindName, vehicleTypeName } from '../../core/names.js';
import { localKeyNames } from '../../core/keys.js';
import { roleChips } from './enterprises.js';
import { devicesPanel } from './devices.js';
import { recordsPanel } from '../oversight/records.js';

register({
  zh: {
    'tab.label': '企业资料',
    'tab.permits': '许可证',
    'tab.vehicles': '车辆',
    'tab.drivers': '驾驶员',
    'tab.devices': '设备',
    'permit.number': '许可证编号',
    'permit.valid': '有效期',
    'permit.valid_from': '起始日期',
    'permit.valid_until': '截止日期',
    'permit.expired': '已过期',
    'permit.waste_codes': '核准废物代码',
    'permit.waste_codes_hint': '用逗号或空格分隔，如 HW08, 900-249-08',
    'permit.capacities': '核准经营规模（吨）',
    'permit.capacity_value': '{n} 吨/年',
    'permit.capacity_day_value': '{n} 吨/日',
    'permit.kind': '许可证类别',
    'permit.collection': '年收集能力（吨/年）',
    'permit.capacity_per': '经营规模单位',
    'permit.per_year': '吨/年',
    'permit.per_day': '吨/日',
    'permit.landfill': '填埋库容（立方米）',
    'permit.landfill_value': '{n} 立方米',
    'permit.integer_hint': '整数',
    'permit.add': '添加许可证',
    'vehicle.plate': '车牌号',
    'vehicle.type': '车辆类型',
    'vehicle.add': '添加车辆',
    'driver.name': '姓名',
    'driver.licence': '驾驶证号',
    'driver.phone': '电话',
    'driver.add': '添加驾驶员',
  },
  en: {
    'tab.label': 'Enterprise records',
    'tab.permits': 'Permits',
    'tab.vehicles': 'Vehicles',
    'tab.drivers': 'Drivers',
    'tab.devices': 'Devices',
    'permit.number': 'Permit number',
    'permit.valid': 'Valid',
    'permit.valid_from': 'Valid from',
    'permit.valid_until': 'Valid until',
    'permit.expired': 'Expired',
    'permit.waste_codes': 'Licensed waste codes',
    'permit.waste_codes_hint': 'Separated by commas or spaces, e.g. HW08, 900-249-08',
    'permit.capacities': 'Licensed capacity (t)',
    'permit.capacity_value': '{n} t/year',
    'permit.capacity_day_value': '{n} t/day',
    'permit.kind': 'Permit kind',
    'permit.collection': 'Collection capacity (t/year)',
    'permit.capacity_per': 'Capacity unit',
    'permit.per_year': 't/year',
    'permit.per_day': 't/day',
    'permit.landfill': 'Landfill volume (m³)',
    'permit.landfill_value': '{n} m³',
    'permit.integer_hint': 'whole number',
    'permit.add': 'Add a permit',
    'vehicle.plate': 'Plate',
    'vehicle.type': 'Vehicle type',
    'vehicle.add': 'Add a vehicle',
    'driver.name': 'Name',
    'driver.licence': 'Licence number',
    'driver.phone': 'Phone',
    'driver.add': 'Add a driver',
  },
});

const TABS = ['permits', 'vehicles', 'drivers', 'devices'];

async function enterpriseView(ctx) {
  await ensureRefs(ctx.signal);
  const { uscc, tab = 'permits' } = ctx.args;
  let listError = null; // a refused list still leaves the enterprise itself on screen
  const [ent, data, localKeys] = await Promise.all([
    api.enterprise(uscc, ctx.signal),
    api.listOf(uscc, tab, ctx.signal).catch((e) => {
      if (e.name === 'AbortError' || e.status === 401) throw e;
      listError = e;
      return null;
    }),
    tab === 'devices' ? localKeyNames() : [],
  ]);
  setTitle(pick(ent));
  if (listError) showError(listError);
  const items = data?.[tab] || [];
  const panels = { permits: permitsPanel, vehicles: vehiclesPanel, drivers: driversPanel, devices: devicesPanel };
  return h('div', { id: 'enterprise-detail', dataset: { uscc: ent.uscc, tab } },
    enterpriseSummary(ent),
    recordsPanel(ent.uscc),
    enterpriseTabs(ent.uscc, tab),
    h('section', { id: `panel-${tab}`, 'aria-labelledby': `tab-${tab}`, class: 'tabpanel' },
      listError ? null : panels[tab](ent.uscc, items, new Set(localKeys))));
}

function enterpriseSummary(e) {
  const row = (label, value) => [h('dt', {}, label), h('dd', {}, value)];
  return h('dl', { id: 'enterprise-summary', class: 'summary' },
    e.name_en && lang() === 'zh' ? row(t('ent.name_en'), e.name_en) : null,
    lang() === 'en' && e.name_en ? row(t('ent.name_zh'), e.name_zh) : null,
    row(t('ent.uscc'), h('span', { class: 'mono', id: 'enterprise-uscc' }, e.uscc)),
    row(t('ent.roles'), roleChips(e.roles)),
    row(t('ent.district'), districtName(e.district)),
    row(t('ent.province'), h('span', { id: 'enterprise-province', dataset: { province: e.province, county: e.county } },
      e.province_name, ' · ', h('span', { class: 'mono' }, e.county), ' ',
      e.county_name || e.prefecture_name || t('ent.county_unknown'))),
    row(t('ent.address'), e.address),
    row(t('ent.contact'), [e.contact_name, ' ', e.contact_phone]),
    row(t('common.created_at'), time(e.created_at)));
}

function enterpriseTabs(uscc, active) {
  return h('nav', { class: 'tabs', 'aria-label': t('tab.label') },
    TABS.map((tab) => h('a', {
      id: `tab-${tab}`, href: `#/enterprises/${encodeURIComponent(uscc)}/${tab}`,
      'aria-current': tab === active ? 'page' : null, dataset: { tab },
    }, t(`tab.${tab}`))));
}

function permitsPanel(uscc, permits) {
  const list = h('div', { id: 'permit-list', class: 'cards-list' },
    permits.length ? permits.map(permitCard) : h('p', { class: 'empty' }, t('common.empty')));
  return h('div', {}, list, canWrite('permits', uscc) && section(t('permit.add'), permitForm(uscc)));
}

function permitCard(p) {
  const expired = p.valid_until < todayCst();
  return h('article', { class: 'card permit', dataset: { number: p.number, kind: p.kind } },
    h('h3', {}, h('span', { class: 'mono' }, p.number), ' ', h('span', { class: 'badge' }, permitKindName(p.kind)),
      expired && h('span', { class: 'badge warn' }, t('permit.expired'))),
    h('p', {}, labelled('permit.valid'), p.valid_from, ' – ', p.valid_until),
    h('p', {}, labelled('permit.waste_codes'), h('span', { class: 'chips' },
      (p.waste_codes || []).map((c) => h('a', { class: 'chip mono', href: `#/catalogue?q=${encodeURIComponent(c)}` }, c)))),
    h('ul', { class: 'capacities' },
      (p.capacities || []).map((c) => h('li', { dataset: { method: c.method } },
        methodName(c.method), colon(), c.capacity_t_per_day != null
          ? t('permit.capacity_day_value', { n: formatInt(c.capacity_t_per_day) })
          : t('permit.capacity_value', { n: formatInt(c.capacity_t_per_year) }))),
      p.collection_t_per_year != null && h('li', { dataset: { method: 'collection' } },
        labelled('permit.collection'), t('permit.capacity_value', { n: formatInt(p.collection_t_per_year) })),
      p.landfill_volume_m3 != null && h('li', { dataset: { method: 'landfill_volume' } },
        labelled('permit.landfill'), t('permit.landfill_value', { n: formatInt(p.landfill_volume_m3) }))));
}

function permitForm(uscc) {
  const methods = state.refs?.treatment_methods || [];
  const form = h('form', { id: 'permit-form', class: 'stack' },
    field({ id: 'permit-kind', name: 'kind', type: 'select', label: t('permit.kind'), options: options('permit_kinds', 'operating') }),
    field({ id: 'permit-number', name: 'number', label: t('permit.number') }),
    h('div', { class: 'row' },
      field({ id: 'permit-valid-from', name: 'valid_from', type: 'date', label: t('permit.valid_from') }),
      field({ id: 'permit-valid-until', name: 'valid_until', type: 'date', label: t('permit.valid_until') })),
    field({ id: 'permit-waste-codes', name: 'waste_codes', type: 'textarea', label: t('permit.waste_codes'), hint: t('permit.waste_codes_hint'), rows: 2 }),
    field({ id: 'permit-collection', name: 'collection_t_per_year', label: t('permit.collection') + t('common.optional'), inputmode: 'numeric' }),
    field({ id: 'permit-capacity-per', name: 'per', type: 'select', label: t('permit.capacity_per'),
      options: [h('option', { value: 'year' }, t('permit.per_year')), h('option', { value: 'day' }, t('permit.per_day'))] }),
    h('fieldset', { id: 'permit-capacities' }, h('legend', {}, t('permit.capacities')),
      h('div', { class: 'grid' }, methods.map((m) => field({
        id: `permit-cap-${m.code}`, name: `cap_${m.code}`, label: pick(m), inputmode: 'numeric', placeholder: t('permit.integer_hint'),
      })))),
    field({ id: 'permit-landfill', name: 'landfill_volume_m3', label: t('permit.landfill') + t('common.optional'), inputmode: 'numeric' }),
    submitButton('permit-form', t('permit.add')));
  return onSubmit(form, async (v) => {
    const unit = v.per === 'day' ? 'capacity_t_per_day' : 'capacity_t_per_year';
    await api.createIn(uscc, 'permits', {
      kind: v.kind || 'operating',
      number: v.number,
      valid_from: v.valid_from,
      valid_until: v.valid_until,
      waste_codes: v.waste_codes.toUpperCase().split(/[\s,，、;；]+/).filter(Boolean),
      capacities: methods.filter((m) => v[`cap_${m.code}`])
        .map((m) => ({ method: m.code, [unit]: wholeNumber(v[`cap_${m.code}`]) })),
      landfill_volume_m3: v.landfill_volume_m3 ? wholeNumber(v.landfill_volume_m3) : null,
      collection_t_per_year: v.collection_t_per_year ? wholeNumber(v.collection_t_per_year) : null,
    });
    await created();
  });
}

function vehiclesPanel(uscc, vehicles) {
  const table = dataTable('vehicle-list', [
    [t('vehicle.plate'), (v) => h('span', { class: 'plate' }, v.plate)],
    [t('vehicle.type'), (v) => vehicleTypeName(v.vehicle_type)],
    [t('common.created_at'), (v) => time(v.created_at)],
  ], vehicles, (v) => ({ plate: v.plate }));
  const form = h('form', { id: 'vehicle-form', class: 'stack' },
    field({ id: 'vehicle-plate', name: 'plate', label: t('vehicle.plate'), placeholder: '渝A12345', autocapitalize: 'characters' }),
    field({ id: 'vehicle-type', name: 'vehicle_type', type: 'select', label: t('vehicle.type'), options: options('vehicle_types', '') }),
    submitButton('vehicle-form', t('vehicle.add')));
  onSubmit(form, async (v) => {
    await api.createIn(uscc, 'vehicles', { plate: v.plate.toUpperCase(), vehicle_type: v.vehicle_type });
    await created();
  });
  return h('div', {}, table, canWrite('vehicles', uscc) && section(t('vehicle.add'), form));
}

function driversPanel(uscc, drivers) {
  const table = dataTable('driver-list', [
    [t('driver.name'), (d) => d.name],
    [t('driver.licence'), (d) => h('span', { class: 'mono' }, d.licence_no)],
    [t('driver.phone'), (d) => d.phone],
    [t('common.created_at'), (d) => time(d.created_at)],
  ], drivers, (d) => ({ driverId: d.id }));
  const form = h('form', { id: 'driver-form', class: 'stack' },
    field({ id: 'driver-name', name: 'name', label: t('driver.name') }),
    field({ id: 'driver-licence', name: 'licence_no', label: t('driver.licence') }),
    field({ id: 'driver-phone', name: 'phone', type: 'tel', label: t('driver.phone') }),
    submitButton('driver-form', t('driver.add')));
  onSubmit(form, async (v) => {
    await api.createIn(uscc, 'drivers', v);
    await created();
  });
  return h('div', {}, table, canWrite('drivers', uscc) && section(t('driver.add'), form));
}

export const routes = [
  {
    name: 'enterprise', pattern: '/enterprises/:uscc/:tab(permits|vehicles|drivers|devices)?',
    view: enterpriseView, title: 'ent.title', auth: true,
  },
];
