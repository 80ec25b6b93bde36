//! The auditor (`hwtrace audit`, SPEC §5.5) against logs built by the real service: a clean log
//! passes from the database and over HTTP, and each kind of tampering with the database is
//! found and pinned to its entry. Also: incremental audits from a saved checkpoint, the SPEC
//! vectors' log, and a hand-made log that breaks the custody rules.
//!
//! One log is built through the service once per run (a template in the target directory);
//! every test works on its own copy.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use anyhow::anyhow;
use common::cast::Cast;
use common::Client;
use data_encoding::BASE64;
use ed25519_dalek::SigningKey;
use hwtrace::audit::{self, AuditArgs, AuditReport, Check, History, HistoryEntry, Options, Row, Source};
use hwtrace::client::{generate_fields, Device};
use hwtrace::crypto::keys::VerifierKey;
use hwtrace::crypto::label::{self, LabelPayload};
use hwtrace::crypto::merkle::{self, leaf_hash, Hash, MemoryTree};
use hwtrace::crypto::note::Checkpoint;
use hwtrace::domain::custody::Facts;
use hwtrace::domain::EnterpriseRole;
use hwtrace::log::keyring::{self, KeyChange};
use hwtrace::log::serverkeys::{key_dir, ServerRole};
use hwtrace::log::{format_entry, Member};
use reqwest::StatusCode;
use rusqlite::{params, Connection};
use serde_json::{json, Value};
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_hwtrace");
const GENERATOR: &str = "91500110MA5U8F4X2N";
/// Items generated in all, and before the checkpoint the fixture saves.
const ITEMS: usize = 20;
const ITEMS_BEFORE_SAVE: usize = 10;
/// Entries before the first item: log key, label key, the generator's devices gen-1 and
/// gen-2, and the revocation of gen-2.
const KEY_ENTRIES: u64 = 5;

/// The template log, built once per test run.
struct Fixture {
    db: PathBuf,
    /// The checkpoint an audit over HTTP saved after the first 10 items.
    saved: PathBuf,
    saved_size: u64,
    size: u64,
    log_vkey: String,
    /// Every item: its generating entry and code, in log order.
    items: Vec<(u64, String)>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        std::thread::spawn(|| {
            let rt = tokio::runtime::Runtime::new().expect("runtime");
            rt.block_on(build_fixture())
        })
        .join()
        .expect("the fixture is built")
    })
}

