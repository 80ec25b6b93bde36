//! Labels end to end: a generated item's printable label, its QR code rendered as PNG, decoded
//! and verified; the public verification page; forged labels refused; offline verification
//! by the real binary.

mod common;

use std::process::Command;

use common::cast::Cast;
use common::{assert_refused, spawn_app, Client, TestApp};
use data_encoding::BASE32_NOPAD;
use hwtrace::client::{generate_fields, Device};
use hwtrace::render::qr::decode_png;
use reqwest::StatusCode;
use serde_json::{json, Value};

const GENERATOR: &str = "91500110MA5U8F4X2N";
const BIN: &str = env!("CARGO_BIN_EXE_hwtrace");

/// The generator (its administrator's session and its phone), another generator, and a
/// regulator of Wansheng and one of Qijiang.
async fn cast(app: &TestApp) -> Cast {
    Cast::on(app)
        .generator("gen", GENERATOR)
        .generator("other", "91500110MA6QXY120")
        .regulator("wansheng-eeb", "wansheng")
        .regulator("qijiang-eeb", "qijiang")
        .build()
        .await
}

async fn generate(c: &Client, phone: &Device, volume_l: u32) -> Value {
    let env = phone.sign_event(
        "generate",
        &common::now_cst(),
        generate_fields("900-249-08", 185_500, "liquid", &["T", "I"], volume_l),
    );
    let (s, r) = c.post("/api/v1/events", serde_json::to_value(env).unwrap()).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    r
}

async fn get_bytes(c: &Client, path: &str) -> (StatusCode, String, Vec<u8>) {
    let resp = c.request(reqwest::Method::GET, path).send().await.unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, resp.bytes().await.unwrap().to_vec())
}

