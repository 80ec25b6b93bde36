//! Scenario: transfers the rules forbid are refused before anything moves. A facility whose
//! permit does not cover a waste code cannot be named to receive it, and a transfer across a
//! province boundary without an approval (转移管理办法 art. 21) cannot be opened; once the
//! approval is recorded, manifests within its codes and quantity open, and none beyond. The refused
//! manifests take no number and book nothing: the drum stays `stored` at its generator, and
//! the log records the refusals but no accepted event for them. At the end the auditor finds
//! the log and the database in agreement.

mod common;

use common::custody::{
    accepted, add_admin_with_device, add_enterprise, add_fleet, event_kinds, refused, stands, Fleet,
};
use common::{assert_refused, enterprise, now_cst, spawn_app_at, uscc, Client, TestApp, YUNAN};
use hwtrace::audit::{self, AuditArgs};
use hwtrace::client::{generate_fields, Device};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The seeded medical-waste steam station: its permit covers 841-001-01 and 841-002-01 only.
const FENGYAN: &str = "12500110MB1FY0001C";
const PLATE: &str = "渝D12345";
const LICENCE: &str = "500110198001011234";
/// A cross-province transfer approval's number as Sichuan's authority would issue it.
const APPROVAL: &str = "川环危转〔2026〕001号";

/// Registers the generator `repair` (in `district`, or without one) with a device, and a
/// transporter in Wansheng with its vehicle and driver; answers the admin session, the
/// generator's device and both USCCs.
async fn shop_and_carrier(app: &TestApp, repair: &str, district: Option<&str>) -> (Client, Device, String, String) {
    let admin = app.admin().await;
    let repair = repair.to_owned();
    let carrier = uscc("91500110MA6TRN031");
    let mut shop_body = enterprise(&repair, &["generator"], district.unwrap_or_default());
    if district.is_none() {
        shop_body.as_object_mut().unwrap().remove("district");
    }
    let (s, body) = admin.post("/api/v1/enterprises", shop_body).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    add_enterprise(&admin, &carrier, "transporter", "wansheng").await;
    let shop = add_admin_with_device(app, "repair-admin", &repair, "phone-1").await;
    add_fleet(
        &admin,
        &carrier,
        Fleet {
            plate: PLATE,
            vehicle_type: "van",
            driver: ("赵师傅", LICENCE, "13800000001"),
        },
    )
    .await;
    (admin, shop, repair, carrier)
}

/// A one-trip manifest for `item` with `carrier` to `receiver`, planned today.
fn manifest(item: &str, carrier: &str, receiver: &str) -> Value {
    json!({
        "transporters": [carrier],
        "vehicle_plate": PLATE,
        "driver_licence": LICENCE,
        "receiver": receiver,
        "items": [item],
        "planned_date": &now_cst()[..10],
    })
}

#[tokio::test]
async fn a_facility_cannot_be_named_to_receive_waste_its_permit_does_not_cover() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hwtrace.db");
    let app = spawn_app_at(&db).await;
    let (admin, shop, repair, carrier) = shop_and_carrier(&app, &uscc("91500110MA5U8F4X2"), Some("wansheng")).await;

    // A drum of waste mineral oil (HW08 900-214-08) at the repair shop.
    let receipt = accepted(
        &admin,
        &shop,
        "generate",
        generate_fields("900-214-08", 185_500, "liquid", &["T", "I"], 200),
    )
    .await;
    let code = receipt["item_code"].as_str().unwrap().to_owned();

    // Fengyan's permit covers medical waste only: a manifest sending it waste oil is refused.
    refused(
        &admin,
        &shop,
        "manifest_open",
        manifest(&code, &carrier, FENGYAN),
        StatusCode::FORBIDDEN,
        "permit_scope",
    )
    .await;
    // Nothing moved and nothing was booked: the drum is still at rest, no manifest was
    // recorded, and its history holds no accepted event but its generation.
    stands(&admin, &code, "stored", &repair).await;
    let first_no = format!("{}5001000001", &now_cst()[..4]);
    assert_refused(
        &admin.get(&format!("/api/v1/manifests/{first_no}")).await,
        StatusCode::NOT_FOUND,
        "unknown_manifest",
    );
    assert_eq!(event_kinds(&admin, &code).await, ["generate"]);

    // The same drum may still go to Yunan, whose permit covers HW08; the refused manifest took
    // no number, so this one is the first of the year.
    let receipt = accepted(&admin, &shop, "manifest_open", manifest(&code, &carrier, YUNAN)).await;
    assert_eq!(receipt["manifest_no"], first_no.as_str());
    let (s, view) = admin.get(&format!("/api/v1/manifests/{first_no}")).await;
    assert_eq!(s, StatusCode::OK, "{view}");
    assert_eq!(view["receiver"], YUNAN, "{view}");
    assert_eq!(view["items"][0]["code"], code.as_str(), "{view}");
    assert_eq!(event_kinds(&admin, &code).await, ["generate", "manifest_open"]);

    app.stop().await;
    let report = audit::run(AuditArgs::db(&db)).await.expect("the audit runs");
    assert!(report.ok(), "{report}");
    assert_eq!(report.findings_total, 0, "{report}");
}

