//! The working-day calendar: the official schedule served at `GET /api/v1/calendar`, days
//! added or replaced by `hwtrace calendar load` (the real binary) and used at the next start,
//! and the receipt deadline (5 working days after arrival) on a manifest's arrived items.

mod common;

use std::process::Command;

use chrono::{NaiveDate, Utc};
use common::cast::Cast;
use common::custody::{accepted, Fleet};
use common::{assert_refused, now_cst, spawn_app, spawn_app_at, spawn_app_with_db, Client, YUNAN};
use hwtrace::client::generate_fields;
use hwtrace::store::reference::load_calendar;
use hwtrace::time::cst_date;
use reqwest::StatusCode;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_hwtrace");
const PLATE: &str = "渝D12345";
const LICENCE: &str = "500110198001011234";

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn kind_of<'a>(year: &'a Value, day: &str) -> Option<&'a str> {
    year["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == day)
        .and_then(|d| d["kind"].as_str())
}

async fn year(c: &Client, y: i32) -> Value {
    let (s, body) = c.get(&format!("/api/v1/calendar?year={y}")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body
}

/// Runs `hwtrace calendar load <csv> --db <db>`; answers (success, stdout, stderr).
fn calendar_load(csv: &std::path::Path, db: &std::path::Path) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(["calendar", "load", csv.to_str().unwrap(), "--db", db.to_str().unwrap()])
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[tokio::test]
async fn the_official_schedule_is_public() {
    let app = spawn_app().await;
    let anyone = app.anonymous();
    let y2026 = year(&anyone, 2026).await;
    assert_eq!(y2026["year"], 2026);
    assert_eq!(y2026["receipt_working_days"], 5);
    assert_eq!(y2026["working_days"], 248);
    assert_eq!(
        y2026["days"].as_array().unwrap().len(),
        39,
        "33 days off, 6 worked weekend days"
    );
    assert_eq!(kind_of(&y2026, "2026-10-01"), Some("holiday"));
    assert_eq!(kind_of(&y2026, "2026-10-10"), Some("workday"));
    assert_eq!(kind_of(&y2026, "2026-10-12"), None, "an ordinary Monday is not listed");
    let national_day = &y2026["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == "2026-10-01")
        .unwrap();
    assert_eq!(
        (national_day["name_zh"].as_str(), national_day["name_en"].as_str()),
        (Some("国庆节"), Some("National Day"))
    );
    let y2025 = year(&anyone, 2025).await;
    assert_eq!(
        (y2025["working_days"].as_i64(), y2025["days"].as_array().map(Vec::len)),
        (Some(248), Some(33))
    );
    // Without a year: this year in China Standard Time.
    let (s, this) = anyone.get("/api/v1/calendar").await;
    assert_eq!(s, StatusCode::OK, "{this}");
    assert_eq!(this["year"].as_i64(), now_cst()[..4].parse::<i64>().ok());
    // A year with nothing listed follows the week.
    let y2030 = year(&anyone, 2030).await;
    assert_eq!(
        (y2030["days"].as_array().map(Vec::len), y2030["working_days"].as_i64()),
        (Some(0), Some(261))
    );

    assert_refused(
        &anyone.get("/api/v1/calendar?year=1999").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_year",
    );
    assert_refused(
        &anyone.get("/api/v1/calendar?year=twenty").await,
        StatusCode::BAD_REQUEST,
        "bad_query",
    );
    assert_refused(
        &anyone.get("/api/v1/calendar?month=1").await,
        StatusCode::BAD_REQUEST,
        "bad_query",
    );
}

#[tokio::test]
async fn days_loaded_by_the_cli_are_served_and_used_after_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hwtrace.db");
    let csv = dir.path().join("2027.csv");
    // A schedule for a year not shipped, and one 2026 day changed (a local extra day off).
    std::fs::write(
        &csv,
        "date,kind,name_zh,name_en\n\
         2027-01-01,holiday,元旦,New Year's Day\n\
         2027-02-06,workday,春节调休上班,Spring Festival make-up working day\n\
         2026-10-09,holiday,测试补休,Test day off\n",
    )
    .unwrap();

    // The service holds the database: the CLI refuses to write it meanwhile.
    let app = spawn_app_at(&db).await;
    let (ok, _, err) = calendar_load(&csv, &db);
    assert!(!ok && err.contains("in use"), "{err}");
    app.stop().await;

    let (ok, out, err) = calendar_load(&csv, &db);
    assert!(ok, "{err}");
    assert!(out.contains("3 days loaded") && out.contains("2 holidays"), "{out}");
    // Loading again replaces the same days: still 3 rows, nothing doubled.
    let (ok, _, err) = calendar_load(&csv, &db);
    assert!(ok, "{err}");

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "date,kind,name_zh,name_en\n2027-01-01,rest,元旦,New Year\n").unwrap();
    let (ok, _, err) = calendar_load(&bad, &db);
    assert!(
        !ok && err.contains("bad_calendar_csv") && err.contains("line 2"),
        "{err}"
    );

    let app = spawn_app_at(&db).await;
    let anyone = app.anonymous();
    let y2027 = year(&anyone, 2027).await;
    assert_eq!(y2027["days"].as_array().unwrap().len(), 2, "{y2027}");
    assert_eq!(kind_of(&y2027, "2027-01-01"), Some("holiday"));
    assert_eq!(kind_of(&y2027, "2027-02-06"), Some("workday"));
    let y2026 = year(&anyone, 2026).await;
    assert_eq!(kind_of(&y2026, "2026-10-09"), Some("holiday"));
    assert_eq!(y2026["working_days"], 247);
    // The service's calendar is the loaded one, and a restart (re-seeding) keeps the change.
    let cal = app.state.calendar();
    assert!(!cal.is_working_day(date("2026-10-09")));
    assert_eq!(cal.receipt_due(date("2026-09-29")), date("2026-10-13"));
    app.stop().await;
    let app = spawn_app_at(&db).await;
    assert!(!app.state.calendar().is_working_day(date("2026-10-09")));
    let stored = app.state.db.read(load_calendar).await.unwrap();
    assert_eq!(&stored, app.state.calendar().as_ref());
}

