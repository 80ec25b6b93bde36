//! Browser tests of the oversight pages that link things together: the public facility page
//! on a small phone, the search from every page's header, and alerts that say what happened
//! with links to the item, its manifest and the enterprise.

use serde_json::{json, Value};

use super::cdp::{js, Browser, Launch};
use super::common::cast::Cast;
use super::common::custody::Fleet;
use super::common::{self, now_cst, YUNAN};
use super::{log_in, shoot, with_browser, with_browsers};

/// A small incinerator's operating licence: 1 t a year of incineration, HW08 and HW12.
fn small_permit(number: &str) -> Value {
    let today = chrono::NaiveDate::parse_from_str(&now_cst()[..10], "%Y-%m-%d").unwrap();
    json!({"number": number, "valid_from": (today - chrono::Duration::days(30)).to_string(),
           "valid_until": (today + chrono::Duration::days(300)).to_string(),
           "waste_codes": ["HW08", "HW12"], "capacities": [{"method": "incineration", "capacity_t_per_year": 1}],
           "landfill_volume_m3": null})
}

/// Makes the page a phone `width` CSS pixels wide (mobile viewport, touch).
fn phone_of_width(b: &mut Browser, width: u32) {
    b.send(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": width, "height": 780, "deviceScaleFactor": 2, "mobile": true}),
    );
    b.send(
        "Emulation.setTouchEmulationEnabled",
        json!({"enabled": true, "maxTouchPoints": 5}),
    );
}

/// Scenario: a small incinerator licensed for 1 t a year burns 1.2 t; Yunan treats nothing
/// over its licence. The public facility page, opened by anyone on a 360-px phone, fits the
/// screen (no horizontal scrolling), names Yunan's methods in Chinese (物化处理, never
/// `physico_chemical`) with the English beside, draws each method's use as a bar holding the
/// API's figures, and flags the small incinerator, and only it, as over its permit. The page
/// has the app's icon, like the label verification page `/Q/`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_facilities_fit_a_360_px_phone_name_methods_in_chinese_and_flag_a_site_over_its_permit() {
    let app = common::spawn_app().await;
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA6KLG001")
        .transporter(
            "carrier",
            "91500110MA6KLT001",
            Fleet::van("渝D31313", "500110198803031234"),
        )
        .facility("small", "91500110MA6KLF001")
        .permit(small_permit("CQWF-OL-001"))
        .seeded("yunan", YUNAN)
        .build()
        .await;
    let small = cast["small"].uscc.clone();
    let big = cast
        .generate(
            "shop",
            hwtrace::client::generate_fields("900-249-08", 1_200_000, "liquid", &["T", "I"], 200),
        )
        .await;
    cast.deliver("shop", "carrier", "small", &[(&big, 1_200_000)]).await;
    cast.accepted(
        "small",
        "treat",
        json!({"item": big, "method": "incineration", "treated_mass_g": 1_200_000}),
    )
    .await;
    let public = app.anonymous().get_ok("/api/v1/public/facilities").await;
    let line = |uscc: &str, method: &str| -> Value {
        public
            .as_array()
            .and_then(|a| a.iter().find(|f| f["uscc"] == uscc))
            .and_then(|f| f["reconciliation"]["methods"].as_array())
            .and_then(|m| m.iter().find(|m| m["method"] == method))
            .cloned()
            .unwrap_or_else(|| panic!("no {method} line for {uscc}: {public}"))
    };
    let burnt = line(&small, "incineration");
    assert_eq!(
        (&burnt["capacity_g"], &burnt["treated_ytd_g"]),
        (&json!(1_000_000), &json!(1_200_000))
    );

    with_browser(app, move |app, b| {
        phone_of_width(b, 360);
        b.goto(&format!("{}/public/facilities", app.base));
        let width = b.eval("document.scrollingElement.scrollWidth");
        assert!(
            width.as_u64().is_some_and(|w| w <= 360),
            "the public page is {width} px wide on a 360-px phone"
        );

        // Methods in Chinese, English beside, no raw code on screen.
        let method = format!("#f-{YUNAN} li[data-method='physico_chemical']");
        assert_eq!(b.text(&format!("{method} .zh")), json!("物化处理"));
        assert_eq!(b.text(&format!("{method} .en")), json!("physico-chemical treatment"));
        let body = b.text("body");
        assert!(
            !body.as_str().unwrap_or("").contains("physico_chemical"),
            "a raw method code on the page"
        );

        // The chart holds the API's figure: 1.2 t of 1 t is 120.0 % of the licence.
        let bar = format!("#f-{small} li[data-method='incineration'] .track");
        let used = b.eval(&format!("document.querySelector({}).dataset.usedPermille", js(&bar)));
        let expected = burnt["treated_ytd_g"].as_u64().unwrap() * 1000 / burnt["capacity_g"].as_u64().unwrap();
        assert_eq!(used, json!(expected.to_string()));
        assert_eq!(
            b.count(&format!("{bar} .mark.limit")),
            1,
            "the licence's limit is not marked on the bar"
        );

        // The small incinerator is flagged, Yunan is not.
        assert_eq!(
            b.eval(&format!("document.querySelector('#f-{small}').dataset.over")),
            json!("true")
        );
        assert_eq!(
            b.count(&format!("#f-{small} [data-flag='over-permit']")),
            1,
            "no over-permit flag"
        );
        assert_eq!(
            b.count(&format!("#f-{YUNAN} [data-flag='over-permit']")),
            0,
            "Yunan flagged"
        );
        assert_eq!(b.count("[data-flag='over-permit']"), 1, "another facility flagged");
        assert_eq!(
            b.eval("document.querySelector('#over-count').dataset.count"),
            json!("1")
        );
        let flag = b.text(&format!("#f-{small} [data-flag='over-permit']"));
        assert!(flag.as_str().unwrap_or("").contains("超过许可"), "{flag}");

        b.eval(&format!("document.querySelector('#f-{small}').scrollIntoView()"));
        shoot(b, "public-facilities-360");

        // The icon, here and on the label page's address.
        assert_eq!(
            b.eval("document.querySelector('link[rel=icon]')?.getAttribute('href')"),
            json!("/icons/icon.svg")
        );

        b.phone();
        b.goto(&format!("{}/public/facilities", app.base));
        let width = b.eval("document.scrollingElement.scrollWidth");
        assert!(
            width.as_u64().is_some_and(|w| w <= 390),
            "{width} px wide on a 390-px phone"
        );
        shoot(b, "public-facilities-phone");
        b.desktop(1366, 900);
        b.goto(&format!("{}/public/facilities", app.base));
        shoot(b, "public-facilities-desktop");
    })
    .await;
}

