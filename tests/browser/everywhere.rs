//! Browser tests of what every screen shares: each kind of user lands on its own start page
//! (core/roles.js), a phone reaches every section the user may open through the bottom bar
//! and its "more" sheet, and the Chinese UI names custody states in Chinese, never by code.

use hwtrace::client::generate_fields;
use serde_json::{json, Value};

use super::cdp::{js, Browser};
use super::common::cast::Cast;
use super::common::custody::{accepted, Fleet};
use super::common::{self, YUNAN};
use super::{has_cjk, listed_items, log_in, shoot, with_browser};

/// The first 17 characters of the generator's and the transporter's USCCs.
const SHOP: &str = "91500110MA6EWG001";
const CARRIER: &str = "91500110MA6EWT001";

/// Logs out through the header's button and waits for the logged-out home page.
fn log_out(b: &mut Browser) {
    b.click("#logout");
    b.wait_for(
        "document.body.dataset.ready === 'home' && !('username' in document.querySelector('#whoami').dataset)",
        "the logged-out home page",
    );
}

/// The sections the navigation offers this user: [(section, href)] of the header's bar.
fn sections(b: &mut Browser) -> Vec<(String, String)> {
    let v = b.eval("[...document.querySelectorAll('#nav a')].map((a) => [a.dataset.section, a.getAttribute('href')])");
    serde_json::from_value(v).expect("a list of sections")
}

/// Scenario: a generator's clerk, a transporter's user (a driver), a facility's user (the
/// gate), a regulator and the administrator each log in and land on their own start page,
/// marked as the current section; the driver's and the gate's pages say plainly that they
/// have nothing yet. Opening the site without a page starts a logged-in user there too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_lands_on_its_own_home_page() {
    let app = common::spawn_app().await;
    let (shop, carrier) = (common::uscc(SHOP), common::uscc(CARRIER));
    let _cast = Cast::on(&app)
        .generator("shop", SHOP)
        .transporter("carrier", CARRIER, Fleet::van("渝D66666", "500110199001011234"))
        .seeded("yunan", YUNAN)
        .user("shop-clerk", "enterprise_clerk", Some(&shop), None)
        .user("driver", "enterprise_clerk", Some(&carrier), None)
        .user("gate", "enterprise_clerk", Some(YUNAN), None)
        .regulator("ws-reg", "wansheng")
        .build()
        .await;

    with_browser(app, |app, b| {
        let homes = [
            ("shop-clerk", "enterprise_clerk", "items", "#/items", "#nav-items"),
            ("driver", "enterprise_clerk", "trips", "#/trips", "#nav-trips"),
            ("gate", "enterprise_clerk", "gate", "#/gate", "#nav-gate"),
            ("ws-reg", "regulator", "alerts", "#/alerts", "#nav-alerts"),
            ("admin", "admin", "enterprises", "#/enterprises", "#nav-enterprises"),
        ];
        for (user, role, view, hash, nav) in homes {
            log_in(b, &app.base, user, role, view);
            assert_eq!(b.eval("location.hash"), json!(hash), "{user} landed elsewhere");
            assert_eq!(
                b.eval(&format!(
                    "document.querySelector({}).getAttribute('aria-current')",
                    js(nav)
                )),
                json!("page"),
                "{user}'s start page is not marked as the current section"
            );
            // The site opened without a page: the user's start page again.
            b.open(&format!("{}/", app.base), view);
            assert_eq!(b.eval("location.hash"), json!(hash), "{user} opening the site");
            // The overview still links the start page.
            b.open(&format!("{}/#/", app.base), "home");
            assert_eq!(
                b.eval("document.querySelector('#home-start')?.getAttribute('href')"),
                json!(hash)
            );
            log_out(b);
        }

        // The driver's and the gate's start pages: the driver first chooses the vehicle he
        // drives (his carrier has one), then both see an honest empty state in Chinese, no list.
        for (user, view, empty) in [("driver", "trips", "#trips-none"), ("gate", "gate", "#gate-empty")] {
            log_in(b, &app.base, user, "enterprise_clerk", view);
            if user == "driver" {
                assert_eq!(
                    b.count("#vehicle-list button[data-plate]"),
                    1,
                    "the carrier's one vehicle"
                );
                b.click("#vehicle-list button[data-plate]");
                b.wait_for("!!document.querySelector('#trips-plate')", "the vehicle chosen");
            }
            b.wait_for(&format!("!!document.querySelector({})", js(empty)), "the empty state");
            assert_eq!(
                b.eval(&format!("document.querySelector({}).dataset.empty", js(empty))),
                json!("yes")
            );
            let text = b.text(empty);
            assert!(
                text.as_str().is_some_and(has_cjk),
                "{user}'s empty state is not in Chinese: {text}"
            );
            assert_eq!(
                b.count(&format!("#{view} table, #{view} li")),
                0,
                "{user}'s page lists something"
            );
            log_out(b);
        }
    })
    .await;
}

