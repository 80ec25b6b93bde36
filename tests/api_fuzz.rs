//! API fuzzing: schemathesis (PyPI) generates requests for every operation of
//! `/api/v1/openapi.json` of the real binary, as an administrator with an API token, and checks
//! that no answer is a server error and every answer is as the document describes it (status
//! code, content type, body schema). The number of cases per operation is bounded
//! (`HWTRACE_FUZZ_EXAMPLES`, default 10) and the seed fixed, so a CI run is repeatable.
//!
//! Needs the `st` command (`pip install schemathesis`; `.ci/run` installs it). Cases it found
//! once stay below as plain regression tests.

mod common;

use std::process::Command;

use common::spawn_app;
use reqwest::StatusCode;
use serde_json::{json, Value};

const PASSWORD: &str = "Gj7#kd92-fuzzing-run";

/// Found by schemathesis: an envelope whose payload is not base64 answered 500 (its refusal
/// code was missing from the list of refusals).
#[tokio::test]
async fn an_envelope_that_is_not_base64_is_refused_not_a_server_error() {
    let app = spawn_app().await;
    let body = json!({"payload": "\u{11}\u{a7}", "payloadType": "\u{dd}\u{bb}mG\u{1d}", "signatures": []});
    let (status, answer) = app.anonymous().post("/api/v1/events", body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"], "bad_base64", "{answer}");
}

#[test]
fn schemathesis_finds_no_server_error_and_every_answer_is_as_described() {
    let st = Command::new("st").arg("--version").output();
    assert!(
        st.is_ok_and(|o| o.status.success()),
        "schemathesis is not installed: `pip install schemathesis` (.ci/run does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hwtrace.db");
    common::binary::create_user(&db, "auditor7", PASSWORD);
    let (mut server, base) = common::binary::serve(&db, |_| {});
    let token = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
            let session: Value = http
                .post(format!("{base}/api/v1/session"))
                .json(&json!({"username": "auditor7", "password": PASSWORD}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let created: Value = http
                .post(format!("{base}/api/v1/tokens"))
                .header("X-CSRF-Token", session["csrf_token"].as_str().unwrap())
                .json(&json!({"name": "schemathesis"}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            created["token"].as_str().unwrap().to_owned()
        });
    let examples = std::env::var("HWTRACE_FUZZ_EXAMPLES").unwrap_or_else(|_| "10".into());
    let out = Command::new("st")
        .args(["run", &format!("{base}/api/v1/openapi.json")])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        .args([
            "--max-examples",
            &examples,
            "--phases",
            "examples,fuzzing",
            "--seed",
            "20261207",
        ])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--no-color"])
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let text = String::from_utf8_lossy(&out.stdout);
    let summary: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("generated") || l.contains("Operations:") || l.contains("Tested:"))
        .collect();
    println!("schemathesis: {}", summary.join(" | "));
    assert!(out.status.success(), "schemathesis found failures:\n{text}");
}
