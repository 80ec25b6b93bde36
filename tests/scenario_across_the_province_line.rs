//! Scenario: small lots, a collection point, a partial refusal and a receiver across the
//! province line, registered and run through the API only, as an integrator would.
//!
//! A repair shop in Wansheng sends a 200 kg drum of waste mineral oil to a collection point
//! (小微企业收集点) that holds only the collection-point role and a collection licence
//! (危险废物收集经营许可证). The point weighs it and accepts 150 kg; 50 kg are refused and become
//! an item of their own, with a new code and a signed label, on the carrier's truck. The shop
//! sends that part on to a waste-oil plant registered in Chengdu (its code says province 51),
//! which needs a cross-province approval; the plant utilises it. The point forwards the 150 kg
//! to the Yunan incinerator. The mass balance closes, everything generated is disposed of, and
//! the auditor finds the log and the database in agreement.

mod common;

use common::cast::Cast;
use common::custody::{accepted, refused, stands, Fleet};
use common::{enterprise, now_cst, spawn_app_at, uscc, Client, YUNAN};
use hwtrace::audit::{self, AuditArgs};
use hwtrace::client::{generate_fields, Device};
use reqwest::StatusCode;
use serde_json::{json, Value};

const OIL: &str = "900-214-08";
const PLATE: &str = "渝D36911";
const LICENCE: &str = "500110199003033691";
const APPROVAL: &str = "渝环危转〔2026〕101号";

fn manifest(carrier: &str, receiver: &str, item: &str) -> Value {
    json!({"transporters": [carrier], "vehicle_plate": PLATE, "driver_licence": LICENCE,
           "receiver": receiver, "items": [item], "planned_date": &now_cst()[..10]})
}

async fn permit(admin: &Client, holder: &str, body: Value) {
    let (s, answer) = admin.post(&format!("/api/v1/enterprises/{holder}/permits"), body).await;
    assert_eq!(s, StatusCode::CREATED, "{answer}");
}

/// The carrier takes `item` from its holder (or leaves the gate with it, for a refused part:
/// `return`) and declares it at the receiver's gate, which weighs it at `mass_g`.
async fn carry(admin: &Client, from: Option<&Device>, driver: &Device, gate: &Device, trip: &Value, mass_g: u64) {
    let item = trip["items"][0].clone();
    match from {
        Some(holder) => {
            let mut release = trip.clone();
            release["to"] = json!(driver.owner);
            accepted(admin, holder, "release", release).await;
            accepted(admin, driver, "accept", trip.clone()).await;
        }
        None => {
            accepted(admin, driver, "return", trip.clone()).await;
        }
    }
    accepted(admin, driver, "arrive", trip.clone()).await;
    accepted(admin, gate, "weigh", json!({"item": item, "weighed_mass_g": mass_g})).await;
}

