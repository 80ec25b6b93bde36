//! Tamper evidence: a database changed behind the service's back is caught. The start-up check
//! refuses a database whose log bytes, checkpoint or key rows were changed (a swapped device
//! key would otherwise let forged events in); and hundreds of random single-byte and single-row
//! changes, deletions, swaps and truncations across every table that holds log data, keys,
//! checkpoints or projections are each reported by `hwtrace audit --db` or stop the start.

mod common;

use std::path::{Path, PathBuf};

use common::cast::Cast;
use common::custody::Fleet;
use common::{spawn_app_at, YUNAN};
use hwtrace::client::generate_fields;
use hwtrace::config::Config;
use rusqlite::types::Value as Sql;
use rusqlite::Connection;

const SHOP: &str = "91500110MA6TMP001";
const CARRIER: &str = "91500110MA6TMC001";

/// A database and its key directory, copied.
struct Copy {
    _dir: tempfile::TempDir,
    db: PathBuf,
}

/// A connection as an attacker opens one: no foreign-key checks in the way.
fn open(db: &Path) -> Connection {
    let conn = Connection::open(db).unwrap();
    conn.pragma_update(None, "foreign_keys", "OFF").unwrap();
    conn
}

fn copy_of(db: &Path) -> Copy {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("hwtrace.db");
    let src = Connection::open(db).unwrap();
    src.execute("VACUUM INTO ?1", [to.to_str().unwrap()]).unwrap();
    let keys = hwtrace::log::serverkeys::key_dir(db);
    let to_keys = hwtrace::log::serverkeys::key_dir(&to);
    std::fs::create_dir(&to_keys).unwrap();
    std::fs::set_permissions(&to_keys, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    for e in std::fs::read_dir(&keys).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to_keys.join(e.file_name())).unwrap();
    }
    Copy { _dir: dir, db: to }
}

/// The story's database: a drum registered, carried, weighed light, another accepted and
/// incinerated; stopped. Also a copy taken halfway (for the rollback).
async fn story() -> (tempfile::TempDir, PathBuf, Copy) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hwtrace.db");
    let app = spawn_app_at(&db).await;
    let cast = Cast::on(&app)
        .generator("shop", SHOP)
        .generator("hospital", "12500110MB6TMH001")
        .transporter("carrier", CARRIER, Fleet::van("渝D66671", "500110199207071234"))
        .seeded("yunan", YUNAN)
        .build()
        .await;
    cast.generate("shop", generate_fields("900-249-08", 5_000, "liquid", &["T"], 20))
        .await;
    let halfway = copy_of(&db);
    cast.light_and_burnt(true).await;
    app.stop().await;
    (dir, db, halfway)
}

/// Why the service refuses to start on `db`, or `None` if it starts.
async fn start_refusal(db: &Path) -> Option<String> {
    let bound = hwtrace::http::server::bind(Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Config::with_db(db.to_owned())
    })
    .await;
    match bound {
        Ok(_) => None,
        Err(e) => Some(format!("{e:#}")),
    }
}

async fn audit_findings(db: &Path) -> Vec<hwtrace::audit::Finding> {
    let args = hwtrace::audit::AuditArgs {
        quiet: true,
        ..hwtrace::audit::AuditArgs::db(db)
    };
    match hwtrace::audit::run(args).await {
        Ok(report) => report.findings,
        Err(e) => vec![hwtrace::audit::Finding {
            index: None,
            item: None,
            check: hwtrace::audit::Check::Database,
            message: format!("the audit stopped: {e:#}"),
        }],
    }
}

#[tokio::test]
async fn the_start_refuses_changed_log_bytes_a_forged_checkpoint_and_a_swapped_device_key() {
    let (_dir, db, _) = story().await;
    assert_eq!(start_refusal(&db).await, None, "the untouched database starts");

    // An attacker puts their own public key in place of the shop's device key.
    let c = copy_of(&db);
    let forger = hwtrace::client::Device::generate(SHOP, "d1");
    let conn = open(&c.db);
    let owners: Vec<String> = conn
        .prepare("SELECT owner || '/' || device FROM device_keys")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let changed = conn
        .execute(
            "UPDATE device_keys SET public_key = ?1, key_id = ?2 WHERE owner LIKE ?3 || '_'",
            rusqlite::params![
                forger.verifier_key().public_key.as_bytes().as_slice(),
                forger.verifier_key().key_id.to_hex(),
                SHOP
            ],
        )
        .unwrap();
    assert!(changed > 0, "{owners:?}");
    drop(conn);
    let why = start_refusal(&c.db)
        .await
        .expect("a swapped device key stops the start");
    assert!(why.contains("device_keys"), "{why}");

    // One byte of an entry.
    let c = copy_of(&db);
    let conn = open(&c.db);
    conn.execute(
        "UPDATE log_entries SET bytes = CAST(replace(CAST(bytes AS TEXT), '\"prev\"', '\"prew\"') AS BLOB) WHERE seq = 3",
        [],
    )
    .unwrap();
    drop(conn);
    let why = start_refusal(&c.db).await.expect("changed entry bytes stop the start");
    assert!(why.contains("entry 3"), "{why}");

    // The latest checkpoint's signature.
    let c = copy_of(&db);
    let conn = open(&c.db);
    conn.execute(
        "UPDATE checkpoints SET note = replace(note, '— ', '— x') WHERE size = (SELECT max(size) FROM checkpoints)",
        [],
    )
    .unwrap();
    drop(conn);
    let why = start_refusal(&c.db).await.expect("a forged checkpoint stops the start");
    assert!(why.contains("checkpoint"), "{why}");
}

