//! Scenario: plans change. An electroplating works books two drums of sludge (HW17
//! 336-064-17) on a manifest, then amends it before loading: one drum stays behind, a third
//! goes instead, and the transporter sends another truck. A second manifest is opened and
//! cancelled. On the road a drum leaks 5 kg (an incident) and another falls off a bridge (a
//! total loss); the arriving drum is weighed against its declaration less the spill, received,
//! and split into two smaller containers at the facility, each with its own signed label.
//! Each change is one signed event, judged by the custody rules and replayed by the auditor.

mod common;

use common::cast::Cast;
use common::custody::{accepted, refused, stands, Fleet};
use common::{audit_clean, spawn_app_with_db, YUNAN};
use hwtrace::audit::{self, AuditArgs};
use hwtrace::client::generate_fields;
use reqwest::StatusCode;
use serde_json::{json, Value};

const PLATE: &str = "渝D55555";
const PLATE_2: &str = "渝D56666";
const SLUDGE: &str = "336-064-17";

#[tokio::test]
async fn a_manifest_is_amended_and_another_cancelled_and_losses_and_a_split_are_recorded() {
    let (app, db) = spawn_app_with_db().await;
    let cast = Cast::on(&app)
        .generator("works", "91500110MA6EPL001")
        .transporter("carrier", "91500110MA6TRN035", Fleet::van(PLATE, "500110199105051234"))
        .seeded("yunan", YUNAN)
        .build()
        .await;
    let (admin, shop, driver, gate) = (
        &cast.admin,
        &cast["works"].device,
        &cast["carrier"].device,
        &cast["yunan"].device,
    );
    let (works, carrier) = (&cast["works"].uscc, &cast["carrier"].uscc);
    // The carrier's second truck, with no driver of its own.
    let (s, body) = cast["carrier"]
        .client
        .post(
            &format!("/api/v1/enterprises/{carrier}/vehicles"),
            json!({"plate": PLATE_2, "vehicle_type": "flatbed"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");

    let mut drums = Vec::new();
    for mass in [120_000u64, 130_000, 140_000] {
        let fields = generate_fields(SLUDGE, mass, "semi_solid", &["T"], 200);
        drums.push(cast.generate("works", fields).await);
    }
    let (d1, d2, d3) = (&drums[0], &drums[1], &drums[2]);
    let open = |items: &[&String]| cast.manifest("carrier", YUNAN, items);
    let r = accepted(admin, shop, "manifest_open", open(&[d1, d2])).await;
    let m1 = r["manifest_no"].as_str().unwrap().to_owned();

    // The amendment: d2 stays, d3 goes, on the second truck. Only the issuer amends, and a
    // truck not registered with the manifest's transporter is refused.
    let amend = |plate: &str| {
        json!({"manifest": m1, "add_items": [d3], "remove_items": [d2], "vehicle_plate": plate,
               "reason": "2号桶待检测，改运3号桶；改派平板车"})
    };
    refused(
        admin,
        driver,
        "manifest_amend",
        amend(PLATE_2),
        StatusCode::FORBIDDEN,
        "not_manifest_issuer",
    )
    .await;
    refused(
        admin,
        shop,
        "manifest_amend",
        amend("渝D99999"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_vehicle",
    )
    .await;
    let r = accepted(admin, shop, "manifest_amend", amend(PLATE_2)).await;
    let entry: Value = serde_json::from_str(r["entry"].as_str().unwrap()).unwrap();
    let mut named: Vec<&str> = entry["prev"].as_object().unwrap().keys().map(String::as_str).collect();
    named.sort_unstable();
    let mut all: Vec<&str> = drums.iter().map(String::as_str).collect();
    all.sort_unstable();
    assert_eq!(named, all, "the amendment is in the history of every drum it concerns");
    let (s, view) = admin.get(&format!("/api/v1/manifests/{m1}")).await;
    assert_eq!(s, StatusCode::OK, "{view}");
    let listed: Vec<&str> = view["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        (listed, view["vehicle_plate"].as_str()),
        (vec![d1.as_str(), d3.as_str()], Some(PLATE_2))
    );

    // A second manifest for d2, cancelled: d2 is free again, and the cancelled manifest
    // carries nothing.
    let r = accepted(admin, shop, "manifest_open", open(&[d2])).await;
    let m2 = r["manifest_no"].as_str().unwrap().to_owned();
    accepted(
        admin,
        shop,
        "manifest_cancel",
        json!({"manifest": m2, "reason": "检测未完成，本次不转移"}),
    )
    .await;
    refused(
        admin,
        shop,
        "release",
        json!({"items": [d2], "to": carrier, "manifest": m2}),
        StatusCode::CONFLICT,
        "manifest_cancelled",
    )
    .await;
    let (_, view) = admin.get(&format!("/api/v1/manifests/{m2}")).await;
    assert_eq!(view["state"], "cancelled", "{view}");
    stands(admin, d2, "stored", works).await;

    // Loaded: once a carrier holds the drums the manifest can no longer change.
    let trip = json!({"items": [d1, d3], "manifest": m1});
    accepted(
        admin,
        shop,
        "release",
        json!({"items": [d1, d3], "to": carrier, "manifest": m1}),
    )
    .await;
    accepted(admin, driver, "accept", trip).await;
    refused(
        admin,
        shop,
        "manifest_amend",
        json!({"manifest": m1, "remove_items": [d3], "reason": "太迟"}),
        StatusCode::CONFLICT,
        "manifest_in_use",
    )
    .await;

    // On the road: d1 leaks 5 kg; d3 is lost. Only the holder reports, and no more than is there.
    let incident = |code: &str, kind: &str, g: u64| json!({"item": code, "kind": kind, "lost_mass_g": g, "description": "运输途中事故"});
    refused(
        admin,
        shop,
        "incident",
        incident(d1, "spill", 5_000),
        StatusCode::FORBIDDEN,
        "not_holder",
    )
    .await;
    refused(
        admin,
        driver,
        "incident",
        incident(d3, "loss", 140_001),
        StatusCode::UNPROCESSABLE_ENTITY,
        "mass_imbalance",
    )
    .await;
    accepted(admin, driver, "incident", incident(d1, "spill", 5_000)).await;
    accepted(admin, driver, "incident", incident(d3, "loss", 140_000)).await;
    stands(admin, d3, "lost", carrier).await;
    refused(
        admin,
        driver,
        "arrive",
        json!({"items": [d1, d3], "manifest": m1}),
        StatusCode::CONFLICT,
        "item_closed",
    )
    .await;
    accepted(admin, driver, "arrive", json!({"items": [d1], "manifest": m1})).await;
    // 115 kg weighed against 120 kg declared less 5 kg spilt: no discrepancy.
    accepted(admin, gate, "weigh", json!({"item": d1, "weighed_mass_g": 115_000})).await;
    let (_, item) = admin.get(&format!("/api/v1/items/{d1}")).await;
    assert_eq!(
        (&item["custody"]["lost_g"], &item["custody"]["discrepancy"]),
        (&json!(5_000), &Value::Null),
        "{item}"
    );
    accepted(
        admin,
        gate,
        "receive",
        json!({"item": d1, "decision": "accept", "accepted_mass_g": 115_000, "refused_mass_g": 0}),
    )
    .await;

    // The facility splits d1 into two smaller containers; the masses must add up.
    let out = |g: u64| generate_fields(SLUDGE, g, "semi_solid", &["T"], 100);
    refused(
        admin,
        gate,
        "split",
        json!({"input": d1, "outputs": [out(50_000), out(50_000)]}),
        StatusCode::UNPROCESSABLE_ENTITY,
        "mass_imbalance",
    )
    .await;
    let r = accepted(
        admin,
        gate,
        "split",
        json!({"input": d1, "outputs": [out(60_000), out(55_000)]}),
    )
    .await;
    let created: Vec<&str> = r["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["item_code"].as_str().unwrap())
        .collect();
    assert_eq!(created.len(), 2, "{r}");
    let entry: Value = serde_json::from_str(r["entry"].as_str().unwrap()).unwrap();
    let labels = entry["labels"].as_array().unwrap();
    assert_eq!(labels.len(), 2, "{entry}");
    for (i, code) in created.iter().enumerate() {
        assert_eq!(labels[i], r["created"][i]["label"]["b64"]);
        assert_eq!(entry["prev"][code], "", "{code}'s first entry");
        stands(admin, code, "stored", YUNAN).await;
    }
    stands(admin, d1, "split", YUNAN).await;

    app.stop().await;
    let report = audit_clean(&db).await;
    assert_eq!((report.items, report.unjudged), (5, 0), "{report}");
    for kind in ["manifest_amend", "manifest_cancel", "incident", "split"] {
        assert!(report.events.contains_key(kind), "{kind}: {report}");
    }

    // Whoever rewrites the manifest in the database (the first truck, after all) is found out:
    // the log holds the amendment.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE manifests SET vehicle_plate = ?1 WHERE number = ?2",
        [PLATE, m1.as_str()],
    )
    .unwrap();
    drop(conn);
    let report = audit::run(AuditArgs::db(&db)).await.unwrap();
    assert!(!report.ok());
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.message.contains(&format!("manifests row of {m1} disagrees"))),
        "{report}"
    );
}
