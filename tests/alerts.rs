//! Every alert of PRODUCT.md raised, then resolved by the event that cures it (or, where no
//! event can, acknowledged by a regulator's signed note). The service runs on a manual clock
//! that the test moves forward by hours, days and a year; the sweep is triggered by hand
//! instead of waiting for its minute.

mod common;

use chrono::Duration;
use common::cast::{index_of, Cast};
use common::custody::{accepted, refused, send_event, Fleet};
use common::{assert_refused, now_cst, start_with, TestApp, YUNAN};
use hwtrace::client::generate_fields;
use hwtrace::config::Config;
use hwtrace::time::Clock;
use reqwest::StatusCode;
use serde_json::{json, Value};

const FENGYAN: &str = "12500110MB1FY0001C";
/// The Wansheng ecology and environment bureau (seeded, role regulator).
const WANSHENG_EEB: &str = "11500110MB0WAEE01L";

fn van() -> Fleet {
    Fleet::van("渝D99990", "500110199409091234")
}

/// The story on the service's manual clock, seen by the district's regulator.
struct World {
    app: TestApp,
    clock: Clock,
    cast: Cast,
}

impl World {
    /// Moves the service's clock forward; answers the new time.
    fn later(&self, by: Duration) -> chrono::DateTime<chrono::Utc> {
        self.clock.set(self.clock.now() + by);
        self.clock.now()
    }

    /// Runs the sweep, as the service does every minute.
    async fn sweep(&self) {
        let (s, body) = self.cast.admin.post("/api/v1/alerts/sweep", json!({})).await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }

    /// Moves the service's clock forward and runs the sweep.
    async fn later_and_sweep(&self, by: Duration) {
        self.later(by);
        self.sweep().await;
    }

    /// The alerts of `rule` for `subject`, as the district's regulator sees them.
    async fn alerts(&self, rule: &str, subject: &str) -> Vec<Value> {
        let list = self
            .cast
            .user("wansheng-reg")
            .get_ok(&format!("/api/v1/alerts?rule={rule}"))
            .await;
        list.as_array()
            .unwrap()
            .iter()
            .filter(|a| a["subject"] == subject)
            .cloned()
            .collect()
    }

    /// The one alert of `rule` for `subject`.
    async fn the_alert(&self, rule: &str, subject: &str) -> Value {
        let found = self.alerts(rule, subject).await;
        assert_eq!(found.len(), 1, "{rule} {subject}: {found:?}");
        found[0].clone()
    }

    /// The one alert of `rule` for `subject`, which must be in `state`.
    async fn alert(&self, rule: &str, subject: &str, state: &str) -> Value {
        let found = self.the_alert(rule, subject).await;
        assert_eq!(found["state"], state, "{found:?}");
        found
    }

    async fn none(&self, rule: &str, subject: &str) {
        assert!(self.alerts(rule, subject).await.is_empty(), "{rule} {subject}");
    }

    /// `party` registers an item of `waste`, `g` grams; answers its code.
    async fn generate(&self, party: &str, waste: &str, g: u64) -> String {
        self.cast
            .generate(party, generate_fields(waste, g, "solid", &["T"], 1000))
            .await
    }

    /// `gate` treats `item` whole by `method`; answers the entry's index.
    async fn treat(&self, gate: &str, item: &str, method: &str, g: u64) -> u64 {
        let fields = json!({"item": item, "method": method, "treated_mass_g": g});
        index_of(&self.cast.accepted(gate, "treat", fields).await)
    }
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
    // A small incinerator licensed for 1 t a year, its permit ending in two days.
    let today = chrono::NaiveDate::parse_from_str(&now_cst()[..10], "%Y-%m-%d").unwrap();
    let permit = |number: &str, from: chrono::NaiveDate, until: chrono::NaiveDate| {
        json!({"number": number, "valid_from": from.to_string(), "valid_until": until.to_string(),
               "waste_codes": ["HW08", "HW12"], "capacities": [{"method": "incineration", "capacity_t_per_year": 1}],
               "landfill_volume_m3": null})
    };
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA6ALG001")
        .devices(2)
        .generator("hospital", "12500110MB6ALH001")
        .transporter("carrier", "91500110MA6ALT001", van())
        .facility("small", "91500110MA6ALF001")
        .permit(permit(
            "CQWF-TEST-001",
            today - Duration::days(30),
            today + Duration::days(2),
        ))
        .seeded("yunan", YUNAN)
        .seeded("fengyan", FENGYAN)
        .seeded("eeb", WANSHENG_EEB)
        .regulator("wansheng-reg", "wansheng")
        .regulator("qijiang-reg", "qijiang")
        .build()
        .await;
    let w = World { app, clock, cast };
    let (cast, admin) = (&w.cast, &w.cast.admin);
    let (shop, bureau) = (&cast["shop"].device, &cast["eeb"].device);
    let (g, small) = (&cast["shop"].uscc, &cast["small"].uscc);