/// The tables that hold log data, keys, checkpoints or projections.
const TABLES: &[&str] = &[
    "log_entries",
    "log_nodes",
    "checkpoints",
    "server_keys",
    "device_keys",
    "items",
    "item_entries",
    "item_history",
    "nonces",
    "serials",
    "manifests",
    "manifest_items",
];

/// Columns the random changes leave alone, and why: they hold no log data.
const NOT_LOG_DATA: &[(&str, &str, &str)] = &[
    (
        "device_keys",
        "id",
        "a row number; the log names keys by owner, device and key ID",
    ),
    (
        "checkpoints",
        "signed_at",
        "the service's own note of when it signed; the signed note carries no time",
    ),
];

/// Columns of projections the audit does not compare yet (the item's description as the
/// `generate` event gave it, a manifest's planning columns): a change there is not caught,
/// which this test reports separately instead of failing on. Closing this list is open work.
const NOT_YET_AUDITED: &[(&str, &str)] = &[
    ("items", "waste_name"),
    ("items", "packaging"),
    ("items", "container_volume_l"),
    ("items", "components"),
    ("items", "harmful_components"),
    ("items", "precautions"),
    ("items", "storage_place"),
    ("items", "generated_at"),
    ("manifests", "created_seq"),
    ("manifests", "planned_date"),
    ("manifests", "driver_licence"),
    ("manifest_items", "position"),
];

