//! The public disclosure page (`/public/facilities`): every licensed facility's capacities
//! and their use this year, Chinese first with English beside, in the web app's colours. It
//! is built for a phone first (one column of cards, nothing wider than the screen down to
//! 360 px) and needs no script nor `style` attribute: each facility's capacity use is drawn as
//! CSS bars, their lengths rules of the page's stylesheet (treated
//! this year against the licensed capacity, with the pro-rata mark for the date and the
//! permit's limit), and a facility that treats more than its permit is flagged, as the
//! `capacity_exceeded` alert rule counts it (the year's treatment past the annual capacity, a
//! day's past the daily one, or treatment by a method the permits give no capacity for).
//! Masses in tonnes with one decimal, from integer grams.

use std::collections::BTreeSet;
use std::fmt::Write;

use chrono::NaiveDate;

use super::escape_html;
use crate::domain::TreatmentMethod;
use crate::service::reconcile::{MethodLine, PublicFacility};

/// Grams as tonnes with one decimal (rounded down), e.g. `12 345 678 g` → `12.3`.
pub fn tonnes(g: u64) -> String {
    format!("{}.{}", g / 1_000_000, (g % 1_000_000) / 100_000)
}

/// Parts per thousand as a percentage with one decimal, or `—`.
pub fn percent(permille: Option<u64>) -> String {
    permille.map_or_else(|| "—".to_owned(), |p| format!("{}.{}%", p / 10, p % 10))
}

/// A method's Chinese and English names (the code itself for a method outside the list).
pub fn method_names(code: &str) -> (String, String) {
    TreatmentMethod::parse(code).map_or_else(
        |_| (code.to_owned(), code.to_owned()),
        |m| (m.named().name_zh.to_owned(), m.named().name_en.to_owned()),
    )
}

/// Whether a method's treatment passed what its permits license: the year's past the annual
/// capacity, some day's past the daily one, or any treatment where no capacity is licensed.
pub fn over_permit(m: &MethodLine) -> bool {
    let annual = m.capacity_g > 0 && m.treated_ytd_g > m.capacity_g;
    let daily = m.days_over_daily_capacity.unwrap_or(0) > 0;
    let unlicensed = m.capacity_g == 0 && m.daily_capacity_g.is_none() && m.treated_ytd_g > 0;
    annual || daily || unlicensed
}

/// What a method's bar shows, in ‰ of the licensed capacity: the use, and where the date's
/// pro-rata share of the year falls (annual capacities only).
struct Bar {
    used: u64,
    prorata: Option<u64>,
    /// The words under the bar.
    caption: String,
}

fn bar(m: &MethodLine) -> Option<Bar> {
    if let Some(used) = m.treated_ytd_g.saturating_mul(1000).checked_div(m.capacity_g) {
        let prorata = m.prorated_capacity_g.saturating_mul(1000) / m.capacity_g;
        return Some(Bar {
            used,
            prorata: Some(prorata),
            caption: format!(
                "{} / {} t/年 · {} <span class=\"en\">of the year's licence</span>",
                tonnes(m.treated_ytd_g),
                tonnes(m.capacity_g),
                percent(Some(used))
            ),
        });
    }
    let day = m.daily_capacity_g?;
    let used = m.daily_utilisation_permille.unwrap_or(0);
    Some(Bar {
        used,
        prorata: None,
        caption: format!(
            "日均 {} <span class=\"en\">average use</span> · {} t/日 <span class=\"en\">t/day</span> · 最高 {} t <span class=\"en\">busiest day</span>",
            percent(Some(used)),
            tonnes(day),
            tonnes(m.peak_day_g)
        ),
    })
}

/// `part` of `whole` in tenths of a percent (at most 1000).
fn tenths(part: u64, whole: u64) -> u64 {
    part.min(whole) * 1000 / whole.max(1)
}

/// Tenths of a percent as a CSS percentage with one decimal.
fn css_percent(tenths: u64) -> String {
    format!("{}.{}%", tenths / 10, tenths % 10)
}

