//! Regression (issue 12, point 4): bad paths, queries and bodies were answered in plain text by
//! the framework's extractors (`/Q/%FF%FE`: "Invalid URL: Invalid UTF-8 in `b32`"), and an
//! extreme date (`?date=-262143-01-01`) panicked in `service/reconcile.rs` and answered 500.
//! Every refusal is the one JSON error shape with a 4xx status, and no input panics.

mod common;

use common::{spawn_app, YUNAN};
use reqwest::{Method, StatusCode};

/// Sends the request and asserts a 4xx answer in the JSON error shape; answers status and code.
async fn refused(rb: reqwest::RequestBuilder, what: &str) -> (StatusCode, String) {
    let resp = rb.send().await.unwrap_or_else(|e| panic!("{what}: no answer: {e}"));
    let status = resp.status();
    let content_type = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = resp.text().await.unwrap();
    assert!(status.is_client_error(), "{what}: {status} {text}");
    assert!(
        content_type.starts_with("application/json"),
        "{what}: {status} answered {content_type:?}: {text}"
    );
    let body: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {text}"));
    for member in ["error", "message", "message_zh"] {
        assert!(
            body[member].as_str().is_some_and(|s| !s.is_empty()),
            "{what}: no {member} in {body}"
        );
    }
    (status, body["error"].as_str().unwrap().to_owned())
}

/// Every operation with a path parameter, its parameters given as percent-encodings that are
/// not UTF-8: `bad_path` (or, for the few that check the caller first, another 4xx), in JSON.
#[tokio::test]
async fn path_parameters_that_are_not_utf8_are_refused_in_json() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, doc) = admin.get("/api/v1/openapi.json").await;
    let mut asked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.contains('{') {
            continue;
        }
        let mut bad = String::new();
        for (i, part) in path.split('{').enumerate() {
            match part.split_once('}') {
                Some((_, rest)) if i > 0 => bad.push_str(&format!("%FF%FE{rest}")),
                _ => bad.push_str(part),
            }
        }
        for method in item.as_object().unwrap().keys() {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let what = format!("{method} {bad}");
            let (status, code) = refused(admin.request(m, &bad), &what).await;
            assert_eq!((status, code.as_str()), (StatusCode::BAD_REQUEST, "bad_path"), "{what}");
            asked += 1;
        }
    }
    assert!(asked >= 30, "only {asked} operations have path parameters?");
    // The label page a phone camera opens, the issue's own example.
    let anonymous = app.anonymous();
    let (status, code) = refused(anonymous.request(Method::GET, "/Q/%FF%FE"), "/Q/%FF%FE").await;
    assert_eq!((status, code.as_str()), (StatusCode::BAD_REQUEST, "bad_path"));
}

/// Bad queries, dates at chrono's ends, wrong JSON, wrong methods and media types: each one a
/// 4xx in the JSON error shape, with the code expected.
#[tokio::test]
async fn bad_queries_dates_bodies_and_methods_are_refused_in_json() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let get = |path: &str| (Method::GET, path.to_owned(), None::<(&str, &str)>);
    let post = |path: &str, ct: &'static str, body: &'static str| (Method::POST, path.to_owned(), Some((ct, body)));
    let json = "application/json";
    let cases = [
        (get("/api/v1/alerts/abc"), "unknown_alert"),
        (get("/api/v1/alerts?limit=abc"), "bad_query"),
        (get("/api/v1/alerts?min_age_days=99999999999"), "bad_query"),
        (get("/api/v1/items?limit=abc"), "bad_query"),
        (get("/api/v1/items?date=2026-02-30"), "bad_date"),
        (get("/api/v1/items?date=-262143-01-01"), "date_out_of_range"),
        (get("/api/v1/manifests?date=-262143-01-01"), "date_out_of_range"),
        (get("/api/v1/catalogue?zz_unknown=1"), "bad_query"),
        (get("/api/v1/calendar?year=abc"), "bad_query"),
        (get("/api/v1/calendar?year=-262143"), "bad_year"),
        (get("/api/v1/search"), "bad_query"),
        (get("/api/v1/events/by-nonce"), "bad_query"),
        (get("/log/entries"), "bad_query"),
        (get("/log/entries?start=a&end=1"), "bad_query"),
        (get("/log/proof/inclusion?index=x&size=1"), "bad_query"),
        (get("/log/proof/consistency"), "bad_query"),
        (get("/api/v1/public/facilities?date=-262143-01-01"), "date_out_of_range"),
        (get("/public/facilities?date=-262143-01-01"), "date_out_of_range"),
        (
            get("/api/v1/public/facilities?date=%2B262142-12-31"),
            "date_out_of_range",
        ),
        (get("/api/v1/public/facilities?date=tomorrow"), "bad_date"),
        (
            get(&format!("/api/v1/reconciliation/facilities/{YUNAN}?date=-262143-01-01")),
            "date_out_of_range",
        ),
        (
            get(&format!("/api/v1/reconciliation/facilities/{YUNAN}?date=2200-01-01")),
            "date_out_of_range",
        ),
        (
            get("/api/v1/dashboard/flows?from=-262143-01-01&to=-262143-01-02"),
            "date_out_of_range",
        ),
        (
            get("/api/v1/indicators/disposal?from=1899-12-31&to=1900-01-01"),
            "date_out_of_range",
        ),
        (
            get(&format!(
                "/api/v1/enterprises/{YUNAN}/hj1259?from=-262143-01-01&to=-262143-01-02"
            )),
            "date_out_of_range",
        ),
        (get("/api/v1/export/epcis?since=-262143-01-01"), "date_out_of_range"),
        (
            get("/api/v1/receivers?codes=900-041-49&date=-262143-01-01"),
            "date_out_of_range",
        ),
        (post("/api/v1/enterprises", json, "{\"uscc\": 5}"), "bad_field"),
        (post("/api/v1/enterprises", json, "{\"uscc\": "), "malformed_json"),
        (post("/api/v1/enterprises", json, "[]"), "bad_field"),
        (
            post("/api/v1/enterprises", "text/plain", "{}"),
            "unsupported_media_type",
        ),
        (post("/api/v1/session", json, "{\"username\": 1}"), "bad_field"),
        (post("/api/v1/events", json, "\"an envelope\""), "bad_field"),
        (
            post("/api/v1/events/batch", "application/xml", "<batch/>"),
            "unsupported_media_type",
        ),
        ((Method::PUT, "/api/v1/enterprises".into(), None), "method_not_allowed"),
        ((Method::DELETE, "/api/v1/health".into(), None), "method_not_allowed"),
        ((Method::PATCH, "/Q/AAAA".into(), None), "method_not_allowed"),
        (post("/api/v1/nowhere", json, "{}"), "no_route"),
        (get("/api/v1/nowhere"), "no_route"),
    ];
    assert!(cases.len() >= 37);
    for ((method, path, body), expected) in cases {
        let what = format!("{method} {path}");
        let mut rb = admin.request(method, &path);
        if let Some((ct, text)) = body {
            rb = rb.header("content-type", ct).body(text);
        }
        let (_, code) = refused(rb, &what).await;
        assert_eq!(code, expected, "{what}");
    }
    // A body with no Content-Type at all is not JSON either.
    let rb = admin.request(Method::POST, "/api/v1/enterprises").body("{}");
    let (status, code) = refused(rb, "POST without Content-Type").await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );
    // An alert age beyond the calendar's reach is no error: no alert is that old.
    let (status, body) = admin.get("/api/v1/alerts?min_age_days=4294967295").await;
    assert_eq!((status, body), (StatusCode::OK, serde_json::json!([])));
}
