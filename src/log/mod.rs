//! The custody log (SPEC §5): one append-only list of entries, each one line of compact JSON,
//! hashed into an RFC 6962 Merkle tree whose heads are signed as checkpoints.
//!
//! Appends happen only inside writer jobs (see `store::writer`). The tree's frontier lives in
//! memory, guarded by a mutex that only the writer thread takes; [`LogHook`] keeps it in step
//! with the transaction (a failed job's appends are undone) and signs **one checkpoint per
//! committed batch**, inside the batch's transaction, so an entry is never durable without a
//! checkpoint that covers it. Start-up rebuilds the frontier from O(log n) stored nodes.

mod entry;
pub mod kept;
pub mod keyring;
mod nodes;
pub mod read;
pub mod serverkeys;

use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use crate::crypto::merkle::{CompactRange, Hash};
use crate::crypto::note::Checkpoint;
use crate::log::serverkeys::{ServerKey, ServerRole};
use crate::store::{BatchHook, StoreError, StoreResult};
use crate::time::{rfc3339, Clock};

pub use entry::{format_entry, Member};
pub use nodes::DbNodes;

/// A signed checkpoint as served: size, root and the note text.
#[derive(Clone, Debug)]
pub struct SignedCheckpoint {
    pub size: u64,
    pub root: Hash,
    pub note: String,
}

/// An entry just appended.
#[derive(Clone, Debug)]
pub struct Appended {
    pub seq: u64,
    pub leaf_hash: Hash,
    pub logged_at: DateTime<Utc>,
    pub bytes: String,
}

struct Inner {
    tree: CompactRange,
    /// The tree as it was before the running job, to undo its appends if it fails.
    job_snapshot: Option<CompactRange>,
    /// The tree as it was when the batch began, to undo a batch that does not commit.
    batch_snapshot: Option<CompactRange>,
    log_key: ServerKey,
    label_key: ServerKey,
    last_logged_at: DateTime<Utc>,
    pending: Option<SignedCheckpoint>,
    /// Where committed checkpoints and issued codes are kept outside the database.
    kept: Option<kept::Kept>,
    /// Item codes issued in the running batch, and how many there were before the running job.
    issued: Vec<String>,
    job_issued: usize,
}

/// The log: its origin, signing keys, in-memory frontier, latest checkpoint and clock.
pub struct Log {
    pub origin: String,
    /// Where entries get their `logged_at` (the system clock, or the demo's simulated time).
    clock: Clock,
    inner: Mutex<Inner>,
    latest: RwLock<Option<SignedCheckpoint>>,
}

