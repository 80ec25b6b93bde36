//! Devices for people: a signed-in user enrols the browser it uses (`#/device`), its
//! administrator approves it from its own session (`#/enrolments`), the key ID shown on both
//! screens. The helpers below are what every story that signs in a browser uses:
//!
//! ```ignore
//! let key_id = enrol::request_enrolment(&mut phone, "phone-1");   // the user's browser
//! enrol::approve_in_browser(&mut admin_browser, &key_id);          // the admin's own session
//! enrol::wait_enrolled(&mut phone, &key_id);                        // the phone may sign now
//! // or, when the approval is not the point of the story:
//! enrol::approve_by_api(app, "carrier-admin", &key_id);
//! ```

use serde_json::Value;

use super::cdp::{js, Browser, Launch};
use super::common::cast::Cast;
use super::common::custody::Fleet;
use super::common::{self, TestApp};
use super::{block_on, log_in, shoot, with_browsers};

/// On the user's browser (logged in): asks to enrol it as `device`; answers the key ID the
/// page shows (8 hex digits), the request pending.
pub fn request_enrolment(b: &mut Browser, device: &str) -> String {
    let base = b.eval("location.origin").as_str().unwrap_or_default().to_owned();
    b.open(&format!("{base}/#/device"), "device");
    b.type_into("#enrol-device", device);
    b.click("#enrol-submit");
    b.wait_for(
        "document.body.dataset.ready === 'device' && document.querySelector('#enrol-state')?.dataset.state === 'pending'",
        "the enrolment request pending",
    );
    let key_id = b.text("#enrol-key-id").as_str().unwrap_or_default().trim().to_owned();
    assert!(
        key_id.len() == 8 && key_id.chars().all(|c| c.is_ascii_hexdigit()),
        "the page shows a key ID: {key_id:?}"
    );
    key_id
}

/// On the administrator's browser (logged in): approves the pending request whose key ID is
/// `key_id`, after finding it listed with that ID.
pub fn approve_in_browser(admin: &mut Browser, key_id: &str) {
    let base = admin.eval("location.origin").as_str().unwrap_or_default().to_owned();
    admin.open(&format!("{base}/#/enrolments"), "enrolments");
    let row = format!("#enrolment-list tr[data-key-id={}]", js(key_id));
    admin.wait_for(
        &format!("!!document.querySelector({})", js(&row)),
        "the request listed with its key ID",
    );
    let shown = admin.text(&format!("{row} .big"));
    assert_eq!(
        shown.as_str().map(str::trim),
        Some(key_id),
        "the same key ID on both screens"
    );
    admin.click(&format!("{row} button.approve"));
    admin.wait_for(
        &format!(
            "document.body.dataset.ready === 'enrolments' && !document.querySelector({})",
            js(&row)
        ),
        "the request approved and gone from the list",
    );
}

/// On the user's browser: waits until its page shows the request approved.
pub fn wait_enrolled(b: &mut Browser, key_id: &str) {
    b.wait_for(
        &format!(
            "document.querySelector('#enrol-state')?.dataset.state === 'approved'
             && document.querySelector('#enrol-key-id')?.textContent.trim() === {}",
            js(key_id)
        ),
        "the enrolment approved on the device's own page",
    );
}

