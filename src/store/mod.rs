//! Storage: one SQLite file in WAL mode with `synchronous=FULL`, its schema migrations, a
//! pool of read-only connections and the single writer. Database work runs on blocking
//! threads, never on the async runtime.
//!
//! Invariant: every write goes through [`Writer`], which owns the only writable connection;
//! that is what lets later issues batch concurrent appends into one durable transaction.

mod migrations;
pub mod projection;
mod reader;
pub mod reference;
mod writer;

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::Connection;

pub use migrations::{migrations, MIGRATIONS};
pub use reader::Readers;
pub use writer::{BatchHook, NoHook, Writer, MAX_BATCH_JOBS, WRITE_QUEUE_LEN};

use crate::domain::Refusal;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The request was refused by a rule; nothing was written.
    #[error("{0}")]
    Refused(Refusal),
    #[error("sqlite: {0}")]
    Sqlite(rusqlite::Error),
    /// Another process holds the database's write lock (or a reader's snapshot blocks a
    /// checkpoint) for longer than the busy timeout; nothing was written, try again shortly.
    #[error("the database is busy (locked by another process): {0}")]
    Busy(String),
    /// The disk is full or failed a write; nothing of the refused work was written.
    #[error("the database cannot write (disk full or I/O error): {0}")]
    Unavailable(String),
    #[error("migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("the database writer has stopped")]
    WriterGone,
    #[error("database {0} is in use by another hwtrace process (a running service?); stop it first")]
    Locked(PathBuf),
    #[error("{0}")]
    Other(String),
}

impl From<rusqlite::Error> for StoreError {
    /// Sorts SQLite's failures: a busy or locked database and a full disk (or failed write) are
    /// conditions to wait out, answered `503` with `Retry-After`; the rest are faults.
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy(e.to_string()),
            Some(ErrorCode::DiskFull | ErrorCode::SystemIoFailure | ErrorCode::CannotOpen) => {
                StoreError::Unavailable(e.to_string())
            }
            _ => StoreError::Sqlite(e),
        }
    }
}

impl From<Refusal> for StoreError {
    fn from(r: Refusal) -> Self {
        StoreError::Refused(r)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// How long the writer waits for a write lock held by another process.
pub const WRITER_BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Prepared statements each connection keeps.
const STATEMENT_CACHE: usize = 256;

/// The pragmas every connection gets. `synchronous=FULL` is set explicitly: WAL's default
/// NORMAL may lose the last commits on power loss, and an acknowledged entry must never be lost.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // One event runs a few dozen distinct cached statements; rusqlite keeps 16 by default,
    // and a cache that small re-prepares most of them on every event.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

/// Opens a connection and applies the common pragmas.
fn open_conn(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    configure(&conn)?;
    Ok(conn)
}

/// The database: a writer and a pool of readers on one file.
#[derive(Clone)]
pub struct Db {
    pub path: PathBuf,
    pub writer: Writer,
    pub readers: Readers,
    _lock: Arc<File>,
}

/// Takes the exclusive lock of the database at `path` for as long as the file lives, refusing
/// if another process (a running service) holds it: for offline commands such as a restore.
pub fn lock(path: &Path) -> StoreResult<File> {
    lock_file(path)
}

/// Takes the exclusive lock of the database at `path`, refusing if another process holds it.
fn lock_file(path: &Path) -> StoreResult<File> {
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| StoreError::Other(format!("cannot open lock file {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(StoreError::Locked(path.to_owned())),
        Err(TryLockError::Error(e)) => Err(StoreError::Other(format!("cannot lock {}: {e}", path.display()))),
    }
}

impl Db {
    /// Opens (creating if needed) the database at `path`, switches it to WAL, applies pending
    /// migrations and starts the writer thread with no batch hook.
    pub fn open(path: &Path) -> StoreResult<Db> {
        Db::open_with_hook(path, MAX_BATCH_JOBS, |_| Ok(Box::new(NoHook)))
    }

    /// Like [`Db::open`], with a batch hook built from the migrated writer connection.
    ///
    /// Takes an exclusive lock on `<path>.lock` for as long as the `Db` lives, so that no second
    /// process (a running service and a CLI command, say) ever writes the same log.
    pub fn open_with_hook(
        path: &Path,
        max_batch: usize,
        make_hook: impl FnOnce(&Connection) -> StoreResult<Box<dyn BatchHook>>,
    ) -> StoreResult<Db> {
        let lock = lock_file(path)?;
        let mut conn = open_conn(path)?;
        let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Other(format!(
                "could not switch {} to WAL (got {mode})",
                path.display()
            )));
        }
        migrations().to_latest(&mut conn)?;
        // Only another process (a `sqlite3` shell, a backup tool) can hold the write lock: the
        // writer waits this long for it, then answers `503 database_busy` rather than make
        // every queued write wait.
        conn.busy_timeout(WRITER_BUSY_TIMEOUT)?;
        let hook = make_hook(&conn)?;
        Ok(Db {
            path: path.to_owned(),
            writer: Writer::start(conn, hook, max_batch)?,
            readers: Readers::new(path.to_owned()),
            _lock: Arc::new(lock),
        })
    }

    /// Runs `f` on a read-only connection on a blocking thread.
    pub async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.readers.read(f).await
    }

    /// Runs `f` in the single writer's transaction; answered once it is durable.
    pub async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.writer.write(f).await
    }
}
