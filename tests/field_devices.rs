//! Devices enrolled by the people who use them (issue 10): a clerk's or a regulator's browser
//! asks to be enrolled with the public half of the key it made, the enterprise's administrator
//! (for a bureau: an administrator) approves it from its own session, and the browser signs
//! at once; every refusal of the way has its own code.

mod common;

use chrono::Duration;
use common::cast::{code_of, Cast};
use common::custody::{accepted, refused, send_event, Fleet};
use common::{assert_refused, audit_clean, spawn_app_with_db, start_with, Client};
use hwtrace::client::{generate_fields, Device};
use hwtrace::config::Config;
use hwtrace::time::Clock;
use reqwest::StatusCode;
use serde_json::{json, Value};

const SHOP: &str = "91500110MA6DEG001";
const OTHER: &str = "91500110MA6DEH001";
/// The Wansheng ecology and environment bureau (seeded, role regulator).
const WANSHENG_EEB: &str = "11500110MB0WAEE01L";
const FENGYAN: &str = "12500110MB1FY0001C";

/// `client` asks for `device`'s key to be enrolled; answers `(status, body)`.
async fn ask(client: &Client, device: &Device) -> (StatusCode, Value) {
    client
        .post(
            "/api/v1/device-enrolments",
            json!({"device": device.device, "public_key": device.public_key_b64()}),
        )
        .await
}

/// As [`ask`], which must be recorded as pending; answers the request.
async fn asked(client: &Client, device: &Device) -> Value {
    let (s, body) = ask(client, device).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["state"], "pending", "{body}");
    body
}

fn id_of(request: &Value) -> u64 {
    request["id"].as_u64().expect("a request number")
}

/// The ids of the requests `client` lists with `query`.
async fn listed(client: &Client, query: &str) -> Vec<u64> {
    let body = client.get_ok(&format!("/api/v1/device-enrolments{query}")).await;
    body["enrolments"].as_array().unwrap().iter().map(id_of).collect()
}