// Multi-threaded: the test blocks on the binary while the service must answer it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rendered_png_decodes_and_verifies() {
    let app = spawn_app().await;
    let cast = cast(&app).await;
    let (ent, phone) = (&cast["gen"].client, &cast["gen"].device);
    let r = generate(ent, phone, 200).await;
    let code = r["item_code"].as_str().unwrap();

    let (s, ct, png) = get_bytes(ent, &format!("/api/v1/items/{code}/qr.png")).await;
    assert_eq!((s, ct.as_str()), (StatusCode::OK, "image/png"));
    let texts = decode_png(&png).expect("a QR decoder reads the PNG");
    assert_eq!(texts, [r["label"]["qr_text"].as_str().unwrap()]);

    // Verify the decoded text offline with the real binary, against the saved key list.
    let dir = tempfile::tempdir().unwrap();
    let (_, keys) = ent.get("/api/v1/keys").await;
    let keys_file = dir.path().join("keys.json");
    std::fs::write(&keys_file, keys.to_string()).unwrap();
    let png_file = dir.path().join("label.png");
    std::fs::write(&png_file, &png).unwrap();
    let out = Command::new(BIN)
        .args([
            "verify-label",
            "--image",
            png_file.to_str().unwrap(),
            "--keys",
            keys_file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains("genuine") && stdout.contains(code) && stdout.contains("185500 g"),
        "{stdout}"
    );

    // The same through --keys-url, with the text given directly.
    let out = Command::new(BIN)
        .args([
            "verify-label",
            &texts[0],
            "--keys-url",
            &format!("{}/api/v1/keys", app.base),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));

    // One flipped bit of the signature: forged, and the command says so and fails.
    let (head, b32) = texts[0].rsplit_once('/').unwrap();
    let mut raw = BASE32_NOPAD.decode(b32.as_bytes()).unwrap();
    raw[100] ^= 0x01;
    let forged = format!("{head}/{}", BASE32_NOPAD.encode(&raw));
    let out = Command::new(BIN)
        .args(["verify-label", &forged, "--keys", keys_file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("FORGED"));
    // A key list without any label key cannot vouch for anything, nor accuse.
    std::fs::write(&keys_file, r#"{"keys":[]}"#).unwrap();
    let out = Command::new(BIN)
        .args(["verify-label", &texts[0], "--keys", keys_file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("holds no label key") && !stdout.contains("FORGED"),
        "{stdout}"
    );
}

/// Regression (issue 12): a label whose key ID bits were flipped was called "unknown label
/// key"; it does not verify, so it is forged (SPEC §3.3), and the reason names the key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_a_label_with_flipped_key_id_bits_is_forged() {
    let app = spawn_app().await;
    let cast = cast(&app).await;
    let (ent, phone) = (&cast["gen"].client, &cast["gen"].device);
    let r = generate(ent, phone, 200).await;
    let text = r["label"]["qr_text"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_, keys) = ent.get("/api/v1/keys").await;
    let keys_file = dir.path().join("keys.json");
    std::fs::write(&keys_file, keys.to_string()).unwrap();

    let (head, b32) = text.rsplit_once('/').unwrap();
    let mut raw = BASE32_NOPAD.decode(b32.as_bytes()).unwrap();
    raw[2] ^= 0x10; // bytes 1-4 of the payload are the label key's ID
    let altered = format!("{head}/{}", BASE32_NOPAD.encode(&raw));
    let out = Command::new(BIN)
        .args(["verify-label", &altered, "--keys", keys_file.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.starts_with("FORGED") && stdout.contains("unknown label key"),
        "{stdout}"
    );
}

#[tokio::test]
async fn the_public_page_tells_genuine_from_forged() {
    let app = spawn_app().await;
    let cast = cast(&app).await;
    let (ent, phone) = (&cast["gen"].client, &cast["gen"].device);
    let r = generate(ent, phone, 20).await;
    let qr = r["label"]["qr_text"].as_str().unwrap();
    let b32 = qr.rsplit('/').next().unwrap();
    let anon = app.anonymous();

    let view = app.verified(b32).await;
    assert_eq!(view["verdict"], "genuine", "{view}");
    assert_eq!(view["item"]["item_code"], r["item_code"]);
    assert_eq!(view["item"]["state_en"], "stored at its generator");
    assert_eq!(view["custody"].as_array().unwrap().len(), 1);
    let (s, ct, html) = get_bytes(&anon, &format!("/Q/{b32}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.starts_with("text/html"));
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("真实标签"));
    // The page a phone opens from the label names the app's icon (no 404 for a favicon).
    assert!(
        html.contains("<link rel=\"icon\" href=\"/icons/icon.svg\""),
        "the /Q/ page has no favicon"
    );

    // Every single-bit change of the 124 bytes is never shown as genuine; outside the version
    // byte it is forged (a changed key ID names a key this service never had, changed data no
    // longer matches the signature, even where it no longer makes a valid field).
    let raw = BASE32_NOPAD.decode(b32.as_bytes()).unwrap();
    for byte in 0..raw.len() {
        for bit in [0u8, 3, 7] {
            let mut tampered = raw.clone();
            tampered[byte] ^= 1 << bit;
            let v = app.verified(&BASE32_NOPAD.encode(&tampered)).await;
            let want = if byte == 0 { "malformed" } else { "forged" };
            assert_eq!(v["verdict"], want, "byte {byte} bit {bit}: {v}");
        }
    }
    let mut tampered = raw.clone();
    tampered[50] ^= 0x01; // a hazard bit: the label claims another hazard set
    let (_, _, html) = get_bytes(&anon, &format!("/Q/{}", BASE32_NOPAD.encode(&tampered))).await;
    assert!(
        String::from_utf8(html).unwrap().contains("伪造标签"),
        "the forged page says so, loudly"
    );
    let v = app.verified("NOT-A-LABEL").await;
    assert_eq!(v["verdict"], "malformed");
}

#[tokio::test]
async fn label_pages_and_sheets_print_what_the_standard_asks() {
    let app = spawn_app().await;
    let cast = cast(&app).await;
    let (ent, phone) = (&cast["gen"].client, &cast["gen"].device);
    let small = generate(ent, phone, 20).await;
    let drum = generate(ent, phone, 200).await;
    let tote = generate(ent, phone, 1000).await;
    let code = small["item_code"].as_str().unwrap();

    let (s, ct, page) = get_bytes(ent, &format!("/api/v1/items/{code}/label")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.starts_with("text/html"));
    let page = String::from_utf8(page).unwrap();
    for caption in [
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
        "数字识别码",
    ] {
        assert!(page.contains(caption), "the label lacks {caption}");
    }
    assert!(page.contains(code) && page.contains("900-249-08") && page.contains("185.500 kg"));
    assert!(page.contains("100mm"), "a 20 L container gets the 100 mm label");

    let items = [
        code,
        drum["item_code"].as_str().unwrap(),
        tote["item_code"].as_str().unwrap(),
    ]
    .join(",");
    let (s, _, sheet) = get_bytes(ent, &format!("/api/v1/labels/sheet?items={items}")).await;
    assert_eq!(s, StatusCode::OK);
    let sheet = String::from_utf8(sheet).unwrap();
    assert_eq!(sheet.matches("<section class=\"label").count(), 3);
    assert!(sheet.contains("150mm") && sheet.contains("200mm"));

    let (s, ct, svg) = get_bytes(ent, &format!("/api/v1/items/{code}/qr.svg")).await;
    assert_eq!((s, ct.as_str()), (StatusCode::OK, "image/svg+xml"));
    assert!(String::from_utf8(svg).unwrap().starts_with("<svg"));

    let (s, item) = ent.get(&format!("/api/v1/items/{code}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (item["state"].as_str(), item["holder"].as_str(), item["mass_g"].as_i64()),
        (Some("stored"), Some(GENERATOR), Some(185_500))
    );

    // Another enterprise may not print or read this item; nobody anonymous either.
    let stranger = &cast["other"].client;
    assert_refused(
        &stranger.get(&format!("/api/v1/items/{code}")).await,
        StatusCode::FORBIDDEN,
        "not_your_item",
    );
    assert_refused(
        &stranger.get(&format!("/api/v1/labels/sheet?items={items}")).await,
        StatusCode::FORBIDDEN,
        "not_your_item",
    );
    assert_refused(
        &app.anonymous().get(&format!("/api/v1/items/{code}/label")).await,
        StatusCode::UNAUTHORIZED,
        "not_authenticated",
    );
    assert_refused(
        &ent.get("/api/v1/labels/sheet?items=").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_sheet_size",
    );
}

#[tokio::test]
async fn items_are_listed_for_those_who_may_see_them() {
    let app = spawn_app().await;
    let cast = cast(&app).await;
    let (ent, phone) = (&cast["gen"].client, &cast["gen"].device);
    let mut codes = Vec::new();
    for _ in 0..3 {
        codes.push(generate(ent, phone, 20).await["item_code"].as_str().unwrap().to_owned());
    }
    let listed = |body: &Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let (s, body) = ent.get("/api/v1/items").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    codes.reverse();
    assert_eq!(listed(&body), codes, "newest first");
    let (_, page) = ent.get("/api/v1/items?limit=2").await;
    assert_eq!(listed(&page), codes[..2]);
    let before = page["items"][1]["created_seq"].as_i64().unwrap();
    let (_, next) = ent.get(&format!("/api/v1/items?limit=2&before={before}")).await;
    assert_eq!(listed(&next), codes[2..]);
    let today = &codes[0][26..34];
    let date = format!("{}-{}-{}", &today[..4], &today[4..6], &today[6..]);
    let (_, by_day) = ent.get(&format!("/api/v1/items?state=stored&date={date}")).await;
    assert_eq!(listed(&by_day).len(), 3);
    let (_, none) = ent.get("/api/v1/items?date=2020-01-01").await;
    assert!(listed(&none).is_empty());

    let (_, w) = cast.user("wansheng-eeb").get("/api/v1/items").await;
    assert_eq!(listed(&w).len(), 3);
    let (_, q) = cast.user("qijiang-eeb").get("/api/v1/items").await;
    assert!(listed(&q).is_empty(), "another district's regulator sees none");
    assert_refused(
        &ent.get("/api/v1/items?limit=0").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_limit",
    );
    assert_refused(
        &ent.get("/api/v1/items?date=yesterday").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_date",
    );
    assert_refused(
        &app.anonymous().get("/api/v1/items").await,
        StatusCode::UNAUTHORIZED,
        "not_authenticated",
    );
}

/// HJ 1276-2022: the label is orange-yellow (RGB 255,150,0) with black text; 有害成分 and 注意事项
/// come from the generator's declaration or, when it declared none, from the hazards; 备注
/// carries the declared remark and the national list's exempt stages; a container made by a
/// split (or a consolidation) names its collecting unit (收集单位).
#[tokio::test]
async fn a_label_is_orange_yellow_fills_harmful_components_precautions_remarks_and_names_a_collector() {
    let app = spawn_app().await;
    let cast = cast(&app).await;
    let (ent, phone) = (&cast["gen"].client, &cast["gen"].device);
    let mut fields = generate_fields("900-249-08", 100_000, "liquid", &["T", "I"], 200);
    fields["remarks"] = json!("桶盖密封圈已更换");
    let env = phone.sign_event("generate", &common::now_cst(), fields);
    let (s, r) = ent.post("/api/v1/events", serde_json::to_value(env).unwrap()).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let code = r["item_code"].as_str().unwrap().to_owned();
    let label = |code: String| {
        let ent = &ent;
        async move {
            let (s, _, page) = get_bytes(ent, &format!("/api/v1/items/{code}/label")).await;
            assert_eq!(s, StatusCode::OK);
            String::from_utf8(page).unwrap()
        }
    };
    let page = label(code.clone()).await;
    assert!(page.contains("background: rgb(255, 150, 0);") && !page.contains("#FFD700"));
    assert!(
        page.contains("<dt>有害成分</dt><dd>有毒物质、易燃物质（据危险特性）</dd>"),
        "{page}"
    );
    assert!(page.contains(
        "<dt>注意事项</dt><dd>密闭贮存，防渗防漏；避免接触皮肤和吸入；远离火源热源，严禁烟火（据危险特性）</dd>"
    ));
    assert!(page.contains("<dt>备注</dt><dd>桶盖密封圈已更换；名录豁免环节：利用（须符合豁免条件）</dd>"));
    assert!(page.contains("<dt>产生单位</dt>") && !page.contains("收集单位"));

    // Declared texts win over the defaults.
    let mut fields = generate_fields("900-249-08", 50_000, "liquid", &["T"], 50);
    fields["harmful_components"] = json!("多环芳烃");
    fields["precautions"] = json!("远离明火");
    let env = phone.sign_event("generate", &common::now_cst(), fields);
    let (_, r) = ent.post("/api/v1/events", serde_json::to_value(env).unwrap()).await;
    let page = label(r["item_code"].as_str().unwrap().to_owned()).await;
    assert!(page.contains("<dt>有害成分</dt><dd>多环芳烃</dd>") && page.contains("<dt>注意事项</dt><dd>远离明火</dd>"));

    // Split into two: each new container's unit is its collecting unit.
    let part = |mass_g: u64| {
        let mut b = generate_fields("900-249-08", mass_g, "liquid", &["T", "I"], 100);
        b["remarks"] = json!("分装自原桶");
        b
    };
    let env = phone.sign_event(
        "split",
        &common::now_cst(),
        json!({"input": code, "outputs": [part(60_000), part(40_000)]}),
    );
    let (s, r) = ent.post("/api/v1/events", serde_json::to_value(env).unwrap()).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let output = r["created"][1]["item_code"].as_str().unwrap().to_owned();
    let page = label(output).await;
    assert!(page.contains("<dt>收集单位</dt>") && !page.contains("<dt>产生单位</dt>"));
    assert!(page.contains("<dd>分装自原桶；名录豁免环节：利用"));
}

/// The public page `/Q/...` names each event after its type, in Chinese and English, with the
/// enterprise that signed it and the event's own time beside the time the log recorded it; the
/// JSON answer carries the same. Before, every event after generation read "custody event",
/// signed by the generator, at the log's time.
#[tokio::test]
async fn the_public_page_names_each_event_its_signer_and_its_own_time() {
    use common::custody::{accepted_at, Fleet};
    let app = spawn_app().await;
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA5U8F4X2")
        .transporter(
            "carrier",
            "91500110MA6TRN031",
            Fleet::van("渝D55701", "500110198707071234"),
        )
        .seeded("yunan", common::YUNAN)
        .build()
        .await;
    let admin = &cast.admin;
    let shop = &cast["shop"].device;
    let carrier = cast["carrier"].uscc.clone();
    // The phone signed the generation offline, an hour and a half before it synced.
    let signed = (chrono::Utc::now() - chrono::Duration::minutes(90))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    let r = accepted_at(
        admin,
        shop,
        &signed.to_rfc3339(),
        "generate",
        generate_fields("900-249-08", 100_000, "liquid", &["T", "I"], 200),
    )
    .await;
    let code = r["item_code"].as_str().unwrap().to_owned();
    let b32 = r["label"]["qr_text"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    cast.on_the_road("shop", "carrier", "yunan", &[&code]).await;

    let view = app.verified(&b32).await;
    let lines = view["custody"].as_array().unwrap();
    let kinds: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["generate", "manifest_open", "release", "accept"], "{view}");
    let shop_name = format!("测试企业{}", &cast["shop"].uscc[10..14]);
    let carrier_name = format!("测试企业{}", &carrier[10..14]);
    assert_eq!(
        (
            &lines[3]["what_zh"],
            &lines[3]["what_en"],
            &lines[3]["by"],
            &lines[3]["by_uscc"]
        ),
        (
            &json!("承运签收"),
            &json!("accepted by the transporter"),
            &json!(carrier_name),
            &json!(carrier)
        )
    );
    assert_eq!(
        (&lines[2]["what_zh"], &lines[2]["by"]),
        (&json!("移出放行"), &json!(shop_name))
    );
    assert_eq!(lines[0]["at_cst"], signed.format("%Y-%m-%d %H:%M").to_string().as_str());
    assert_ne!(lines[0]["at_cst"], lines[0]["logged_cst"], "{view}");

    let (_, _, html) = get_bytes(&app.anonymous(), &format!("/Q/{b32}")).await;
    let html = String::from_utf8(html).unwrap();
    assert!(!html.contains("custody event") && !html.contains("转移事件"));
    let generate = html.split("<li data-event=\"generate\">").nth(1).unwrap();
    let generate = generate.split("</li>").next().unwrap();
    assert!(generate.contains(&format!("记录于 {}", lines[0]["logged_cst"].as_str().unwrap())));
    assert!(generate.contains("产生并贴签") && generate.contains(&shop_name));
    let accept = html.split("<li data-event=\"accept\">").nth(1).unwrap();
    assert!(accept.contains("承运签收") && accept.contains(&carrier_name) && accept.contains(&carrier));
}
