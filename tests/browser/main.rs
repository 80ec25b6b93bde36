//! Browser tests: a real headless Chromium (driven over the DevTools protocol, see `cdp.rs`)
//! uses the web app served by the real service, the way a person would: typing, clicking,
//! reading what is on screen. What the page claims is checked against the API as well.
//!
//! Needs Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it). Without it
//! these tests fail, they are not skipped.

mod cdp;
#[path = "../common/mod.rs"]
mod common;
mod dashboard;
mod driver;
mod enrol;
mod everywhere;
mod gate;
mod generator;
mod infra;
mod media;
mod oversight;
mod oversight_links;
mod policy;
mod register;
mod site;
mod verify;

use std::future::Future;

use cdp::{js, Browser, Launch};
use common::{TestApp, YUNAN};
use data_encoding::BASE64;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Runs `body` with a fresh desktop browser on a blocking thread (the service keeps serving
/// on the runtime's workers), then fails if the page reported any JS error. A panic in `body`
/// fails the test with its own message, and the browser is killed either way.
async fn with_browser<F>(app: TestApp, body: F)
where
    F: FnOnce(&TestApp, &mut Browser) + Send + 'static,
{
    with_browsers(app, [Launch::desktop()], move |app, [b]| body(app, b)).await;
}

/// Like [`with_browser`], with one browser per launch, all running at once (two phones
/// handing over, a phone and the gate's PC). Each is its own Chromium with its own profile;
/// every one of them must end without JS errors.
///
/// ```ignore
/// with_browsers(app, [Launch::phone(), Launch::phone()], |app, [first, second]| {
///     first.open(&format!("{}/#/", app.base), "home");
///     second.open(&format!("{}/#/", app.base), "home");
/// })
/// .await;
/// ```
async fn with_browsers<const N: usize, F>(app: TestApp, launches: [Launch; N], body: F)
where
    F: FnOnce(&TestApp, &mut [Browser; N]) + Send + 'static,
{
    let story = std::thread::current().name().unwrap_or("?").to_owned();
    let outcome = tokio::task::spawn_blocking(move || {
        let mut browsers = launches.map(|l| l.launch());
        body(&app, &mut browsers);
        for (i, b) in browsers.iter_mut().enumerate() {
            b.assert_no_js_errors();
            // The story's cost to its users (`cargo test --test browser -- --nocapture`).
            println!("gestures: {story} [browser {}]: {}", i + 1, b.gestures());
        }
    })
    .await;
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("browser test did not finish: {e}"),
        }
    }
}

/// Runs an async API call from the blocking browser thread.
fn block_on<T>(f: impl Future<Output = T>) -> T {
    tokio::runtime::Handle::current().block_on(f)
}

/// Logs in through the login form and waits for the user's home page, the view `home` the app
/// goes to for this user (core/roles.js: the administrator's is the enterprise list).
fn log_in(b: &mut Browser, base: &str, username: &str, role: &str, home: &str) {
    b.open(&format!("{base}/#/login"), "login");
    b.type_into("#login-user", username);
    b.type_into("#login-pass", common::PASSWORD);
    b.click("#login-submit");
    b.wait_for(
        &format!(
            "document.body.dataset.ready === {} && document.querySelector('#whoami').dataset.role === {}",
            js(home),
            js(role)
        ),
        &format!("{username} logged in and on the home page `{home}`"),
    );
}

/// The USCCs of the rows of `#enterprise-list`, in order.
fn listed_enterprises(b: &mut Browser) -> Vec<String> {
    let v = b.eval("[...document.querySelectorAll('#enterprise-list tr[data-uscc]')].map((tr) => tr.dataset.uscc)");
    serde_json::from_value(v).expect("a list of USCCs")
}

/// The waste codes of the rows of `#catalogue-results`, in order.
fn listed_codes(b: &mut Browser) -> Vec<String> {
    let v = b.eval("[...document.querySelectorAll('#catalogue-results li[data-code]')].map((li) => li.dataset.code)");
    serde_json::from_value(v).expect("a list of codes")
}

/// Waits until `#error` is shown with the server's `code`, the view `view` having settled.
fn wait_error(b: &mut Browser, code: &str, view: &str) {
    b.wait_for(
        &format!(
            "(() => {{ const e = document.querySelector('#error');
                return !e.hidden && e.dataset.code === {} && document.body.dataset.ready === {}; }})()",
            js(code),
            js(view)
        ),
        &format!("error `{code}` on view `{view}`"),
    );
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Saves a screenshot of the page as `<name>.png` in the directory named by the environment
/// variable `HWTRACE_SCREENSHOTS`, when it is set (to look at the screens, or for the docs).
fn shoot(b: &mut Browser, name: &str) {
    if let Some(dir) = std::env::var_os("HWTRACE_SCREENSHOTS") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        b.save_screenshot_as(&dir.join(format!("{name}.png")), cdp::Shot::Viewport);
    }
}