/// Scenario: on a 390×844 phone the header's bar is hidden and a bottom bar shows the user's
/// start page first; every section the wide header offers is reached by a tap, on the bar
/// or in the "more" sheet, for the administrator (the most sections), a facility's user and
/// a visitor. Nothing is wider than the screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_navigation_reaches_every_section_at_390x844() {
    let app = common::spawn_app().await;
    app.user("gate", "enterprise_clerk", Some(YUNAN), None).await;
    app.admin().await;

    with_browser(app, |app, b| {
        for (user, role, home) in [("admin", "admin", "enterprises"), ("gate", "enterprise_clerk", "gate"), ("", "", "home")] {
            if user.is_empty() {
                b.open(&format!("{}/#/", app.base), "home");
            } else {
                log_in(b, &app.base, user, role, home);
            }
            let offered = sections(b);
            let wanted: &[&str] = match user {
                "admin" => &["home", "catalogue", "enterprises", "items", "manifests", "alerts", "dashboard", "indicators", "facilities", "users", "tokens", "enrolments", "log"],
                "gate" => &["home", "gate", "gate-capacity", "gate-treatment", "catalogue", "enterprises", "items", "manifests", "my-facility", "tokens", "device", "queue"],
                _ => &["home", "catalogue"],
            };
            let mut keys: Vec<&str> = offered.iter().map(|(k, _)| k.as_str()).collect();
            keys.sort_unstable();
            let mut want = wanted.to_vec();
            want.sort_unstable();
            assert_eq!(keys, want, "the sections offered to {user:?}");

            b.phone();
            b.open(&format!("{}/#/", app.base), "home");
            shoot(b, &format!("phone-home-{}", if user.is_empty() { "visitor" } else { user }));
            assert!(!b.visible("#nav-catalogue"), "the wide header's bar shows on a phone");
            assert!(b.visible("#phone-nav"), "no bottom bar on a phone");
            let bar = b.eval(
                "(() => { const links = [...document.querySelectorAll('#phone-nav a')];
                   return { n: links.length, first: links[0]?.dataset.section,
                     inside: [...document.querySelectorAll('#phone-nav a, #phone-more')]
                       .every((a) => { const r = a.getBoundingClientRect();
                         return r.left >= 0 && r.right <= innerWidth && r.bottom <= innerHeight && r.height >= 44; }) }; })()",
            );
            assert!(bar["n"].as_u64().is_some_and(|n| (1..=4).contains(&n)), "{bar}");
            assert_eq!(bar["first"], json!(home), "the bar does not start with {user:?}'s start page");
            assert_eq!(bar["inside"], json!(true), "a bar item is off screen or smaller than a fingertip: {bar}");

            for (section, href) in &offered {
                let on_bar = format!("#pnav-{section}");
                if b.count(&on_bar) == 1 {
                    b.tap(&on_bar);
                } else {
                    b.tap("#phone-more");
                    b.wait_for("!document.querySelector('#phone-sheet').hidden", "the sheet of every section");
                    if user == "admin" && section == "users" {
                        shoot(b, "phone-more-sheet-admin");
                    }
                    b.tap(&format!("#sheet-{section}"));
                }
                b.wait_for(
                    &format!(
                        "location.hash === {} && !!document.body.dataset.ready && document.querySelector('#phone-sheet').hidden",
                        js(href)
                    ),
                    &format!("section {section} reached by tapping"),
                );
                let current = b.eval(&format!(
                    "!!document.querySelector('#pnav-{section}[aria-current=page]') || document.querySelector('#phone-more').classList.contains('current')"
                ));
                assert_eq!(current, json!(true), "section {section} is not marked current on the phone");
                shoot(b, &format!("phone-{}-{section}", if user.is_empty() { "visitor" } else { user }));
                let wide = b.eval("document.documentElement.scrollWidth");
                assert!(wide.as_u64().is_some_and(|w| w <= 390), "section {section} is wider than the phone: {wide}");
            }
            b.desktop(1366, 900);
            b.open(&format!("{}/#/", app.base), "home");
            assert!(b.visible("#nav-catalogue") && !b.visible("#phone-nav"), "the wide screen shows the phone's bar");
            shoot(b, &format!("desktop-home-{}", if user.is_empty() { "visitor" } else { user }));
            if !user.is_empty() {
                log_out(b);
            }
        }
    })
    .await;
}

