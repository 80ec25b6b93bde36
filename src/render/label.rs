//! Printable hazardous-waste labels (危险废物标签, HJ 1276-2022) as HTML pages.
//!
//! A label is printed from a browser onto label stock, so the page is sized in millimetres with `@page`
//! rules and each label box is exactly the label's size. The side follows the container volume as the
//! standard requires (100, 150 or 200 mm); every inner measure is a multiple of a per-size unit `--u`, so
//! the three sizes are the same drawing at three scales. The QR code is inline SVG, which prints sharp at
//! any printer resolution.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::pictograms::{hazard_name_zh, pictogram_svg};
use super::qr::{qr_code, svg_of};
use super::RenderError;

/// Everything printed on one label, already formatted by the caller (dates in China Standard Time, masses
/// with their unit). Nothing here is trusted: every field is escaped on output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelView {
    pub waste_name: String,
    /// HW category, e.g. `HW08`.
    pub category: String,
    /// The category's name, e.g. `废矿物油与含矿物油废物`.
    pub category_name: String,
    /// Waste code as written in the national list, e.g. `900-249-08`.
    pub waste_code: String,
    /// Physical form in Chinese, e.g. `液态`.
    pub form_zh: String,
    /// Hazard letters `T`, `C`, `I`, `R`, `In`.
    pub hazards: Vec<String>,
    pub main_components: String,
    /// 有害成分: as declared, or derived from the hazards by the caller.
    pub harmful_components: String,
    /// 注意事项: as declared, or derived from the hazards by the caller.
    pub precautions: String,
    /// The unit's name: the generator's, or for a consolidated or split container the
    /// collecting unit's.
    pub generator_name: String,
    /// True for a container made by consolidating or splitting others: the unit line reads
    /// 收集单位 instead of 产生单位.
    #[serde(default)]
    pub collected: bool,
    /// 备注: the generator's declared remark ("" for none).
    #[serde(default)]
    pub remarks: String,
    /// Stages at which the national list exempts the waste code (豁免管理清单), e.g. `运输`.
    #[serde(default)]
    pub exempt_stages: Vec<String>,
    pub contact_name: String,
    pub contact_phone: String,
    /// Generation date, China Standard Time, e.g. `2026-11-28`.
    pub generated_on: String,
    /// Declared mass with unit, e.g. `185.5 kg`.
    pub mass_text: String,
    /// The 37-character item code (数字识别码, SPEC §1.3).
    pub item_code: String,
    /// The signed QR text (SPEC §3.3).
    pub qr_text: String,
    pub container_volume_l: u32,
}

/// Label side lengths allowed by HJ 1276-2022, chosen from the container volume.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LabelSize {
    Mm100,
    Mm150,
    Mm200,
}

impl LabelSize {
    /// ≤ 50 L: 100×100 mm; above 50 L and below 450 L: 150×150 mm; 450 L and more: 200×200 mm.
    pub fn for_volume_l(volume_l: u32) -> LabelSize {
        match volume_l {
            0..=50 => LabelSize::Mm100,
            51..=449 => LabelSize::Mm150,
            _ => LabelSize::Mm200,
        }
    }

    pub fn side_mm(self) -> u32 {
        match self {
            LabelSize::Mm100 => 100,
            LabelSize::Mm150 => 150,
            LabelSize::Mm200 => 200,
        }
    }

    /// Printed width of the QR code, quiet zone included. 36 mm on the 100 mm label keeps the symbol
    /// itself above the 30 mm SPEC §3.3 relies on (version 10: 57 of 65 modules is 31.6 mm).
    pub fn qr_side_mm(self) -> u32 {
        self.side_mm() * 36 / 100
    }

    /// The CSS named page this size prints on.
    pub fn page_name(self) -> &'static str {
        match self {
            LabelSize::Mm100 => "label100",
            LabelSize::Mm150 => "label150",
            LabelSize::Mm200 => "label200",
        }
    }

    fn class(self) -> &'static str {
        match self {
            LabelSize::Mm100 => "s100",
            LabelSize::Mm150 => "s150",
            LabelSize::Mm200 => "s200",
        }
    }

    const ALL: [LabelSize; 3] = [LabelSize::Mm100, LabelSize::Mm150, LabelSize::Mm200];
}

