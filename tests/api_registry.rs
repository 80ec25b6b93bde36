//! The registry over HTTP: create, read and list per role; cross-enterprise access refused;
//! every refusal answers with its own code and changes nothing.

mod common;

use common::{assert_refused, enterprise, spawn_app, uscc, Client, TestApp, YUNAN};
use data_encoding::BASE64;
use ed25519_dalek::SigningKey;
use reqwest::StatusCode;
use serde_json::{json, Value};

const AUTO_REPAIR: &str = "91500110MA5U8F4X2N";

struct World {
    app: TestApp,
    admin: Client,
    transporter: String,
    glassworks: String,
}

/// Seeds + a generator (auto repair, Wansheng), a transporter (Wansheng) and a generator in
/// Qijiang, with one account per role.
async fn world() -> World {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let transporter = uscc("91500110MA6TRN031");
    let glassworks = uscc("91500222MA6GLA047");
    for (u, roles, d) in [
        (AUTO_REPAIR.to_owned(), vec!["generator"], "wansheng"),
        (transporter.clone(), vec!["transporter"], "wansheng"),
        (glassworks.clone(), vec!["generator"], "qijiang"),
    ] {
        let (s, body) = admin.post("/api/v1/enterprises", enterprise(&u, &roles, d)).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    app.user("wansheng-eeb", "regulator", None, Some("wansheng")).await;
    app.user("qijiang-eeb", "regulator", None, Some("qijiang")).await;
    app.user("repair-admin", "enterprise_admin", Some(AUTO_REPAIR), None)
        .await;
    app.user("trans-admin", "enterprise_admin", Some(&transporter), None)
        .await;
    app.user("trans-clerk", "enterprise_clerk", Some(&transporter), None)
        .await;
    World {
        app,
        admin,
        transporter,
        glassworks,
    }
}

fn usccs(body: &Value) -> Vec<String> {
    body["enterprises"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["uscc"].as_str().unwrap().to_owned())
        .collect()
}

async fn count(c: &Client, path: &str, key: &str) -> usize {
    let (s, body) = c.get(path).await;
    assert_eq!(s, StatusCode::OK, "{path}: {body}");
    body[key].as_array().unwrap().len()
}

#[tokio::test]
async fn each_role_lists_what_it_may_see() {
    let w = world().await;
    let (_, all) = w.admin.get("/api/v1/enterprises").await;
    let all = usccs(&all);
    assert_eq!(all.len(), 9, "6 seeded facilities and regulators + 3 created: {all:?}");

    let reg = w.app.login("wansheng-eeb").await;
    let (_, body) = reg.get("/api/v1/enterprises").await;
    let seen = usccs(&body);
    assert!(seen.contains(&AUTO_REPAIR.to_owned()) && seen.contains(&YUNAN.to_owned()));
    assert!(
        !seen.contains(&w.glassworks),
        "a Wansheng regulator does not see Qijiang"
    );
    assert!(body["enterprises"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["district"] == "wansheng"));

    let qreg = w.app.login("qijiang-eeb").await;
    let (_, body) = qreg.get("/api/v1/enterprises").await;
    let mut expected = vec![w.glassworks.clone(), "11500222MB0QJEE01R".to_owned()];
    expected.sort();
    assert_eq!(usccs(&body), expected, "the Qijiang regulator sees Qijiang only");

    let own = w.app.login("repair-admin").await;
    let (_, body) = own.get("/api/v1/enterprises").await;
    assert_eq!(usccs(&body), [AUTO_REPAIR]);
    let (s, body) = own.get(&format!("/api/v1/enterprises/{AUTO_REPAIR}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["roles"], json!(["generator"]));

    let (_, body) = w.admin.get("/api/v1/enterprises?role=facility").await;
    assert_eq!(usccs(&body).len(), 3);
    let (_, body) = w.admin.get("/api/v1/enterprises?district=qijiang&role=generator").await;
    assert_eq!(usccs(&body), vec![w.glassworks.clone()]);
    let (_, body) = w.admin.get("/api/v1/enterprises?q=%E6%B8%9D%E5%8D%97").await; // 渝南
    assert_eq!(usccs(&body), [YUNAN]);
    assert_refused(
        &w.admin.get("/api/v1/enterprises?role=factory").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_enterprise_role",
    );
}

#[tokio::test]
async fn cross_enterprise_and_cross_district_access_is_refused() {
    let w = world().await;
    let own = w.app.login("repair-admin").await;
    for path in [
        format!("/api/v1/enterprises/{YUNAN}"),
        format!("/api/v1/enterprises/{YUNAN}/permits"),
        format!("/api/v1/enterprises/{}/vehicles", w.transporter),
        format!("/api/v1/enterprises/{}/drivers", w.transporter),
        format!("/api/v1/enterprises/{}/devices", w.transporter),
    ] {
        assert_refused(&own.get(&path).await, StatusCode::FORBIDDEN, "not_your_enterprise");
    }
    let qreg = w.app.login("qijiang-eeb").await;
    assert_refused(
        &qreg.get(&format!("/api/v1/enterprises/{AUTO_REPAIR}")).await,
        StatusCode::FORBIDDEN,
        "not_your_enterprise",
    );
    let (s, _) = qreg.get(&format!("/api/v1/enterprises/{}", w.glassworks)).await;
    assert_eq!(s, StatusCode::OK);

    // Writing into another enterprise is refused, and so are writes by clerks and regulators.
    let vehicle = json!({"plate": "渝D12345", "vehicle_type": "van"});
    let path = format!("/api/v1/enterprises/{}/vehicles", w.transporter);
    assert_refused(
        &own.post(&path, vehicle.clone()).await,
        StatusCode::FORBIDDEN,
        "not_your_enterprise",
    );
    let clerk = w.app.login("trans-clerk").await;
    assert_refused(
        &clerk.post(&path, vehicle.clone()).await,
        StatusCode::FORBIDDEN,
        "enterprise_admin_only",
    );
    let reg = w.app.login("wansheng-eeb").await;
    assert_refused(
        &reg.post(&path, vehicle.clone()).await,
        StatusCode::FORBIDDEN,
        "not_your_enterprise",
    );
    assert_refused(
        &reg.post(
            "/api/v1/enterprises",
            enterprise(&uscc("91500110MA6ZZZ001"), &["generator"], "wansheng"),
        )
        .await,
        StatusCode::FORBIDDEN,
        "admin_only",
    );
    assert_refused(&own.get("/api/v1/users").await, StatusCode::FORBIDDEN, "admin_only");
    assert_eq!(count(&w.admin, &path, "vehicles").await, 0, "nothing was written");

    // The clerk can still read its own enterprise's records.
    assert_eq!(count(&clerk, &path, "vehicles").await, 0);
    assert_refused(
        &w.app.anonymous().get(&path).await,
        StatusCode::UNAUTHORIZED,
        "not_authenticated",
    );
}

#[tokio::test]
async fn enterprise_refusals_each_have_a_code_and_change_nothing() {
    let w = world().await;
    let a = &w.admin;
    let before = count(a, "/api/v1/enterprises", "enterprises").await;
    let good = enterprise(&uscc("91500110MA6NEW001"), &["generator"], "wansheng");
    let with = |field: &str, value: Value| {
        let mut e = good.clone();
        e[field] = value;
        e
    };
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            with("uscc", json!("91500110MA5U8F4X2A")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_uscc_check",
        ),
        (
            with("uscc", json!("91500110MA5U8F4X2")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_uscc_length",
        ),
        (
            with("uscc", json!("91500110MA5U8F4XIN")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_uscc_char",
        ),
        (
            with("uscc", json!(AUTO_REPAIR)),
            StatusCode::CONFLICT,
            "enterprise_exists",
        ),
        (
            with("district", json!("chengdu")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_district",
        ),
        (
            with("district", json!("Wan Sheng")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_district",
        ),
        (
            with("district", json!(null)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_field",
        ),
        (
            with("district", json!("province_51")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "district_province_mismatch",
        ),
        (
            with("uscc", json!(uscc("91990000MA6ABC001"))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_province",
        ),
        (
            with("roles", json!(["factory"])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_enterprise_role",
        ),
        (
            with("roles", json!([])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_field",
        ),
        (
            with("name_zh", json!("  ")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_field",
        ),
        (
            with("name_zh", json!("长".repeat(101))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "field_too_long",
        ),
        (
            with("contact_phone", json!("call me")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_phone",
        ),
        (with("colour", json!("red")), StatusCode::BAD_REQUEST, "unknown_field"),
        (with("roles", json!("generator")), StatusCode::BAD_REQUEST, "bad_field"),
    ];
    for (body, status, code) in cases {
        assert_refused(&a.post("/api/v1/enterprises", body).await, status, code);
    }
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("address");
    assert_refused(
        &a.post("/api/v1/enterprises", missing).await,
        StatusCode::BAD_REQUEST,
        "bad_field",
    );
    assert_refused(
        &a.post_raw("/api/v1/enterprises", "application/json", b"{\"uscc\": ".to_vec())
            .await,
        StatusCode::BAD_REQUEST,
        "malformed_json",
    );
    assert_refused(
        &a.post_raw("/api/v1/enterprises", "text/plain", b"{}".to_vec()).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    let huge = format!("{{\"uscc\": \"{}\"}}", "9".repeat(2 * 1024 * 1024));
    assert_refused(
        &a.post_raw("/api/v1/enterprises", "application/json", huge.into_bytes())
            .await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
    );

    assert_eq!(
        count(a, "/api/v1/enterprises", "enterprises").await,
        before,
        "no refused request wrote anything"
    );
    let lower = good["uscc"].as_str().unwrap().to_lowercase();
    let (s, body) = a.post("/api/v1/enterprises", with("uscc", json!(lower))).await;
    assert_eq!(s, StatusCode::CREATED, "lower case is upper-cased first: {body}");
    assert_eq!(body["uscc"], good["uscc"]);
}

fn permit(number: &str) -> Value {
    json!({
        "number": number,
        "valid_from": "2026-01-01",
        "valid_until": "2030-12-31",
        "waste_codes": ["HW08", "900-041-49", "772-003-18"],
        "capacities": [{"method": "incineration", "capacity_t_per_year": 5000}],
        "landfill_volume_m3": null
    })
}

#[tokio::test]
async fn permits_are_checked_against_the_catalogue() {
    let w = world().await;
    let a = &w.admin;
    let path = format!("/api/v1/enterprises/{YUNAN}/permits");
    let (_, body) = a.get(&path).await;
    let seeded = &body["permits"][0];
    assert_eq!(seeded["number"], "CQWF-2026-001");
    assert_eq!(seeded["landfill_volume_m3"], 400000);
    let caps: Vec<(String, i64)> = seeded["capacities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["method"].as_str().unwrap().to_owned(),
                c["capacity_t_per_year"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(
        caps.contains(&("incineration".into(), 30000))
            && caps.contains(&("physico_chemical".into(), 10000))
            && caps.contains(&("stabilisation".into(), 30000))
    );

    let (s, body) = a.post(&path, permit("CQWF-2027-009")).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["waste_codes"], json!(["772-003-18", "900-041-49", "HW08"]));

    let with = |field: &str, value: Value| {
        let mut p = permit("CQWF-2027-010");
        p[field] = value;
        p
    };
    let cases: Vec<(String, Value, StatusCode, &str)> = vec![
        (
            path.clone(),
            permit("CQWF-2027-009"),
            StatusCode::CONFLICT,
            "permit_exists",
        ),
        (
            path.clone(),
            with("waste_codes", json!(["900-999-08"])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_waste_code",
        ),
        (
            path.clone(),
            with("waste_codes", json!(["HW42"])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_waste_category",
        ),
        (
            path.clone(),
            with("waste_codes", json!(["9002490"])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_waste_code_format",
        ),
        (
            path.clone(),
            with("waste_codes", json!([])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_permit_scope",
        ),
        (
            path.clone(),
            with("valid_until", json!("2025-12-31")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_permit_dates",
        ),
        (
            path.clone(),
            with("valid_from", json!("2026-02-30")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_date",
        ),
        (
            path.clone(),
            with("capacities", json!([{"method": "burying", "capacity_t_per_year": 1}])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_treatment_method",
        ),
        (
            path.clone(),
            with("capacities", json!([{"method": "landfill", "capacity_t_per_year": 0}])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_capacity",
        ),
        (
            path.clone(),
            with(
                "capacities",
                json!([{"method": "steam", "capacity_t_per_year": 1}, {"method": "steam", "capacity_t_per_year": 2}]),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "duplicate_method",
        ),
        (
            path.clone(),
            with("capacities", json!([{"method": "steam", "capacity_t_per_year": 1.5}])),
            StatusCode::BAD_REQUEST,
            "bad_field",
        ),
        (
            path.clone(),
            with("number", json!("has space")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_permit_number",
        ),
        (
            format!("/api/v1/enterprises/{AUTO_REPAIR}/permits"),
            permit("CQWF-2027-011"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_enterprise_role",
        ),
        (
            format!("/api/v1/enterprises/{}/permits", uscc("91500110MA6ABC001")),
            permit("CQWF-2027-012"),
            StatusCode::NOT_FOUND,
            "unknown_enterprise",
        ),
    ];
    for (p, body, status, code) in cases {
        assert_refused(&a.post(&p, body).await, status, code);
    }
    assert_eq!(
        count(a, &path, "permits").await,
        2,
        "only the one good permit was added"
    );
    let own = w.app.login("repair-admin").await;
    assert_refused(
        &own.post(&path, permit("CQWF-2027-013")).await,
        StatusCode::FORBIDDEN,
        "admin_only",
    );
}

#[tokio::test]
async fn an_enterprise_has_the_province_and_county_of_its_code() {
    let w = world().await;
    let a = &w.admin;
    // 500110 is 綦江区 in the 2023 list; 500222 (Qijiang county before 2011) is not, so the
    // glassworks' county is kept with no name rather than refused.
    let (_, repair) = a.get(&format!("/api/v1/enterprises/{AUTO_REPAIR}")).await;
    assert_eq!(
        (
            &repair["province"],
            &repair["province_name"],
            &repair["county"],
            &repair["county_name"],
            &repair["district"]
        ),
        (
            &json!("50"),
            &json!("重庆市"),
            &json!("500110"),
            &json!("綦江区"),
            &json!("wansheng")
        ),
        "{repair}"
    );
    let (_, glass) = a.get(&format!("/api/v1/enterprises/{}", w.glassworks)).await;
    assert_eq!(
        (&glass["province"], &glass["county"], &glass["county_name"]),
        (&json!("50"), &json!("500222"), &Value::Null),
        "{glass}"
    );
    // A Sichuan enterprise needs no district: it gets its province's, which then exists and
    // may be named; the districts of Chongqing stay as they are.
    let chengdu = uscc("91510104MA6CDR001");
    let mut body = enterprise(&chengdu, &["facility"], "");
    body.as_object_mut().unwrap().remove("district");
    let (s, e) = a.post("/api/v1/enterprises", body).await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    assert_eq!(
        (
            &e["province_name"],
            &e["county"],
            &e["county_name"],
            &e["prefecture_name"],
            &e["district"]
        ),
        (
            &json!("四川省"),
            &json!("510104"),
            &json!("锦江区"),
            &json!("成都市"),
            &json!("province_51")
        ),
        "{e}"
    );
    let (s, e) = a
        .post(
            "/api/v1/enterprises",
            enterprise(&uscc("91510104MA6CDR002"), &["generator"], "province_51"),
        )
        .await;
    assert_eq!((s, &e["district"]), (StatusCode::CREATED, &json!("province_51")), "{e}");
    let (_, r) = w.app.anonymous().get("/api/v1/reference").await;
    let districts: Vec<&str> = r["districts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(districts, ["wansheng", "qijiang", "nanchuan", "other", "province_51"]);
    assert_eq!(r["provinces"].as_array().unwrap().len(), 31, "{r}");
    let (_, list) = a.get("/api/v1/enterprises?district=province_51").await;
    assert_eq!(usccs(&list).len(), 2);
}

#[tokio::test]
async fn collection_licences_and_daily_capacities_are_registered() {
    let w = world().await;
    let a = &w.admin;
    // The seeded Fengyan station is licensed 3 t a day.
    let (_, body) = a.get("/api/v1/enterprises/12500110MB1FY0001C/permits").await;
    assert_eq!(
        body["permits"][0]["capacities"],
        json!([{"method": "steam", "capacity_t_per_year": null, "capacity_t_per_day": 3}])
    );
    assert_eq!(body["permits"][0]["kind"], "operating");

    let point = uscc("91500110MA6CLP001");
    let (s, e) = a
        .post(
            "/api/v1/enterprises",
            enterprise(&point, &["collection_point"], "wansheng"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let path = format!("/api/v1/enterprises/{point}/permits");
    let licence = json!({"kind": "collection", "number": "CQSJ-2026-001", "valid_from": "2026-01-01",
                         "valid_until": "2028-12-31", "waste_codes": ["900-214-08", "900-052-31"],
                         "collection_t_per_year": 900});
    let with = |field: &str, value: Value| {
        let mut p = licence.clone();
        p[field] = value;
        p["number"] = json!("CQSJ-2026-002");
        p
    };
    let yunan = format!("/api/v1/enterprises/{YUNAN}/permits");
    let cases: Vec<(&str, Value, StatusCode, &str)> = vec![
        (
            &path,
            with(
                "capacities",
                json!([{"method": "utilisation", "capacity_t_per_year": 900}]),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "collection_permit_methods",
        ),
        (
            &path,
            with("landfill_volume_m3", json!(100)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "collection_permit_methods",
        ),
        (
            &path,
            with("collection_t_per_year", json!(null)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_capacity",
        ),
        (
            &path,
            with("collection_t_per_year", json!(0)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_capacity",
        ),
        (
            &path,
            with("kind", json!("disposal")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_permit_kind",
        ),
        // A collection point without the facility role holds no operating licence, and a facility
        // without the collection-point role no collection licence.
        (
            &path,
            permit("CQWF-2027-020"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_enterprise_role",
        ),
        (
            &yunan,
            with("number", json!("CQSJ-2026-003")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_enterprise_role",
        ),
        (
            &yunan,
            {
                let mut p = permit("CQWF-2027-021");
                p["collection_t_per_year"] = json!(900);
                p
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_capacity",
        ),
        (
            &yunan,
            {
                let mut p = permit("CQWF-2027-022");
                p["capacities"] = json!([{"method": "steam", "capacity_t_per_year": 1000, "capacity_t_per_day": 3}]);
                p
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_capacity",
        ),
        (
            &yunan,
            {
                let mut p = permit("CQWF-2027-023");
                p["capacities"] = json!([{"method": "steam"}]);
                p
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_capacity",
        ),
    ];
    for (p, body, status, code) in cases {
        assert_refused(&a.post(p, body).await, status, code);
    }
    assert_eq!(count(a, &path, "permits").await, 0, "nothing refused was stored");

    let (s, p) = a.post(&path, licence).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(
        (
            &p["kind"],
            &p["capacities"],
            &p["collection_t_per_year"],
            &p["waste_codes"]
        ),
        (
            &json!("collection"),
            &json!([]),
            &json!(900),
            &json!(["900-052-31", "900-214-08"])
        ),
        "{p}"
    );
    // An operating licence stated per day; no kind means an operating licence, as before.
    let mut daily = permit("CQWF-2027-024");
    daily["capacities"] =
        json!([{"method": "steam", "capacity_t_per_day": 5}, {"method": "incineration", "capacity_t_per_year": 300}]);
    let (s, p) = a.post(&yunan, daily).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(
        (&p["kind"], &p["capacities"]),
        (
            &json!("operating"),
            &json!([{"method": "incineration", "capacity_t_per_year": 300, "capacity_t_per_day": null},
                    {"method": "steam", "capacity_t_per_year": null, "capacity_t_per_day": 5}])
        ),
        "{p}"
    );
}

#[tokio::test]
async fn transporter_admin_registers_vehicles_and_drivers() {
    let w = world().await;
    let t = w.app.login("trans-admin").await;
    let vpath = format!("/api/v1/enterprises/{}/vehicles", w.transporter);
    let (s, body) = t
        .post(&vpath, json!({"plate": "渝D·12345", "vehicle_type": "van"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["plate"], "渝D12345");
    assert_refused(
        &t.post(&vpath, json!({"plate": "渝D12345", "vehicle_type": "tanker"}))
            .await,
        StatusCode::CONFLICT,
        "vehicle_exists",
    );
    assert_refused(
        &t.post(&vpath, json!({"plate": "D12345", "vehicle_type": "van"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_plate",
    );
    assert_refused(
        &t.post(&vpath, json!({"plate": "渝D54321", "vehicle_type": "rocket"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_vehicle_type",
    );
    assert_eq!(count(&t, &vpath, "vehicles").await, 1);

    let dpath = format!("/api/v1/enterprises/{}/drivers", w.transporter);
    let driver = json!({"name": "赵师傅", "licence_no": "500110-0001", "phone": "13800000001"});
    let (s, body) = t.post(&dpath, driver.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_refused(&t.post(&dpath, driver).await, StatusCode::CONFLICT, "driver_exists");
    assert_refused(
        &t.post(
            &dpath,
            json!({"name": "钱师傅", "licence_no": "500110-0002", "phone": "x"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_phone",
    );
    assert_eq!(count(&t, &dpath, "drivers").await, 1);

    // Only transporters have vehicles.
    let gen = format!("/api/v1/enterprises/{AUTO_REPAIR}/vehicles");
    assert_refused(
        &w.admin
            .post(&gen, json!({"plate": "渝D99999", "vehicle_type": "van"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "missing_enterprise_role",
    );
}

fn public_key_b64(seed: u8) -> String {
    BASE64.encode(SigningKey::from_bytes(&[seed; 32]).verifying_key().as_bytes())
}

#[tokio::test]
async fn device_keys_follow_spec_names_and_ids() {
    let w = world().await;
    let own = w.app.login("repair-admin").await;
    let path = format!("/api/v1/enterprises/{AUTO_REPAIR}/devices");
    let (s, body) = own
        .post(&path, json!({"device": "phone-1", "public_key": public_key_b64(3)}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    // SPEC test vector: seed byte 3 named 91500110MA5U8F4X2N/phone-1.
    assert_eq!(body["name"], "91500110MA5U8F4X2N/phone-1");
    assert_eq!(body["key_id"], "6527e5d0");
    assert_eq!(
        body["vkey"],
        "91500110MA5U8F4X2N/phone-1+6527e5d0+Ae1JKMYo0cLG6ukDOJBZlWEpWSc6XGP5NjbBRhSshzfR"
    );
    assert_eq!(body["revoked_at"], Value::Null);

    let cases = [
        (
            json!({"device": "phone-1", "public_key": public_key_b64(4)}),
            StatusCode::CONFLICT,
            "device_exists",
        ),
        (
            json!({"device": "phone-2", "public_key": public_key_b64(3)}),
            StatusCode::CONFLICT,
            "public_key_in_use",
        ),
        (
            json!({"device": "phone-2", "public_key": "AAAA"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_public_key",
        ),
        (
            json!({"device": "phone 2", "public_key": public_key_b64(5)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_device_name",
        ),
    ];
    for (body, status, code) in cases {
        assert_refused(&own.post(&path, body).await, status, code);
    }
    assert_eq!(count(&own, &path, "devices").await, 1);

    let (s, body) = own.post(&format!("{path}/phone-1/revoke"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body["revoked_at"].is_string());
    assert_refused(
        &own.post(&format!("{path}/phone-1/revoke"), json!({})).await,
        StatusCode::NOT_FOUND,
        "unknown_device",
    );
    // After revocation the name may get a new key; the old one stays listed as revoked.
    let (s, _) = own
        .post(&path, json!({"device": "phone-1", "public_key": public_key_b64(6)}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, body) = own.get(&path).await;
    let revoked: Vec<bool> = body["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["revoked_at"].is_string())
        .collect();
    assert_eq!(revoked, [true, false]);
}