impl Log {
    /// Loads the log state from the database: O(log n) node reads, no replay. Entries are
    /// logged at the time `clock` shows.
    pub fn load(
        conn: &Connection,
        origin: &str,
        log_key: ServerKey,
        label_key: ServerKey,
        clock: Clock,
    ) -> StoreResult<Log> {
        let size: u64 = conn.query_row("SELECT coalesce(max(seq) + 1, 0) FROM log_entries", [], |r| r.get(0))?;
        let tree = CompactRange::from_source(size, &DbNodes(conn))?;
        let latest = latest_checkpoint(conn)?;
        if let Some(cp) = &latest {
            if cp.size != size || cp.root != tree.root() {
                return Err(StoreError::Other(format!(
                    "the stored tree (size {size}) does not match the latest checkpoint (size {}); run `hwtrace audit --db`",
                    cp.size
                )));
            }
        } else if size != 0 {
            return Err(StoreError::Other(
                "log entries exist but no checkpoint covers them".into(),
            ));
        }
        let last_logged_at: Option<String> = conn
            .query_row("SELECT logged_at FROM log_entries ORDER BY seq DESC LIMIT 1", [], |r| {
                r.get(0)
            })
            .optional()?;
        let last_logged_at = last_logged_at
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        Ok(Log {
            origin: origin.to_owned(),
            clock,
            inner: Mutex::new(Inner {
                tree,
                job_snapshot: None,
                batch_snapshot: None,
                log_key,
                label_key,
                last_logged_at,
                pending: None,
                kept: None,
                issued: Vec::new(),
                job_issued: 0,
            }),
            latest: RwLock::new(latest),
        })
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The log's time now.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The clock the log reads.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The latest committed checkpoint.
    pub fn latest(&self) -> Option<SignedCheckpoint> {
        self.latest.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Number of entries appended so far (including uncommitted ones of the running batch).
    pub fn size(&self) -> u64 {
        self.inner().tree.size()
    }

    /// The key labels are signed with now.
    pub fn label_key(&self) -> ServerKey {
        self.inner().label_key.clone()
    }

    /// The key checkpoints are signed with now.
    pub fn log_key(&self) -> ServerKey {
        self.inner().log_key.clone()
    }

    /// Makes `key` the active key of its role (after a rotation was logged).
    pub fn set_key(&self, key: ServerKey) {
        let mut inner = self.inner();
        match key.role {
            ServerRole::Log => inner.log_key = key,
            ServerRole::Label => inner.label_key = key,
        }
    }

    /// Appends one entry; must run inside a writer job. `items` are the item codes the entry
    /// concerns (its `prev` members); `members` follow `prev` in the given order.
    pub fn append(
        &self,
        conn: &Connection,
        kind: &str,
        items: &[&str],
        members: &[Member<'_>],
    ) -> StoreResult<Appended> {
        self.append_at(conn, self.now(), kind, items, members)
    }

    /// The index and the logged time the next entry will get, so that rules applied before
    /// the append can be told them (the time never goes back, whatever the clock does).
    pub fn next_entry(&self) -> (u64, DateTime<Utc>) {
        let inner = self.inner();
        (inner.tree.size(), self.now().max(inner.last_logged_at))
    }

    /// Like [`Log::append`], logged at `at` (or at the last entry's time, if that is later).
    pub fn append_at(
        &self,
        conn: &Connection,
        at: DateTime<Utc>,
        kind: &str,
        items: &[&str],
        members: &[Member<'_>],
    ) -> StoreResult<Appended> {
        let mut inner = self.inner();
        let seq = inner.tree.size();
        let logged_at = at.max(inner.last_logged_at);
        let mut prev = std::collections::BTreeMap::new();
        for item in items {
            prev.insert(*item, item_head(conn, item)?);
        }
        let bytes = format_entry(seq, &rfc3339(logged_at), kind, &prev, members)?;
        let leaf = crate::crypto::merkle::leaf_hash(bytes.as_bytes());
        conn.prepare_cached(
            "INSERT INTO log_entries(seq, bytes, leaf_hash, kind, logged_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            seq as i64,
            bytes.as_bytes(),
            &leaf[..],
            kind,
            rfc3339(logged_at)
        ])?;
        let mut stmt = conn.prepare_cached("INSERT INTO item_entries(item, seq) VALUES (?1, ?2)")?;
        for item in prev.keys() {
            stmt.execute(params![item, seq as i64])?;
        }
        let mut stmt = conn.prepare_cached("INSERT INTO log_nodes(level, idx, hash) VALUES (?1, ?2, ?3)")?;
        for (level, idx, hash) in inner.tree.append(leaf) {
            if level > 0 {
                stmt.execute(params![level, idx as i64, &hash[..]])?;
            }
        }
        inner.last_logged_at = logged_at;
        Ok(Appended {
            seq,
            leaf_hash: leaf,
            logged_at,
            bytes,
        })
    }

    /// Signs one checkpoint for the entries appended since the last one, inside the running
    /// transaction; it becomes the latest once the transaction commits.
    pub fn seal_batch(&self, conn: &Connection) -> StoreResult<()> {
        let mut inner = self.inner();
        let committed_size = self.latest().map_or(0, |c| c.size);
        if inner.tree.size() == committed_size {
            return Ok(());
        }
        let checkpoint = Checkpoint {
            origin: self.origin.clone(),
            size: inner.tree.size(),
            root: inner.tree.root(),
        };
        let key = &inner.log_key;
        let note = checkpoint.sign(key.name(), &key.signing, key.key_id());
        conn.prepare_cached("INSERT INTO checkpoints(size, root, note, signed_at) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![
                checkpoint.size as i64,
                &checkpoint.root[..],
                note,
                rfc3339(self.now())
            ])?;
        inner.pending = Some(SignedCheckpoint {
            size: checkpoint.size,
            root: checkpoint.root,
            note,
        });
        Ok(())
    }

    /// After a commit outside the writer (first start): the sealed checkpoint becomes the latest.
    pub fn batch_committed(&self) {
        let mut inner = self.inner();
        let pending = inner.pending.take();
        inner.write_kept(pending.as_ref());
        drop(inner);
        if let Some(cp) = pending {
            self.publish(cp);
        }
    }

    /// From now on, committed checkpoints and issued item codes are also written to `kept`.
    pub fn keep_beside(&self, kept: kept::Kept) {
        self.inner().kept = Some(kept);
    }

    /// Notes an item code issued by the running job (kept outside the database once committed).
    pub fn note_issued(&self, code: &str) {
        self.inner().issued.push(code.to_owned());
    }

    fn publish(&self, cp: SignedCheckpoint) {
        *self.latest.write().unwrap_or_else(|p| p.into_inner()) = Some(cp);
    }

    /// The hook that keeps this log in step with the writer's transactions.
    pub fn hook(self: &Arc<Self>) -> Box<dyn BatchHook> {
        Box::new(LogHook(self.clone()))
    }
}

/// Lower-case hex leaf hash of an item's newest entry, or `""` for an item with none.
fn item_head(conn: &Connection, item: &str) -> StoreResult<String> {
    let head: Option<Vec<u8>> = conn
        .prepare_cached(
            "SELECT e.leaf_hash FROM item_entries i JOIN log_entries e ON e.seq = i.seq
             WHERE i.item = ?1 ORDER BY i.seq DESC LIMIT 1",
        )?
        .query_row([item], |r| r.get(0))
        .optional()?;
    Ok(head.map(hex::encode).unwrap_or_default())
}

/// The newest stored checkpoint.
pub fn latest_checkpoint(conn: &Connection) -> StoreResult<Option<SignedCheckpoint>> {
    let row: Option<(i64, Vec<u8>, String)> = conn
        .query_row(
            "SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    row.map(|(size, root, note)| {
        let root: Hash = root
            .try_into()
            .map_err(|_| StoreError::Other("a stored checkpoint root is not 32 bytes".into()))?;
        Ok(SignedCheckpoint {
            size: size as u64,
            root,
            note,
        })
    })
    .transpose()
}

impl Inner {
    /// Writes the committed batch's codes and checkpoint to the kept file. A failure is logged
    /// and does not undo the commit: the database is then ahead of the kept file, which the
    /// next start accepts.
    fn write_kept(&mut self, cp: Option<&SignedCheckpoint>) {
        let codes = std::mem::take(&mut self.issued);
        self.job_issued = 0;
        if let Some(kept) = &mut self.kept {
            if let Err(e) = kept.record(&codes, cp.map(|c| (c.size, &c.root))) {
                tracing::error!(error = %e, file = %kept.path().display(), "could not keep the checkpoint beside the keys");
            }
        }
    }
}

struct LogHook(Arc<Log>);

impl BatchHook for LogHook {
    fn before_job(&mut self) {
        let mut inner = self.0.inner();
        let tree = inner.tree.clone();
        if inner.batch_snapshot.is_none() {
            inner.batch_snapshot = Some(tree.clone());
        }
        inner.job_snapshot = Some(tree);
        inner.job_issued = inner.issued.len();
    }

    fn after_job(&mut self, ok: bool) {
        let mut inner = self.0.inner();
        let snapshot = inner.job_snapshot.take();
        if !ok {
            if let Some(tree) = snapshot {
                inner.tree = tree;
            }
            let before = inner.job_issued;
            inner.issued.truncate(before);
        }
    }

    fn before_commit(&mut self, conn: &Connection) -> StoreResult<()> {
        self.0.seal_batch(conn)
    }

    fn after_commit(&mut self, _conn: &Connection, committed: bool) {
        let mut inner = self.0.inner();
        let pending = inner.pending.take();
        let before = inner.batch_snapshot.take();
        if committed {
            inner.write_kept(pending.as_ref());
            if let Some(cp) = pending {
                self.0.publish(cp);
            }
        } else {
            inner.issued.clear();
            if let Some(tree) = before {
                inner.tree = tree;
            }
        }
    }
}