#[tokio::test]
async fn a_transfer_across_a_province_boundary_without_approval_is_refused() {
    // A repair shop registered in Guang'an, Sichuan (division code 511600, so province 51),
    // through the API alone: outside the deployment's districts it needs none, and its
    // supervising district becomes Sichuan's, `province_51`.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hwtrace.db");
    let app = spawn_app_at(&db).await;
    let (admin, shop, repair, carrier) = shop_and_carrier(&app, &uscc("91511600MA6GAR001"), None).await;
    let (_, view) = admin.get(&format!("/api/v1/enterprises/{repair}")).await;
    assert_eq!(
        (&view["province"], &view["province_name"], &view["district"]),
        (&json!("51"), &json!("四川省"), &json!("province_51")),
        "{view}"
    );

    // A drum of waste mineral oil at the shop in Guang'an.
    let receipt = accepted(
        &admin,
        &shop,
        "generate",
        generate_fields("900-214-08", 185_500, "liquid", &["T", "I"], 200),
    )
    .await;
    let code = receipt["item_code"].as_str().unwrap().to_owned();

    // Yunan, in Chongqing, holds a permit for HW08, but the transfer crosses from Sichuan into
    // Chongqing and no approval covers it: refused.
    refused(
        &admin,
        &shop,
        "manifest_open",
        manifest(&code, &carrier, YUNAN),
        StatusCode::FORBIDDEN,
        "approval_required",
    )
    .await;
    // An approval number that the register does not hold is no approval.
    let with_number = |item: &str| {
        let mut m = manifest(item, &carrier, YUNAN);
        m["approval"] = json!(APPROVAL);
        m
    };
    refused(
        &admin,
        &shop,
        "manifest_open",
        with_number(&code),
        StatusCode::FORBIDDEN,
        "unknown_approval",
    )
    .await;
    stands(&admin, &code, "stored", &repair).await;
    let first_no = format!("{}5001000001", &now_cst()[..4]);
    assert_refused(
        &admin.get(&format!("/api/v1/manifests/{first_no}")).await,
        StatusCode::NOT_FOUND,
        "unknown_manifest",
    );
    assert_eq!(event_kinds(&admin, &code).await, ["generate"]);

    // Sichuan's authority approves 300 kg of HW08 900-214-08 from the shop to Yunan for 12
    // months; the register records it, and a manifest naming it is opened.
    let (s, approval) = admin
        .post(
            "/api/v1/transfer-approvals",
            json!({"number": APPROVAL, "issuer": repair, "receiver": YUNAN, "waste_codes": ["900-214-08"],
                   "quantity_g": 300_000, "valid_from": &now_cst()[..10]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{approval}");
    let receipt = accepted(&admin, &shop, "manifest_open", with_number(&code)).await;
    assert_eq!(receipt["manifest_no"], first_no.as_str());
    let (_, approval) = admin.get(&format!("/api/v1/transfer-approvals/{APPROVAL}")).await;
    assert_eq!(
        (&approval["used_g"], &approval["remaining_g"]),
        (&json!(185_500), &json!(114_500)),
        "{approval}"
    );

    // A second drum would take the transfers beyond the approved 300 kg; waste of a code the
    // approval does not list is refused too.
    let receipt = accepted(
        &admin,
        &shop,
        "generate",
        generate_fields("900-214-08", 185_500, "liquid", &["T", "I"], 200),
    )
    .await;
    let second = receipt["item_code"].as_str().unwrap().to_owned();
    refused(
        &admin,
        &shop,
        "manifest_open",
        with_number(&second),
        StatusCode::FORBIDDEN,
        "approval_exceeded",
    )
    .await;
    let receipt = accepted(
        &admin,
        &shop,
        "generate",
        generate_fields("900-249-08", 50_000, "liquid", &["T", "I"], 60),
    )
    .await;
    let other = receipt["item_code"].as_str().unwrap().to_owned();
    refused(
        &admin,
        &shop,
        "manifest_open",
        with_number(&other),
        StatusCode::FORBIDDEN,
        "approval_scope",
    )
    .await;

    app.stop().await;
    let report = audit::run(AuditArgs::db(&db)).await.expect("the audit runs");
    assert!(report.ok(), "{report}");
    assert_eq!(report.findings_total, 0, "{report}");
}

#[tokio::test]
async fn a_receiver_in_sichuan_registered_through_the_api_needs_an_approval() {
    // A waste-oil plant registered in Chengdu (division code 510100: province 51, a prefecture-
    // level authority), with no district and no SQL: everything below goes through the API.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hwtrace.db");
    let app = spawn_app_at(&db).await;
    let (admin, shop, repair, carrier) = shop_and_carrier(&app, &uscc("91500110MA5U8F4X2"), Some("wansheng")).await;
    let plant = uscc("91510100MA6CDF001");
    let mut body = enterprise(&plant, &["facility"], "");
    body.as_object_mut().unwrap().remove("district");
    body["address"] = json!("四川省成都市（测试地址）");
    let (s, view) = admin.post("/api/v1/enterprises", body).await;
    assert_eq!(s, StatusCode::CREATED, "{view}");
    assert_eq!(
        (
            &view["province"],
            &view["province_name"],
            &view["county"],
            &view["county_name"],
            &view["prefecture_name"],
            &view["district"]
        ),
        (
            &json!("51"),
            &json!("四川省"),
            &json!("510100"),
            &Value::Null,
            &json!("成都市"),
            &json!("province_51")
        ),
        "{view}"
    );
    let (s, permit) = admin
        .post(
            &format!("/api/v1/enterprises/{plant}/permits"),
            json!({"number": "SCWF-2026-001", "valid_from": "2026-01-01", "valid_until": "2030-12-31",
                   "waste_codes": ["HW08"], "capacities": [{"method": "utilisation", "capacity_t_per_year": 20000}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{permit}");
    let gate = add_admin_with_device(&app, "plant-admin", &plant, "gate-1").await;

    let receipt = accepted(
        &admin,
        &shop,
        "generate",
        generate_fields("900-214-08", 185_500, "liquid", &["T", "I"], 200),
    )
    .await;
    let code = receipt["item_code"].as_str().unwrap().to_owned();

    // Chongqing to Sichuan with no approval: refused, nothing booked.
    refused(
        &admin,
        &shop,
        "manifest_open",
        manifest(&code, &carrier, &plant),
        StatusCode::FORBIDDEN,
        "approval_required",
    )
    .await;
    stands(&admin, &code, "stored", &repair).await;

    // Chongqing's authority (where the waste leaves) approves 1 t; the manifest naming it opens
    // and the drum travels, arrives and is received in Chengdu.
    let (s, approval) = admin
        .post(
            "/api/v1/transfer-approvals",
            json!({"number": "渝环危转〔2026〕007号", "issuer": repair, "receiver": plant,
                   "waste_codes": ["900-214-08"], "quantity_g": 1_000_000, "valid_from": &now_cst()[..10]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{approval}");
    assert_eq!(
        (&approval["from_province"], &approval["to_province"]),
        (&json!("50"), &json!("51")),
        "{approval}"
    );
    let mut m = manifest(&code, &carrier, &plant);
    m["approval"] = json!("渝环危转〔2026〕007号");
    let receipt = accepted(&admin, &shop, "manifest_open", m).await;
    let no = receipt["manifest_no"].as_str().unwrap().to_owned();
    let driver = add_admin_with_device(&app, "carrier-admin", &carrier, "driver-1").await;
    accepted(
        &admin,
        &shop,
        "release",
        json!({"items": [code], "to": carrier, "manifest": no}),
    )
    .await;
    for kind in ["accept", "arrive"] {
        accepted(&admin, &driver, kind, json!({"items": [code], "manifest": no})).await;
    }
    accepted(&admin, &gate, "weigh", json!({"item": code, "weighed_mass_g": 185_000})).await;
    accepted(
        &admin,
        &gate,
        "receive",
        json!({"item": code, "decision": "accept", "accepted_mass_g": 185_000, "refused_mass_g": 0}),
    )
    .await;
    stands(&admin, &code, "received", &plant).await;

    app.stop().await;
    let report = audit::run(AuditArgs::db(&db)).await.expect("the audit runs");
    assert!(report.ok(), "{report}");
    assert_eq!(report.findings_total, 0, "{report}");
}
