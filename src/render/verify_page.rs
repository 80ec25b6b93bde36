//! The public page at `GET /Q/<b32>` (SPEC §3.3): what a phone shows after its camera scans a label.
//!
//! The reader is an inspector, a driver or a passer-by on a small screen, often outdoors, so the verdict
//! comes first as a large coloured banner, Chinese first with English beneath in smaller type. A label
//! whose signature fails is shown as forged, loudly and in red, never as merely unknown: that is the whole
//! point of signing labels. Item data and the custody timeline follow; when the label is not genuine the
//! item data is headed as what the label *claims*, because nothing vouches for it.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::label::escape_html;
use super::pictograms::{hazard_name_zh, pictogram_svg};

/// Outcome of checking a scanned label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The signature verifies with a label key the service holds.
    Genuine,
    /// The signature does not verify: the label was made or altered by someone without the key.
    Forged,
    /// Well-formed, but signed by a key this service does not know.
    UnknownKey,
    /// Not a label payload at all (bad base32, wrong length or version).
    Malformed,
}

impl Verdict {
    /// Stable machine code, as used in the JSON form of the same page.
    pub fn code(self) -> &'static str {
        match self {
            Verdict::Genuine => "genuine",
            Verdict::Forged => "forged",
            Verdict::UnknownKey => "unknown_key",
            Verdict::Malformed => "malformed",
        }
    }

    /// (CSS class, symbol, Chinese headline, English headline).
    fn banner(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Verdict::Genuine => ("genuine", "✔", "真实标签", "Genuine label"),
            Verdict::Forged => (
                "forged",
                "✘",
                "伪造标签 — 签名无效",
                "FORGED label: the signature does not verify",
            ),
            Verdict::UnknownKey => ("unknown-key", "?", "无法验证", "Cannot verify: unknown signing key"),
            Verdict::Malformed => ("malformed", "✘", "无效二维码", "Invalid QR code: not an hwtrace label"),
        }
    }
}

/// The item as the page shows it; all text already formatted by the caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemSummary {
    pub item_code: String,
    pub waste_code: String,
    pub waste_name: String,
    pub mass_text: String,
    /// Hazard letters `T`, `C`, `I`, `R`, `In`.
    pub hazards: Vec<String>,
    pub form_zh: String,
    pub generator_name: String,
    pub generated_on: String,
    pub state_zh: String,
    pub state_en: String,
    pub holder_name: String,
}

/// One custody event, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustodyLine {
    /// The event's own time (its signed `at`) in China Standard Time, e.g. `2026-11-28 14:05`.
    pub at_cst: String,
    /// When the log recorded it, China Standard Time ("" when not known).
    #[serde(default)]
    pub logged_cst: String,
    /// The event type (`generate`, `release`, ...), "" when not an event.
    #[serde(default)]
    pub event: String,
    /// The event type in words.
    pub what_zh: String,
    pub what_en: String,
    /// The name of the enterprise that signed it.
    pub by: String,
    /// Its USCC ("" when not known).
    #[serde(default)]
    pub by_uscc: String,
}

/// Everything the verification page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyView {
    pub verdict: Verdict,
    pub reason_zh: String,
    pub reason_en: String,
    pub item: Option<ItemSummary>,
    pub custody: Vec<CustodyLine>,
}