// ---------------------------------------------------------------------------------- tests

/// Scenario: anyone looks up waste codes by category, Chinese name and code prefix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalogue_search_by_category_name_and_code_prefix() {
    let app = common::spawn_app().await;
    with_browser(app, |app, b| {
        // Category: every HW08 code of the 2021 list, 900-249-08 among them.
        b.open(&format!("{}/#/catalogue?q=HW08", app.base), "catalogue");
        b.wait_for("document.querySelector('#catalogue-results').dataset.q === 'HW08'", "results for HW08");
        assert_eq!(b.count("#catalogue-results li[data-code]"), 32, "HW08 has 32 codes in the 2021 list");
        assert_eq!(
            b.count("#catalogue-results li[data-code][data-category]:not([data-category='HW08'])"),
            0,
            "a row outside HW08 is listed for q=HW08"
        );
        assert_eq!(b.count("#catalogue-results li[data-code='900-249-08']"), 1, "900-249-08 is not listed");
        let total = b.text("#catalogue-total");
        assert!(total.as_str().is_some_and(|t| t.contains("32")), "total line does not say 32: {total}");

        // Chinese text typed into the search box (type-ahead): the rows are exactly what the
        // API finds (waste mineral oil: the HW08 codes, and one HW11 residue of its
        // regeneration), and the matched text is highlighted in each row.
        b.type_into("#catalogue-q", "废矿物油");
        b.wait_for(
            "document.querySelector('#catalogue-results').dataset.q === '废矿物油' && document.body.dataset.ready === 'catalogue'",
            "results for 废矿物油",
        );
        let (status, found) = block_on(app.anonymous().get("/api/v1/catalogue?q=%E5%BA%9F%E7%9F%BF%E7%89%A9%E6%B2%B9"));
        assert_eq!(status, StatusCode::OK, "{found}");
        let expected: Vec<String> =
            found["results"].as_array().expect("results").iter().map(|r| r["code"].as_str().expect("code").to_owned()).collect();
        assert_eq!(expected.iter().filter(|c| c.ends_with("-08")).count(), 32, "API: {expected:?}");
        assert!(expected.contains(&"772-001-11".to_owned()), "API: {expected:?}");
        assert_eq!(listed_codes(b), expected, "the page does not show what the API finds for 废矿物油");
        assert_eq!(b.count("#catalogue-results li[data-category='HW08']"), 32);
        let unmarked = b.eval(
            "[...document.querySelectorAll('#catalogue-results li[data-code]')]
                .filter((li) => ![...li.querySelectorAll('mark')].some((m) => m.textContent === '废矿物油'))
                .map((li) => li.dataset.code)",
        );
        assert_eq!(unmarked, json!([]), "rows without 废矿物油 highlighted by <mark>");
        assert_eq!(b.eval("location.hash"), json!("#/catalogue?q=%E5%BA%9F%E7%9F%BF%E7%89%A9%E6%B2%B9"), "the query is not kept in the URL");

        // A code prefix, typed over the previous query.
        b.type_into("#catalogue-q", "900-249");
        b.wait_for(
            "document.querySelector('#catalogue-results').dataset.q === '900-249' && document.body.dataset.ready === 'catalogue'",
            "results for 900-249",
        );
        assert_eq!(b.count("#catalogue-results li[data-code='900-249-08']"), 1, "900-249-08 not found by its prefix");
        let codes = listed_codes(b);
        assert!(!codes.is_empty());
        assert!(codes.iter().all(|c| c.starts_with("900-249")), "codes not starting with 900-249: {codes:?}");
        assert_eq!(b.text("#catalogue-results li[data-code='900-249-08'] .code mark"), json!("900-249"));
        // The list's exemptions show under their code: 900-249-08 is exempt at utilisation.
        assert_eq!(
            b.eval("document.querySelector(\"#catalogue-results li[data-code='900-249-08'] .exemptions\")?.dataset.exempt"),
            json!("utilisation")
        );
        let exempt = b.text("#catalogue-results li[data-code='900-249-08'] .exemptions");
        assert!(exempt.as_str().unwrap().contains("名录豁免") && exempt.as_str().unwrap().contains("利用"), "{exempt}");
    })
    .await;
}

