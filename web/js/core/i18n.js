// i18n.js: the shared words of the web app in Chinese (first) and English, the registry every
// screen adds its own words to, and the locale-bound formatting (China Standard Time, masses
// in integer grams).
//
// A screen module registers its strings once, when it is imported:
//   register({ zh: { 'trips.title': '今日行程' }, en: { 'trips.title': "Today's trips" } });
// Keys are namespaced by screen ('trips.', 'gate.'), so screens written in parallel do not
// collide; registering a key twice with another text, or in one language only, is reported
// as an error (the browser tests fail on it). Words several screens use live here.
// Server-provided names (reference lists, catalogue text) are not translated here: the
// server sends them in both languages, `pick()` chooses, and core/names.js looks them up.

const STORAGE_KEY = 'hwtrace.lang';
const TIME_ZONE = 'Asia/Shanghai';
const LANGS = ['zh', 'en'];

const tables = {
  zh: {
    'app.tagline': '危险废物全过程追溯 · 一物一码',
    'app.skip': '跳到主要内容',
    'app.nav': '主导航',
    'app.loading': '加载中…',
    'app.times_note': '所有时间均为北京时间（UTC+8）。',
    'lang.toggle': 'English',
    'lang.toggle_title': '切换语言 / Switch language',
    'nav.login': '登录',
    'nav.logout': '退出',
    'common.created': '已创建',
    'common.revoked': '已吊销',
    'common.deleted': '已删除',
    'common.optional': '（选填）',
    'common.all': '全部',
    'common.none': '—',
    'common.filter': '筛选',
    'common.created_at': '创建时间',
    'common.actions': '操作',
    'common.empty': '暂无记录',
    'err.network': '无法连接服务器，请检查网络后重试。',
    'err.http': '服务器错误（HTTP {status}）。',
    'err.forbidden': '没有权限访问此页面。',
    'err.unexpected': '发生意外错误：{msg}',
    'footer.public': '利用处置设施能力公开',
    'common.yes': '是',
    'common.no': '否',
    'nav.more': '更多',
    'nav.more_title': '全部栏目',
    'nav.close': '关闭',
    'nav.phone': '底部导航',
    'common.item_code': '物品编码',
    'common.uscc': '统一社会信用代码',
    'common.district': '区县',
    'common.label': '标签',
    'common.definition': '口径',
  },
  en: {
    'app.tagline': 'Hazardous-waste chain of custody · one item, one code',
    'app.skip': 'Skip to main content',
    'app.nav': 'Main navigation',
    'app.loading': 'Loading…',
    'app.times_note': 'All times are China Standard Time (UTC+8).',
    'lang.toggle': '中文',
    'lang.toggle_title': '切换语言 / Switch language',
    'nav.login': 'Log in',
    'nav.logout': 'Log out',
    'common.created': 'Created',
    'common.revoked': 'Revoked',
    'common.deleted': 'Deleted',
    'common.optional': ' (optional)',
    'common.all': 'All',
    'common.none': '—',
    'common.filter': 'Filter',
    'common.created_at': 'Created',
    'common.actions': 'Actions',
    'common.empty': 'Nothing here yet',
    'err.network': 'Cannot reach the server. Check the connection and try again.',
    'err.http': 'Server error (HTTP {status}).',
    'err.forbidden': 'You are not allowed to see this page.',
    'err.unexpected': 'Unexpected error: {msg}',
    'footer.public': 'Public disclosure of treatment facilities',
    'common.yes': 'yes',
    'common.no': 'no',
    'nav.more': 'More',
    'nav.more_title': 'All sections',
    'nav.close': 'Close',
    'nav.phone': 'Bottom navigation',
    'common.item_code': 'Item code',
    'common.uscc': 'Unified social credit code (USCC)',
    'common.district': 'District',
    'common.label': 'Label',
    'common.definition': 'Definition',
  },
};

/**
 * Adds a screen's strings: `register({zh: {...}, en: {...}})`. Both languages must name the
 * same keys; a key already registered with another text is a mistake (two screens chose the
 * same key) and is reported, the first text staying.
 */
export function register(strings) {
  const [zhKeys, enKeys] = LANGS.map((l) => Object.keys(strings?.[l] || {}));
  const onlyOne = [...zhKeys.filter((k) => !enKeys.includes(k)), ...enKeys.filter((k) => !zhKeys.includes(k))];
  if (onlyOne.length) console.error(`i18n: keys in one language only: ${onlyOne.join(', ')}`);
  for (const l of LANGS) {
    for (const [key, text] of Object.entries(strings?.[l] || {})) {
      const had = tables[l][key];
      if (had !== undefined && had !== text) {
        console.error(`i18n: key ${key} (${l}) registered twice with different texts`);
        continue;
      }
      tables[l][key] = text;
    }
  }
}

let current = localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh';

/** The current language: 'zh' or 'en'. */
export function lang() {
  return current;
}

/** Switches language, remembers it, and updates `<html lang>`. */
export function setLang(next) {
  current = next === 'en' ? 'en' : 'zh';
  localStorage.setItem(STORAGE_KEY, current);
  applyLang();
}

export function applyLang() {
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
}

