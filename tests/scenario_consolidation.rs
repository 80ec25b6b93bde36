//! Scenario: consolidation at a collection point. Three small enterprises each hand a crate of
//! spent lead-acid batteries (HW31 900-052-31) to a collection point under their own manifest;
//! the collection point packs the crates into one tote. The server numbers the tote under the
//! collection point and signs its label as for any generated item; the crates close, the masses
//! must balance, and the log entry names every crate and the tote. At the end the auditor finds
//! the log and the database in agreement.

mod common;

use common::cast::{code_of, Cast};
use common::custody::{accepted, refused, send_event, stands, Fleet};
use common::{assert_refused, audit_clean, now_cst, spawn_app_with_db};
use hwtrace::audit::{self, AuditArgs};
use hwtrace::client::generate_fields;
use reqwest::StatusCode;
use serde_json::{json, Value};

const BATTERIES: &str = "900-052-31";

#[tokio::test]
async fn batteries_from_three_small_enterprises_are_consolidated_into_one_tote() {
    let (app, db) = spawn_app_with_db().await;

    // The cast: three small enterprises, a transporter, and a collection point licensed to
    // collect HW31.
    let cast = Cast::on(&app)
        .generator("sme1", "91500110MA6XME001")
        .generator("sme2", "91500110MA6XME002")
        .generator("sme3", "91500110MA6XME003")
        .transporter(
            "carrier",
            "91500110MA6TRN031",
            Fleet::van("渝D23456", "500110198502021234"),
        )
        .party(
            "point",
            "91500110MA6CLP001",
            &["collection_point", "facility"],
            "wansheng",
        )
        .permit(json!({
            "number": "CQSJ-2026-031",
            "valid_from": "2026-01-01",
            "valid_until": "2030-12-31",
            "waste_codes": ["HW31"],
            "capacities": [{"method": "utilisation", "capacity_t_per_year": 500}],
            "landfill_volume_m3": null
        }))
        .build()
        .await;
    let (admin, gate) = (&cast.admin, &cast["point"].device);
    let point = cast["point"].uscc.as_str();

    // Each enterprise registers a crate of batteries and sends it to the collection point
    // under its own manifest; the collection point weighs and receives it.
    let masses = [15_000u64, 22_000, 18_000];
    let mut crates = Vec::new();
    for (sme, mass) in ["sme1", "sme2", "sme3"].into_iter().zip(masses) {
        let code = cast
            .generate(sme, generate_fields(BATTERIES, mass, "solid", &["T", "C"], 120))
            .await;
        cast.deliver(sme, "carrier", "point", &[(&code, mass)]).await;
        stands(admin, &code, "received", point).await;
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
        admin,
        gate,
        "consolidate",
        tote(50_000),
        StatusCode::UNPROCESSABLE_ENTITY,
        "mass_imbalance",
    )
    .await;
    // A small enterprise is no collection point, and holds none of these crates.
    refused(
        admin,
        &cast["sme1"].device,
        "consolidate",
        tote(55_000),
        StatusCode::FORBIDDEN,
        "role_required",
    )
    .await;

    // 54.6 kg (the crates' pallets removed) balances within 5 %.
    let receipt = accepted(admin, gate, "consolidate", tote(54_600)).await;
    let code = code_of(&receipt);
    // The server numbered the tote under the collection point, for HW31, today.
    let today = now_cst()[..10].replace('-', "");
    assert_eq!(code, format!("{point}90005231{today}001"));
    stands(admin, &code, "stored", point).await;
    for c in &crates {
        stands(admin, c, "consolidated", point).await;
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
    let view = app.verified(b32).await;
    assert_eq!(view["verdict"], "genuine", "{view}");
    assert_eq!(view["item"]["item_code"], code.as_str());

    // The crates' custody is over.
    assert_refused(
        &send_event(
            admin,
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
    audit_clean(&db).await;

    // And it would notice a crate reopened behind the service's back.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE items SET state = 'received' WHERE code = ?1", [&crates[1]])
        .unwrap();
    drop(conn);
    let report = audit::run(AuditArgs::db(&db)).await.expect("the audit runs");
    assert!(!report.ok(), "a reopened crate passed:\n{report}");
    assert!(report.to_string().contains(crates[1].as_str()), "{report}");
}