/// Scenario: the UI is Chinese until the visitor switches to English, which is remembered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_defaults_to_chinese_and_english_choice_survives_reload() {
    let app = common::spawn_app().await;
    with_browser(app, |app, b| {
        b.open(&format!("{}/#/", app.base), "home");
        assert_eq!(b.eval("document.documentElement.lang"), json!("zh-CN"));
        assert_eq!(
            b.eval("document.querySelector('#lang-toggle').dataset.lang"),
            json!("zh")
        );
        assert_eq!(b.text("#view-title"), json!("首页"));
        assert_eq!(b.text("#nav-catalogue"), json!("名录查询"));
        assert_eq!(b.text("#lang-toggle"), json!("English"));

        b.click("#lang-toggle");
        b.wait_for(
            "document.querySelector('#lang-toggle').dataset.lang === 'en' && document.body.dataset.ready === 'home'",
            "the English home view",
        );
        assert_eq!(b.eval("document.documentElement.lang"), json!("en"));
        assert_eq!(b.text("#view-title"), json!("Home"));
        assert_eq!(b.text("#nav-catalogue"), json!("Waste catalogue"));
        assert_eq!(b.text("#login-link"), json!("Log in"));
        assert_eq!(
            b.text("#footer-note"),
            json!("All times are China Standard Time (UTC+8).")
        );
        assert_eq!(b.text("#lang-toggle"), json!("中文"));

        // A new document: the choice comes back from localStorage.
        b.reload("home");
        assert_eq!(b.eval("document.documentElement.lang"), json!("en"));
        assert_eq!(
            b.eval("document.querySelector('#lang-toggle').dataset.lang"),
            json!("en")
        );
        assert_eq!(b.text("#view-title"), json!("Home"));
        assert_eq!(b.text("#nav-catalogue"), json!("Waste catalogue"));

        // Another view in English too.
        b.click("#nav-catalogue");
        b.wait_ready("catalogue");
        assert_eq!(b.text("#view-title"), json!("Hazardous waste catalogue"));
    })
    .await;
}

/// Scenarios: a wrong password is refused with the Chinese message; the administrator logs
/// in, registers an enterprise through the form, and a USCC with a wrong check character is
/// refused by the server without adding anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_logs_in_and_registers_an_enterprise_through_the_form() {
    let app = common::spawn_app().await;
    let admin = app.admin().await;
    let wrong = app
        .anonymous()
        .post(
            "/api/v1/session",
            json!({"username": "admin", "password": "not the password"}),
        )
        .await;
    common::assert_refused(&wrong, StatusCode::UNAUTHORIZED, "bad_credentials");
    let message_zh = wrong.1["message_zh"].as_str().expect("Chinese message").to_owned();

    with_browser(app, move |app, b| {
        // Wrong password.
        b.open(&format!("{}/#/login", app.base), "login");
        b.type_into("#login-user", "admin");
        b.type_into("#login-pass", "not the password");
        b.click("#login-submit");
        b.wait_for(
            "(() => { const e = document.querySelector('#login-error');
                return !e.hidden && e.dataset.code === 'bad_credentials' && document.body.dataset.ready === 'login'; })()",
            "the login error",
        );
        let shown = b.text("#login-error .error-message");
        assert_eq!(shown, json!(message_zh), "the login error is not the server's Chinese message");
        assert!(has_cjk(&message_zh), "the Chinese message has no Chinese: {message_zh}");
        assert_eq!(b.eval("document.querySelector('#whoami').dataset.username ?? null"), Value::Null);
        assert_eq!(b.count("#nav-users"), 0);

        // Right password (typed over the wrong one).
        b.type_into("#login-pass", common::PASSWORD);
        b.click("#login-submit");
        b.wait_for(
            "document.body.dataset.ready === 'enterprises' && document.querySelector('#whoami').dataset.role === 'admin'",
            "the administrator on the enterprise list",
        );
        assert_eq!(b.eval("document.querySelector('#whoami').dataset.username"), json!("admin"));
        assert_eq!(
            b.eval("(() => { const a = document.querySelector('#nav-users'); return !!a && a.getClientRects().length > 0; })()"),
            json!(true),
            "#nav-users is not visible to the administrator"
        );
        let before = listed_enterprises(b);
        assert!(before.contains(&YUNAN.to_owned()), "the seeded facility is not listed: {before:?}");

        // Register a generator through the form.
        let good = common::uscc("91500110MA60GEN01");
        b.type_into("#ent-uscc", &good);
        b.type_into("#ent-name-zh", "万盛测试化工有限公司");
        b.type_into("#ent-name-en", "Wansheng Test Chemicals");
        b.click("#ent-role-generator");
        b.select("#ent-district", "wansheng");
        b.type_into("#ent-address", "重庆市万盛经开区测试路8号");
        b.type_into("#ent-contact-name", "李测试");
        b.type_into("#ent-contact-phone", "023-48001234");
        b.click("#enterprise-submit");
        b.wait_for(
            &format!(
                "document.body.dataset.ready === 'enterprise' && document.querySelector('#enterprise-detail')?.dataset.uscc === {}",
                js(&good)
            ),
            "the new enterprise's page",
        );
        b.click("#nav-enterprises");
        b.wait_ready("enterprises");
        let listed = listed_enterprises(b);
        assert!(listed.contains(&good), "{good} is not in the list: {listed:?}");
        assert_eq!(listed.len(), before.len() + 1, "{listed:?}");

        let (status, e) = block_on(admin.get(&format!("/api/v1/enterprises/{good}")));
        assert_eq!(status, StatusCode::OK, "{e}");
        assert_eq!(e["name_zh"], "万盛测试化工有限公司");
        assert_eq!(e["name_en"], "Wansheng Test Chemicals");
        assert_eq!(e["roles"], json!(["generator"]));
        assert_eq!(e["district"], "wansheng");
        assert_eq!(e["contact_phone"], "023-48001234");

        // The same form with a wrong check character: the server refuses, nothing is added.
        let valid = common::uscc("91500110MA60BAD02");
        let wrong_check = if valid.ends_with('1') { '2' } else { '1' };
        let bad = format!("{}{wrong_check}", &valid[..17]);
        b.type_into("#ent-uscc", &bad);
        assert_eq!(b.eval("document.querySelector('#ent-uscc').getAttribute('aria-invalid')"), json!("true"));
        b.type_into("#ent-name-zh", "校验码错误有限公司");
        b.click("#ent-role-generator");
        b.type_into("#ent-address", "重庆市万盛经开区测试路9号");
        b.type_into("#ent-contact-name", "王测试");
        b.type_into("#ent-contact-phone", "023-48005678");
        b.click("#enterprise-submit");
        wait_error(b, "bad_uscc_check", "enterprises");
        let text = b.text("#error .error-message");
        assert!(text.as_str().is_some_and(has_cjk), "the error is not shown in Chinese: {text}");
        assert_eq!(listed_enterprises(b), listed, "the list changed after a refused submission");

        let (status, list) = block_on(admin.get("/api/v1/enterprises"));
        assert_eq!(status, StatusCode::OK);
        let on_server: Vec<&str> =
            list["enterprises"].as_array().expect("list").iter().filter_map(|e| e["uscc"].as_str()).collect();
        assert_eq!(on_server.len(), listed.len(), "the server holds {on_server:?}");
        assert!(!on_server.contains(&bad.as_str()));
    })
    .await;
}

