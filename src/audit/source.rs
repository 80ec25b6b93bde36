//! Where the auditor reads the log from: a running service over the public endpoints of
//! SPEC §5.4 ([`UrlSource`]), or a database file opened read-only ([`DbSource`]). Both answer the
//! same questions; nothing they answer is trusted: every hash, proof and checkpoint is checked
//! by the auditor.
//!
//! The methods are blocking: the audit runs on a thread of its own. [`UrlSource`] drives its
//! requests on the tokio runtime it was given and fetches the next page of entries while the
//! current one is checked.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use rusqlite::{params, Connection, OpenFlags};
use serde::Deserialize;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

use crate::crypto::merkle::{consistency_proof, hash_from_b64, inclusion_proof, Hash};
use crate::log::{latest_checkpoint, DbNodes};

/// Entries per request: the most `GET /log/entries` serves.
pub const PAGE: u64 = 1000;
/// Most entries of one item's history read (the service's own limit).
pub const MAX_HISTORY_ENTRIES: i64 = 10_000;
/// How long one HTTP request may take.
pub const REQUEST_TIMEOUT_S: u64 = 120;

/// One stored entry.
#[derive(Debug, Clone)]
pub struct Row {
    pub index: u64,
    pub bytes: Vec<u8>,
    /// `--db`: the `leaf_hash` column, to be checked against the bytes.
    pub stored_leaf: Option<Vec<u8>>,
}

/// An item's entries with inclusion proofs.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// The checkpoint the proofs are against; `None`: the tree of `size` the caller asked for.
    pub checkpoint: Option<String>,
    pub size: u64,
    pub entries: Vec<HistoryEntry>,
}

#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub index: u64,
    pub bytes: Vec<u8>,
    pub proof: Vec<Hash>,
}

/// A log to audit.
pub trait Source {
    /// What is audited, for the report.
    fn describe(&self) -> String;
    /// The latest checkpoint note.
    fn checkpoint(&self) -> anyhow::Result<String>;
    /// Entries `start..end` in order. A database may lack some (reported by the caller); a URL
    /// source answers all or fails.
    fn entries(&self, start: u64, end: u64) -> anyhow::Result<Vec<Row>>;
    /// A hint that `entries(start, end)` comes next.
    fn prefetch(&self, _start: u64, _end: u64) {}
    fn consistency(&self, old: u64, new: u64) -> anyhow::Result<Vec<Hash>>;
    fn inclusion(&self, index: u64, size: u64) -> anyhow::Result<Vec<Hash>>;
    /// The entries of `item` (at least those below `size`), with inclusion proofs. No entries:
    /// the log has none for it.
    fn history(&self, item: &str, size: u64) -> anyhow::Result<History>;
    /// Whether `item` has entries below `size`, if the source can tell without a history
    /// request (an index); `None` if it cannot. A hint only: what it says is then proved.
    fn has_entries_before(&self, _item: &str, _size: u64) -> anyhow::Result<Option<bool>> {
        Ok(None)
    }
    /// `--db`: the database, for the cross-checks.
    fn database(&self) -> Option<&Connection> {
        None
    }
}

/// A database file, opened read-only and read in one snapshot, so a running service may keep
/// appending while it is audited.
pub struct DbSource {
    path: PathBuf,
    conn: Connection,
}

impl DbSource {
    pub fn open(path: &Path) -> anyhow::Result<DbSource> {
        if !path.is_file() {
            bail!("{} is not a database file", path.display());
        }
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .with_context(|| format!("opening {} read-only", path.display()))?;
        conn.busy_timeout(Duration::from_secs(10))?;
        let has_log: bool = conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'log_entries')",
            [],
            |r| r.get(0),
        )?;
        if !has_log {
            bail!("{} is not an hwtrace database with a custody log", path.display());
        }
        // One read transaction for the whole audit: every query sees the same snapshot.
        conn.execute_batch("BEGIN")?;
        Ok(DbSource {
            path: path.to_owned(),
            conn,
        })
    }
}

fn proof_err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("computing a proof from the stored nodes: {e}")
}

impl Source for DbSource {
    fn describe(&self) -> String {
        format!("db {} (read-only)", self.path.display())
    }