/// Scenario: a drum goes from a Wansheng workshop to Yunan. The district's regulator, at her
/// desk, types the drum's code into the search box of the header, opens the result and lands
/// on the item's page; searches the manifest number and the workshop's name and follows the
/// links. On her phone she finds the search box in the "more" sheet. What the results page
/// lists is what the API finds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regulator_searches_from_the_header_and_the_phone_sheet_and_follows_the_links() {
    let app = common::spawn_app().await;
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA6KHG001")
        .transporter(
            "carrier",
            "91500110MA6KHT001",
            Fleet::van("渝D41414", "500110198704041234"),
        )
        .seeded("yunan", YUNAN)
        .regulator("ws-reg", "wansheng")
        .build()
        .await;
    let drum = cast
        .generate(
            "shop",
            hwtrace::client::generate_fields("900-249-08", 80_000, "liquid", &["T", "I"], 200),
        )
        .await;
    let manifest = cast.deliver("shop", "carrier", "yunan", &[(&drum, 80_000)]).await;
    let shop = cast["shop"].uscc.clone();
    let by_name = cast
        .user("ws-reg")
        .get_ok("/api/v1/search?q=%E6%B5%8B%E8%AF%95%E4%BC%81%E4%B8%9A6KH")
        .await;

    with_browsers(app, [Launch::desktop(), Launch::phone()], move |app, [desk, phone]| {
        log_in(desk, &app.base, "ws-reg", "regulator", "alerts");
        // The item code, from the header.
        desk.type_into("#header-search-q", &drum.to_lowercase());
        desk.click("#header-search-go");
        desk.wait_ready("search");
        assert_eq!(desk.eval("document.querySelector('#search-results').dataset.kind"), json!("item_code"));
        let link = format!("#search-items tr[data-code='{drum}'] a[href^='#/items/']");
        assert_eq!(desk.count(&link), 1, "no link to the item");
        shoot(desk, "search-desktop");
        desk.click(&link);
        desk.wait_ready("item");
        assert_eq!(desk.eval("location.hash"), json!(format!("#/items/{drum}")));

        // The manifest number: a link to the manifest page.
        desk.type_into("#header-search-q", &manifest);
        desk.click("#header-search-go");
        desk.wait_ready("search");
        assert_eq!(
            desk.count(&format!("#search-manifests tr[data-number='{manifest}'] a[href='#/manifests/{manifest}']")),
            1
        );
        // A name: the enterprises the API finds, each a link to its page.
        desk.type_into("#header-search-q", "测试企业6KH");
        desk.click("#header-search-go");
        desk.wait_for(
            "document.body.dataset.ready === 'search' && document.querySelector('#search-results')?.dataset.q === '测试企业6KH'",
            "results for the name",
        );
        let listed = desk.eval("[...document.querySelectorAll('#search-enterprises tr[data-uscc]')].map((tr) => tr.dataset.uscc)");
        let expected: Vec<Value> = by_name["enterprises"].as_array().unwrap().iter().map(|e| e["uscc"].clone()).collect();
        assert_eq!(listed, json!(expected));
        assert!(expected.contains(&json!(shop)), "{by_name}");
        desk.click(&format!("#search-enterprises tr[data-uscc='{shop}'] a.enterprise-link"));
        desk.wait_ready("enterprise");

        // The phone: the header's box is hidden, the "more" sheet has one.
        log_in(phone, &app.base, "ws-reg", "regulator", "alerts");
        assert!(!phone.visible("#header-search-q"), "the header's search box shows on a phone");
        phone.tap("#phone-more");
        phone.type_into("#sheet-search-q", &drum);
        phone.tap("#sheet-search-go");
        phone.wait_ready("search");
        assert_eq!(phone.count(&format!("#search-items tr[data-code='{drum}'] a.item-link")), 1);
        let width = phone.eval("document.scrollingElement.scrollWidth");
        assert!(width.as_u64().is_some_and(|w| w <= 390), "the results are {width} px wide on a phone");
        shoot(phone, "search-phone");
    })
    .await;
}