/// Scenario: a transporter's administrator sees only its own enterprise, registers a vehicle
/// and a device whose key is made in the browser (kept in IndexedDB, never exported), and
/// is refused another enterprise's page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enterprise_admin_registers_a_vehicle_and_a_browser_generated_device_key() {
    let app = common::spawn_app().await;
    let admin = app.admin().await;
    let fleet = common::uscc("91500110MA60TRN01");
    let (status, body) = admin
        .post(
            "/api/v1/enterprises",
            common::enterprise(&fleet, &["transporter"], "wansheng"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.user("fleet-admin", "enterprise_admin", Some(&fleet), None).await;

    with_browser(app, move |app, b| {
        log_in(b, &app.base, "fleet-admin", "enterprise_admin", "trips");
        b.click("#nav-enterprises");
        b.wait_ready("enterprises");
        assert_eq!(listed_enterprises(b), vec![fleet.clone()], "an enterprise admin sees only its own enterprise");
        assert_eq!(b.count("#nav-users"), 0, "#nav-users shown to a non-administrator");
        assert_eq!(b.count("#enterprise-form"), 0, "the add-enterprise form shown to a non-administrator");

        // Vehicle.
        b.click(&format!("#enterprise-list tr[data-uscc={}] a", js(&fleet)));
        b.wait_for(
            &format!(
                "document.body.dataset.ready === 'enterprise' && document.querySelector('#enterprise-detail')?.dataset.uscc === {}",
                js(&fleet)
            ),
            "the enterprise's page",
        );
        b.click("#tab-vehicles");
        b.wait_for(
            "document.body.dataset.ready === 'enterprise' && document.querySelector('#enterprise-detail')?.dataset.tab === 'vehicles'",
            "the vehicles tab",
        );
        b.type_into("#vehicle-plate", "渝D12345");
        b.select("#vehicle-type", "van");
        b.click("#vehicle-submit");
        b.wait_for(
            "document.body.dataset.ready === 'enterprise' && !!document.querySelector('#vehicle-list tr[data-plate=\"渝D12345\"]')",
            "the new vehicle in the list",
        );
        let row = b.text("#vehicle-list tr[data-plate='渝D12345']");
        assert!(row.as_str().is_some_and(|r| r.contains("厢式危险货物运输车")), "vehicle type not shown: {row}");
        let (status, list) = block_on(admin.get(&format!("/api/v1/enterprises/{fleet}/vehicles")));
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(list["vehicles"].as_array().map(Vec::len), Some(1), "{list}");
        assert_eq!(list["vehicles"][0]["plate"], "渝D12345");
        assert_eq!(list["vehicles"][0]["vehicle_type"], "van");

        // Device with a key generated by WebCrypto in the page.
        b.click("#tab-devices");
        b.wait_for(
            "document.body.dataset.ready === 'enterprise' && document.querySelector('#enterprise-detail')?.dataset.tab === 'devices'",
            "the devices tab",
        );
        assert_eq!(b.count("#device-list tr[data-device]"), 0);
        b.type_into("#device-name", "phone-1");
        b.click("#device-genkey");
        b.wait_for(
            "document.body.dataset.ready === 'enterprise' && document.querySelector('#device-pubkey').value.length > 0",
            "a generated public key",
        );
        let pubkey_b64 = b.eval("document.querySelector('#device-pubkey').value");
        let pubkey_b64 = pubkey_b64.as_str().expect("public key text").to_owned();
        let pubkey = BASE64.decode(pubkey_b64.as_bytes()).expect("the public key is base64");
        assert_eq!(pubkey.len(), 32, "an Ed25519 public key has 32 bytes");
        b.click("#device-submit");
        b.wait_for(
            "document.body.dataset.ready === 'enterprise' && !!document.querySelector('#device-list tr[data-device=\"phone-1\"]')",
            "the new device in the list",
        );
        let row = b.eval(
            "(() => { const tr = document.querySelector('#device-list tr[data-device=\"phone-1\"]');
                return { keyId: tr.dataset.keyId, revoked: tr.dataset.revoked, local: !!tr.querySelector('[data-local-key=\"yes\"]') }; })()",
        );
        let key_id = row["keyId"].as_str().filter(|k| !k.is_empty()).expect("the device row has a data-key-id").to_owned();
        assert_eq!(row["revoked"], "no");
        assert_eq!(row["local"], true, "the row does not mark the key as held by this browser");

        let (status, list) = block_on(admin.get(&format!("/api/v1/enterprises/{fleet}/devices")));
        assert_eq!(status, StatusCode::OK, "{list}");
        let devices = list["devices"].as_array().expect("devices");
        assert_eq!(devices.len(), 1, "{list}");
        assert_eq!(devices[0]["key_id"], json!(key_id), "the page and the server disagree on the key id");
        assert_eq!(devices[0]["name"], json!(format!("{fleet}/phone-1")));
        let mut tagged = vec![1u8];
        tagged.extend_from_slice(&pubkey);
        let vkey = devices[0]["vkey"].as_str().expect("vkey");
        assert!(vkey.ends_with(&format!("+{}", BASE64.encode(&tagged))), "the server registered another key: {vkey}");

        // The private key stayed in the browser (IndexedDB, not extractable) and signs for
        // the registered public key.
        let message = "hwtrace browser test";
        let stored = b.eval(&format!(
            r#"new Promise((resolve, reject) => {{
                const req = indexedDB.open('hwtrace');
                req.onerror = () => reject(req.error);
                req.onsuccess = () => {{
                    const get = req.result.transaction('device-keys').objectStore('device-keys').get({name});
                    get.onerror = () => reject(get.error);
                    get.onsuccess = async () => {{
                        const rec = get.result;
                        if (!rec) return resolve(null);
                        const sig = await crypto.subtle.sign('Ed25519', rec.privateKey, new TextEncoder().encode({message}));
                        resolve({{
                            public_key: rec.public_key,
                            key_id: rec.key_id,
                            extractable: rec.privateKey.extractable,
                            signature: btoa(String.fromCharCode(...new Uint8Array(sig))),
                        }});
                    }};
                }};
            }})"#,
            name = js(&format!("{fleet}/phone-1")),
            message = js(message),
        ));
        assert!(stored.is_object(), "no key stored in IndexedDB for {fleet}/phone-1");
        assert_eq!(stored["public_key"], json!(pubkey_b64));
        assert_eq!(stored["key_id"], json!(key_id));
        assert_eq!(stored["extractable"], false, "the stored private key is extractable");
        let signature = BASE64.decode(stored["signature"].as_str().expect("signature").as_bytes()).expect("base64");
        let verifying = VerifyingKey::from_bytes(&pubkey.try_into().expect("32 bytes")).expect("a valid Ed25519 key");
        let signature = Signature::from_slice(&signature).expect("a 64-byte signature");
        verifying
            .verify(message.as_bytes(), &signature)
            .expect("the browser's stored key signs for the registered public key");

        // Another enterprise's page is refused by the server, and the page says so.
        b.open(&format!("{}/#/enterprises/{YUNAN}", app.base), "enterprise");
        wait_error(b, "not_your_enterprise", "enterprise");
        assert_eq!(b.count("#enterprise-detail"), 0, "another enterprise's details are on screen");
    })
    .await;
}

