//! Browser tests of the registration form (#/items/new): errors next to their fields in plain
//! Chinese, what was typed kept across a language switch, the short waste name, and a form
//! that resets and locks after a successful run so that a second submit cannot register the
//! same containers twice.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::cdp::{js, Browser};
use super::common::{self, TestApp};
use super::{block_on, has_cjk, log_in, shoot, with_browser};

const PLANT: &str = "91500110MA6RGF001";

/// The plant's administrator makes a device key in this browser on the devices tab.
fn enrol_browser_key(b: &mut Browser, app: &TestApp, device: &str) {
    b.open(
        &format!("{}/#/enterprises/{}/devices", app.base, common::uscc(PLANT)),
        "enterprise",
    );
    b.type_into("#device-name", device);
    b.click("#device-genkey");
    b.wait_for(
        "document.querySelector('#device-pubkey').value.length > 0",
        "a generated key",
    );
    b.click("#device-submit");
    b.wait_for(
        &format!(
            "document.body.dataset.ready === 'enterprise' && !!document.querySelector('#device-list tr[data-device={}] [data-local-key]')",
            js(device)
        ),
        "the device, held by this browser",
    );
}

/// The text people read in the view (hidden parts left out).
fn view_text(b: &mut Browser) -> String {
    b.eval("document.querySelector('#view').innerText")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Asserts that no internal name or code shows in the view.
fn no_internal_words(b: &mut Browser, when: &str) {
    let text = view_text(b);
    for word in [
        "mass_g",
        "mass_kg",
        "waste_code",
        "missing_field",
        "bad_",
        "container_volume_l",
        "storage_place",
    ] {
        assert!(!text.contains(word), "{when}: `{word}` is shown to the clerk:\n{text}");
    }
    assert_eq!(b.count("#view .error-code"), 0, "{when}: an error code is shown");
}

/// The value of each control of the form, by id.
fn form_values(b: &mut Browser) -> Value {
    b.eval(
        "Object.fromEntries([...document.querySelectorAll('#generate-form input[id], #generate-form select[id]')]
            .map((el) => [el.id, el.type === 'checkbox' ? el.checked : el.value]))",
    )
}

fn fill(b: &mut Browser, mass_kg: &str, count: &str) {
    b.type_into("#gen-mass-kg", mass_kg);
    b.select("#gen-form", "liquid");
    b.type_into("#gen-packaging", "200L钢桶");
    b.type_into("#gen-volume", "200");
    b.type_into("#gen-components", "矿物油");
    b.type_into("#gen-storage", "危废暂存间A");
    b.type_into("#gen-count", count);
}

fn items_on_server(app: &TestApp) -> Vec<Value> {
    let clerk = block_on(app.login("plant-admin"));
    let (status, list) = block_on(clerk.get("/api/v1/items"));
    assert_eq!(status, StatusCode::OK, "{list}");
    list["items"].as_array().expect("items").clone()
}

