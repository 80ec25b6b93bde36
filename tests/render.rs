//! The rendering module from the outside: QR codes read back with an independent decoder, label pages
//! carrying every field the standard asks for, and verification pages that cannot be mistaken for each other.

use hwtrace::render::{
    decode_png, escape_html, inspect_png, label_page, label_sheet, pictogram_svg, qr_code, qr_png, qr_svg, verify_page,
    CustodyLine, ItemSummary, LabelSize, LabelView, QrMode, Verdict, VerifyView,
};
use proptest::prelude::*;

/// Alphanumeric capacity at error correction level M, versions 1..=10 (ISO/IEC 18004 table 7).
const ALNUM_M: [usize; 10] = [20, 38, 61, 90, 122, 154, 178, 221, 262, 311];

const ALNUM_SET: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// The size of a label QR payload: 60-byte payload (SPEC §3.1) and 64-byte signature (§3.2).
const SIGNED_PAYLOAD_BYTES: usize = 124;

/// RFC 4648 base32, upper case, no padding, as SPEC §3.3 uses.
fn b32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn predicted_version(len: usize) -> Option<usize> {
    ALNUM_M.iter().position(|&cap| len <= cap).map(|i| i + 1)
}

/// A base URL of exactly `len` characters, upper case as SPEC §3.3 prints it.
fn base_url(len: usize) -> String {
    assert!(len >= 12, "too short for a host name");
    format!("HTTPS://{}.CN", "X".repeat(len - 11))
}

fn label_text(base_len: usize, payload: &[u8]) -> String {
    format!("{}/Q/{}", base_url(base_len), b32(payload))
}

fn sample_label(volume_l: u32, serial: u32) -> LabelView {
    LabelView {
        waste_name: "废矿物油".into(),
        category: "HW08".into(),
        category_name: "废矿物油与含矿物油废物".into(),
        waste_code: "900-249-08".into(),
        form_zh: "液态".into(),
        hazards: vec!["T".into(), "I".into()],
        main_components: "矿物油、水".into(),
        harmful_components: "多环芳烃".into(),
        precautions: "远离火源，防止泄漏".into(),
        generator_name: "重庆万盛某机械有限公司".into(),
        collected: false,
        remarks: String::new(),
        exempt_stages: Vec::new(),
        contact_name: "张三".into(),
        contact_phone: "023-48271234".into(),
        generated_on: "2026-11-28".into(),
        mass_text: "185.5 kg".into(),
        item_code: format!("91500110MA5U8F4X2N9002490820261128{serial:03}"),
        qr_text: label_text(21, &[serial as u8; SIGNED_PAYLOAD_BYTES]),
        container_volume_l: volume_l,
    }
}

fn tag_names(markup: &str) -> Vec<String> {
    markup
        .split('<')
        .skip(1)
        .filter(|t| !t.starts_with('/'))
        .map(|t| t.split([' ', '>', '/']).next().unwrap_or("").to_string())
        .collect()
}

// ---------------------------------------------------------------- QR codes

proptest! {
    // Few cases: each one encodes and decodes images, and the point is variety, not volume.
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn png_round_trips_any_alphanumeric_text(
        chars in proptest::collection::vec(proptest::sample::select(ALNUM_SET.chars().collect::<Vec<_>>()), 1..300),
        module_px in 2u32..5,
    ) {
        let text: String = chars.into_iter().collect();
        let png = qr_png(&text, module_px).unwrap();
        prop_assert_eq!(decode_png(&png).unwrap(), vec![text]);
    }

    #[test]
    fn a_signed_label_with_a_32_char_base_url_fits_version_10_in_alphanumeric_mode(
        payload in proptest::collection::vec(any::<u8>(), SIGNED_PAYLOAD_BYTES),
        base_len in 12usize..=32,
    ) {
        let text = label_text(base_len, &payload);
        prop_assert_eq!(text.len(), base_len + 3 + 199);
        let code = qr_code(&text).unwrap();
        let version = (code.width() - 17) / 4;
        prop_assert!(code.width() <= 57, "version {version} for a {base_len}-char base URL");
        // Byte mode would need version 10 or 11 for this length; only alphanumeric reaches the table's value.
        prop_assert_eq!(Some(version), predicted_version(text.len()));

        let read = inspect_png(&qr_png(&text, 3).unwrap()).unwrap();
        prop_assert_eq!(read.len(), 1);
        prop_assert_eq!(&read[0].text, &text);
        prop_assert_eq!(read[0].mode, QrMode::Alphanumeric);
        prop_assert_eq!(read[0].ec_level, 'M');
        prop_assert_eq!(read[0].version, version);
    }

    #[test]
    fn escape_html_leaves_no_markup_and_is_reversible(text in any::<String>()) {
        let escaped = escape_html(&text);
        prop_assert!(!escaped.contains(['<', '>', '"', '\'']));
        let back = escaped
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&");
        prop_assert_eq!(back, text);
    }
}