/// Scenario: the shop's items stand in every state a trip passes through (stored, released,
/// in transit, arrived, received, treated); in the Chinese item list each state cell shows
/// the server's Chinese name of the state, never its code, and so does the state filter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chinese_item_list_shows_no_raw_state_code() {
    let app = common::spawn_app().await;
    let cast = Cast::on(&app)
        .generator("shop", SHOP)
        .transporter("carrier", CARRIER, Fleet::van("渝D66667", "500110199001011235"))
        .seeded("yunan", YUNAN)
        .build()
        .await;
    let drum = || {
        cast.generate(
            "shop",
            generate_fields("900-249-08", 100_000, "liquid", &["T", "I"], 200),
        )
    };
    let stored = drum().await;
    let released = drum().await;
    let in_transit = drum().await;
    let arrived = drum().await;
    let received = drum().await;
    let treated = drum().await;
    cast.released("shop", "carrier", "yunan", &[&released]).await;
    cast.on_the_road("shop", "carrier", "yunan", &[&in_transit]).await;
    cast.at_the_gate("shop", "carrier", "yunan", &[(&arrived, 100_000)])
        .await;
    cast.deliver("shop", "carrier", "yunan", &[(&received, 100_000), (&treated, 100_000)])
        .await;
    accepted(
        &cast.admin,
        &cast["yunan"].device,
        "treat",
        json!({"item": treated, "method": "incineration", "treated_mass_g": 100_000}),
    )
    .await;
    let reference = state_names_zh(&app).await;
    let expected = [
        (stored, "stored"),
        (released, "released"),
        (in_transit, "in_transit"),
        (arrived, "arrived"),
        (received, "received"),
        (treated, "treated"),
    ];

    with_browser(app, move |app, b| {
        log_in(b, &app.base, "admin", "admin", "enterprises");
        b.click("#nav-items");
        b.wait_ready("items");
        for (code, state) in &expected {
            let row = format!("#item-list tr[data-code={}]", js(code));
            assert_eq!(
                b.eval(&format!("document.querySelector({}).dataset.state", js(&row))),
                json!(state)
            );
            let shown = b.text(&format!("{row} [data-state]"));
            let name_zh = reference[*state].as_str().expect("a Chinese name");
            assert_eq!(shown, json!(name_zh), "the {state} item's state cell");
            assert!(has_cjk(name_zh) && !name_zh.contains(state), "{state}: {name_zh}");
        }
        let cells: Vec<String> = serde_json::from_value(
            b.eval("[...document.querySelectorAll('#item-list td [data-state]')].map((s) => s.textContent)"),
        )
        .expect("state cells");
        assert_eq!(cells.len(), expected.len());
        assert!(
            cells
                .iter()
                .all(|c| has_cjk(c) && c.chars().all(|ch| !ch.is_ascii_alphabetic())),
            "{cells:?}"
        );
        let options: Vec<String> = serde_json::from_value(b.eval(
            "[...document.querySelectorAll('#items-state option')].filter((o) => o.value).map((o) => o.textContent)",
        ))
        .expect("options");
        assert_eq!(options.len(), 10, "every custody state can be filtered on: {options:?}");
        assert!(options.iter().all(|o| has_cjk(o) && !o.contains('_')), "{options:?}");
        shoot(b, "desktop-items-states");
        b.phone();
        b.reload("items");
        shoot(b, "phone-items-states");
        b.desktop(1280, 900);
        b.reload("items");
        // The list filtered by a state the old filter did not offer.
        b.select("#items-state", "in_transit");
        b.wait_for(
            "location.hash === '#/items?state=in_transit' && document.body.dataset.ready === 'items'",
            "the items in transit",
        );
        assert_eq!(listed_items(b), vec![expected[2].0.clone()]);
    })
    .await;
}

/// The Chinese names of the custody states, by code, as the server's reference lists them.
async fn state_names_zh(app: &common::TestApp) -> Value {
    let (_, reference) = app.anonymous().get("/api/v1/reference").await;
    let mut names = serde_json::Map::new();
    for s in reference["item_states"].as_array().expect("item_states") {
        names.insert(s["code"].as_str().expect("code").into(), s["name_zh"].clone());
    }
    Value::Object(names)
}
