//! The regulator's dashboard API (`/api/v1/dashboard/*`, docs/dashboard.md): each chart's
//! figures on a story whose numbers are known, the refusals of bad filters, and who may ask.

mod common;

use common::cast::Cast;
use common::custody::{accepted, Fleet};
use common::{assert_refused, YUNAN};
use hwtrace::client::generate_fields;
use reqwest::StatusCode;
use serde_json::{json, Value};

const CHARTS: [&str; 6] = ["capacity", "flows", "sankey", "rates", "alerts", "stock"];

/// The story: in Wansheng a shop registers a 100 kg drum, a 200 kg drum and a 50 kg drum, a
/// hospital a 10 kg bag of medical waste. The first two go to Yunan with the carrier; the
/// first weighs 80 kg at the gate (a weight discrepancy), the second is incinerated. The third
/// drum and the bag stay at their generators.
struct Story {
    app: common::TestApp,
    cast: Cast,
    light: String,
    db: common::DbFile,
}

async fn story() -> Story {
    let (app, db) = common::spawn_app_with_db().await;
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA6DBG001")
        .generator("hospital", "12500110MB6DBH001")
        .transporter(
            "carrier",
            "91500110MA6DBT001",
            Fleet::van("渝D66661", "500110199207071234"),
        )
        .seeded("yunan", YUNAN)
        .regulator("ws-reg", "wansheng")
        .regulator("qj-reg", "qijiang")
        .build()
        .await;
    let (light, _) = cast.light_and_burnt(true).await;
    Story { app, cast, light, db }
}

async fn industry(c: &common::Client, code: &str) -> String {
    let e = c.get_ok(&format!("/api/v1/catalogue/{code}")).await;
    e["industry"]
        .as_str()
        .unwrap_or_else(|| panic!("no industry for {code}: {e}"))
        .to_owned()
}

fn link(s: &Value, source: &str, target: &str) -> Option<u64> {
    s["links"]
        .as_array()
        .expect("links")
        .iter()
        .find(|l| l["source"] == source && l["target"] == target)
        .map(|l| l["mass_g"].as_u64().expect("mass_g"))
}

