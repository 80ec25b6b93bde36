//! Scenario: the normal path. A drum of waste oil from an auto-repair shop in Wansheng travels
//! with a registered transporter to the Yunan facility, which weighs, receives and incinerates
//! it. Every step is a signed event from a device over HTTP; after each one the item shows
//! where it stands. Along the way the service refuses what the custody rules forbid, and at
//! the end the auditor finds the log and the database in agreement.

mod common;

use common::cast::Cast;
use common::custody::{accepted, event_kinds, refused, stands, Fleet};
use common::{audit_clean, now_cst, spawn_app_with_db, TestApp, YUNAN};
use hwtrace::audit::{self, AuditArgs};
use hwtrace::client::generate_fields;
use hwtrace::crypto::merkle::leaf_hash;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The seeded medical-waste steam station: its permit covers two medical-waste codes only.
const FENGYAN: &str = "12500110MB1FY0001C";
const PLATE: &str = "渝D12345";
const LICENCE: &str = "500110198001011234";

/// The auto-repair shop, the transporter with its vehicle and driver, a stranger, and the gate
/// of the seeded Yunan facility, each with a device.
async fn cast(app: &TestApp) -> Cast {
    Cast::on(app)
        .generator("shop", "91500110MA5U8F4X2")
        .transporter("carrier", "91500110MA6TRN031", Fleet::van(PLATE, LICENCE))
        .generator("stranger", "91500110MA6XTR001")
        .seeded("yunan", YUNAN)
        .build()
        .await
}

