//! Every key the service has used or accepted, and every change to them as a log entry
//! (SPEC §2, §5.1 `key` entries): the server's log and label keys (created on first start,
//! rotated and revoked by command) and the enterprises' device keys (registered and revoked by
//! their administrators). The `server_keys` and `device_keys` tables are projections of these
//! entries; the auditor checks them against the log.

use std::path::Path;
use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use utoipa::ToSchema;

use crate::crypto::keys::KeyId;
use crate::crypto::merkle::CompactRange;
use crate::domain::Refusal;
use crate::log::serverkeys::{self, ServerKey, ServerKeySeeds, ServerRole};
use crate::log::{kept, Appended, DbNodes, Log, Member};
use crate::store::{StoreError, StoreResult};
use crate::time::{rfc3339, Clock};

/// The `key` member of a `key` entry.
#[derive(Debug, Clone, Serialize)]
pub struct KeyChange<'a> {
    pub vkey: String,
    pub role: &'a str,
    pub owner: Option<&'a str>,
    pub action: &'a str,
    /// Who approved the change: a user name, or the server for its own first keys.
    pub approved_by: &'a str,
    /// For a rotation: the key ID of the key this one replaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
}

/// Appends a `key` entry.
pub fn log_key_change(conn: &Connection, log: &Log, change: &KeyChange<'_>) -> StoreResult<Appended> {
    log.append(conn, "key", &[], &[Member::new("key", change)])
}

fn active_server_key_id(conn: &Connection, role: ServerRole) -> StoreResult<Option<KeyId>> {
    let id: Option<String> = conn
        .query_row(
            "SELECT key_id FROM server_keys WHERE role = ?1 AND valid_until IS NULL AND revoked_at IS NULL
             ORDER BY log_seq DESC LIMIT 1",
            [role.code()],
            |r| r.get(0),
        )
        .optional()?;
    id.map(|s| KeyId::parse_hex(&s).map_err(|e| StoreError::Other(format!("stored key id {s}: {e}"))))
        .transpose()
}

fn insert_server_key(conn: &Connection, key: &ServerKey, at: &Appended) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO server_keys(key_id, role, name, public_key, valid_from, log_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            key.key_id().to_hex(),
            key.role.code(),
            key.name(),
            key.vkey.public_key.as_bytes().as_slice(),
            rfc3339(at.logged_at),
            at.seq as i64
        ],
    )?;
    Ok(())
}

fn server_key_change<'a>(key: &ServerKey, action: &'a str, approved_by: &'a str) -> KeyChange<'a> {
    KeyChange {
        vkey: key.vkey.to_string(),
        role: key.role.code(),
        owner: None,
        action,
        approved_by,
        replaces: None,
    }
}

