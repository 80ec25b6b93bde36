//! Scenario: a transporter's phone offline for a day. Yesterday an auto-repair shop handed two
//! drums of waste oil out: one released to the first carrier, the other released to a second
//! carrier who scanned and accepted it online at once. The first carrier's driver, without
//! signal, scanned both drums and his phone signed an `accept` for each, with yesterday's clock.
//! Today the phone syncs its queue in one batch: the accept of the drum released to it goes
//! through, device time in the past and all; the one the second carrier already holds is
//! refused with a reason, and the refusal itself is logged, so nothing the phone sent is lost.
//! Re-sending the queue logs nothing twice, and the auditor finds the log and database agree.
//! Another queue, sent in the wrong order (arrival before acceptance before release), is
//! applied in the order of its events' times: nothing is refused for its order and no nonce
//! is burnt.

mod common;

use chrono::{Duration, Utc};
use common::cast::{code_of, Cast};
use common::custody::{accepted_at, stands, Fleet};
use common::{audit_clean, cst, spawn_app_with_db, TestApp, YUNAN};
use hwtrace::client::generate_fields;
use reqwest::StatusCode;
use serde_json::json;

/// The shop, two carriers each with a vehicle and a driver, and a device for each: the first
/// carrier's phone goes offline for a day, the second's stays online.
async fn cast(app: &TestApp) -> Cast {
    Cast::on(app)
        .generator("shop", "91500110MA5U8F4X2")
        .transporter(
            "first",
            "91500110MA6TRN031",
            Fleet::van("渝D12345", "500110198001011234"),
        )
        .transporter(
            "second",
            "91500110MA6TRN042",
            Fleet::van("渝D67890", "500110198502023456"),
        )
        .seeded("yunan", YUNAN)
        .build()
        .await
}

/// A time `hours` ago on a device's clock, in China Standard Time.
fn hours_ago(hours: i64) -> String {
    cst(Utc::now() - Duration::hours(hours))
}

/// The shop fills a drum, opens a manifest to Yunan carried by `carrier` with its vehicle and
/// driver, and releases the drum to it; all signed yesterday. Answers the code and manifest.
async fn released_drum(cast: &Cast, carrier: &str) -> (String, String) {
    let (admin, shop) = (&cast.admin, &cast["shop"].device);
    let receipt = accepted_at(
        admin,
        shop,
        &hours_ago(26),
        "generate",
        generate_fields("900-214-08", 180_000, "liquid", &["T", "I"], 200),
    )
    .await;
    let code = code_of(&receipt);
    let manifest = cast.manifest(carrier, YUNAN, &[&code]);
    let receipt = accepted_at(admin, shop, &hours_ago(25), "manifest_open", manifest).await;
    let number = receipt["manifest_no"].as_str().unwrap().to_owned();
    accepted_at(
        admin,
        shop,
        &hours_ago(25),
        "release",
        json!({"items": [code], "to": cast[carrier].uscc, "manifest": number}),
    )
    .await;
    stands(admin, &code, "released", shop.owner.as_str()).await;
    (code, number)
}

