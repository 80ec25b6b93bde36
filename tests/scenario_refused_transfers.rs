//! Scenario: transfers the rules forbid are refused before anything moves. A facility whose
//! permit does not cover a waste code cannot be named to receive it, and a transfer across a
//! province boundary without an approval (转移管理办法 art. 21) cannot be opened; once the
//! approval is recorded, manifests within its codes and quantity open, and none beyond. The refused
//! manifests take no number and book nothing: the drum stays `stored` at its generator, and
//! the log records the refusals but no accepted event for them. At the end the auditor finds
//! the log and the database in agreement.

mod common;

use common::cast::Cast;
use common::custody::{event_kinds, refused, stands, Fleet};
use common::{assert_refused, audit_clean, now_cst, spawn_app_with_db, YUNAN};
use hwtrace::client::generate_fields;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The seeded medical-waste steam station: its permit covers 841-001-01 and 841-002-01 only.
const FENGYAN: &str = "12500110MB1FY0001C";
const CARRIER: &str = "91500110MA6TRN031";
/// A cross-province transfer approval's number as Sichuan's authority would issue it.
const APPROVAL: &str = "川环危转〔2026〕001号";

fn van() -> Fleet {
    Fleet::van("渝D12345", "500110198001011234").driven_by("赵师傅", "13800000001")
}

/// A drum of liquid waste `waste` (toxic, ignitable) at the shop; answers its code.
async fn drum(cast: &Cast, waste: &str, mass_g: u64, volume_l: u32) -> String {
    cast.generate("shop", generate_fields(waste, mass_g, "liquid", &["T", "I"], volume_l))
        .await
}

/// The number the first manifest of the year takes in Chongqing.
fn first_number() -> String {
    format!("{}5001000001", &now_cst()[..4])
}

#[tokio::test]
async fn a_facility_cannot_be_named_to_receive_waste_its_permit_does_not_cover() {
    let (app, db) = spawn_app_with_db().await;
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA5U8F4X2")
        .transporter("carrier", CARRIER, van())
        .build()
        .await;
    let (admin, shop, repair) = (&cast.admin, &cast["shop"].device, &cast["shop"].uscc);

    // A drum of waste mineral oil (HW08 900-214-08) at the repair shop.
    let code = drum(&cast, "900-214-08", 185_500, 200).await;

    // Fengyan's permit covers medical waste only: a manifest sending it waste oil is refused.
    refused(
        admin,
        shop,
        "manifest_open",
        cast.manifest("carrier", FENGYAN, &[&code]),
        StatusCode::FORBIDDEN,
        "permit_scope",
    )
    .await;
    // Nothing moved and nothing was booked: the drum is still at rest, no manifest was
    // recorded, and its history holds no accepted event but its generation.
    stands(admin, &code, "stored", repair).await;
    let first_no = first_number();
    assert_refused(
        &admin.get(&format!("/api/v1/manifests/{first_no}")).await,
        StatusCode::NOT_FOUND,
        "unknown_manifest",
    );
    assert_eq!(event_kinds(admin, &code).await, ["generate"]);

    // The same drum may still go to Yunan, whose permit covers HW08; the refused manifest took
    // no number, so this one is the first of the year.
    let receipt = cast
        .accepted("shop", "manifest_open", cast.manifest("carrier", YUNAN, &[&code]))
        .await;
    assert_eq!(receipt["manifest_no"], first_no.as_str());
    let view = admin.get_ok(&format!("/api/v1/manifests/{first_no}")).await;
    assert_eq!(view["receiver"], YUNAN, "{view}");
    assert_eq!(view["items"][0]["code"], code.as_str(), "{view}");
    assert_eq!(event_kinds(admin, &code).await, ["generate", "manifest_open"]);

    app.stop().await;
    audit_clean(&db).await;
}

