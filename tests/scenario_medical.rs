//! Scenario: medical waste. A hospital in Wansheng bags infectious waste (HW01 841-001-01); a
//! transporter with a medical-waste vehicle carries it to the seeded Fengyan station, whose
//! permit (CQWF-2026-003) covers 841-001-01 and 841-002-01 by steam only. The station weighs,
//! receives and steam-treats it. The whole path lies within the 48 hours the 医疗废物管理条例
//! allows; incineration at Fengyan is refused; the auditor finds the log clean.

mod common;

use chrono::{DateTime, Duration, FixedOffset};
use common::cast::Cast;
use common::custody::{accepted, events, send_event, stands, Fleet};
use common::{assert_refused, audit_clean, spawn_app_with_db};
use hwtrace::client::generate_fields;
use reqwest::StatusCode;
use serde_json::json;

const FENGYAN: &str = "12500110MB1FY0001C";
const PLATE: &str = "渝D34567";
const LICENCE: &str = "500110198203041234";

#[tokio::test]
async fn infectious_waste_goes_from_the_hospital_to_the_steam_station_within_48_hours() {
    let (app, db) = spawn_app_with_db().await;
    // The hospital, the medical-waste transporter with its vehicle and driver, and Fengyan's
    // gate, each with a device.
    let cast = Cast::on(&app)
        .generator("hospital", "12500110MB1HPT001")
        .transporter(
            "carrier",
            "91500110MA6MED001",
            Fleet::van(PLATE, LICENCE).of_type("medical_waste"),
        )
        .seeded("fengyan", FENGYAN)
        .build()
        .await;
    let admin = &cast.admin;
    let (ward, driver, gate) = (
        &cast["hospital"].device,
        &cast["carrier"].device,
        &cast["fengyan"].device,
    );
    let (hospital, carrier) = (&cast["hospital"].uscc, &cast["carrier"].uscc);

    // The ward seals a 12.4 kg box of infectious waste.
    let code = cast
        .generate("hospital", generate_fields("841-001-01", 12_400, "solid", &["In"], 50))
        .await;
    stands(admin, &code, "stored", hospital).await;

    // Manifest to Fengyan, release, acceptance by the medical-waste carrier, arrival.
    let receipt = accepted(
        admin,
        ward,
        "manifest_open",
        cast.manifest("carrier", FENGYAN, &[&code]),
    )
    .await;
    let number = receipt["manifest_no"].as_str().unwrap().to_owned();
    accepted(
        admin,
        ward,
        "release",
        json!({"items": [code], "to": carrier, "manifest": number}),
    )
    .await;
    stands(admin, &code, "released", hospital).await;
    let handover = json!({"items": [code], "manifest": number});
    accepted(admin, driver, "accept", handover.clone()).await;
    stands(admin, &code, "in_transit", carrier).await;
    accepted(admin, driver, "arrive", handover).await;
    stands(admin, &code, "arrived", carrier).await;

    // Weighed at 12.3 kg and received whole.
    cast.receive("fengyan", &code, 12_300).await;
    stands(admin, &code, "received", FENGYAN).await;

    // Fengyan's permit lists steam only: incineration is refused as outside the permit's
    // scope, and changes nothing.
    let (s, refusal) = send_event(
        admin,
        gate,
        "treat",
        json!({"item": code, "method": "incineration", "treated_mass_g": 12_300}),
    )
    .await;
    assert_refused(&(s, refusal), StatusCode::FORBIDDEN, "permit_scope");
    stands(admin, &code, "received", FENGYAN).await;

    // Steam sterilisation ends the custody.
    accepted(
        admin,
        gate,
        "treat",
        json!({"item": code, "method": "steam", "treated_mass_g": 12_300}),
    )
    .await;
    stands(admin, &code, "treated", FENGYAN).await;

    // Every accepted event's device time lies within 48 hours of the generation.
    let events: Vec<(String, DateTime<FixedOffset>)> = events(admin, &code)
        .await
        .iter()
        .map(|payload| {
            let at = DateTime::parse_from_rfc3339(payload["at"].as_str().unwrap()).unwrap();
            (payload["type"].as_str().unwrap().to_owned(), at)
        })
        .collect();
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
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
    let generated = events[0].1;
    for (kind, at) in &events {
        let since = *at - generated;
        assert!(
            since >= Duration::zero() && since <= Duration::hours(48),
            "{kind} at {at} is not within 48 hours of generation at {generated}"
        );
    }

    // The auditor finds the log and the database in agreement.
    app.stop().await;
    audit_clean(&db).await;
}
