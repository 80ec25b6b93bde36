//! The real binary: `serve` answers on the address it prints and stops cleanly on SIGTERM;
//! `admin create-user` bootstraps an account; `catalogue load` adds a catalogue version from
//! CSV that the next start uses, without a code change.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_hwtrace");

fn hwtrace(args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// A `hwtrace serve` process, killed if the test fails before stopping it.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &Path, extra: &[&str]) -> Server {
    let (child, base) = common::binary::serve(db, |c| {
        c.args(extra);
    });
    Server { child, base }
}

fn get_json(url: &str) -> serde_json::Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async { reqwest::get(url).await.unwrap().json().await.unwrap() })
}

fn terminate(mut server: Server) -> std::process::ExitStatus {
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "serve did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serve_answers_the_readme_query_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&dir.path().join("hwtrace.db"), &[]);
    let body = get_json(&format!("{}/api/v1/catalogue?q=HW08", server.base));
    assert_eq!(body["total"], 32);
    assert!(body["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == "900-249-08"));
    let status = terminate(server);
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
}

/// A supervisor that stops the service the moment it says it listens (before any request)
/// gets a graceful exit, not a process killed by SIGTERM's default action: the handlers are
/// installed before the address is printed. Tried several times, as the race it guards
/// against lasted only until the server's first poll.
#[test]
fn a_sigterm_right_after_the_listening_line_is_a_graceful_exit() {
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let status = terminate(serve(&dir.path().join("hwtrace.db"), &[]));
        assert!(status.success(), "graceful shutdown exits 0, got {status}");
    }
}

#[test]
fn admin_create_user_reads_the_password_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hwtrace.db");
    let db = db.to_str().unwrap();
    let (ok, out, err) = hwtrace(
        &["admin", "create-user", "--db", db, "--username", "boss"],
        "a long enough password\n",
    );
    assert!(ok, "{err}");
    assert!(out.contains("created user boss"), "{out}");
    let (ok, _, err) = hwtrace(
        &["admin", "create-user", "--db", db, "--username", "boss"],
        "a long enough password\n",
    );
    assert!(!ok && err.contains("username_taken"), "{err}");
    let (ok, _, err) = hwtrace(&["admin", "create-user", "--db", db, "--username", "weak"], "short\n");
    assert!(!ok && err.contains("weak_password"), "{err}");
    let (ok, _, err) = hwtrace(
        &[
            "admin",
            "create-user",
            "--db",
            db,
            "--username",
            "eeb",
            "--role",
            "regulator",
            "--district",
            "wansheng",
        ],
        "a long enough password\n",
    );
    assert!(ok, "{err}");
    let (_, out, _) = hwtrace(&["admin", "list-users", "--db", db], "");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.contains("eeb\tregulator\twansheng"), "{out}");
}

#[test]
fn a_new_catalogue_version_loads_from_csv_and_is_used_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hwtrace.db");
    let dbs = db.to_str().unwrap();
    let csv = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/catalogue-mini.csv");
    let (ok, out, err) = hwtrace(&["catalogue", "load", csv, "--version", "2025-test", "--db", dbs], "");
    assert!(ok, "{err}");
    assert!(out.contains("5 codes loaded and active"), "{out}");
    let (ok, _, err) = hwtrace(&["catalogue", "load", csv, "--version", "2025-test", "--db", dbs], "");
    assert!(!ok && err.contains("catalogue_version_exists"), "{err}");

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "category,category_name,industry,code,description,hazard\nHW08,x,y,900-249-09,d,T\n",
    )
    .unwrap();
    let (ok, _, err) = hwtrace(
        &[
            "catalogue",
            "load",
            bad.to_str().unwrap(),
            "--version",
            "broken",
            "--db",
            dbs,
        ],
        "",
    );
    assert!(
        !ok && err.contains("bad_catalogue_csv") && err.contains("line 2"),
        "{err}"
    );

    let server = serve(&db, &[]);
    let health = get_json(&format!("{}/api/v1/health", server.base));
    assert_eq!(health["catalogue_version"], "2025-test");
    let found = get_json(&format!("{}/api/v1/catalogue?q=HW51", server.base));
    assert_eq!(found["total"], 1, "the new category is searchable");
    let gone = get_json(&format!("{}/api/v1/catalogue?q=HW01", server.base));
    assert_eq!(gone["total"], 0, "the 2021 list is no longer the active one");
    drop(server);

    let (ok, out, err) = hwtrace(&["catalogue", "activate", "2021", "--db", dbs], "");
    assert!(ok && out.contains("2021 is now active"), "{err}");
    let server = serve(&db, &[]);
    let health = get_json(&format!("{}/api/v1/health", server.base));
    assert_eq!(health["catalogue_version"], "2021");
}

