//! Backups and rollbacks: `hwtrace backup` copies a running service's database and keys;
//! a database copied back from an older backup does not start (the checkpoint kept beside the
//! keys is ahead of it); `hwtrace restore` refuses an older backup unless the rollback is
//! accepted, and then no item code issued before the restore is issued again, so the labels
//! already printed on drums keep verifying.

mod common;

use std::path::Path;
use std::process::Command;

use common::cast::Cast;
use common::{spawn_app_at, spawn_app_on};
use hwtrace::client::generate_fields;
use hwtrace::config::Config;

const BIN: &str = env!("CARGO_BIN_EXE_hwtrace");
const PLANT: &str = "91500110MA6BKP001";

fn hwtrace(args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn serial(code: &str) -> u32 {
    code[34..].parse().unwrap()
}

fn drum() -> serde_json::Value {
    generate_fields("900-249-08", 185_500, "liquid", &["T", "I"], 200)
}

#[tokio::test]
async fn an_older_copy_does_not_start_and_an_accepted_rollback_never_issues_a_code_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hwtrace.db");
    let app = spawn_app_at(&db).await;
    let addr = app.addr;
    let cast = Cast::on(&app).generator("plant", PLANT).build().await;
    let before: Vec<String> = vec![
        cast.generate("plant", drum()).await,
        cast.generate("plant", drum()).await,
    ];

    // Backed up while the service runs.
    let archive = dir.path().join("monday.tar");
    let (ok, out) = hwtrace(&["backup", "--db", s(&db), "--to", s(&archive)]);
    assert!(ok, "{out}");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&archive).unwrap().permissions());
    assert_eq!(mode & 0o077, 0, "the archive holds private keys: {mode:o}");
    let (ok, out) = hwtrace(&["backup", "--db", s(&db), "--to", s(&archive)]);
    assert!(!ok && out.contains("never overwrites"), "{out}");

    // Two more drums are labelled after the backup; their labels are on the drums.
    let after = vec![
        cast.generate("plant", drum()).await,
        cast.generate("plant", drum()).await,
    ];
    let labels: Vec<serde_json::Value> = {
        let mut v = Vec::new();
        for code in &after {
            v.push(common::custody::item(&cast.admin, code).await);
        }
        v
    };
    assert_eq!(after.iter().map(|c| serial(c)).collect::<Vec<_>>(), [3, 4]);
    app.stop().await;

    // The operator copies Monday's database back by hand: the service refuses it.
    let elsewhere = tempfile::tempdir().unwrap();
    let old = elsewhere.path().join("old.db");
    let (ok, out) = hwtrace(&["restore", "--from", s(&archive), "--db", s(&old)]);
    assert!(ok, "a backup restores where no newer log was kept: {out}");
    std::fs::copy(&old, &db).unwrap();
    for side in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{side}", db.display()));
    }
    let refused = hwtrace::http::server::bind(Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Config::with_db(db.clone())
    })
    .await
    .err()
    .expect("an older copy does not start");
    let message = format!("{refused:#}");
    assert!(message.contains("older copy"), "{message}");

    // `hwtrace restore` refuses it too, unless the rollback is accepted knowingly.
    let (ok, out) = hwtrace(&["restore", "--from", s(&archive), "--db", s(&db)]);
    assert!(!ok && out.contains("--accept-rollback"), "{out}");
    let (ok, out) = hwtrace(&["restore", "--from", s(&archive), "--db", s(&db), "--accept-rollback"]);
    assert!(ok, "{out}");
    assert!(out.contains("ROLLBACK ACCEPTED"), "{out}");
    let kept_aside = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().starts_with("hwtrace.db.replaced-"));
    assert!(kept_aside, "the replaced database is kept");

    // The next drum gets a code above every code ever issued, not Monday's next serial.
    let app = spawn_app_on(&db, addr).await;
    let next = cast.generate("plant", drum()).await;
    assert_eq!(serial(&next), 5, "{next} after {before:?} and {after:?}");
    assert!(!before.contains(&next) && !after.contains(&next));
    // The drums labelled after the backup are unknown now, never someone else's.
    for (code, label) in after.iter().zip(&labels) {
        let (status, _) = cast.admin.get(&format!("/api/v1/items/{code}")).await;
        assert_eq!(
            status,
            reqwest::StatusCode::NOT_FOUND,
            "{code} was lost with the rollback: {label}"
        );
    }
    app.stop().await;
    common::audit_clean(&db).await;
}

#[tokio::test]
async fn a_backup_restores_into_a_new_place_and_audits_clean() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hwtrace.db");
    let app = spawn_app_at(&db).await;
    let cast = Cast::on(&app).generator("plant", PLANT).build().await;
    let code = cast.generate("plant", drum()).await;
    let archive = dir.path().join("b.tar");
    let (ok, out) = hwtrace(&["backup", "--db", s(&db), "--to", s(&archive)]);
    assert!(ok, "{out}");
    let size = app.log_size().await;
    app.stop().await;

    let other = tempfile::tempdir().unwrap();
    // Into a directory that does not exist yet.
    let restored = other.path().join("new").join("restored.db");
    let (ok, out) = hwtrace(&["restore", "--from", s(&archive), "--db", s(&restored)]);
    assert!(ok, "{out}");
    assert!(out.contains(&format!("restored {size} entries")), "{out}");
    let report = common::audit_clean(&restored).await;
    assert_eq!(report.entries_checked, size);
    let app = spawn_app_at(&restored).await;
    assert_eq!(app.log_size().await, size);
    let entries = app.entries(0, size).await;
    assert!(
        entries.iter().any(|e| e.to_string().contains(&code)),
        "{code} is in the restored log"
    );
    app.stop().await;

    // A restore over a running service is refused: it holds the database's lock.
    let running = spawn_app_at(&restored).await;
    let (ok, out) = hwtrace(&["restore", "--from", s(&archive), "--db", s(&restored)]);
    assert!(!ok && out.contains("in use"), "{out}");
    running.stop().await;
}