/// Approves the pending request with key ID `key_id` as `approver` over the API, for stories
/// whose point is not the approval.
pub fn approve_by_api(app: &TestApp, approver: &str, key_id: &str) {
    block_on(async {
        let c = app.login(approver).await;
        let list = c.get_ok("/api/v1/device-enrolments").await;
        let id = list["enrolments"]
            .as_array()
            .and_then(|l| l.iter().find(|e| e["key_id"] == key_id))
            .map(|e| e["id"].clone())
            .unwrap_or_else(|| panic!("no pending request with key {key_id}: {list}"));
        let (s, body) = c
            .post(
                &format!("/api/v1/device-enrolments/{id}/approve"),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(s, reqwest::StatusCode::OK, "{body}");
    });
}

const SHOP: &str = "91500110MA6ENR001";

/// A clerk enrols the browser on her PC; her enterprise's administrator, at another PC, sees
/// the same key ID and approves it; the clerk's page says so by itself, and the key signs a
/// container's registration, whose log entry names it.
#[tokio::test]
async fn a_clerk_enrols_her_browser_and_her_administrator_approves_it_from_his_own() {
    let app = common::spawn_app().await;
    let cast = Cast::on(&app).generator("shop", SHOP).build().await;
    let shop = cast["shop"].uscc.clone();
    app.user("shop-clerk", "enterprise_clerk", Some(&shop), None).await;
    with_browsers(
        app,
        [Launch::desktop(), Launch::desktop()],
        move |app, [clerk, admin]| {
            log_in(clerk, &app.base, "shop-clerk", "enterprise_clerk", "items");
            log_in(admin, &app.base, "shop-admin", "enterprise_admin", "items");
            let key_id = request_enrolment(clerk, "clerk-pc");
            shoot(clerk, "device-pending-desktop");
            // Before approval the key is nobody's: the server lists no such device.
            let devices = block_on(
                cast["shop"]
                    .client
                    .get_ok(&format!("/api/v1/enterprises/{shop}/devices")),
            );
            assert!(!devices.to_string().contains(&key_id), "{devices}");
            approve_in_browser(admin, &key_id);
            shoot(admin, "enrolments-desktop");
            wait_enrolled(clerk, &key_id);
            shoot(clerk, "device-approved-desktop");
            let devices = block_on(
                cast["shop"]
                    .client
                    .get_ok(&format!("/api/v1/enterprises/{shop}/devices")),
            );
            let listed: Vec<&Value> = devices["devices"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["key_id"] == key_id.as_str())
                .collect();
            assert_eq!(listed.len(), 1, "the approved key is the shop's device: {devices}");
            assert_eq!(listed[0]["device"], "clerk-pc");

            // The clerk registers a container; the browser signs with the enrolled key.
            clerk.open(&format!("{}/#/items/new", app.base), "items-new");
            clerk.type_into("#gen-waste-code", "900-249-08");
            clerk.type_into("#gen-mass-kg", "120.5");
            clerk.select("#gen-form", "liquid");
            clerk.type_into("#gen-packaging", "钢桶");
            clerk.type_into("#gen-volume", "200");
            clerk.type_into("#gen-components", "废矿物油");
            clerk.type_into("#gen-storage", "危废暂存间A");
            clerk.click("#gen-submit");
            clerk.wait_for(
                "document.querySelector('#gen-results')?.dataset.accepted === '1'",
                "one container registered",
            );
            let entries = block_on(async { app.entries(0, app.log_size().await).await });
            let signed = entries.iter().any(|e| {
                e["kind"] == "event" && e["envelope"]["signatures"][0]["keyid"].as_str() == Some(key_id.as_str())
            });
            assert!(signed, "the log holds an event signed by the enrolled key");
        },
    )
    .await;
}

/// On a phone the same: the request shows its key ID large enough to read out.
#[tokio::test]
async fn a_driver_enrols_a_phone_at_390x844() {
    let app = common::spawn_app().await;
    let cast = Cast::on(&app)
        .transporter(
            "carrier",
            "91500110MA6ENR002",
            Fleet::van("渝D45678", "500110198804044567"),
        )
        .build()
        .await;
    let carrier = cast["carrier"].uscc.clone();
    app.user("driver-zhao", "enterprise_clerk", Some(&carrier), None).await;
    with_browsers(app, [Launch::phone()], move |app, [phone]| {
        log_in(phone, &app.base, "driver-zhao", "enterprise_clerk", "trips");
        let key_id = request_enrolment(phone, "zhao-phone");
        shoot(phone, "device-pending-phone");
        let font = phone.eval("parseFloat(getComputedStyle(document.querySelector('#enrol-key-id')).fontSize)");
        assert!(font.as_f64().unwrap_or(0.0) >= 20.0, "the key ID is large: {font}");
        approve_by_api(app, "carrier-admin", &key_id);
        wait_enrolled(phone, &key_id);
        shoot(phone, "device-approved-phone");
    })
    .await;
}

/// A regulator of the Wansheng bureau enrols the PC on her desk; the key belongs to the bureau
/// (the district's enterprise with the regulator role), an administrator approves it from his
/// own session, and she acknowledges a weighing discrepancy with it from the alerts page.
#[tokio::test]
async fn a_regulator_enrols_her_desk_and_acknowledges_an_alert_with_it() {
    let app = common::spawn_app().await;
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA6ENR003")
        .transporter(
            "carrier",
            "91500110MA6ENR004",
            Fleet::van("渝D45679", "500110198804044568"),
        )
        .seeded("yunan", common::YUNAN)
        .build()
        .await;
    let drum = cast
        .generate(
            "shop",
            hwtrace::client::generate_fields("900-252-12", 100_000, "solid", &["T", "I"], 200),
        )
        .await;
    cast.deliver("shop", "carrier", "yunan", &[(&drum, 80_000)]).await;
    let alerts = cast.admin.get_ok("/api/v1/alerts?rule=weight_discrepancy").await;
    let alert = alerts
        .as_array()
        .and_then(|a| a.first())
        .cloned()
        .expect("a discrepancy alert");
    app.user("reg-li", "regulator", None, Some("wansheng")).await;
    with_browsers(app, [Launch::desktop(), Launch::desktop()], move |app, [reg, admin]| {
        log_in(reg, &app.base, "reg-li", "regulator", "alerts");
        assert_eq!(reg.count("#ack-form"), 0, "no acknowledgement without a key");
        let key_id = request_enrolment(reg, "li-desk");
        log_in(admin, &app.base, "admin", "admin", "enterprises");
        approve_in_browser(admin, &key_id);
        wait_enrolled(reg, &key_id);
        reg.open(&format!("{}/#/alerts", app.base), "alerts");
        let row = format!("#alert-list tr[data-id=\"{}\"]", alert["id"]);
        reg.click(&format!("{row} button[data-ack]"));
        reg.type_into("#ack-note", "已核查，称重偏差系桶内残液蒸发");
        reg.click("#ack-submit");
        reg.wait_for(
            &format!(
                "document.body.dataset.ready === 'alerts' && document.querySelector({})?.dataset.state === 'acknowledged'",
                js(&row)
            ),
            "the alert acknowledged",
        );
        let acked = block_on(async {
            app.login("admin").await.get_ok(&format!("/api/v1/alerts/{}", alert["id"])).await
        });
        // The note is kept with the alert and shown under its state.
        assert_eq!(acked["ack_note"], "已核查，称重偏差系桶内残液蒸发", "{acked}");
        let shown = reg.text(&format!("{row} .ack-note"));
        assert!(
            shown.as_str().is_some_and(|t| t.contains("已核查，称重偏差系桶内残液蒸发")),
            "the note is not shown: {shown}"
        );
        let seq = acked["acked_seq"].as_u64().expect("acknowledged by an entry");
        let entry = &block_on(app.entries(seq, seq + 1))[0];
        assert_eq!(entry["envelope"]["signatures"][0]["keyid"], key_id.as_str(), "{entry}");
    })
    .await;
}