/// A directory for the template, under the target directory. Templates of earlier runs are
/// removed: those whose process is gone, and any more than an hour old.
fn fixture_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    for e in fs::read_dir(root).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("audit-fixture-") else {
            continue;
        };
        let gone = Path::new("/proc/self").exists() && !Path::new("/proc").join(pid).exists();
        let old = e.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < hour_ago);
        if gone || old {
            let _ = fs::remove_dir_all(e.path());
        }
    }
    let dir = root.join(format!("audit-fixture-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Generates one item, answering its entry index and code.
async fn generate(c: &Client, phone: &Device, n: usize) -> (u64, String) {
    let forms = ["liquid", "solid", "semi_solid"];
    let hazards: [&[&str]; 3] = [&["T", "I"], &["C"], &["T", "R"]];
    let env = phone.sign_event(
        "generate",
        &common::now_cst(),
        generate_fields("900-249-08", 1000 + n as u64 * 37, forms[n % 3], hazards[n % 3], 200),
    );
    let (s, r) = c.post("/api/v1/events", serde_json::to_value(env).unwrap()).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    (
        r["index"].as_u64().unwrap(),
        r["item_code"].as_str().unwrap().to_owned(),
    )
}

/// A generator with two devices, the second one revoked, then 20 items; the checkpoint is
/// saved by an HTTP audit after the first 10.
async fn build_fixture() -> Fixture {
    let dir = fixture_dir();
    let db = dir.join("hwtrace.db");
    let saved = dir.join("after-10-items.json");
    let app = common::spawn_app_at(&db).await;
    let cast = Cast::on(&app).generator("gen", GENERATOR).devices(2).build().await;
    let (admin, ent, phone) = (&cast.admin, &cast["gen"].client, &cast["gen"].device);
    let revoked = &cast["gen"].spares[0].device;
    let (s, body) = ent
        .post(
            &format!("/api/v1/enterprises/{GENERATOR}/devices/{revoked}/revoke"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");

    let log_vkey = fs::read_to_string(key_dir(&db).join("log.vkey"))
        .unwrap()
        .trim()
        .to_owned();
    let mut items = Vec::new();
    for n in 0..ITEMS_BEFORE_SAVE {
        items.push(generate(admin, phone, n).await);
    }
    let args = AuditArgs {
        save_checkpoint: Some(saved.clone()),
        ..AuditArgs::url(&app.base, &log_vkey)
    };
    let report = audit::run(args).await.expect("the audit runs");
    assert!(report.ok(), "{report}");
    let saved_size = report.checkpoint_size;
    for n in ITEMS_BEFORE_SAVE..ITEMS {
        items.push(generate(admin, phone, n).await);
    }
    app.stop().await;
    let conn = Connection::open(&db).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    let size: u64 = conn
        .query_row("SELECT max(size) FROM checkpoints", [], |r| r.get(0))
        .unwrap();
    assert_eq!(size, KEY_ENTRIES + ITEMS as u64);
    Fixture {
        db,
        saved,
        saved_size,
        size,
        log_vkey,
        items,
    }
}

/// A fresh copy of the template database and its key directory.
fn copy_log() -> (TempDir, PathBuf) {
    let fx = fixture();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hwtrace.db");
    fs::copy(&fx.db, &db).unwrap();
    let keys = key_dir(&db);
    fs::create_dir(&keys).unwrap();
    // The service refuses a key directory group or others could read.
    fs::set_permissions(&keys, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    for e in fs::read_dir(key_dir(&fx.db)).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), keys.join(e.file_name())).unwrap();
    }
    (dir, db)
}

/// A copy of the log changed by `change` through a plain connection, as an intruder would.
fn tampered(change: impl FnOnce(&Connection)) -> (TempDir, PathBuf) {
    let (dir, db) = copy_log();
    let conn = Connection::open(&db).unwrap();
    change(&conn);
    drop(conn);
    (dir, db)
}

/// Another byte in place of the one at `at`, kept within base64's alphabet.
fn one_byte_changed(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at] = if out[at] == b'A' { b'B' } else { b'A' };
    out
}

fn blob(conn: &Connection, sql: &str, key: i64) -> Vec<u8> {
    conn.query_row(sql, [key], |r| r.get(0)).unwrap()
}

async fn audit_db(db: &Path) -> AuditReport {
    audit::run(AuditArgs::db(db)).await.expect("the audit runs")
}

/// Asserts the audit failed with a finding of `check` at entry `index` whose message contains
/// `words`.
fn assert_found(report: &AuditReport, index: u64, check: Check, words: &str) {
    assert!(!report.ok(), "the audit passed:\n{report}");
    assert!(
        report
            .findings_at(index)
            .any(|f| f.check == check && f.message.contains(words)),
        "no [{}] finding at entry {index} mentioning {words:?}:\n{report}",
        check.code()
    );
}

#[tokio::test]
async fn a_clean_database_passes_with_the_right_counts() {
    let fx = fixture();
    let (_dir, db) = copy_log();
    let report = audit_db(&db).await;
    assert!(report.ok(), "{report}");
    assert_eq!(report.checkpoint_size, fx.size);
    assert_eq!((report.checked_from, report.entries_checked), (0, fx.size));
    assert_eq!(report.items, ITEMS as u64);
    assert_eq!(report.events, BTreeMap::from([("generate".to_owned(), ITEMS as u64)]));
    assert_eq!(report.key_entries, KEY_ENTRIES);
    let k = &report.keys;
    assert_eq!((k.log, k.label, k.device, k.revoked), (1, 1, 2, 1));
    assert_eq!(report.log_key, fx.log_vkey);
    // One checkpoint per committed batch, each checked, plus the latest once more.
    let rows: u64 = Connection::open(&db)
        .unwrap()
        .query_row("SELECT count(*) FROM checkpoints", [], |r| r.get(0))
        .unwrap();
    assert_eq!(report.checkpoints_checked, rows + 1);
    let text = report.to_string();
    assert!(text.contains("OK: every check passed"), "{text}");
    assert!(
        text.contains(&format!("{} checked (0..{})", fx.size, fx.size)),
        "{text}"
    );
}

#[tokio::test]
async fn a_running_service_passes_over_http() {
    let fx = fixture();
    let (_dir, db) = copy_log();
    let app = common::spawn_app_at(&db).await;
    let report = audit::run(AuditArgs::url(&app.base, &fx.log_vkey)).await.unwrap();
    assert!(report.ok(), "{report}");
    assert_eq!(report.entries_checked, fx.size);
    assert_eq!(report.items, ITEMS as u64);
    assert_eq!(report.keys.device, 2);

    // The key from a file; trust on first use says so; no key at all is refused.
    let vkey_file = key_dir(&db).join("log.vkey");
    let from_file = AuditArgs::url(&app.base, vkey_file.to_str().unwrap());
    assert!(audit::run(from_file).await.unwrap().ok());
    let tofu = AuditArgs {
        log_key: None,
        trust_on_first_use: true,
        ..AuditArgs::url(&app.base, "")
    };
    let report = audit::run(tofu).await.unwrap();
    assert!(report.ok(), "{report}");
    assert!(report.notes.iter().any(|n| n.contains("trust on first use")));
    let keyless = AuditArgs {
        log_key: None,
        ..AuditArgs::url(&app.base, "")
    };
    let err = audit::run(keyless).await.unwrap_err().to_string();
    assert!(err.contains("--log-key"), "{err}");

    // A stranger's key: the checkpoint is not signed by it.
    let stranger = VerifierKey::new(
        "hwtrace.wansheng.example/log",
        SigningKey::from_bytes(&[9; 32]).verifying_key(),
    )
    .unwrap();
    let report = audit::run(AuditArgs::url(&app.base, &stranger.to_string()))
        .await
        .unwrap();
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.check == Check::Checkpoint && f.message.contains("is not a log key of this log")),
        "{report}"
    );

    // Incremental over HTTP, from the checkpoint saved after 10 items.
    let since = AuditArgs {
        since_checkpoint: Some(fx.saved.clone()),
        ..AuditArgs::url(&app.base, &fx.log_vkey)
    };
    let report = audit::run(since).await.unwrap();
    assert!(report.ok(), "{report}");
    assert_eq!(
        (report.checked_from, report.entries_checked),
        (fx.saved_size, fx.size - fx.saved_size)
    );
    app.stop().await;
}