const CSS: &str = "\
:root{--green:#0f5132;--green-2:#146c43;--green-soft:#e8f3ee;--ink:#1d2327;--muted:#5b6770;--line:#d6dde1;\
--bg:#f5f7f8;--warn:#8a4b00;--warn-soft:#fff3e0;--danger:#b02a37;--danger-soft:#fdecee;\
font-family:system-ui,-apple-system,\"PingFang SC\",\"Hiragino Sans GB\",\"Microsoft YaHei\",\"Noto Sans CJK SC\",\
\"WenQuanYi Micro Hei\",sans-serif;font-size:16px;line-height:1.55;color:var(--ink);background:var(--bg)}\
*{box-sizing:border-box}body{margin:0}\
.site-header{background:var(--green);color:#fff}.site-header a{color:#fff}\
.bar{max-width:72rem;margin:0 auto;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.25rem 1rem;\
align-items:center;justify-content:space-between}\
.brand{text-decoration:none;display:flex;flex-direction:column;line-height:1.2}\
.brand-name{font-weight:700;font-size:1.25rem}.brand-tagline{font-size:.8rem;opacity:.85}\
.site-header nav{display:flex;gap:1rem;font-size:.9rem}\
main{max-width:72rem;margin:0 auto;padding:1rem}\
h1{font-size:1.4rem;line-height:1.3;margin:.25rem 0 .5rem}h1 .en{display:block;font-size:.7em}h2{font-size:1.1rem;margin:0}\
.en{color:var(--muted);font-size:.85em;font-weight:normal}.site-header .en{color:#fff;opacity:.8}\
.muted{color:var(--muted)}.mono{font-family:ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere}\
p{margin:.4rem 0}.summary{display:flex;flex-wrap:wrap;gap:.5rem;margin:.75rem 0}\
.pill{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.15rem .7rem;font-size:.9rem}\
.pill.over{background:var(--danger-soft);border-color:var(--danger);color:var(--danger)}\
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;font-size:.85rem;color:var(--muted);margin:.5rem 0 1rem}\
.key{display:inline-block;width:1.6rem;height:.7rem;border-radius:3px;vertical-align:middle;margin-right:.3rem}\
.key-fill{background:var(--green-2)}.key-ahead{background:#c77c02}.key-over{background:var(--danger)}\
.key-mark{width:2px;height:1rem;background:var(--ink)}\
.facilities{display:grid;gap:1rem;grid-template-columns:repeat(auto-fill,minmax(min(100%,26rem),1fr))}\
.facility{background:#fff;border:1px solid var(--line);border-radius:8px;padding:1rem;min-width:0}\
.facility.over{border-color:var(--danger);box-shadow:inset 4px 0 0 var(--danger)}\
.facility header{display:flex;flex-direction:column;gap:.15rem;margin-bottom:.5rem}\
.flag{display:inline-block;background:var(--danger);color:#fff;border-radius:4px;padding:.1rem .5rem;\
font-size:.85rem;font-weight:600;margin:.25rem 0}.flag .en{color:#fff;opacity:.9}\
.methods{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:.8rem}\
.method-name{display:flex;flex-wrap:wrap;gap:0 .4rem;align-items:baseline;font-weight:600}\
.track{position:relative;height:1rem;background:var(--green-soft);border-radius:4px;margin:.3rem 0 .2rem;overflow:hidden}\
.fill{position:absolute;left:0;top:0;bottom:0;background:var(--green-2)}\
.method.ahead .fill{background:#c77c02}.method.over .fill{background:var(--danger)}\
.mark{position:absolute;top:0;bottom:0;width:2px;background:var(--ink)}\
.mark.limit{background:var(--danger);width:3px}.method.over .mark.limit{background:#fff;box-shadow:0 0 0 1px var(--ink)}\
.caption{font-size:.85rem;color:var(--muted);overflow-wrap:anywhere}\
.method-over{color:var(--danger);font-size:.85rem;font-weight:600}\
.landfill{font-size:.9rem;margin-top:.6rem}\
footer{max-width:72rem;margin:0 auto;padding:1rem;font-size:.85rem;color:var(--muted)}";