/// Scenario: logging out ends the session on the server, and the enterprise list then asks
/// for a login; while logged in, writes without the CSRF token are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_ends_the_session_and_writes_need_the_csrf_token() {
    let app = common::spawn_app().await;
    app.user("regulator-ws", "regulator", None, Some("wansheng")).await;

    with_browser(app, |app, b| {
        log_in(b, &app.base, "regulator-ws", "regulator", "alerts");
        b.click("#nav-enterprises");
        b.wait_ready("enterprises");
        assert!(listed_enterprises(b).contains(&YUNAN.to_owned()), "the regulator does not see its district");

        // The session cookie is HttpOnly: scripts cannot read it, and a write needs the token.
        assert_eq!(b.eval("document.cookie"), json!(""), "the session cookie is visible to scripts");
        let without = b.eval(
            "fetch('/api/v1/tokens', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify({ name: 'no-csrf' }) }).then(async (r) => ({ status: r.status, body: await r.json() }))",
        );
        assert_eq!(without["status"], 403, "{without}");
        assert_eq!(without["body"]["error"], "csrf_mismatch", "{without}");
        let with = b.eval(
            "fetch('/api/v1/session').then((r) => r.json()).then((s) => fetch('/api/v1/tokens', { method: 'POST',
                headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token },
                body: JSON.stringify({ name: 'with-csrf' }) })).then((r) => r.status)",
        );
        assert_eq!(with, 201, "a write with the session's CSRF token was refused");

        let cookies = b.send("Network.getCookies", json!({"urls": [app.base]}));
        let session_cookie = cookies["cookies"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["httpOnly"] == true))
            .map(|c| format!("{}={}", c["name"].as_str().unwrap_or_default(), c["value"].as_str().unwrap_or_default()))
            .expect("an HttpOnly session cookie");

        b.click("#logout");
        b.wait_for(
            "document.body.dataset.ready === 'home' && !('username' in document.querySelector('#whoami').dataset)",
            "the logged-out home page",
        );
        assert_eq!(b.eval("document.querySelector('#logout').hidden"), json!(true));
        assert_eq!(b.count("#nav-enterprises"), 0);
        assert_eq!(b.eval("fetch('/api/v1/session').then((r) => r.status)"), json!(401));

        // The old cookie is dead on the server, not only forgotten by the browser.
        let (status, body) = block_on(async {
            let anon = app.anonymous();
            anon.send(anon.request(reqwest::Method::GET, "/api/v1/session").header("cookie", &session_cookie)).await
        });
        assert_eq!(status, StatusCode::UNAUTHORIZED, "the logged-out session still works: {body}");

        // In the running app, then in a fresh document: the list asks for a login.
        b.eval("location.hash = '#/enterprises'");
        b.wait_for(
            "document.body.dataset.ready === 'login' && location.hash.startsWith('#/login')",
            "the login view instead of the enterprise list",
        );
        assert_eq!(b.count("#enterprise-list"), 0);
        b.open(&format!("{}/#/enterprises", app.base), "login");
        assert!(b.eval("location.hash").as_str().is_some_and(|h| h.starts_with("#/login")));
        assert_eq!(b.count("#login-form"), 1);
        assert_eq!(b.count("#enterprise-list"), 0);
    })
    .await;
}