#[test]
fn a_32_char_base_url_reaches_version_9() {
    let text = label_text(32, &[0xA5; SIGNED_PAYLOAD_BYTES]);
    assert_eq!(text.len(), 234);
    assert_eq!(qr_code(&text).unwrap().width(), 53);
}

#[test]
fn the_example_from_the_spec_decodes() {
    let text = "HTTP://127.0.0.1:8080/Q/AEJSNRY4";
    assert_eq!(decode_png(&qr_png(text, 4).unwrap()).unwrap(), vec![text.to_string()]);
}

#[test]
fn lower_case_text_is_refused_not_silently_byte_encoded() {
    assert!(qr_code("http://127.0.0.1:8080/q/aejs").is_err());
    assert!(qr_svg("HTTPS://HW.EXAMPLE.CN/Q/AEB2?X=1", 4).is_err());
    assert!(qr_png("HTTPS://HW.EXAMPLE.CN/Q/AEB2_", 4).is_err());
}

#[test]
fn svg_is_scalable_crisp_and_only_rects_and_paths() {
    let text = label_text(21, &[7; SIGNED_PAYLOAD_BYTES]);
    let side = qr_code(&text).unwrap().width() + 8;
    let svg = qr_svg(&text, 5).unwrap();
    assert!(svg.starts_with("<svg"));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")));
    assert!(svg.contains(&format!("width=\"{}\"", side * 5)));
    assert!(svg.contains("shape-rendering=\"crispEdges\""));
    let tags = tag_names(&svg);
    assert_eq!(tags[0], "svg");
    assert!(tags[1..].iter().all(|t| t == "rect" || t == "path"), "{tags:?}");
}

#[test]
fn garbage_is_an_error_not_an_empty_result() {
    assert!(decode_png(&[0x89, b'P', b'N', b'G', 0, 0]).is_err());
}

// ---------------------------------------------------------------- pictograms

#[test]
fn all_five_pictograms_exist_with_their_chinese_titles_and_differ() {
    let expected = [
        ("T", "毒性"),
        ("C", "腐蚀性"),
        ("I", "易燃性"),
        ("R", "反应性"),
        ("In", "感染性"),
    ];
    let mut seen: Vec<&str> = Vec::new();
    for (letter, name) in expected {
        let svg = pictogram_svg(letter).unwrap_or_else(|| panic!("no pictogram for {letter}"));
        assert!(svg.starts_with("<svg") && svg.contains(&format!("<title>{name}</title>")));
        let body = svg.split("</title>").nth(1).unwrap();
        assert!(!seen.contains(&body), "{letter} looks like another pictogram");
        seen.push(body);
    }
    assert!(pictogram_svg("X").is_none());
}

// ---------------------------------------------------------------- labels

const CAPTIONS: [&str; 15] = [
    "废物名称",
    "废物类别",
    "废物代码",
    "废物形态",
    "危险特性",
    "主要成分",
    "有害成分",
    "注意事项",
    "产生单位",
    "联系人",
    "联系方式",
    "产生日期",
    "废物重量",
    "备注",
    "数字识别码",
];

#[test]
fn label_size_follows_hj_1276_volume_boundaries() {
    assert_eq!(LabelSize::for_volume_l(0), LabelSize::Mm100);
    assert_eq!(LabelSize::for_volume_l(50), LabelSize::Mm100);
    assert_eq!(LabelSize::for_volume_l(51), LabelSize::Mm150);
    assert_eq!(LabelSize::for_volume_l(449), LabelSize::Mm150);
    assert_eq!(LabelSize::for_volume_l(450), LabelSize::Mm200);
    assert_eq!(LabelSize::for_volume_l(u32::MAX), LabelSize::Mm200);
    assert_eq!(
        [LabelSize::Mm100, LabelSize::Mm150, LabelSize::Mm200].map(LabelSize::side_mm),
        [100, 150, 200]
    );
}