/// The page as a complete HTML document.
pub fn page(date: NaiveDate, facilities: &[PublicFacility]) -> String {
    let mut h = String::with_capacity(16 * 1024);
    let mut bars = Bars::default();
    let _ = write!(
        h,
        "<header class=\"site-header\"><div class=\"bar\"><a class=\"brand\" href=\"/\"><span class=\"brand-name\">hwtrace</span>\
         <span class=\"brand-tagline\">危险废物全过程追溯 · 一物一码</span></a>\
         <nav><a href=\"/api/v1/public/facilities?date={date}\">JSON</a><a href=\"/#/catalogue\">名录 <span class=\"en\">catalogue</span></a></nav>\
         </div></header><main>\
         <h1>危险废物利用处置设施能力公开 <span class=\"en\">Hazardous-waste facility capacities</span></h1>\
         <p class=\"muted\">截至 {date}（北京时间）本年度数据，由托管日志计算。\
         <span class=\"en\">This year's figures to {date} (China Standard Time), computed from the custody log.</span></p>"
    );
    let over: Vec<&PublicFacility> = facilities
        .iter()
        .filter(|f| f.reconciliation.methods.iter().any(over_permit))
        .collect();
    let _ = write!(
        h,
        "<div class=\"summary\" id=\"summary\"><span class=\"pill\">{} 家持证设施 <span class=\"en\">licensed facilities</span></span>",
        facilities.len()
    );
    if !over.is_empty() {
        let _ = write!(
            h,
            "<span class=\"pill over\" id=\"over-count\" data-count=\"{}\">{} 家超过许可能力 <span class=\"en\">over their permit</span>：",
            over.len(),
            over.len()
        );
        for (i, f) in over.iter().enumerate() {
            let sep = if i == 0 { "" } else { "、" };
            let _ = write!(
                h,
                "{sep}<a href=\"#f-{}\">{}</a>",
                escape_html(&f.uscc),
                escape_html(&f.name_zh)
            );
        }
        h.push_str("</span>");
    }
    h.push_str(
        "</div><p class=\"legend\"><span><span class=\"key key-fill\"></span>本年处置 <span class=\"en\">treated this year</span></span>\
         <span><span class=\"key key-mark\"></span>按日期折算 <span class=\"en\">pro rata to date</span></span>\
         <span><span class=\"key key-ahead\"></span>超过折算 <span class=\"en\">ahead of pro rata</span></span>\
         <span><span class=\"key key-over\"></span>超过许可 <span class=\"en\">over the permit</span></span></p>\
         <div class=\"facilities\">",
    );
    for f in facilities {
        facility(&mut h, f, &mut bars);
    }
    h.push_str(
        "</div></main><footer>数据仅含许可能力与处置量，不含产生单位等企业信息。\
         <span class=\"en\">Capacities and quantities only; no enterprise-private data.</span></footer></body></html>",
    );
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"theme-color\" content=\"#0f5132\">\
         <link rel=\"icon\" href=\"/icons/icon.svg\" type=\"image/svg+xml\">\
         <title>危险废物利用处置设施能力公开 · Facility capacity disclosure</title><style>{CSS}{}</style></head><body>{h}",
        bars.css()
    )
}

/// The bars' lengths and positions drawn on a page: each a class (`w833`: width 83.3 %,
/// `l833`: left at 83.3 %) whose rule goes into the page's one stylesheet, so the page has no
/// `style` attribute (its Content-Security-Policy allows its stylesheet by hash only,
/// `http::security`).
#[derive(Default)]
struct Bars {
    widths: BTreeSet<u64>,
    lefts: BTreeSet<u64>,
}

impl Bars {
    /// The class of a bar `part` of `whole` long.
    fn width(&mut self, part: u64, whole: u64) -> String {
        let t = tenths(part, whole);
        self.widths.insert(t);
        format!("w{t}")
    }