/// Scenario: a clerk submits the form empty, then with a mass of 0; each error is shown next
/// to its field in Chinese, with no field name or code of the server's. The clerk fills the
/// form, switches to English and back, and finds everything typed still there. The run is
/// registered with the waste's short name; the form is then cleared and locked (a second
/// submit does nothing) until the clerk starts a new run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_form_shows_field_errors_in_chinese_keeps_input_across_languages_and_resets_after_success() {
    let app = common::spawn_app().await;
    let admin = app.admin().await;
    let plant = common::uscc(PLANT);
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
        enrol_browser_key(b, app, "label-pc");
        b.open(&format!("{}/#/items/new", app.base), "items-new");

        // Empty: every missing field says so under itself, in Chinese.
        b.click("#gen-submit");
        b.wait_for("!!document.querySelector('#gen-waste-code-error')", "the field errors");
        let errors = b.eval(
            "Object.fromEntries([...document.querySelectorAll('#generate-form .field-error')].map((e) => [e.id, [e.dataset.code, e.textContent]]))",
        );
        for (id, code) in [
            ("gen-waste-code-error", "missing_field"),
            ("gen-mass-kg-error", "missing_field"),
            ("gen-form-error", "missing_field"),
            ("gen-hazards-error", "bad_hazard"),
            ("gen-packaging-error", "missing_field"),
            ("gen-volume-error", "missing_field"),
            ("gen-components-error", "missing_field"),
            ("gen-storage-error", "missing_field"),
        ] {
            assert_eq!(errors[id][0], json!(code), "{id}: {errors}");
            assert!(errors[id][1].as_str().is_some_and(has_cjk), "{id} is not in Chinese: {errors}");
        }
        assert_eq!(errors["gen-packaging-error"][1], json!("请填写“包装方式”。"));
        assert_eq!(
            b.eval("document.querySelector('#gen-mass-kg').getAttribute('aria-invalid')"),
            json!("true")
        );
        assert_eq!(b.eval("document.activeElement.id"), json!("gen-waste-code"), "the first field in error has the focus");
        assert_eq!(b.count("#error:not([hidden])"), 0, "the field errors also went to the page's error box");
        no_internal_words(b, "empty form");
        shoot(b, "desktop-register-errors");

        // A mass of 0: the server's refusal (`mass_g`, bad_mass) in words, under the mass.
        b.type_into("#gen-waste-code", "900-249-08");
        b.wait_for(
            "document.querySelector('#gen-hazards').dataset.code === '900-249-08'",
            "the catalogue's hazards and name for 900-249-08",
        );
        assert_eq!(b.eval("document.querySelector('#gen-waste-name').value"), json!("废矿物油"), "not the short name");
        fill(b, "0", "1");
        b.click("#gen-submit");
        b.wait_for(
            "document.body.dataset.ready === 'items-new' && document.querySelector('#gen-mass-kg-error')?.dataset.code === 'bad_mass'",
            "the server's refusal of the mass under the mass field",
        );
        let mass_error = b.text("#gen-mass-kg-error");
        assert!(mass_error.as_str().is_some_and(has_cjk), "{mass_error}");
        assert_eq!(b.count("#gen-results li[data-error=bad_mass]"), 1, "{}", b.text("#gen-results"));
        assert_eq!(b.count("#generate-form .field-error"), 1, "{}", view_text(b));
        no_internal_words(b, "mass refused");
        assert!(items_on_server(app).is_empty(), "a refused container was created");

        // What was typed survives switching to English and back; the clerk's own change too.
        b.type_into("#gen-mass-kg", "12.5");
        b.click("#gen-hazard-I");
        b.type_into("#gen-count", "2");
        let typed = form_values(b);
        assert_eq!(typed["gen-hazard-I"], json!(false));
        assert_eq!(typed["gen-hazard-T"], json!(true));
        b.click("#lang-toggle");
        b.wait_for(
            "document.documentElement.lang === 'en' && document.body.dataset.ready === 'items-new'",
            "the English form",
        );
        b.wait_for("document.querySelector('#gen-waste-info').textContent.length > 0", "the waste found again");
        assert_eq!(b.text("label[for=gen-mass-kg]"), json!("Net mass per container (kg)"));
        assert_eq!(form_values(b), typed, "what was typed changed with the language");
        shoot(b, "desktop-register-english");
        b.click("#lang-toggle");
        b.wait_for(
            "document.documentElement.lang === 'zh-CN' && document.body.dataset.ready === 'items-new'",
            "the Chinese form",
        );
        b.wait_for("document.querySelector('#gen-waste-info').textContent.length > 0", "the waste found again");
        assert_eq!(form_values(b), typed, "what was typed changed with the language");

        // Registered; the form is cleared and locked.
        b.click("#gen-submit");
        b.wait_for(
            "document.body.dataset.ready === 'items-new' && document.querySelector('#gen-results')?.dataset.accepted === '2'",
            "two containers registered",
        );
        let items = items_on_server(app);
        assert_eq!(items.len(), 2, "{items:?}");
        for it in &items {
            assert_eq!(it["waste_name"], "废矿物油", "{it}");
            assert_eq!(it["mass_g"], 12_500, "{it}");
            assert_eq!(it["hazards"], json!(["T"]), "{it}");
        }
        assert_eq!(b.eval("document.querySelector('#generate-form').hidden"), json!(true));
        assert_eq!(b.eval("document.querySelector('#gen-submit').disabled"), json!(true));
        let cleared = form_values(b);
        for (id, empty) in [("gen-waste-code", json!("")), ("gen-mass-kg", json!("")), ("gen-count", json!("1")),
            ("gen-waste-name", json!("")), ("gen-form", json!("")), ("gen-hazard-T", json!(false))] {
            assert_eq!(cleared[id], empty, "{id} is not reset: {cleared}");
        }
        assert_eq!(cleared["gen-device"], json!(format!("{}/label-pc", common::uscc(PLANT))));
        shoot(b, "desktop-register-done");
        // A second submit of the same form, by any means, does nothing.
        b.eval("document.querySelector('#generate-form').requestSubmit()");
        assert_eq!(b.text("#notice"), json!("本次已提交。如需再次提交，请先开始新的一批。"));
        assert_eq!(b.eval("document.body.dataset.ready"), json!("items-new"));
        assert_eq!(items_on_server(app).len(), 2, "the second submit registered containers again");

        // The results stay across a language switch, in the new language.
        b.click("#lang-toggle");
        b.wait_for(
            "document.documentElement.lang === 'en' && document.body.dataset.ready === 'items-new'",
            "the English results",
        );
        assert_eq!(b.text("#gen-summary"), json!("2 registered, 0 refused."));
        assert_eq!(b.eval("document.querySelector('#generate-form').hidden"), json!(true));
        b.click("#lang-toggle");
        b.wait_for(
            "document.documentElement.lang === 'zh-CN' && document.body.dataset.ready === 'items-new'",
            "the Chinese results",
        );

        // A new run: the form opens empty; its waste name is the short one even when the clerk
        // submits before the type-ahead has answered.
        b.click("#gen-new-run");
        assert_eq!(b.eval("document.querySelector('#generate-form').hidden"), json!(false));
        assert_eq!(b.eval("document.querySelector('#gen-submit').disabled"), json!(false));
        assert_eq!(b.eval("document.querySelector('#gen-results').hidden"), json!(true));
        b.type_into("#gen-waste-code", "900-041-49");
        b.click("#gen-hazard-T");
        fill(b, "3", "1");
        b.click("#gen-submit");
        b.wait_for(
            "document.body.dataset.ready === 'items-new' && document.querySelector('#gen-results')?.dataset.accepted === '1'",
            "the new run registered",
        );
        let items = items_on_server(app);
        assert_eq!(items.len(), 3, "{items:?}");
        assert!(items.iter().any(|it| it["waste_code"] == "900-041-49" && it["waste_name"] == "废弃包装物、容器"), "{items:?}");
    })
    .await;
}