#[test]
fn the_binary_exits_zero_only_when_everything_checks() {
    let fx = fixture();
    let (_dir, db) = copy_log();
    let out = Command::new(BIN).args(["audit", "--db"]).arg(&db).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("OK: every check passed"), "{stdout}");
    assert!(stdout.contains(&format!("{} checked", fx.size)), "{stdout}");

    let (index, code) = &fx.items[3];
    let (_dir2, bad) = tampered(|c| {
        c.execute(
            "UPDATE items SET holder = ?1 WHERE code = ?2",
            params![common::YUNAN, code],
        )
        .unwrap();
    });
    let out = Command::new(BIN)
        .args(["audit", "--quiet", "--log-key", &fx.log_vkey, "--db"])
        .arg(&bad)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("entry {index}, item {code}: [database]")),
        "{stdout}"
    );
    assert!(!stdout.contains("log key "), "--quiet prints no summary: {stdout}");

    let out = Command::new(BIN)
        .args(["audit", "--url", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--log-key"));
}

#[tokio::test]
async fn a_changed_byte_of_an_entry_is_found() {
    let (index, code) = fixture().items[4].clone();
    let (_dir, db) = tampered(|c| {
        let bytes = blob(c, "SELECT bytes FROM log_entries WHERE seq = ?1", index as i64);
        // In the label's signature (base64 characters 80-168 of the label).
        let at = String::from_utf8_lossy(&bytes).find("\"label\":\"").unwrap() + 9 + 120;
        c.execute(
            "UPDATE log_entries SET bytes = ?1 WHERE seq = ?2",
            params![one_byte_changed(&bytes, at), index as i64],
        )
        .unwrap();
    });
    let report = audit_db(&db).await;
    assert_found(&report, index, Check::Database, "log_entries.leaf_hash");
    assert_found(&report, index, Check::Label, "forged or altered");
    assert!(report.findings.iter().any(|f| f.check == Check::Tree), "{report}");
    assert!(!report.to_string().contains(&format!("item {code}: [prev]")));
}

#[tokio::test]
async fn a_changed_leaf_hash_is_found() {
    let index = fixture().items[0].0;
    let (_dir, db) = tampered(|c| {
        let leaf = blob(c, "SELECT leaf_hash FROM log_entries WHERE seq = ?1", index as i64);
        c.execute(
            "UPDATE log_entries SET leaf_hash = ?1 WHERE seq = ?2",
            params![one_byte_changed(&leaf, 7), index as i64],
        )
        .unwrap();
    });
    assert_found(&audit_db(&db).await, index, Check::Database, "log_entries.leaf_hash");
}

#[tokio::test]
async fn a_changed_tree_node_is_found() {
    // Node (level 2, index 1) covers entries 4..7 and is completed by entry 7.
    let (_dir, db) = tampered(|c| {
        let hash: Vec<u8> = c
            .query_row("SELECT hash FROM log_nodes WHERE level = 2 AND idx = 1", [], |r| {
                r.get(0)
            })
            .unwrap();
        c.execute(
            "UPDATE log_nodes SET hash = ?1 WHERE level = 2 AND idx = 1",
            [one_byte_changed(&hash, 0)],
        )
        .unwrap();
    });
    assert_found(
        &audit_db(&db).await,
        7,
        Check::Database,
        "(level 2, index 1) over entries 4..7",
    );
}

/// The size of the fourth checkpoint row: one in the middle of the log.
fn middle_checkpoint(c: &Connection) -> i64 {
    c.query_row("SELECT size FROM checkpoints ORDER BY size LIMIT 1 OFFSET 3", [], |r| {
        r.get(0)
    })
    .unwrap()
}

#[tokio::test]
async fn a_changed_checkpoint_note_is_found() {
    let mut size = 0;
    let (_dir, db) = tampered(|c| {
        size = middle_checkpoint(c);
        let note: String = c
            .query_row("SELECT note FROM checkpoints WHERE size = ?1", [size], |r| r.get(0))
            .unwrap();
        let changed = one_byte_changed(note.as_bytes(), note.len() - 12);
        c.execute(
            "UPDATE checkpoints SET note = ?1 WHERE size = ?2",
            params![String::from_utf8(changed).unwrap(), size],
        )
        .unwrap();
    });
    let report = audit_db(&db).await;
    assert_found(&report, size as u64 - 1, Check::Checkpoint, "does not verify");
}

#[tokio::test]
async fn a_changed_checkpoint_root_is_found() {
    let mut size = 0;
    let (_dir, db) = tampered(|c| {
        size = middle_checkpoint(c);
        let root = blob(c, "SELECT root FROM checkpoints WHERE size = ?1", size);
        c.execute(
            "UPDATE checkpoints SET root = ?1 WHERE size = ?2",
            params![one_byte_changed(&root, 31), size],
        )
        .unwrap();
    });
    let report = audit_db(&db).await;
    assert_found(&report, size as u64 - 1, Check::Database, "root column");
}

#[tokio::test]
async fn a_changed_server_key_is_found() {
    // Entry 1 registers the label key.
    let (_dir, db) = tampered(|c| {
        let pk: Vec<u8> = c
            .query_row("SELECT public_key FROM server_keys WHERE role = 'label'", [], |r| {
                r.get(0)
            })
            .unwrap();
        c.execute(
            "UPDATE server_keys SET public_key = ?1 WHERE role = 'label'",
            [one_byte_changed(&pk, 5)],
        )
        .unwrap();
    });
    assert_found(&audit_db(&db).await, 1, Check::Database, "server_keys row");
}

#[tokio::test]
async fn a_changed_device_key_is_found() {
    // Entry 2 registers gen-1.
    let (_dir, db) = tampered(|c| {
        let pk = blob(c, "SELECT public_key FROM device_keys WHERE log_seq = ?1", 2);
        c.execute(
            "UPDATE device_keys SET public_key = ?1 WHERE log_seq = 2",
            [one_byte_changed(&pk, 9)],
        )
        .unwrap();
    });
    let report = audit_db(&db).await;
    assert_found(&report, 2, Check::Database, "public_key is");
}

#[tokio::test]
async fn a_deleted_entry_is_found() {
    let index = fixture().items[6].0;
    let (_dir, db) = tampered(|c| {
        c.pragma_update(None, "foreign_keys", "OFF").unwrap();
        c.execute("DELETE FROM log_entries WHERE seq = ?1", [index as i64])
            .unwrap();
    });
    let report = audit_db(&db).await;
    assert_found(&report, index, Check::Database, &format!("entry {index} is missing"));
    assert!(report.findings.iter().any(|f| f.check == Check::Tree), "{report}");
}

#[tokio::test]
async fn swapped_entries_are_found() {
    let (a, b) = (fixture().items[8].0, fixture().items[9].0);
    let (_dir, db) = tampered(|c| {
        let x = blob(c, "SELECT bytes FROM log_entries WHERE seq = ?1", a as i64);
        let y = blob(c, "SELECT bytes FROM log_entries WHERE seq = ?1", b as i64);
        c.execute("UPDATE log_entries SET bytes = ?1 WHERE seq = ?2", params![y, a as i64])
            .unwrap();
        c.execute("UPDATE log_entries SET bytes = ?1 WHERE seq = ?2", params![x, b as i64])
            .unwrap();
    });
    let report = audit_db(&db).await;
    assert_found(&report, a, Check::Entry, &format!("says seq {b}"));
    assert_found(&report, b, Check::Entry, &format!("says seq {a}"));
}

#[tokio::test]
async fn a_changed_item_mass_is_found() {
    let (index, code) = fixture().items[5].clone();
    let (_dir, db) = tampered(|c| {
        c.execute("UPDATE items SET mass_g = mass_g + 1 WHERE code = ?1", [&code])
            .unwrap();
    });
    let report = audit_db(&db).await;
    assert_found(&report, index, Check::Database, "mass_g is");
    assert!(report.findings.iter().all(|f| f.item.as_deref() == Some(code.as_str())));
}

#[tokio::test]
async fn since_a_saved_checkpoint_only_the_new_entries_are_checked() {
    let fx = fixture();
    let (dir, db) = copy_log();
    let next = dir.path().join("latest.json");
    let args = AuditArgs {
        since_checkpoint: Some(fx.saved.clone()),
        save_checkpoint: Some(next.clone()),
        ..AuditArgs::db(&db)
    };
    let report = audit::run(args).await.unwrap();
    assert!(report.ok(), "{report}");
    assert_eq!(report.checked_from, fx.saved_size);
    assert_eq!(report.entries_checked, fx.size - fx.saved_size);
    assert_eq!(report.items, (ITEMS - ITEMS_BEFORE_SAVE) as u64);
    assert_eq!(report.key_entries, 0, "the key entries came from the saved file");
    assert_eq!(
        report.history_lookups, 0,
        "new items that the index does not know are not looked up"
    );
    assert_eq!(report.keys.device, 2);

    // Nothing new since the checkpoint just saved.
    let args = AuditArgs {
        since_checkpoint: Some(next),
        ..AuditArgs::db(&db)
    };
    let report = audit::run(args).await.unwrap();
    assert!(report.ok(), "{report}");
    assert_eq!((report.checked_from, report.entries_checked), (fx.size, 0));

    // A tampered new entry is still found; an old one is the earlier audit's business.
    let (index, _) = fx.items[ITEMS_BEFORE_SAVE + 2];
    let conn = Connection::open(&db).unwrap();
    let leaf = blob(&conn, "SELECT leaf_hash FROM log_entries WHERE seq = ?1", index as i64);
    conn.execute(
        "UPDATE log_entries SET leaf_hash = ?1 WHERE seq = ?2",
        params![one_byte_changed(&leaf, 0), index as i64],
    )
    .unwrap();
    drop(conn);
    let args = AuditArgs {
        since_checkpoint: Some(fx.saved.clone()),
        ..AuditArgs::db(&db)
    };
    assert_found(&audit::run(args).await.unwrap(), index, Check::Database, "leaf_hash");
}

#[tokio::test]
async fn a_forged_saved_checkpoint_is_refused() {
    let fx = fixture();
    let (dir, db) = copy_log();
    let text = fs::read_to_string(&fx.saved).unwrap();
    let note = serde_json::from_str::<Value>(&text).unwrap()["checkpoint"]
        .as_str()
        .unwrap()
        .to_owned();
    let root_line = note.lines().nth(2).unwrap();
    let at = text.find(root_line).unwrap() + 2;
    let forged = dir.path().join("forged.json");
    fs::write(&forged, one_byte_changed(text.as_bytes(), at)).unwrap();
    let args = AuditArgs {
        since_checkpoint: Some(forged),
        ..AuditArgs::db(&db)
    };
    let report = audit::run(args).await.unwrap();
    assert!(!report.ok());
    assert_eq!(report.entries_checked, 0, "nothing is checked from a forged anchor");
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.check == Check::Checkpoint && f.message.contains("saved checkpoint is refused")),
        "{report}"
    );
}

