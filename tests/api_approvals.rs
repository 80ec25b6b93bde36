//! The register of cross-province transfer approvals over HTTP: recording (administrators, and
//! regulators for issuers in their province), every refusal of a bad registration (which
//! changes nothing), listing and reading by who may see them.
//!
//! A generator in Guang'an, Sichuan (USCC division code 511600, province 51) is registered
//! through the API without a district, so its supervising district is Sichuan's own,
//! `province_51`, and the test's Sichuan bureau is a regulator of that district.

mod common;

use common::cast::Cast;
use common::{assert_refused, spawn_app, uscc, Client, TestApp, YUNAN};
use reqwest::StatusCode;
use serde_json::{json, Value};

const NUMBER: &str = "川环危转〔2026〕001号";

struct World {
    app: TestApp,
    admin: Client,
    /// A generator in Guang'an (Sichuan) and one in Wansheng (Chongqing).
    sichuan_shop: String,
    chongqing_shop: String,
}

/// The two generators (`shop-admin`, `stranger-admin`), Yunan (`yunan-admin`), a clerk of the
/// Sichuan shop and the regulators of Sichuan and Wansheng.
async fn world() -> World {
    let app = spawn_app().await;
    let sichuan_shop = uscc("91511600MA6ABC001");
    let cast = Cast::on(&app)
        .without_district("shop", &sichuan_shop, &["generator"])
        .generator("stranger", "91500110MA5U8F4X2")
        .seeded("yunan", YUNAN)
        .regulator("sichuan-eeb", "province_51")
        .regulator("wansheng-eeb", "wansheng")
        .user("shop-clerk", "enterprise_clerk", Some(&sichuan_shop), None)
        .build()
        .await;
    let shop = &cast["shop"].registered;
    assert_eq!(shop["district"], "province_51", "{shop}");
    let chongqing_shop = cast["stranger"].uscc.clone();
    World {
        app,
        admin: cast.admin,
        sichuan_shop,
        chongqing_shop,
    }
}

/// An approval from the Guang'an shop to Yunan for two HW08 codes, 5 t, from 1 March 2026.
fn approval(number: &str, issuer: &str) -> Value {
    json!({
        "number": number,
        "issuer": issuer,
        "receiver": YUNAN,
        "waste_codes": ["900-214-08", "900-249-08"],
        "quantity_g": 5_000_000,
        "valid_from": "2026-03-01",
    })
}

fn path(number: &str) -> String {
    format!("/api/v1/transfer-approvals/{number}")
}