#[test]
fn serve_demo_adds_accounts_one_can_log_in_with() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hwtrace.db");
    for _ in 0..2 {
        // Twice: the first start builds a short demo season, the second finds the log and
        // only serves; the demo load is idempotent.
        let server = serve(&db, &["--demo", "--demo-days", "20", "--demo-scale", "0.05"]);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let c = reqwest::Client::builder().cookie_store(true).build().unwrap();
            let resp = c
                .post(format!("{}/api/v1/session", server.base))
                .json(&serde_json::json!({"username": "autorepair", "password": "hwtrace-demo-2026"}))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            let list: serde_json::Value = c
                .get(format!("{}/api/v1/enterprises", server.base))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(
                list["enterprises"].as_array().unwrap().len(),
                1,
                "an enterprise sees itself only"
            );
            // The demo season is in the log: a living system, not an empty one.
            let note = c
                .get(format!("{}/log/checkpoint", server.base))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let size: u64 = note.lines().nth(1).unwrap().parse().unwrap();
            assert!(size > 200, "{note}");
        });
        assert!(terminate(server).success());
    }
}

#[test]
fn keys_rotate_and_revoke_and_loose_key_files_stop_the_start() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hwtrace.db");
    let dbs = db.to_str().unwrap();
    let server = serve(&db, &[]);
    let keys = get_json(&format!("{}/api/v1/keys", server.base));
    let label_vkey = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["role"] == "label")
        .unwrap()["vkey"]
        .as_str()
        .unwrap()
        .to_owned();
    let old_id = label_vkey.split('+').nth(1).unwrap().to_owned();
    assert!(terminate(server).success());

    let (ok, out, err) = hwtrace(
        &[
            "keys",
            "rotate",
            "--role",
            "label",
            "--db",
            dbs,
            "--approved-by",
            "ops-lead",
        ],
        "",
    );
    assert!(ok && out.contains("new label key"), "{out}{err}");
    let (ok, _, err) = hwtrace(&["keys", "revoke", &old_id, "--db", dbs], "");
    assert!(ok, "{err}");
    let server = serve(&db, &[]);
    let keys = get_json(&format!("{}/api/v1/keys", server.base));
    let labels: Vec<&serde_json::Value> = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["role"] == "label")
        .collect();
    assert_eq!(labels.len(), 2);
    assert!(labels[0]["valid_until"].is_string() && labels[0]["revoked_at"].is_string());
    assert!(labels[1]["valid_until"].is_null());
    let entries = reqwest_text(&format!("{}/log/entries?start=0&end=4", server.base));
    assert!(
        entries.contains("\"approved_by\":\"ops-lead\"") && entries.contains("\"action\":\"revoke\""),
        "{entries}"
    );
    let active_id = labels[1]["vkey"]
        .as_str()
        .unwrap()
        .split('+')
        .nth(1)
        .unwrap()
        .to_owned();
    drop(server);
    let (ok, _, err) = hwtrace(&["keys", "revoke", &active_id, "--db", dbs], "");
    assert!(!ok && err.contains("key_in_use"), "{err}");

    // A key file that others could read stops the start, with a reason.
    let key_file = dir
        .path()
        .join("hwtrace.db.keys")
        .join(format!("label-{active_id}.key"));
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--db", dbs, "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("readable by others"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Regression (issue 12): the key directory's own mode was not checked (0777 was accepted);
/// one open to group or others stops the start, saying how to fix it.
#[test]
fn a_key_directory_open_to_others_stops_the_start() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hwtrace.db");
    assert!(terminate(serve(&db, &[])).success());
    let keys = dir.path().join("hwtrace.db.keys");
    for mode in [0o777, 0o755] {
        std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(mode)).unwrap();
        let mut child = Command::new(BIN)
            .args(["serve", "--db", db.to_str().unwrap(), "--listen", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("serve started with its key directory in mode {mode:o}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        assert!(!status.success(), "{mode:o}: {stderr}");
        assert!(
            stderr.contains("key directory") && stderr.contains("chmod 700"),
            "{mode:o}: {stderr}"
        );
    }
    std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert!(terminate(serve(&db, &[])).success());
}

fn reqwest_text(url: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async { reqwest::get(url).await.unwrap().text().await.unwrap() })
}
