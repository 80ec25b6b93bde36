// screens/public/home.js: the home page (#/): what hwtrace is, a catalogue search, and a card
// for each section the visitor may open, the user's own start page first.

import * as api from '../../core/api.js';
import { t, register } from '../../core/i18n.js';
import { h } from '../../core/dom.js';
import { go } from '../../core/router.js';
import { state } from '../../core/state.js';
import { canOversee, homeHref, ownFacility } from '../../core/roles.js';
import { visibleSections } from '../../core/nav.js';

register({
  zh: {
    'nav.home': '首页',
    'home.title': '首页',
    'home.lead': 'hwtrace 记录万盛经开区及綦江、南川每一件危险废物从产生到最终处置的全过程：一物一码，每次交接由双方签名，任何人都可用公钥审计日志。',
    'home.search_label': '查询危险废物代码',
    'home.search_button': '查询',
    'home.catalogue': '名录查询',
    'home.catalogue_text': '按代码、类别或名称查询《国家危险废物名录》。',
    'home.enterprises': '企业',
    'home.enterprises_text': '产废、收集、运输、利用处置单位及其许可证、车辆、驾驶员和设备。',
    'home.login': '登录',
    'home.login_text': '企业用户和监管人员请先登录。',
    'home.tokens': 'API 令牌',
    'home.tokens_text': '为程序和命令行工具创建访问令牌。',
    'home.alerts': '预警',
    'home.alerts_text': '贮存超期、运输超时、重量差异、超出许可等预警，及其解除和确认。',
    'home.indicators': '统计指标',
    'home.indicators_text': '工业危险废物安全处置率、医疗废物集中处置率和物料平衡。',
    'home.facilities': '处置设施核算',
    'home.facilities_text': '各利用处置单位的许可能力、年内处置量、利用率、库存和填埋库容。',
    'home.my_facility': '本单位处置能力核算',
    'home.my_facility_text': '本单位的许可能力、年内处置量、利用率、库存和填埋库容。',
    'home.public': '设施能力公开',
    'home.public_text': '无需登录：各利用处置设施的核准能力和本年利用情况。',
    'home.start': '我的工作台',
    'home.search_placeholder': '如 900-249-08、HW08、废矿物油',
    'home.start_text': '登录后首先打开的页面：{section}。',
  },
  en: {
    'nav.home': 'Home',
    'home.title': 'Home',
    'home.lead': 'hwtrace follows every container of hazardous waste in the Wansheng zone, Qijiang and Nanchuan from the moment it is generated until it is destroyed: one item, one code, every hand-over signed by both sides, and a log anyone with the public key can audit.',
    'home.search_label': 'Look up a waste code',
    'home.search_button': 'Search',
    'home.catalogue': 'Waste catalogue',
    'home.catalogue_text': 'Search the National Hazardous Waste List by code, category or name.',
    'home.enterprises': 'Enterprises',
    'home.enterprises_text': 'Generators, collection points, transporters and facilities, with their permits, vehicles, drivers and devices.',
    'home.login': 'Log in',
    'home.login_text': 'Enterprise users and regulators, please log in.',
    'home.tokens': 'API tokens',
    'home.tokens_text': 'Create access tokens for programs and the command line.',
    'home.alerts': 'Alerts',
    'home.alerts_text': 'Storage past its limit, transport too long, weight discrepancies, permits exceeded: raised, resolved and acknowledged.',
    'home.indicators': 'Indicators',
    'home.indicators_text': 'The industrial safe-disposal rate, the medical centralised disposal rate and the mass balance.',
    'home.facilities': 'Facility reconciliation',
    'home.facilities_text': 'Each treatment facility\'s licensed capacity, treatment this year, utilisation, inventory and landfill volume.',
    'home.my_facility': 'Our capacity reconciliation',
    'home.my_facility_text': 'Your licensed capacity, treatment this year, utilisation, inventory and landfill volume.',
    'home.public': 'Public disclosure',
    'home.public_text': 'No login: every treatment facility\'s licensed capacity and its use this year.',
    'home.start': 'My start page',
    'home.search_placeholder': 'e.g. 900-249-08, HW08, 废矿物油',
    'home.start_text': 'The page you land on after logging in: {section}.',
  },
});

function homeView() {
  const card = (href, key, id, text = t(`home.${key}_text`)) => h('li', { class: 'card' },
    h('a', { href, id }, h('strong', {}, t(`home.${key}`))), h('p', {}, text));
  const facility = ownFacility();
  const start = homeHref() !== '#/' ? visibleSections().find((s) => s.href === homeHref()) : null;
  const q = h('input', { id: 'home-q', type: 'search', name: 'q', placeholder: t('home.search_placeholder') });
  const search = h('form', { id: 'home-search', role: 'search', class: 'inline-form' },
    h('label', { for: 'home-q' }, t('home.search_label')), q,
    h('button', { type: 'submit', id: 'home-search-submit' }, t('home.search_button')));
  search.addEventListener('submit', (ev) => {
    ev.preventDefault();
    go(`#/catalogue?q=${encodeURIComponent(q.value.trim())}`);
  });
  return h('div', { id: 'home' },
    h('p', { class: 'lead' }, t('home.lead')),
    search,
    h('ul', { class: 'cards' },
      start && card(start.href, 'start', 'home-start', t('home.start_text', { section: t(start.label) })),
      card('#/catalogue', 'catalogue', 'home-catalogue'),
      state.user ? card('#/enterprises', 'enterprises', 'home-enterprises') : card('#/login', 'login', 'home-login'),
      canOversee() && card('#/alerts', 'alerts', 'home-alerts'),
      canOversee() && card('#/indicators', 'indicators', 'home-indicators'),
      canOversee() && card('#/facilities', 'facilities', 'home-facilities'),
      facility && card(`#/facilities/${encodeURIComponent(facility)}`, 'my_facility', 'home-my-facility'),
      card(api.PUBLIC_FACILITIES, 'public', 'home-public'),
      state.user && card('#/tokens', 'tokens', 'home-tokens')));
}

export const routes = [
  { name: 'home', pattern: '/', view: homeView, title: 'home.title', nav: { label: 'nav.home', rank: 0 } },
];
