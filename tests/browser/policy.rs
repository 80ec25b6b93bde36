//! Browser tests of the Content-Security-Policy (issue 12, point 6): the harness hears every
//! violation (`cdp.rs`: each document reports `securitypolicyviolation`, and every story fails
//! on one), and the main screens, the server's pages and the frames that print them run under
//! the policy with none: the public pages, the log's verification (a Web Worker), the
//! regulator's dashboard with a tooltip shown, an item with its label in a frame, the
//! printed 联单, the administrator's users and enterprises (a weak password refused under its
//! field), the `/Q/` page and the public facility page.

use serde_json::{json, Value};

use super::cdp::{js, Browser};
use super::common::cast::Cast;
use super::common::custody::Fleet;
use super::common::{self, YUNAN};
use super::{log_in, with_browser};

/// Breaks the policy on purpose in the current document: an inline script and a `style`
/// attribute. Answers whether the script ran.
fn break_policy(b: &mut Browser) -> Value {
    b.eval(
        "(() => {
            const s = document.createElement('script');
            s.textContent = 'window.__inlineRan = true';
            document.head.append(s);
            document.body.setAttribute('style', 'outline: 3px solid red');
            return window.__inlineRan === true;
        })()",
    )
}

/// The violations reported within a moment (they arrive as events, after the fact).
fn violations_now(b: &mut Browser) -> Vec<Value> {
    b.eval("new Promise((r) => setTimeout(() => r(true), 200))");
    b.csp_violations()
        .iter()
        .map(|v| serde_json::from_str(v).expect("a JSON report"))
        .collect()
}

/// The directives of reports.
fn directives(reports: &[Value]) -> Vec<&str> {
    let mut d: Vec<&str> = reports.iter().filter_map(|r| r["directive"].as_str()).collect();
    d.sort_unstable();
    d
}

/// Scenario: in the app's page and in a server page, an inline script does not run and is
/// reported, and so is a `style` attribute: the harness would see the app break its policy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_harness_hears_every_policy_violation() {
    let app = common::spawn_app().await;
    with_browser(app, |app, b| {
        b.open(&format!("{}/#/", app.base), "home");
        assert_eq!(break_policy(b), json!(false), "an inline script ran in the app");
        let reports = violations_now(b);
        assert_eq!(
            directives(&reports),
            ["script-src-elem", "style-src-attr"],
            "{reports:?}"
        );

        let page = format!("{}/public/facilities", app.base);
        b.goto(&page);
        assert_eq!(break_policy(b), json!(false), "an inline script ran in a server page");
        let reports = violations_now(b);
        assert_eq!(
            directives(&reports),
            ["script-src-elem", "style-src-attr"],
            "{reports:?}"
        );
        assert!(reports.iter().all(|r| r["document"] == json!(page)), "{reports:?}");
    })
    .await;
}

/// Scenario: a shop's drum goes to Yunan and one is incinerated, so that every screen has
/// something to show; each kind of user goes through the main screens and nothing the pages
/// do (ECharts on the dashboard included) breaks the policy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_screens_run_under_the_policy_with_no_violation() {
    let app = common::spawn_app().await;
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA6CPL001")
        .transporter(
            "carrier",
            "91500110MA6CPL002",
            Fleet::van("渝D66663", "500110199207071235"),
        )
        .seeded("yunan", YUNAN)
        .regulator("ws-reg", "wansheng")
        .build()
        .await;
    let (light, _burnt) = cast.light_and_burnt(false).await;
    let drum = cast
        .generate(
            "shop",
            hwtrace::client::generate_fields("900-249-08", 30_000, "liquid", &["T"], 200),
        )
        .await;
    let manifest = cast.at_the_gate("shop", "carrier", "yunan", &[(&drum, 30_000)]).await;
    let item = cast["shop"].client.get_ok(&format!("/api/v1/items/{light}")).await;
    let label = data_encoding::BASE64
        .decode(item["label_b64"].as_str().expect("a label").as_bytes())
        .expect("base64");
    let b32 = data_encoding::BASE32_NOPAD.encode(&label);

    with_browser(app, move |app, b| {
        let base = &app.base;
        let quiet = |b: &mut Browser, what: &str| {
            let reports = violations_now(b);
            assert!(reports.is_empty(), "{what} broke the policy: {reports:#?}");
        };
        // Anyone: the public screens, the log verified in the browser (a Web Worker audits
        // a range), the server's public pages.
        for (hash, view) in [("#/", "home"), ("#/catalogue", "catalogue"), ("#/login", "login"), ("#/log", "log")] {
            b.open(&format!("{base}/{hash}"), view);
            quiet(b, view);
        }
        b.goto(&format!("{base}/Q/{b32}"));
        assert_eq!(b.eval("document.querySelectorAll('style').length > 0"), json!(true));
        quiet(b, "the /Q/ page");
        b.goto(&format!("{base}/public/facilities"));
        quiet(b, "the public facility page");

        // The regulator: alerts, the dashboard's charts with a tooltip shown.
        log_in(b, base, "ws-reg", "regulator", "alerts");
        quiet(b, "the alerts");
        for chart in ["capacity", "flows", "sankey", "rates", "alerts", "stock"] {
            b.open(&format!("{base}/#/dashboard/{chart}"), &format!("dashboard-{chart}"));
            let shown = b.eval(
                "(() => {
                    const el = document.querySelector('[id^=dash-chart-]');
                    const chart = el && echarts.getInstanceByDom(el);
                    if (!chart) return false;
                    chart.dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: 0 });
                    return true;
                })()",
            );
            assert_eq!(shown, json!(true), "no chart on the dashboard's {chart} page");
            quiet(b, &format!("the dashboard's {chart} page"));
        }
        b.click("#logout");
        b.wait_ready("home");

        // The shop: its item with the label in a frame, the manifest printed from a frame.
        log_in(b, base, "shop-admin", "enterprise_admin", "items");
        b.open(&format!("{base}/#/items/{light}"), "item");
        b.wait_for(
            "(() => { const f = document.querySelector('#item-label-frame'); return !!f?.contentDocument?.querySelector('.label .qr svg'); })()",
            "the label in its frame",
        );
        quiet(b, "the item page with its label");
        b.capture_prints();
        b.open(&format!("{base}/#/manifests/{manifest}"), "manifest");
        b.click("#manifest-print");
        b.wait_for("(window.__hwtracePrints || []).length === 1", "the manifest printed");
        quiet(b, "the manifest printed from its frame");
        b.click("#logout");
        b.wait_ready("home");

        // The administrator: enterprises, and the users' form refusing a password that is a
        // run of digits, the server's reason under the field.
        log_in(b, base, "admin", "admin", "enterprises");
        b.open(&format!("{base}/#/users"), "users");
        b.type_into("#user-username", "plant-admin");
        b.type_into("#user-password", "1234567890");
        b.type_into("#user-display-name", "处置厂管理员");
        b.select("#user-role", "admin");
        b.click("#user-submit");
        b.wait_for("document.querySelector('#user-password-error')", "the password's error");
        assert_eq!(b.eval("document.querySelector('#user-password-error').dataset.code"), json!("weak_password"));
        let said = b.text("#user-password-error");
        assert!(said.as_str().is_some_and(|t| t.contains("连续的字母、数字或键盘按键")), "{said}");
        quiet(b, "the users' page");
        assert_eq!(b.eval(&format!("document.body.dataset.ready === {}", js("users"))), json!(true));
    })
    .await;
}
