//! Every alert of PRODUCT.md raised, then resolved by the event that cures it (or, where no
//! event can, acknowledged by a regulator's signed note). The service runs on a manual clock
//! that the test moves forward by hours, days and a year; the sweep is triggered by hand
//! instead of waiting for its minute.

mod common;

use chrono::Duration;
use common::custody::{accepted, add_admin_with_device, add_enterprise, add_fleet, refused, send_event, Fleet};
use common::{assert_refused, now_cst, start_with, uscc, Client, TestApp, YUNAN};
use hwtrace::client::{generate_fields, Device};
use hwtrace::config::Config;
use hwtrace::time::Clock;
use reqwest::StatusCode;
use serde_json::{json, Value};

const FENGYAN: &str = "12500110MB1FY0001C";
/// The Wansheng ecology and environment bureau (seeded, role regulator).
const WANSHENG_EEB: &str = "11500110MB0WAEE01L";
const PLATE: &str = "渝D99990";
const LICENCE: &str = "500110199409091234";

struct World {
    app: TestApp,
    clock: Clock,
    admin: Client,
    regulator: Client,
    carrier: String,
    driver: Device,
}

impl World {
    /// Moves the service's clock forward and runs the sweep.
    async fn later(&self, by: Duration) {
        self.clock.set(self.clock.now() + by);
        let (s, body) = self.admin.post("/api/v1/alerts/sweep", json!({})).await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }

    /// The alerts of `rule` for `subject`, as the district's regulator sees them.
    async fn alerts(&self, rule: &str, subject: &str) -> Vec<Value> {
        let (s, list) = self.regulator.get(&format!("/api/v1/alerts?rule={rule}")).await;
        assert_eq!(s, StatusCode::OK, "{list}");
        list.as_array()
            .unwrap()
            .iter()
            .filter(|a| a["subject"] == subject)
            .cloned()
            .collect()
    }

    /// The one alert of `rule` for `subject`, which must be in `state`.
    async fn alert(&self, rule: &str, subject: &str, state: &str) -> Value {
        let found = self.alerts(rule, subject).await;
        assert_eq!(found.len(), 1, "{rule} {subject}: {found:?}");
        assert_eq!(found[0]["state"], state, "{:?}", found[0]);
        found[0].clone()
    }

    async fn none(&self, rule: &str, subject: &str) {
        assert!(self.alerts(rule, subject).await.is_empty(), "{rule} {subject}");
    }

    /// Opens a manifest for `item` from `shop` to `receiver`; the carrier accepts it.
    async fn on_the_road(&self, shop: &Device, receiver: &str, item: &str) -> String {
        let r = accepted(
            &self.admin,
            shop,
            "manifest_open",
            json!({"transporters": [self.carrier], "vehicle_plate": PLATE, "driver_licence": LICENCE,
                   "receiver": receiver, "items": [item], "planned_date": &now_cst()[..10]}),
        )
        .await;
        let m = r["manifest_no"].as_str().unwrap().to_owned();
        accepted(
            &self.admin,
            shop,
            "release",
            json!({"items": [item], "to": self.carrier, "manifest": m}),
        )
        .await;
        accepted(
            &self.admin,
            &self.driver,
            "accept",
            json!({"items": [item], "manifest": m}),
        )
        .await;
        m
    }

    async fn arrive(&self, item: &str, m: &str) -> u64 {
        let r = accepted(
            &self.admin,
            &self.driver,
            "arrive",
            json!({"items": [item], "manifest": m}),
        )
        .await;
        r["index"].as_u64().unwrap()
    }
}

async fn generate(c: &Client, d: &Device, waste: &str, g: u64) -> String {
    let r = accepted(c, d, "generate", generate_fields(waste, g, "solid", &["T"], 1000)).await;
    r["item_code"].as_str().unwrap().to_owned()
}

