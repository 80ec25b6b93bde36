//! Browser tests of the regulators' and administrators' pages: alerts (with a signed
//! acknowledgement from a key made in the page), the disposal indicators and mass balance,
//! and a facility's capacity reconciliation. What the pages show is checked against the API.

use serde_json::{json, Value};

use super::cdp::{js, Browser};
use super::common::cast::Cast;
use super::common::custody::Fleet;
use super::common::{self, now_cst, YUNAN};
use super::{block_on, has_cjk, log_in, with_browser};

/// The Wansheng ecology and environment bureau (seeded, role regulator).
const WANSHENG_EEB: &str = "11500110MB0WAEE01L";

/// A ‰ figure as the pages show it: a percentage with one decimal.
fn percent(permille: &Value) -> String {
    match permille.as_u64() {
        Some(p) => format!("{}.{}%", p / 10, p % 10),
        None => "—".into(),
    }
}

/// The `data-*` value `key` of every row of table `#id`, in order.
fn column(b: &mut Browser, id: &str, key: &str) -> Vec<String> {
    let v = b.eval(&format!(
        "[...document.querySelectorAll('#{id} tbody tr[data-{key}]')].map((tr) => tr.dataset.{key})"
    ));
    serde_json::from_value(v).expect("a list of strings")
}