#[tokio::test]
async fn an_offline_phone_syncs_its_queue_and_the_conflicting_scan_is_refused_and_logged() {
    let (app, db) = spawn_app_with_db().await;
    let cast = cast(&app).await;
    let (admin, offline, online) = (&cast.admin, &cast["first"].device, &cast["second"].device);
    let (first, second) = (cast["first"].uscc.as_str(), cast["second"].uscc.as_str());

    // Yesterday: one drum released to the first carrier, the other to the second carrier,
    // whose driver scans it and accepts it online straight away.
    let (free, free_manifest) = released_drum(&cast, "first").await;
    let (taken, taken_manifest) = released_drum(&cast, "second").await;
    accepted_at(
        admin,
        online,
        &hours_ago(24),
        "accept",
        json!({"items": [taken], "manifest": taken_manifest}),
    )
    .await;
    stands(admin, &taken, "in_transit", second).await;

    // Meanwhile the first carrier's phone, without signal, signs an accept for both drums.
    let queue = vec![
        offline.sign_event(
            "accept",
            &hours_ago(23),
            json!({"items": [free], "manifest": free_manifest}),
        ),
        offline.sign_event(
            "accept",
            &hours_ago(23),
            json!({"items": [taken], "manifest": taken_manifest}),
        ),
    ];
    let batch = json!({"envelopes": queue});

    // Today the phone syncs its queue: the free drum is accepted, a day late; the other one,
    // already in the second carrier's hands, is refused with a reason.
    let (s, answer) = admin.post("/api/v1/events/batch", batch.clone()).await;
    assert_eq!(s, StatusCode::OK, "{answer}");
    assert_eq!(
        (answer["accepted"].as_u64(), answer["refused"].as_u64()),
        (Some(1), Some(1)),
        "{answer}"
    );
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results[0]["ok"], json!(true), "{answer}");
    assert_eq!(results[1]["ok"], json!(false), "{answer}");
    let error = &results[1]["error"];
    let code = error["error"].as_str().unwrap().to_owned();
    assert_eq!(code, "no_release_pending", "{answer}");
    assert!(!error["message_zh"].as_str().unwrap().is_empty(), "{answer}");
    stands(admin, &free, "in_transit", first).await;

    // The refusal is in the log: an entry of kind `refusal`, right after the accepted event,
    // holding the envelope as the phone sent it and the reason it was given.
    let accepted_at = results[0]["receipt"]["index"].as_u64().unwrap();
    let size = app.log_size().await;
    assert_eq!(size, accepted_at + 2, "one event and one refusal were logged");
    let logged = app.entries(accepted_at, size).await;
    assert_eq!(logged[0]["kind"], json!("event"), "{}", logged[0]);
    let refusal = &logged[1];
    assert_eq!(refusal["kind"], json!("refusal"), "{refusal}");
    assert_eq!(refusal["prev"], json!({}), "{refusal}");
    assert_eq!(
        refusal["envelope"],
        serde_json::to_value(&queue[1]).unwrap(),
        "{refusal}"
    );
    assert_eq!(refusal["refusal"]["error"], json!(code), "{refusal}");
    assert_eq!(refusal["refusal"]["message"], error["message"], "{refusal}");
    assert_eq!(refusal["refusal"]["message_zh"], error["message_zh"], "{refusal}");

    // The phone, unsure whether its sync went through, sends the same queue again: both
    // nonces are used, by the event and by the refusal; nothing new is logged.
    let (s, again) = admin.post("/api/v1/events/batch", batch).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["accepted"].as_u64(), Some(0), "{again}");
    for r in again["results"].as_array().unwrap() {
        assert_eq!(r["error"]["error"], json!("replayed_nonce"), "{again}");
    }
    assert_eq!(app.log_size().await, size, "a re-delivered queue is not logged twice");

    // The drum stays with the carrier who accepted it online; the free one is the first's.
    stands(admin, &taken, "in_transit", second).await;
    stands(admin, &free, "in_transit", first).await;

    // The auditor checks the refusal's signature and nonce like any event's, and finds the
    // log and the database in agreement.
    app.stop().await;
    let report = audit_clean(&db).await;
    assert_eq!(report.refusals, 1, "{report}");
}

#[tokio::test]
async fn a_queue_synced_out_of_order_is_applied_in_time_order() {
    let (app, db) = spawn_app_with_db().await;
    let cast = cast(&app).await;
    let (admin, shop, offline) = (&cast.admin, &cast["shop"].device, &cast["first"].device);
    let first = cast["first"].uscc.as_str();
    let receipt = accepted_at(
        admin,
        shop,
        &hours_ago(4),
        "generate",
        generate_fields("900-214-08", 180_000, "liquid", &["T", "I"], 200),
    )
    .await;
    let code = code_of(&receipt);
    let manifest = cast.manifest("first", YUNAN, &[&code]);
    let receipt = accepted_at(admin, shop, &hours_ago(3), "manifest_open", manifest).await;
    let number = receipt["manifest_no"].as_str().unwrap().to_owned();
    let trip = json!({"items": [code], "manifest": number});

    // The release, the driver's accept and his arrival, queued offline and sent in one batch in
    // the wrong order, with an envelope that fails its checks in the middle.
    let mut release = trip.clone();
    release["to"] = json!(first);
    let ago = |minutes: i64| cst(Utc::now() - Duration::minutes(minutes));
    let twice = format!(
        r#"{{"type":"arrive","actor":"{first}","device":"{}","at":"{}","nonce":"x-1","items":["{code}"],"items":[],"manifest":"{number}"}}"#,
        offline.device,
        ago(60)
    );
    let queue = vec![
        offline.sign_event("arrive", &ago(60), trip.clone()),
        offline.sign_bytes(twice.as_bytes()),
        offline.sign_event("accept", &ago(120), trip.clone()),
        shop.sign_event("release", &ago(121), release),
    ];
    let size = app.log_size().await;
    let (s, answer) = admin.post("/api/v1/events/batch", json!({"envelopes": queue})).await;
    assert_eq!(s, StatusCode::OK, "{answer}");
    let results = answer["results"].as_array().unwrap();
    assert_eq!(
        (answer["accepted"].as_u64(), answer["refused"].as_u64()),
        (Some(3), Some(1)),
        "{answer}"
    );
    // Answers in the order sent; the envelope that failed keeps its place.
    assert_eq!(results[1]["error"]["error"], json!("duplicate_member"), "{answer}");
    let index = |i: usize| results[i]["receipt"]["index"].as_u64().unwrap();
    assert!(
        index(3) < index(2) && index(2) < index(0),
        "applied in time order: {answer}"
    );
    // Nothing refused for its order, no refusal entry, no nonce burnt.
    assert_eq!(app.log_size().await, size + 3);
    for e in app.entries(size, size + 3).await {
        assert_eq!(e["kind"], json!("event"), "{e}");
    }
    stands(admin, &code, "arrived", first).await;

    app.stop().await;
    let report = audit_clean(&db).await;
    assert_eq!((report.findings_total, report.refusals), (0, 0), "{report}");
}