const CSS: &str = r#"
* { box-sizing: border-box; }
body { margin: 0; font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif;
  font-size: 17px; line-height: 1.5; color: #111; background: #f4f4f4; }
main { max-width: 40rem; margin: 0 auto; padding: 0 0 2rem; }
.en { display: block; font-size: 0.8em; color: #555; }
.banner { padding: 1.2rem 1rem; color: #fff; text-align: center; }
.banner .sym { display: block; font-size: 3.5rem; line-height: 1; font-weight: 900; }
.banner .zh { display: block; font-size: 1.9rem; font-weight: 900; }
.banner .en { color: inherit; font-size: 1.05rem; opacity: 0.95; }
.banner .reason { margin: 0.6rem 0 0; font-size: 1rem; }
.banner.genuine { background: #1b7f35; }
.banner.forged { background: #c40000; border: 0.5rem solid #ffeb00; text-transform: uppercase; }
.banner.forged .zh { font-size: 2.3rem; }
.banner.unknown-key { background: #e07000; }
.banner.malformed { background: #b00020; }
section { background: #fff; margin: 0.8rem; padding: 0.8rem 1rem; border-radius: 0.4rem; }
h2 { font-size: 1.1rem; margin: 0 0 0.5rem; }
dl { margin: 0; }
dl div { display: flex; gap: 0.8rem; padding: 0.3rem 0; border-bottom: 1px solid #eee; }
dt { flex: 0 0 6.5em; font-weight: 700; }
dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
.mono { font-family: "Noto Sans Mono CJK SC", "DejaVu Sans Mono", monospace; font-size: 0.9em; }
.hz { display: inline-flex; align-items: center; gap: 0.2rem; margin-right: 0.6rem; }
.hz svg { width: 2rem; height: 2rem; }
ol { list-style: none; margin: 0; padding: 0; }
ol li { position: relative; padding: 0 0 0.8rem 1.2rem; border-left: 2px solid #999; margin-left: 0.4rem; }
ol li::before { content: ""; position: absolute; left: -0.4rem; top: 0.45rem; width: 0.6rem; height: 0.6rem;
  border-radius: 50%; background: #333; }
.when { font-size: 0.85em; color: #555; }
.by { display: block; font-size: 0.9em; }
.empty { color: #555; }
"#;

/// The verification page as a complete HTML document.
pub fn verify_page(view: &VerifyView) -> String {
    let mut out = String::with_capacity(8 * 1024);
    out.push_str(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n\
         <link rel=\"icon\" href=\"/icons/icon.svg\" type=\"image/svg+xml\">\n",
    );
    let (_, _, title_zh, _) = view.verdict.banner();
    let _ = write!(
        out,
        "<title>{title_zh} — 危险废物标签验证</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
    );
    push_banner(&mut out, view);
    if let Some(item) = &view.item {
        push_item(&mut out, item, view.verdict == Verdict::Genuine);
    }
    push_custody(&mut out, &view.custody);
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn push_banner(out: &mut String, view: &VerifyView) {
    let (class, symbol, zh, en) = view.verdict.banner();
    let _ = write!(
        out,
        "<header class=\"banner {class}\" role=\"alert\" data-verdict=\"{}\">\
         <span class=\"sym\" aria-hidden=\"true\">{symbol}</span>\
         <span class=\"zh\">{zh}</span><span class=\"en\">{en}</span>",
        view.verdict.code()
    );
    if !view.reason_zh.is_empty() || !view.reason_en.is_empty() {
        let _ = write!(
            out,
            "<p class=\"reason\">{}<span class=\"en\">{}</span></p>",
            escape_html(&view.reason_zh),
            escape_html(&view.reason_en)
        );
    }
    out.push_str("</header>\n");
}

fn push_item(out: &mut String, item: &ItemSummary, genuine: bool) {
    let heading = if genuine {
        "废物信息<span class=\"en\">Waste item</span>"
    } else {
        "标签声称的信息（未经验证）<span class=\"en\">What the label claims (not verified)</span>"
    };
    let _ = write!(out, "<section class=\"item\">\n<h2>{heading}</h2>\n<dl>\n");
    push_row(out, "数字识别码", "Item code", &mono(&item.item_code));
    push_row(out, "废物名称", "Waste", &escape_html(&item.waste_name));
    push_row(out, "废物代码", "Waste code", &escape_html(&item.waste_code));
    push_row(out, "危险特性", "Hazards", &hazards(&item.hazards));
    push_row(out, "废物形态", "Form", &escape_html(&item.form_zh));
    push_row(out, "废物重量", "Declared mass", &escape_html(&item.mass_text));
    push_row(out, "产生单位", "Generator", &escape_html(&item.generator_name));
    push_row(out, "产生日期", "Generated on", &escape_html(&item.generated_on));
    let state = format!(
        "{}<span class=\"en\">{}</span>",
        escape_html(&item.state_zh),
        escape_html(&item.state_en)
    );
    push_row(out, "当前状态", "Current state", &state);
    push_row(out, "当前持有人", "Current holder", &escape_html(&item.holder_name));
    out.push_str("</dl>\n</section>\n");
}

/// `value_html` must already be escaped.
fn push_row(out: &mut String, zh: &str, en: &str, value_html: &str) {
    let _ = writeln!(
        out,
        "<div><dt>{zh}<span class=\"en\">{en}</span></dt><dd>{value_html}</dd></div>"
    );
}

fn mono(text: &str) -> String {
    format!("<span class=\"mono\">{}</span>", escape_html(text))
}

fn hazards(letters: &[String]) -> String {
    let mut out = String::new();
    for letter in letters {
        match (pictogram_svg(letter), hazard_name_zh(letter)) {
            (Some(svg), Some(name)) => {
                let _ = write!(out, "<span class=\"hz\">{svg}{name}</span>");
            }
            _ => {
                let _ = write!(out, "<span class=\"hz\">{}</span>", escape_html(letter));
            }
        }
    }
    out
}

fn push_custody(out: &mut String, lines: &[CustodyLine]) {
    out.push_str("<section class=\"custody\">\n<h2>流转记录<span class=\"en\">Custody record</span></h2>\n");
    if lines.is_empty() {
        out.push_str("<p class=\"empty\">暂无记录<span class=\"en\">No events recorded</span></p>\n</section>\n");
        return;
    }
    out.push_str("<ol>\n");
    for line in lines {
        let logged = if line.logged_cst.is_empty() || line.logged_cst == line.at_cst {
            String::new()
        } else {
            format!(
                "　记录于 {}<span class=\"en\">event time; logged {}</span>",
                escape_html(&line.logged_cst),
                escape_html(&line.logged_cst)
            )
        };
        let uscc = if line.by_uscc.is_empty() {
            String::new()
        } else {
            format!("（<span class=\"mono\">{}</span>）", escape_html(&line.by_uscc))
        };
        let _ = writeln!(
            out,
            "<li data-event=\"{}\"><span class=\"when\">{}{logged}</span>{}<span class=\"en\">{}</span>\
             <span class=\"by\">签名单位 <span class=\"en\">signed by</span> {}{uscc}</span></li>",
            escape_html(&line.event),
            escape_html(&line.at_cst),
            escape_html(&line.what_zh),
            escape_html(&line.what_en),
            escape_html(&line.by)
        );
    }
    out.push_str("</ol>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(verdict: Verdict) -> VerifyView {
        VerifyView {
            verdict,
            reason_zh: "签名与标签密钥不符".into(),
            reason_en: "signature does not match the label key".into(),
            item: None,
            custody: vec![],
        }
    }

    #[test]
    fn forged_is_red_and_loud_and_never_called_unknown() {
        let page = verify_page(&view(Verdict::Forged));
        assert!(page.contains("伪造标签"));
        assert!(page.contains("FORGED"));
        assert!(page.contains("banner forged"));
        let banner = page.split("<header").nth(1).unwrap().split("</header>").next().unwrap();
        assert!(!banner.contains("无法验证"));
        assert!(!banner.to_lowercase().contains("unknown"));
    }

    #[test]
    fn non_genuine_item_data_is_headed_as_a_claim() {
        let mut v = view(Verdict::Forged);
        v.item = Some(ItemSummary {
            item_code: "91500110MA5U8F4X2N9002490820261128001".into(),
            waste_code: "900-249-08".into(),
            waste_name: "废矿物油".into(),
            mass_text: "185.5 kg".into(),
            hazards: vec!["T".into()],
            form_zh: "液态".into(),
            generator_name: "某厂".into(),
            generated_on: "2026-11-28".into(),
            state_zh: "贮存中".into(),
            state_en: "in store".into(),
            holder_name: "某厂".into(),
        });
        assert!(verify_page(&v).contains("未经验证"));
        v.verdict = Verdict::Genuine;
        assert!(!verify_page(&v).contains("未经验证"));
    }

    #[test]
    fn empty_custody_says_so() {
        assert!(verify_page(&view(Verdict::Genuine)).contains("暂无记录"));
    }

    #[test]
    fn verdict_codes_match_serde_names() {
        for v in [
            Verdict::Genuine,
            Verdict::Forged,
            Verdict::UnknownKey,
            Verdict::Malformed,
        ] {
            assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{}\"", v.code()));
        }
    }
}