/// Opens the log of the database on `conn` (the writer connection, before the writer starts),
/// logging at the time `clock` shows. On first start it creates the log and label keys (random,
/// or from `seeds`), saves them in `key_dir`, and logs both registrations under the first
/// checkpoint.
pub fn open_log(
    conn: &Connection,
    key_dir: &Path,
    origin: &str,
    clock: Clock,
    seeds: Option<&ServerKeySeeds>,
) -> StoreResult<Arc<Log>> {
    let log_id = active_server_key_id(conn, ServerRole::Log)?;
    let label_id = active_server_key_id(conn, ServerRole::Label)?;
    if let (Some(log_id), Some(label_id)) = (log_id, label_id) {
        let log_key = serverkeys::load(key_dir, ServerRole::Log, log_id)?;
        let label_key = serverkeys::load(key_dir, ServerRole::Label, label_id)?;
        if log_key.name() != origin {
            tracing::warn!(
                stored = log_key.name(),
                configured = origin,
                "the log keeps the origin it was created with"
            );
        }
        let origin = log_key.name().to_owned();
        let log = Arc::new(Log::load(conn, &origin, log_key, label_key, clock)?);
        keep_beside(conn, key_dir, &log)?;
        return Ok(log);
    }
    let entries: i64 = conn.query_row("SELECT count(*) FROM log_entries", [], |r| r.get(0))?;
    if entries > 0 {
        return Err(StoreError::Other(
            "the log has entries but no active log or label key".into(),
        ));
    }
    // A new database beside a key directory that kept a log's checkpoints: that log is lost.
    in_step_with_kept(conn, key_dir, 0)?;
    let (log_name, label_name) = (ServerRole::Log.key_name(origin), ServerRole::Label.key_name(origin));
    let (log_key, label_key) = match seeds {
        Some(s) => (
            ServerKey::from_seed(ServerRole::Log, &log_name, s.log)?,
            ServerKey::from_seed(ServerRole::Label, &label_name, s.label)?,
        ),
        None => (
            ServerKey::generate(ServerRole::Log, &log_name)?,
            ServerKey::generate(ServerRole::Label, &label_name)?,
        ),
    };
    serverkeys::save(key_dir, &log_key)?;
    serverkeys::save(key_dir, &label_key)?;
    let log = Arc::new(Log::load(conn, origin, log_key.clone(), label_key.clone(), clock)?);
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| {
        for key in [&log_key, &label_key] {
            let at = log_key_change(conn, &log, &server_key_change(key, "register", "hwtrace (first start)"))?;
            insert_server_key(conn, key, &at)?;
        }
        log.seal_batch(conn)
    })();
    match result {
        Ok(()) => {
            conn.execute_batch("COMMIT")?;
            log.keep_beside(kept::Kept::open(key_dir).map_err(|e| io_err(key_dir, e))?);
            log.batch_committed();
            tracing::info!(log_key = %log_key.vkey, label_key = %label_key.vkey, dir = %key_dir.display(), "created server keys");
            Ok(log)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

fn io_err(dir: &Path, e: std::io::Error) -> StoreError {
    StoreError::Other(format!("{}: {e}", kept::path(dir).display()))
}

/// Refuses a database of `db_size` entries that is behind, or forked from, the checkpoint kept
/// in `key_dir` (`log::kept`).
fn in_step_with_kept(conn: &Connection, key_dir: &Path, db_size: u64) -> StoreResult<Option<kept::KeptState>> {
    let state = kept::read(key_dir).map_err(|e| io_err(key_dir, e))?;
    if let Some((size, root)) = state.as_ref().and_then(|s| s.latest) {
        let standing = kept::compare((size, &root), db_size, |n| {
            CompactRange::from_source(n, &DbNodes(conn)).map(|t| t.root())
        })?;
        if let Some(message) = kept::refusal(&standing, key_dir) {
            return Err(StoreError::Other(message));
        }
    }
    Ok(state)
}

/// Checks the opened `log` against the kept file and keeps writing it from now on; a file that
/// lags the database (a crash after a commit, or an older version's key directory) is brought
/// up to the database's latest checkpoint.
fn keep_beside(conn: &Connection, key_dir: &Path, log: &Log) -> StoreResult<()> {
    let state = in_step_with_kept(conn, key_dir, log.size())?;
    let mut file = kept::Kept::open(key_dir).map_err(|e| io_err(key_dir, e))?;
    let latest = log.latest();
    let kept_latest = state.as_ref().and_then(|s| s.latest);
    if let Some(cp) = latest.filter(|cp| kept_latest != Some((cp.size, cp.root))) {
        if state.is_none() {
            tracing::warn!(size = cp.size, file = %file.path().display(), "no checkpoint was kept beside the keys; keeping them from now on");
        }
        file.record(&[], Some((cp.size, &cp.root)))
            .map_err(|e| io_err(key_dir, e))?;
    }
    log.keep_beside(file);
    Ok(())
}

/// Replaces the active key of `role` with a new one: the new key is saved and registered, the
/// old one stays valid for what it signed before (its `valid_until` is the new key's start).
/// Runs inside a writer job.
pub fn rotate(
    conn: &Connection,
    log: &Log,
    key_dir: &Path,
    role: ServerRole,
    approved_by: &str,
) -> StoreResult<ServerKey> {
    let old = match role {
        ServerRole::Log => log.log_key(),
        ServerRole::Label => log.label_key(),
    };
    let new = ServerKey::generate(role, old.name())?;
    serverkeys::save(key_dir, &new)?;
    let mut change = server_key_change(&new, "register", approved_by);
    change.replaces = Some(old.key_id().to_hex());
    let at = log_key_change(conn, log, &change)?;
    insert_server_key(conn, &new, &at)?;
    conn.execute(
        "UPDATE server_keys SET valid_until = ?1 WHERE key_id = ?2",
        params![rfc3339(at.logged_at), old.key_id().to_hex()],
    )?;
    log.set_key(new.clone());
    Ok(new)
}

/// Revokes a server key that is no longer active (rotate first): what it signed after the
/// revocation is refused by verifiers. Runs inside a writer job.
pub fn revoke_server_key(conn: &Connection, log: &Log, key_id: KeyId, approved_by: &str) -> StoreResult<()> {
    let active = [log.log_key().key_id(), log.label_key().key_id()];
    if active.contains(&key_id) {
        return Err(Refusal::conflict(
            "key_in_use",
            format!("key {key_id} is in use; rotate it first, then revoke it"),
            format!("密钥{key_id}正在使用；请先轮换，再吊销"),
        )
        .into());
    }
    let row: Option<(String, String, Vec<u8>)> = conn
        .query_row(
            "SELECT role, name, public_key FROM server_keys WHERE key_id = ?1 AND revoked_at IS NULL",
            [key_id.to_hex()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((role, name, pk)) = row else {
        return Err(Refusal::not_found(
            "unknown_key",
            format!("no unrevoked server key {key_id}"),
            format!("没有未吊销的服务器密钥{key_id}"),
        )
        .into());
    };
    let pk: [u8; 32] = pk
        .try_into()
        .map_err(|_| StoreError::Other("stored key is not 32 bytes".into()))?;
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&pk).map_err(|e| StoreError::Other(e.to_string()))?;
    let vkey = crate::crypto::keys::VerifierKey::new(&name, vk).map_err(|e| StoreError::Other(e.to_string()))?;
    let change = KeyChange {
        vkey: vkey.to_string(),
        role: if role == "log" { "log" } else { "label" },
        owner: None,
        action: "revoke",
        approved_by,
        replaces: None,
    };
    let at = log_key_change(conn, log, &change)?;
    conn.execute(
        "UPDATE server_keys SET revoked_at = ?1 WHERE key_id = ?2",
        params![rfc3339(at.logged_at), key_id.to_hex()],
    )?;
    Ok(())
}

/// One key as published by `GET /api/v1/keys` (SPEC §2).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublishedKey {
    pub vkey: String,
    pub role: String,
    pub owner: Option<String>,
    pub valid_from: String,
    pub valid_until: Option<String>,
    pub revoked_at: Option<String>,
    /// The index of the log entry that registered the key (`kind` `key`, action `register`),
    /// so a verifier can fetch that entry with an inclusion proof and take the key from the
    /// log itself rather than from this list; null for a device key registered before the log
    /// recorded registrations.
    pub log_seq: Option<u64>,
}

/// Every key the service has ever used or accepted, oldest first.
pub fn published_keys(conn: &Connection) -> StoreResult<Vec<PublishedKey>> {
    let mut out = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT name, public_key, role, valid_from, valid_until, revoked_at, log_seq FROM server_keys ORDER BY log_seq",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let name: String = r.get(0)?;
        out.push(PublishedKey {
            vkey: vkey_string(&name, r.get(1)?)?,
            role: r.get(2)?,
            owner: None,
            valid_from: r.get(3)?,
            valid_until: r.get(4)?,
            revoked_at: r.get(5)?,
            log_seq: r.get::<_, Option<i64>>(6)?.map(|s| s as u64),
        });
    }
    let mut stmt = conn.prepare(
        "SELECT owner, device, public_key, registered_at, revoked_at, log_seq FROM device_keys ORDER BY coalesce(log_seq, 0), id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let owner: String = r.get(0)?;
        let device: String = r.get(1)?;
        let revoked_at: Option<String> = r.get(4)?;
        out.push(PublishedKey {
            vkey: vkey_string(&format!("{owner}/{device}"), r.get(2)?)?,
            role: "device".into(),
            owner: Some(owner),
            valid_from: r.get(3)?,
            valid_until: revoked_at.clone(),
            revoked_at,
            log_seq: r.get::<_, Option<i64>>(5)?.map(|s| s as u64),
        });
    }
    Ok(out)
}

fn vkey_string(name: &str, pk: Vec<u8>) -> StoreResult<String> {
    let pk: [u8; 32] = pk
        .try_into()
        .map_err(|_| StoreError::Other(format!("stored key of {name} is not 32 bytes")))?;
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&pk).map_err(|e| StoreError::Other(e.to_string()))?;
    Ok(crate::crypto::keys::VerifierKey::new(name, vk)
        .map_err(|e| StoreError::Other(e.to_string()))?
        .to_string())
}

