//! The public disclosure page: every licensed facility's capacities and their use this year.
//! Chinese first, English beside; masses in tonnes with one decimal, from integer grams.

use chrono::NaiveDate;

use super::escape_html;
use crate::service::reconcile::{MethodLine, PublicFacility};

/// Grams as tonnes with one decimal (rounded down), e.g. `12 345 678 g` → `12.3`.
pub fn tonnes(g: u64) -> String {
    format!("{}.{}", g / 1_000_000, (g % 1_000_000) / 100_000)
}

/// Parts per thousand as a percentage with one decimal, or `—`.
pub fn percent(permille: Option<u64>) -> String {
    permille.map_or_else(|| "—".to_owned(), |p| format!("{}.{}%", p / 10, p % 10))
}

/// A method's licensed capacity in the unit its permit states: tonnes a year, or a day.
fn licensed(m: &MethodLine) -> String {
    match m.daily_capacity_g {
        Some(day) if m.capacity_g == 0 => format!("{} t/日 <span class=\"en\">t/day</span>", tonnes(day)),
        _ => format!("{} t/年 <span class=\"en\">t/yr</span>", tonnes(m.capacity_g)),
    }
}

pub fn page(date: NaiveDate, facilities: &[PublicFacility]) -> String {
    let mut h = String::new();
    h.push_str(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>危险废物利用处置设施能力公开 · Facility capacity disclosure</title>\
         <style>body{font-family:system-ui,'WenQuanYi Micro Hei',sans-serif;margin:1.5rem;color:#222}\
         table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #bbb;padding:.3rem .6rem;\
         text-align:right}th:first-child,td:first-child{text-align:left}.en{color:#666;font-size:.9em}</style>\
         </head><body>",
    );
    h.push_str(&format!(
        "<h1>危险废物利用处置设施能力公开 <span class=\"en\">Hazardous-waste facility capacities</span></h1>\
         <p>截至 {date}（北京时间）本年度数据 <span class=\"en\">This year's figures to {date} (China Standard Time)</span>；\
         由托管日志计算 <span class=\"en\">computed from the custody log</span>。</p>"
    ));
    for f in facilities {
        h.push_str(&format!(
            "<h2>{} <span class=\"en\">{}</span></h2>",
            escape_html(&f.name_zh),
            escape_html(f.name_en.as_deref().unwrap_or(""))
        ));
        h.push_str(
            "<table><tr><th>处置方式 <span class=\"en\">method</span></th><th>许可能力 <span class=\"en\">licensed</span></th>\
             <th>本年处置 t <span class=\"en\">treated this year</span></th><th>按期利用率 <span class=\"en\">utilisation</span></th>\
             <th>年末预计 <span class=\"en\">projected</span></th></tr>",
        );
        for m in &f.reconciliation.methods {
            h.push_str(&format!(
                "<tr><td>{} <span class=\"en\">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape_html(&m.method_zh),
                escape_html(&m.method),
                licensed(m),
                tonnes(m.treated_ytd_g),
                // Against the annual capacity, or on average against the daily one.
                percent(m.utilisation_permille.or(m.daily_utilisation_permille)),
                percent(m.projected_permille)
            ));
        }
        h.push_str("</table>");
        if let Some(l) = &f.reconciliation.landfill {
            h.push_str(&format!(
                "<p>安全填埋库容 <span class=\"en\">landfill</span>：许可 {} m³，已用 {} m³（{}），剩余 {} m³</p>",
                l.licensed_m3,
                l.used_l / 1000,
                percent(l.used_permille),
                l.remaining_l / 1000
            ));
        }
    }
    h.push_str("</body></html>");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tonnes_and_percent_from_integers() {
        assert_eq!(tonnes(12_345_678), "12.3");
        assert_eq!(tonnes(999), "0.0");
        assert_eq!(percent(Some(1002)), "100.2%");
        assert_eq!(percent(None), "—");
        assert!(page(NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(), &[]).contains("2026-11-29"));
    }
}
