//! Scenario: two transporters in a row. A drum of waste oil from an auto-repair shop in Wansheng
//! leaves with a first transporter, is handed over at a transfer point to a second transporter
//! named next on the same manifest (联运, 转移管理办法 art. 17), and reaches the Yunan facility,
//! which weighs, receives and incinerates it. The hand-over is no event type of its own: the
//! carrier's `release` to the next transporter on the manifest and that transporter's `accept`.
//! The service refuses a hand-over out of order, to a party not on the manifest, and an arrival
//! declared by a carrier that is not the last one. At the end the auditor finds the log and the
//! database in agreement.

mod common;

use common::cast::Cast;
use common::custody::{accepted, event_kinds, refused, send_event, stands, Fleet};
use common::{assert_refused, audit_clean, now_cst, spawn_app_with_db, TestApp, YUNAN};
use hwtrace::client::generate_fields;
use reqwest::StatusCode;
use serde_json::json;

const PLATE: &str = "渝D12345";
const LICENCE: &str = "500110198001011234";

/// The auto-repair shop, two transporters (the first with the vehicle and driver the manifest
/// names: the service accepts them when they are registered with any transporter of the
/// manifest), a third transporter that no manifest names, and a device for each, plus the
/// gate of the seeded Yunan facility.
async fn cast(app: &TestApp) -> Cast {
    Cast::on(app)
        .generator("shop", "91500110MA5U8F4X2")
        .transporter("first", "91500110MA6TRN031", Fleet::van(PLATE, LICENCE))
        .party("second", "91500110MA5UW0002", &["transporter"], "wansheng")
        .party("outsider", "91500110MA6XTR001", &["transporter"], "wansheng")
        .seeded("yunan", YUNAN)
        .build()
        .await
}

#[tokio::test]
async fn a_drum_changes_transporters_at_a_transfer_point_on_its_way_to_the_incinerator() {
    let (app, db) = spawn_app_with_db().await;
    let cast = cast(&app).await;
    let admin = &cast.admin;
    let (shop, first, second, gate) = (
        &cast["shop"].device,
        &cast["first"].device,
        &cast["second"].device,
        &cast["yunan"].device,
    );
    let (repair, carrier_a, carrier_b, outsider) = (
        &cast["shop"].uscc,
        &cast["first"].uscc,
        &cast["second"].uscc,
        &cast["outsider"].uscc,
    );
    let today = &now_cst()[..10];

    // The shop registers a 200 L drum holding 185.5 kg of waste mineral oil.
    let code = cast
        .generate(
            "shop",
            generate_fields("900-214-08", 185_500, "liquid", &["T", "I"], 200),
        )
        .await;
    stands(admin, &code, "stored", repair).await;

    // One manifest names both transporters in carrying order: A picks up, B delivers to Yunan.
    let receipt = accepted(
        admin,
        shop,
        "manifest_open",
        json!({
            "transporters": [carrier_a, carrier_b],
            "vehicle_plate": PLATE,
            "driver_licence": LICENCE,
            "receiver": YUNAN,
            "items": [code],
            "planned_date": today,
        }),
    )
    .await;
    let number = receipt["manifest_no"].as_str().unwrap().to_owned();
    stands(admin, &code, "stored", repair).await;
    let scan = json!({"items": [code], "manifest": number});

    // The shop releases the drum to the first transporter; B cannot take what was released to A.
    accepted(
        admin,
        shop,
        "release",
        json!({"items": [code], "to": carrier_a, "manifest": number}),
    )
    .await;
    stands(admin, &code, "released", repair).await;
    refused(
        admin,
        second,
        "accept",
        scan.clone(),
        StatusCode::FORBIDDEN,
        "not_named_receiver",
    )
    .await;
    stands(admin, &code, "released", repair).await;

    // A's driver scans and accepts it: custody moves to A.
    accepted(admin, first, "accept", scan.clone()).await;
    stands(admin, &code, "in_transit", carrier_a).await;

    // B cannot accept before A has released the drum to it.
    refused(
        admin,
        second,
        "accept",
        scan.clone(),
        StatusCode::CONFLICT,
        "no_release_pending",
    )
    .await;
    // A cannot hand it to a transporter the manifest does not name.
    assert_refused(
        &send_event(
            admin,
            first,
            "release",
            json!({"items": [code], "to": outsider, "manifest": number}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "not_next_transporter",
    );
    // Nor may A declare it at Yunan's gate: B is the last transporter on the manifest.
    refused(
        admin,
        first,
        "arrive",
        scan.clone(),
        StatusCode::FORBIDDEN,
        "not_last_transporter",
    )
    .await;
    stands(admin, &code, "in_transit", carrier_a).await;

    // At the transfer point A releases the drum to B; custody has not moved yet.
    accepted(
        admin,
        first,
        "release",
        json!({"items": [code], "to": carrier_b, "manifest": number}),
    )
    .await;
    stands(admin, &code, "released", carrier_a).await;

    // B's driver scans and accepts it: the second signature completes the hand-over.
    accepted(admin, second, "accept", scan.clone()).await;
    stands(admin, &code, "in_transit", carrier_b).await;

    // A no longer holds it and cannot declare it anywhere.
    refused(
        admin,
        first,
        "arrive",
        scan.clone(),
        StatusCode::FORBIDDEN,
        "not_holder",
    )
    .await;

    // B, the last transporter, declares it at Yunan's gate.
    accepted(admin, second, "arrive", scan).await;
    stands(admin, &code, "arrived", carrier_b).await;

    // The gate weighs 184 kg, receives the whole drum and incinerates it.
    accepted(admin, gate, "weigh", json!({"item": code, "weighed_mass_g": 184_000})).await;
    stands(admin, &code, "arrived", carrier_b).await;
    accepted(
        admin,
        gate,
        "receive",
        json!({"item": code, "decision": "accept", "accepted_mass_g": 184_000, "refused_mass_g": 0}),
    )
    .await;
    stands(admin, &code, "received", YUNAN).await;
    accepted(
        admin,
        gate,
        "treat",
        json!({"item": code, "method": "incineration", "treated_mass_g": 184_000}),
    )
    .await;
    stands(admin, &code, "treated", YUNAN).await;

    // The drum's history shows two hand-overs before the gate, each a release and an accept.
    assert_eq!(
        event_kinds(admin, &code).await,
        [
            "generate",
            "manifest_open",
            "release",
            "accept",
            "release",
            "accept",
            "arrive",
            "weigh",
            "receive",
            "treat"
        ]
    );

    // The auditor re-derives the items from the log and finds the database in agreement.
    app.stop().await;
    audit_clean(&db).await;
}