#[test]
fn label_page_has_every_caption_the_code_and_the_qr() {
    let view = sample_label(30, 1);
    let page = label_page(&view).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<html lang=\"zh-CN\">"));
    assert!(page.contains("<meta charset=\"utf-8\">"));
    assert!(page.contains("@page { size: 100mm 100mm; margin: 0 }"));
    assert!(page.contains("width: 100mm; height: 100mm;"));
    assert!(page.contains(r#""Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif"#));
    assert!(page.contains(">危险废物</h1>"));
    assert!(
        page.contains("background: rgb(255, 150, 0);"),
        "the HJ 1276 orange-yellow"
    );
    assert!(!page.contains("#FFD700"));
    for caption in CAPTIONS {
        assert!(page.contains(&format!(">{caption}<")), "caption {caption} missing");
    }
    assert!(page.contains(&format!("<code class=\"item-code\">{}</code>", view.item_code)));
    for value in [
        "废矿物油",
        "HW08 废矿物油与含矿物油废物",
        "900-249-08",
        "185.5 kg",
        "2026-11-28",
        "023-48271234",
    ] {
        assert!(page.contains(value), "{value} missing");
    }
    // The inline QR code is exactly the SVG that the QR tests decode.
    assert!(page.contains(&qr_svg(&view.qr_text, 4).unwrap()));
    assert!(LabelSize::Mm100.qr_side_mm() >= 30);
    assert!(page.contains("<title>毒性</title>") && page.contains("<title>易燃性</title>"));
    assert!(!page.contains("<title>腐蚀性</title>"));
}

#[test]
fn label_fields_are_escaped() {
    let mut view = sample_label(30, 2);
    view.waste_name = "<script>alert('x')</script>".into();
    view.precautions = "\"quoted\" & 'single'".into();
    view.generator_name = "</dd></dl><img src=x onerror=alert(1)>".into();
    let page = label_page(&view).unwrap();
    assert!(!page.contains("<script"));
    assert!(!page.contains("<img"));
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(page.contains("&quot;quoted&quot; &amp; &#39;single&#39;"));
}

#[test]
fn larger_containers_get_larger_pages_and_qr_codes() {
    let page = label_page(&sample_label(200, 3)).unwrap();
    assert!(page.contains("@page { size: 150mm 150mm; margin: 0 }"));
    assert!(page.contains("<section class=\"label s150\""));
    assert!(page.contains(&format!("width: {0}mm; height: {0}mm;", LabelSize::Mm150.qr_side_mm())));
    let page = label_page(&sample_label(1000, 4)).unwrap();
    assert!(page.contains("@page { size: 200mm 200mm; margin: 0 }"));
    assert!(page.contains("<section class=\"label s200\""));
}

#[test]
fn a_sheet_of_200_labels_is_200_pages() {
    let views: Vec<LabelView> = (1..=200)
        .map(|i| sample_label([20, 200, 1000][i as usize % 3], i))
        .collect();
    let sheet = label_sheet(&views).unwrap();
    assert_eq!(sheet.matches("<section class=\"label").count(), 200);
    assert_eq!(sheet.matches("<!DOCTYPE html>").count(), 1);
    assert!(sheet.contains("break-after: page"));
    for size in [LabelSize::Mm100, LabelSize::Mm150, LabelSize::Mm200] {
        let (name, side) = (size.page_name(), size.side_mm());
        assert!(sheet.contains(&format!("@page {name} {{ size: {side}mm {side}mm; margin: 0 }}")));
        assert!(sheet.contains(&format!("page: {name};")));
    }
    for view in &views {
        assert!(
            sheet.contains(&format!(">{}</code>", view.item_code)),
            "{} missing",
            view.item_code
        );
    }
}

// ---------------------------------------------------------------- verification page

fn verify_view(verdict: Verdict) -> VerifyView {
    VerifyView {
        verdict,
        reason_zh: "原因".into(),
        reason_en: "reason".into(),
        item: Some(ItemSummary {
            item_code: "91500110MA5U8F4X2N9002490820261128001".into(),
            waste_code: "900-249-08".into(),
            waste_name: "废矿物油".into(),
            mass_text: "185.5 kg".into(),
            hazards: vec!["T".into(), "In".into()],
            form_zh: "液态".into(),
            generator_name: "重庆万盛某机械有限公司".into(),
            generated_on: "2026-11-28".into(),
            state_zh: "运输中".into(),
            state_en: "in transit".into(),
            holder_name: "某运输公司".into(),
        }),
        custody: vec![
            CustodyLine {
                at_cst: "2026-11-28 09:10".into(),
                logged_cst: "2026-11-28 09:10".into(),
                event: "generate".into(),
                what_zh: "产生".into(),
                what_en: "generated".into(),
                by: "重庆万盛某机械有限公司".into(),
                by_uscc: "91500110MA5U8F4X2N".into(),
            },
            CustodyLine {
                at_cst: "2026-11-30 14:05".into(),
                logged_cst: "2026-12-01 08:00".into(),
                event: "accept".into(),
                what_zh: "交接给运输单位".into(),
                what_en: "handed to the transporter".into(),
                by: "某运输公司".into(),
                by_uscc: "91500110MA6TRN031U".into(),
            },
        ],
    }
}

fn banner(page: &str) -> &str {
    page.split("<header").nth(1).unwrap().split("</header>").next().unwrap()
}

#[test]
fn verdict_banners_are_distinct_and_say_what_they_mean() {
    let verdicts = [
        Verdict::Genuine,
        Verdict::Forged,
        Verdict::UnknownKey,
        Verdict::Malformed,
    ];
    let pages: Vec<String> = verdicts.iter().map(|v| verify_page(&verify_view(*v))).collect();
    for i in 0..pages.len() {
        for j in i + 1..pages.len() {
            assert_ne!(banner(&pages[i]), banner(&pages[j]));
        }
    }
    let [genuine, forged, unknown, malformed] = [0, 1, 2, 3].map(|i| banner(&pages[i]));
    assert!(genuine.contains("✔") && genuine.contains("真实标签") && genuine.contains("Genuine label"));
    assert!(forged.contains("✘") && forged.contains("伪造") && forged.contains("FORGED"));
    assert!(forged.contains("签名无效") && forged.contains("forged"));
    assert!(!forged.contains("无法验证") && !forged.to_lowercase().contains("unknown"));
    assert!(unknown.contains("无法验证"));
    assert!(malformed.contains("无效二维码"));
}

#[test]
fn verify_page_is_mobile_first_chinese_first() {
    let page = verify_page(&verify_view(Verdict::Genuine));
    assert!(page.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
    assert!(page.contains("<html lang=\"zh-CN\">"));
    let b = banner(&page);
    assert!(b.find("真实标签").unwrap() < b.find("Genuine label").unwrap());
    for text in [
        "91500110MA5U8F4X2N9002490820261128001",
        "运输中",
        "in transit",
        "某运输公司",
        "2026-11-30 14:05",
    ] {
        assert!(page.contains(text), "{text} missing");
    }
    assert!(page.find("产生").unwrap() < page.find("交接给运输单位").unwrap());
    assert!(page.contains("<title>感染性</title>"));
}

#[test]
fn verify_page_shows_each_events_own_time_beside_its_logged_time_and_its_signer() {
    let page = verify_page(&verify_view(Verdict::Genuine));
    let accept = page
        .split("<li data-event=\"accept\">")
        .nth(1)
        .unwrap()
        .split("</li>")
        .next()
        .unwrap();
    assert!(accept.find("2026-11-30 14:05").unwrap() < accept.find("记录于 2026-12-01 08:00").unwrap());
    assert!(accept.contains("签名单位") && accept.contains("某运输公司") && accept.contains("91500110MA6TRN031U"));
    let generate = page
        .split("<li data-event=\"generate\">")
        .nth(1)
        .unwrap()
        .split("</li>")
        .next()
        .unwrap();
    assert!(
        !generate.contains("记录于"),
        "logged at the event's own minute: one time is enough"
    );
}

#[test]
fn verify_page_escapes_everything() {
    let mut view = verify_view(Verdict::Forged);
    view.reason_zh = "<b>x</b>".into();
    view.reason_en = "\"'".into();
    if let Some(item) = view.item.as_mut() {
        item.waste_name = "<script>alert(1)</script>".into();
        item.hazards.push("<i>".into());
    }
    view.custody[0].by = "<img src=x>".into();
    let page = verify_page(&view);
    assert!(!page.contains("<script") && !page.contains("<img") && !page.contains("<b>") && !page.contains("<i>"));
    assert!(page.contains("&lt;script&gt;") && page.contains("&quot;&#39;") && page.contains("&lt;i&gt;"));
}

#[test]
fn malformed_page_without_item_still_renders() {
    let mut view = verify_view(Verdict::Malformed);
    view.item = None;
    view.custody.clear();
    let page = verify_page(&view);
    assert!(page.contains("无效二维码") && page.trim_end().ends_with("</html>"));
    assert!(!page.contains("class=\"item\""));
}