#[tokio::test]
async fn rotated_server_keys_are_followed_from_the_first_log_key() {
    let fx = fixture();
    let (_dir, db) = copy_log();
    // Rotate both server keys with the service stopped, as `hwtrace keys rotate` does.
    {
        let state = hwtrace::service::open(hwtrace::config::Config::with_db(db.clone()))
            .await
            .unwrap();
        for role in [ServerRole::Log, ServerRole::Label] {
            let (log, keys) = (state.log.clone(), key_dir(&db));
            state
                .db
                .write(move |conn| keyring::rotate(conn, &log, &keys, role, "test"))
                .await
                .unwrap();
        }
    }
    // More items, labelled and checkpointed under the new keys.
    let app = common::spawn_app_at(&db).await;
    let admin = app.login("admin").await;
    let ent = app.login("gen-admin").await;
    let phone = Device::generate(GENERATOR, "phone-3");
    ent.register_device(&phone).await;
    for n in 0..3 {
        generate(&admin, &phone, n).await;
    }
    app.stop().await;
    let new_key = fs::read_to_string(key_dir(&db).join("log.vkey")).unwrap();
    assert_ne!(new_key.trim(), fx.log_vkey, "log.vkey holds the new log key");

    // Trusting the first log key, the new one is accepted because the log registered it as
    // the replacement; trusting the new one (the default) works as well.
    let first = AuditArgs {
        log_key: Some(fx.log_vkey.clone()),
        ..AuditArgs::db(&db)
    };
    for args in [first, AuditArgs::db(&db)] {
        let report = audit::run(args).await.unwrap();
        assert!(report.ok(), "{report}");
        assert_eq!((report.keys.log, report.keys.label), (2, 2));
        assert_eq!(report.entries_checked, fx.size + 2 + 1 + 3);
    }
    // A checkpoint saved under the old key still anchors an incremental audit.
    let args = AuditArgs {
        since_checkpoint: Some(fx.saved.clone()),
        ..AuditArgs::db(&db)
    };
    let report = audit::run(args).await.unwrap();
    assert!(report.ok(), "{report}");
}