    fn checkpoint(&self) -> anyhow::Result<String> {
        let cp = latest_checkpoint(&self.conn)?;
        Ok(cp
            .ok_or_else(|| anyhow!("the log has no checkpoint: it is empty"))?
            .note)
    }

    fn entries(&self, start: u64, end: u64) -> anyhow::Result<Vec<Row>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, bytes, leaf_hash FROM log_entries WHERE seq >= ?1 AND seq < ?2 ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![start as i64, end as i64], |r| {
            Ok(Row {
                index: r.get::<_, i64>(0)? as u64,
                bytes: r.get(1)?,
                stored_leaf: Some(r.get(2)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn consistency(&self, old: u64, new: u64) -> anyhow::Result<Vec<Hash>> {
        consistency_proof(&DbNodes(&self.conn), old, new).map_err(proof_err)
    }

    fn inclusion(&self, index: u64, size: u64) -> anyhow::Result<Vec<Hash>> {
        inclusion_proof(&DbNodes(&self.conn), index, size).map_err(proof_err)
    }

    fn history(&self, item: &str, size: u64) -> anyhow::Result<History> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.seq, e.bytes FROM item_entries i JOIN log_entries e ON e.seq = i.seq
             WHERE i.item = ?1 AND e.seq < ?2 ORDER BY e.seq LIMIT ?3",
        )?;
        let rows = stmt
            .query_map(params![item, size as i64, MAX_HISTORY_ENTRIES], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let entries = rows
            .into_iter()
            .map(|(index, bytes)| {
                Ok(HistoryEntry {
                    index,
                    bytes,
                    proof: self.inclusion(index, size)?,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(History {
            checkpoint: None,
            size,
            entries,
        })
    }

    fn has_entries_before(&self, item: &str, size: u64) -> anyhow::Result<Option<bool>> {
        let found = self
            .conn
            .prepare_cached("SELECT EXISTS(SELECT 1 FROM item_entries WHERE item = ?1 AND seq < ?2)")?
            .query_row(params![item, size as i64], |r| r.get(0))?;
        Ok(Some(found))
    }

    fn database(&self) -> Option<&Connection> {
        Some(&self.conn)
    }
}

/// A page of entries being fetched ahead: its range and the request.
type Ahead = Option<(u64, u64, JoinHandle<anyhow::Result<Vec<u8>>>)>;

/// A running service, read through its public log endpoints.
pub struct UrlSource {
    base: String,
    http: reqwest::Client,
    rt: Handle,
    ahead: RefCell<Ahead>,
}

#[derive(Deserialize)]
struct ProofBody {
    hashes: Vec<String>,
}

#[derive(Deserialize)]
struct HistoryBody {
    checkpoint: String,
    size: u64,
    entries: Vec<HistoryEntryBody>,
}

#[derive(Deserialize)]
struct HistoryEntryBody {
    index: u64,
    entry: String,
    inclusion_proof: Vec<String>,
}

/// `GET url`, answering the body of a 2xx response.
async fn fetch(http: reqwest::Client, url: String) -> anyhow::Result<Vec<u8>> {
    let resp = http.get(&url).send().await.with_context(|| format!("GET {url}"))?;
    let status = resp.status();
    let body = resp.bytes().await.with_context(|| format!("GET {url}"))?;
    if !status.is_success() {
        bail!("GET {url}: {status}: {}", String::from_utf8_lossy(&body));
    }
    Ok(body.to_vec())
}

fn hashes(b64: &[String]) -> anyhow::Result<Vec<Hash>> {
    b64.iter()
        .map(|h| hash_from_b64(h).ok_or_else(|| anyhow!("a proof hash is not base64 of 32 bytes: {h:?}")))
        .collect()
}

impl UrlSource {
    /// A source for the service at `base` (e.g. `http://127.0.0.1:8080`); requests run on `rt`.
    pub fn new(base: &str, rt: Handle) -> anyhow::Result<UrlSource> {
        let base = base.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            bail!("--url must start with http:// or https://, got {base:?}");
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(REQUEST_TIMEOUT_S))
            .build()?;
        Ok(UrlSource {
            base,
            http,
            rt,
            ahead: RefCell::new(None),
        })
    }

    fn get(&self, path: &str) -> anyhow::Result<Vec<u8>> {
        self.rt
            .block_on(fetch(self.http.clone(), format!("{}{path}", self.base)))
    }

    fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let body = self.get(path)?;
        serde_json::from_slice(&body).with_context(|| format!("GET {path}: unexpected answer"))
    }

    fn entries_path(start: u64, end: u64) -> String {
        format!("/log/entries?start={start}&end={end}")
    }
}

impl Source for UrlSource {
    fn describe(&self) -> String {
        format!("url {}", self.base)
    }

    fn checkpoint(&self) -> anyhow::Result<String> {
        let body = self.get("/log/checkpoint")?;
        String::from_utf8(body).context("the checkpoint is not UTF-8")
    }

    fn entries(&self, start: u64, end: u64) -> anyhow::Result<Vec<Row>> {
        let ahead = self.ahead.borrow_mut().take();
        let body = match ahead {
            Some((s, e, task)) if (s, e) == (start, end) => {
                self.rt.block_on(task).map_err(|e| anyhow!("fetching entries: {e}"))??
            }
            other => {
                if let Some((_, _, task)) = other {
                    task.abort();
                }
                self.get(&Self::entries_path(start, end))?
            }
        };
        let Some(body) = body.strip_suffix(b"\n") else {
            bail!("entries {start}..{end}: the answer does not end with a newline");
        };
        let rows: Vec<Row> = body
            .split(|b| *b == b'\n')
            .zip(start..)
            .map(|(line, index)| Row {
                index,
                bytes: line.to_vec(),
                stored_leaf: None,
            })
            .collect();
        if rows.len() as u64 != end - start {
            bail!("asked for entries {start}..{end}, got {} lines", rows.len());
        }
        Ok(rows)
    }

    fn prefetch(&self, start: u64, end: u64) {
        let url = format!("{}{}", self.base, Self::entries_path(start, end));
        let task = self.rt.spawn(fetch(self.http.clone(), url));
        if let Some((_, _, old)) = self.ahead.borrow_mut().replace((start, end, task)) {
            old.abort();
        }
    }

    fn consistency(&self, old: u64, new: u64) -> anyhow::Result<Vec<Hash>> {
        let body: ProofBody = self.get_json(&format!("/log/proof/consistency?old={old}&new={new}"))?;
        hashes(&body.hashes)
    }

    fn inclusion(&self, index: u64, size: u64) -> anyhow::Result<Vec<Hash>> {
        let body: ProofBody = self.get_json(&format!("/log/proof/inclusion?index={index}&size={size}"))?;
        hashes(&body.hashes)
    }

    fn history(&self, item: &str, _size: u64) -> anyhow::Result<History> {
        let url = format!("{}/api/v1/items/{item}/history", self.base);
        let http = self.http.clone();
        let answer = self.rt.block_on(async move {
            let resp = http.get(&url).send().await.with_context(|| format!("GET {url}"))?;
            let status = resp.status();
            let body = resp.bytes().await?;
            anyhow::Ok((status, body))
        })?;
        let (status, body) = answer;
        if status == reqwest::StatusCode::NOT_FOUND {
            let code = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_owned));
            if code.as_deref() == Some("unknown_item") {
                return Ok(History::default());
            }
        }
        if !status.is_success() {
            bail!("GET history of {item}: {status}: {}", String::from_utf8_lossy(&body));
        }
        let h: HistoryBody = serde_json::from_slice(&body).context("an item history: unexpected answer")?;
        let entries = h
            .entries
            .into_iter()
            .map(|e| {
                Ok(HistoryEntry {
                    index: e.index,
                    bytes: e.entry.into_bytes(),
                    proof: hashes(&e.inclusion_proof)?,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(History {
            checkpoint: Some(h.checkpoint),
            size: h.size,
            entries,
        })
    }
}

impl Drop for UrlSource {
    fn drop(&mut self) {
        if let Some((_, _, task)) = self.ahead.get_mut().take() {
            task.abort();
        }
    }
}