#[tokio::test]
async fn dashboard_figures_match_a_known_story() {
    let Story { app, cast, light, .. } = story().await;
    let reg = cast.user("ws-reg");
    let today = cast.today();
    let month = today[..7].to_owned();
    let period = format!("from={}-01-01&to={today}", &today[..4]);

    // Monthly flows: this month holds all of it.
    let flows = reg.get_ok(&format!("/api/v1/dashboard/flows?{period}")).await;
    assert_eq!(flows["district"], "wansheng", "{flows}");
    let months = flows["months"].as_array().expect("months");
    assert_eq!(
        months.first().map(|m| m["month"].clone()),
        Some(json!(format!("{}-01", &today[..4])))
    );
    assert_eq!(
        months.len(),
        today[5..7].parse::<usize>().unwrap(),
        "one line per month of the period"
    );
    let now = months.last().expect("this month");
    assert_eq!(now["month"], json!(month));
    assert_eq!(now["generated_g"], 360_000, "{now}");
    assert_eq!(now["received_g"], 280_000, "{now}");
    assert_eq!(now["treated_g"], 200_000, "{now}");
    for m in &months[..months.len() - 1] {
        assert_eq!(
            (
                m["generated_g"].as_u64(),
                m["received_g"].as_u64(),
                m["treated_g"].as_u64()
            ),
            (Some(0), Some(0), Some(0))
        );
    }

    // The Sankey: every item's path carries its declared mass.
    let s = reg.get_ok(&format!("/api/v1/dashboard/sankey?{period}")).await;
    assert_eq!(s["generated_g"], 360_000);
    let general = format!("industry:{}", industry(reg, "900-252-12").await);
    assert_eq!(general, format!("industry:{}", industry(reg, "900-249-08").await));
    let medical = format!("industry:{}", industry(reg, "841-001-01").await);
    let carrier = format!("transporter:{}", cast["carrier"].uscc);
    let yunan = format!("facility:{YUNAN}");
    assert_eq!(link(&s, "district:wansheng", &general), Some(350_000), "{s}");
    assert_eq!(link(&s, "district:wansheng", &medical), Some(10_000), "{s}");
    assert_eq!(link(&s, &general, &carrier), Some(300_000), "{s}");
    assert_eq!(link(&s, &general, "waiting:at_generator"), Some(50_000), "{s}");
    assert_eq!(link(&s, &medical, "waiting:at_generator"), Some(10_000), "{s}");
    assert_eq!(link(&s, &carrier, &yunan), Some(300_000), "{s}");
    assert_eq!(link(&s, &yunan, "method:incineration"), Some(200_000), "{s}");
    assert_eq!(s["links"].as_array().map(Vec::len), Some(7), "{s}");
    let node = |id: &str| s["nodes"].as_array().unwrap().iter().find(|n| n["id"] == id).cloned();
    assert_eq!(node(&yunan).map(|n| n["stage"].clone()), Some(json!("facility")));
    assert_eq!(
        node("method:incineration").map(|n| n["name_zh"].clone()),
        Some(json!("焚烧"))
    );
    assert_eq!(
        node("district:wansheng").map(|n| n["name_zh"].clone()),
        Some(json!("万盛经济技术开发区"))
    );

    // Disposal rates month by month: the cohort of this month; the same as /indicators.
    let r = reg.get_ok(&format!("/api/v1/dashboard/rates?{period}")).await;
    assert_eq!(r["target_permille"], 1000);
    let line = r["months"]
        .as_array()
        .and_then(|m| m.last())
        .expect("this month")
        .clone();
    assert_eq!(line["month"], json!(month));
    assert_eq!(line["industrial"]["generated_g"], 350_000, "{line}");
    assert_eq!(line["industrial"]["treated_g"], 200_000, "{line}");
    assert_eq!(line["industrial"]["disposal_permille"], 571, "{line}");
    assert_eq!(line["medical"]["disposal_permille"], 0, "{line}");
    assert_eq!(
        r["months"][0]["industrial"]["disposal_permille"],
        Value::Null,
        "an empty month has no rate"
    );
    let ind = reg.get_ok(&format!("/api/v1/indicators/disposal?{period}")).await;
    assert_eq!(ind["industrial"]["treated_g"], line["industrial"]["treated_g"]);

    // Capacity: Yunan's incineration this year.
    let c = reg.get_ok(&format!("/api/v1/dashboard/capacity?{period}")).await;
    assert_eq!(c["date"], json!(today));
    let inc = c["rows"]
        .as_array()
        .and_then(|rows| {
            rows.iter()
                .find(|r| r["facility"] == YUNAN && r["method"] == "incineration")
        })
        .unwrap_or_else(|| panic!("no incineration row for Yunan: {c}"))
        .clone();
    assert_eq!(inc["treated_ytd_g"], 200_000, "{inc}");
    let rec = reg
        .get_ok(&format!("/api/v1/reconciliation/facilities/{YUNAN}?date={today}"))
        .await;
    let same = rec["methods"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["method"] == "incineration"))
        .expect("method");
    for k in [
        "capacity_g",
        "prorated_capacity_g",
        "utilisation_permille",
        "daily_capacity_g",
    ] {
        assert_eq!(inc[k], same[k], "{k}");
    }
    assert!(c["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["district"] == "wansheng"));

    // Open alerts: the weight discrepancy, raised minutes ago.
    let a = reg.get_ok("/api/v1/dashboard/alerts").await;
    assert_eq!(a["bands"].as_array().map(Vec::len), Some(4));
    let wd = a["rules"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["rule"] == "weight_discrepancy"))
        .expect("rule")
        .clone();
    assert_eq!(wd["counts"], json!([1, 0, 0, 0]), "{a}");
    assert_eq!(wd["total"], 1);
    assert_eq!(wd["rule_zh"], "重量差异");
    let listed = reg.get_ok("/api/v1/alerts?state=open").await;
    let open_total: u64 = a["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["total"].as_u64().unwrap())
        .sum();
    assert_eq!(
        open_total as usize,
        listed.as_array().map(Vec::len).unwrap_or(0),
        "{listed}"
    );
    assert!(listed.as_array().unwrap().iter().any(|x| x["subject"] == json!(light)));

    // Stock at generators: the third drum and the bag, both new.
    let st = reg.get_ok("/api/v1/dashboard/stock").await;
    assert_eq!(st["items"], 2);
    assert_eq!(st["mass_g"], 60_000);
    assert_eq!(st["lines"][0]["band"], "0-2");
    assert_eq!(st["lines"][0]["industrial_g"], 50_000, "{st}");
    assert_eq!(st["lines"][0]["medical_g"], 10_000, "{st}");
    assert_eq!(st["lines"][0]["medical_items"], 1, "{st}");

    // Another district's regulator sees its own, empty, district.
    let qj = cast.user("qj-reg");
    let other = qj.get_ok(&format!("/api/v1/dashboard/flows?{period}")).await;
    assert_eq!(other["district"], "qijiang");
    assert!(other["months"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["generated_g"] == 0));
    let other = qj.get_ok(&format!("/api/v1/dashboard/sankey?{period}")).await;
    assert_eq!(other["links"], json!([]));
    assert_eq!(qj.get_ok("/api/v1/dashboard/stock").await["items"], 0);

    // The administrator sees all districts by default, and one when asked.
    let all = cast.admin.get_ok(&format!("/api/v1/dashboard/flows?{period}")).await;
    assert_eq!(all["district"], Value::Null);
    assert_eq!(
        all["months"].as_array().unwrap().last().unwrap()["generated_g"],
        360_000
    );
    let ws = cast
        .admin
        .get_ok(&format!("/api/v1/dashboard/sankey?{period}&district=wansheng"))
        .await;
    assert_eq!(ws["links"], s["links"]);
    app.stop().await;
}

#[tokio::test]
async fn dashboard_period_filter_moves_the_figures() {
    let Story { app, cast, .. } = story().await;
    let reg = cast.user("ws-reg");
    let today = cast.today();
    let year: i32 = today[..4].parse().unwrap();
    // Last year: nothing generated, nothing in the Sankey, no rates.
    let last = format!("from={}-01-01&to={}-12-31", year - 1, year - 1);
    let f = reg.get_ok(&format!("/api/v1/dashboard/flows?{last}")).await;
    assert_eq!(f["months"].as_array().map(Vec::len), Some(12));
    assert!(f["months"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["generated_g"] == 0 && m["treated_g"] == 0));
    let s = reg.get_ok(&format!("/api/v1/dashboard/sankey?{last}")).await;
    assert_eq!(s["generated_g"], 0);
    let r = reg.get_ok(&format!("/api/v1/dashboard/rates?{last}")).await;
    assert!(r["months"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["industrial"]["items"] == 0));
    // Capacity at the end of last year: nothing treated then.
    let c = reg.get_ok(&format!("/api/v1/dashboard/capacity?{last}")).await;
    assert_eq!(c["date"], json!(format!("{}-12-31", year - 1)));
    assert!(
        c["rows"].as_array().unwrap().iter().all(|r| r["treated_ytd_g"] == 0),
        "{c}"
    );
    // Today only: everything.
    let f = reg
        .get_ok(&format!("/api/v1/dashboard/flows?from={today}&to={today}"))
        .await;
    assert_eq!(f["months"].as_array().map(Vec::len), Some(1));
    assert_eq!(f["months"][0]["generated_g"], 360_000);
    app.stop().await;
}

#[tokio::test]
async fn dashboard_refuses_bad_filters_and_callers_outside_the_district() {
    let Story { app, cast, .. } = story().await;
    let reg = cast.user("ws-reg");
    for chart in CHARTS {
        let path = |q: &str| format!("/api/v1/dashboard/{chart}?{q}");
        assert_refused(
            &reg.get(&path("from=2026-13-01")).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_date",
        );
        assert_refused(
            &reg.get(&path("to=yesterday")).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_date",
        );
        assert_refused(
            &reg.get(&path("from=2026-05-02&to=2026-05-01")).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_period",
        );
        assert_refused(
            &reg.get(&path("by=district")).await,
            StatusCode::BAD_REQUEST,
            "bad_query",
        );
        assert_refused(
            &reg.get(&path("district=qijiang")).await,
            StatusCode::FORBIDDEN,
            "not_your_district",
        );
        assert_refused(
            &cast.admin.get(&path("district=atlantis")).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_district",
        );
        // An enterprise's administrator, and nobody logged in.
        assert_refused(
            &cast["shop"].client.get(&path("")).await,
            StatusCode::FORBIDDEN,
            "regulators_only",
        );
        let (status, _) = app.anonymous().get(&path("")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{chart}");
        // Her own district by name is fine.
        let (status, body) = reg.get(&path("district=wansheng")).await;
        assert_eq!(status, StatusCode::OK, "{chart}: {body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn dashboard_endpoints_are_in_the_openapi_document() {
    let app = common::spawn_app().await;
    let doc = app.anonymous().get_ok("/api/v1/openapi.json").await;
    for chart in CHARTS {
        let op = &doc["paths"][format!("/api/v1/dashboard/{chart}")]["get"];
        assert_eq!(op["tags"], json!(["dashboard"]), "{chart}");
        let params: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{chart} has no parameters"))
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(params, ["from", "to", "district"], "{chart}");
    }
    app.stop().await;
}

/// The daily sums the writer keeps for the flows chart (schema/0009_dashboard.sql) are the sums
/// of `item_history`'s rows, and the log still audits clean.
#[tokio::test]
async fn dashboard_flows_table_is_the_sum_of_the_history() {
    let Story { app, cast, db, .. } = story().await;
    // A later day's entries land in the same sums.
    let more = cast
        .generate("shop", generate_fields("900-252-12", 7_000, "solid", &["T"], 20))
        .await;
    assert!(!more.is_empty());
    app.stop().await;
    let conn = rusqlite::Connection::open(&*db).expect("the database");
    let kept: Vec<(String, String, i64, i64, i64)> = conn
        .prepare("SELECT day, generator, generated_g, received_g, treated_g FROM dashboard_flows ORDER BY 1, 2")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let summed: Vec<(String, String, i64, i64, i64)> = conn
        .prepare(
            "SELECT date(h.at, '+8 hours'), i.generator,
                    SUM(CASE WHEN h.event = 'generate' AND h.seq = i.created_seq THEN i.mass_g ELSE 0 END),
                    SUM(CASE WHEN h.event = 'receive' AND h.state = 'received' THEN h.mass_g ELSE 0 END),
                    SUM(CASE WHEN h.event = 'treat' THEN COALESCE(h.treated_g, 0) ELSE 0 END)
             FROM item_history h JOIN items i ON i.code = h.item
             WHERE h.event IN ('generate', 'receive', 'treat') GROUP BY 1, 2 ORDER BY 1, 2",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(kept, summed);
    let shop = &cast["shop"].uscc;
    let generated: i64 = kept.iter().filter(|k| &k.1 == shop).map(|k| k.2).sum();
    assert_eq!(generated, 357_000);
    drop(conn);
    let report = common::audit_clean(&db).await;
    assert!(report.checkpoint_size > 0);
}

/// Scenario: two shops send battery crates (20 kg and 21 kg) to a collection point, which
/// packs them into a 41 kg tote and sends the tote to Yunan, where it is stabilised. The
/// Sankey follows each crate through the carrier and the point, and into the tote, to Yunan
/// and the method; the residue Yunan leaves and treats goes straight to Yunan and its method.
#[tokio::test]
async fn dashboard_sankey_follows_waste_through_a_collection_point() {
    const BATTERIES: &str = "900-052-31";
    const FLY_ASH: &str = "772-003-18";
    let app = common::spawn_app().await;
    let cast = Cast::on(&app)
        .generator("shop1", "91500110MA6DBG011")
        .generator("shop2", "91500110MA6DBG012")
        .transporter(
            "carrier",
            "91500110MA6DBT011",
            Fleet::van("渝D66663", "500110198502023456"),
        )
        .collection_point("point", "91500110MA6DBC011")
        .permit(
            json!({"kind": "collection", "number": "CQSJ-2026-911", "valid_from": "2026-01-01",
                       "valid_until": "2028-12-31", "waste_codes": [BATTERIES], "collection_t_per_year": 900}),
        )
        .seeded("yunan", YUNAN)
        .regulator("ws-reg", "wansheng")
        .build()
        .await;
    let mut crates = Vec::new();
    for (shop, g) in [("shop1", 20_000u64), ("shop2", 21_000)] {
        let code = cast
            .generate(shop, generate_fields(BATTERIES, g, "solid", &["T"], 200))
            .await;
        cast.deliver(shop, "carrier", "point", &[(&code, g)]).await;
        crates.push(code);
    }
    let output = generate_fields(BATTERIES, 41_000, "solid", &["T", "C"], 1000);
    let tote = common::cast::code_of(
        &accepted(
            &cast.admin,
            &cast["point"].device,
            "consolidate",
            json!({"inputs": crates, "output": output}),
        )
        .await,
    );
    cast.deliver("point", "carrier", "yunan", &[(&tote, 41_000)]).await;
    accepted(
        &cast.admin,
        &cast["yunan"].device,
        "treat",
        json!({"item": tote, "method": "stabilisation", "treated_mass_g": 41_000}),
    )
    .await;

    // Stabilising leaves 9 kg of residue, which Yunan stabilises in turn: never shipped.
    let mut ash = generate_fields(FLY_ASH, 9_000, "solid", &["T"], 1000);
    ash["inputs"] = json!([tote]);
    ash["packaging"] = json!("吨袋");
    let ash = common::cast::code_of(&accepted(&cast.admin, &cast["yunan"].device, "generate", ash).await);
    accepted(
        &cast.admin,
        &cast["yunan"].device,
        "treat",
        json!({"item": ash, "method": "stabilisation", "treated_mass_g": 9_000}),
    )
    .await;

    let reg = cast.user("ws-reg");
    let today = cast.today();
    let s = reg
        .get_ok(&format!(
            "/api/v1/dashboard/sankey?from={}-01-01&to={today}",
            &today[..4]
        ))
        .await;
    assert_eq!(
        s["generated_g"], 50_000,
        "the tote is not new waste, the residue is: {s}"
    );
    let residues = format!("industry:{}", industry(reg, FLY_ASH).await);
    assert_eq!(link(&s, "district:wansheng", &residues), Some(9_000), "{s}");
    let industry = format!("industry:{}", industry(reg, BATTERIES).await);
    let carrier = format!("transporter:{}", cast["carrier"].uscc);
    let point = format!("collection_point:{}", cast["point"].uscc);
    let yunan = format!("facility:{YUNAN}");
    assert_eq!(link(&s, "district:wansheng", &industry), Some(41_000), "{s}");
    assert_eq!(link(&s, &industry, &carrier), Some(41_000), "{s}");
    assert_eq!(link(&s, &carrier, &point), Some(41_000), "{s}");
    assert_eq!(link(&s, &point, &yunan), Some(41_000), "{s}");
    assert_eq!(
        link(&s, &residues, &yunan),
        Some(9_000),
        "a residue goes to where it arose: {s}"
    );
    assert_eq!(link(&s, &yunan, "method:stabilisation"), Some(50_000), "{s}");
    assert_eq!(s["links"].as_array().map(Vec::len), Some(7), "{s}");
    app.stop().await;
}