// ------------------------------------------------------------------ logs from elsewhere

/// A log held in memory: entries and a checkpoint note, with proofs from an in-memory tree.
struct MemorySource {
    note: String,
    entries: Vec<String>,
    tree: MemoryTree,
}

impl MemorySource {
    fn new(note: String, entries: Vec<String>) -> MemorySource {
        let tree = entries.iter().map(|e| leaf_hash(e.as_bytes())).collect();
        MemorySource { note, entries, tree }
    }
}

impl Source for MemorySource {
    fn describe(&self) -> String {
        "memory".into()
    }

    fn checkpoint(&self) -> anyhow::Result<String> {
        Ok(self.note.clone())
    }

    fn entries(&self, start: u64, end: u64) -> anyhow::Result<Vec<Row>> {
        Ok((start..end)
            .map(|i| Row {
                index: i,
                bytes: self.entries[i as usize].as_bytes().to_vec(),
                stored_leaf: None,
            })
            .collect())
    }

    fn consistency(&self, old: u64, new: u64) -> anyhow::Result<Vec<Hash>> {
        merkle::consistency_proof(&self.tree, old, new).map_err(|e| anyhow!("{e}"))
    }

    fn inclusion(&self, index: u64, size: u64) -> anyhow::Result<Vec<Hash>> {
        merkle::inclusion_proof(&self.tree, index, size).map_err(|e| anyhow!("{e}"))
    }

