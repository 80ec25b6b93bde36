//! Test support: start the real service on a random port with a fresh temporary database,
//! and talk HTTP to it (after zero-to-production's `spawn_app`).
#![allow(dead_code)]

pub mod binary;
pub mod cast;
pub mod custody;

use std::net::SocketAddr;

use hwtrace::config::Config;
use hwtrace::http::server;
use hwtrace::service::accounts::{self, NewUser};
use hwtrace::service::AppState;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tempfile::TempDir;

pub const PASSWORD: &str = "correct horse battery";

/// Seeded facility (Yunan), in district wansheng.
pub const YUNAN: &str = "91500110MA60YNXH0F";

pub struct TestApp {
    pub base: String,
    pub addr: SocketAddr,
    pub state: AppState,
    pub dir: TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    serving: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// Starts the service on 127.0.0.1:0 with a fresh database in a temporary directory.
pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("hwtrace.db");
    start(db, dir).await
}

/// Starts the service on an existing (or new) database file.
pub async fn spawn_app_at(db: &std::path::Path) -> TestApp {
    start(db.to_owned(), tempfile::tempdir().expect("temp dir")).await
}

/// A database file that outlives the service using it (for the auditor after `stop`, or a
/// restart); removed with its directory when dropped.
pub struct DbFile {
    _dir: TempDir,
    path: std::path::PathBuf,
}

impl std::ops::Deref for DbFile {
    type Target = std::path::Path;

    fn deref(&self) -> &std::path::Path {
        &self.path
    }
}

impl AsRef<std::path::Path> for DbFile {
    fn as_ref(&self) -> &std::path::Path {
        &self.path
    }
}

/// Starts the service on a fresh database file the test keeps past `stop`.
pub async fn spawn_app_with_db() -> (TestApp, DbFile) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("hwtrace.db");
    let app = spawn_app_at(&path).await;
    (app, DbFile { _dir: dir, path })
}

async fn start(db: std::path::PathBuf, dir: TempDir) -> TestApp {
    start_with(Config::with_db(db), dir).await
}

/// Starts the service with `config` (its address is replaced by 127.0.0.1:0), e.g. with a
/// manual clock the test moves forward.
pub async fn start_with(config: Config, dir: TempDir) -> TestApp {
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..config
    };
    start_listening(config, dir).await
}

/// Starts the service on `db` at `addr`: another service on the address a stopped one had,
/// so a browser sees it as the same site (same origin, same IndexedDB).
pub async fn spawn_app_on(db: &std::path::Path, addr: SocketAddr) -> TestApp {
    let config = Config {
        listen: addr,
        ..Config::with_db(db.to_owned())
    };
    start_listening(config, tempfile::tempdir().expect("temp dir")).await
}

async fn start_listening(config: Config, dir: TempDir) -> TestApp {
    let (listener, state) = server::bind(config).await.expect("service starts");
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let serving = state.clone();
    let handle = tokio::spawn(async move {
        server::serve(listener, serving, async move {
            let _ = rx.await;
        })
        .await
    });
    TestApp {
        base: format!("http://{addr}"),
        addr,
        state,
        dir,
        shutdown: Some(tx),
        serving: Some(handle),
    }
}

impl TestApp {
    /// Stops serving and releases the database (as a restart would).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.serving.take() {
            h.await.expect("server task").expect("server stopped cleanly");
        }
    }

    /// Creates a user directly (as `hwtrace admin create-user` does) with [`PASSWORD`].
    pub async fn user(&self, username: &str, role: &str, enterprise: Option<&str>, district: Option<&str>) {
        accounts::create_user(
            &self.state.db,
            NewUser {
                username: username.into(),
                password: PASSWORD.into(),
                display_name: username.into(),
                role: role.into(),
                enterprise: enterprise.map(Into::into),
                district: district.map(Into::into),
            },
        )
        .await
        .expect("user created");
    }

    /// A client with no credentials.
    pub fn anonymous(&self) -> Client {
        Client {
            base: self.base.clone(),
            http: http_client(),
            csrf: None,
            bearer: None,
        }
    }

    /// Logs in through `POST /api/v1/session` and keeps the cookie and CSRF token.
    pub async fn login(&self, username: &str) -> Client {
        let mut c = self.anonymous();
        let (status, body) = c
            .post("/api/v1/session", json!({"username": username, "password": PASSWORD}))
            .await;
        assert_eq!(status, StatusCode::OK, "login of {username}: {body}");
        c.csrf = body["csrf_token"].as_str().map(str::to_owned);
        c
    }

    /// An admin session (creating the admin account first).
    pub async fn admin(&self) -> Client {
        self.user("admin", "admin", None, None).await;
        self.login("admin").await
    }

    /// The public verification of a label (`/Q/...`, the part after the last `/` of its QR
    /// text), as JSON.
    pub async fn verified(&self, b32: &str) -> Value {
        reqwest::Client::new()
            .get(format!("{}/Q/{b32}", self.base))
            .header("accept", "application/json")
            .send()
            .await
            .expect("verification page")
            .json()
            .await
            .expect("verification JSON")
    }

    /// The log's size, from the latest checkpoint (its second line).
    pub async fn log_size(&self) -> u64 {
        let note = reqwest::get(format!("{}/log/checkpoint", self.base))
            .await
            .expect("checkpoint")
            .text()
            .await
            .expect("checkpoint text");
        note.lines().nth(1).expect("a size line").parse().expect("a size")
    }

    /// The log's entries `start..end`, parsed.
    pub async fn entries(&self, start: u64, end: u64) -> Vec<Value> {
        let text = reqwest::get(format!("{}/log/entries?start={start}&end={end}", self.base))
            .await
            .expect("entries")
            .text()
            .await
            .expect("entries text");
        text.lines()
            .map(|l| serde_json::from_str(l).expect("an entry"))
            .collect()
    }
}

