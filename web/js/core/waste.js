// core/waste.js: waste codes as people type and read them: "90024908" → "900-249-08", and the
// short name a label carries by default instead of the catalogue's full description (which
// can run to a hundred characters): a table of this deployment's common codes, else the
// description's noun after its last "产生的" (or, when still long, after its last "的"), without
// bracketed parts, cut at the first punctuation when still long.

/** "90024908" → "900-249-08"; anything else unchanged (the server decides). */
export function normalizeWasteCode(s) {
  const v = s.trim();
  const m = /^(\d{3})(\d{3})(\d{2})$/.exec(v);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : v;
}

/** Short names of codes the heuristic names badly (the common ones of the Wansheng district). */
const SHORT_NAMES = {
  '900-041-49': '废弃包装物、容器',
  '900-249-08': '废矿物油',
  '900-214-08': '废润滑油',
  '900-052-31': '废铅蓄电池',
  '900-013-11': '精馏残渣',
  '772-006-49': '废水处理污泥、残渣',
  '772-003-18': '焚烧飞灰、底渣',
  '900-252-12': '废油漆渣',
  '772-007-50': '废脱硝催化剂',
  '336-064-17': '表面处理废液、污泥',
  '900-039-49': '废活性炭',
  '900-047-49': '实验室废物',
  '900-045-49': '废电路板',
  '900-402-06': '废有机溶剂',
  '900-404-06': '废有机溶剂',
  '900-451-13': '废树脂粉',
};

/** Longest short name the heuristic leaves uncut. */
const SHORT_MAX_CHARS = 16;

/** The short name of a catalogue entry `{code, description, category_name}` for its label. */
export function shortWasteName(entry) {
  if (SHORT_NAMES[entry.code]) return SHORT_NAMES[entry.code];
  const full = String(entry.description || '').replace(/（[^）]*）|\([^)]*\)/g, '').trim();
  const at = full.lastIndexOf('产生的');
  let name = at >= 0 && at + 3 < full.length ? full.slice(at + 3) : full;
  const long = () => [...name].length > SHORT_MAX_CHARS;
  const de = name.lastIndexOf('的');
  if (long() && de >= 0 && de + 1 < name.length) name = name.slice(de + 1);
  if (long()) name = name.split(/[，,；;。、]/)[0] || name;
  if (long()) name = name.split(/[及和或]/)[0] || name;
  // "…产生的废物" says nothing: the category's name does ("染料、涂料废物").
  if (name === '废物' && entry.category_name) return entry.category_name;
  return name || entry.description || entry.code;
}