/// Scenario: two workshops' drums weigh light at Yunan's gate. The district's regulator reads
/// each alert in words, filters the list by one workshop, downloads that list as CSV, and
/// follows the alert's links to the item's page and to the workshop's page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regulator_reads_alerts_in_words_filters_exports_and_follows_their_links() {
    let app = common::spawn_app().await;
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA6KAG001")
        .generator("mill", "91500110MA6KAM001")
        .transporter(
            "carrier",
            "91500110MA6KAT001",
            Fleet::van("渝D71717", "500110198507071234"),
        )
        .seeded("yunan", YUNAN)
        .regulator("ws-reg", "wansheng")
        .build()
        .await;
    let fields = |g: u64| hwtrace::client::generate_fields("900-249-08", g, "liquid", &["T", "I"], 200);
    let d1 = cast.generate("shop", fields(100_000)).await;
    cast.deliver("shop", "carrier", "yunan", &[(&d1, 80_000)]).await;
    let d2 = cast.generate("mill", fields(50_000)).await;
    cast.deliver("mill", "carrier", "yunan", &[(&d2, 45_000)]).await;
    let shop = cast["shop"].uscc.clone();
    let api = cast
        .user("ws-reg")
        .get_ok(&format!("/api/v1/alerts?enterprise={shop}"))
        .await;
    let alert = api
        .as_array()
        .and_then(|l| l.iter().find(|a| a["subject"] == json!(d1)))
        .cloned()
        .unwrap_or_else(|| panic!("no alert for {d1}: {api}"));

    with_browsers(app, [Launch::desktop(), Launch::phone()], move |app, [desk, phone]| {
        log_in(desk, &app.base, "ws-reg", "regulator", "alerts");
        let row = format!("#alert-list tr[data-id='{}']", alert["id"]);
        let words = desk.text(&format!("{row} .alert-words .words"));
        assert_eq!(
            words, alert["situation"]["words_zh"],
            "the page's words are not the server's"
        );
        assert!(words.as_str().unwrap().contains("相差-20 kg"), "{words}");
        assert_eq!(
            desk.count(&format!("{row} .alert-links a[href='#/items/{d1}']")),
            1,
            "no item link"
        );
        assert_eq!(
            desk.count(&format!("{row} .alert-links a.enterprise-link[data-uscc='{shop}']")),
            1
        );
        assert_eq!(desk.count("#alert-list tbody tr[data-id]"), 2);
        shoot(desk, "alerts-desktop");

        // Filter by the workshop: its alert only, in the URL; the CSV link carries the filter.
        desk.type_into("#alert-enterprise", &shop);
        desk.click("#alert-filter-submit");
        desk.wait_for(
            &format!(
                "location.hash === {} && document.body.dataset.ready === 'alerts'",
                js(&format!("#/alerts?enterprise={shop}"))
            ),
            "the filtered list",
        );
        let ids = desk
            .eval("[...document.querySelectorAll('#alert-list tbody tr[data-id]')].map((tr) => Number(tr.dataset.id))");
        assert_eq!(ids, json!([alert["id"]]));
        let href = desk.eval("document.querySelector('#alerts-csv').getAttribute('href')");
        assert_eq!(href, json!(format!("/api/v1/alerts/csv?enterprise={shop}")));
        let csv = desk.eval("fetch(document.querySelector('#alerts-csv').href).then((r) => r.text())");
        let csv = csv.as_str().expect("csv text");
        assert!(csv.contains(&d1) && !csv.contains(&d2), "{csv}");

        // Follow the links: the item, then back and the workshop.
        desk.click(&format!("{row} .alert-links a[href='#/items/{d1}']"));
        desk.wait_ready("item");
        desk.open(&format!("{}/#/alerts", app.base), "alerts");
        desk.click(&format!("{row} .alert-links a.enterprise-link[data-uscc='{shop}']"));
        desk.wait_ready("enterprise");

        log_in(phone, &app.base, "ws-reg", "regulator", "alerts");
        let width = phone.eval("document.scrollingElement.scrollWidth");
        assert!(
            width.as_u64().is_some_and(|w| w <= 390),
            "the alerts are {width} px wide on a phone"
        );
        shoot(phone, "alerts-phone");
    })
    .await;
}