/// Runs the auditor on the database of a stopped service and asserts it finds nothing wrong;
/// answers the report for the test's further checks.
pub async fn audit_clean(db: &std::path::Path) -> hwtrace::audit::AuditReport {
    let report = hwtrace::audit::run(hwtrace::audit::AuditArgs::db(db))
        .await
        .expect("the audit runs");
    assert!(report.ok(), "{report}");
    report
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).build().expect("client")
}

/// A JSON client that answers `(status, body)` and sends the CSRF token it holds.
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub csrf: Option<String>,
    pub bearer: Option<String>,
}

impl Client {
    pub fn with_bearer(&self, token: &str) -> Client {
        Client {
            base: self.base.clone(),
            http: reqwest::Client::new(),
            csrf: None,
            bearer: Some(token.into()),
        }
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut rb = self.http.request(method.clone(), format!("{}{path}", self.base));
        if let Some(t) = &self.csrf {
            if method != Method::GET {
                rb = rb.header("X-CSRF-Token", t);
            }
        }
        if let Some(b) = &self.bearer {
            rb = rb.bearer_auth(b);
        }
        rb
    }

    pub async fn send(&self, rb: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let resp = rb.send().await.expect("request sent");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, body)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.request(Method::GET, path)).await
    }

    /// A GET that must answer 200 OK; answers the body.
    pub async fn get_ok(&self, path: &str) -> Value {
        let (s, body) = self.get(path).await;
        assert_eq!(s, StatusCode::OK, "{path}: {body}");
        body
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.request(Method::POST, path).json(&body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.request(Method::DELETE, path)).await
    }

    /// Posts raw bytes with the given content type.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
        self.send(
            self.request(Method::POST, path)
                .header("content-type", content_type)
                .body(body),
        )
        .await
    }
}

/// Asserts an error answer: status, stable code, and both messages present.
pub fn assert_refused(answer: &(StatusCode, Value), status: StatusCode, code: &str) {
    let (s, body) = answer;
    assert_eq!(*s, status, "expected {status} {code}, got {s}: {body}");
    assert_eq!(body["error"], code, "wrong code in {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "no English message: {body}"
    );
    assert!(
        body["message_zh"].as_str().is_some_and(|m| !m.is_empty()),
        "no Chinese message: {body}"
    );
}

/// A generator enterprise body.
pub fn enterprise(uscc: &str, roles: &[&str], district: &str) -> Value {
    json!({
        "uscc": uscc,
        "name_zh": format!("测试企业{}", &uscc[10..14]),
        "roles": roles,
        "district": district,
        "address": "重庆市万盛经开区测试路1号",
        "contact_name": "测试联系人",
        "contact_phone": "023-48000000",
        "synthetic": true
    })
}

/// Completes 17 characters into a USCC with the right check character.
pub fn uscc(first17: &str) -> String {
    format!("{first17}{}", hwtrace::domain::uscc::check_char(first17.as_bytes()))
}

impl Client {
    /// Registers a device's public key for its enterprise (`d.owner`), asserting success.
    pub async fn register_device(&self, d: &hwtrace::client::Device) {
        let path = format!("/api/v1/enterprises/{}/devices", d.owner);
        let (s, body) = self
            .post(&path, json!({"device": d.device, "public_key": d.public_key_b64()}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
}

/// Now, in China Standard Time, as a device writes `at`.
pub fn now_cst() -> String {
    cst(chrono::Utc::now())
}

/// A time as a device writes it: RFC 3339 in China Standard Time.
pub fn cst(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .to_rfc3339()
}