/// Escapes text for HTML element content and double- or single-quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    push_escaped(&mut out, text);
    out
}

/// One label as a complete HTML document, its page the label's size.
pub fn label_page(view: &LabelView) -> Result<String, RenderError> {
    let size = LabelSize::for_volume_l(view.container_volume_l);
    let mut body = String::new();
    push_label(&mut body, view)?;
    Ok(document(&format!("危险废物标签 {}", view.item_code), size, &body))
}

/// Many labels for one print run: one document, one page per label, each page sized for its label.
pub fn label_sheet(views: &[LabelView]) -> Result<String, RenderError> {
    // Unnamed pages (before the first label, or in browsers without named pages) take the first size.
    let first = views
        .first()
        .map_or(LabelSize::Mm100, |v| LabelSize::for_volume_l(v.container_volume_l));
    let mut body = String::with_capacity(views.len() * 16 * 1024);
    for view in views {
        push_label(&mut body, view)?;
    }
    Ok(document(&format!("危险废物标签（{} 张）", views.len()), first, &body))
}

const FONT_STACK: &str = r#""Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif"#;
const MONO_STACK: &str = r#""Noto Sans Mono CJK SC", "DejaVu Sans Mono", Consolas, monospace"#;

/// Size-independent rules; lengths are multiples of `--u` (1 mm on the 100 mm label).
const BASE_CSS: &str = r#"
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body { -webkit-print-color-adjust: exact; print-color-adjust: exact; color: #000; }
.label { position: relative; overflow: hidden; display: flex; flex-direction: column; background: rgb(255, 150, 0);
  color: #000;
  border: calc(0.6 * var(--u)) solid #000; padding: calc(1.5 * var(--u));
  font-size: calc(2.8 * var(--u)); line-height: 1.25; break-inside: avoid; break-after: page; }
.label:last-child { break-after: auto; }
.label .title { margin: 0 0 calc(1.2 * var(--u)); height: calc(8.5 * var(--u)); color: #000;
  border-bottom: calc(0.5 * var(--u)) solid #000; font-size: calc(6 * var(--u)); line-height: calc(7.5 * var(--u));
  font-weight: 900; text-align: center; letter-spacing: calc(2 * var(--u)); }
.label .fields { flex: 1 1 auto; min-height: 0; overflow: hidden; margin: 0; display: grid;
  grid-template-columns: 1fr 1fr; grid-auto-rows: min-content; column-gap: calc(2 * var(--u));
  row-gap: calc(0.6 * var(--u)); }
.label .f { display: flex; min-width: 0; }
.label .f.wide { grid-column: 1 / -1; }
.label dt { flex: none; font-weight: 700; }
.label dt::after { content: "："; }
.label dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
.label .foot { flex: none; display: flex; gap: calc(2 * var(--u)); align-items: flex-end;
  margin-top: calc(1 * var(--u)); border-top: calc(0.3 * var(--u)) solid #000; padding-top: calc(1 * var(--u)); }
.label .foot .left { flex: 1 1 auto; min-width: 0; display: flex; flex-direction: column;
  gap: calc(1.2 * var(--u)); }
.label .cap { display: block; font-weight: 700; }
.label .cap::after { content: "："; }
.label .pics { display: flex; flex-wrap: wrap; gap: calc(0.8 * var(--u)); }
.label .hz { display: flex; flex-direction: column; align-items: center; font-size: calc(2.2 * var(--u)); }
.label .hz svg { display: block; width: calc(10.5 * var(--u)); height: calc(10.5 * var(--u)); }
.label .hz.unknown { border: calc(0.3 * var(--u)) solid #000; padding: calc(0.5 * var(--u)); }
.label .item-code { display: block; font-size: calc(2.5 * var(--u)); letter-spacing: 0;
  overflow-wrap: anywhere; }
.label .qr { flex: none; }
.label .qr svg { display: block; }
@media screen {
  body { background: #777; padding: 8mm 0; }
  .label { margin: 0 auto 8mm; box-shadow: 0 1mm 4mm rgba(0, 0, 0, 0.5); }
}
"#;

fn document(title: &str, first: LabelSize, body: &str) -> String {
    let mut css = String::with_capacity(BASE_CSS.len() + 1024);
    let side = first.side_mm();
    let _ = writeln!(css, "@page {{ size: {side}mm {side}mm; margin: 0 }}");
    for size in LabelSize::ALL {
        let (s, q) = (size.side_mm(), size.qr_side_mm());
        let _ = writeln!(css, "@page {} {{ size: {s}mm {s}mm; margin: 0 }}", size.page_name());
        let _ = writeln!(
            css,
            ".label.{c} {{ --u: {u}mm; width: {s}mm; height: {s}mm; page: {p}; }}\n\
             .label.{c} .qr svg {{ width: {q}mm; height: {q}mm; }}",
            c = size.class(),
            u = f64::from(s) / 100.0,
            p = size.page_name(),
        );
    }
    let _ = writeln!(
        css,
        "body {{ font-family: {FONT_STACK}; }}\n.label .item-code {{ font-family: {MONO_STACK}; }}"
    );
    css.push_str(BASE_CSS);
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n\
         <style>\n{css}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape_html(title)
    )
}

fn push_label(out: &mut String, v: &LabelView) -> Result<(), RenderError> {
    // Encode first: a label whose QR code cannot be made must not be printed at all.
    let qr = svg_of(&qr_code(&v.qr_text)?, 4);
    let size = LabelSize::for_volume_l(v.container_volume_l);
    let _ = write!(out, "<section class=\"label {}\" data-item-code=\"", size.class());
    push_escaped(out, &v.item_code);
    out.push_str("\">\n<h1 class=\"title\">危险废物</h1>\n<dl class=\"fields\">\n");
    let category = format!("{} {}", v.category, v.category_name);
    push_field(out, "废物名称", &v.waste_name, true);
    push_field(out, "废物类别", category.trim(), true);
    push_field(out, "废物代码", &v.waste_code, false);
    push_field(out, "废物形态", &v.form_zh, false);
    push_field(out, "主要成分", &v.main_components, true);
    push_field(out, "有害成分", &v.harmful_components, true);
    push_field(out, "注意事项", &v.precautions, true);
    let unit = if v.collected { "收集单位" } else { "产生单位" };
    push_field(out, unit, &v.generator_name, true);
    push_field(out, "联系人", &v.contact_name, false);
    push_field(out, "联系方式", &v.contact_phone, false);
    push_field(out, "产生日期", &v.generated_on, false);
    push_field(out, "废物重量", &v.mass_text, false);
    push_field(out, "备注", &remarks_text(v), true);
    out.push_str("</dl>\n<div class=\"foot\">\n<div class=\"left\">\n");
    out.push_str("<div class=\"hazards\"><span class=\"cap\">危险特性</span><span class=\"pics\">");
    for letter in &v.hazards {
        push_hazard(out, letter);
    }
    out.push_str("</span></div>\n");
    out.push_str("<div class=\"code\"><span class=\"cap\">数字识别码</span><code class=\"item-code\">");
    push_escaped(out, &v.item_code);
    out.push_str("</code></div>\n</div>\n<div class=\"qr\">");
    out.push_str(&qr);
    out.push_str("</div>\n</div>\n</section>\n");
    Ok(())
}

/// 备注: the declared remark, then the stages the national list exempts (when its conditions
/// are met).
fn remarks_text(v: &LabelView) -> String {
    let mut parts = Vec::new();
    if !v.remarks.is_empty() {
        parts.push(v.remarks.clone());
    }
    if !v.exempt_stages.is_empty() {
        parts.push(format!(
            "名录豁免环节：{}（须符合豁免条件）",
            v.exempt_stages.join("、")
        ));
    }
    parts.join("；")
}

fn push_field(out: &mut String, caption: &str, value: &str, wide: bool) {
    out.push_str(if wide {
        "<div class=\"f wide\"><dt>"
    } else {
        "<div class=\"f\"><dt>"
    });
    out.push_str(caption);
    out.push_str("</dt><dd>");
    push_escaped(out, value);
    out.push_str("</dd></div>\n");
}

fn push_hazard(out: &mut String, letter: &str) {
    match (pictogram_svg(letter), hazard_name_zh(letter)) {
        (Some(svg), Some(name)) => {
            let _ = write!(out, "<span class=\"hz\">{svg}<span>{name}</span></span>");
        }
        // An unknown letter is still printed, as text, rather than silently dropped from a hazard warning.
        _ => {
            out.push_str("<span class=\"hz unknown\">");
            push_escaped(out, letter);
            out.push_str("</span>");
        }
    }
}

fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(volume_l: u32) -> LabelView {
        LabelView {
            waste_name: "废矿物油".into(),
            category: "HW08".into(),
            category_name: "废矿物油与含矿物油废物".into(),
            waste_code: "900-249-08".into(),
            form_zh: "液态".into(),
            hazards: vec!["T".into(), "I".into()],
            main_components: "矿物油".into(),
            harmful_components: "多环芳烃".into(),
            precautions: "远离火源".into(),
            generator_name: "重庆某机械厂".into(),
            collected: false,
            remarks: String::new(),
            exempt_stages: Vec::new(),
            contact_name: "张三".into(),
            contact_phone: "023-12345678".into(),
            generated_on: "2026-11-28".into(),
            mass_text: "185.5 kg".into(),
            item_code: "91500110MA5U8F4X2N9002490820261128001".into(),
            qr_text: "HTTP://127.0.0.1:8080/Q/AEJSNRY4".into(),
            container_volume_l: volume_l,
        }
    }

    #[test]
    fn escape_covers_the_five_html_specials() {
        assert_eq!(
            escape_html(r#"<a href="x" title='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
        assert_eq!(escape_html("危险 废物"), "危险 废物");
    }

    #[test]
    fn page_size_follows_the_volume() {
        let small = label_page(&view(20)).unwrap();
        assert!(small.contains("@page { size: 100mm 100mm; margin: 0 }"));
        assert!(small.contains("<section class=\"label s100\""));
        let large = label_page(&view(1000)).unwrap();
        assert!(large.contains("@page { size: 200mm 200mm; margin: 0 }"));
        assert!(large.contains("<section class=\"label s200\""));
    }

    #[test]
    fn qr_prints_at_least_30mm_on_the_smallest_label() {
        assert!(LabelSize::Mm100.qr_side_mm() >= 30);
        assert_eq!(LabelSize::Mm150.qr_side_mm(), 54);
        assert_eq!(LabelSize::Mm200.qr_side_mm(), 72);
        let page = label_page(&view(20)).unwrap();
        assert!(page.contains(".label.s100 .qr svg { width: 36mm; height: 36mm; }"));
    }

    #[test]
    fn unknown_hazard_letters_are_printed_escaped_not_dropped() {
        let mut v = view(20);
        v.hazards = vec!["<X>".into()];
        let page = label_page(&v).unwrap();
        assert!(page.contains("<span class=\"hz unknown\">&lt;X&gt;</span>"));
    }

    #[test]
    fn a_label_with_a_bad_qr_text_is_refused() {
        let mut v = view(20);
        v.qr_text = "http://lower.case/".into();
        assert!(matches!(label_page(&v), Err(RenderError::NotAlphanumeric { .. })));
        assert!(label_sheet(&[view(20), v]).is_err());
    }

    #[test]
    fn the_label_is_orange_yellow_with_black_text_and_names_a_collecting_unit() {
        let page = label_page(&view(20)).unwrap();
        assert!(page.contains("background: rgb(255, 150, 0);"));
        assert!(!page.contains("#FFD700") && !page.contains("background: #fff"));
        assert!(page.contains("<dt>产生单位</dt>") && page.contains("<dt>备注</dt><dd></dd>"));
        let mut v = view(20);
        v.collected = true;
        v.remarks = "桶身有凹痕".into();
        v.exempt_stages = vec!["运输".into()];
        let page = label_page(&v).unwrap();
        assert!(page.contains("<dt>收集单位</dt>") && !page.contains("<dt>产生单位</dt>"));
        assert!(page.contains("<dd>桶身有凹痕；名录豁免环节：运输（须符合豁免条件）</dd>"));
    }

    #[test]
    fn empty_sheet_is_a_valid_document() {
        let sheet = label_sheet(&[]).unwrap();
        assert!(sheet.starts_with("<!DOCTYPE html>"));
        assert!(!sheet.contains("<section"));
    }
}