/// Scenario: in a small district a drum weighs 20 % light at Yunan's gate (a weight
/// discrepancy alert), another is incinerated, a third waits at its generator and a bag of
/// medical waste at the hospital. The administrator sees the alert in Chinese and then in
/// English, filters it, runs the sweep, acknowledges it with a regulator's key made in the
/// page, reads the disposal rates and the mass balance the API computes, and opens Yunan's
/// capacity reconciliation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_sees_alerts_indicators_and_a_facility_reconciliation() {
    let app = common::spawn_app().await;
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA6BRG001")
        .generator("hospital", "12500110MB6BRH001")
        .transporter(
            "carrier",
            "91500110MA6BRT001",
            Fleet::van("渝D77777", "500110199207071234"),
        )
        .seeded("yunan", YUNAN)
        .build()
        .await;
    let (light, _) = cast.light_and_burnt(true).await;
    let admin = cast.admin;

    let alerts = admin.get_ok("/api/v1/alerts?rule=weight_discrepancy").await;
    let alert = alerts
        .as_array()
        .and_then(|a| a.iter().find(|a| a["subject"] == json!(light)))
        .unwrap_or_else(|| panic!("no discrepancy alert for {light}: {alerts}"))
        .clone();
    assert_eq!(alert["state"], "open", "{alert}");
    let alert_id = alert["id"].as_i64().expect("alert id").to_string();
    let open_count = admin
        .get_ok("/api/v1/alerts?state=open")
        .await
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);

    with_browser(app, move |app, b| {
        log_in(b, &app.base, "admin", "admin", "enterprises");
        for link in ["#nav-alerts", "#nav-indicators", "#nav-facilities"] {
            assert_eq!(b.count(link), 1, "{link} is not offered to the administrator");
        }

        // The alert list, in Chinese: the rule's name, the item, the district, the entry.
        b.click("#nav-alerts");
        b.wait_ready("alerts");
        let row = format!("#alert-list tr[data-id={}]", js(&alert_id));
        assert_eq!(b.eval(&format!("document.querySelector({}).dataset.rule", js(&row))), json!("weight_discrepancy"));
        let text = b.text(&row);
        let text = text.as_str().expect("row text").to_owned();
        for part in ["重量差异", light.as_str(), "万盛", "未处理", "100 kg", "80 kg"] {
            assert!(text.contains(part), "the alert row lacks {part}: {text}");
        }
        let started = alert["started_seq"].as_u64().expect("started_seq");
        assert_eq!(
            b.text(&format!("{row} [data-entry=started] a")),
            json!(format!("#{started}")),
            "the raising entry is not shown"
        );
        assert_eq!(b.count("#alert-sweep"), 1, "no sweep button for the administrator");
        assert!(b.text("#alert-ack-explain").as_str().is_some_and(|t| t.contains("acknowledge")));

        // English: the rule's English name from the server.
        b.click("#lang-toggle");
        b.wait_for(
            "document.documentElement.lang === 'en' && document.body.dataset.ready === 'alerts'",
            "the English alert list",
        );
        let text = b.text(&format!("{row} .rule-name"));
        assert_eq!(text, alert["rule_en"], "the rule is not named in English");
        assert_eq!(text, json!("weight discrepancy"));

        // Filtered to open alerts: the API's open ones.
        b.select("#alert-state", "open");
        b.wait_for(
            "location.hash === '#/alerts?state=open' && document.body.dataset.ready === 'alerts'",
            "the open alerts",
        );
        assert_eq!(column(b, "alert-list", "id").len(), open_count);
        assert!(column(b, "alert-list", "state").iter().all(|s| s == "open"));

        // The sweep, run by hand.
        b.click("#alert-sweep");
        b.wait_for(
            "document.body.dataset.ready === 'alerts' && document.querySelector('#notice').textContent.startsWith('Sweep done')",
            "the sweep's report",
        );

        // Without a regulator's key in this browser, only the explanation.
        assert_eq!(b.count("#ack-form"), 0);
        assert_eq!(b.count("#alert-ack-unavailable"), 1);

        // A key of the bureau made in the page, then the acknowledgement signed with it.
        b.open(&format!("{}/#/enterprises/{WANSHENG_EEB}/devices", app.base), "enterprise");
        b.type_into("#device-name", "desk-1");
        b.click("#device-genkey");
        b.wait_for("document.querySelector('#device-pubkey').value.length > 0", "a generated key");
        b.click("#device-submit");
        b.wait_for(
            "document.body.dataset.ready === 'enterprise' && !!document.querySelector('#device-list tr[data-device=\"desk-1\"] [data-local-key]')",
            "the bureau's device, held by this browser",
        );
        let key_id = b.eval("document.querySelector('#device-list tr[data-device=\"desk-1\"]').dataset.keyId");
        b.click("#nav-alerts");
        b.wait_ready("alerts");
        b.click(&format!("{row} button[data-ack]"));
        assert_eq!(b.eval("document.querySelector('#ack-alert').value"), json!(alert_id));
        assert_eq!(b.eval("document.activeElement.id"), json!("ack-note"));
        b.type_into("#ack-note", "已约谈产生单位，核查称重");
        b.click("#ack-submit");
        b.wait_for(
            &format!(
                "document.body.dataset.ready === 'alerts' && document.querySelector({})?.dataset.state === 'acknowledged'",
                js(&row)
            ),
            "the acknowledged alert",
        );
        let acked = block_on(admin.get_ok(&format!("/api/v1/alerts/{alert_id}")));
        assert_eq!(acked["state"], "acknowledged", "{acked}");
        let acked_seq = acked["acked_seq"].as_u64().expect("acked_seq");
        assert_eq!(b.text(&format!("{row} [data-entry=acked] a")), json!(format!("#{acked_seq}")));
        let entry = block_on(async {
            let anon = app.anonymous();
            let url = format!("{}/log/entries?start={acked_seq}&end={}", app.base, acked_seq + 1);
            anon.http.get(url).send().await.expect("entry").text().await.expect("entry text")
        });
        let entry: Value = serde_json::from_str(entry.trim()).expect("entry JSON");
        assert_eq!(entry["envelope"]["signatures"][0]["keyid"], key_id, "not signed by the page's key: {entry}");

        // Indicators: the figures the API computes, in the language chosen.
        b.click("#nav-indicators");
        b.wait_ready("indicators");
        let from = b.eval("document.querySelector('#ind-from').value");
        let to = b.eval("document.querySelector('#ind-to').value");
        let from = from.as_str().expect("from").to_owned();
        let to = to.as_str().expect("to").to_owned();
        assert!(from.ends_with("-01-01") && to == now_cst()[..10], "default period {from}..{to}");
        let period = format!("from={from}&to={to}");
        let rates = block_on(admin.get_ok(&format!("/api/v1/indicators/disposal?{period}")));
        let balance = block_on(admin.get_ok(&format!("/api/v1/indicators/mass-balance?{period}")));
        assert_eq!(rates["industrial"]["generated_g"], 350_000, "{rates}");
        assert_eq!(rates["industrial"]["disposal_permille"], 571, "{rates}");
        assert_eq!(rates["medical"]["disposal_permille"], 0, "{rates}");
        for (card, standing) in [("ind-industrial", &rates["industrial"]), ("ind-medical", &rates["medical"])] {
            assert_eq!(
                b.eval(&format!("document.querySelector('#{card}').dataset.permille")),
                json!(standing["disposal_permille"].to_string()),
                "{card}"
            );
            assert_eq!(b.text(&format!("#{card} .rate")), json!(percent(&standing["disposal_permille"])), "{card}");
        }
        assert_eq!(b.text("#ind-industrial .rate"), json!("57.1%"));
        let definition = b.text("#ind-definition");
        assert!(
            definition.as_str().is_some_and(|d| d.contains(rates["definition_en"].as_str().unwrap_or("?"))),
            "the definition is not shown: {definition}"
        );
        let keys: Vec<String> =
            rates["groups"].as_array().expect("groups").iter().map(|g| g["key"].as_str().unwrap_or("?").to_owned()).collect();
        assert_eq!(column(b, "ind-groups", "key"), keys);
        assert_eq!(keys, ["HW01", "HW08", "HW12"]);
        assert_eq!(
            b.eval("document.querySelector('#balance-closes').dataset.closes"),
            json!(balance["closes"].to_string())
        );
        assert_eq!(
            b.eval("document.querySelector('#balance-terms tr[data-term=weighing_g]').dataset.g"),
            json!(balance["weighing_g"].to_string())
        );
        assert_eq!(balance["weighing_g"], 20_000, "{balance}");
        assert_eq!(column(b, "balance-lines", "item"), std::slice::from_ref(&light));

        // Grouped by waste code instead.
        b.select("#ind-by", "code");
        b.wait_for(
            "location.hash.includes('by=code') && document.body.dataset.ready === 'indicators'",
            "the indicators by waste code",
        );
        assert_eq!(column(b, "ind-groups", "key"), ["841-001-01", "900-249-08", "900-252-12"]);

        // Yunan's reconciliation, from the facility list.
        b.click("#nav-facilities");
        b.wait_ready("facilities");
        assert!(column(b, "facility-list", "uscc").contains(&YUNAN.to_owned()));
        b.click(&format!("#facility-list tr[data-uscc={}] a", js(YUNAN)));
        b.wait_ready("facility");
        let r = block_on(admin.get_ok(&format!("/api/v1/reconciliation/facilities/{YUNAN}")));
        assert_eq!(b.eval("document.querySelector('#facility').dataset.date"), r["date"]);
        let incineration = r["methods"]
            .as_array()
            .and_then(|m| m.iter().find(|m| m["method"] == "incineration"))
            .expect("incineration")
            .clone();
        assert_eq!(incineration["treated_ytd_g"], 200_000, "{r}");
        let method_row = b.text("#fac-methods tr[data-method=incineration]");
        let method_row = method_row.as_str().expect("incineration row").to_owned();
        for part in ["incineration", "0.200", &percent(&incineration["utilisation_permille"])] {
            assert!(method_row.contains(part), "the incineration row lacks {part}: {method_row}");
        }
        assert_eq!(column(b, "fac-inventory", "code"), ["900-252-12"]);
        assert!(b.text("#fac-inventory tr[data-code='900-252-12']").as_str().is_some_and(|t| t.contains("0.080 t")));
        assert!(b.text("#fac-oldest").as_str().is_some_and(|t| t.contains(light.as_str())));

        // Back in Chinese, the same page.
        b.click("#lang-toggle");
        b.wait_for(
            "document.documentElement.lang === 'zh-CN' && document.body.dataset.ready === 'facility'",
            "the Chinese reconciliation",
        );
        let method_row = b.text("#fac-methods tr[data-method=incineration]");
        assert!(method_row.as_str().is_some_and(|t| t.contains("焚烧")), "{method_row}");
        assert!(b.text("#fac-definition").as_str().is_some_and(has_cjk));
        assert_eq!(b.eval("document.querySelector('#footer-public').getAttribute('href')"), json!("/public/facilities"));
    })
    .await;
}