async fn numbers(c: &Client) -> Vec<String> {
    let (s, body) = c.get("/api/v1/transfer-approvals").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["number"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_approval_is_recorded_listed_and_read_by_those_concerned() {
    let World {
        app,
        admin,
        sichuan_shop,
        ..
    } = world().await;

    let (s, a) = admin
        .post("/api/v1/transfer-approvals", approval(NUMBER, &sichuan_shop))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["number"], NUMBER);
    assert_eq!(
        (a["issuer"].as_str(), a["receiver"].as_str()),
        (Some(sichuan_shop.as_str()), Some(YUNAN))
    );
    assert_eq!(
        (a["from_province"].as_str(), a["to_province"].as_str()),
        (Some("51"), Some("50"))
    );
    assert_eq!(a["waste_codes"], json!(["900-214-08", "900-249-08"]));
    assert_eq!(
        (a["valid_from"].as_str(), a["valid_until"].as_str()),
        (Some("2026-03-01"), Some("2027-02-28")),
        "twelve months less a day"
    );
    assert_eq!(a["approved_by"], "admin");
    assert_eq!(
        (
            a["quantity_g"].as_i64(),
            a["used_g"].as_i64(),
            a["remaining_g"].as_i64()
        ),
        (Some(5_000_000), Some(0), Some(5_000_000))
    );

    // The regulator of Sichuan (where the waste leaves) records a second one, ending early.
    let sichuan_eeb = app.login("sichuan-eeb").await;
    let mut second = approval("川环危转〔2026〕002号", &sichuan_shop);
    second["valid_until"] = json!("2026-08-31");
    second["waste_codes"] = json!(["900-249-08", "900-249-08"]);
    let (s, b) = sichuan_eeb.post("/api/v1/transfer-approvals", second).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(
        (b["valid_until"].as_str(), b["approved_by"].as_str()),
        (Some("2026-08-31"), Some("sichuan-eeb"))
    );
    assert_eq!(
        b["waste_codes"],
        json!(["900-249-08"]),
        "a code listed twice is kept once"
    );

    // Both provinces' regulators and both parties see them; an unrelated enterprise does not.
    let both = ["川环危转〔2026〕001号", "川环危转〔2026〕002号"];
    for user in ["sichuan-eeb", "wansheng-eeb", "shop-clerk", "yunan-admin"] {
        let c = app.login(user).await;
        let mut seen = numbers(&c).await;
        seen.sort();
        assert_eq!(seen, both, "{user}");
        let (s, one) = c.get(&path(NUMBER)).await;
        assert_eq!(s, StatusCode::OK, "{user}: {one}");
        assert_eq!(one["remaining_g"], 5_000_000);
    }
    assert_eq!(numbers(&admin).await.len(), 2);
    let stranger = app.login("stranger-admin").await;
    assert!(numbers(&stranger).await.is_empty());
    assert_refused(
        &stranger.get(&path(NUMBER)).await,
        StatusCode::FORBIDDEN,
        "not_your_approval",
    );
    assert_refused(
        &admin.get(&path("川环危转〔2026〕999号")).await,
        StatusCode::NOT_FOUND,
        "unknown_approval",
    );
    let (s, _) = app.anonymous().get("/api/v1/transfer-approvals").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_registrations_are_refused_and_change_nothing() {
    let World {
        app,
        admin,
        sichuan_shop,
        chongqing_shop,
        ..
    } = world().await;
    let (s, body) = admin
        .post("/api/v1/transfer-approvals", approval(NUMBER, &sichuan_shop))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");

    let unregistered = uscc("91511600MA6YYY009");
    let with = |f: &dyn Fn(&mut Value)| {
        let mut body = approval("川环危转〔2026〕002号", &sichuan_shop);
        f(&mut body);
        body
    };
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            with(&|b| b["number"] = json!("  ")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_approval_number",
        ),
        (
            with(&|b| b["number"] = json!("号".repeat(51))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_approval_number",
        ),
        (
            with(&|b| b["number"] = json!("a\u{7}b")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_approval_number",
        ),
        (
            with(&|b| b["issuer"] = json!("91511600MA6ABC001X")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_uscc_check",
        ),
        (
            with(&|b| b["receiver"] = json!("915001")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_uscc_length",
        ),
        (
            with(&|b| b["issuer"] = json!(unregistered)),
            StatusCode::NOT_FOUND,
            "unknown_enterprise",
        ),
        (
            with(&|b| b["issuer"] = json!(chongqing_shop)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "approval_same_province",
        ),
        (
            with(&|b| b["waste_codes"] = json!([])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_approval_scope",
        ),
        (
            with(&|b| b["waste_codes"] = json!(["900-249-09"])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_waste_code",
        ),
        (
            with(&|b| b["waste_codes"] = json!(["HW08"])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_waste_code_format",
        ),
        (
            with(&|b| b["quantity_g"] = json!(0)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_quantity",
        ),
        (
            with(&|b| b["quantity_g"] = json!(1_000_000_000_001i64)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_quantity",
        ),
        (
            with(&|b| b["valid_from"] = json!("2026-02-30")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_date",
        ),
        (
            with(&|b| b["valid_until"] = json!("2027-03-01")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_approval_dates",
        ),
        (
            with(&|b| b["valid_until"] = json!("2026-02-28")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_approval_dates",
        ),
        (approval(NUMBER, &sichuan_shop), StatusCode::CONFLICT, "approval_exists"),
        (
            with(&|b| b["quantity_g"] = json!("5 t")),
            StatusCode::BAD_REQUEST,
            "bad_field",
        ),
        (
            with(&|b| b["disposal"] = json!("incineration")),
            StatusCode::BAD_REQUEST,
            "unknown_field",
        ),
    ];
    for (body, status, code) in cases {
        let answer = admin.post("/api/v1/transfer-approvals", body).await;
        assert_refused(&answer, status, code);
    }

    // Who may record: not an enterprise (even a party), not the regulator of the receiving province.
    for (user, code) in [
        ("shop-clerk", "approval_authority_only"),
        ("shop-admin", "approval_authority_only"),
        ("yunan-admin", "approval_authority_only"),
        ("wansheng-eeb", "not_your_province"),
    ] {
        let c = app.login(user).await;
        let answer = c
            .post(
                "/api/v1/transfer-approvals",
                approval("川环危转〔2026〕003号", &sichuan_shop),
            )
            .await;
        assert_refused(&answer, StatusCode::FORBIDDEN, code);
    }

    // Nothing of that was recorded.
    assert_eq!(numbers(&admin).await, [NUMBER]);
    let (s, a) = admin.get(&path(NUMBER)).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["quantity_g"], 5_000_000, "the refused duplicate changed nothing");
}