    // -- weight discrepancy: raised by the weighing, cured by the generator's explanation.
    let d1 = w.generate("shop", "900-252-12", 100_000).await;
    let m = cast.on_the_road("shop", "carrier", "yunan", &[&d1]).await;
    cast.arrive("carrier", &[&d1], &m).await;
    let weighed_at = cast.weigh("yunan", &d1, 80_000).await;
    let a = w.alert("weight_discrepancy", &d1, "open").await;
    assert_eq!(
        (&a["started_seq"], &a["detail"]["weighed_g"]),
        (&json!(weighed_at), &json!(80_000)),
        "{a}"
    );
    let r = accepted(
        admin,
        shop,
        "explanation",
        json!({"item": d1, "about": weighed_at, "text": "含水率下降"}),
    )
    .await;
    let a = w.alert("weight_discrepancy", &d1, "resolved").await;
    assert_eq!(a["resolved_seq"], r["index"], "resolved by the explanation's entry");
    cast.accept_whole("yunan", &d1, 80_000).await;

    // -- outside the permit's scope: Fengyan does not take HW12. The refusal is logged and
    // raises the alert; nothing cures a refused attempt, so the regulator acknowledges it with
    // a note signed by the bureau's device.
    let d0 = w.generate("shop", "900-252-12", 10_000).await;
    let r = refused(
        admin,
        shop,
        "manifest_open",
        cast.manifest("carrier", FENGYAN, &[&d0]),
        StatusCode::FORBIDDEN,
        "permit_scope",
    )
    .await;
    assert_eq!(r["error"], "permit_scope");
    let regulator = cast.user("wansheng-reg");
    let (_, list) = regulator.get("/api/v1/alerts?rule=permit_scope").await;
    let scope_alert = list[0].clone();
    assert_eq!(scope_alert["state"], "open", "{list}");
    let id = scope_alert["id"].as_u64().unwrap();
    // Only a regulator acknowledges, and only an alert that exists.
    refused(
        admin,
        shop,
        "acknowledge",
        json!({"alert": id, "note": "x"}),
        StatusCode::FORBIDDEN,
        "regulators_only",
    )
    .await;
    refused(
        admin,
        bureau,
        "acknowledge",
        json!({"alert": 999_999, "note": "x"}),
        StatusCode::NOT_FOUND,
        "unknown_alert",
    )
    .await;
    let r = accepted(
        admin,
        bureau,
        "acknowledge",
        json!({"alert": id, "note": "已约谈产生单位，改送渝南"}),
    )
    .await;
    let (_, a) = regulator.get(&format!("/api/v1/alerts/{id}")).await;
    assert_eq!(
        (&a["state"], &a["acked_seq"]),
        (&json!("acknowledged"), &r["index"]),
        "{a}"
    );

