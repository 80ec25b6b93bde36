// screens/public/catalogue.js: the national hazardous-waste list (#/catalogue): a type-ahead
// search by code, category or name, each code with its hazards and exemptions. The helpers
// for exemptions and hazards are shared with the registration form.

import * as api from '../../core/api.js';
import { t, lang, register, formatInt } from '../../core/i18n.js';
import { h, colon, labelled } from '../../core/dom.js';
import { ensureRefs } from '../../core/state.js';
import { clearError, showError } from '../../core/feedback.js';
import { replaceHash } from '../../core/router.js';
import { hazardName } from '../../core/names.js';

register({
  zh: {
    'nav.catalogue': '名录查询',
    'catalogue.title': '危险废物名录查询',
    'catalogue.q': '代码、类别或名称',
    'catalogue.placeholder': '如 900-249-08、HW08、废矿物油',
    'catalogue.hint': '输入代码前缀（900-249 或 90024908）、类别（HW08）或中文名称。',
    'catalogue.prompt': '请输入查询内容。',
    'catalogue.total': '共 {total} 条（{version} 版名录），显示 {shown} 条',
    'catalogue.none': '没有找到匹配的废物代码',
    'catalogue.categories': '类别',
    'catalogue.industry': '行业来源',
    'catalogue.hazard': '危险特性',
    'catalogue.exemptions': '名录豁免（须符合豁免条件）',
    'catalogue.exempt_condition': '条件：{condition}',
    'nav.catalogue_short': '名录',
  },
  en: {
    'nav.catalogue': 'Waste catalogue',
    'catalogue.title': 'Hazardous waste catalogue',
    'catalogue.q': 'Code, category or name',
    'catalogue.placeholder': 'e.g. 900-249-08, HW08, 废矿物油',
    'catalogue.hint': 'Type a code prefix (900-249 or 90024908), a category (HW08) or Chinese text.',
    'catalogue.prompt': 'Type something to search.',
    'catalogue.total': '{total} found ({version} edition), showing {shown}',
    'catalogue.none': 'No matching waste codes',
    'catalogue.categories': 'Categories',
    'catalogue.industry': 'Industry',
    'catalogue.hazard': 'Hazard',
    'catalogue.exemptions': 'Exemptions of the list (when the condition is met)',
    'catalogue.exempt_condition': 'Condition: {condition}',
    'nav.catalogue_short': 'Catalogue',
  },
});

async function catalogueView(ctx) {
  await ensureRefs(ctx.signal).catch(showError); // hazard names only; the search works without them
  const q0 = (ctx.query.get('q') || '').trim();
  const els = {
    input: h('input', {
      id: 'catalogue-q', type: 'search', name: 'q', value: q0, autocomplete: 'off', spellcheck: 'false',
      placeholder: t('catalogue.placeholder'), 'aria-describedby': 'catalogue-hint', 'aria-controls': 'catalogue-results',
    }),
    total: h('p', { id: 'catalogue-total', role: 'status', class: 'muted' }),
    chips: h('div', { id: 'catalogue-categories', class: 'chips', role: 'group', 'aria-label': t('catalogue.categories') }),
    list: h('ul', { id: 'catalogue-results', class: 'results', 'data-q': '' }),
  };
  const search = catalogueSearch(els, ctx);
  els.input.addEventListener('input', () => search.later(els.input.value));
  const form = h('form', { id: 'catalogue-form', role: 'search', class: 'stack' },
    h('label', { for: 'catalogue-q' }, t('catalogue.q')), els.input,
    h('small', { id: 'catalogue-hint', class: 'hint' }, t('catalogue.hint')));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); search.now(els.input.value); });
  await search.now(q0);
  return h('div', { id: 'catalogue' }, form, els.total, els.chips, els.list);
}

/** Type-ahead: debounced, cancels stale requests, keeps the query in the URL. */
function catalogueSearch(els, ctx) {
  let timer = 0;
  let inflight = null;
  ctx.signal.addEventListener('abort', () => { clearTimeout(timer); inflight?.abort(); });
  els.pick = (q) => { els.input.value = q; run(q); };

  async function run(raw) {
    clearTimeout(timer);
    inflight?.abort();
    if (!ctx.alive()) return;
    const mine = (inflight = new AbortController());
    const q = raw.trim();
    replaceHash(q ? `#/catalogue?q=${encodeURIComponent(q)}` : '#/catalogue');
    if (!q) return renderCatalogue(els, q, null);
    document.body.dataset.ready = '';
    try {
      const data = await api.catalogue(q, AbortSignal.any([mine.signal, ctx.signal]));
      clearError();
      renderCatalogue(els, q, data);
    } catch (e) {
      showError(e);
    } finally {
      // During the first render the router sets ready once the view is mounted.
      if (inflight === mine && ctx.alive() && els.input.isConnected) document.body.dataset.ready = 'catalogue';
    }
  }
  return { now: run, later: (q) => { clearTimeout(timer); timer = setTimeout(() => run(q), 150); } };
}