/// Scenario: a drum goes from a Wansheng workshop to Yunan under a manifest. The district's
/// regulator opens the manifest list from the navigation, follows the manifest to its page
/// (with the printed 联单), opens the workshop's page and downloads its HJ 1259 ledger and
/// its periodic reports, follows its manifests, and downloads the EPCIS export of the month.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regulator_reads_manifests_and_downloads_ledgers_reports_and_epcis() {
    let app = common::spawn_app().await;
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA6KMG001")
        .transporter(
            "carrier",
            "91500110MA6KMT001",
            Fleet::van("渝D81818", "500110198408081234"),
        )
        .seeded("yunan", YUNAN)
        .regulator("ws-reg", "wansheng")
        .build()
        .await;
    let drum = cast
        .generate(
            "shop",
            hwtrace::client::generate_fields("900-249-08", 60_000, "liquid", &["T", "I"], 200),
        )
        .await;
    let manifest = cast.deliver("shop", "carrier", "yunan", &[(&drum, 60_000)]).await;
    let shop = cast["shop"].uscc.clone();

    with_browser(app, move |app, b| {
        log_in(b, &app.base, "ws-reg", "regulator", "alerts");
        b.click("#nav-manifests");
        b.wait_ready("manifests");
        let row = format!("#manifest-list tr[data-number='{manifest}']");
        assert_eq!(b.count(&row), 1, "the district's manifest is not listed");
        let text = b.text(&row);
        assert!(text.as_str().unwrap_or("").contains("测试企业6KMG"), "no issuer: {text}");
        b.click(&format!("{row} a.manifest-link"));
        b.wait_ready("manifest");
        assert_eq!(b.count("#manifest-print-link"), 1, "no printed 联单 for the regulator");

        b.open(&format!("{}/#/enterprises/{shop}", app.base), "enterprise");
        let fetch = |b: &mut Browser, sel: &str| -> Value {
            b.eval(&format!(
                "fetch(document.querySelector({}).href).then(async (r) => ({{ status: r.status, type: r.headers.get('content-type'), text: await r.text() }}))",
                js(sel)
            ))
        };
        let ledger = fetch(b, "#ledger-csv");
        assert_eq!(ledger["status"], 200, "{ledger}");
        assert!(ledger["type"].as_str().unwrap().starts_with("text/csv"), "{ledger}");
        assert!(ledger["text"].as_str().unwrap().contains(&drum), "the ledger lacks the drum");
        let xlsx = fetch(b, "#ledger-xlsx");
        assert_eq!(xlsx["status"], 200, "{xlsx}");
        let reports = fetch(b, "#reports-csv");
        assert_eq!(reports["status"], 200, "{reports}");
        assert!(reports["text"].as_str().unwrap().contains("900-249-08"), "{reports}");
        shoot(b, "records-desktop");
        b.click("#records-manifests");
        b.wait_ready("manifests");
        assert_eq!(b.count(&row), 1, "the workshop's manifests are not listed");

        let epcis = fetch(b, "#epcis-download");
        assert_eq!(epcis["status"], 200, "{epcis}");
        let doc: Value = serde_json::from_str(epcis["text"].as_str().unwrap()).expect("EPCIS JSON");
        let events = doc["epcisBody"]["eventList"].as_array().expect("events");
        assert!(
            events.iter().any(|e| e.to_string().contains(&drum)),
            "the month's EPCIS export lacks the drum"
        );
    })
    .await;
}
