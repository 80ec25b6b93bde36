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
    assert!(
        errors.is_empty(),
        "{} schema errors:\n{}",
        errors.len(),
        errors.join("\n")
    );
    // The validator is not vacuous: a parameter in a place OpenAPI does not know is refused.
    let mut broken = doc.clone();
    broken["paths"]["/api/v1/catalogue"]["get"]["parameters"][0]["in"] = json!("body");
    assert!(
        !schema_errors(&validator, &broken).is_empty(),
        "a broken document passed"
    );
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
                wrong.push(format!(
                    "{method} {path}: path parameters {in_path:?}, template {expected:?}"
                ));
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

/// Regression: operations answered statuses their description did not list (404 and 413 on
/// POST /api/v1/events, for one). Each operation is asked hostile questions — without
/// credentials, with a malformed path, a path not UTF-8, an unknown query parameter, a body that is not JSON,
/// malformed JSON and a body over the limit — and every status it answers must be described.
#[tokio::test]
async fn every_status_an_operation_answers_is_described() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let anonymous = app.anonymous();
    let (_, doc) = admin.get("/api/v1/openapi.json").await;
    let mut undescribed = Vec::new();
    let mut asked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let described: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let has_body = !op["requestBody"].is_null();
            let limit = if path.ends_with("/batch") { 32 } else { 1 } * 1024 * 1024;
            let garbage = path.replace(['{', '}'], "~");
            let not_utf8: String = fill(path)
                .split('/')
                .zip(path.split('/'))
                .map(|(filled, named)| if named.starts_with('{') { "%FF%FE" } else { filled })
                .collect::<Vec<_>>()
                .join("/");
            let mut probes: Vec<(&str, reqwest::RequestBuilder)> = vec![
                ("anonymous", anonymous.request(m.clone(), &fill(path))),
                ("malformed path", admin.request(m.clone(), &garbage)),
                ("path not UTF-8", admin.request(m.clone(), &not_utf8)),
                (
                    "unknown query",
                    admin.request(m.clone(), &format!("{}?zz_unknown=1", fill(path))),
                ),
            ];
            if has_body {
                let url = fill(path);
                probes.push(("not JSON", admin.request(m.clone(), &url).body("x=1")));
                probes.push((
                    "malformed JSON",
                    admin
                        .request(m.clone(), &url)
                        .header("content-type", "application/json")
                        .body("{\"a\":"),
                ));
                probes.push((
                    "too large",
                    admin
                        .request(m.clone(), &url)
                        .header("content-type", "application/json")
                        .body(vec![b' '; limit + 1]),
                ));
            } else if m != Method::GET && m != Method::DELETE {
                probes.push(("empty body", admin.request(m.clone(), &fill(path)).json(&json!({}))));
            }
            for (what, rb) in probes {
                let (status, body) = admin.send(rb).await;
                asked += 1;
                if body["error"] == "no_route" {
                    continue; // the malformed path matched no route at all: not this operation's answer
                }
                if !described.iter().any(|d| d.as_str() == status.as_str()) {
                    undescribed.push(format!("{method} {path} ({what}): {status} {}", body["error"]));
                }
            }
        }
    }
    assert!(asked > 100, "only {asked} questions asked");
    assert!(
        undescribed.is_empty(),
        "undescribed answers:\n{}",
        undescribed.join("\n")
    );
}

/// A validator for one of the document's component schemas, resolving `$ref`s inside it.
fn component_validator(doc: &Value, name: &str) -> jsonschema::Validator {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/components/schemas/{name}"),
        "components": doc["components"],
    });
    jsonschema::validator_for(&schema).expect("the component schema compiles")
}

fn decoded_payload(envelope: &Value) -> Value {
    use data_encoding::BASE64;
    let bytes = BASE64.decode(envelope["payload"].as_str().unwrap().as_bytes()).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Each event type's payload is described (a `oneOf` on `type`) and the signed example of
/// docs/events.md, shown with the events endpoint, fits its description; a payload the service
/// would refuse for its shape does not.
#[tokio::test]
async fn every_event_type_is_described_with_its_signed_example() {
    let doc = served_document().await;
    let any_event = component_validator(&doc, "EventPayload");
    let one_of = doc["components"]["schemas"]["EventPayload"]["oneOf"]
        .as_array()
        .unwrap();
    assert_eq!(one_of.len(), hwtrace::domain::event::EVENT_TYPES.len());
    let examples = &doc["paths"]["/api/v1/events"]["post"]["requestBody"]["content"]["application/json"]["examples"];
    for kind in hwtrace::domain::event::EVENT_TYPES {
        let envelope = &examples[kind]["value"];
        assert!(envelope.is_object(), "no example envelope for {kind}");
        let payload = decoded_payload(envelope);
        assert_eq!(payload["type"], kind);
        let errors = schema_errors(&any_event, &payload);
        assert!(errors.is_empty(), "the {kind} example does not fit: {errors:?}");
        let mut unknown = payload.clone();
        unknown["colour"] = json!("red");
        assert!(!any_event.is_valid(&unknown), "{kind} with an unknown member fits");
        let mut untyped = payload.clone();
        untyped["at"] = json!(20261128);
        assert!(!any_event.is_valid(&untyped), "{kind} with a numeric time fits");
    }
    let envelope = component_validator(&doc, "EnvelopeDoc");
    assert!(envelope.is_valid(&examples["generate"]["value"]));
    assert_eq!(
        doc["components"]["schemas"]["EnvelopeDoc"]["properties"]["payload"]["contentSchema"]["$ref"],
        "#/components/schemas/EventPayload"
    );
}