function renderCatalogue(els, q, data) {
  const results = data?.results || [];
  els.list.dataset.q = q;
  els.total.textContent = !q ? t('catalogue.prompt')
    : results.length ? t('catalogue.total', { total: formatInt(data.total), version: data.version, shown: results.length })
    : t('catalogue.none');
  const categories = [...new Map(results.map((r) => [r.category, r.category_name])).entries()];
  els.chips.replaceChildren(...categories.map(([cat, name]) =>
    h('button', { type: 'button', class: 'chip', dataset: { category: cat }, title: name, onclick: () => els.pick(cat) },
      highlight(cat, q), ' ', name)));
  els.list.replaceChildren(...results.map((r) => catalogueRow(r, q)));
}

function catalogueRow(r, q) {
  return h('li', { class: 'result', dataset: { code: r.code, category: r.category } },
    h('div', { class: 'result-head' },
      h('span', { class: 'code' }, highlightCode(r.code, q)),
      h('span', { class: 'chip static', title: r.category_name }, highlight(r.category, q), ' ', highlight(r.category_name, q)),
      hazardChips(r.hazard)),
    h('p', { class: 'desc' }, highlight(r.description, q)),
    h('p', { class: 'muted small' }, labelled('catalogue.industry'), highlight(r.industry, q)),
    exemptionList(r.exemptions));
}

/** The stage of an exemption of the national list, in the UI language. */
function exemptionStage(x) {
  return lang() === 'zh' ? x.stage : x.stage_en;
}

/** A code's exemptions (豁免管理清单): stage, what is exempt, and its condition. */
function exemptionList(exemptions) {
  if (!exemptions?.length) return null;
  return h('div', { class: 'exemptions small', dataset: { exempt: exemptions.map((x) => x.stage_en).join(',') } },
    h('strong', {}, t('catalogue.exemptions')),
    h('ul', {}, exemptions.map((x) => h('li', { dataset: { stage: x.stage_en } },
      h('span', { class: 'chip static' }, exemptionStage(x)), ' ', x.waste ? [h('strong', {}, x.waste), colon()] : null, x.exemption, ' ',
      h('span', { class: 'muted' }, t('catalogue.exempt_condition', { condition: x.condition }))))));
}

/** The distinct exempt stages of a code, joined for a line of text. */
export function exemptStages(exemptions) {
  return [...new Set((exemptions || []).map(exemptionStage))].join(lang() === 'zh' ? '、' : ', ');
}

/** A catalogue hazard field ("T,I", "T/In") as named chips. */
export function hazardChips(hazard) {
  const codes = String(hazard || '').split(/[,，/\s]+/).filter(Boolean);
  return h('span', { class: 'hazards' }, h('span', { class: 'sr-only' }, labelled('catalogue.hazard')),
    codes.map((c) => h('span', { class: `hazard hazard-${c}`, title: hazardName(c) }, c, ' ', hazardName(c))));
}

function highlight(text, q) {
  const s = String(text ?? '');
  const i = q ? s.toLowerCase().indexOf(q.toLowerCase()) : -1;
  if (i < 0) return s;
  return [s.slice(0, i), h('mark', {}, s.slice(i, i + q.length)), s.slice(i + q.length)];
}

/** Marks the digits of `code` that match a digit query typed with or without hyphens. */
function highlightCode(code, q) {
  const digits = q.replace(/[-\s]/g, '');
  if (!/^\d+$/.test(digits)) return highlight(code, q);
  const positions = [...code].flatMap((c, i) => (/\d/.test(c) ? [i] : []));
  const at = positions.map((i) => code[i]).join('').indexOf(digits);
  if (at < 0) return code;
  const start = positions[at];
  const end = positions[at + digits.length - 1] + 1;
  return [code.slice(0, start), h('mark', {}, code.slice(start, end)), code.slice(end)];
}

export const routes = [
  {
    name: 'catalogue', pattern: '/catalogue', view: catalogueView, title: 'catalogue.title',
    nav: { label: 'nav.catalogue', short: 'nav.catalogue_short', rank: 10, main: true },
  },
];
