//! A small pool of read-only connections; reads run on tokio's blocking threads so that
//! SQLite never blocks the async runtime. WAL lets readers run beside the writer.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};

use super::{configure, StoreError, StoreResult};

/// Idle connections kept for reuse; more may be open at once under load. A batch of events
/// reads once per envelope, all at once: opening a connection (and reading the schema) for
/// each read costs more than the read.
const MAX_IDLE_READERS: usize = 32;

#[derive(Clone)]
pub struct Readers {
    path: PathBuf,
    idle: Arc<Mutex<Vec<Connection>>>,
}

impl Readers {
    pub fn new(path: PathBuf) -> Readers {
        Readers {
            path,
            idle: Arc::new(Mutex::new(Vec::new())),
        }
    }

    fn take(&self) -> StoreResult<Connection> {
        if let Some(c) = self
            .idle
            .lock()
            .map_err(|_| StoreError::Other("reader pool poisoned".into()))?
            .pop()
        {
            return Ok(c);
        }
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        configure(&conn)?;
        conn.pragma_update(None, "query_only", "ON")?;
        // The regulators' figures read much of a year's history: pages mapped from the file and
        // a 16 MiB page cache per reader, rather than a read(2) per page missed by the default 2 MiB.
        conn.pragma_update(None, "mmap_size", 1i64 << 30)?;
        conn.pragma_update(None, "cache_size", -16384)?;
        Ok(conn)
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < MAX_IDLE_READERS {
                idle.push(conn);
            }
        }
    }

    /// Runs `f` on a read connection, on a blocking thread.
    pub async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.clone();
        tokio::task::spawn_blocking(move || pool.read_blocking(f))
            .await
            .map_err(|e| StoreError::Other(format!("read task failed: {e}")))?
    }

    /// Runs `f` on a read connection on the current thread (for CLI commands and tests).
    pub fn read_blocking<T, F>(&self, f: F) -> StoreResult<T>
    where
        F: FnOnce(&Connection) -> StoreResult<T>,
    {
        let conn = self.take()?;
        let out = f(&conn);
        self.give_back(conn);
        out
    }
}
