//! Browser tests of the generator's screens (issue 10, point 4), through the UI only against
//! the real service, each ending with the events in the log: opening a manifest (receivers
//! filtered by the permits' scope, a cross-province receiver with its approval), amending it
//! and printing the 转移联单; releasing items to the driver by scanning their labels; the item
//! page with the history in words, reached from the inventory and from a manifest; and the
//! inventory's storage ages and warnings.
//!
//! The clerk's story goes from a new browser to printed labels: the clerk enrols the browser,
//! the administrator approves it from his own, the clerk registers three containers and
//! prints their labels, and the printed page decodes to genuine labels. In the other stories
//! the items are registered through the API beforehand, and the clerk's browser is enrolled
//! the same way, approved over the API (the approval is not their point).

use hwtrace::client::generate_fields;
use hwtrace::crypto::dsse::Envelope;
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::cdp::{js, Browser, Launch};
use super::common::cast::Cast;
use super::common::custody::Fleet;
use super::common::{self, TestApp, YUNAN};
use super::enrol::{approve_by_api, approve_in_browser, request_enrolment, wait_enrolled};
use super::{block_on, has_cjk, log_in, media, shoot, with_browser, with_browsers};

const PLANT: &str = "91500110MA6GMF001";
const CARRIER: &str = "91500110MA6GMT001";
/// A facility in Chengdu, Sichuan: a receiver across the province line.
const CHENGDU: &str = "91510100MA6GMK001";
const NANTONG: &str = "91500110MA61NTHB7C";
const FENGYAN: &str = "12500110MB1FY0001C";
const APPROVAL: &str = "川环危转〔2026〕088号";

const PLATE: &str = "渝D68001";
const LICENCE: &str = "500110199001016801";
const PLATE_2: &str = "渝D68002";
const LICENCE_2: &str = "500110199001016802";

fn oil(g: u64) -> Value {
    generate_fields("900-249-08", g, "liquid", &["T", "I"], 200)
}

fn batteries(g: u64) -> Value {
    generate_fields("900-052-31", g, "solid", &["T", "C"], 100)
}

