//! Scenario: a collection point for small enterprises (小微企业收集点) registered with that role
//! only, holding a collection licence (危险废物收集经营许可证) for waste mineral oil from vehicle
//! repair (900-214-08) and lead-acid batteries (900-052-31) with an annual collection capacity
//! of 900 t, and no treatment method. Two repair shops send it a drum of oil and a crate of
//! batteries each; it receives them, moves them in its store and packs the batteries into a
//! tote. It may not treat anything, and waste outside its licence may not be sent to it. Its
//! reconciliation shows what it received against its collection capacity. Everything goes
//! through the API; at the end the auditor finds the log and the database in agreement.

mod common;

use common::cast::{code_of, Cast};
use common::custody::{accepted, refused, stands, Fleet};
use common::{audit_clean, now_cst, spawn_app_with_db};
use hwtrace::client::generate_fields;
use reqwest::StatusCode;
use serde_json::json;

const OIL: &str = "900-214-08";
const BATTERIES: &str = "900-052-31";

#[tokio::test]
async fn a_collection_point_with_a_collection_licence_receives_stores_and_consolidates() {
    let (app, db) = spawn_app_with_db().await;
    let cast = Cast::on(&app)
        .generator("shop1", "91500110MA6XMD001")
        .generator("shop2", "91500110MA6XMD002")
        .transporter(
            "carrier",
            "91500110MA6TRN032",
            Fleet::van("渝D23457", "500110198502023456"),
        )
        .collection_point("point", "91500110MA6CLP002")
        .permit(
            json!({"kind": "collection", "number": "CQSJ-2026-900", "valid_from": "2026-01-01",
                       "valid_until": "2028-12-31", "waste_codes": [OIL, BATTERIES], "collection_t_per_year": 900}),
        )
        .build()
        .await;
    let admin = &cast.admin;
    let point = cast["point"].uscc.clone();
    let gate = &cast["point"].device;

    // Each shop sends an oil drum and a battery crate under its own manifest; the point weighs
    // and receives them.
    let mut received: Vec<(String, &str, u64)> = Vec::new();
    for (shop, base) in [("shop1", 0u64), ("shop2", 1_000)] {
        for (waste, form, mass) in [(OIL, "liquid", 180_000 + base), (BATTERIES, "solid", 20_000 + base)] {
            let code = cast
                .generate(shop, generate_fields(waste, mass, form, &["T"], 200))
                .await;
            cast.deliver(shop, "carrier", "point", &[(&code, mass)]).await;
            stands(admin, &code, "received", &point).await;
            received.push((code, waste, mass));
        }
    }

    // It moves the oil drums to its oil store.
    let drums: Vec<&str> = received.iter().filter(|r| r.1 == OIL).map(|r| r.0.as_str()).collect();
    accepted(
        admin,
        gate,
        "store",
        json!({"items": drums, "storage_place": "废矿物油贮存区"}),
    )
    .await;

    // It packs the two battery crates into a tote of 41 kg.
    let crates: Vec<&str> = received
        .iter()
        .filter(|r| r.1 == BATTERIES)
        .map(|r| r.0.as_str())
        .collect();
    let mut output = generate_fields(BATTERIES, 41_000, "solid", &["T", "C"], 1000);
    output["packaging"] = json!("1000L吨箱");
    let tote = code_of(&accepted(admin, gate, "consolidate", json!({"inputs": crates, "output": output})).await);
    assert!(tote.starts_with(&point), "the tote is numbered under the point: {tote}");
    stands(admin, &tote, "stored", &point).await;
    for c in &crates {
        stands(admin, c, "consolidated", &point).await;
    }

    // A collection licence licenses no treatment: the point cannot treat the oil.
    refused(
        admin,
        gate,
        "treat",
        json!({"item": drums[0], "method": "utilisation", "treated_mass_g": 180_000}),
        StatusCode::FORBIDDEN,
        "permit_scope",
    )
    .await;
    stands(admin, drums[0], "received", &point).await;
    // Nor may it be sent waste its licence does not list (waste oil from elsewhere, 900-249-08).
    let other = cast
        .generate("shop1", generate_fields("900-249-08", 50_000, "liquid", &["T"], 60))
        .await;
    refused(
        admin,
        &cast["shop1"].device,
        "manifest_open",
        cast.manifest("carrier", &point, &[&other]),
        StatusCode::FORBIDDEN,
        "permit_scope",
    )
    .await;
    stands(admin, &other, "stored", &cast["shop1"].uscc).await;

    // Its reconciliation: 402 kg received against 900 t a year, everything it holds on site
    // (the two drums and the tote), no treatment method.
    let today = &now_cst()[..10];
    let r = admin
        .get_ok(&format!("/api/v1/reconciliation/facilities/{point}?date={today}"))
        .await;
    let received_g: u64 = received.iter().map(|r| r.2).sum();
    assert_eq!(received_g, 402_000);
    assert_eq!(
        (
            &r["received_ytd_g"],
            &r["collection"]["capacity_g"],
            &r["collection"]["received_ytd_g"],
            &r["inventory_g"],
            &r["methods"]
        ),
        (
            &json!(received_g),
            &json!(900_000_000u64),
            &json!(received_g),
            &json!(180_000 + 181_000 + 41_000),
            &json!([])
        ),
        "{r}"
    );

    app.stop().await;
    audit_clean(&db).await;
}
