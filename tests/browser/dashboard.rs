//! Browser test of the regulator's dashboard (issue 11, point 1): a regulator opens it on a
//! seeded district and each chart holds the API's figures (read from the ECharts instance,
//! `echarts.getInstanceByDom(el).getOption()`), each chart's table is one click away, and
//! its CSV download holds the same figures. ECharts is loaded on the dashboard only.

use serde_json::{json, Value};

use super::cdp::{js, Browser};
use super::common::cast::Cast;
use super::common::custody::Fleet;
use super::common::{self, YUNAN};
use super::{block_on, log_in, shoot, with_browser};

/// The series of the chart `#dash-chart-<id>` as the ECharts instance holds them:
/// `[{id, data}]` (a Sankey: `{id, data: node names, links: [[source, target, value]]}`).
fn series(b: &mut Browser, id: &str) -> Vec<Value> {
    let v = b.eval(&format!(
        "(() => {{
            const el = document.querySelector({});
            const chart = el && window.echarts && echarts.getInstanceByDom(el);
            if (!chart) return null;
            return chart.getOption().series.map((s) => ({{
                id: s.id,
                data: (s.data || []).map((d) => (d && typeof d === 'object' && 'name' in d ? d.name : d)),
                links: (s.links || []).map((l) => [l.source, l.target, l.value]),
            }}));
        }})()",
        js(&format!("#dash-chart-{id}"))
    ));
    serde_json::from_value(v.clone()).unwrap_or_else(|_| panic!("no chart #dash-chart-{id}: {v}\n{}", b.snapshot()))
}

/// The data of the series `sid` of chart `id`.
fn data(b: &mut Browser, id: &str, sid: &str) -> Value {
    series(b, id)
        .into_iter()
        .find(|s| s["id"] == sid)
        .map(|s| s["data"].clone())
        .unwrap_or_else(|| panic!("chart {id} has no series {sid}"))
}

/// `field` of every element of `list`.
fn pluck(list: &Value, field: &str) -> Value {
    Value::Array(
        list.as_array()
            .expect("a list")
            .iter()
            .map(|x| x[field].clone())
            .collect(),
    )
}

