//! What the service refuses of a signed event besides the custody rules, over HTTP: times
//! (older than the offline window, ahead of the server's clock, before the latest event of an
//! item), signatures by parties the event does not name, and members named twice in a payload.
//! For each: whether it is logged as a `refusal` entry, and whether its nonce is then used.

mod common;

use common::custody::{accepted_at, add_admin_with_device, add_enterprise};
use common::{assert_refused, start_with, uscc, Client, TestApp};
use hwtrace::client::{generate_fields, Device};
use hwtrace::config::Config;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A time `minutes` from now on a device's clock (negative: ago), China Standard Time.
fn minutes_from_now(minutes: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(minutes))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .to_rfc3339()
}

const DAY: i64 = 24 * 60;

/// The log's size, from the latest checkpoint (its second line).
async fn log_size(app: &TestApp) -> u64 {
    let note = reqwest::get(format!("{}/log/checkpoint", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    note.lines().nth(1).unwrap().parse().unwrap()
}

/// A service whose devices may stay offline `days` days, with a generator and its phone.
async fn service(days: i64) -> (TestApp, Client, Device) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        offline_window_days: days,
        ..Config::with_db(dir.path().join("hwtrace.db"))
    };
    let app = start_with(config, dir).await;
    let admin = app.admin().await;
    let shop = uscc("91500110MA5U8F4X2");
    add_enterprise(&admin, &shop, "generator", "wansheng").await;
    let phone = add_admin_with_device(&app, "shop-admin", &shop, "phone-1").await;
    (app, admin, phone)
}

/// A payload of `kind` signed by `d` at `at` with nonce `nonce`: the exact bytes given.
fn signed(d: &Device, kind: &str, at: &str, nonce: &str, fields: Value) -> Value {
    let mut p = json!({"type": kind, "actor": d.owner, "device": d.device, "at": at, "nonce": nonce});
    p.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
    serde_json::to_value(d.sign_bytes(p.to_string().as_bytes())).unwrap()
}

#[tokio::test]
async fn a_store_dated_years_ago_is_refused_unlogged_and_its_nonce_stays_unused() {
    let (app, admin, phone) = service(2).await;
    // A generate keeps its 30 days, whatever the window.
    let r = accepted_at(
        &admin,
        &phone,
        &minutes_from_now(-20 * DAY),
        "generate",
        generate_fields("900-249-08", 10_000, "liquid", &["T", "I"], 20),
    )
    .await;
    let code = r["item_code"].as_str().unwrap().to_owned();
    let store = json!({"items": [code], "storage_place": "危废暂存间B"});
    let size = log_size(&app).await;
    // The outside check's case, and one just beyond this service's two-day window.
    for at in ["2020-01-01T08:00:00+08:00".to_owned(), minutes_from_now(-2 * DAY - 5)] {
        assert_refused(
            &admin
                .post("/api/v1/events", signed(&phone, "store", &at, "n-1", store.clone()))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "event_too_old",
        );
    }
    assert_refused(
        &admin
            .post(
                "/api/v1/events",
                signed(&phone, "store", &minutes_from_now(11), "n-1", store.clone()),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "event_in_future",
    );
    assert_eq!(log_size(&app).await, size, "refused before the writer: nothing logged");
    // The nonce was not used: the same nonce, signed within the window, is accepted.
    let (s, receipt) = admin
        .post(
            "/api/v1/events",
            signed(&phone, "store", &minutes_from_now(-DAY), "n-1", store),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{receipt}");
    app.stop().await;
}

#[tokio::test]
async fn an_event_dated_before_its_items_latest_event_is_refused_logged_and_uses_its_nonce() {
    let (app, admin, phone) = service(7).await;
    let r = accepted_at(
        &admin,
        &phone,
        &minutes_from_now(-60),
        "generate",
        generate_fields("900-249-08", 10_000, "liquid", &["T", "I"], 20),
    )
    .await;
    let code = r["item_code"].as_str().unwrap().to_owned();
    let store = |place: &str| json!({"items": [code], "storage_place": place});
    accepted_at(&admin, &phone, &minutes_from_now(-30), "store", store("B区")).await;
    // A store signed before the last one, delivered after it.
    let late = signed(&phone, "store", &minutes_from_now(-45), "late-1", store("A区"));
    let size = log_size(&app).await;
    assert_refused(
        &admin.post("/api/v1/events", late.clone()).await,
        StatusCode::CONFLICT,
        "event_out_of_order",
    );
    // Judged by the rules after the key and nonce checks: logged as a refusal entry, nonce used.
    assert_eq!(log_size(&app).await, size + 1);
    let text = reqwest::get(format!("{}/log/entries?start={size}&end={}", app.base, size + 1))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let entry: Value = serde_json::from_str(text.trim_end()).unwrap();
    assert_eq!(
        (&entry["kind"], &entry["refusal"]["error"]),
        (&json!("refusal"), &json!("event_out_of_order"))
    );
    assert_refused(
        &admin.post("/api/v1/events", late).await,
        StatusCode::CONFLICT,
        "replayed_nonce",
    );
    let (_, item) = admin.get(&format!("/api/v1/items/{code}")).await;
    assert_eq!(item["storage_place"], json!("B区"), "{item}");
    app.stop().await;
}

#[tokio::test]
async fn a_payload_naming_a_member_twice_is_refused_unlogged() {
    let (app, admin, phone) = service(7).await;
    let size = log_size(&app).await;
    // The last `mass_g` would win in a lenient parser: 100 t instead of the 1 kg displayed.
    let at = minutes_from_now(0);
    let text = format!(
        r#"{{"type":"generate","actor":"{}","device":"phone-1","at":"{at}","nonce":"dup-1","waste_code":"900-249-08","mass_g":1000,"form":"liquid","hazards":["T"],"packaging":"20L桶","container_volume_l":20,"components":"矿物油","storage_place":"暂存间","mass_g":100000000}}"#,
        phone.owner
    );
    assert_refused(
        &admin
            .post(
                "/api/v1/events",
                serde_json::to_value(phone.sign_bytes(text.as_bytes())).unwrap(),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "duplicate_member",
    );
    assert_eq!(log_size(&app).await, size);
    app.stop().await;
}

#[tokio::test]
async fn a_signature_by_a_party_the_event_does_not_name_is_refused_unlogged() {
    let (app, admin, phone) = service(7).await;
    let other = uscc("91500110MA6TRN031");
    add_enterprise(&admin, &other, "transporter", "wansheng").await;
    let driver = add_admin_with_device(&app, "carrier-admin", &other, "driver-1").await;
    let size = log_size(&app).await;
    let env = phone.sign_event(
        "generate",
        &minutes_from_now(0),
        generate_fields("900-249-08", 1000, "liquid", &["T"], 20),
    );
    assert_refused(
        &admin
            .post("/api/v1/events", serde_json::to_value(driver.cosign(&env)).unwrap())
            .await,
        StatusCode::FORBIDDEN,
        "unexpected_signature",
    );
    assert_eq!(log_size(&app).await, size);
    // The same envelope with its own signature only: the nonce was not used.
    let (s, receipt) = admin.post("/api/v1/events", serde_json::to_value(&env).unwrap()).await;
    assert_eq!(s, StatusCode::CREATED, "{receipt}");
    app.stop().await;
}