async fn receive(c: &Client, gate: &Device, item: &str, g: u64) -> u64 {
    accepted(c, gate, "weigh", json!({"item": item, "weighed_mass_g": g})).await;
    let r = accepted(
        c,
        gate,
        "receive",
        json!({"item": item, "decision": "accept", "accepted_mass_g": g, "refused_mass_g": 0}),
    )
    .await;
    r["index"].as_u64().unwrap()
}

#[tokio::test]
async fn every_alert_is_raised_and_then_cured_or_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(chrono::Utc::now());
    let config = Config {
        clock: clock.clone(),
        // The devices sign at the real time while the test moves the service's clock a year
        // on: an offline window longer than that keeps their events in it.
        offline_window_days: 400,
        ..Config::with_db(dir.path().join("hwtrace.db"))
    };
    let app = start_with(config, dir).await;
    let admin = app.admin().await;
    let g = uscc("91500110MA6ALG001");
    let hospital_u = uscc("12500110MB6ALH001");
    let carrier = uscc("91500110MA6ALT001");
    let small = uscc("91500110MA6ALF001");
    add_enterprise(&admin, &g, "generator", "wansheng").await;
    add_enterprise(&admin, &hospital_u, "generator", "wansheng").await;
    add_enterprise(&admin, &carrier, "transporter", "wansheng").await;
    add_enterprise(&admin, &small, "facility", "wansheng").await;
    // A small incinerator licensed for 1 t a year, its permit ending in two days.
    let today = chrono::NaiveDate::parse_from_str(&now_cst()[..10], "%Y-%m-%d").unwrap();
    let permit = |number: &str, from: chrono::NaiveDate, until: chrono::NaiveDate| {
        json!({"number": number, "valid_from": from.to_string(), "valid_until": until.to_string(),
               "waste_codes": ["HW08", "HW12"], "capacities": [{"method": "incineration", "capacity_t_per_year": 1}],
               "landfill_volume_m3": null})
    };
    let (s, body) = admin
        .post(
            &format!("/api/v1/enterprises/{small}/permits"),
            permit("CQWF-TEST-001", today - Duration::days(30), today + Duration::days(2)),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let shop = add_admin_with_device(&app, "g-admin", &g, "phone-1").await;
    let hospital = add_admin_with_device(&app, "h-admin", &hospital_u, "phone-1").await;
    let driver = add_admin_with_device(&app, "t-admin", &carrier, "driver-1").await;
    let yunan = add_admin_with_device(&app, "y-admin", YUNAN, "gate-1").await;
    let fengyan = add_admin_with_device(&app, "f-admin", FENGYAN, "gate-1").await;
    let furnace = add_admin_with_device(&app, "s-admin", &small, "gate-1").await;
    let bureau = add_admin_with_device(&app, "eeb-admin", WANSHENG_EEB, "desk-1").await;
    add_fleet(
        &admin,
        &carrier,
        Fleet {
            plate: PLATE,
            vehicle_type: "van",
            driver: ("褚师傅", LICENCE, "13800000009"),
        },
    )
    .await;
    app.user("wansheng-reg", "regulator", None, Some("wansheng")).await;
    let regulator = app.login("wansheng-reg").await;
    let w = World {
        clock,
        admin,
        regulator,
        carrier: carrier.clone(),
        driver,
        app,
    };
    let admin = &w.admin;

    // -- weight discrepancy: raised by the weighing, cured by the generator's explanation.
    let d1 = generate(admin, &shop, "900-252-12", 100_000).await;
    let m = w.on_the_road(&shop, YUNAN, &d1).await;
    w.arrive(&d1, &m).await;
    let r = accepted(admin, &yunan, "weigh", json!({"item": d1, "weighed_mass_g": 80_000})).await;
    let weighed_at = r["index"].as_u64().unwrap();
    let a = w.alert("weight_discrepancy", &d1, "open").await;
    assert_eq!(
        (&a["started_seq"], &a["detail"]["weighed_g"]),
        (&json!(weighed_at), &json!(80_000)),
        "{a}"
    );
    let r = accepted(
        admin,
        &shop,
        "explanation",
        json!({"item": d1, "about": weighed_at, "text": "含水率下降"}),
    )
    .await;
    let a = w.alert("weight_discrepancy", &d1, "resolved").await;
    assert_eq!(a["resolved_seq"], r["index"], "resolved by the explanation's entry");
    accepted(
        admin,
        &yunan,
        "receive",
        json!({"item": d1, "decision": "accept", "accepted_mass_g": 80_000, "refused_mass_g": 0}),
    )
    .await;

    // -- outside the permit's scope: Fengyan does not take HW12. The refusal is logged and
    // raises the alert; nothing cures a refused attempt, so the regulator acknowledges it with
    // a note signed by the bureau's device.
    let d0 = generate(admin, &shop, "900-252-12", 10_000).await;
    let r = refused(
        admin,
        &shop,
        "manifest_open",
        json!({"transporters": [carrier], "vehicle_plate": PLATE, "driver_licence": LICENCE,
               "receiver": FENGYAN, "items": [d0], "planned_date": &now_cst()[..10]}),
        StatusCode::FORBIDDEN,
        "permit_scope",
    )
    .await;
    assert_eq!(r["error"], "permit_scope");
    let (_, list) = w.regulator.get("/api/v1/alerts?rule=permit_scope").await;
    let scope_alert = list[0].clone();
    assert_eq!(scope_alert["state"], "open", "{list}");
    let id = scope_alert["id"].as_u64().unwrap();
    // Only a regulator acknowledges, and only an alert that exists.
    refused(
        admin,
        &shop,
        "acknowledge",
        json!({"alert": id, "note": "x"}),
        StatusCode::FORBIDDEN,
        "regulators_only",
    )
    .await;
    refused(
        admin,
        &bureau,
        "acknowledge",
        json!({"alert": 999_999, "note": "x"}),
        StatusCode::NOT_FOUND,
        "unknown_alert",
    )
    .await;
    let r = accepted(
        admin,
        &bureau,
        "acknowledge",
        json!({"alert": id, "note": "已约谈产生单位，改送渝南"}),
    )
    .await;
    let (_, a) = w.regulator.get(&format!("/api/v1/alerts/{id}")).await;
    assert_eq!(
        (&a["state"], &a["acked_seq"]),
        (&json!("acknowledged"), &r["index"]),
        "{a}"
    );

    // -- a revoked key used: the submission is refused and not logged, but raises the alert.
    let spare = Device::generate(&g, "phone-2");
    w.app.login("g-admin").await.register_device(&spare).await;
    let (s, body) = w
        .app
        .login("g-admin")
        .await
        .post(&format!("/api/v1/enterprises/{g}/devices/phone-2/revoke"), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_refused(
        &send_event(admin, &spare, "store", json!({"items": [d0], "storage_place": "库"})).await,
        StatusCode::FORBIDDEN,
        "key_revoked",
    );
    let a = w.alert("key_revoked_use", &format!("{g}/phone-2"), "open").await;
    accepted(
        admin,
        &bureau,
        "acknowledge",
        json!({"alert": a["id"], "note": "已核实：旧手机遗失后被吊销"}),
    )
    .await;
    w.alert("key_revoked_use", &format!("{g}/phone-2"), "acknowledged")
        .await;

    // -- capacity: the small incinerator burns 1.2 t against its 1 t a year.
    let big = generate(admin, &shop, "900-249-08", 1_200_000).await;
    let m = w.on_the_road(&shop, &small, &big).await;
    w.arrive(&big, &m).await;
    receive(admin, &furnace, &big, 1_200_000).await;
    let r = accepted(
        admin,
        &furnace,
        "treat",
        json!({"item": big, "method": "incineration", "treated_mass_g": 1_200_000}),
    )
    .await;
    let year = chrono::Datelike::year(&today);
    let a = w
        .alert("capacity_exceeded", &format!("{small}/incineration/{year}"), "open")
        .await;
    assert_eq!(
        (
            &a["started_seq"],
            &a["detail"]["over_permille"],
            &a["detail"]["reapplication_needed"]
        ),
        (&r["index"], &json!(200), &json!(false)),
        "{a}"
    );
    accepted(
        admin,
        &bureau,
        "acknowledge",
        json!({"alert": a["id"], "note": "责令暂停接收，待重新申领许可"}),
    )
    .await;
    w.alert(
        "capacity_exceeded",
        &format!("{small}/incineration/{year}"),
        "acknowledged",
    )
    .await;
    // It also still holds a drum when its permit runs out.
    let kept = generate(admin, &shop, "900-249-08", 50_000).await;
    let m = w.on_the_road(&shop, &small, &kept).await;
    w.arrive(&kept, &m).await;
    receive(admin, &furnace, &kept, 50_000).await;

    // -- waiting: a bag of infectious waste at the hospital, a drum on the road, a drum at
    // Yunan's gate.
    let bag = generate(admin, &hospital, "841-001-01", 10_000).await;
    let d2 = generate(admin, &shop, "900-252-12", 20_000).await;
    let m2 = w.on_the_road(&shop, YUNAN, &d2).await;
    let d3 = generate(admin, &shop, "900-252-12", 30_000).await;
    let m3 = w.on_the_road(&shop, YUNAN, &d3).await;
    w.arrive(&d3, &m3).await;
    w.later(Duration::hours(47)).await;
    w.none("medical_over_48h", &bag).await;

    // -- 49 hours: the bag is overdue; steam-treating it at Fengyan cures it.
    w.later(Duration::hours(2)).await;
    w.alert("medical_over_48h", &bag, "open").await;
    let mb = w.on_the_road(&hospital, FENGYAN, &bag).await;
    w.arrive(&bag, &mb).await;
    receive(admin, &fengyan, &bag, 10_000).await;
    let r = accepted(
        admin,
        &fengyan,
        "treat",
        json!({"item": bag, "method": "steam", "treated_mass_g": 10_000}),
    )
    .await;
    let a = w.alert("medical_over_48h", &bag, "resolved").await;
    assert_eq!(a["resolved_seq"], r["index"]);

    // -- 73 hours: d2 has been on the road too long; arriving cures it.
    w.later(Duration::hours(24)).await;
    w.alert("transit_too_long", &d2, "open").await;
    let arrived = w.arrive(&d2, &m2).await;
    assert_eq!(
        w.alert("transit_too_long", &d2, "resolved").await["resolved_seq"],
        json!(arrived)
    );

    // -- ten days: d3 waits at the gate past 5 working days; receiving it cures it. The small
    // incinerator's permit has expired while it holds a drum; a renewed permit cures that.
    w.later(Duration::days(7)).await;
    let a = w.alert("receipt_overdue", &d3, "open").await;
    assert!(a["detail"]["receiver_due"].is_string(), "{a}");
    let received = receive(admin, &yunan, &d3, 30_000).await;
    assert_eq!(
        w.alert("receipt_overdue", &d3, "resolved").await["resolved_seq"],
        json!(received)
    );
    w.alert("permit_expired", "CQWF-TEST-001", "open").await;
    let renewed = today + Duration::days(1);
    let (s, body) = admin
        .post(
            &format!("/api/v1/enterprises/{small}/permits"),
            permit("CQWF-TEST-002", renewed, renewed + Duration::days(3650)),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    w.later(Duration::minutes(1)).await;
    w.alert("permit_expired", "CQWF-TEST-001", "resolved").await;

    // -- a year on: d1 has lain in Yunan's store for over a year; treating it cures it.
    w.later(Duration::days(356)).await;
    w.alert("storage_over_year", &d1, "open").await;
    let r = accepted(
        admin,
        &yunan,
        "treat",
        json!({"item": d1, "method": "incineration", "treated_mass_g": 80_000}),
    )
    .await;
    assert_eq!(
        w.alert("storage_over_year", &d1, "resolved").await["resolved_seq"],
        r["index"]
    );

    // -- the log's integrity: a row changed behind the service's back is found by its
    // self-audit; put back, the next self-audit resolves the alert.
    let db = w.app.state.config.db_path.clone();
    let tamper = |sql: &str| {
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute(sql, [kept.as_str()])
            .unwrap()
    };
    tamper("UPDATE items SET mass_g = mass_g + 1 WHERE code = ?1");
    let (s, audit) = admin.post("/api/v1/alerts/self-audit", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    assert!(audit["findings"].as_u64().unwrap() > 0, "{audit}");
    let (_, list) = w.regulator.get("/api/v1/alerts?rule=log_integrity&state=open").await;
    // Integrity alerts belong to no district: administrators see them.
    assert!(list.as_array().unwrap().is_empty(), "{list}");
    let (_, list) = admin.get("/api/v1/alerts?rule=log_integrity&state=open").await;
    assert!(
        list[0]["detail"]["message"].as_str().unwrap().contains("mass_g"),
        "{list}"
    );
    tamper("UPDATE items SET mass_g = mass_g - 1 WHERE code = ?1");
    let (_, audit) = admin.post("/api/v1/alerts/self-audit", json!({})).await;
    assert_eq!(audit["findings"], 0, "{audit}");
    let (_, list) = admin.get("/api/v1/alerts?rule=log_integrity&state=open").await;
    assert!(list.as_array().unwrap().is_empty(), "{list}");

    // Who sees alerts: the bureau's own users (whose devices acknowledge) its district's; a
    // Qijiang regulator none of Wansheng's; an enterprise none at all.
    let (s, list) = w
        .app
        .login("eeb-admin")
        .await
        .get("/api/v1/alerts?rule=permit_scope")
        .await;
    assert_eq!((s, list.as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{list}");
    w.app.user("qijiang-reg", "regulator", None, Some("qijiang")).await;
    let (_, list) = w.app.login("qijiang-reg").await.get("/api/v1/alerts").await;
    assert!(list.as_array().unwrap().is_empty(), "{list}");
    assert_refused(
        &w.app.login("g-admin").await.get("/api/v1/alerts").await,
        StatusCode::FORBIDDEN,
        "regulators_only",
    );
    assert_refused(
        &w.app
            .login("g-admin")
            .await
            .post("/api/v1/alerts/sweep", json!({}))
            .await,
        StatusCode::FORBIDDEN,
        "admin_only",
    );
    w.app.stop().await;
}

/// A device time for the service's clock: RFC 3339 in China Standard Time.
fn cst(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .to_rfc3339()
}

/// The story's actors on a manual clock: each event is signed at the clock's time.
struct Late {
    app: TestApp,
    clock: Clock,
    admin: Client,
    regulator: Client,
    carrier: String,
    driver: Device,
}

impl Late {
    async fn at(&self, d: &Device, kind: &str, fields: Value) -> u64 {
        let r = common::custody::accepted_at(&self.admin, d, &cst(self.clock.now()), kind, fields).await;
        r["index"].as_u64().unwrap()
    }

    async fn generate(&self, d: &Device, waste: &str, g: u64) -> String {
        let r = common::custody::accepted_at(
            &self.admin,
            d,
            &cst(self.clock.now()),
            "generate",
            generate_fields(waste, g, "solid", &["T"], 200),
        )
        .await;
        r["item_code"].as_str().unwrap().to_owned()
    }

    /// Books `item` from `shop` to `receiver`, released and accepted by the carrier now.
    async fn on_the_road(&self, shop: &Device, receiver: &str, item: &str) -> String {
        let r = common::custody::accepted_at(
            &self.admin,
            shop,
            &cst(self.clock.now()),
            "manifest_open",
            json!({"transporters": [self.carrier], "vehicle_plate": PLATE, "driver_licence": LICENCE,
                   "receiver": receiver, "items": [item], "planned_date": &cst(self.clock.now())[..10]}),
        )
        .await;
        let m = r["manifest_no"].as_str().unwrap().to_owned();
        self.at(
            shop,
            "release",
            json!({"items": [item], "to": self.carrier, "manifest": m}),
        )
        .await;
        self.at(&self.driver, "accept", json!({"items": [item], "manifest": m}))
            .await;
        m
    }

    /// The one alert of `rule` for `subject`, as the district's regulator sees it.
    async fn alert(&self, rule: &str, subject: &str) -> Value {
        let (s, list) = self.regulator.get(&format!("/api/v1/alerts?rule={rule}")).await;
        assert_eq!(s, StatusCode::OK, "{list}");
        let found: Vec<&Value> = list
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["subject"] == subject)
            .collect();
        assert_eq!(found.len(), 1, "{rule} {subject}: {list}");
        found[0].clone()
    }

    fn later(&self, by: Duration) -> chrono::DateTime<chrono::Utc> {
        self.clock.set(self.clock.now() + by);
        self.clock.now()
    }
}

/// Asserts that `a` began at `started` and was opened and resolved by the entry `seq` that
/// ended it at `ended`.
fn opened_and_resolved_by(
    a: &Value,
    started: chrono::DateTime<chrono::Utc>,
    seq: u64,
    ended: chrono::DateTime<chrono::Utc>,
) {
    let t = |x| hwtrace::time::rfc3339(x);
    assert_eq!(
        (
            &a["state"],
            &a["started_at"],
            &a["resolved_at"],
            &a["started_seq"],
            &a["resolved_seq"]
        ),
        (
            &json!("resolved"),
            &json!(t(started)),
            &json!(t(ended)),
            &json!(seq),
            &json!(seq)
        ),
        "{a}"
    );
}

#[tokio::test]
async fn a_time_limit_broken_by_an_item_closed_before_any_sweep_is_alerted() {
    let dir = tempfile::tempdir().unwrap();
    // A Monday morning in 2026, within the seeded permits' validity for the next 400 days.
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-03-02T01:00:00Z")
        .unwrap()
        .to_utc();
    let clock = Clock::manual(t0);
    let config = Config {
        clock: clock.clone(),
        ..Config::with_db(dir.path().join("hwtrace.db"))
    };
    let app = start_with(config, dir).await;
    let admin = app.admin().await;
    let (shop_u, hospital_u, carrier) = (
        uscc("91500110MA6LTG001"),
        uscc("12500110MB6LTH001"),
        uscc("91500110MA6LTT001"),
    );
    add_enterprise(&admin, &shop_u, "generator", "wansheng").await;
    add_enterprise(&admin, &hospital_u, "generator", "wansheng").await;
    add_enterprise(&admin, &carrier, "transporter", "wansheng").await;
    let shop = add_admin_with_device(&app, "g-admin", &shop_u, "phone-1").await;
    let hospital = add_admin_with_device(&app, "h-admin", &hospital_u, "phone-1").await;
    let driver = add_admin_with_device(&app, "t-admin", &carrier, "driver-1").await;
    let yunan = add_admin_with_device(&app, "y-admin", YUNAN, "gate-1").await;
    let fengyan = add_admin_with_device(&app, "f-admin", FENGYAN, "gate-1").await;
    add_fleet(
        &admin,
        &carrier,
        Fleet {
            plate: PLATE,
            vehicle_type: "van",
            driver: ("褚师傅", LICENCE, "13800000009"),
        },
    )
    .await;
    app.user("wansheng-reg", "regulator", None, Some("wansheng")).await;
    let regulator = app.login("wansheng-reg").await;
    let w = Late {
        app,
        clock,
        admin,
        regulator,
        carrier,
        driver,
    };

    // -- medical: a bag sealed at t0 by a ward phone with no signal reaches the log 10 hours
    // later, Fengyan an hour after that, and is steamed 49 hours after it was sealed; the
    // treatment closes it late. The 48 hours run from the sealing the hospital signed, not from
    // the late registration (which would have put the limit at t0 + 58 h and missed it).
    w.later(Duration::hours(10));
    let r = common::custody::accepted_at(
        &w.admin,
        &hospital,
        &cst(t0),
        "generate",
        generate_fields("841-001-01", 10_000, "solid", &["T"], 200),
    )
    .await;
    let bag = r["item_code"].as_str().unwrap().to_owned();
    w.later(Duration::hours(1));
    let m = w.on_the_road(&hospital, FENGYAN, &bag).await;
    w.at(&w.driver, "arrive", json!({"items": [bag], "manifest": m})).await;
    w.at(&fengyan, "weigh", json!({"item": bag, "weighed_mass_g": 10_000}))
        .await;
    w.at(
        &fengyan,
        "receive",
        json!({"item": bag, "decision": "accept", "accepted_mass_g": 10_000, "refused_mass_g": 0}),
    )
    .await;
    let treated_at = w.later(Duration::hours(38));
    assert_eq!(treated_at, t0 + Duration::hours(49));
    let seq = w
        .at(
            &fengyan,
            "treat",
            json!({"item": bag, "method": "steam", "treated_mass_g": 10_000}),
        )
        .await;
    opened_and_resolved_by(
        &w.alert("medical_over_48h", &bag).await,
        t0 + Duration::hours(48),
        seq,
        treated_at,
    );

    // -- transit: a drum accepted by the carrier arrives 96 hours later.
    let drum = w.generate(&shop, "900-252-12", 100_000).await;
    let kept = w.generate(&shop, "900-252-12", 40_000).await;
    let kept_since = w.clock.now();
    let m = w.on_the_road(&shop, YUNAN, &drum).await;
    let accepted_at = w.clock.now();
    let arrived_at = w.later(Duration::hours(96));
    let seq = w.at(&w.driver, "arrive", json!({"items": [drum], "manifest": m})).await;
    opened_and_resolved_by(
        &w.alert("transit_too_long", &drum).await,
        accepted_at + Duration::hours(72),
        seq,
        arrived_at,
    );

    // -- receipt: weighed on arrival, but received ten days later, past the 5th working day.
    w.at(&yunan, "weigh", json!({"item": drum, "weighed_mass_g": 100_000}))
        .await;
    let received_at = w.later(Duration::days(10));
    let seq = w
        .at(
            &yunan,
            "receive",
            json!({"item": drum, "decision": "accept", "accepted_mass_g": 100_000, "refused_mass_g": 0}),
        )
        .await;
    let due = w
        .app
        .state
        .calendar()
        .add_working_days(hwtrace::time::cst_date(arrived_at), 5);
    opened_and_resolved_by(
        &w.alert("receipt_overdue", &drum).await,
        hwtrace::service::reconcile::day_start(due + Duration::days(1)),
        seq,
        received_at,
    );

    // -- storage: Yunan incinerates the drum 370 days after receiving it.
    let burnt_at = w.later(Duration::days(370));
    let seq = w
        .at(
            &yunan,
            "treat",
            json!({"item": drum, "method": "incineration", "treated_mass_g": 100_000}),
        )
        .await;
    opened_and_resolved_by(
        &w.alert("storage_over_year", &drum).await,
        received_at + Duration::days(365),
        seq,
        burnt_at,
    );

    // -- storage applies to every holder: the shop's own drum, in its store for over a year,
    // is found by the sweep.
    let (s, body) = w.admin.post("/api/v1/alerts/sweep", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let a = w.alert("storage_over_year", &kept).await;
    assert_eq!(
        (
            &a["state"],
            &a["started_at"],
            &a["detail"]["holder"],
            &a["detail"]["licensed_holder"]
        ),
        (
            &json!("open"),
            &json!(hwtrace::time::rfc3339(kept_since + Duration::days(365))),
            &json!(shop_u),
            &json!(false)
        ),
        "{a}"
    );
    w.app.stop().await;
}