/// The plant, its carrier with two vans, Yunan, and a facility in Chengdu whose permit takes
/// waste oil, with an approval for the plant's oil to it.
async fn world(app: &TestApp) -> Cast {
    let cast = Cast::on(app)
        .generator("plant", PLANT)
        .transporter(
            "carrier",
            CARRIER,
            Fleet::van(PLATE, LICENCE).driven_by("张师傅", "13800006801"),
        )
        .fleet(Fleet::van(PLATE_2, LICENCE_2).driven_by("李师傅", "13800006802"))
        .without_district("chengdu", CHENGDU, &["facility"])
        .permit(
            json!({"number": "SCWF-GEN-001", "valid_from": "2026-01-01", "valid_until": "2030-12-31",
            "waste_codes": ["HW08"], "capacities": [{"method": "incineration", "capacity_t_per_year": 500}],
            "landfill_volume_m3": null}),
        )
        .seeded("yunan", YUNAN)
        .build()
        .await;
    let (s, body) = cast
        .admin
        .post(
            "/api/v1/transfer-approvals",
            json!({"number": APPROVAL, "issuer": cast["plant"].uscc, "receiver": cast["chengdu"].uscc,
                   "waste_codes": ["900-249-08"], "quantity_g": 5_000_000, "valid_from": "2026-06-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    cast
}

/// The plant's clerk, who works at the office PC.
const CLERK: &str = "plant-clerk";

async fn add_clerk(app: &TestApp, cast: &Cast) {
    app.user(CLERK, "enterprise_clerk", Some(&cast["plant"].uscc), None)
        .await;
}

/// The clerk logs in on this browser and enrols it as `device`, approved by the plant's
/// administrator over the API.
fn clerk_with_enrolled_browser(b: &mut Browser, app: &TestApp, device: &str) {
    log_in(b, &app.base, CLERK, "enterprise_clerk", "items");
    let key_id = request_enrolment(b, device);
    approve_by_api(app, "plant-admin", &key_id);
    wait_enrolled(b, &key_id);
}

/// Waits for route `view` with `cond` true.
fn wait_view(b: &mut Browser, view: &str, cond: &str, what: &str) {
    b.wait_for(
        &format!("document.body.dataset.ready === {} && ({cond})", js(view)),
        what,
    );
}

/// The values of a select's options, blank ones left out.
fn options(b: &mut Browser, selector: &str) -> Vec<String> {
    let v = b.eval(&format!(
        "[...document.querySelector({}).options].map((o) => o.value).filter(Boolean)",
        js(selector)
    ));
    serde_json::from_value(v).expect("option values")
}

/// The text people read in an element.
fn inner_text(b: &mut Browser, selector: &str) -> String {
    b.eval(&format!("document.querySelector({}).innerText", js(selector)))
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Screenshots of the page as it is, at the desktop's size and at the phone's (the page laid
/// out again at 390×844), named `<name>-desktop` and `<name>-phone`; only when
/// `HWTRACE_SCREENSHOTS` is set.
fn shoot_both(b: &mut Browser, name: &str) {
    shoot_both_at(b, name, None);
}

/// As [`shoot_both`], scrolled to the element `at` (else to the top).
fn shoot_both_at(b: &mut Browser, name: &str, at: Option<&str>) {
    if std::env::var_os("HWTRACE_SCREENSHOTS").is_none() {
        return;
    }
    let scroll = match at {
        Some(sel) => format!(
            "document.querySelector({}).scrollIntoView({{ block: 'start' }})",
            js(sel)
        ),
        None => "window.scrollTo(0, 0)".to_owned(),
    };
    let settle = "new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))";
    b.eval(&scroll);
    b.eval(settle);
    shoot(b, &format!("{name}-desktop"));
    b.phone();
    b.eval(settle);
    b.eval(&scroll);
    b.eval(settle);
    shoot(b, &format!("{name}-phone"));
    b.desktop(1366, 900);
    b.eval("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))");
}

/// One event of the log: its index, type, actor, device and payload.
struct Logged {
    index: u64,
    kind: String,
    actor: String,
    device: String,
    payload: Value,
}

/// Every `event` entry of the log, in order.
fn logged_events(app: &TestApp) -> Vec<Logged> {
    let size = block_on(app.log_size());
    block_on(app.entries(0, size))
        .into_iter()
        .filter(|e| e["kind"] == "event")
        .map(|e| {
            let env: Envelope = serde_json::from_value(e["envelope"].clone()).expect("an envelope");
            let payload: Value = serde_json::from_slice(&env.payload_bytes().expect("payload")).expect("JSON");
            Logged {
                index: e["seq"].as_u64().expect("seq"),
                kind: payload["type"].as_str().unwrap_or_default().to_owned(),
                actor: payload["actor"].as_str().unwrap_or_default().to_owned(),
                device: payload["device"].as_str().unwrap_or_default().to_owned(),
                payload,
            }
        })
        .collect()
}

/// The codes of a JSON array of item codes.
fn codes(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .expect("an array of codes")
        .iter()
        .map(|c| c.as_str().expect("a code").to_owned())
        .collect();
    out.sort();
    out
}

fn sorted(list: &[&String]) -> Vec<String> {
    let mut out: Vec<String> = list.iter().map(|s| (*s).clone()).collect();
    out.sort();
    out
}

/// Scenario (issue 10's first story): a clerk enrols a new browser, the administrator, at his
/// own PC, approves it; the clerk registers three containers and prints their labels. The
/// printed page (as the printer gets it) decodes to three QR codes, each a genuine label of one
/// of the three containers at `/Q/`; the log holds the approved key and the three `generate`
/// events it signed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_enrols_a_new_browser_the_admin_approves_it_and_the_clerk_registers_three_containers_and_prints_genuine_labels(
) {
    let app = common::spawn_app().await;
    let cast = Cast::on(&app).generator("plant", PLANT).build().await;
    add_clerk(&app, &cast).await;
    let plant = cast["plant"].uscc.clone();
    let size_before = app.log_size().await;

    with_browsers(
        app,
        [Launch::desktop(), Launch::desktop()],
        move |app, [clerk, admin]| {
            log_in(clerk, &app.base, CLERK, "enterprise_clerk", "items");
            log_in(admin, &app.base, "plant-admin", "enterprise_admin", "items");
            // A new browser cannot sign: the form sends the clerk to enrol it.
            clerk.click("#items-new-link");
            wait_view(
                clerk,
                "items-new",
                "!!document.querySelector('#gen-no-key')",
                "the form asking for an enrolled browser",
            );
            clerk.click("#gen-enrol-link");
            clerk.wait_ready("device");
            let key_id = request_enrolment(clerk, "clerk-pc");
            approve_in_browser(admin, &key_id);
            wait_enrolled(clerk, &key_id);

            // Three containers in one run.
            clerk.open(&format!("{}/#/items/new", app.base), "items-new");
            clerk.type_into("#gen-waste-code", "900-249-08");
            clerk.wait_for(
                "document.querySelector('#gen-hazards').dataset.code === '900-249-08'",
                "the catalogue's hazards",
            );
            clerk.type_into("#gen-mass-kg", "180");
            clerk.select("#gen-form", "liquid");
            clerk.type_into("#gen-packaging", "200L钢桶");
            clerk.type_into("#gen-volume", "200");
            clerk.type_into("#gen-components", "废矿物油");
            clerk.type_into("#gen-storage", "危废暂存间A");
            clerk.type_into("#gen-count", "3");
            clerk.click("#gen-submit");
            wait_view(
                clerk,
                "items-new",
                "document.querySelector('#gen-results')?.dataset.accepted === '3'",
                "three containers registered",
            );
            let registered: Vec<String> =
                serde_json::from_value(clerk.eval(
                    "[...document.querySelectorAll('#gen-result-list li[data-code]')].map((li) => li.dataset.code)",
                ))
                .unwrap();
            assert_eq!(registered.len(), 3);

            // Printed from the results, without leaving them.
            clerk.capture_prints();
            clerk.click("#gen-print-labels");
            clerk.wait_for("(window.__hwtracePrints || []).length === 1", "the labels printed");
            let printed = clerk.print_requests();
            assert!(
                printed[0].starts_with(&format!("{}/api/v1/labels/sheet?items=", app.base)),
                "{printed:?}"
            );
            assert_eq!(
                clerk.eval("document.body.dataset.ready"),
                json!("items-new"),
                "printing left the page"
            );
            // What the printer got reads back, label by label, as genuine labels of these containers.
            clerk.goto(&printed[0]);
            let png = clerk.printed_png(2.0);
            if let Some(dir) = std::env::var_os("HWTRACE_SCREENSHOTS") {
                std::fs::write(std::path::Path::new(&dir).join("labels-printed.png"), &png)
                    .expect("the printed labels");
            }
            let texts = media::decode_qr(&png);
            assert_eq!(texts.len(), 3, "three QR codes on the printed page: {texts:?}");
            let mut read: Vec<String> = Vec::new();
            for text in &texts {
                assert!(
                    text.starts_with("HTTP") && text.contains("/Q/"),
                    "a label's QR text: {text}"
                );
                let b32 = text.rsplit('/').next().unwrap();
                let view = block_on(app.verified(b32));
                assert_eq!(view["verdict"], "genuine", "{view}");
                read.push(view["item"]["item_code"].as_str().unwrap().to_owned());
            }
            read.sort();
            let mut expected = registered.clone();
            expected.sort();
            assert_eq!(read, expected, "the printed labels are the three containers'");

            // The log: the key the administrator approved, then the three generations it signed.
            let size = block_on(app.log_size());
            let entries = block_on(app.entries(size_before, size));
            let key = entries
                .iter()
                .find(|e| e["kind"] == "key")
                .expect("the approved key's entry");
            assert_eq!(key["key"]["owner"], plant.as_str());
            assert_eq!(key["key"]["approved_by"], "plant-admin");
            assert!(
                key["key"]["vkey"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("/clerk-pc+{key_id}+")),
                "{key}"
            );
            let signed: Vec<&Value> = entries
                .iter()
                .filter(|e| e["kind"] == "event" && e["envelope"]["signatures"][0]["keyid"] == key_id.as_str())
                .collect();
            assert_eq!(signed.len(), 3, "three events signed by the enrolled key");
            assert!(signed.iter().all(|e| e["seq"].as_u64() > key["seq"].as_u64()));
            let events = logged_events(app);
            let generated: Vec<&Logged> = events.iter().filter(|e| e.device == "clerk-pc").collect();
            assert!(
                generated.iter().all(|e| e.kind == "generate" && e.actor == plant),
                "only generations by the clerk's PC"
            );
            assert_eq!(generated.len(), 3);
        },
    )
    .await;
}

/// Scenario: the plant's clerk opens a manifest from the store: ticking the waste oil
/// offers exactly the receivers whose permit covers it (Yunan, the cement kiln, and Chengdu
/// across the province line with the plant's approval), adding lead-acid batteries narrows
/// them to Yunan; the manifest is signed and opened, then amended (the second van and its
/// driver, the batteries taken off), and the printed 转移联单 shows the amended vehicle, driver
/// and items. The log ends with the browser's `manifest_open` and `manifest_amend`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generator_opens_a_manifest_to_a_receiver_whose_permit_covers_the_load_amends_it_and_prints_it() {
    let app = common::spawn_app().await;
    let cast = world(&app).await;
    add_clerk(&app, &cast).await;
    let oil_1 = cast.generate("plant", oil(185_500)).await;
    let oil_2 = cast.generate("plant", oil(172_000)).await;
    let lead = cast.generate("plant", batteries(60_000)).await;
    let plant = cast["plant"].uscc.clone();
    let carrier = cast["carrier"].uscc.clone();
    let chengdu = cast["chengdu"].uscc.clone();
    let client = app.login("plant-admin").await;
    let receivers_for = |answer: Value| -> Vec<String> {
        answer["receivers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["uscc"].as_str().unwrap().to_owned())
            .collect()
    };
    let for_oil = receivers_for(client.get_ok("/api/v1/receivers?codes=900-249-08").await);
    let for_both = receivers_for(client.get_ok("/api/v1/receivers?codes=900-052-31,900-249-08").await);
    let size_before = app.log_size().await;

    with_browser(app, move |app, b| {
        clerk_with_enrolled_browser(b, app, "office-pc");
        b.click("#nav-manifests");
        b.wait_ready("manifests");
        b.click("#manifests-new-link");
        wait_view(b, "manifest-new", "!!document.querySelector('#manifest-form')", "the manifest form");
        assert_eq!(b.count("#mf-items .mf-group"), 2, "the store by waste code");
        assert_eq!(b.count("#mf-items input[name=items]"), 3);
        assert_eq!(options(b, "#mf-receiver"), Vec::<String>::new(), "receivers offered before any item");

        // The waste oil: every receiver whose permit covers it, and only those.
        b.click("#mf-items-all-900-249-08");
        b.wait_for("document.querySelector('#mf-receiver').dataset.codes === '900-249-08'", "receivers for the oil");
        let offered = options(b, "#mf-receiver");
        assert_eq!(offered, for_oil, "the form offers what GET /receivers answers");
        for r in [YUNAN, NANTONG, chengdu.as_str()] {
            assert!(offered.contains(&r.to_owned()), "{r} not offered: {offered:?}");
        }
        assert!(!offered.contains(&FENGYAN.to_owned()), "the medical-waste station does not take oil");
        // Chengdu is across the province line: it needs the plant's approval, offered with it.
        assert_eq!(
            b.eval(&format!("document.querySelector('#mf-receiver option[value={}]').dataset.approvalNeeded", js(&chengdu))),
            json!("yes")
        );
        b.select("#mf-receiver", &chengdu);
        assert!(b.visible("#mf-approval"), "no approval asked for a receiver in Sichuan");
        assert_eq!(options(b, "#mf-approval"), [APPROVAL]);
        assert!(inner_text(b, ".field[data-field=approval]").contains("第二十一条"));

        // Lead-acid batteries too: only Yunan takes both.
        b.click(&format!("#mf-items-{lead}"));
        b.wait_for(
            "document.querySelector('#mf-receiver').dataset.codes === '900-052-31,900-249-08'",
            "receivers for oil and batteries",
        );
        assert_eq!(options(b, "#mf-receiver"), for_both);
        assert_eq!(for_both, [YUNAN]);
        assert!(!b.visible("#mf-approval"), "an approval asked for Yunan");
        assert!(inner_text(b, "#mf-selected").contains("3"), "{}", inner_text(b, "#mf-selected"));
        b.select("#mf-receiver", YUNAN);
        b.select("#mf-transporter-1", &carrier);
        assert_eq!(options(b, "#mf-vehicle"), [PLATE, PLATE_2]);
        assert_eq!(options(b, "#mf-driver"), [LICENCE, LICENCE_2]);
        b.select("#mf-vehicle", PLATE);
        b.select("#mf-driver", LICENCE);
        shoot_both(b, "manifest-form");
        b.click("#mf-submit");
        wait_view(b, "manifest", "!!document.querySelector('#manifest-detail')", "the new manifest's page");
        let number = b.eval("document.querySelector('#manifest-detail').dataset.number").as_str().unwrap().to_owned();
        assert_eq!(b.text("#notice"), json!("联单已开立"));
        assert_eq!(b.text("#manifest-vehicle"), json!(PLATE));
        assert_eq!(b.count("#manifest-items tr[data-code]"), 3);
        let on_server = block_on(client.get_ok(&format!("/api/v1/manifests/{number}")));
        assert_eq!((&on_server["vehicle_plate"], &on_server["receiver"]), (&json!(PLATE), &json!(YUNAN)));
        assert_eq!(on_server["transporters"], json!([carrier]));
        shoot_both(b, "manifest");

        // Amended before loading: the second van and its driver; the batteries stay home.
        b.click("#manifest-amend-toggle");
        assert!(b.visible("#amend-form"));
        b.select("#amend-vehicle", PLATE_2);
        b.select("#amend-driver", LICENCE_2);
        b.click(&format!("#amend-remove-{lead}"));
        b.click("#amend-submit");
        b.wait_for("!!document.querySelector('#amend-reason-error')", "the reason asked for");
        assert_eq!(b.eval("document.querySelector('#amend-reason-error').dataset.code"), json!("missing_field"));
        b.type_into("#amend-reason", "换车：一号车检修；电池下批转移");
        b.click("#amend-submit");
        wait_view(b, "manifest", &format!("document.querySelector('#manifest-vehicle')?.textContent === {}", js(PLATE_2)),
            "the amended manifest");
        assert_eq!(b.text("#notice"), json!("联单已变更"));
        assert!(b.text("#manifest-driver").as_str().unwrap().contains("李师傅"));
        assert_eq!(b.count("#manifest-items tr[data-code]"), 2);
        let on_server = block_on(client.get_ok(&format!("/api/v1/manifests/{number}")));
        assert_eq!((&on_server["vehicle_plate"], &on_server["driver_licence"]), (&json!(PLATE_2), &json!(LICENCE_2)));
        let listed: Vec<&str> = on_server["items"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap()).collect();
        assert_eq!(listed, [oil_1.as_str(), oil_2.as_str()]);

        // Printed from the page, without leaving it.
        b.capture_prints();
        b.click("#manifest-print");
        b.wait_for("(window.__hwtracePrints || []).length === 1", "the manifest printed");
        let print_url = format!("{}/api/v1/manifests/{number}/print", app.base);
        assert_eq!(b.print_requests(), [print_url.as_str()]);
        assert_eq!(b.eval("document.body.dataset.ready"), json!("manifest"), "printing left the page");
        // What the printer got: the amended vehicle and driver, and the two drums.
        b.goto(&print_url);
        let printed = inner_text(b, "body");
        for shown in [PLATE_2, "李师傅", LICENCE_2, number.as_str()] {
            assert!(printed.contains(shown), "the printed manifest lacks {shown}:\n{printed}");
        }
        let item_codes = b.eval("[...document.querySelectorAll('table.fixed')[0].querySelectorAll('td.code')].map((td) => td.textContent.trim())");
        assert_eq!(item_codes, json!([oil_1, oil_2]), "the printed items");
        if let Some(dir) = std::env::var_os("HWTRACE_SCREENSHOTS") {
            let png = b.printed_png(1.0);
            std::fs::write(std::path::Path::new(&dir).join("manifest-printed.png"), png).expect("the printed manifest");
        }
        shoot_both(b, "manifest-print");

        // The log: the browser's device signed the opening and the amendment.
        let events = logged_events(app);
        let mine: Vec<&Logged> = events.iter().filter(|e| e.index >= size_before && e.device == "office-pc").collect();
        let kinds: Vec<&str> = mine.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["manifest_open", "manifest_amend"]);
        assert!(mine.iter().all(|e| e.actor == plant));
        assert_eq!(codes(&mine[0].payload["items"]), sorted(&[&oil_1, &oil_2, &lead]));
        assert_eq!(mine[0].payload["vehicle_plate"], PLATE);
        assert_eq!(mine[1].payload["manifest"], number.as_str());
        assert_eq!(
            (&mine[1].payload["vehicle_plate"], &mine[1].payload["driver_licence"], &mine[1].payload["remove_items"]),
            (&json!(PLATE_2), &json!(LICENCE_2), &json!([lead]))
        );
    })
    .await;
}

/// The base32 of a label's QR text with one character of its signature changed.
fn forged(qr_text: &str) -> String {
    let at = qr_text.len() - 12;
    let c = if &qr_text[at..=at] == "A" { "B" } else { "A" };
    format!("{}{c}{}", &qr_text[..at], &qr_text[at + 1..])
}

/// Scenario: loading the van, the plant's clerk releases the manifest's drums to the driver
/// by scanning them at the office PC: two labels with the USB scanner (its keystrokes and
/// Enter), one code typed; a forged label (one character of its signature changed) is shown
/// as such and not taken, a second scan of the same drum is not counted twice. The release is
/// one signed event naming the first transporter, and the log ends with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generator_releases_the_manifests_items_to_the_first_transporter_by_scanning_their_labels() {
    let app = common::spawn_app().await;
    let cast = world(&app).await;
    add_clerk(&app, &cast).await;
    let mut drums = Vec::new();
    for g in [185_500, 172_000, 166_000] {
        let receipt = cast.accepted("plant", "generate", oil(g)).await;
        let code = common::cast::code_of(&receipt);
        let qr = receipt["label"]["qr_text"].as_str().expect("QR text").to_owned();
        drums.push((code, qr));
    }
    let fields = cast.manifest(
        "carrier",
        YUNAN,
        &drums.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
    );
    let number = cast.accepted("plant", "manifest_open", fields).await["manifest_no"]
        .as_str()
        .unwrap()
        .to_owned();
    let plant = cast["plant"].uscc.clone();
    let carrier = cast["carrier"].uscc.clone();
    let client = app.login("plant-admin").await;

    with_browser(app, move |app, b| {
        clerk_with_enrolled_browser(b, app, "office-pc");
        b.click("#nav-manifests");
        b.wait_ready("manifests");
        b.click(&format!("#manifest-list a[data-number={}]", js(&number)));
        wait_view(b, "manifest", "!!document.querySelector('#release-panel')", "the manifest with its release panel");
        assert!(b.text("#release-panel").as_str().unwrap().contains("测试"), "the first transporter is not named");

        // The USB scanner: keystrokes into the focused field, then Enter.
        b.click("#release-scan");
        b.keyboard_scan(&drums[0].1);
        b.wait_for(&format!("!!document.querySelector('#release-scanned li[data-code={}]')", js(&drums[0].0)), "the first drum scanned");
        assert_eq!(b.eval("document.querySelector('#release-message').dataset.kind"), json!("ok"));
        assert_eq!(b.eval("document.activeElement.id"), json!("release-scan"), "the field keeps the focus for the next scan");
        // A forged label of the second drum: shown as forged, not taken.
        b.keyboard_scan(&forged(&drums[1].1));
        b.wait_for("document.querySelector('#release-message').dataset.kind === 'forged'", "the forged label refused");
        assert!(has_cjk(b.text("#release-message").as_str().unwrap()));
        assert_eq!(b.eval("document.querySelector('#release-scanned').dataset.count"), json!("1"));
        b.keyboard_scan(&drums[1].1);
        b.wait_for("document.querySelector('#release-scanned').dataset.count === '2'", "the second drum scanned");
        // The same drum again is not counted twice.
        b.keyboard_scan(&drums[0].1);
        b.wait_for("document.querySelector('#release-message').dataset.kind === 'twice'", "a second scan noticed");
        // The third drum's code typed by hand.
        b.type_into("#release-scan", &drums[2].0);
        b.click("#release-scan-add");
        b.wait_for("document.querySelector('#release-scanned').dataset.count === '3'", "the typed code taken");
        // A code that is not on this manifest.
        b.type_into("#release-scan", "91500110MA6GMF00129002490820260101001");
        b.click("#release-scan-add");
        b.wait_for("document.querySelector('#release-message').dataset.kind === 'error'", "an unknown code refused");
        assert_eq!(b.eval("document.querySelector('#release-scanned').dataset.count"), json!("3"));
        shoot_both_at(b, "manifest-release", Some("#release-panel"));

        b.click("#release-submit");
        wait_view(b, "manifest", "document.querySelector('#manifest-detail')?.dataset.state === 'open' && !document.querySelector('#release-panel')",
            "the manifest after the release");
        assert_eq!(b.text("#notice"), json!("已放行，等待运输单位接收"));
        assert_eq!(b.count("#manifest-items tr[data-state=released]"), 3);
        for (code, _) in &drums {
            block_on(common::custody::stands(&client, code, "released", &plant));
        }

        // The log: one release by the browser's device, to the first transporter.
        let events = logged_events(app);
        let releases: Vec<&Logged> = events.iter().filter(|e| e.kind == "release").collect();
        assert_eq!(releases.len(), 1);
        let r = releases[0];
        assert_eq!((r.actor.as_str(), r.device.as_str()), (plant.as_str(), "office-pc"));
        assert_eq!((&r.payload["to"], &r.payload["manifest"]), (&json!(carrier), &json!(number)));
        let mut expected: Vec<String> = drums.iter().map(|(c, _)| c.clone()).collect();
        expected.sort();
        assert_eq!(codes(&r.payload["items"]), expected);
        assert_eq!(events.last().map(|e| e.index), Some(r.index), "the release is the log's last event");
    })
    .await;
}

/// Scenario: from the inventory, the clerk opens a drum's page by its code: the label, and the
/// history in words: each event named as the reference names it, who signed it (enterprise
/// and device), when it was signed and logged, the masses, the state after. From the
/// drum's manifest (linked there, and from the manifest list) the same page is one click
/// away. The history is the log's: the same entries, in the same order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_item_page_shows_the_history_in_words_and_is_reached_from_the_inventory_and_from_a_manifest() {
    let app = common::spawn_app().await;
    let cast = world(&app).await;
    add_clerk(&app, &cast).await;
    let drum = cast.generate("plant", oil(185_500)).await;
    let _kept = cast.generate("plant", oil(120_000)).await;
    let number = cast.on_the_road("plant", "carrier", "yunan", &[&drum]).await;
    let plant_name = cast["plant"].registered["name_zh"].as_str().unwrap().to_owned();
    let carrier_name = cast["carrier"].registered["name_zh"].as_str().unwrap().to_owned();
    let reference = app.anonymous().get_ok("/api/v1/reference").await;
    let event_name = |code: &str| -> String {
        reference["event_types"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["code"] == code)
            .unwrap()["name_zh"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let names: Vec<String> = ["generate", "manifest_open", "release", "accept"]
        .iter()
        .map(|c| event_name(c))
        .collect();
    let history = cast["plant"]
        .client
        .get_ok(&format!("/api/v1/items/{drum}/history"))
        .await;
    let indexes: Vec<u64> = history["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["index"].as_u64().unwrap())
        .collect();
    let plant = cast["plant"].uscc.clone();

    with_browser(app, move |app, b| {
        log_in(b, &app.base, CLERK, "enterprise_clerk", "items");
        // From the inventory.
        b.click(&format!("#item-list a.item-link[data-code={}]", js(&drum)));
        wait_view(b, "item", &format!("document.querySelector('#item-page')?.dataset.code === {}", js(&drum)), "the drum's page");
        let shown: Vec<u64> = serde_json::from_value(b.eval(
            "[...document.querySelectorAll('#item-history li[data-index]')].map((li) => Number(li.dataset.index))",
        )).unwrap();
        assert_eq!(shown, indexes, "the page's history is not the log's");
        let words: Vec<String> = serde_json::from_value(b.eval(
            "[...document.querySelectorAll('#item-history .event-name')].map((e) => e.textContent)",
        )).unwrap();
        assert_eq!(words, names, "the events are not named in words");
        let entry = |b: &mut Browser, type_: &str, part: &str| -> String {
            inner_text(b, &format!("#item-history li[data-type={type_}] {part}"))
        };
        let signer = entry(b, "generate", ".signer");
        assert!(signer.contains(&plant_name) && signer.contains("设备 plant-1") && signer.contains(&plant), "{signer}");
        let signer = entry(b, "accept", ".signer");
        assert!(signer.contains(&carrier_name) && signer.contains("设备 carrier-1"), "{signer}");
        for part in [".signed-at", ".logged-at"] {
            let t = entry(b, "generate", part);
            assert!(t.len() == 16 && t.starts_with("20"), "{part}: {t}");
        }
        assert!(entry(b, "generate", ".detail").contains("申报 185.5 kg"), "{}", entry(b, "generate", ".detail"));
        assert!(entry(b, "generate", ".after").contains("在产生单位贮存"));
        assert!(entry(b, "release", ".detail").contains(&carrier_name));
        assert!(entry(b, "accept", ".after").contains("运输中") && entry(b, "accept", ".after").contains(&carrier_name));
        assert!(inner_text(b, "#item-detail").contains(&carrier_name), "the holder is not named");
        // The label, as printed, in the page.
        b.wait_for(
            "(() => { const f = document.querySelector('#item-label-frame'); return !!f?.contentDocument?.querySelector('.label .qr svg'); })()",
            "the label in its frame",
        );
        shoot_both(b, "item");

        // To its manifest, and back to the drum from the manifest's items.
        b.click(&format!("#item-detail a.manifest-link[data-number={}]", js(&number)));
        wait_view(b, "manifest", &format!("document.querySelector('#manifest-detail')?.dataset.number === {}", js(&number)), "the manifest");
        b.click(&format!("#manifest-items a.item-link[data-code={}]", js(&drum)));
        wait_view(b, "item", &format!("document.querySelector('#item-page')?.dataset.code === {}", js(&drum)), "the drum from its manifest");
        // And from the manifest list.
        b.click("#nav-manifests");
        b.wait_ready("manifests");
        b.click(&format!("#manifest-list a[data-number={}]", js(&number)));
        wait_view(b, "manifest", "!!document.querySelector('#manifest-items')", "the manifest from the list");
        b.click(&format!("#manifest-items a.item-link[data-code={}]", js(&drum)));
        wait_view(b, "item", &format!("document.querySelector('#item-page')?.dataset.code === {}", js(&drum)), "the drum again");

        // In English, the same history in English words.
        b.click("#lang-toggle");
        wait_view(b, "item", "document.documentElement.lang === 'en'", "the English page");
        let first = b.text("#item-history li[data-type=generate] .event-name");
        let en = reference["event_types"].as_array().unwrap().iter().find(|e| e["code"] == "generate").unwrap()["name_en"].clone();
        assert_eq!(first, en);
        b.click("#lang-toggle");
        wait_view(b, "item", "document.documentElement.lang === 'zh-CN'", "the Chinese page");

        // The log holds these events, in this order, and nothing else of the drum.
        let events = logged_events(app);
        let of_drum: Vec<u64> = events
            .iter()
            .filter(|e| e.payload.to_string().contains(&drum) || e.index == indexes[0])
            .map(|e| e.index)
            .collect();
        assert_eq!(of_drum, indexes);
    })
    .await;
}

/// Scenario: the clerk's home is the inventory: a medical bag registered three days ago is
/// past its 48 hours and the store holds more than the capacity its administrator registered;
/// both warnings show with their basis, the bag's row its age and the over-age mark, the
/// capacity its use, each as the ledger answers; the warning's code opens the bag's page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inventory_shows_storage_ages_and_the_over_quantity_and_over_age_warnings() {
    let app = common::spawn_app().await;
    let cast = world(&app).await;
    add_clerk(&app, &cast).await;
    let three_days_ago = common::cst(chrono::Utc::now() - chrono::Duration::hours(72));
    let bag = common::cast::code_of(
        &common::custody::accepted_at(
            &cast.admin,
            &cast["plant"].device,
            &three_days_ago,
            "generate",
            generate_fields("841-001-01", 8_000, "solid", &["In"], 50),
        )
        .await,
    );
    let drum = cast.generate("plant", oil(185_500)).await;
    let plant = cast["plant"].uscc.clone();
    let client = app.login("plant-admin").await;
    let (s, body) = client
        .post(
            &format!("/api/v1/enterprises/{plant}/storage-capacities"),
            json!({"capacity_g": 150_000}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let ledger = client.get_ok(&format!("/api/v1/enterprises/{plant}/ledger")).await;
    assert_eq!(ledger["warnings_total"], 2, "{ledger}");

    with_browser(app, move |app, b| {
        log_in(b, &app.base, CLERK, "enterprise_clerk", "items");
        b.wait_for("!!document.querySelector('#inventory-warnings')", "the warnings");
        assert_eq!(
            b.eval("document.querySelector('#inventory-warnings').dataset.total"),
            json!("2")
        );
        let quantity = inner_text(b, "#inventory-warnings li[data-kind=over_quantity]");
        assert_eq!(
            quantity.lines().next().map(str::trim),
            Some(format!("超量 {}", ledger["warnings"][0]["message_zh"].as_str().unwrap()).as_str())
        );
        assert!(quantity.contains("依据"), "{quantity}");
        let age = inner_text(
            b,
            &format!("#inventory-warnings li[data-kind=over_age][data-item={}]", js(&bag)),
        );
        assert!(age.contains("48小时") || age.contains("48 小时"), "{age}");
        assert_eq!(
            b.eval("document.querySelector('#inventory-capacities tbody tr').dataset.over"),
            json!("yes")
        );
        assert!(
            inner_text(b, "#inventory-capacities").contains("193.5 kg"),
            "{}",
            inner_text(b, "#inventory-capacities")
        );
        assert!(inner_text(b, "#inventory-in-store").contains("2"));
        // The ages, as the ledger counts them.
        let bag_age: u64 = b
            .eval(&format!(
                "document.querySelector('#item-list tr[data-code={}] .age').dataset.hours",
                js(&bag)
            ))
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((72..=73).contains(&bag_age), "the bag's age {bag_age} h");
        assert_eq!(
            b.eval(&format!(
                "document.querySelector('#item-list tr[data-code={}]').dataset.overAge",
                js(&bag)
            )),
            json!("yes")
        );
        assert!(inner_text(b, &format!("#item-list tr[data-code={}] .age", js(&bag))).contains("超期"));
        assert_eq!(
            b.eval(&format!(
                "document.querySelector('#item-list tr[data-code={}] .age').dataset.overAge",
                js(&drum)
            )),
            json!("no")
        );
        shoot_both(b, "inventory");

        b.click(&format!(
            "#inventory-warnings li[data-kind=over_age] a.item-link[data-code={}]",
            js(&bag)
        ));
        wait_view(
            b,
            "item",
            &format!("document.querySelector('#item-page')?.dataset.code === {}", js(&bag)),
            "the bag's page",
        );

        // The two generations are the log's last events.
        let events = logged_events(app);
        let last: Vec<&str> = events.iter().rev().take(2).map(|e| e.kind.as_str()).collect();
        assert_eq!(last, ["generate", "generate"]);
        assert!(events
            .iter()
            .any(|e| e.payload["waste_code"] == "841-001-01" && e.payload["at"] == three_days_ago.as_str()));
    })
    .await;
}
