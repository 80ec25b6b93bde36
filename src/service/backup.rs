//! Backups and restores (`hwtrace backup`, `hwtrace restore`): one archive holds everything a
//! log needs to go on, and a restore never quietly takes a log back in time.
//!
//! A backup is a tar file (mode 0600: it holds the private server keys) of
//!
//! - `hwtrace.db`: a consistent copy of the database taken with `VACUUM INTO` on a read-only
//!   connection, so the service keeps running and writing while it is made;
//! - `hwtrace.db.keys/`: the key directory: every server key file, the public `.vkey` files
//!   and the kept checkpoints and issued codes (`log::kept`) as they were;
//! - `backup.json`: the log's origin, size and root, and when the backup was made.
//!
//! A restore (the service stopped) unpacks the archive beside the database, runs the start-up
//! check and the full audit on it, and only then puts it in place; the database it replaces is
//! renamed, never deleted (custody data is kept ten years). A backup that is behind the
//! checkpoint kept beside the current keys (or forked from it) is refused unless the operator
//! accepts the rollback (`--accept-rollback`); then every `serials` counter is raised above the
//! codes the kept file says were ever issued, and the rollback is recorded in the kept file.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use rusqlite::{params, Connection, OpenFlags};
use serde::{Deserialize, Serialize};

use crate::crypto::merkle::{CompactRange, Hash};
use crate::log::kept::{self, Standing};
use crate::log::serverkeys::{self, key_dir, ServerRole};
use crate::log::DbNodes;

/// The database's name inside an archive.
const DB_NAME: &str = "hwtrace.db";
/// The key directory's name inside an archive.
const KEYS_NAME: &str = "hwtrace.db.keys";
const MANIFEST_NAME: &str = "backup.json";

/// `backup.json`: what the archive holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupManifest {
    pub origin: String,
    pub size: u64,
    pub root: String,
    pub made_at: String,
    pub hwtrace: String,
}

/// What a backup did.
#[derive(Debug, Clone)]
pub struct BackupReport {
    pub manifest: BackupManifest,
    pub bytes: u64,
    pub seconds: f64,
}

/// The latest checkpoint's size and root, and the origin, of a database.
fn log_head(conn: &Connection) -> anyhow::Result<(u64, Hash, String)> {
    Ok(match crate::log::latest_checkpoint(conn)? {
        Some(cp) => (cp.size, cp.root, cp.note.lines().next().unwrap_or_default().to_owned()),
        None => (0, [0; 32], String::new()),
    })
}

