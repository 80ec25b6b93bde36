//! Reconciliation arithmetic on a hand-built district with known answers. A paint shop
//! registers three drums (100 kg, 200 kg, 50 kg) and a hospital a 10 kg bag of infectious
//! waste. Drum A goes to Yunan, weighs 98 kg there, is received and incinerated; drum B is
//! received and waits in Yunan's store; drum C stays at the shop; the bag is steam-treated
//! at Fengyan. Every figure below is worked out by hand from those facts.

mod common;

use chrono::Datelike;
use common::cast::{index_of, Cast};
use common::custody::{accepted, Fleet};
use common::{assert_refused, now_cst, spawn_app_at, spawn_app_with_db, Client, YUNAN};
use hwtrace::client::generate_fields;
use reqwest::StatusCode;
use serde_json::{json, Value};

const FENGYAN: &str = "12500110MB1FY0001C";
/// The seeded cement kiln.
const NANTONG: &str = "91500110MA61NTHB7C";

fn van() -> Fleet {
    Fleet::van("渝D88888", "500110199308081234")
}

#[tokio::test]
async fn the_figures_of_a_small_district_match_the_hand_worked_answers() {
    let (app, db) = spawn_app_with_db().await;
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA6PTR001")
        .generator("hospital", "12500110MB6HPT001")
        .transporter("carrier", "91500110MA6TRN036", van())
        .seeded("yunan", YUNAN)
        .seeded("fengyan", FENGYAN)
        .regulator("qijiang-reg", "qijiang")
        .build()
        .await;
    let (admin, yunan, fengyan) = (&cast.admin, &cast["yunan"].device, &cast["fengyan"].device);
    let shop_u = &cast["shop"].uscc;

    let mut drums = Vec::new();
    for mass in [100_000u64, 200_000, 50_000] {
        let fields = generate_fields("900-252-12", mass, "liquid", &["T", "I"], 200);
        drums.push(cast.generate("shop", fields).await);
    }
    let bag = cast
        .generate("hospital", generate_fields("841-001-01", 10_000, "solid", &["In"], 50))
        .await;

    cast.deliver("shop", "carrier", "yunan", &[(&drums[0], 98_000)]).await;
    accepted(
        admin,
        yunan,
        "treat",
        json!({"item": drums[0], "method": "incineration", "treated_mass_g": 98_000}),
    )
    .await;
    cast.deliver("shop", "carrier", "yunan", &[(&drums[1], 200_000)]).await;
    cast.deliver("hospital", "carrier", "fengyan", &[(&bag, 10_000)]).await;
    accepted(
        admin,
        fengyan,
        "treat",
        json!({"item": bag, "method": "steam", "treated_mass_g": 10_000}),
    )
    .await;

    // Yunan today: received A (98 kg) and B (200 kg); incinerated A; B in store.
    let today = chrono::NaiveDate::parse_from_str(&now_cst()[..10], "%Y-%m-%d").unwrap();
    let r = admin
        .get_ok(&format!("/api/v1/reconciliation/facilities/{YUNAN}?date={today}"))
        .await;
    assert_eq!(
        (&r["received_ytd_g"], &r["received_ytd_items"]),
        (&json!(298_000), &json!(2)),
        "{r}"
    );
    let incineration = r["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["method"] == "incineration")
        .unwrap();
    let (day, days) = (today.ordinal() as u64, if today.leap_year() { 366 } else { 365 });
    let capacity: u64 = 30_000 * 1_000_000;
    let prorated = capacity * day / days;
    assert_eq!(
        (
            &incineration["capacity_g"],
            &incineration["treated_ytd_g"],
            &incineration["prorated_capacity_g"]
        ),
        (&json!(capacity), &json!(98_000), &json!(prorated)),
        "{r}"
    );
    assert_eq!(incineration["projected_year_g"], json!(98_000 * days / day));
    assert_eq!(
        incineration["days_of_capacity_left"],
        json!((capacity - 98_000) * day / 98_000)
    );
    assert_eq!(
        r["inventory"],
        json!([{"waste_code": "900-252-12", "items": 1, "mass_g": 200_000}])
    );
    assert_eq!(r["oldest_in_store"]["item"], drums[1].as_str());
    assert_eq!(
        r["landfill"],
        json!({"licensed_m3": 400_000, "used_l": 0, "remaining_l": 400_000_000, "used_permille": 0})
    );
    // The day before anything happened, Yunan had received nothing and held nothing.
    let before = admin
        .get_ok(&format!(
            "/api/v1/reconciliation/facilities/{YUNAN}?date={}",
            today.pred_opt().unwrap()
        ))
        .await;
    assert_eq!(
        (&before["received_ytd_g"], &before["inventory_g"]),
        (&json!(0), &json!(0)),
        "{before}"
    );

    // Disposal rates of this year's cohort in Wansheng: industrial 350 kg generated, A's
    // 100 kg disposed (285 ‰), B's 200 kg at a facility, C's 50 kg at the shop; medical 10 kg,
    // all disposed (1000 ‰).
    let year_start = format!("{}-01-01", today.year());
    let q = format!("from={year_start}&to={today}&district=wansheng");
    let d = admin
        .get_ok(&format!("/api/v1/indicators/disposal?{q}&by=generator"))
        .await;
    assert_eq!(
        d["industrial"],
        json!({"items": 3, "generated_g": 350_000, "treated_g": 100_000, "at_generator_g": 50_000,
               "in_transit_g": 0, "at_facility_g": 200_000, "lost_g": 0, "disposal_permille": 285}),
        "{d}"
    );
    assert_eq!(d["medical"]["disposal_permille"], 1000, "{d}");
    let groups = d["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{d}");
    assert!(d["definition_zh"].as_str().unwrap().contains("处置率"));

    // Mass balance: 360 kg generated = 50 at the shop + 200 at Yunan + 98 + 10 treated + the
    // 2 kg weighing difference of drum A, listed item by item.
    let b = admin.get_ok(&format!("/api/v1/indicators/mass-balance?{q}")).await;
    assert_eq!(
        (
            &b["generated_g"],
            &b["at_generator_g"],
            &b["at_facility_g"],
            &b["treated_g"],
            &b["weighing_g"],
            &b["difference_g"],
            &b["closes"]
        ),
        (
            &json!(360_000),
            &json!(50_000),
            &json!(200_000),
            &json!(108_000),
            &json!(2_000),
            &json!(0),
            &json!(true)
        ),
        "{b}"
    );
    assert_eq!(b["lines"].as_array().unwrap().len(), 1, "{b}");
    assert_eq!(b["lines"][0]["item"], drums[0].as_str());

    // Who sees what: a Qijiang regulator not Wansheng's figures; an enterprise no district
    // figures; the public page without login, without enterprise-private data.
    let qijiang = cast.user("qijiang-reg");
    assert_refused(
        &qijiang.get(&format!("/api/v1/indicators/disposal?{q}")).await,
        StatusCode::FORBIDDEN,
        "not_your_district",
    );
    let shop_admin = &cast["shop"].client;
    assert_refused(
        &shop_admin.get("/api/v1/indicators/mass-balance").await,
        StatusCode::FORBIDDEN,
        "regulators_only",
    );
    assert_refused(
        &shop_admin
            .get(&format!("/api/v1/reconciliation/facilities/{YUNAN}"))
            .await,
        StatusCode::FORBIDDEN,
        "not_your_enterprise",
    );
    let public = app.anonymous();
    let list = public.get_ok(&format!("/api/v1/public/facilities?date={today}")).await;
    let yunan_public = list.as_array().unwrap().iter().find(|f| f["uscc"] == YUNAN).unwrap();
    assert_eq!(yunan_public["reconciliation"]["received_ytd_g"], 298_000);
    let page = reqwest::get(format!("{}/public/facilities?date={today}", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("渝南循环经济项目"), "{page}");
    assert!(
        !page.contains(shop_u.as_str()) && !page.contains(&drums[0]),
        "no private data"
    );
    app.stop().await;

    // The same reconciliation from the command line, as a table.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hwtrace"))
        .args([
            "reconcile",
            "--db",
            db.to_str().unwrap(),
            "--facility",
            YUNAN,
            "--date",
            &today.to_string(),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text} {}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.contains("received this year: 0.2 t in 2 items; on site: 0.2 t"),
        "{text}"
    );
    assert!(
        text.contains("incineration") && text.contains("30000.0") && text.contains("900-252-12"),
        "{text}"
    );
}

/// A district on a manual clock: a shop, a hospital and a carrier, with Yunan's and Fengyan's
/// gates and the cement kiln; every event is signed at the clock's time.
struct Timed {
    app: common::TestApp,
    clock: hwtrace::time::Clock,
    cast: Cast,
}

impl Timed {
    /// Starts the service at 09:00 CST on Monday 2 March 2026.
    async fn start() -> Timed {
        let dir = tempfile::tempdir().unwrap();
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-03-02T01:00:00Z")
            .unwrap()
            .to_utc();
        let clock = hwtrace::time::Clock::manual(t0);
        let config = hwtrace::config::Config {
            clock: clock.clone(),
            ..hwtrace::config::Config::with_db(dir.path().join("hwtrace.db"))
        };
        let app = common::start_with(config, dir).await;
        let cast = Cast::on(&app)
            .clock(&clock)
            .generator("shop", "91500110MA6PTR002")
            .generator("hospital", "12500110MB6HPT002")
            .transporter("carrier", "91500110MA6TRN037", van())
            .seeded("yunan", YUNAN)
            .seeded("fengyan", FENGYAN)
            .seeded("nantong", NANTONG)
            .regulator("wansheng-reg", "wansheng")
            .build()
            .await;
        Timed { app, clock, cast }
    }

    async fn generate(&self, party: &str, waste: &str, g: u64) -> String {
        self.cast
            .generate(party, generate_fields(waste, g, "solid", &["T"], 200))
            .await
    }

    fn later(&self, by: chrono::Duration) -> chrono::DateTime<chrono::Utc> {
        self.clock.set(self.clock.now() + by);
        self.clock.now()
    }

    fn today(&self) -> chrono::NaiveDate {
        hwtrace::time::cst_date(self.clock.now())
    }
}

#[tokio::test]
async fn the_facility_inventory_counts_everything_it_holds() {
    let w = Timed::start().await;
    let (cast, t0) = (&w.cast, w.clock.now());
    // Yunan's own waste from before the period: a 700 kg bag of sludge in its store.
    let sludge = w.generate("yunan", "772-006-49", 700_000).await;
    w.later(chrono::Duration::days(10));
    // Ten days on: the shop's 200 kg drum is received; Yunan's 300 kg bag of fly ash is booked
    // for the kiln and released to the carrier, who has not yet taken it; the shop's 50 kg
    // drum is refused at Yunan's gate and stays with the carrier.
    let drum = w.generate("shop", "900-252-12", 200_000).await;
    cast.deliver("shop", "carrier", "yunan", &[(&drum, 200_000)]).await;
    let ash = w.generate("yunan", "772-003-18", 300_000).await;
    cast.released("yunan", "carrier", "nantong", &[&ash]).await;
    let leaking = w.generate("shop", "900-252-12", 50_000).await;
    cast.at_the_gate("shop", "carrier", "yunan", &[(&leaking, 50_000)])
        .await;
    cast.accepted(
        "yunan",
        "receive",
        json!({"item": leaking, "decision": "refuse", "accepted_mass_g": 0, "refused_mass_g": 50_000,
               "reason": "桶身渗漏"}),
    )
    .await;
    w.later(chrono::Duration::days(10));

    let today = w.today();
    let r = cast
        .admin
        .get_ok(&format!("/api/v1/reconciliation/facilities/{YUNAN}?date={today}"))
        .await;
    assert_eq!(
        r["inventory"],
        json!([{"waste_code": "772-003-18", "items": 1, "mass_g": 300_000},
               {"waste_code": "772-006-49", "items": 1, "mass_g": 700_000},
               {"waste_code": "900-252-12", "items": 1, "mass_g": 200_000}]),
        "{r}"
    );
    assert_eq!(r["inventory_g"], 1_200_000);
    // The oldest is the sludge, held since t0: 20 days at the end of today.
    let end_of_today = hwtrace::service::reconcile::day_start(today + chrono::Duration::days(1));
    assert_eq!((end_of_today - t0).num_days(), 20);
    assert_eq!(
        (
            &r["oldest_in_store"]["item"],
            &r["oldest_in_store"]["state"],
            &r["oldest_in_store"]["held_since"],
            &r["oldest_in_store"]["age_days"]
        ),
        (
            &json!(sludge),
            &json!("stored"),
            &json!(hwtrace::time::rfc3339(t0)),
            &json!(20)
        ),
        "{r}"
    );
    w.app.stop().await;
}

#[tokio::test]
async fn a_daily_capacity_is_judged_per_day() {
    let w = Timed::start().await;
    let cast = &w.cast;
    // Fengyan is licensed 3 t a day. On Monday it steams four 1 t bags, on Tuesday two.
    let mut days = Vec::new();
    let mut treats = Vec::new();
    for bags in [4u64, 2] {
        let mut items = Vec::new();
        for _ in 0..bags {
            items.push((w.generate("hospital", "841-001-01", 1_000_000).await, 1_000_000));
        }
        cast.deliver("hospital", "carrier", "fengyan", &items).await;
        for (bag, g) in &items {
            let r = cast
                .accepted(
                    "fengyan",
                    "treat",
                    json!({"item": bag, "method": "steam", "treated_mass_g": g}),
                )
                .await;
            treats.push(index_of(&r));
        }
        days.push(w.today());
        w.later(chrono::Duration::days(1));
    }
    let (monday, tuesday) = (days[0], days[1]);

    let steam = |r: &Value| {
        r["methods"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["method"] == "steam")
            .cloned()
            .unwrap()
    };
    let r = cast
        .admin
        .get_ok(&format!("/api/v1/reconciliation/facilities/{FENGYAN}?date={monday}"))
        .await;
    let s = steam(&r);
    assert_eq!(
        (
            &s["daily_capacity_g"],
            &s["treated_on_date_g"],
            &s["days_over_daily_capacity"]
        ),
        (&json!(3_000_000), &json!(4_000_000), &json!(1)),
        "{r}"
    );
    let r = cast
        .admin
        .get_ok(&format!("/api/v1/reconciliation/facilities/{FENGYAN}?date={tuesday}"))
        .await;
    let s = steam(&r);
    let day = u64::from(tuesday.ordinal());
    assert_eq!(
        (
            &s["capacity_g"],
            &s["utilisation_permille"],
            &s["daily_capacity_g"],
            &s["treated_on_date_g"],
            &s["treated_ytd_g"],
            &s["days_over_daily_capacity"],
            &s["peak_day"],
            &s["peak_day_g"],
            &s["daily_utilisation_permille"]
        ),
        (
            &json!(0),
            &Value::Null,
            &json!(3_000_000),
            &json!(2_000_000),
            &json!(6_000_000),
            &json!(1),
            &json!(monday),
            &json!(4_000_000),
            &json!(6_000_000 * 1000 / (3_000_000 * day))
        ),
        "{r}"
    );

    // The capacity alert is Monday's, raised by the treatment that went past 3 t; Tuesday's
    // 2 t raised none.
    let reg = cast.user("wansheng-reg");
    let list = reg.get_ok("/api/v1/alerts?rule=capacity_exceeded").await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["subject"], format!("{FENGYAN}/steam/{monday}"));
    assert_eq!(
        (
            &list[0]["detail"]["per"],
            &list[0]["detail"]["capacity_g"],
            &list[0]["detail"]["treated_day_g"],
            &list[0]["detail"]["over_permille"]
        ),
        (&json!("day"), &json!(3_000_000), &json!(4_000_000), &json!(333)),
        "{list:?}"
    );
    assert_eq!(list[0]["started_seq"], treats[3], "the fourth bag went past 3 t");
    w.app.stop().await;
}

/// The figures of the cohort generated today in Wansheng: the disposal rates' industrial
/// standing and the mass balance.
async fn figures(admin: &Client) -> (Value, Value) {
    let today = &now_cst()[..10];
    let q = format!("from={}-01-01&to={today}&district=wansheng", &today[..4]);
    let d = admin.get_ok(&format!("/api/v1/indicators/disposal?{q}")).await;
    let b = admin.get_ok(&format!("/api/v1/indicators/mass-balance?{q}")).await;
    (d["industrial"].clone(), b)
}

/// The places and changes of a mass balance, in a fixed order: generated, at the generator, in
/// transit, at facilities, treated, refused parts, weighing, refused at the gate, difference.
fn balance(b: &Value) -> Vec<i64> {
    [
        "generated_g",
        "at_generator_g",
        "in_transit_g",
        "at_facility_g",
        "treated_g",
        "refused_parts_g",
        "weighing_g",
        "refused_at_gate_g",
        "difference_g",
    ]
    .iter()
    .map(|k| b[k].as_i64().unwrap_or_else(|| panic!("{k} in {b}")))
    .collect()
}

#[tokio::test]
async fn a_part_refused_at_the_gate_is_followed_by_the_mass_balance_and_the_disposal_rates() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_at(&dir.path().join("hwtrace.db")).await;
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA6PTR001")
        .transporter("carrier", "91500110MA6TRN036", van())
        .seeded("yunan", YUNAN)
        .build()
        .await;
    let (admin, shop, driver) = (&cast.admin, &cast["shop"].device, &cast["carrier"].device);
    let shop_u = &cast["shop"].uscc;

    // A 100 kg drum reaches Yunan, weighs 100 kg; Yunan accepts 70 kg and refuses 29,999 g
    // (the scale's 1 g of slack).
    let drum = cast
        .generate(
            "shop",
            generate_fields("900-252-12", 100_000, "liquid", &["T", "I"], 200),
        )
        .await;
    cast.at_the_gate("shop", "carrier", "yunan", &[(&drum, 100_000)]).await;
    let r = cast
        .accepted(
            "yunan",
            "receive",
            json!({"item": drum, "decision": "partial", "accepted_mass_g": 70_000, "refused_mass_g": 29_999,
                   "reason": "桶内混有未申报杂物"}),
        )
        .await;
    let part = r["created"][0]["item_code"].as_str().unwrap().to_owned();

    // 100 kg = 70 kg at Yunan + 29,999 g refused, on the carrier's truck + 1 g at the gate. In
    // the disposal rates the part carries its declared 29,999 g, the drum the rest.
    let (d, b) = figures(admin).await;
    assert_eq!(balance(&b), [100_000, 0, 29_999, 70_000, 0, 29_999, 0, 1, 0], "{b}");
    assert_eq!(b["closes"], json!(true), "{b}");
    let lines = b["lines"].as_array().unwrap();
    let line = |item: &str| {
        lines
            .iter()
            .find(|l| l["item"] == item)
            .unwrap_or_else(|| panic!("{b}"))
    };
    assert_eq!(
        (
            &line(&drum)["refused_parts_g"],
            &line(&drum)["refused_at_gate_g"],
            &line(&drum)["bucket"]
        ),
        (&json!(29_999), &json!(1), &json!("at_facility"))
    );
    assert_eq!(
        (
            &line(&part)["part_of"],
            &line(&part)["declared_g"],
            &line(&part)["bucket"]
        ),
        (&json!(drum), &json!(29_999), &json!("in_transit"))
    );
    assert_eq!(
        (
            &d["generated_g"],
            &d["at_facility_g"],
            &d["in_transit_g"],
            &d["treated_g"]
        ),
        (&json!(100_000), &json!(70_001), &json!(29_999), &json!(0)),
        "{d}"
    );

    // The part goes back to the shop, which weighs 29,800 g; Yunan incinerates the rest.
    let r = accepted(admin, shop, "manifest_open", cast.manifest("carrier", shop_u, &[&part])).await;
    let back = json!({"items": [part], "manifest": r["manifest_no"]});
    accepted(admin, driver, "return", back.clone()).await;
    accepted(admin, driver, "arrive", back).await;
    cast.receive("shop", &part, 29_800).await;
    cast.accepted(
        "yunan",
        "treat",
        json!({"item": drum, "method": "incineration", "treated_mass_g": 70_000}),
    )
    .await;

    // 100 kg = 70 kg treated + 29,800 g back at the shop + 199 g weighing + 1 g at the gate.
    let (d, b) = figures(admin).await;
    assert_eq!(balance(&b), [100_000, 29_800, 0, 0, 70_000, 29_999, 199, 1, 0], "{b}");
    assert_eq!(b["closes"], json!(true), "{b}");
    assert_eq!(
        (
            &d["treated_g"],
            &d["at_generator_g"],
            &d["in_transit_g"],
            &d["disposal_permille"]
        ),
        (&json!(70_001), &json!(29_999), &json!(0), &json!(700)),
        "{d}"
    );
    app.stop().await;
}