async fn manifest(c: &Client, number: &str) -> Value {
    c.get_ok(&format!("/api/v1/manifests/{number}")).await
}

/// Two drums from a repair shop on one manifest, arrived at Yunan's gate.
#[tokio::test]
async fn arrived_items_show_when_receipt_is_due_and_whether_it_is_overdue() {
    let (app, db) = spawn_app_with_db().await;
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA5U8F4X2")
        .transporter("carrier", "91500110MA6TRN031", Fleet::van(PLATE, LICENCE))
        .seeded("yunan", YUNAN)
        .build()
        .await;
    let (admin, gate) = (&cast.admin, &cast["yunan"].device);
    let mut drums = Vec::new();
    for mass in [185_500, 50_000] {
        let fields = generate_fields("900-214-08", mass, "liquid", &["T", "I"], 200);
        drums.push(cast.generate("shop", fields).await);
    }

    // Released and accepted: on the road, nothing is due yet.
    let number = cast.on_the_road("shop", "carrier", "yunan", &drums).await;
    let m = manifest(admin, &number).await;
    assert!(m["receipt_due"].is_null(), "{m}");
    for item in m["items"].as_array().unwrap() {
        assert_eq!(
            (item["receipt_due"].clone(), item["receipt_overdue"].clone()),
            (Value::Null, json!(false)),
            "{item}"
        );
    }

    // Arrived today: due the 5th working day after today (CST), not overdue.
    let before = cst_date(Utc::now());
    cast.arrive("carrier", &drums, &number).await;
    let after = cst_date(Utc::now());
    let cal = app.state.calendar();
    let expected: Vec<String> = [before, after]
        .iter()
        .map(|d| cal.receipt_due(*d).to_string())
        .collect();
    for c in [admin, &cast["yunan"].client] {
        let m = manifest(c, &number).await;
        assert!(expected.iter().any(|e| m["receipt_due"] == e.as_str()), "{m}");
        for item in m["items"].as_array().unwrap() {
            assert_eq!(item["state"], "arrived");
            assert_eq!(item["receipt_due"], m["receipt_due"], "{item}");
            assert_eq!(item["receipt_overdue"], false, "{item}");
        }
    }
    // Weighing does not restart the clock.
    cast.weigh("yunan", &drums[0], 185_000).await;
    let due_today = manifest(admin, &number).await["receipt_due"].clone();
    assert!(expected.iter().any(|e| due_today == e.as_str()));

    // SIMULATED: the first drum arrived on Friday 26 September 2025 (CST). The service has no
    // way to log an event in the past, so the test stops it and rewrites that drum's
    // `state_since` in the custody projection before starting it again on the same file.
    app.stop().await;
    let conn = rusqlite::Connection::open(&db).unwrap();
    let custody: String = conn
        .query_row("SELECT custody FROM items WHERE code = ?1", [&drums[0]], |r| r.get(0))
        .unwrap();
    let mut custody: Value = serde_json::from_str(&custody).unwrap();
    custody["state_since"] = json!("2025-09-26T02:00:00Z");
    conn.execute(
        "UPDATE items SET custody = ?2 WHERE code = ?1",
        [&drums[0], &custody.to_string()],
    )
    .unwrap();
    drop(conn);
    let app = spawn_app_at(&db).await;
    let admin = app.login("admin").await;
    // Sun 28 Sep worked (1), Mon 29 (2), Tue 30 (3), 1-8 October off, Thu 9 (4), Fri 10 (5).
    let m = manifest(&admin, &number).await;
    assert_eq!(m["receipt_due"], "2025-10-10", "the earliest of the items: {m}");
    let items = m["items"].as_array().unwrap();
    assert_eq!(
        (items[0]["receipt_due"].as_str(), items[0]["receipt_overdue"].as_bool()),
        (Some("2025-10-10"), Some(true))
    );
    assert_eq!(items[1]["receipt_due"], due_today);
    assert_eq!(items[1]["receipt_overdue"], false);

    // Received (late): no longer waiting, so neither due nor overdue.
    accepted(
        &admin,
        gate,
        "receive",
        json!({"item": drums[0], "decision": "accept", "accepted_mass_g": 185_000, "refused_mass_g": 0}),
    )
    .await;
    let m = manifest(&admin, &number).await;
    let items = m["items"].as_array().unwrap();
    assert_eq!(
        (
            items[0]["state"].as_str(),
            items[0]["receipt_due"].is_null(),
            items[0]["receipt_overdue"].as_bool()
        ),
        (Some("received"), true, Some(false))
    );
    assert_eq!(m["receipt_due"], due_today, "now the other drum's: {m}");
    app.stop().await;
}