    // -- a revoked key used: the submission is refused and not logged, but raises the alert.
    let (shop_admin, spare) = (&cast["shop"].client, &cast["shop"].spares[0]);
    let (s, body) = shop_admin
        .post(
            &format!("/api/v1/enterprises/{g}/devices/{}/revoke", spare.device),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_refused(
        &send_event(admin, spare, "store", json!({"items": [d0], "storage_place": "库"})).await,
        StatusCode::FORBIDDEN,
        "key_revoked",
    );
    let revoked = spare.key_name();
    let a = w.alert("key_revoked_use", &revoked, "open").await;
    accepted(
        admin,
        bureau,
        "acknowledge",
        json!({"alert": a["id"], "note": "已核实：旧手机遗失后被吊销"}),
    )
    .await;
    w.alert("key_revoked_use", &revoked, "acknowledged").await;

    // -- capacity: the small incinerator burns 1.2 t against its 1 t a year.
    let big = w.generate("shop", "900-249-08", 1_200_000).await;
    cast.deliver("shop", "carrier", "small", &[(&big, 1_200_000)]).await;
    let treated = w.treat("small", &big, "incineration", 1_200_000).await;
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
        (&json!(treated), &json!(200), &json!(false)),
        "{a}"
    );
    accepted(
        admin,
        bureau,
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
    let kept = w.generate("shop", "900-249-08", 50_000).await;
    cast.deliver("shop", "carrier", "small", &[(&kept, 50_000)]).await;

    // -- waiting: a bag of infectious waste at the hospital, a drum on the road, a drum at
    // Yunan's gate.
    let bag = w.generate("hospital", "841-001-01", 10_000).await;
    let d2 = w.generate("shop", "900-252-12", 20_000).await;
    let m2 = cast.on_the_road("shop", "carrier", "yunan", &[&d2]).await;
    let d3 = w.generate("shop", "900-252-12", 30_000).await;
    let m3 = cast.on_the_road("shop", "carrier", "yunan", &[&d3]).await;
    cast.arrive("carrier", &[&d3], &m3).await;
    w.later_and_sweep(Duration::hours(47)).await;
    w.none("medical_over_48h", &bag).await;

    // -- 49 hours: the bag is overdue; steam-treating it at Fengyan cures it.
    w.later_and_sweep(Duration::hours(2)).await;
    w.alert("medical_over_48h", &bag, "open").await;
    cast.deliver("hospital", "carrier", "fengyan", &[(&bag, 10_000)]).await;
    let treated = w.treat("fengyan", &bag, "steam", 10_000).await;
    let a = w.alert("medical_over_48h", &bag, "resolved").await;
    assert_eq!(a["resolved_seq"], treated);

    // -- 73 hours: d2 has been on the road too long; arriving cures it.
    w.later_and_sweep(Duration::hours(24)).await;
    w.alert("transit_too_long", &d2, "open").await;
    let arrived = cast.arrive("carrier", &[&d2], &m2).await;
    assert_eq!(
        w.alert("transit_too_long", &d2, "resolved").await["resolved_seq"],
        json!(arrived)
    );

    // -- ten days: d3 waits at the gate past 5 working days; receiving it cures it. The small
    // incinerator's permit has expired while it holds a drum; a renewed permit cures that.
    w.later_and_sweep(Duration::days(7)).await;
    let a = w.alert("receipt_overdue", &d3, "open").await;
    assert!(a["detail"]["receiver_due"].is_string(), "{a}");
    let received = cast.receive("yunan", &d3, 30_000).await;
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
    w.later_and_sweep(Duration::minutes(1)).await;
    w.alert("permit_expired", "CQWF-TEST-001", "resolved").await;

    // -- a year on: d1 has lain in Yunan's store for over a year; treating it cures it.
    w.later_and_sweep(Duration::days(356)).await;
    w.alert("storage_over_year", &d1, "open").await;
    let treated = w.treat("yunan", &d1, "incineration", 80_000).await;
    assert_eq!(
        w.alert("storage_over_year", &d1, "resolved").await["resolved_seq"],
        treated
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
    let (_, list) = regulator.get("/api/v1/alerts?rule=log_integrity&state=open").await;
    // Integrity alerts concern the whole log: every district's regulators see them.
    assert!(
        list[0]["detail"]["message"].as_str().unwrap().contains("mass_g"),
        "{list}"
    );
    let (_, list) = cast
        .user("qijiang-reg")
        .get("/api/v1/alerts?rule=log_integrity&state=open")
        .await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
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
    // Qijiang regulator none of Wansheng's (only the log's integrity, everyone's); an
    // enterprise none at all.
    let (s, list) = cast["eeb"].client.get("/api/v1/alerts?rule=permit_scope").await;
    assert_eq!((s, list.as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{list}");
    let (_, list) = cast.user("qijiang-reg").get("/api/v1/alerts").await;
    assert!(
        list.as_array().unwrap().iter().all(|a| a["rule"] == "log_integrity"),
        "{list}"
    );
    assert_refused(
        &shop_admin.get("/api/v1/alerts").await,
        StatusCode::FORBIDDEN,
        "regulators_only",
    );
    assert_refused(
        &shop_admin.post("/api/v1/alerts/sweep", json!({})).await,
        StatusCode::FORBIDDEN,
        "admin_only",
    );
    w.app.stop().await;
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
    // Every event is signed at the clock's time.
    let cast = Cast::on(&app)
        .clock(&clock)
        .generator("shop", "91500110MA6LTG001")
        .generator("hospital", "12500110MB6LTH001")
        .transporter("carrier", "91500110MA6LTT001", van())
        .seeded("yunan", YUNAN)
        .seeded("fengyan", FENGYAN)
        .regulator("wansheng-reg", "wansheng")
        .build()
        .await;
    let w = World { app, clock, cast };
    let cast = &w.cast;

    // -- medical: a bag sealed at t0 by a ward phone with no signal reaches the log 10 hours
    // later, Fengyan an hour after that, and is steamed 49 hours after it was sealed; the
    // treatment closes it late. The 48 hours run from the sealing the hospital signed, not from
    // the late registration (which would have put the limit at t0 + 58 h and missed it).
    w.later(Duration::hours(10));
    let r = common::custody::accepted_at(
        &cast.admin,
        &cast["hospital"].device,
        &common::cst(t0),
        "generate",
        generate_fields("841-001-01", 10_000, "solid", &["T"], 200),
    )
    .await;
    let bag = r["item_code"].as_str().unwrap().to_owned();
    w.later(Duration::hours(1));
    let m = cast.on_the_road("hospital", "carrier", "fengyan", &[&bag]).await;
    cast.arrive("carrier", &[&bag], &m).await;
    cast.receive("fengyan", &bag, 10_000).await;
    let treated_at = w.later(Duration::hours(38));
    assert_eq!(treated_at, t0 + Duration::hours(49));
    let seq = w.treat("fengyan", &bag, "steam", 10_000).await;
    opened_and_resolved_by(
        &w.the_alert("medical_over_48h", &bag).await,
        t0 + Duration::hours(48),
        seq,
        treated_at,
    );

    // -- transit: a drum accepted by the carrier arrives 96 hours later.
    let drum = w.generate("shop", "900-252-12", 100_000).await;
    let kept = w.generate("shop", "900-252-12", 40_000).await;
    let kept_since = w.clock.now();
    let m = cast.on_the_road("shop", "carrier", "yunan", &[&drum]).await;
    let accepted_at = w.clock.now();
    let arrived_at = w.later(Duration::hours(96));
    let seq = cast.arrive("carrier", &[&drum], &m).await;
    opened_and_resolved_by(
        &w.the_alert("transit_too_long", &drum).await,
        accepted_at + Duration::hours(72),
        seq,
        arrived_at,
    );

    // -- receipt: weighed on arrival, but received ten days later, past the 5th working day.
    cast.weigh("yunan", &drum, 100_000).await;
    let received_at = w.later(Duration::days(10));
    let seq = cast.accept_whole("yunan", &drum, 100_000).await;
    let due = w
        .app
        .state
        .calendar()
        .add_working_days(hwtrace::time::cst_date(arrived_at), 5);
    opened_and_resolved_by(
        &w.the_alert("receipt_overdue", &drum).await,
        hwtrace::service::reconcile::day_start(due + Duration::days(1)),
        seq,
        received_at,
    );

    // -- storage: Yunan incinerates the drum 370 days after receiving it.
    let burnt_at = w.later(Duration::days(370));
    let seq = w.treat("yunan", &drum, "incineration", 100_000).await;
    opened_and_resolved_by(
        &w.the_alert("storage_over_year", &drum).await,
        received_at + Duration::days(365),
        seq,
        burnt_at,
    );

    // -- storage applies to every holder: the shop's own drum, in its store for over a year,
    // is found by the sweep.
    w.sweep().await;
    let a = w.the_alert("storage_over_year", &kept).await;
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
            &json!(cast["shop"].uscc),
            &json!(false)
        ),
        "{a}"
    );
    w.app.stop().await;
}