/// The CSV the page offers for chart `id`, parsed (no quoted commas in these figures).
fn csv(b: &mut Browser, id: &str) -> Vec<Vec<String>> {
    let link = format!("#dash-csv-{id}");
    let name = b.eval(&format!("document.querySelector({}).download", js(&link)));
    assert!(
        name.as_str().is_some_and(|n| n.ends_with(".csv")),
        "{id}: download name {name}"
    );
    // Downloaded as a user gets it (the policy lets no script fetch the blob: URL).
    let bytes = b.download(&link);
    let text = String::from_utf8(bytes).expect("a UTF-8 CSV");
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark for spreadsheets");
    text.trim_end_matches("\r\n")
        .split("\r\n")
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

/// Opens the chart page `chart` by its tab and waits for it.
fn open_tab(b: &mut Browser, chart: &str) {
    b.click(&format!("#dash-tab-{chart}"));
    b.wait_for(
        &format!(
            "document.body.dataset.ready === {} && document.querySelector('#dashboard')?.dataset.chart === {}",
            js(&format!("dashboard-{chart}")),
            js(chart)
        ),
        &format!("the dashboard's {chart} page"),
    );
}

/// The table is one click away, and the chart one click back.
fn toggles_table(b: &mut Browser, id: &str, rows: usize) {
    let table = format!("#dash-table-{id}");
    let chart = format!("#dash-chart-{id}");
    assert!(!b.visible(&table), "{id}: the table shows before it is asked for");
    b.click(&format!("#dash-table-toggle-{id}"));
    assert!(b.visible(&table), "{id}: the table does not show");
    assert!(!b.visible(&chart), "{id}: the chart still shows beside its table");
    assert_eq!(
        b.count(&format!("#dash-rows-{id} tbody tr[data-row]")),
        rows,
        "{id}: table rows"
    );
    b.click(&format!("#dash-table-toggle-{id}"));
    assert!(
        b.visible(&chart) && !b.visible(&table),
        "{id}: the chart does not come back"
    );
}

/// Screenshots of the current chart page on a desktop and on a phone.
fn shoot_both(b: &mut Browser, name: &str) {
    if std::env::var_os("HWTRACE_SCREENSHOTS").is_none() {
        return;
    }
    b.eval("scrollTo(0, 0)");
    shoot(b, &format!("dashboard-{name}-desktop"));
    let view = b
        .eval("document.body.dataset.ready")
        .as_str()
        .expect("a ready view")
        .to_owned();
    b.phone();
    b.reload(&view);
    b.eval("document.querySelector('.dash-panel').scrollIntoView({ block: 'start' }); scrollBy(0, -8)");
    b.eval("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))");
    shoot(b, &format!("dashboard-{name}-phone"));
    b.desktop(1366, 900);
    b.reload(&view);
}

/// Scenario: in Wansheng a shop registers three drums and a hospital a bag of medical waste;
/// two drums go to Yunan (one weighs 20 % light: an alert), one is incinerated. The district's
/// regulator opens the dashboard: capacity, monthly flows, the Sankey, the monthly disposal
/// rates, open alerts and stock at generators each hold exactly the API's figures, each with
/// its table and its CSV.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regulator_dashboard_charts_hold_the_api_figures() {
    let app = common::spawn_app().await;
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA6DBG002")
        .generator("hospital", "12500110MB6DBH002")
        .transporter(
            "carrier",
            "91500110MA6DBT002",
            Fleet::van("渝D66662", "500110199207071234"),
        )
        .seeded("yunan", YUNAN)
        .regulator("ws-reg", "wansheng")
        .build()
        .await;
    cast.light_and_burnt(true).await;
    let today = cast.today();
    let period = format!("from={}-01-01&to={today}", &today[..4]);

    with_browser(app, move |app, b| {
        let api = |chart: &str| block_on(cast.user("ws-reg").get_ok(&format!("/api/v1/dashboard/{chart}?{period}")));
        log_in(b, &app.base, "ws-reg", "regulator", "alerts");
        assert_eq!(b.eval("typeof window.echarts"), json!("undefined"), "ECharts loaded outside the dashboard");
        assert_eq!(b.count("script[src*=echarts]"), 0);
        b.click("#nav-dashboard");
        b.wait_ready("dashboard");
        assert_eq!(b.eval("document.querySelector('#dashboard').dataset.chart"), json!("capacity"));
        assert_eq!(b.eval("document.querySelector('#dashboard').dataset.district"), json!("wansheng"));
        assert_eq!(b.eval("document.querySelector('#dash-district').disabled"), json!(true));
        assert_eq!(b.eval("typeof window.echarts"), json!("object"), "ECharts is not loaded on the dashboard");

        // Capacity: treated this year, the permit and the pro-rata line, per facility and method.
        let c = api("capacity");
        let annual: Vec<Value> = c["rows"].as_array().unwrap().iter().filter(|r| r["capacity_g"] != 0).cloned().collect();
        let annual = Value::Array(annual);
        assert!(
            annual.as_array().unwrap().iter().any(|r| r["facility"] == YUNAN && r["treated_ytd_g"] == 200_000),
            "{c}"
        );
        for sid in ["treated_ytd_g", "capacity_g", "prorated_capacity_g"] {
            assert_eq!(data(b, "capacity-annual", sid), pluck(&annual, sid), "capacity {sid}");
        }
        let daily: Vec<Value> =
            c["rows"].as_array().unwrap().iter().filter(|r| !r["daily_capacity_g"].is_null()).cloned().collect();
        if daily.is_empty() {
            assert_eq!(b.count("#dash-chart-capacity-daily"), 0);
        } else {
            let daily = Value::Array(daily);
            assert_eq!(data(b, "capacity-daily", "daily_capacity_g"), pluck(&daily, "daily_capacity_g"));
            assert_eq!(data(b, "capacity-daily", "peak_day_g"), pluck(&daily, "peak_day_g"));
        }
        toggles_table(b, "capacity-annual", annual.as_array().unwrap().len());
        let rows = csv(b, "capacity-annual");
        assert_eq!(rows[0], ["facility", "method", "treated_ytd_g", "capacity_g", "prorated_capacity_g", "utilisation_permille"]);
        assert_eq!(rows.len(), annual.as_array().unwrap().len() + 1);
        for (line, r) in rows[1..].iter().zip(annual.as_array().unwrap()) {
            assert_eq!(line[0], r["facility"].as_str().unwrap());
            assert_eq!(line[2], r["treated_ytd_g"].to_string());
            assert_eq!(line[4], r["prorated_capacity_g"].to_string());
        }
        shoot_both(b, "capacity");

        // Monthly flows.
        open_tab(b, "flows");
        let f = api("flows");
        let months = &f["months"];
        assert_eq!(months.as_array().unwrap().last().unwrap()["generated_g"], 360_000, "{f}");
        for sid in ["generated_g", "received_g", "treated_g"] {
            assert_eq!(data(b, "flows", sid), pluck(months, sid), "flows {sid}");
        }
        toggles_table(b, "flows", months.as_array().unwrap().len());
        let rows = csv(b, "flows");
        assert_eq!(rows[0], ["month", "generated_g", "received_g", "treated_g"]);
        let last = rows.last().unwrap();
        assert_eq!(last[0], today[..7]);
        assert_eq!(last[1..], ["360000", "280000", "200000"]);
        shoot_both(b, "flows");

        // The Sankey: the same nodes and links, in grams.
        open_tab(b, "sankey");
        let s = api("sankey");
        let got = series(b, "sankey");
        assert_eq!(got[0]["data"], pluck(&s["nodes"], "id"), "Sankey nodes");
        let links: Vec<Value> = s["links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| json!([l["source"], l["target"], l["mass_g"]]))
            .collect();
        assert_eq!(got[0]["links"], Value::Array(links.clone()), "Sankey links");
        assert!(links.contains(&json!([format!("facility:{YUNAN}"), "method:incineration", 200_000])));
        toggles_table(b, "sankey", links.len());
        let rows = csv(b, "sankey");
        assert_eq!(rows[0], ["source", "target", "mass_g"]);
        assert_eq!(rows.len(), links.len() + 1);
        assert!(rows.contains(&vec![format!("facility:{YUNAN}"), "method:incineration".into(), "200000".into()]));
        shoot_both(b, "sankey");

        // Disposal rates month by month against 100 %.
        open_tab(b, "rates");
        let r = api("rates");
        let industrial: Vec<Value> = r["months"].as_array().unwrap().iter().map(|m| m["industrial"]["disposal_permille"].clone()).collect();
        let medical: Vec<Value> = r["months"].as_array().unwrap().iter().map(|m| m["medical"]["disposal_permille"].clone()).collect();
        assert_eq!(industrial.last(), Some(&json!(571)));
        assert_eq!(data(b, "rates", "industrial"), Value::Array(industrial));
        assert_eq!(data(b, "rates", "medical"), Value::Array(medical));
        let target = b.eval(
            "echarts.getInstanceByDom(document.querySelector('#dash-chart-rates')).getOption().series[0].markLine.data[0].yAxis",
        );
        assert_eq!(target, r["target_permille"]);
        assert_eq!(target, json!(1000));
        toggles_table(b, "rates", r["months"].as_array().unwrap().len());
        let rows = csv(b, "rates");
        assert_eq!(rows.last().unwrap()[..4], [today[..7].to_owned(), "350000".into(), "200000".into(), "571".into()]);
        shoot_both(b, "rates");

        // Open alerts by rule and age.
        open_tab(b, "alerts");
        let a = api("alerts");
        let bands = a["bands"].as_array().unwrap().clone();
        for (i, band) in bands.iter().enumerate() {
            let counts: Vec<Value> = a["rules"].as_array().unwrap().iter().map(|r| r["counts"][i].clone()).collect();
            let sid = format!("days_{}", band["key"].as_str().unwrap());
            assert_eq!(data(b, "alerts", &sid), Value::Array(counts), "alerts {sid}");
        }
        assert!(a["rules"].as_array().unwrap().iter().any(|r| r["rule"] == "weight_discrepancy"), "{a}");
        toggles_table(b, "alerts", a["rules"].as_array().unwrap().len());
        let rows = csv(b, "alerts");
        let wd = rows.iter().find(|l| l[0] == "weight_discrepancy").expect("the discrepancy in the CSV");
        assert_eq!(wd[1..], ["1", "0", "0", "0", "1"]);
        shoot_both(b, "alerts");

        // Stock at generators by storage age.
        open_tab(b, "stock");
        let st = api("stock");
        for sid in ["industrial_g", "medical_g"] {
            assert_eq!(data(b, "stock", sid), pluck(&st["lines"], sid), "stock {sid}");
        }
        assert_eq!(st["lines"][0]["industrial_g"], 50_000);
        toggles_table(b, "stock", st["lines"].as_array().unwrap().len());
        let rows = csv(b, "stock");
        assert_eq!(rows[1], ["0-2", "1", "50000", "1", "10000"]);
        shoot_both(b, "stock");

        // The period filter: last year has no flows; the address keeps the filter.
        let last_year = today[..4].parse::<i32>().unwrap() - 1;
        open_tab(b, "flows");
        b.eval(&format!(
            "(() => {{ const i = document.querySelector('#dash-from'); i.value = '{last_year}-01-01';
                const j = document.querySelector('#dash-to'); j.value = '{last_year}-12-31'; }})()"
        ));
        b.click("#dash-submit");
        b.wait_for(
            &format!("document.body.dataset.ready === 'dashboard-flows' && location.hash.includes('from={last_year}-01-01')"),
            "last year's flows",
        );
        let generated = data(b, "flows", "generated_g");
        assert_eq!(generated, json!([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
        b.click("#lang-toggle");
        b.wait_for(
            "document.documentElement.lang === 'en' && document.body.dataset.ready === 'dashboard-flows'",
            "the English dashboard",
        );
        assert_eq!(b.text("#dash-tab-sankey"), json!("Where it goes"));
        assert!(b.eval("location.hash").as_str().is_some_and(|h| h.contains(&format!("to={last_year}-12-31"))));
    })
    .await;
}