/// A device key, as used to check an envelope's signature.
#[derive(Debug, Clone)]
pub struct DeviceKey {
    pub owner: String,
    pub device: String,
    pub public_key: ed25519_dalek::VerifyingKey,
    pub revoked: bool,
}

/// The device keys with this key ID, revoked ones included (so that a revoked key's
/// signature is recognised and refused as such). IDs are 4 bytes, so more than one may match.
pub fn device_keys_by_id(conn: &Connection, key_id: KeyId) -> StoreResult<Vec<DeviceKey>> {
    let mut stmt = conn.prepare_cached(
        "SELECT owner, device, public_key, revoked_at IS NOT NULL FROM device_keys WHERE key_id = ?1 ORDER BY revoked_at IS NOT NULL, id DESC",
    )?;
    let rows = stmt
        .query_map([key_id.to_hex()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, bool>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(owner, device, pk, revoked)| {
            let pk: [u8; 32] = pk
                .try_into()
                .map_err(|_| StoreError::Other("stored key is not 32 bytes".into()))?;
            let public_key =
                ed25519_dalek::VerifyingKey::from_bytes(&pk).map_err(|e| StoreError::Other(e.to_string()))?;
            Ok(DeviceKey {
                owner,
                device,
                public_key,
                revoked,
            })
        })
        .collect()
}
