//! What the service refuses of a signed event besides the custody rules, over HTTP: times
//! (older than the offline window, ahead of the server's clock, before the latest event of an
//! item), signatures by parties the event does not name, and members named twice in a payload.
//! For each: whether it is logged as a `refusal` entry, and whether its nonce is then used.

mod common;

use common::cast::{code_of, Cast};
use common::custody::accepted_at;
use common::{assert_refused, cst, start_with, TestApp};
use hwtrace::client::{generate_fields, Device};
use hwtrace::config::Config;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A time `minutes` from now on a device's clock (negative: ago), China Standard Time.
fn minutes_from_now(minutes: i64) -> String {
    cst(chrono::Utc::now() + chrono::Duration::minutes(minutes))
}

const DAY: i64 = 24 * 60;

/// A service whose devices may stay offline `days` days, with a generator and a transporter,
/// each with a device.
async fn service(days: i64) -> (TestApp, Cast) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        offline_window_days: days,
        ..Config::with_db(dir.path().join("hwtrace.db"))
    };
    let app = start_with(config, dir).await;
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA5U8F4X2")
        .party("carrier", "91500110MA6TRN031", &["transporter"], "wansheng")
        .build()
        .await;
    (app, cast)
}

/// A payload of `kind` signed by `d` at `at` with nonce `nonce`: the exact bytes given.
fn signed(d: &Device, kind: &str, at: &str, nonce: &str, fields: Value) -> Value {
    let mut p = json!({"type": kind, "actor": d.owner, "device": d.device, "at": at, "nonce": nonce});
    p.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
    serde_json::to_value(d.sign_bytes(p.to_string().as_bytes())).unwrap()
}

#[tokio::test]
async fn a_store_dated_years_ago_is_refused_unlogged_and_its_nonce_stays_unused() {
    let (app, cast) = service(2).await;
    let (admin, phone) = (&cast.admin, &cast["shop"].device);
    // A generate keeps its 30 days, whatever the window.
    let r = accepted_at(
        admin,
        phone,
        &minutes_from_now(-20 * DAY),
        "generate",
        generate_fields("900-249-08", 10_000, "liquid", &["T", "I"], 20),
    )
    .await;
    let code = code_of(&r);
    let store = json!({"items": [code], "storage_place": "危废暂存间B"});
    let size = app.log_size().await;
    // The outside check's case, and one just beyond this service's two-day window.
    for at in ["2020-01-01T08:00:00+08:00".to_owned(), minutes_from_now(-2 * DAY - 5)] {
        assert_refused(
            &admin
                .post("/api/v1/events", signed(phone, "store", &at, "n-1", store.clone()))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "event_too_old",
        );
    }
    assert_refused(
        &admin
            .post(
                "/api/v1/events",
                signed(phone, "store", &minutes_from_now(11), "n-1", store.clone()),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "event_in_future",
    );
    assert_eq!(app.log_size().await, size, "refused before the writer: nothing logged");
    // The nonce was not used: the same nonce, signed within the window, is accepted.
    let (s, receipt) = admin
        .post(
            "/api/v1/events",
            signed(phone, "store", &minutes_from_now(-DAY), "n-1", store),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{receipt}");
    app.stop().await;
}

#[tokio::test]
async fn an_event_dated_before_its_items_latest_event_is_refused_logged_and_uses_its_nonce() {
    let (app, cast) = service(7).await;
    let (admin, phone) = (&cast.admin, &cast["shop"].device);
    let r = accepted_at(
        admin,
        phone,
        &minutes_from_now(-60),
        "generate",
        generate_fields("900-249-08", 10_000, "liquid", &["T", "I"], 20),
    )
    .await;
    let code = code_of(&r);
    let store = |place: &str| json!({"items": [code], "storage_place": place});
    accepted_at(admin, phone, &minutes_from_now(-30), "store", store("B区")).await;
    // A store signed before the last one, delivered after it.
    let late = signed(phone, "store", &minutes_from_now(-45), "late-1", store("A区"));
    let size = app.log_size().await;
    assert_refused(
        &admin.post("/api/v1/events", late.clone()).await,
        StatusCode::CONFLICT,
        "event_out_of_order",
    );
    // Judged by the rules after the key and nonce checks: logged as a refusal entry, nonce used.
    assert_eq!(app.log_size().await, size + 1);
    let entry = &app.entries(size, size + 1).await[0];
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
    let (app, cast) = service(7).await;
    let (admin, phone) = (&cast.admin, &cast["shop"].device);
    let size = app.log_size().await;
    // The last `mass_g` would win in a lenient parser: 100 t instead of the 1 kg displayed.
    let at = minutes_from_now(0);
    let text = format!(
        r#"{{"type":"generate","actor":"{}","device":"{}","at":"{at}","nonce":"dup-1","waste_code":"900-249-08","mass_g":1000,"form":"liquid","hazards":["T"],"packaging":"20L桶","container_volume_l":20,"components":"矿物油","storage_place":"暂存间","mass_g":100000000}}"#,
        phone.owner, phone.device
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
    assert_eq!(app.log_size().await, size);
    app.stop().await;
}

#[tokio::test]
async fn a_signature_by_a_party_the_event_does_not_name_is_refused_unlogged() {
    let (app, cast) = service(7).await;
    let (admin, phone) = (&cast.admin, &cast["shop"].device);
    let driver = &cast["carrier"].device;
    let size = app.log_size().await;
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
    assert_eq!(app.log_size().await, size);
    // The same envelope with its own signature only: the nonce was not used.
    let (s, receipt) = admin.post("/api/v1/events", serde_json::to_value(&env).unwrap()).await;
    assert_eq!(s, StatusCode::CREATED, "{receipt}");
    app.stop().await;
}