    fn history(&self, item: &str, size: u64) -> anyhow::Result<History> {
        let mut entries = Vec::new();
        for (i, e) in self.entries.iter().enumerate().take(size as usize) {
            let v: Value = serde_json::from_str(e)?;
            if v["prev"].get(item).is_some() {
                entries.push(HistoryEntry {
                    index: i as u64,
                    bytes: e.as_bytes().to_vec(),
                    proof: self.inclusion(i as u64, size)?,
                });
            }
        }
        Ok(History {
            checkpoint: None,
            size,
            entries,
        })
    }

    fn has_entries_before(&self, item: &str, size: u64) -> anyhow::Result<Option<bool>> {
        Ok(Some(!self.history(item, size)?.entries.is_empty()))
    }
}

fn vectors() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/spec-v1.json");
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// The SPEC vectors' log comes from an independent implementation of the document: its root,
/// `prev` links, envelope signature and checkpoint must pass. It was not written by hwtrace,
/// so the checks that go beyond the SPEC's formats report exactly what differs.
#[test]
fn the_spec_vectors_log_passes_the_structural_checks() {
    let v = vectors();
    let entries: Vec<String> = v["log"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_owned())
        .collect();
    let note = v["log"]["checkpoint"].as_str().unwrap().to_owned();
    let log_key = VerifierKey::parse(v["keys"]["log"]["vkey"].as_str().unwrap()).unwrap();
    let options = Options {
        server_keys_first: false,
        ..Options::trusting(log_key)
    };
    let report = audit::audit_source(&MemorySource::new(note, entries), options).unwrap();
    assert_eq!(report.entries_checked, 7);
    assert_eq!(report.checkpoints_checked, 1);
    let structural = [
        Check::Checkpoint,
        Check::Tree,
        Check::Prev,
        Check::Signature,
        Check::Key,
    ];
    assert!(
        report.findings.iter().all(|f| !structural.contains(&f.check)),
        "{report}"
    );
    // What remains: the vectors' `note` entries are a kind this auditor does not know, the
    // vectors' event carries only the members the DSSE vector needs, and no entry of that log
    // registers its label key.
    let mut rest: Vec<(u64, Check)> = report.findings.iter().map(|f| (f.index.unwrap(), f.check)).collect();
    rest.sort();
    let mut want = vec![(1, Check::Event), (1, Check::Label)];
    want.extend((2..7).map(|i| (i, Check::Entry)));
    assert_eq!(rest, want, "{report}");
    assert!(report
        .findings
        .iter()
        .any(|f| f.message.contains("unknown kind \"note\"")));
    assert!(report
        .findings
        .iter()
        .any(|f| f.message.contains("key 1326c71c, which is not a label key")));
}

