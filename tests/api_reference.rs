//! Public reference endpoints over HTTP: catalogue search, reference lists, health, and the
//! JSON errors for unknown routes and methods.

mod common;

use common::{assert_refused, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn catalogue_search_by_category_prefix_and_chinese_text() {
    let app = spawn_app().await;
    let c = app.anonymous();

    let (s, body) = c.get("/api/v1/catalogue?q=HW08").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["version"], "2021");
    assert_eq!(body["total"], 32);
    let codes: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 32);
    assert!(codes.iter().all(|c| c.ends_with("-08")));
    assert!(codes.contains(&"900-249-08"));

    let (_, body) = c.get("/api/v1/catalogue?q=900-249").await;
    assert_eq!(body["results"][0]["code"], "900-249-08");
    let (_, body) = c.get("/api/v1/catalogue?q=90024908").await;
    assert_eq!(body["total"], 1);

    let (_, body) = c
        .get("/api/v1/catalogue?q=%E5%BA%9F%E7%9F%BF%E7%89%A9%E6%B2%B9&limit=5")
        .await; // 废矿物油
    assert!(body["total"].as_u64().unwrap() >= 5);
    assert_eq!(body["results"].as_array().unwrap().len(), 5);
    assert!(body["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["category"] == "HW08"));

    let (_, body) = c.get("/api/v1/catalogue?q=HW01").await;
    assert_eq!(body["total"], 5, "HW01 medical waste has five codes");

    let (_, body) = c.get("/api/v1/catalogue?limit=500").await;
    assert_eq!(body["total"], 467);
}

#[tokio::test]
async fn catalogue_entry_and_refusals() {
    let app = spawn_app().await;
    let c = app.anonymous();
    let (s, body) = c.get("/api/v1/catalogue/900-249-08").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["category"], "HW08");
    assert_eq!(body["hazard"], "T,I");

    assert_refused(
        &c.get("/api/v1/catalogue/900-248-08").await,
        StatusCode::NOT_FOUND,
        "unknown_waste_code",
    );
    assert_refused(
        &c.get("/api/v1/catalogue/900-24-808").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_waste_code_format",
    );
    assert_refused(
        &c.get("/api/v1/catalogue?q=HW08&limit=0").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_limit",
    );
    assert_refused(
        &c.get("/api/v1/catalogue?q=HW08&limit=x").await,
        StatusCode::BAD_REQUEST,
        "bad_query",
    );
    assert_refused(
        &c.get("/api/v1/catalogue?q=HW08&page=2").await,
        StatusCode::BAD_REQUEST,
        "bad_query",
    );
    let long = "废".repeat(65);
    assert_refused(
        &c.get(&format!("/api/v1/catalogue?q={long}")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "query_too_long",
    );
}

/// The 57 exemption rows of the 2021 list were loaded but shown nowhere: each code's answer
/// now carries the rows that name it or its category, with stage, condition and what is
/// exempt.
#[tokio::test]
async fn catalogue_answers_carry_each_codes_exemptions() {
    let app = spawn_app().await;
    let c = app.anonymous();
    let (s, body) = c.get("/api/v1/catalogue/900-052-31").await;
    assert_eq!(s, StatusCode::OK);
    let x = body["exemptions"].as_array().unwrap();
    assert_eq!(x.len(), 1, "{body}");
    assert_eq!(
        (&x[0]["stage"], &x[0]["stage_en"]),
        (&json!("运输"), &json!("transport"))
    );
    assert_eq!(x[0]["applies_to"], "code");
    assert!(x[0]["condition"].as_str().unwrap().len() > 10);
    assert!(x[0]["exemption"].as_str().unwrap().contains("运输"));
    // A row naming a category applies to each of its codes; one naming a code to that code.
    let (_, body) = c.get("/api/v1/catalogue?q=HW01&limit=50").await;
    let infectious = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "841-001-01")
        .unwrap();
    let stages: Vec<(&str, &str)> = infectious["exemptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["stage"].as_str().unwrap(), x["applies_to"].as_str().unwrap()))
        .collect();
    assert_eq!(
        stages,
        [
            ("收集", "category"),
            ("运输", "category"),
            ("运输", "category"),
            ("处置", "category"),
            ("运输", "code"),
            ("处置", "code")
        ]
    );
    // A code the list does not exempt answers an empty list.
    let (_, body) = c.get("/api/v1/catalogue/900-214-08").await;
    assert_eq!(body["exemptions"], json!([]));
}

#[tokio::test]
async fn reference_lists_and_health() {
    let app = spawn_app().await;
    let c = app.anonymous();
    let (s, body) = c.get("/api/v1/reference").await;
    assert_eq!(s, StatusCode::OK);
    let districts: Vec<&str> = body["districts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(districts, ["wansheng", "qijiang", "nanchuan", "other"]);
    assert_eq!(body["hazards"][4]["code"], "In");
    assert_eq!(body["hazards"][4]["bit"], 16);
    assert_eq!(body["forms"][2]["number"], 3);
    assert!(body["treatment_methods"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["code"] == "cement_kiln"));

    let (s, body) = c.get("/api/v1/health").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["catalogue_version"], "2021");
}

/// The web app shows custody states, event types and alert rules by the server's names, so
/// the reference lists name every one of them in both languages (the Chinese UI showed raw
/// `in_transit`, `treated`).
#[tokio::test]
async fn reference_names_every_item_state_event_type_and_alert_rule() {
    let app = spawn_app().await;
    let (s, body) = app.anonymous().get("/api/v1/reference").await;
    assert_eq!(s, StatusCode::OK);
    let codes = |list: &str| -> Vec<String> {
        let entries = body[list]
            .as_array()
            .unwrap_or_else(|| panic!("no list {list}: {body}"));
        for e in entries {
            let zh = e["name_zh"].as_str().unwrap_or_default();
            let en = e["name_en"].as_str().unwrap_or_default();
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{list}: no Chinese name: {e}"
            );
            assert!(!en.is_empty() && en != zh, "{list}: no English name: {e}");
        }
        entries
            .iter()
            .map(|e| e["code"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let states: Vec<&str> = hwtrace::domain::custody::StateKind::ALL
        .iter()
        .map(|s| s.code())
        .collect();
    assert_eq!(codes("item_states"), states);
    assert!(states.contains(&"in_transit") && states.contains(&"treated"));
    assert_eq!(codes("event_types"), hwtrace::domain::event::EVENT_TYPES);
    let rules: Vec<&str> = hwtrace::service::alerts::Rule::ALL.iter().map(|r| r.code()).collect();
    assert_eq!(codes("alert_rules"), rules);
    assert_eq!(codes("receive_decisions"), ["accept", "refuse", "partial"]);
    assert_eq!(codes("incident_kinds"), ["loss", "spill", "other"]);
    assert_eq!(codes("manifest_states"), hwtrace::service::manifests::STATES);
    for list in ["treatment_methods", "user_roles", "enterprise_roles", "permit_kinds"] {
        assert!(!codes(list).is_empty(), "{list}");
    }
    // The label page's name of a generator's stored item, the one the item list shows.
    assert_eq!(body["item_states"][0]["name_zh"], "在产生单位贮存");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let app = spawn_app().await;
    let c = app.anonymous();
    assert_refused(&c.get("/api/v1/nothing-here").await, StatusCode::NOT_FOUND, "no_route");
    assert_refused(&c.get("/no-such-page.html").await, StatusCode::NOT_FOUND, "no_route");
    assert_refused(
        &c.post("/api/v1/catalogue", serde_json::json!({})).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );

    let resp = reqwest::get(format!("{}/", app.base)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let resp = reqwest::get(format!("{}/app.js", app.base)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().contains("javascript"));
}