/**
 * Looks up `key` and fills `{name}` placeholders from `vars`. A key no screen registered is
 * reported (it would show as its raw name) and returned as is.
 */
export function t(key, vars = {}) {
  const text = tables[current][key] ?? tables.zh[key];
  if (text === undefined) {
    console.error(`i18n: no text for key ${key}`);
    return key;
  }
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

export function has(key) {
  return key in tables[current];
}

/** Picks the Chinese or English field of a server object, falling back to Chinese. */
export function pick(obj, base = 'name') {
  if (!obj) return '';
  const en = obj[`${base}_en`];
  return current === 'en' && en ? en : obj[`${base}_zh`] ?? en ?? '';
}

// ---- time: always China Standard Time, whatever the browser's zone ----

const partsFormat = new Intl.DateTimeFormat('en-CA', {
  timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

function cstParts(date) {
  return Object.fromEntries(partsFormat.formatToParts(date).map((p) => [p.type, p.value]));
}

/** RFC 3339 UTC → "YYYY-MM-DD HH:mm" in Asia/Shanghai; unparseable input is returned as is. */
export function formatTime(rfc3339) {
  if (!rfc3339) return '';
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return String(rfc3339);
  const p = cstParts(date);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** Today's date in Asia/Shanghai as "YYYY-MM-DD" (comparable with permit dates as strings). */
export function todayCst(now = new Date()) {
  const p = cstParts(now);
  return `${p.year}-${p.month}-${p.day}`;
}

// ---- numbers and masses: integers only, no float arithmetic ----

function group(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Formats an integer with thousands separators. */
export function formatInt(n) {
  const s = String(n);
  return /^-?\d+$/.test(s) ? (s[0] === '-' ? '-' + group(s.slice(1)) : group(s)) : s;
}

/**
 * Formats integer grams as g, kg or t, exactly: the decimal point is placed by string
 * slicing, so no float ever touches the value (1234567 → "1.234567 t", 2500 → "2.5 kg").
 */
export function formatMass(grams) {
  const s = String(grams);
  if (!/^-?\d+$/.test(s)) return s;
  const sign = s[0] === '-' ? '-' : '';
  const digits = s.replace('-', '').replace(/^0+(?=\d)/, '');
  const [shift, unit] = digits.length > 6 ? [6, 't'] : digits.length > 3 ? [3, 'kg'] : [0, 'g'];
  if (shift === 0) return `${sign}${digits} g`;
  const whole = digits.slice(0, -shift);
  const frac = digits.slice(-shift).replace(/0+$/, '');
  return `${sign}${group(whole)}${frac ? '.' + frac : ''} ${unit}`;
}

/**
 * Parses a decimal text in kg (or t) into integer grams without floats:
 * parseMass("12.5", "kg") → 12500. Returns null for anything that is not an exact amount.
 */
export function parseMass(text, unit = 'kg') {
  const places = unit === 't' ? 6 : unit === 'kg' ? 3 : 0;
  const m = /^\s*(\d+)(?:\.(\d+))?\s*$/.exec(String(text).replace(/,/g, ''));
  if (!m || (m[2] || '').length > places) return null;
  const grams = Number(m[1] + (m[2] || '').padEnd(places, '0'));
  return Number.isSafeInteger(grams) ? grams : null;
}

/**
 * Integer grams as tonnes to the kilogram, rounded half up by integer arithmetic, without
 * the unit (1234567 → "1.235", -500 → "-0.001").
 */
export function tonnes(grams) {
  const s = String(grams);
  if (!/^-?\d+$/.test(s)) return s;
  const sign = s[0] === '-' ? '-' : '';
  const g = Number(s.replace('-', ''));
  if (!Number.isSafeInteger(g)) return s;
  const kg = String(Math.floor(g / 1000) + (g % 1000 >= 500 ? 1 : 0)).padStart(4, '0');
  const text = `${group(kg.slice(0, -3))}.${kg.slice(-3)}`;
  return `${text === '0.000' ? '' : sign}${text}`;
}

/** Integer grams as tonnes with the unit of the current language ("1.235 吨", "1.235 t"). */
export function formatTonnes(grams) {
  return `${tonnes(grams)} ${current === 'zh' ? '吨' : 't'}`;
}

/** A ‰ integer as a percentage with one decimal, exactly (1002 → "100.2%"); null → "—". */
export function formatPermille(permille) {
  if (permille === null || permille === undefined) return '—';
  const s = String(permille);
  if (!/^\d+$/.test(s)) return s;
  const p = s.padStart(2, '0');
  return `${group(p.slice(0, -1))}.${p.slice(-1)}%`;
}

/** Integer litres as cubic metres, exactly ("12500" → "12.5"); negative allowed. */
export function formatLitresAsM3(litres) {
  const s = String(litres);
  if (!/^-?\d+$/.test(s)) return s;
  const sign = s[0] === '-' ? '-' : '';
  const digits = s.replace('-', '').padStart(4, '0');
  const whole = digits.slice(0, -3).replace(/^0+(?=\d)/, '');
  const frac = digits.slice(-3).replace(/0+$/, '');
  return `${sign}${group(whole)}${frac ? '.' + frac : ''}`;
}
