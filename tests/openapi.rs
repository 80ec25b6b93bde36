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
