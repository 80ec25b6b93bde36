//! The OpenAPI 3.1 document matches the routes: every described operation is routed, and
//! the API's routes are registered from the same list that produces the document.

mod common;

use common::spawn_app;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A plausible value for each path parameter, so the request reaches the handler.
fn fill(path: &str) -> String {
    path.replace("{uscc}", common::YUNAN)
        .replace("{device}", "phone-1")
        .replace("{code}", "900-249-08")
        .replace("{id}", "1")
}

#[tokio::test]
async fn every_described_operation_is_routed() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (s, doc) = admin.get("/api/v1/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "OpenAPI 3.1: {}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 14, "only {} paths described", paths.len());

    let mut checked = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path} has no responses"
            );
            let rb = admin.request(method.clone(), &fill(path));
            let rb = if method == Method::GET || method == Method::DELETE {
                rb
            } else {
                rb.json(&json!({}))
            };
            let (status, body) = admin.send(rb).await;
            assert_ne!(
                status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is described but not routed"
            );
            assert_ne!(body["error"], "no_route", "{method} {path} is described but not routed");
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} operations");
}

#[tokio::test]
async fn undescribed_paths_are_not_routed() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, doc) = admin.get("/api/v1/openapi.json").await;
    let described: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    for probe in [
        "/api/v1/enterprise",
        "/api/v1/enterprises/x/y",
        "/api/v1/admin",
        "/api/v2/catalogue",
    ] {
        assert!(!described.iter().any(|p| p.as_str() == probe));
        let (s, body): (StatusCode, Value) = admin.get(probe).await;
        assert_eq!(
            (s, body["error"].as_str()),
            (StatusCode::NOT_FOUND, Some("no_route")),
            "{probe}"
        );
    }
    // Every described operation carries at least one tag and the error schema is published.
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

/// The served document, as a generated client would fetch it.
async fn served_document() -> Value {
    let app = spawn_app().await;
    let (s, doc) = app.anonymous().get("/api/v1/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    doc
}

/// The OpenAPI Initiative's schema for 3.1 documents (tests/vectors/openapi/README.md).
fn oas_31_validator() -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(include_str!("vectors/openapi/schema-3.1-2022-10-07.json")).expect("the vendored schema");
    jsonschema::validator_for(&schema).expect("the OAS 3.1 schema compiles")
}

fn schema_errors(validator: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// The variables of a path template: `/a/{x}/b/{y}` has `x` and `y`.
fn template_variables(path: &str) -> Vec<String> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

#[tokio::test]
async fn the_document_is_valid_against_the_openapi_3_1_schema() {
    let doc = served_document().await;
    let validator = oas_31_validator();
    let errors = schema_errors(&validator, &doc);
    assert!(errors.is_empty(), "{} schema errors:\n{}", errors.len(), errors.join("\n"));
    // The validator is not vacuous: a parameter in a place OpenAPI does not know is refused.
    let mut broken = doc.clone();
    broken["paths"]["/api/v1/catalogue"]["get"]["parameters"][0]["in"] = json!("body");
    assert!(!schema_errors(&validator, &broken).is_empty(), "a broken document passed");
}

/// Regression: 44 query parameters were declared `in: path` (most `required: true`), so a
/// generated client put them into the URL's path, where no route expects them.
#[tokio::test]
async fn path_parameters_are_exactly_the_templates_variables() {
    let doc = served_document().await;
    let mut wrong = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let variables = template_variables(path);
        for (method, op) in item.as_object().unwrap() {
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let mut in_path: Vec<String> = params
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap().to_owned())
                .collect();
            in_path.sort();
            let mut expected = variables.clone();
            expected.sort();
            if in_path != expected {
                wrong.push(format!("{method} {path}: path parameters {in_path:?}, template {expected:?}"));
            }
            for p in &params {
                if p["in"] == "path" && p["required"] != true {
                    wrong.push(format!("{method} {path}: path parameter {} not required", p["name"]));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