#[tokio::test]
async fn a_transfer_across_a_province_boundary_without_approval_is_refused() {
    // A repair shop registered in Guang'an, Sichuan (division code 511600, so province 51),
    // through the API alone: outside the deployment's districts it needs none, and its
    // supervising district becomes Sichuan's, `province_51`.
    let (app, db) = spawn_app_with_db().await;
    let cast = Cast::on(&app)
        .without_district("shop", "91511600MA6GAR001", &["generator"])
        .transporter("carrier", CARRIER, van())
        .build()
        .await;
    let (admin, shop, repair) = (&cast.admin, &cast["shop"].device, &cast["shop"].uscc);
    let (_, view) = admin.get(&format!("/api/v1/enterprises/{repair}")).await;
    assert_eq!(
        (&view["province"], &view["province_name"], &view["district"]),
        (&json!("51"), &json!("四川省"), &json!("province_51")),
        "{view}"
    );

    // A drum of waste mineral oil at the shop in Guang'an.
    let code = drum(&cast, "900-214-08", 185_500, 200).await;

    // Yunan, in Chongqing, holds a permit for HW08, but the transfer crosses from Sichuan into
    // Chongqing and no approval covers it: refused.
    refused(
        admin,
        shop,
        "manifest_open",
        cast.manifest("carrier", YUNAN, &[&code]),
        StatusCode::FORBIDDEN,
        "approval_required",
    )
    .await;
    // An approval number that the register does not hold is no approval.
    let with_number = |item: &str| {
        let mut m = cast.manifest("carrier", YUNAN, &[item]);
        m["approval"] = json!(APPROVAL);
        m
    };
    refused(
        admin,
        shop,
        "manifest_open",
        with_number(&code),
        StatusCode::FORBIDDEN,
        "unknown_approval",
    )
    .await;
    stands(admin, &code, "stored", repair).await;
    let first_no = first_number();
    assert_refused(
        &admin.get(&format!("/api/v1/manifests/{first_no}")).await,
        StatusCode::NOT_FOUND,
        "unknown_manifest",
    );
    assert_eq!(event_kinds(admin, &code).await, ["generate"]);

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
    let receipt = cast.accepted("shop", "manifest_open", with_number(&code)).await;
    assert_eq!(receipt["manifest_no"], first_no.as_str());
    let (_, approval) = admin.get(&format!("/api/v1/transfer-approvals/{APPROVAL}")).await;
    assert_eq!(
        (&approval["used_g"], &approval["remaining_g"]),
        (&json!(185_500), &json!(114_500)),
        "{approval}"
    );

    // A second drum would take the transfers beyond the approved 300 kg; waste of a code the
    // approval does not list is refused too.
    let second = drum(&cast, "900-214-08", 185_500, 200).await;
    refused(
        admin,
        shop,
        "manifest_open",
        with_number(&second),
        StatusCode::FORBIDDEN,
        "approval_exceeded",
    )
    .await;
    let other = drum(&cast, "900-249-08", 50_000, 60).await;
    refused(
        admin,
        shop,
        "manifest_open",
        with_number(&other),
        StatusCode::FORBIDDEN,
        "approval_scope",
    )
    .await;

    app.stop().await;
    audit_clean(&db).await;
}

#[tokio::test]
async fn a_receiver_in_sichuan_registered_through_the_api_needs_an_approval() {
    // A waste-oil plant registered in Chengdu (division code 510100: province 51, a prefecture-
    // level authority), with no district and no SQL: everything below goes through the API.
    let (app, db) = spawn_app_with_db().await;
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA5U8F4X2")
        .transporter("carrier", CARRIER, van())
        .without_district("plant", "91510100MA6CDF001", &["facility"])
        .address("四川省成都市（测试地址）")
        .permit(
            json!({"number": "SCWF-2026-001", "valid_from": "2026-01-01", "valid_until": "2030-12-31",
                   "waste_codes": ["HW08"], "capacities": [{"method": "utilisation", "capacity_t_per_year": 20000}]}),
        )
        .build()
        .await;
    let (admin, shop, repair) = (&cast.admin, &cast["shop"].device, &cast["shop"].uscc);
    let (plant, carrier) = (&cast["plant"].uscc, &cast["carrier"].uscc);
    let view = &cast["plant"].registered;
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

    let code = drum(&cast, "900-214-08", 185_500, 200).await;

    // Chongqing to Sichuan with no approval: refused, nothing booked.
    refused(
        admin,
        shop,
        "manifest_open",
        cast.manifest("carrier", plant, &[&code]),
        StatusCode::FORBIDDEN,
        "approval_required",
    )
    .await;
    stands(admin, &code, "stored", repair).await;

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
    let mut m = cast.manifest("carrier", plant, &[&code]);
    m["approval"] = json!("渝环危转〔2026〕007号");
    let receipt = cast.accepted("shop", "manifest_open", m).await;
    let no = receipt["manifest_no"].as_str().unwrap().to_owned();
    cast.accepted(
        "shop",
        "release",
        json!({"items": [code], "to": carrier, "manifest": no}),
    )
    .await;
    cast.accepted("carrier", "accept", json!({"items": [code], "manifest": no}))
        .await;
    cast.arrive("carrier", &[&code], &no).await;
    cast.receive("plant", &code, 185_000).await;
    stands(admin, &code, "received", plant).await;

    app.stop().await;
    audit_clean(&db).await;
}
