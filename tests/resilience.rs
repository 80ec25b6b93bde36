//! The service under conditions it does not control: a database another process locks, a log
//! output nobody reads. Writes are refused with `503` and `Retry-After` while the condition
//! lasts, never with `500`, and work again when it ends; the health check says which.

mod common;

use std::process::Stdio;

use common::{enterprise, spawn_app_with_db, uscc};
use reqwest::StatusCode;
use serde_json::Value;

async fn health(base: &str) -> (StatusCode, Value) {
    let r = reqwest::get(format!("{base}/api/v1/health")).await.unwrap();
    (r.status(), r.json().await.unwrap())
}

#[tokio::test]
async fn a_database_locked_by_another_process_answers_503_with_retry_after_then_works_again() {
    let (app, db) = spawn_app_with_db().await;
    let admin = app.admin().await;
    let (status, _) = admin
        .post(
            "/api/v1/enterprises",
            enterprise(&uscc("91500110MA6CXR001"), &["generator"], "wansheng"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(health(&app.base).await.1["writer"], "ok");

    // A `sqlite3` shell (or a backup tool) takes the write lock and keeps it.
    let other = rusqlite::Connection::open(&*db).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();

    let answer = admin
        .request(reqwest::Method::POST, "/api/v1/enterprises")
        .json(&enterprise(&uscc("91500110MA6CXR002"), &["generator"], "wansheng"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    let retry: u32 = answer.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "database_busy", "{body}");
    assert!(body["message_zh"].as_str().unwrap().contains("锁定"), "{body}");
    let (status, body) = health(&app.base).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["writer"], "busy", "{body}");
    // Reads are not held up.
    let (status, _) = admin.get("/api/v1/enterprises").await;
    assert_eq!(status, StatusCode::OK);

    other.execute_batch("ROLLBACK").unwrap();
    let (status, body) = admin
        .post(
            "/api/v1/enterprises",
            enterprise(&uscc("91500110MA6CXR002"), &["generator"], "wansheng"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(health(&app.base).await.1["writer"], "ok");
    app.stop().await;
    common::audit_clean(&db).await;
}

/// With its log output a closed pipe (a supervisor that went away, a full disk under the log
/// file), every log line the service writes fails; the writer thread logs each batch at debug
/// level, so before the fix the first write panicked it and every later write lost its
/// connection while reads and health stayed green.
#[test]
fn the_writer_keeps_writing_when_its_log_output_is_a_closed_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hwtrace.db");
    common::binary::create_user(&db, "boss", common::PASSWORD);
    let (mut child, base) = common::binary::serve(&db, |c| {
        c.env("RUST_LOG", "debug").stderr(Stdio::piped());
    });
    drop(child.stderr.take()); // nobody reads the log: every write to it fails with EPIPE
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let login: Value = http
            .post(format!("{base}/api/v1/session"))
            .json(&serde_json::json!({"username": "boss", "password": common::PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let csrf = login["csrf_token"].as_str().expect("logged in").to_owned();
        for i in 0..5 {
            let code = uscc(&format!("91500110MA6CXP00{i}"));
            let answer = http
                .post(format!("{base}/api/v1/enterprises"))
                .header("x-csrf-token", &csrf)
                .json(&enterprise(&code, &["generator"], "wansheng"))
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), StatusCode::CREATED, "write {i}");
        }
        let (status, body) = health(&base).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["writer"], "ok");
    });
    let _ = child.kill();
    let _ = child.wait();
}