/// Scenario: a facility's own user gets a link to its reconciliation and no regulators'
/// pages; the alert list refuses it with the server's message. A district regulator sees
/// the indicators of its own district without choosing one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facility_users_see_their_reconciliation_and_regulators_their_district() {
    let app = common::spawn_app().await;
    app.user("yunan-admin", "enterprise_admin", Some(YUNAN), None).await;
    app.user("ws-reg", "regulator", None, Some("wansheng")).await;

    with_browser(app, |app, b| {
        log_in(b, &app.base, "yunan-admin", "enterprise_admin", "gate");
        assert_eq!(b.count("#nav-alerts") + b.count("#nav-indicators") + b.count("#nav-facilities"), 0);
        b.click("#nav-my-facility");
        b.wait_for(
            &format!("document.body.dataset.ready === 'facility' && document.querySelector('#facility')?.dataset.uscc === {}", js(YUNAN)),
            "Yunan's own reconciliation",
        );
        assert!(b.count("#fac-methods tr[data-method]") > 0, "Yunan's permit methods are not listed");
        b.open(&format!("{}/#/alerts", app.base), "alerts");
        super::wait_error(b, "regulators_only", "alerts");
        b.open(&format!("{}/#/", app.base), "home");
        assert_eq!(b.count("#home-my-facility"), 1);
        assert_eq!(b.eval("document.querySelector('#home-public').getAttribute('href')"), json!("/public/facilities"));
        b.click("#logout");
        b.wait_for(
            "document.body.dataset.ready === 'home' && !('username' in document.querySelector('#whoami').dataset)",
            "the logged-out home page",
        );

        log_in(b, &app.base, "ws-reg", "regulator", "alerts");
        b.click("#nav-indicators");
        b.wait_ready("indicators");
        assert_eq!(b.count("#ind-district"), 0, "a regulator is offered other districts");
        assert_eq!(b.eval("document.querySelector('#indicators').dataset.district"), json!("wansheng"));
        assert_eq!(b.text("#ind-industrial .rate"), json!("—"), "an empty cohort has no rate");
    })
    .await;
}