/// The item codes of the rows of `#item-list`, in order.
fn listed_items(b: &mut Browser) -> Vec<String> {
    let v = b.eval("[...document.querySelectorAll('#item-list tr[data-code]')].map((tr) => tr.dataset.code)");
    serde_json::from_value(v).expect("a list of item codes")
}

/// Fills the registration form (the waste code and the hazards are left to the caller).
fn fill_generate_form(b: &mut Browser, mass_kg: &str, count: &str) {
    b.type_into("#gen-mass-kg", mass_kg);
    b.select("#gen-form", "liquid");
    b.type_into("#gen-packaging", "200L钢桶");
    b.type_into("#gen-volume", "200");
    b.type_into("#gen-components", "矿物油");
    b.type_into("#gen-storage", "危废暂存间A");
    b.type_into("#gen-count", count);
}

/// Scenario: a generator's administrator makes a device key in the browser, registers three
/// containers in one submission signed by that key, finds them on the item list with their
/// label, verification and print links; an unknown waste code is refused by the server, the
/// page shows the refusal, and nothing is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enterprise_admin_registers_containers_signed_by_a_browser_key_and_prints_their_labels() {
    let app = common::spawn_app().await;
    let admin = app.admin().await;
    let plant = common::uscc("91500110MA60GEN07");
    let (status, body) = admin
        .post(
            "/api/v1/enterprises",
            common::enterprise(&plant, &["generator"], "wansheng"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.user("plant-admin", "enterprise_admin", Some(&plant), None).await;

    with_browser(app, move |app, b| {
        log_in(b, &app.base, "plant-admin", "enterprise_admin", "items");

        // Without a key of this browser, the form says how to get one.
        b.open(&format!("{}/#/items/new", app.base), "items-new");
        assert_eq!(b.count("#gen-no-key"), 1, "no help shown without a device key");
        assert_eq!(b.count("#generate-form"), 0, "the form is shown without a device key");

        // The help leads to this device's enrolment; an enterprise administrator may also
        // register a key made in the page on the devices tab, as here.
        assert_eq!(b.eval("document.querySelector('#gen-enrol-link').getAttribute('href')"), json!("#/device"));
        b.open(&format!("{}/#/enterprises/{plant}/devices", app.base), "enterprise");
        b.wait_for(
            "document.body.dataset.ready === 'enterprise' && document.querySelector('#enterprise-detail')?.dataset.tab === 'devices'",
            "the devices tab",
        );
        b.type_into("#device-name", "label-pc");
        b.click("#device-genkey");
        b.wait_for(
            "document.body.dataset.ready === 'enterprise' && document.querySelector('#device-pubkey').value.length > 0",
            "a generated public key",
        );
        let pubkey_b64 = b.eval("document.querySelector('#device-pubkey').value");
        let pubkey = BASE64.decode(pubkey_b64.as_str().expect("public key text").as_bytes()).expect("base64");
        let verifying = VerifyingKey::from_bytes(&pubkey.try_into().expect("32 bytes")).expect("an Ed25519 key");
        b.click("#device-submit");
        b.wait_for(
            "document.body.dataset.ready === 'enterprise' && !!document.querySelector('#device-list tr[data-device=\"label-pc\"] [data-local-key]')",
            "the new device, held by this browser",
        );
        let key_id = b.eval("document.querySelector('#device-list tr[data-device=\"label-pc\"]').dataset.keyId");
        let key_id = key_id.as_str().filter(|k| k.len() == 8).expect("an 8-hex key id").to_owned();

        // The item list is empty; register three containers in one submission.
        b.click("#nav-items");
        b.wait_ready("items");
        assert_eq!(listed_items(b), Vec::<String>::new());
        b.click("#items-new-link");
        b.wait_ready("items-new");
        assert_eq!(b.eval("document.querySelector('#gen-device').value"), json!(format!("{plant}/label-pc")));
        b.type_into("#gen-waste-code", "900-249-08");
        b.wait_for(
            "document.querySelector('#gen-hazards').dataset.code === '900-249-08'",
            "hazards pre-ticked from the catalogue",
        );
        let ticked = b.eval("['T', 'C', 'I', 'R', 'In'].filter((c) => document.querySelector('#gen-hazard-' + c).checked)");
        assert_eq!(ticked, json!(["T", "I"]), "900-249-08 is toxic and ignitable");
        let info = b.text("#gen-waste-info");
        assert!(info.as_str().unwrap().contains("部分情形可豁免（利用，须符合名录条件）"), "the type-ahead names the exempt stage: {info}");
        fill_generate_form(b, "185.5", "3");
        b.click("#gen-submit");
        b.wait_for(
            "document.body.dataset.ready === 'items-new' && document.querySelector('#gen-results')?.dataset.run === '1'",
            "the results of the submission",
        );
        assert_eq!(b.count("#gen-results li[data-error]"), 0, "refusals: {}", b.text("#gen-results"));
        let shown: Vec<String> = serde_json::from_value(
            b.eval("[...document.querySelectorAll('#gen-results li[data-code]')].map((li) => li.dataset.code)"),
        )
        .expect("codes");
        assert_eq!(shown.len(), 3, "the page does not show 3 item codes: {shown:?}");
        let print = b.eval("document.querySelector('#gen-print').href");
        let print = print.as_str().expect("a print link").to_owned();
        assert!(print.starts_with(&format!("{}/api/v1/labels/sheet?items=", app.base)), "{print}");
        for code in &shown {
            assert!(print.contains(code.as_str()), "the print link lacks {code}: {print}");
        }

        // The server holds exactly these three, as typed, signed by the browser's key.
        let clerk = block_on(app.login("plant-admin"));
        let (status, list) = block_on(clerk.get("/api/v1/items"));
        assert_eq!(status, StatusCode::OK, "{list}");
        let items = list["items"].as_array().expect("items");
        let mut on_server: Vec<String> = items.iter().map(|i| i["code"].as_str().expect("code").to_owned()).collect();
        let mut expected = shown.clone();
        on_server.sort();
        expected.sort();
        assert_eq!(on_server, expected, "the server holds other items than the page shows");
        for it in items {
            assert_eq!(it["mass_g"], 185500, "{it}");
            assert_eq!(it["waste_code"], "900-249-08", "{it}");
            assert_eq!(it["form"], "liquid", "{it}");
            assert_eq!(it["hazards"], json!(["T", "I"]), "{it}");
            assert_eq!(it["container_volume_l"], 200, "{it}");
            assert_eq!(it["generator"], json!(plant), "{it}");
            assert_eq!(it["state"], "stored", "{it}");
        }
        let (status, history) = block_on(clerk.get(&format!("/api/v1/items/{}/history", shown[0])));
        assert_eq!(status, StatusCode::OK, "{history}");
        let entry: Value =
            serde_json::from_str(history["entries"][0]["entry"].as_str().expect("entry text")).expect("entry JSON");
        let envelope = &entry["envelope"];
        assert_eq!(envelope["signatures"][0]["keyid"], json!(key_id), "not signed by the browser's key: {entry}");
        let payload = BASE64.decode(envelope["payload"].as_str().expect("payload").as_bytes()).expect("base64");
        let payload_type = envelope["payloadType"].as_str().expect("payloadType");
        assert_eq!(payload_type, "application/vnd.hwtrace.event+json");
        let mut pae = format!("DSSEv1 {} {payload_type} {} ", payload_type.len(), payload.len()).into_bytes();
        pae.extend_from_slice(&payload);
        let sig = BASE64.decode(envelope["signatures"][0]["sig"].as_str().expect("sig").as_bytes()).expect("base64");
        verifying
            .verify(&pae, &Signature::from_slice(&sig).expect("64 bytes"))
            .expect("the envelope's signature verifies with the browser's public key");
        let event: Value = serde_json::from_slice(&payload).expect("payload JSON");
        assert_eq!(event["type"], "generate");
        assert_eq!(event["actor"], json!(plant));
        assert_eq!(event["device"], "label-pc");
        assert!(event["at"].as_str().is_some_and(|a| a.len() == 25 && a.ends_with("+08:00")), "{event}");
        assert!(
            event["nonce"].as_str().is_some_and(|n| n.len() == 16 && n.bytes().all(|c| c.is_ascii_hexdigit())),
            "{event}"
        );

        // The item list shows them, with label, verification and print links.
        b.click("#gen-items-link");
        b.wait_ready("items");
        let mut listed = listed_items(b);
        listed.sort();
        assert_eq!(listed, expected, "#/items does not list the new items");
        let first = &shown[0];
        let row = b.text(&format!("#item-list tr[data-code={}]", js(first)));
        let row = row.as_str().expect("row text").to_owned();
        assert!(row.contains("185.5 kg") && row.contains("在产生单位贮存"), "row: {row}");
        let item = items.iter().find(|i| i["code"] == json!(first)).expect("the first item");
        let label = BASE64.decode(item["label_b64"].as_str().expect("label_b64").as_bytes()).expect("base64");
        assert_eq!(label.len(), 124);
        let verify = b.eval(&format!(
            "document.querySelector({}).href",
            js(&format!("#item-list tr[data-code={}] a[data-action=verify]", js(first)))
        ));
        assert_eq!(verify, json!(format!("{}/Q/{}", app.base, data_encoding::BASE32_NOPAD.encode(&label))));
        let (status, verdict) = block_on(async {
            let anon = app.anonymous();
            let path = verify.as_str().unwrap_or_default().trim_start_matches(&app.base).to_owned();
            anon.send(anon.request(reqwest::Method::GET, &path).header("accept", "application/json")).await
        });
        assert_eq!(status, StatusCode::OK, "{verdict}");
        assert_eq!(verdict["verdict"], "genuine", "{verdict}");
        assert_eq!(verdict["item"]["item_code"], json!(first), "{verdict}");
        let label_link = b.eval(&format!(
            "document.querySelector({}).href",
            js(&format!("#item-list tr[data-code={}] a[data-action=label]", js(first)))
        ));
        assert_eq!(label_link, json!(format!("{}/api/v1/items/{first}/label", app.base)));

        for code in &shown {
            b.click(&format!("#item-list input[data-select={}]", js(code)));
        }
        b.wait_for("document.querySelector('#items-print').dataset.count === '3'", "three items selected");
        let print = b.eval("document.querySelector('#items-print').href");
        let print = print.as_str().expect("a print link").to_owned();
        for code in &shown {
            assert!(print.contains(code.as_str()), "the print link lacks {code}: {print}");
        }
        let sheet = b.eval(&format!(
            "fetch({}).then(async (r) => ({{ status: r.status, text: await r.text() }}))",
            js(&print)
        ));
        assert_eq!(sheet["status"], 200, "{sheet}");
        let sheet_text = sheet["text"].as_str().unwrap_or_default();
        for code in &shown {
            assert!(sheet_text.contains(code.as_str()), "the sheet lacks {code}");
        }

        // An unknown waste code: the server's refusal is shown and nothing is created.
        b.open(&format!("{}/#/items/new", app.base), "items-new");
        b.type_into("#gen-waste-code", "900-248-08");
        b.click("#gen-hazard-T");
        fill_generate_form(b, "20", "1");
        b.click("#gen-submit");
        b.wait_for(
            "document.body.dataset.ready === 'items-new' && document.querySelector('#gen-results')?.dataset.run === '1'",
            "the refusal",
        );
        assert_eq!(b.count("#gen-results li[data-code]"), 0);
        assert_eq!(b.count("#gen-results li[data-error='unknown_waste_code']"), 1, "{}", b.text("#gen-results"));
        assert_eq!(b.count("#gen-print"), 0, "a print link for nothing");
        let refusal = b.text("#gen-results li[data-error] .error-message");
        assert!(
            refusal.as_str().is_some_and(|r| has_cjk(r) && r.contains("900-248-08")),
            "the refusal is not the server's Chinese message: {refusal}"
        );
        let (status, list) = block_on(clerk.get("/api/v1/items"));
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(list["items"].as_array().map(Vec::len), Some(3), "a refused container was created: {list}");
    })
    .await;
}