#[tokio::test]
async fn a_clerks_browser_is_enrolled_by_its_administrator_and_signs_at_once() {
    let (app, db) = spawn_app_with_db().await;
    let shop = common::uscc(SHOP);
    let cast = Cast::on(&app)
        .generator("shop", SHOP)
        .generator("other", OTHER)
        .user("shop-clerk", "enterprise_clerk", Some(&shop), None)
        .build()
        .await;
    let clerk = cast.user("shop-clerk");
    let (shop_admin, other_admin) = (&cast["shop"].client, &cast["other"].client);

    // The browser made its key; the answer names the key the approver will see.
    let browser = Device::generate(&shop, "clerk-pc");
    let request = asked(clerk, &browser).await;
    let id = id_of(&request);
    assert_eq!(
        (&request["owner"], &request["key_name"], &request["key_id"]),
        (
            &json!(shop),
            &json!(format!("{shop}/clerk-pc")),
            &json!(browser.key_id().to_hex())
        ),
        "{request}"
    );
    assert_eq!(request["requester"], "shop-clerk");
    assert_eq!(request["vkey"], browser.verifier_key().to_string());

    // Until it is approved the key signs nothing.
    let fields = generate_fields("900-249-08", 185_500, "liquid", &["T"], 200);
    let (s, body) = send_event(&cast.admin, &browser, "generate", fields.clone()).await;
    assert_refused(&(s, body), StatusCode::FORBIDDEN, "unknown_key");

    // The administrator lists it with its key ID and requester; the clerk its own; another
    // enterprise nothing of it.
    let pending = shop_admin.get_ok("/api/v1/device-enrolments").await;
    let shown = &pending["enrolments"][0];
    assert_eq!(
        (&shown["id"], &shown["key_id"], &shown["requester"]),
        (&json!(id), &request["key_id"], &json!("shop-clerk")),
        "{pending}"
    );
    assert!(shown["requested_at"].is_string() && shown["expires_at"].is_string());
    assert_eq!(listed(clerk, "").await, vec![id]);
    assert!(listed(other_admin, "").await.is_empty());
    assert_refused(
        &other_admin.get(&format!("/api/v1/device-enrolments/{id}")).await,
        StatusCode::FORBIDDEN,
        "not_your_enrolment",
    );

    // Only the enterprise's administrator decides.
    let approve = format!("/api/v1/device-enrolments/{id}/approve");
    assert_refused(
        &clerk.post(&approve, json!({})).await,
        StatusCode::FORBIDDEN,
        "enterprise_admin_only",
    );
    assert_refused(
        &other_admin.post(&approve, json!({})).await,
        StatusCode::FORBIDDEN,
        "not_your_enterprise",
    );
    let size_before = app.log_size().await;
    let (s, approved) = shop_admin.post(&approve, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{approved}");
    assert_eq!(approved["state"], "approved");
    assert_eq!(approved["decided_by"], "shop-admin");

    // Exactly as a direct registration: one `key` entry, approved by the administrator.
    let seq = approved["key_seq"].as_u64().expect("the key entry's index");
    assert_eq!(seq, size_before);
    let entry = &app.entries(seq, seq + 1).await[0];
    assert_eq!(entry["kind"], "key");
    assert_eq!(
        (&entry["key"]["vkey"], &entry["key"]["action"], &entry["key"]["owner"]),
        (&approved["vkey"], &json!("register"), &json!(shop)),
        "{entry}"
    );
    assert_eq!(entry["key"]["approved_by"], "shop-admin", "{entry}");
    let devices = shop_admin.get_ok(&format!("/api/v1/enterprises/{shop}/devices")).await;
    assert!(devices["devices"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["device"] == "clerk-pc" && d["key_id"] == request["key_id"]));

    // The clerk's poll says so, and the browser's key signs an accepted event at once.
    let polled = clerk.get_ok(&format!("/api/v1/device-enrolments/{id}")).await;
    assert_eq!(
        (&polled["state"], &polled["key_seq"]),
        (&json!("approved"), &json!(seq))
    );
    let drum = code_of(&accepted(&cast.admin, &browser, "generate", fields).await);
    assert!(drum.starts_with(&shop));

    // Decided once: neither approved nor rejected again; no longer pending.
    assert_refused(
        &shop_admin.post(&approve, json!({})).await,
        StatusCode::CONFLICT,
        "enrolment_decided",
    );
    assert_refused(
        &shop_admin
            .post(&format!("/api/v1/device-enrolments/{id}/reject"), json!({}))
            .await,
        StatusCode::CONFLICT,
        "enrolment_decided",
    );
    assert!(listed(shop_admin, "").await.is_empty());
    assert_eq!(listed(shop_admin, "?state=approved").await, vec![id]);
    app.stop().await;
    audit_clean(&db).await;
}

#[tokio::test]
async fn every_refusal_of_an_enrolment_has_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(chrono::Utc::now());
    let config = Config {
        clock: clock.clone(),
        ..Config::with_db(dir.path().join("hwtrace.db"))
    };
    let app = start_with(config, dir).await;
    let shop = common::uscc(SHOP);
    let cast = Cast::on(&app)
        .generator("shop", SHOP)
        .user("shop-clerk", "enterprise_clerk", Some(&shop), None)
        .user("gate", "enterprise_clerk", Some(&shop), None)
        .build()
        .await;
    let (clerk, gate, shop_admin) = (cast.user("shop-clerk"), cast.user("gate"), &cast["shop"].client);

    // Malformed names and keys; a name or key already registered.
    let path = "/api/v1/device-enrolments";
    assert_refused(
        &clerk
            .post(
                path,
                json!({"device": "my pc", "public_key": Device::generate(&shop, "x").public_key_b64()}),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_device_name",
    );
    assert_refused(
        &clerk.post(path, json!({"device": "pc", "public_key": "AAAA"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_public_key",
    );
    let registered = &cast["shop"].device;
    assert_refused(
        &clerk
            .post(
                path,
                json!({"device": "pc-new", "public_key": registered.public_key_b64()}),
            )
            .await,
        StatusCode::CONFLICT,
        "public_key_in_use",
    );
    assert_refused(
        &ask(clerk, &Device::generate(&shop, &registered.device)).await,
        StatusCode::CONFLICT,
        "device_exists",
    );
    // An administrator has no enterprise: it registers devices directly.
    assert_refused(
        &ask(&cast.admin, &Device::generate(&shop, "admin-pc")).await,
        StatusCode::FORBIDDEN,
        "no_device_owner",
    );

    // One pending request per name and per key; at most three pending per user.
    let first = Device::generate(&shop, "pc-1");
    let first_id = id_of(&asked(clerk, &first).await);
    assert_refused(
        &ask(gate, &Device::generate(&shop, "pc-1")).await,
        StatusCode::CONFLICT,
        "enrolment_pending",
    );
    assert_refused(
        &gate
            .post(
                path,
                json!({"device": "pc-other", "public_key": first.public_key_b64()}),
            )
            .await,
        StatusCode::CONFLICT,
        "enrolment_pending",
    );
    asked(clerk, &Device::generate(&shop, "pc-2")).await;
    let third = id_of(&asked(clerk, &Device::generate(&shop, "pc-3")).await);
    assert_refused(
        &ask(clerk, &Device::generate(&shop, "pc-4")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "too_many_enrolments",
    );

    // A rejection frees a place and says why.
    let (s, rejected) = shop_admin
        .post(
            &format!("/api/v1/device-enrolments/{third}/reject"),
            json!({"reason": "设备名称不规范"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{rejected}");
    assert_eq!(
        (&rejected["state"], &rejected["reason"]),
        (&json!("rejected"), &json!("设备名称不规范"))
    );
    let polled = clerk.get_ok(&format!("/api/v1/device-enrolments/{third}")).await;
    assert_eq!(polled["state"], "rejected");
    asked(clerk, &Device::generate(&shop, "pc-4")).await;

    // Unknown numbers, bad filters.
    for bad in ["999999", "abc"] {
        assert_refused(
            &clerk.get(&format!("/api/v1/device-enrolments/{bad}")).await,
            StatusCode::NOT_FOUND,
            "unknown_enrolment",
        );
    }
    assert_refused(
        &shop_admin.get("/api/v1/device-enrolments?state=waiting").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_enrolment_state",
    );
    assert_eq!(listed(shop_admin, "?state=all").await.len(), 4);

    // A day later the undecided requests have expired: shown so, refused on approval, and the
    // name may be asked for again.
    clock.set(clock.now() + Duration::hours(24) + Duration::seconds(1));
    let polled = clerk.get_ok(&format!("/api/v1/device-enrolments/{first_id}")).await;
    assert_eq!(polled["state"], "expired");
    assert!(listed(shop_admin, "").await.is_empty(), "nothing pending");
    assert_eq!(listed(shop_admin, "?state=expired").await.len(), 3);
    assert_refused(
        &shop_admin
            .post(&format!("/api/v1/device-enrolments/{first_id}/approve"), json!({}))
            .await,
        StatusCode::CONFLICT,
        "enrolment_expired",
    );
    let again = asked(clerk, &first).await;
    let (s, approved) = shop_admin
        .post(
            &format!("/api/v1/device-enrolments/{}/approve", id_of(&again)),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, &approved["state"]),
        (StatusCode::OK, &json!("approved")),
        "{approved}"
    );
}

#[tokio::test]
async fn a_regulators_browser_is_enrolled_for_its_bureau_and_acknowledges_an_alert() {
    let (app, _db) = spawn_app_with_db().await;
    let cast = Cast::on(&app)
        .generator("shop", SHOP)
        .transporter(
            "carrier",
            "91500110MA6DET001",
            Fleet::van("渝D99981", "500110199409091981"),
        )
        .without_district("sichuan", "91510100MA6DEA001", &["generator"])
        .regulator("wansheng-reg", "wansheng")
        .build()
        .await;
    let regulator = cast.user("wansheng-reg");

    // An alert to acknowledge: a manifest to a station whose permit does not take the waste.
    let oil = cast
        .generate("shop", generate_fields("900-252-12", 10_000, "liquid", &["T"], 200))
        .await;
    refused(
        &cast.admin,
        &cast["shop"].device,
        "manifest_open",
        cast.manifest("carrier", FENGYAN, &[&oil]),
        StatusCode::FORBIDDEN,
        "permit_scope",
    )
    .await;
    let alerts = regulator.get_ok("/api/v1/alerts?rule=permit_scope").await;
    let alert = alerts[0]["id"].as_u64().expect("a permit_scope alert");

    // The regulator's browser asks; the device is the bureau's of its district.
    let browser = Device::generate(WANSHENG_EEB, "wansheng-reg-pc");
    let request = asked(regulator, &browser).await;
    let id = id_of(&request);
    assert_eq!(
        (&request["owner"], &request["key_id"]),
        (&json!(WANSHENG_EEB), &json!(browser.key_id().to_hex()))
    );
    assert!(
        request["owner_name"].as_str().unwrap().contains("生态环境局"),
        "{request}"
    );

    // Neither the regulator itself nor another enterprise's administrator approves it; an
    // administrator does, from its own session.
    let approve = format!("/api/v1/device-enrolments/{id}/approve");
    for c in [regulator, &cast["shop"].client] {
        assert_refused(
            &c.post(&approve, json!({})).await,
            StatusCode::FORBIDDEN,
            "not_your_enterprise",
        );
    }
    assert!(listed(&cast.admin, "").await.contains(&id));
    let (s, approved) = cast.admin.post(&approve, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{approved}");
    assert_eq!(
        regulator.get_ok(&format!("/api/v1/device-enrolments/{id}")).await["state"],
        "approved"
    );

    // The approved key acknowledges the alert.
    let r = accepted(
        &cast.admin,
        &browser,
        "acknowledge",
        json!({"alert": alert, "note": "已约谈产生单位"}),
    )
    .await;
    let a = regulator.get_ok(&format!("/api/v1/alerts/{alert}")).await;
    assert_eq!(
        (&a["state"], &a["acked_seq"]),
        (&json!("acknowledged"), &r["index"]),
        "{a}"
    );

    // A regulator of a district without a bureau has nobody to enrol for.
    app.user("sichuan-reg", "regulator", None, Some("province_51")).await;
    let lost = app.login("sichuan-reg").await;
    assert_refused(
        &ask(&lost, &Device::generate(WANSHENG_EEB, "sc-pc")).await,
        StatusCode::NOT_FOUND,
        "no_bureau",
    );
}
