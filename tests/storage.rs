//! Storage: migrations apply to an empty database, start-up on an up-to-date database changes
//! nothing, the pragmas are what durability needs, and the single writer isolates failing jobs.

use std::sync::Arc;

use hwtrace::config::Config;
use hwtrace::domain::Refusal;
use hwtrace::store::{migrations, Db, StoreError, MIGRATIONS};
use rusqlite::Connection;
use sha2::{Digest, Sha256};

#[test]
fn every_migration_applies_to_an_empty_database() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = Connection::open(dir.path().join("empty.db")).unwrap();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    migrations().to_latest(&mut conn).unwrap();
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version as usize, MIGRATIONS.len());
    let fk_errors: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fk_errors, 0);
    for table in ["enterprises", "permits", "device_keys", "users", "catalogue_entries"] {
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "table {table}");
    }
}

/// Everything a start-up could change: schema, every table's rows, user_version.
fn fingerprint(path: &std::path::Path) -> String {
    let conn = Connection::open(path).unwrap();
    let mut h = Sha256::new();
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    h.update(version.to_be_bytes());
    let mut stmt = conn
        .prepare("SELECT name, sql FROM sqlite_master ORDER BY name")
        .unwrap();
    let objects: Vec<(String, Option<String>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (name, sql) in &objects {
        h.update(name.as_bytes());
        h.update(sql.as_deref().unwrap_or("").as_bytes());
    }
    for (name, sql) in objects {
        if sql.is_some_and(|s| s.starts_with("CREATE TABLE")) {
            // Order by every column: WITHOUT ROWID tables have no rowid.
            let cols = conn
                .prepare(&format!("SELECT * FROM \"{name}\""))
                .unwrap()
                .column_count();
            let order: Vec<String> = (1..=cols).map(|i| i.to_string()).collect();
            let sql = format!("SELECT * FROM \"{name}\" ORDER BY {}", order.join(", "));
            let mut stmt = conn.prepare(&sql).unwrap();
            let mut rows = stmt.query([]).unwrap();
            while let Some(r) = rows.next().unwrap() {
                for i in 0..cols {
                    h.update(format!("{:?}", r.get_ref(i).unwrap()).as_bytes());
                }
            }
        }
    }
    hex::encode(h.finalize())
}

#[tokio::test]
async fn start_up_on_an_up_to_date_database_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hwtrace.db");
    let first = hwtrace::service::open(Config::with_db(path.clone())).await.unwrap();
    assert_eq!(first.catalogue().len(), 467);
    drop(first);
    let before = fingerprint(&path);
    for _ in 0..2 {
        let again = hwtrace::service::open(Config::with_db(path.clone())).await.unwrap();
        assert_eq!(again.catalogue().version, "2021");
        drop(again);
        assert_eq!(fingerprint(&path), before, "a restart changed the database");
    }
}

#[tokio::test]
async fn connections_use_wal_full_sync_and_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("p.db")).unwrap();
    let (mode, sync, fk) = db
        .write(|conn| {
            let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
            let sync: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
            let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
            Ok((mode, sync, fk))
        })
        .await
        .unwrap();
    assert_eq!(
        (mode.as_str(), sync, fk),
        ("wal", 2, 1),
        "WAL, synchronous=FULL (2), foreign keys on"
    );
    let (sync, query_only) = db
        .read(|conn| {
            let sync: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
            let q: i64 = conn.query_row("PRAGMA query_only", [], |r| r.get(0))?;
            Ok((sync, q))
        })
        .await
        .unwrap();
    assert_eq!((sync, query_only), (2, 1), "readers are read-only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writer_commits_concurrent_jobs_and_isolates_failures() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(Db::open(&dir.path().join("w.db")).unwrap());
    db.write(|conn| {
        conn.execute_batch("CREATE TABLE t (n INTEGER PRIMARY KEY)")?;
        Ok(())
    })
    .await
    .unwrap();
    let mut tasks = Vec::new();
    for n in 0..500i64 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            db.write(move |conn| {
                conn.execute("INSERT INTO t(n) VALUES (?1)", [n])?;
                if n % 7 == 0 {
                    // A refused job: its insert must be rolled back, the others kept.
                    return Err(StoreError::Refused(Refusal::invalid("bad_text", "refused", "拒绝")));
                }
                Ok(n)
            })
            .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::Refused(r)) => assert_eq!(r.code, "bad_text"),
            Err(e) => panic!("unexpected {e}"),
        }
    }
    let (rows, sevens): (i64, i64) = db
        .read(|conn| {
            Ok(
                conn.query_row("SELECT count(*), count(*) FILTER (WHERE n % 7 = 0) FROM t", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?,
            )
        })
        .await
        .unwrap();
    assert_eq!(ok, 500 - 72);
    assert_eq!(rows, ok, "every acknowledged job is durable");
    assert_eq!(sevens, 0, "refused jobs left nothing behind");
}

/// A job that appends to the log and then fails leaves no trace: not in the table, not in the
/// in-memory frontier, not in the next checkpoint.
#[tokio::test]
async fn a_failed_job_undoes_its_log_appends() {
    use hwtrace::crypto::merkle::{leaf_hash, root_of};
    use hwtrace::log::Member;
    let dir = tempfile::tempdir().unwrap();
    let state = hwtrace::service::open(Config::with_db(dir.path().join("l.db")))
        .await
        .unwrap();
    let size0 = state.log.latest().unwrap().size;
    let log = state.log.clone();
    let failed = state
        .db
        .write(move |conn| {
            log.append(conn, "note", &[], &[Member::new("text", &"doomed")])?;
            Err::<(), _>(StoreError::Refused(Refusal::invalid("bad_text", "refused", "拒绝")))
        })
        .await;
    assert!(failed.is_err());
    assert_eq!(state.log.size(), size0, "the frontier was rolled back");
    let log = state.log.clone();
    let seq = state
        .db
        .write(move |conn| Ok(log.append(conn, "note", &[], &[Member::new("text", &"kept")])?.seq))
        .await
        .unwrap();
    assert_eq!(seq, size0, "the next entry takes the index the failed one did not keep");
    let cp = state.log.latest().unwrap();
    let leaves = state
        .db
        .read(|conn| {
            let mut stmt = conn.prepare("SELECT bytes FROM log_entries ORDER BY seq")?;
            let rows = stmt
                .query_map([], |r| r.get::<_, Vec<u8>>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows.iter().map(|b| leaf_hash(b)).collect::<Vec<_>>())
        })
        .await
        .unwrap();
    assert_eq!(leaves.len() as u64, cp.size);
    assert_eq!(
        root_of(&leaves),
        cp.root,
        "the checkpoint covers exactly the stored entries"
    );
}
