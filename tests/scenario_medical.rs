//! Scenario: medical waste. A hospital in Wansheng bags infectious waste (HW01 841-001-01); a
//! transporter with a medical-waste vehicle carries it to the seeded Fengyan station, whose
//! permit (CQWF-2026-003) covers 841-001-01 and 841-002-01 by steam only. The station weighs,
//! receives and steam-treats it. The whole path lies within the 48 hours the 医疗废物管理条例
//! allows; incineration at Fengyan is refused; the auditor finds the log clean.

mod common;

use chrono::{DateTime, Duration, FixedOffset};
use common::custody::{accepted, add_admin_with_device, add_enterprise, add_fleet, send_event, stands, Fleet};
use common::{assert_refused, now_cst, spawn_app_at, uscc, Client, TestApp};
use hwtrace::audit::{self, AuditArgs};
use hwtrace::client::{generate_fields, Device};
use hwtrace::crypto::dsse::Envelope;
use reqwest::StatusCode;
use serde_json::{json, Value};

const FENGYAN: &str = "12500110MB1FY0001C";
const PLATE: &str = "渝D34567";
const LICENCE: &str = "500110198203041234";

/// The hospital, the medical-waste transporter with its vehicle and driver, and a device for
/// each plus Fengyan's gate.
async fn cast(app: &TestApp) -> (Client, Device, Device, Device, String, String) {
    let admin = app.admin().await;
    let hospital = uscc("12500110MB1HPT001");
    let carrier = uscc("91500110MA6MED001");
    for (u, role) in [(&hospital, "generator"), (&carrier, "transporter")] {
        add_enterprise(&admin, u, role, "wansheng").await;
    }
    let mut devices = Vec::new();
    for (user, owner, device) in [
        ("hospital-admin", hospital.as_str(), "ward-1"),
        ("carrier-admin", carrier.as_str(), "driver-1"),
        ("fengyan-admin", FENGYAN, "gate-1"),
    ] {
        devices.push(add_admin_with_device(app, user, owner, device).await);
    }
    let carrier_admin = app.login("carrier-admin").await;
    add_fleet(
        &carrier_admin,
        &carrier,
        Fleet {
            plate: PLATE,
            vehicle_type: "medical_waste",
            driver: ("钱师傅", LICENCE, "13800000002"),
        },
    )
    .await;
    let [ward, driver, gate]: [Device; 3] = devices.try_into().ok().unwrap();
    (admin, ward, driver, gate, hospital, carrier)
}

#[tokio::test]
async fn infectious_waste_goes_from_the_hospital_to_the_steam_station_within_48_hours() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hwtrace.db");
    let app = spawn_app_at(&db).await;
    let (admin, ward, driver, gate, hospital, carrier) = cast(&app).await;
    let today = now_cst()[..10].to_owned();

    // The ward seals a 12.4 kg box of infectious waste.
    let receipt = accepted(
        &admin,
        &ward,
        "generate",
        generate_fields("841-001-01", 12_400, "solid", &["In"], 50),
    )
    .await;
    let code = receipt["item_code"].as_str().unwrap().to_owned();
    stands(&admin, &code, "stored", &hospital).await;

    // Manifest to Fengyan, release, acceptance by the medical-waste carrier, arrival.
    let receipt = accepted(
        &admin,
        &ward,
        "manifest_open",
        json!({
            "transporters": [carrier],
            "vehicle_plate": PLATE,
            "driver_licence": LICENCE,
            "receiver": FENGYAN,
            "items": [code],
            "planned_date": today,
        }),
    )
    .await;
    let number = receipt["manifest_no"].as_str().unwrap().to_owned();
    accepted(
        &admin,
        &ward,
        "release",
        json!({"items": [code], "to": carrier, "manifest": number}),
    )
    .await;
    stands(&admin, &code, "released", &hospital).await;
    let handover = json!({"items": [code], "manifest": number});
    accepted(&admin, &driver, "accept", handover.clone()).await;
    stands(&admin, &code, "in_transit", &carrier).await;
    accepted(&admin, &driver, "arrive", handover).await;
    stands(&admin, &code, "arrived", &carrier).await;

    // Weighed at 12.3 kg and received whole.
    accepted(&admin, &gate, "weigh", json!({"item": code, "weighed_mass_g": 12_300})).await;
    accepted(
        &admin,
        &gate,
        "receive",
        json!({"item": code, "decision": "accept", "accepted_mass_g": 12_300, "refused_mass_g": 0}),
    )
    .await;
    stands(&admin, &code, "received", FENGYAN).await;

    // Fengyan's permit lists steam only: incineration is refused as outside the permit's
    // scope, and changes nothing.
    let (s, refusal) = send_event(
        &admin,
        &gate,
        "treat",
        json!({"item": code, "method": "incineration", "treated_mass_g": 12_300}),
    )
    .await;
    assert_refused(&(s, refusal), StatusCode::FORBIDDEN, "permit_scope");
    stands(&admin, &code, "received", FENGYAN).await;

    // Steam sterilisation ends the custody.
    accepted(
        &admin,
        &gate,
        "treat",
        json!({"item": code, "method": "steam", "treated_mass_g": 12_300}),
    )
    .await;
    stands(&admin, &code, "treated", FENGYAN).await;

    // Every accepted event's device time lies within 48 hours of the generation.
    let (s, history) = admin.get(&format!("/api/v1/items/{code}/history")).await;
    assert_eq!(s, StatusCode::OK, "{history}");
    let events: Vec<(String, DateTime<FixedOffset>)> = history["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| {
            let entry: Value = serde_json::from_str(e["entry"].as_str().unwrap()).unwrap();
            if entry["kind"] != "event" {
                return None;
            }
            let env: Envelope = serde_json::from_value(entry["envelope"].clone()).unwrap();
            let payload: Value = serde_json::from_slice(&env.payload_bytes().unwrap()).unwrap();
            let at = DateTime::parse_from_rfc3339(payload["at"].as_str().unwrap()).unwrap();
            Some((payload["type"].as_str().unwrap().to_owned(), at))
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
    let report = audit::run(AuditArgs::db(&db)).await.expect("the audit runs");
    assert!(report.ok(), "{report}");
    assert_eq!(report.findings_total, 0, "{report}");
}