    /// The class of a mark at `part` of `whole`.
    fn left(&mut self, part: u64, whole: u64) -> String {
        let t = tenths(part, whole);
        self.lefts.insert(t);
        format!("l{t}")
    }

    fn css(&self) -> String {
        let mut css = String::new();
        for t in &self.widths {
            let _ = write!(css, ".w{t}{{width:{}}}", css_percent(*t));
        }
        for t in &self.lefts {
            let _ = write!(css, ".l{t}{{left:{}}}", css_percent(*t));
        }
        css
    }
}

fn facility(h: &mut String, f: &PublicFacility, bars: &mut Bars) {
    let over = f.reconciliation.methods.iter().any(over_permit);
    let _ = write!(
        h,
        "<section class=\"facility{}\" id=\"f-{uscc}\" data-uscc=\"{uscc}\" data-over=\"{over}\"><header>\
         <h2>{} <span class=\"en\">{}</span></h2>\
         <span class=\"muted small\">{} <span class=\"en\">{}</span> · <span class=\"mono\">{uscc}</span></span>",
        if over { " over" } else { "" },
        escape_html(&f.name_zh),
        escape_html(f.name_en.as_deref().unwrap_or("")),
        escape_html(&f.district_zh),
        escape_html(&f.district_en),
        uscc = escape_html(&f.uscc),
    );
    if over {
        h.push_str(
            "<span><span class=\"flag\" data-flag=\"over-permit\">⚠ 超过许可处置能力 \
             <span class=\"en\">treats more than its permit</span></span></span>",
        );
    }
    let _ = write!(
        h,
        "<span class=\"muted small\">本年接收 {} t <span class=\"en\">received this year</span> · 在库 {} t <span class=\"en\">in store</span></span></header>",
        tonnes(f.reconciliation.received_ytd_g),
        tonnes(f.reconciliation.inventory_g)
    );
    h.push_str("<ul class=\"methods\">");
    for m in &f.reconciliation.methods {
        method(h, m, bars);
    }
    h.push_str("</ul>");
    if let Some(l) = &f.reconciliation.landfill {
        let _ = write!(
            h,
            "<p class=\"landfill\">安全填埋库容 <span class=\"en\">landfill</span>：许可 {} m³，已用 {} m³（{}），剩余 {} m³</p>",
            l.licensed_m3,
            l.used_l / 1000,
            percent(l.used_permille),
            l.remaining_l / 1000
        );
    }
    h.push_str("</section>");
}