/// A log written by hand, as a faulty or dishonest server might: item X is generated twice.
struct HandLog {
    log_sk: SigningKey,
    log_vk: VerifierKey,
    label_sk: SigningKey,
    label_vk: VerifierKey,
    phone: Device,
    entries: Vec<String>,
}

/// The registry facts a `generate` by a registered generator is judged by.
fn generator_facts() -> Facts {
    Facts {
        roles: vec![EnterpriseRole::Generator],
        permit_ok: true,
        transfer_approved: true,
        tolerance_ppt: 50,
    }
}

const ITEM_X: &str = "91500110MA5U8F4X2N9002490820261128001";
const ITEM_Y: &str = "91500110MA5U8F4X2N9002490820261128002";

impl HandLog {
    fn new() -> HandLog {
        let key = |name: &str, seed: u8| {
            let sk = SigningKey::from_bytes(&[seed; 32]);
            let vk = VerifierKey::new(name, sk.verifying_key()).unwrap();
            (sk, vk)
        };
        let (log_sk, log_vk) = key("hwtrace.test/log", 1);
        let (label_sk, label_vk) = key("hwtrace.test/log/label", 2);
        let mut log = HandLog {
            log_sk,
            log_vk,
            label_sk,
            label_vk,
            phone: Device::from_seed(GENERATOR, "phone-1", [3; 32]),
            entries: Vec::new(),
        };
        for (vkey, role, owner) in [
            (log.log_vk.to_string(), "log", None),
            (log.label_vk.to_string(), "label", None),
            (log.phone.verifier_key().to_string(), "device", Some(GENERATOR)),
        ] {
            let change = KeyChange {
                vkey,
                role,
                owner,
                action: "register",
                approved_by: "test",
                replaces: None,
            };
            log.push("key", &BTreeMap::new(), &[Member::new("key", &change)]);
        }
        log
    }