#[tokio::test]
async fn a_part_refused_at_a_collection_point_goes_on_to_sichuan_with_an_approval() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hwtrace.db");
    let app = spawn_app_at(&db).await;
    // The plant in Chengdu gives no district: it is outside the deployment's province.
    let mut plant_body = enterprise(&uscc("91510100MA6CDW001"), &["facility"], "");
    plant_body.as_object_mut().unwrap().remove("district");
    plant_body["address"] = json!("四川省成都市（测试地址）");
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA6XLB001")
        .transporter("carrier", "91500110MA6TRN091", Fleet::van(PLATE, LICENCE))
        .party("point", "91500110MA6CLP091", &["collection_point"], "wansheng")
        .party_with("plant", plant_body)
        .seeded("yunan", YUNAN)
        .build()
        .await;
    let admin = &cast.admin;
    let (shop, driver) = (&cast["shop"].device, &cast["carrier"].device);
    let (point_gate, plant_gate, yunan_gate) = (&cast["point"].device, &cast["plant"].device, &cast["yunan"].device);
    let (repair, carrier, point, plant) = (
        cast["shop"].uscc.as_str(),
        cast["carrier"].uscc.as_str(),
        cast["point"].uscc.as_str(),
        cast["plant"].uscc.as_str(),
    );
    let (_, view) = admin.get(&format!("/api/v1/enterprises/{plant}")).await;
    assert_eq!(
        (&view["province"], &view["district"]),
        (&json!("51"), &json!("province_51")),
        "{view}"
    );
    permit(
        admin,
        point,
        json!({"kind": "collection", "number": "CQSJ-2026-091", "valid_from": "2026-01-01",
               "valid_until": "2028-12-31", "waste_codes": [OIL], "collection_t_per_year": 500}),
    )
    .await;
    permit(
        admin,
        plant,
        json!({"number": "SCWF-2026-091", "valid_from": "2026-01-01", "valid_until": "2030-12-31",
               "waste_codes": ["HW08"], "capacities": [{"method": "utilisation", "capacity_t_per_year": 20000}]}),
    )
    .await;

    // The shop's drum goes to the collection point, which accepts 150 kg and refuses 50 kg.
    let r = accepted(
        admin,
        shop,
        "generate",
        generate_fields(OIL, 200_000, "liquid", &["T", "I"], 200),
    )
    .await;
    let drum = r["item_code"].as_str().unwrap().to_owned();
    let r = accepted(admin, shop, "manifest_open", manifest(carrier, point, &drum)).await;
    let to_point = json!({"items": [drum], "manifest": r["manifest_no"]});
    carry(admin, Some(shop), driver, point_gate, &to_point, 200_000).await;
    let r = accepted(
        admin,
        point_gate,
        "receive",
        json!({"item": drum, "decision": "partial", "accepted_mass_g": 150_000, "refused_mass_g": 50_000,
               "reason": "桶底沉渣含水过多"}),
    )
    .await;
    stands(admin, &drum, "received", point).await;
    let part = r["created"][0]["item_code"].as_str().unwrap().to_owned();
    assert!(part.starts_with(repair), "the part is numbered for the shop: {part}");
    assert!(
        r["created"][0]["label"]["qr_text"].as_str().unwrap().contains("/Q/"),
        "{r}"
    );
    stands(admin, &part, "refused", carrier).await;

    // The shop sends the part on to Chengdu: across the province line it needs an approval.
    refused(
        admin,
        shop,
        "manifest_open",
        manifest(carrier, plant, &part),
        StatusCode::FORBIDDEN,
        "approval_required",
    )
    .await;
    let (s, approval) = admin
        .post(
            "/api/v1/transfer-approvals",
            json!({"number": APPROVAL, "issuer": repair, "receiver": plant, "waste_codes": [OIL],
                   "quantity_g": 1_000_000, "valid_from": &now_cst()[..10]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{approval}");
    let mut onward = manifest(carrier, plant, &part);
    onward["approval"] = json!(APPROVAL);
    let r = accepted(admin, shop, "manifest_open", onward).await;
    let to_plant = json!({"items": [part], "manifest": r["manifest_no"]});
    carry(admin, None, driver, plant_gate, &to_plant, 50_000).await;
    accepted(
        admin,
        plant_gate,
        "receive",
        json!({"item": part, "decision": "accept", "accepted_mass_g": 50_000, "refused_mass_g": 0}),
    )
    .await;
    accepted(
        admin,
        plant_gate,
        "treat",
        json!({"item": part, "method": "utilisation", "treated_mass_g": 50_000}),
    )
    .await;
    stands(admin, &part, "treated", plant).await;
    let (_, approval) = admin
        .get(&format!("/api/v1/transfer-approvals/{}", urlencode(APPROVAL)))
        .await;
    assert_eq!(approval["used_g"], json!(50_000), "{approval}");

    // The collection point cannot treat; it forwards the 150 kg to Yunan, which incinerates it.
    refused(
        admin,
        point_gate,
        "treat",
        json!({"item": drum, "method": "incineration", "treated_mass_g": 150_000}),
        StatusCode::FORBIDDEN,
        "permit_scope",
    )
    .await;
    let r = accepted(admin, point_gate, "manifest_open", manifest(carrier, YUNAN, &drum)).await;
    let to_yunan = json!({"items": [drum], "manifest": r["manifest_no"]});
    carry(admin, Some(point_gate), driver, yunan_gate, &to_yunan, 150_000).await;
    accepted(
        admin,
        yunan_gate,
        "receive",
        json!({"item": drum, "decision": "accept", "accepted_mass_g": 150_000, "refused_mass_g": 0}),
    )
    .await;
    accepted(
        admin,
        yunan_gate,
        "treat",
        json!({"item": drum, "method": "incineration", "treated_mass_g": 150_000}),
    )
    .await;
    stands(admin, &drum, "treated", YUNAN).await;

    // Every gram is accounted for: 200 kg generated, 200 kg treated, in two places.
    let today = &now_cst()[..10];
    let q = format!("from={}-01-01&to={today}&district=wansheng", &today[..4]);
    let (s, b) = admin.get(&format!("/api/v1/indicators/mass-balance?{q}")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (&b["generated_g"], &b["treated_g"], &b["difference_g"], &b["closes"]),
        (&json!(200_000), &json!(200_000), &json!(0), &json!(true)),
        "{b}"
    );
    let (s, d) = admin.get(&format!("/api/v1/indicators/disposal?{q}")).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["industrial"]["disposal_permille"], json!(1000), "{d}");

    app.stop().await;
    let report = audit::run(AuditArgs::db(&db)).await.expect("the audit runs");
    assert!(report.ok(), "{report}");
    assert_eq!(report.findings_total, 0, "{report}");
}

/// Percent-encodes an approval number for a path.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