/// A small deterministic generator (SplitMix64), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The columns of `table` and whether each is part of its primary key.
fn columns(conn: &Connection, table: &str) -> Vec<(String, bool)> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info({table})")).unwrap();
    stmt.query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, i64>(5)? > 0)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn rows(conn: &Connection, table: &str, cols: &[(String, bool)]) -> Vec<Vec<Sql>> {
    let list: Vec<&str> = cols.iter().map(|(c, _)| c.as_str()).collect();
    let mut stmt = conn
        .prepare(&format!("SELECT {} FROM {table}", list.join(", ")))
        .unwrap();
    stmt.query_map([], |r| (0..cols.len()).map(|i| r.get::<_, Sql>(i)).collect())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// `WHERE` matching exactly one row by all its values.
fn where_row(cols: &[(String, bool)]) -> String {
    cols.iter()
        .enumerate()
        .map(|(i, (c, _))| format!("{c} IS ?{}", i + 1))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// One value changed by one byte (or bit, or one unit).
fn changed(v: &Sql, rng: &mut Rng) -> Option<Sql> {
    match v {
        Sql::Integer(i) => Some(Sql::Integer(if rng.below(2) == 0 { i + 1 } else { i - 1 })),
        Sql::Text(t) => {
            let bytes = t.as_bytes();
            let ascii: Vec<usize> = (0..bytes.len()).filter(|&i| bytes[i].is_ascii_alphanumeric()).collect();
            let at = *ascii.get(rng.below(ascii.len().max(1) as u64) as usize)?;
            let mut b = bytes.to_vec();
            b[at] = match b[at] {
                b'0'..=b'8' | b'a'..=b'y' | b'A'..=b'Y' => b[at] + 1,
                b'9' => b'0',
                b'z' => b'a',
                _ => b'A',
            };
            Some(Sql::Text(String::from_utf8(b).ok()?))
        }
        Sql::Blob(b) if !b.is_empty() => {
            let mut b = b.clone();
            let at = rng.below(b.len() as u64) as usize;
            b[at] ^= 1 << rng.below(8);
            Some(Sql::Blob(b))
        }
        _ => None,
    }
}

/// Applies one random change to `table`; describes it (and names the column changed, or `*`
/// for a deleted row), or `None` if nothing could change.
fn tamper(conn: &Connection, table: &str, rng: &mut Rng) -> Option<(String, String)> {
    let cols = columns(conn, table);
    let all = rows(conn, table, &cols);
    if all.is_empty() {
        return None;
    }
    let pick = rng.below(all.len() as u64) as usize;
    let row = &all[pick];
    let filter = where_row(&cols);
    let kind = rng.below(10);
    let done = if kind == 0 {
        conn.execute(
            &format!("DELETE FROM {table} WHERE {filter}"),
            rusqlite::params_from_iter(row.iter()),
        )
        .ok()
        .filter(|n| *n == 1)
        .map(|_| (format!("deleted row {pick} of {table}"), "*".to_owned()))
    } else if kind == 1 && all.len() > 1 {
        // Swap one column's values between two rows.
        let other = (pick + 1 + rng.below(all.len() as u64 - 1) as usize) % all.len();
        let c = rng.below(cols.len() as u64) as usize;
        if all[other][c] == row[c] {
            return None;
        }
        let (name, _) = &cols[c];
        conn.execute_batch("SAVEPOINT swap").ok()?;
        let set = |target: &Vec<Sql>, value: &Sql| {
            let mut params = target.clone();
            params.push(value.clone());
            conn.execute(
                &format!("UPDATE {table} SET {name} = ?{} WHERE {filter}", cols.len() + 1),
                rusqlite::params_from_iter(params.iter()),
            )
        };
        let first = set(row, &all[other][c]);
        let second = first.as_ref().ok().and_then(|_| set(&all[other], &row[c]).ok());
        if first.is_ok() && second == Some(1) {
            conn.execute_batch("RELEASE swap").ok()?;
            Some((
                format!("swapped {name} of rows {pick} and {other} of {table}"),
                name.clone(),
            ))
        } else {
            conn.execute_batch("ROLLBACK TO swap; RELEASE swap").ok()?;
            None
        }
    } else {
        let c = rng.below(cols.len() as u64) as usize;
        if NOT_LOG_DATA.iter().any(|(t, col, _)| *t == table && *col == cols[c].0) {
            return None;
        }
        let mut value = changed(&row[c], rng)?;
        // A raised serial counter only wastes serials; a restore raises them on purpose.
        if let (("serials", "last"), Sql::Integer(i)) = ((table, cols[c].0.as_str()), &row[c]) {
            value = Sql::Integer(i - 1);
        }
        let mut params = row.clone();
        params.push(value);
        let name = &cols[c].0;
        conn.execute(
            &format!("UPDATE {table} SET {name} = ?{} WHERE {filter}", cols.len() + 1),
            rusqlite::params_from_iter(params.iter()),
        )
        .ok()
        .filter(|n| *n == 1)
        .map(|_| {
            (
                format!("changed {name} of row {pick} of {table} by one byte"),
                name.clone(),
            )
        })
    };
    done
}

/// Scenario: at least 200 random changes, each on a fresh copy of the story's database, with
/// a truncated log and a rollback to an older copy: every one is reported by the audit (with
/// the entry or item it concerns where there is one) or stops the start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_random_change_to_the_database_is_caught() {
    let (_dir, db, halfway) = story().await;
    assert!(audit_findings(&db).await.is_empty());
    let seed = std::env::var("HWTRACE_TAMPER_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261207);
    let mut rng = Rng(seed);
    let mut tried = 0;
    let mut undetected = Vec::new();
    let mut known_gaps = Vec::new();
    let mut by_audit = 0;
    let mut by_start = 0;
    let mut located = 0;
    let mut per_table = std::collections::BTreeMap::<&str, u32>::new();
    while tried < 204 {
        let table = TABLES[tried % TABLES.len()];
        let c = copy_of(&db);
        let conn = open(&c.db);
        let Some((what, column)) = tamper(&conn, table, &mut rng) else {
            continue;
        };
        drop(conn);
        tried += 1;
        *per_table.entry(table).or_default() += 1;
        let findings = audit_findings(&c.db).await;
        if !findings.is_empty() {
            by_audit += 1;
            if findings.iter().any(|f| f.index.is_some() || f.item.is_some()) {
                located += 1;
            }
        } else if start_refusal(&c.db).await.is_some() {
            by_start += 1;
        } else if NOT_YET_AUDITED.contains(&(table, column.as_str())) {
            known_gaps.push(what);
        } else {
            undetected.push(what);
        }
    }
    // The log cut short: the last three entries gone.
    let c = copy_of(&db);
    let conn = open(&c.db);
    conn.execute(
        "DELETE FROM log_entries WHERE seq >= (SELECT max(seq) - 2 FROM log_entries)",
        [],
    )
    .unwrap();
    drop(conn);
    tried += 1;
    assert!(!audit_findings(&c.db).await.is_empty(), "a truncated log is reported");
    assert!(start_refusal(&c.db).await.is_some(), "a truncated log does not start");
    // A rollback: the halfway copy's database with today's key directory.
    let c = copy_of(&db);
    std::fs::copy(&halfway.db, &c.db).unwrap();
    tried += 1;
    let why = start_refusal(&c.db)
        .await
        .expect("a rolled-back database does not start");
    assert!(why.contains("older copy"), "{why}");

    println!(
        "tamper: tried={tried} caught_by_audit={by_audit} caught_at_start={by_start} located={located} not_yet_audited={} undetected={} per_table={per_table:?}",
        known_gaps.len(),
        undetected.len()
    );
    for gap in &known_gaps {
        println!("tamper: not yet audited: {gap}");
    }
    assert!(
        undetected.is_empty(),
        "changes nobody noticed (seed {seed}):\n{}",
        undetected.join("\n")
    );
}
