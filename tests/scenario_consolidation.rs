//! Scenario: consolidation at a collection point. Three small enterprises each hand a crate of
//! spent lead-acid batteries (HW31 900-052-31) to a collection point under their own manifest;
//! the collection point packs the crates into one tote. The server numbers the tote under the
//! collection point and signs its label as for any generated item; the crates close, the masses
//! must balance, and the log entry names every crate and the tote. At the end the auditor finds
//! the log and the database in agreement.

mod common;

use common::custody::{accepted, add_admin_with_device, add_fleet, refused, send_event, stands, Fleet};
use common::{assert_refused, enterprise, now_cst, spawn_app_at, uscc};
use hwtrace::audit::{self, AuditArgs};
use hwtrace::client::generate_fields;
use reqwest::StatusCode;
use serde_json::{json, Value};

const BATTERIES: &str = "900-052-31";
const PLATE: &str = "渝D23456";
const LICENCE: &str = "500110198502021234";

#[tokio::test]
async fn batteries_from_three_small_enterprises_are_consolidated_into_one_tote() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hwtrace.db");
    let app = spawn_app_at(&db).await;
    let admin = app.admin().await;

    // The cast: three small enterprises, a transporter, and a collection point licensed to
    // collect HW31.
    let smes: Vec<String> = ["91500110MA6XME001", "91500110MA6XME002", "91500110MA6XME003"]
        .iter()
        .map(|u| uscc(u))
        .collect();
    let carrier = uscc("91500110MA6TRN031");
    let point = uscc("91500110MA6CLP001");
    let mut parties: Vec<(&str, Vec<&str>)> = smes.iter().map(|u| (u.as_str(), vec!["generator"])).collect();
    parties.push((&carrier, vec!["transporter"]));
    parties.push((&point, vec!["collection_point", "facility"]));
    for (u, roles) in &parties {
        let (s, body) = admin
            .post("/api/v1/enterprises", enterprise(u, roles, "wansheng"))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    let (s, body) = admin
        .post(
            &format!("/api/v1/enterprises/{point}/permits"),
            json!({
                "number": "CQSJ-2026-031",
                "valid_from": "2026-01-01",
                "valid_until": "2030-12-31",
                "waste_codes": ["HW31"],
                "capacities": [{"method": "utilisation", "capacity_t_per_year": 500}],
                "landfill_volume_m3": null
            }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let mut devices = Vec::new();
    for (i, (owner, _)) in parties.iter().enumerate() {
        let user = format!("admin-{i}");
        devices.push(add_admin_with_device(&app, &user, owner, "phone-1").await);
    }
    let carrier_admin = app.login("admin-3").await;
    add_fleet(
        &carrier_admin,
        &carrier,
        Fleet {
            plate: PLATE,
            vehicle_type: "van",
            driver: ("钱师傅", LICENCE, "13800000002"),
        },
    )
    .await;
    let (driver, gate) = (&devices[3], &devices[4]);

    // Each enterprise registers a crate of batteries and sends it to the collection point
    // under its own manifest; the collection point weighs and receives it.
    let masses = [15_000u64, 22_000, 18_000];
    let mut crates = Vec::new();
    for (shop, mass) in devices.iter().zip(masses) {
        let receipt = accepted(
            &admin,
            shop,
            "generate",
            generate_fields(BATTERIES, mass, "solid", &["T", "C"], 120),
        )
        .await;
        let code = receipt["item_code"].as_str().unwrap().to_owned();
        let receipt = accepted(
            &admin,
            shop,
            "manifest_open",
            json!({
                "transporters": [carrier],
                "vehicle_plate": PLATE,
                "driver_licence": LICENCE,
                "receiver": point,
                "items": [code],
                "planned_date": &now_cst()[..10],
            }),
        )
        .await;
        let number = receipt["manifest_no"].as_str().unwrap().to_owned();
        let trip = json!({"items": [code], "manifest": number});
        accepted(
            &admin,
            shop,
            "release",
            json!({"items": [code], "to": carrier, "manifest": number}),
        )
        .await;
        accepted(&admin, driver, "accept", trip.clone()).await;
        accepted(&admin, driver, "arrive", trip).await;
        accepted(&admin, gate, "weigh", json!({"item": code, "weighed_mass_g": mass})).await;
        accepted(
            &admin,
            gate,
            "receive",
            json!({"item": code, "decision": "accept", "accepted_mass_g": mass, "refused_mass_g": 0}),
        )
        .await;
        stands(&admin, &code, "received", &point).await;
        crates.push(code);
    }

    // The tote the collection point packs: 55 kg of crates.
    let tote = |mass_g: u64| {
        let mut output = generate_fields(BATTERIES, mass_g, "solid", &["T", "C"], 1000);
        output["packaging"] = json!("1000L吨箱");
        json!({"inputs": crates, "output": output})
    };
    // Masses must balance within 5 %: 50 kg out of 55 kg in is refused.
    refused(
        &admin,
        gate,
        "consolidate",
        tote(50_000),
        StatusCode::UNPROCESSABLE_ENTITY,
        "mass_imbalance",
    )
    .await;
    // A small enterprise is no collection point, and holds none of these crates.
    refused(
        &admin,
        &devices[0],
        "consolidate",
        tote(55_000),
        StatusCode::FORBIDDEN,
        "role_required",
    )
    .await;

    // 54.6 kg (the crates' pallets removed) balances within 5 %.
    let receipt = accepted(&admin, gate, "consolidate", tote(54_600)).await;
    let code = receipt["item_code"].as_str().unwrap().to_owned();
    // The server numbered the tote under the collection point, for HW31, today.
    let today = now_cst()[..10].replace('-', "");
    assert_eq!(code, format!("{point}90005231{today}001"));
    stands(&admin, &code, "stored", &point).await;
    for c in &crates {
        stands(&admin, c, "consolidated", &point).await;
    }

    // One entry names every crate and the tote in its prev, and carries the tote's label.
    let entry: Value = serde_json::from_str(receipt["entry"].as_str().unwrap()).unwrap();
    let mut named: Vec<&str> = entry["prev"].as_object().unwrap().keys().map(String::as_str).collect();
    named.sort_unstable();
    let mut expected: Vec<&str> = crates.iter().chain([&code]).map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(named, expected);
    assert_eq!(entry["prev"][&code], "", "the tote's first entry");
    assert_eq!(entry["label"], receipt["label"]["b64"]);

    // The tote's label is genuine, like any generated item's.
    let qr = receipt["label"]["qr_text"].as_str().unwrap();
    let b32 = qr.rsplit('/').next().unwrap();
    let view: Value = reqwest::Client::new()
        .get(format!("{}/Q/{b32}", app.base))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["verdict"], "genuine", "{view}");
    assert_eq!(view["item"]["item_code"], code.as_str());

    // The crates' custody is over.
    assert_refused(
        &send_event(
            &admin,
            gate,
            "store",
            json!({"items": [crates[0]], "storage_place": "电池暂存区"}),
        )
        .await,
        StatusCode::CONFLICT,
        "item_closed",
    );

    // The auditor re-derives the crates and the tote from the log and finds the database in
    // agreement.
    app.stop().await;
    let report = audit::run(AuditArgs::db(&db)).await.expect("the audit runs");
    assert!(report.ok(), "{report}");
    assert_eq!(report.findings_total, 0, "{report}");

    // And it would notice a crate reopened behind the service's back.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE items SET state = 'received' WHERE code = ?1", [&crates[1]])
        .unwrap();
    drop(conn);
    let report = audit::run(AuditArgs::db(&db)).await.expect("the audit runs");
    assert!(!report.ok(), "a reopened crate passed:\n{report}");
    assert!(report.to_string().contains(crates[1].as_str()), "{report}");
}