fn open_read_only(path: &Path) -> anyhow::Result<Connection> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI)
        .with_context(|| format!("opening {}", path.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(conn)
}

/// Backs up the database at `db` (with its key directory) into the archive `to`, which must not
/// exist. The service may keep running.
pub fn backup(db: &Path, to: &Path) -> anyhow::Result<BackupReport> {
    let started = Instant::now();
    if to.exists() {
        bail!("{} exists; a backup never overwrites a file", to.display());
    }
    if !db.is_file() {
        bail!("no database at {}", db.display());
    }
    let work = tempfile::Builder::new().prefix(".hwtrace-backup-").tempdir_in(
        to.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new(".")),
    )?;
    let copy = work.path().join(DB_NAME);
    let conn = open_read_only(db)?;
    conn.execute(
        "VACUUM INTO ?1",
        [copy.to_str().context("the backup path is not UTF-8")?],
    )
    .context("copying the database")?;
    drop(conn);
    let (size, root, origin) = log_head(&open_read_only(&copy)?)?;
    let manifest = BackupManifest {
        origin,
        size,
        root: hex::encode(root),
        made_at: crate::time::rfc3339(chrono::Utc::now()),
        hwtrace: env!("CARGO_PKG_VERSION").into(),
    };
    let partial = work.path().join("archive.tar");
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)?;
    let mut tar = tar::Builder::new(file);
    tar.append_path_with_name(&copy, DB_NAME)?;
    let keys = key_dir(db);
    let mut names: Vec<_> = fs::read_dir(&keys)
        .with_context(|| format!("reading the key directory {}", keys.display()))?
        .collect::<Result<_, _>>()?;
    names.sort_by_key(|e| e.file_name());
    for entry in names {
        if entry.file_type()?.is_file() {
            tar.append_path_with_name(entry.path(), Path::new(KEYS_NAME).join(entry.file_name()))?;
        }
    }
    let json = serde_json::to_vec_pretty(&manifest)?;
    let mut header = tar::Header::new_gnu();
    header.set_size(json.len() as u64);
    header.set_mode(0o600);
    header.set_cksum();
    tar.append_data(&mut header, MANIFEST_NAME, json.as_slice())?;
    let file = tar.into_inner()?;
    file.sync_all()?;
    let bytes = file.metadata()?.len();
    fs::rename(&partial, to).with_context(|| format!("moving the backup to {}", to.display()))?;
    Ok(BackupReport {
        manifest,
        bytes,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub manifest: BackupManifest,
    /// Entries the audit of the restored database checked.
    pub audited_entries: u64,
    /// Where the replaced database was moved, if there was one.
    pub replaced: Option<PathBuf>,
    /// A rollback accepted: the kept size the restore went back from.
    pub rolled_back_from: Option<u64>,
    /// `serials` counters raised above codes issued after the backup.
    pub serials_raised: u64,
    pub seconds: f64,
}

/// Restores the archive `from` as the database `db` (the service must be stopped).
pub async fn restore(from: &Path, db: &Path, accept_rollback: bool) -> anyhow::Result<RestoreReport> {
    let started = Instant::now();
    let parent = db
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent)?;
    let _lock = crate::store::lock(db)?;
    let work = tempfile::Builder::new()
        .prefix(".hwtrace-restore-")
        .tempdir_in(parent)?;
    let mut archive = tar::Archive::new(File::open(from).with_context(|| format!("opening {}", from.display()))?);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let name = entry.path()?.into_owned();
        let allowed = name == Path::new(DB_NAME)
            || name == Path::new(MANIFEST_NAME)
            || (name.parent() == Some(Path::new(KEYS_NAME)) && name.file_name().is_some());
        if !allowed {
            bail!(
                "{} is not an hwtrace backup: it holds {}",
                from.display(),
                name.display()
            );
        }
        if let Some(dir) = name.parent().filter(|p| !p.as_os_str().is_empty()) {
            let dir = work.path().join(dir);
            fs::create_dir_all(&dir)?;
            fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
        }
        entry.unpack(work.path().join(&name))?;
    }
    let manifest: BackupManifest =
        serde_json::from_slice(&fs::read(work.path().join(MANIFEST_NAME)).context("the archive has no backup.json")?)?;
    let restored = work.path().join(DB_NAME);
    let restored_keys = work.path().join(KEYS_NAME);

    // The archive must hold a log that checks, with its own keys.
    let (size, root) = {
        let conn = open_read_only(&restored)?;
        let (size, root, _) = log_head(&conn)?;
        let active = |role: ServerRole| -> anyhow::Result<crate::crypto::keys::VerifierKey> {
            let id: String = conn.query_row(
                "SELECT key_id FROM server_keys WHERE role = ?1 AND valid_until IS NULL AND revoked_at IS NULL
                 ORDER BY log_seq DESC LIMIT 1",
                [role.code()],
                |r| r.get(0),
            )?;
            let id = crate::crypto::keys::KeyId::parse_hex(&id).map_err(|e| anyhow::anyhow!("key id {id}: {e}"))?;
            Ok(serverkeys::load(&restored_keys, role, id)?.vkey)
        };
        let (log_key, label_key) = (active(ServerRole::Log)?, active(ServerRole::Label)?);
        if let Err(findings) = crate::audit::startup::check(&conn, &log_key, &label_key, None)? {
            let list: Vec<String> = findings.iter().take(10).map(ToString::to_string).collect();
            bail!(
                "the backup's database does not agree with its own log:\n  {}",
                list.join("\n  ")
            );
        }
        (size, root)
    };
    let report = crate::audit::run(crate::audit::AuditArgs {
        quiet: true,
        ..crate::audit::AuditArgs::db(&restored)
    })
    .await?;
    if !report.ok() {
        let list: Vec<String> = report.findings.iter().take(10).map(ToString::to_string).collect();
        bail!(
            "the backup does not pass the audit ({} findings):\n  {}",
            report.findings_total,
            list.join("\n  ")
        );
    }

    // Against what this service already signed.
    let keys = key_dir(db);
    let kept_state = kept::read(&keys)?;
    let mut rolled_back_from = None;
    if let Some((kept_size, kept_root)) = kept_state.as_ref().and_then(|s| s.latest) {
        let conn = open_read_only(&restored)?;
        let standing = kept::compare((kept_size, &kept_root), size, |n| {
            CompactRange::from_source(n, &DbNodes(&conn)).map(|t| t.root())
        })?;
        if standing != Standing::InStep {
            if !accept_rollback {
                bail!(
                    "{}\nThe backup holds {size} entries. To restore it anyway, knowingly, add --accept-rollback: \
                     every item code issued since stays out of reuse, and the rollback is recorded.",
                    kept::refusal(&standing, &keys).unwrap_or_default()
                );
            }
            rolled_back_from = Some(kept_size);
        }
    }
    let serials_raised = match &kept_state {
        Some(state) => raise_serials(&restored, &state.codes)?,
        None => 0,
    };

    // Put it in place: the replaced database is kept, the key files are added, never replaced.
    let replaced = if db.exists() {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let aside = PathBuf::from(format!("{}.replaced-{stamp}", db.display()));
        fs::rename(db, &aside)?;
        for suffix in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{suffix}", db.display()));
            if side.exists() {
                fs::rename(&side, format!("{}{suffix}", aside.display()))?;
            }
        }
        Some(aside)
    } else {
        None
    };
    fs::create_dir_all(&keys)?;
    fs::set_permissions(&keys, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    for entry in fs::read_dir(&restored_keys)? {
        let entry = entry?;
        let target = keys.join(entry.file_name());
        if entry.file_name() == kept::FILE_NAME && kept_state.is_some() {
            continue; // the current kept file knows more than the backup's
        }
        if target.exists() {
            if fs::read(&target)? != fs::read(entry.path())? && !entry.file_name().to_string_lossy().ends_with(".vkey")
            {
                bail!(
                    "{} differs from the backup's copy; a key file is never replaced",
                    target.display()
                );
            }
            continue;
        }
        fs::copy(entry.path(), &target)?;
    }
    fs::rename(&restored, db)?;
    if let Some(from) = rolled_back_from {
        kept::Kept::open(&keys)?.accept_rollback(from, size, &root)?;
    }
    Ok(RestoreReport {
        manifest,
        audited_entries: report.entries_checked,
        replaced,
        rolled_back_from,
        serials_raised,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Raises each `serials` counter of the database at `db` to at least the serial of every code
/// in `codes` (the codes ever issued), so that none is issued again. Returns how many changed.
fn raise_serials(db: &Path, codes: &[String]) -> anyhow::Result<u64> {
    let mut conn = Connection::open(db)?;
    let tx = conn.transaction()?;
    let mut raised = 0;
    {
        let mut stmt = tx.prepare(
            "INSERT INTO serials(unit, waste, day, last) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(unit, waste, day) DO UPDATE SET last = excluded.last WHERE excluded.last > last",
        )?;
        for code in codes {
            let (Some(unit), Some(waste), Some(day), Some(serial)) = (
                code.get(..18),
                code.get(18..26),
                code.get(26..34),
                code.get(34..).and_then(|s| s.parse::<i64>().ok()),
            ) else {
                continue;
            };
            raised += stmt.execute(params![unit, waste, day, serial])? as u64;
        }
    }
    tx.commit()?;
    Ok(raised)
}
