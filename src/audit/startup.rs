//! What the service checks of its own database before it serves: the parts of the audit that
//! decide whether anything it signs or accepts from now on can be trusted, and that are cheap
//! enough for every start (one pass of SHA-256 over the entries, a few key entries).
//!
//! - every entry's bytes hash to its stored leaf, and the tree over them has the root of the
//!   latest checkpoint (so entries changed, swapped, deleted or truncated stop the start);
//! - each entry's `kind` and `logged_at` columns are what its bytes say;
//! - the latest checkpoint's note verifies with a log key the log registered and did not revoke,
//!   and every checkpoint the service kept beside its keys (`log::kept`) is still in the
//!   `checkpoints` table with the same root (a deleted or changed row is found);
//! - the key state rebuilt from the log's `key` entries is what `server_keys` and
//!   `device_keys` say (a swapped or added key row would otherwise let forged events in), and
//!   the server's key files hold the log's active log and label keys.
//!
//! The custody replay and the projections of items are left to the audit the service runs
//! soon after it starts (`service::alerts::self_audit`).

use rusqlite::Connection;

use super::db_checks::DbChecks;
use super::keys::{KeyBook, KeyChange, Role};
use super::report::{Check, Finding, Findings};
use crate::crypto::keys::VerifierKey;
use crate::crypto::merkle::{leaf_hash, CompactRange};
use crate::crypto::note::Checkpoint;

/// What a clean start-up check covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartupCheck {
    pub entries: u64,
    pub keys: usize,
}

/// Runs the checks on `conn` (a connection of the service's database) for a service about to
/// sign with `log_key` and `label_key` (the keys read from its key files). Returns what was
/// checked, or the findings that forbid the start.
pub fn check(
    conn: &Connection,
    log_key: &VerifierKey,
    label_key: &VerifierKey,
    kept: Option<&crate::log::kept::KeptState>,
) -> rusqlite::Result<Result<StartupCheck, Vec<Finding>>> {
    let mut f = Findings::default();
    let mut tree = CompactRange::default();
    let mut book = KeyBook::default();
    let mut stmt = conn.prepare("SELECT seq, bytes, leaf_hash, kind, logged_at FROM log_entries ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let bytes: Vec<u8> = r.get(1)?;
        let stored: Vec<u8> = r.get(2)?;
        let expected = tree.size();
        if seq as u64 != expected {
            f.at(
                expected,
                Check::Database,
                format!("log_entries jumps from index {expected} to {seq}: entries were deleted"),
            );
            break;
        }
        let leaf = leaf_hash(&bytes);
        if stored != leaf {
            f.at(
                expected,
                Check::Database,
                "the entry's bytes do not hash to its stored leaf hash: the entry was changed",
            );
        }
        tree.append(leaf);
        let kind: String = r.get(3)?;
        let logged_at: String = r.get(4)?;
        let head = format!(
            "{{\"seq\":{seq},\"logged_at\":{},\"kind\":{},",
            serde_json::Value::from(logged_at.as_str()),
            serde_json::Value::from(kind.as_str())
        );
        if !bytes.starts_with(head.as_bytes()) {
            f.at(
                expected,
                Check::Database,
                format!("the entry's kind or logged_at columns ({kind}, {logged_at}) are not what its bytes say"),
            );
        }
        if kind == "key" {
            let change = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| serde_json::from_value::<KeyChange>(v.get("key")?.clone()).ok());
            match change {
                Some(change) => {
                    if let Err(e) = book.apply(expected, &logged_at, &change, true) {
                        f.at(expected, Check::Key, e);
                    }
                }
                None => f.at(expected, Check::Key, "a key entry without a readable key change"),
            }
        }
    }
    drop(rows);
    let latest: Option<(i64, Vec<u8>, String)> = conn
        .query_row(
            "SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    match latest {
        None if tree.size() > 0 => f.log(Check::Database, "the log has entries but no checkpoint"),
        None => {}
        Some((size, root, note)) => {
            if size as u64 != tree.size() || root != tree.root() {
                f.log(
                    Check::Database,
                    format!(
                        "the latest checkpoint (size {size}) does not sign the {} entries stored",
                        tree.size()
                    ),
                );
            }
            let signed = book
                .records()
                .iter()
                .filter(|k| k.role == Role::Log && k.in_force())
                .any(|k| {
                    Checkpoint::open(&note, &k.vkey).is_ok_and(|cp| cp.size == size as u64 && cp.root[..] == root[..])
                });
            if !signed {
                f.log(
                    Check::Checkpoint,
                    format!("the latest checkpoint (size {size}) is not signed by a log key the log registered"),
                );
            }
        }
    }
    for (role, key) in [(Role::Log, log_key), (Role::Label, label_key)] {
        let logged = book.active(role).map(|k| &k.vkey);
        if logged != Some(key) {
            f.log(
                Check::Key,
                format!(
                    "the {} key in the key directory ({}) is not the one the log says is active ({})",
                    role.code(),
                    key.key_id,
                    logged.map_or_else(|| "none".into(), |k| k.key_id.to_string())
                ),
            );
        }
    }
    if let Some(kept) = kept {
        let mut stmt = conn.prepare("SELECT root FROM checkpoints WHERE size = ?1")?;
        for (size, root) in kept.checkpoints.iter().filter(|(size, _)| *size <= tree.size()) {
            let stored: Option<Vec<u8>> =
                stmt.query_row([*size as i64], |r| r.get(0))
                    .map(Some)
                    .or_else(|e| match e {
                        rusqlite::Error::QueryReturnedNoRows => Ok(None),
                        e => Err(e),
                    })?;
            if stored.as_deref() != Some(&root[..]) {
                f.log(
                    Check::Checkpoint,
                    format!(
                        "the checkpoint of size {size} the service signed (kept beside its keys) is {} in the checkpoints table",
                        if stored.is_some() { "changed" } else { "missing" }
                    ),
                );
            }
        }
    }
    let tables = DbChecks::new(conn, &tree);
    tables.server_keys(&mut f, &book)?;
    tables.device_keys(&mut f, &book)?;
    Ok(if f.total == 0 {
        Ok(StartupCheck {
            entries: tree.size(),
            keys: book.records().len(),
        })
    } else {
        Err(f.kept)
    })
}