fn method(h: &mut String, m: &MethodLine, bars: &mut Bars) {
    let (zh, en) = method_names(&m.method);
    let over = over_permit(m);
    let ahead = m.utilisation_permille.is_some_and(|u| u > 1000);
    let class = if over {
        " over"
    } else if ahead {
        " ahead"
    } else {
        ""
    };
    let _ = write!(
        h,
        "<li class=\"method{class}\" data-method=\"{}\" data-over=\"{over}\"><div class=\"method-name\">\
         <span class=\"zh\">{}</span><span class=\"en\">{}</span></div>",
        escape_html(&m.method),
        escape_html(&zh),
        escape_html(&en)
    );
    match bar(m) {
        Some(b) => {
            let scale = b.used.max(1000).max(b.prorata.unwrap_or(0));
            let _ = write!(
                h,
                "<div class=\"track\" role=\"img\" aria-label=\"{zh} {} / {en} {}\" data-used-permille=\"{}\">\
                 <div class=\"fill {}\"></div>",
                percent(Some(b.used)),
                percent(Some(b.used)),
                b.used,
                bars.width(b.used, scale)
            );
            if let Some(p) = b.prorata {
                let _ = write!(h, "<div class=\"mark {}\"></div>", bars.left(p, scale));
            }
            if scale > 1000 {
                let _ = write!(h, "<div class=\"mark limit {}\"></div>", bars.left(1000, scale));
            }
            let _ = write!(h, "</div><div class=\"caption\">{}</div>", b.caption);
        }
        None => {
            let _ = write!(
                h,
                "<div class=\"caption\">本年处置 {} t <span class=\"en\">treated this year</span>；无许可能力 <span class=\"en\">no licensed capacity</span></div>",
                tonnes(m.treated_ytd_g)
            );
        }
    }
    if over {
        let _ = write!(
            h,
            "<div class=\"method-over\">超过许可 <span class=\"en\">over the permit</span>{}</div>",
            match m.days_over_daily_capacity {
                Some(d) if d > 0 =>
                    format!("：{d} 天超过日处置能力 <span class=\"en\">days over the daily capacity</span>"),
                _ => String::new(),
            }
        );
    } else if m.capacity_g > 0 {
        let _ = write!(
            h,
            "<div class=\"caption\">按期利用率 {} <span class=\"en\">pro-rata use</span> · 年末预计 {} <span class=\"en\">projected</span></div>",
            percent(m.utilisation_permille),
            percent(m.projected_permille)
        );
    }
    h.push_str("</li>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(method: &str, capacity_g: u64, treated: u64) -> MethodLine {
        MethodLine {
            method: method.into(),
            method_zh: String::new(),
            capacity_g,
            treated_ytd_g: treated,
            treated_ytd_items: 1,
            prorated_capacity_g: capacity_g / 2,
            utilisation_permille: (capacity_g > 0).then(|| treated * 2000 / capacity_g),
            projected_year_g: treated * 2,
            projected_permille: None,
            days_of_capacity_left: None,
            daily_capacity_g: None,
            treated_on_date_g: 0,
            treated_on_date_items: 0,
            days_over_daily_capacity: None,
            peak_day: None,
            peak_day_g: 0,
            daily_utilisation_permille: None,
        }
    }

    #[test]
    fn tonnes_and_percent_from_integers() {
        assert_eq!(tonnes(12_345_678), "12.3");
        assert_eq!(tonnes(999), "0.0");
        assert_eq!(percent(Some(1002)), "100.2%");
        assert_eq!(percent(None), "—");
        assert!(page(NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(), &[]).contains("2026-11-29"));
    }

    #[test]
    fn methods_are_named_in_chinese_and_english() {
        assert_eq!(
            method_names("physico_chemical"),
            ("物化处理".to_owned(), "physico-chemical treatment".to_owned())
        );
        assert_eq!(method_names("unheard_of").0, "unheard_of");
    }

    #[test]
    fn over_permit_counts_the_year_the_day_and_unlicensed_treatment() {
        assert!(!over_permit(&line("incineration", 1_000_000, 1_000_000)));
        assert!(over_permit(&line("incineration", 1_000_000, 1_000_001)));
        assert!(over_permit(&line("incineration", 0, 1)));
        let mut steam = line("steam", 0, 5_000_000);
        steam.daily_capacity_g = Some(3_000_000);
        steam.days_over_daily_capacity = Some(0);
        assert!(!over_permit(&steam));
        steam.days_over_daily_capacity = Some(1);
        assert!(over_permit(&steam));
    }

    #[test]
    fn a_bar_past_the_licence_stretches_the_scale_and_marks_the_limit() {
        let m = line("physico_chemical", 1_000_000, 1_200_000);
        let mut h = String::new();
        let mut bars = Bars::default();
        method(&mut h, &m, &mut bars);
        // 120 % used: the bar fills the track, the limit sits at 1000/1200 of it.
        assert!(h.contains("data-used-permille=\"1200\""), "{h}");
        assert!(h.contains("class=\"fill w1000\""), "{h}");
        assert!(h.contains("class=\"mark limit l833\""), "{h}");
        assert_eq!(bars.css(), ".w1000{width:100.0%}.l416{left:41.6%}.l833{left:83.3%}");
        assert!(!h.contains("style="), "{h}");
        assert!(h.contains("data-over=\"true\"") && h.contains("物化处理"), "{h}");
        assert!(!h.contains(">physico_chemical<"), "the raw code is shown: {h}");
    }
}