#[tokio::test]
async fn a_drum_of_waste_oil_goes_from_the_repair_shop_to_the_incinerator() {
    let (app, db) = spawn_app_with_db().await;
    let cast = cast(&app).await;
    let admin = &cast.admin;
    let (shop, driver, gate, stranger) = (
        &cast["shop"].device,
        &cast["carrier"].device,
        &cast["yunan"].device,
        &cast["stranger"].device,
    );
    let (repair, carrier) = (&cast["shop"].uscc, &cast["carrier"].uscc);
    let today = &now_cst()[..10];

    // The shop fills a 200 L drum with 185.5 kg of waste mineral oil and registers it.
    let code = cast
        .generate(
            "shop",
            generate_fields("900-214-08", 185_500, "liquid", &["T", "I"], 200),
        )
        .await;
    stands(admin, &code, "stored", repair).await;

    // A manifest to the Fengyan steam station is refused: its permit does not cover HW08.
    let manifest = |receiver: &str| cast.manifest("carrier", receiver, &[&code]);
    refused(
        admin,
        shop,
        "manifest_open",
        manifest(FENGYAN),
        StatusCode::FORBIDDEN,
        "permit_scope",
    )
    .await;

    // The manifest to Yunan is opened; the server numbers it (SPEC §1.4), and the refused
    // one took no number.
    let receipt = accepted(admin, shop, "manifest_open", manifest(YUNAN)).await;
    let number = receipt["manifest_no"].as_str().unwrap().to_owned();
    assert_eq!(number, format!("{}5001000001", &today[..4]));
    let entry: serde_json::Value = serde_json::from_str(receipt["entry"].as_str().unwrap()).unwrap();
    assert_eq!(entry["manifest"], number, "the log itself records the assigned number");
    stands(admin, &code, "stored", repair).await;

    // The transporter cannot take what nobody released to it.
    let handover = json!({"items": [code], "manifest": number});
    refused(
        admin,
        driver,
        "accept",
        handover.clone(),
        StatusCode::CONFLICT,
        "no_release_pending",
    )
    .await;
    // Nor can a stranger release an item it does not hold.
    let release = json!({"items": [code], "to": carrier, "manifest": number});
    refused(
        admin,
        stranger,
        "release",
        release.clone(),
        StatusCode::FORBIDDEN,
        "not_holder",
    )
    .await;

    // The shop releases the drum to the transporter; custody has not moved yet.
    accepted(admin, shop, "release", release).await;
    stands(admin, &code, "released", repair).await;

    // The driver scans and accepts it: the second signature moves custody.
    accepted(admin, driver, "accept", handover.clone()).await;
    stands(admin, &code, "in_transit", carrier).await;

    // At Yunan's gate the carrier declares it: its release to the receiver.
    accepted(admin, driver, "arrive", handover).await;
    stands(admin, &code, "arrived", carrier).await;

    // The gate weighs 183 kg: 1.3 % under the declared mass, within the 5 % tolerance.
    let receipt = accepted(admin, gate, "weigh", json!({"item": code, "weighed_mass_g": 183_000})).await;
    assert!(receipt["manifest_no"].is_null());
    stands(admin, &code, "arrived", carrier).await;

    // Yunan accepts the whole drum: custody moves to it.
    accepted(
        admin,
        gate,
        "receive",
        json!({"item": code, "decision": "accept", "accepted_mass_g": 183_000, "refused_mass_g": 0}),
    )
    .await;
    stands(admin, &code, "received", YUNAN).await;

    // Incinerated; the drum's custody is over.
    let treat = json!({"item": code, "method": "incineration", "treated_mass_g": 183_000});
    accepted(admin, gate, "treat", treat.clone()).await;
    stands(admin, &code, "treated", YUNAN).await;
    refused(admin, gate, "treat", treat, StatusCode::CONFLICT, "item_closed").await;

    // The item's history: eight entries, each linked to the one before by `prev`.
    let (s, history) = admin.get(&format!("/api/v1/items/{code}/history")).await;
    assert_eq!(s, StatusCode::OK, "{history}");
    let entries = history["entries"].as_array().unwrap();
    assert_eq!(
        event_kinds(admin, &code).await,
        [
            "generate",
            "manifest_open",
            "release",
            "accept",
            "arrive",
            "weigh",
            "receive",
            "treat"
        ]
    );
    let mut expected_prev = String::new();
    for e in entries {
        let bytes = e["entry"].as_str().unwrap();
        let entry: Value = serde_json::from_str(bytes).unwrap();
        assert_eq!(entry["kind"], "event");
        assert_eq!(entry["prev"][&code], expected_prev.as_str(), "{bytes}");
        expected_prev = hex::encode(leaf_hash(bytes.as_bytes()));
    }

    // The auditor re-derives the items from the log and finds the database in agreement.
    app.stop().await;
    audit_clean(&db).await;

    // And it would notice a holder changed behind the service's back.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE items SET holder = ?1 WHERE code = ?2", [repair, &code])
        .unwrap();
    drop(conn);
    let report = audit::run(AuditArgs::db(&db)).await.expect("the audit runs");
    assert!(!report.ok(), "a tampered holder passed:\n{report}");
    assert!(report.to_string().contains("holder"), "{report}");
}

#[tokio::test]
async fn the_holder_moves_a_drum_within_its_store_and_nobody_else_can() {
    let (app, db) = spawn_app_with_db().await;
    let cast = cast(&app).await;
    let (admin, shop, stranger) = (&cast.admin, &cast["shop"].device, &cast["stranger"].device);
    let repair = &cast["shop"].uscc;
    let code = cast
        .generate(
            "shop",
            generate_fields("900-214-08", 185_500, "liquid", &["T", "I"], 200),
        )
        .await;
    let moved = json!({"items": [code], "storage_place": "危废暂存间B"});
    refused(
        admin,
        stranger,
        "store",
        moved.clone(),
        StatusCode::FORBIDDEN,
        "not_holder",
    )
    .await;
    accepted(admin, shop, "store", moved).await;
    stands(admin, &code, "stored", repair).await;
    let (_, item) = admin.get(&format!("/api/v1/items/{code}")).await;
    assert_eq!(item["storage_place"], "危废暂存间B");
    // An incident the holder reports without loss (oil on the drum's outside) is recorded
    // and changes neither its mass nor its state.
    accepted(
        admin,
        shop,
        "incident",
        json!({"item": code, "kind": "other", "lost_mass_g": 0, "description": "桶外壁沾油"}),
    )
    .await;
    stands(admin, &code, "stored", repair).await;
    app.stop().await;
    audit_clean(&db).await;
}