    fn push(&mut self, kind: &str, prev: &BTreeMap<&str, String>, members: &[Member<'_>]) -> String {
        let seq = self.entries.len() as u64;
        let at = format!("2026-11-28T01:{:02}:00Z", seq);
        let entry = format_entry(seq, &at, kind, prev, members).unwrap();
        self.entries.push(entry.clone());
        entry
    }

    /// Logs a `generate` of `code` with the given `prev` value, and its signed label.
    fn generate(&mut self, code: &str, prev: String) -> String {
        let env = self.phone.sign_event(
            "generate",
            "2026-11-28T09:30:00+08:00",
            generate_fields("900-249-08", 185_500, "liquid", &["T", "I"], 200),
        );
        let payload = LabelPayload::new(self.label_vk.key_id, code, 185_500, 0x05, 3, 1_795_830_000).unwrap();
        let sig = payload.sign(&self.label_sk);
        let label_b64 = BASE64.encode(&label::label_bytes(&payload, &sig));
        let prev = BTreeMap::from([(code, prev)]);
        self.push(
            "event",
            &prev,
            &[
                Member::new("envelope", &env),
                Member::new("label", &label_b64),
                Member::new("facts", &generator_facts()),
            ],
        )
    }

    fn source(&self, size: usize) -> MemorySource {
        let entries = self.entries[..size].to_vec();
        let root = merkle::root_of(&entries.iter().map(|e| leaf_hash(e.as_bytes())).collect::<Vec<_>>());
        let cp = Checkpoint {
            origin: self.log_vk.name.clone(),
            size: size as u64,
            root,
        };
        MemorySource::new(cp.sign(&self.log_vk.name, &self.log_sk, self.log_vk.key_id), entries)
    }
}

#[test]
fn an_item_generated_twice_is_found_in_full_and_since_a_checkpoint() {
    let mut log = HandLog::new();
    let first = log.generate(ITEM_X, String::new());
    log.generate(ITEM_Y, String::new());
    // X again, chained to its first entry; Y again, passed off as new.
    log.generate(ITEM_X, hex::encode(leaf_hash(first.as_bytes())));
    log.generate(ITEM_Y, String::new());
    let options = || Options::trusting(log.log_vk.clone());

    // The first five entries are sound; save them as an audit that passed does.
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("cp.json");
    let options_saving = Options {
        save_to: Some(saved.clone()),
        ..options()
    };
    let report = audit::audit_source(&log.source(5), options_saving).unwrap();
    assert!(report.ok(), "{report}");

    let found = |report: &AuditReport| {
        let mut f: Vec<_> = report
            .findings
            .iter()
            .map(|f| (f.index.unwrap(), f.item.clone().unwrap(), f.check))
            .collect();
        f.sort();
        f
    };
    let want = vec![
        (5, ITEM_X.to_owned(), Check::Custody),
        (6, ITEM_Y.to_owned(), Check::Prev),
        (6, ITEM_Y.to_owned(), Check::Custody),
    ];
    let report = audit::audit_source(&log.source(7), options()).unwrap();
    assert_eq!(found(&report), want, "{report}");
    assert!(report.findings[0]
        .message
        .contains("already exists (generated at entry 3)"));

    // Incrementally, the items' earlier entries come from their histories, proved against the
    // saved checkpoint, and the same violations are found.
    let since = Options {
        since: Some(audit::SavedCheckpoint::read(&saved).unwrap()),
        ..options()
    };
    let report = audit::audit_source(&log.source(7), since).unwrap();
    assert_eq!((report.checked_from, report.entries_checked), (5, 2));
    assert_eq!(report.history_lookups, 2);
    assert_eq!(found(&report), want, "{report}");
}

#[test]
fn entries_the_service_now_refuses_are_found() {
    let mut log = HandLog::new();
    // A transporter's phone, registered, to co-sign where it has no business.
    let driver = Device::from_seed("91500110MA6TRN031U", "driver-1", [4; 32]);
    let change = KeyChange {
        vkey: driver.verifier_key().to_string(),
        role: "device",
        owner: Some("91500110MA6TRN031U"),
        action: "register",
        approved_by: "test",
        replaces: None,
    };
    log.push("key", &BTreeMap::new(), &[Member::new("key", &change)]);
    let mut head = log.generate(ITEM_X, String::new()); // at 09:30 China time
    let store = |at: &str, nonce: &str, twice: bool| {
        let extra = if twice { r#","storage_place":"C区""# } else { "" };
        format!(
            r#"{{"type":"store","actor":"{GENERATOR}","device":"phone-1","at":"2026-11-28T{at}:00+08:00","nonce":"{nonce}","items":["{ITEM_X}"],"storage_place":"B区"{extra}}}"#
        )
    };
    let envelopes = [
        // 5: the payload names storage_place twice: two parsers, two events.
        log.phone.sign_bytes(store("10:00", "s-1", true).as_bytes()),
        // 6: co-signed by a party the event does not name.
        driver.cosign(&log.phone.sign_bytes(store("10:05", "s-2", false).as_bytes())),
        // 7: dated before the item's latest event (its generation at 09:30).
        log.phone.sign_bytes(store("09:00", "s-3", false).as_bytes()),
        // 8: sound.
        log.phone.sign_bytes(store("10:10", "s-4", false).as_bytes()),
    ];
    for env in &envelopes {
        let prev = BTreeMap::from([(ITEM_X, hex::encode(leaf_hash(head.as_bytes())))]);
        head = log.push(
            "event",
            &prev,
            &[Member::new("envelope", env), Member::new("facts", &generator_facts())],
        );
    }
    let report = audit::audit_source(&log.source(log.entries.len()), Options::trusting(log.log_vk.clone())).unwrap();
    let found = |index: u64, check: Check, code: &str| {
        report
            .findings
            .iter()
            .any(|f| f.index == Some(index) && f.check == check && f.message.contains(code))
    };
    assert!(found(5, Check::Event, "duplicate_member"), "{report}");
    assert!(found(6, Check::Signature, "unexpected_signature"), "{report}");
    assert!(found(7, Check::Custody, "event_out_of_order"), "{report}");
    assert_eq!(report.findings_total, 3, "{report}");
}
