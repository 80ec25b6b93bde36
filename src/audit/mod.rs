//! The auditor (SPEC §5.5): `hwtrace audit` checks the custody log from outside, trusting only
//! the log key, and lists every discrepancy it finds.
//!
//! It reads a running service over the public endpoints (`--url`), or a database file opened
//! read-only (`--db`), which adds cross-checks of the tables the service derives from the log
//! (`db_checks`). One pass in log order (`verify`, with the order-free work done a page at a
//! time on several threads by `prepare`) recomputes the Merkle root and checks each entry: its
//! format, key entries (`keys`), envelope signatures against the device keys in force when it
//! was logged, nonces, labels against the label key, `prev` links, and the custody rules
//! ([`replay`]). Entries come in pages and per-item state lives in a temporary SQLite database
//! (`scratch`), so memory stays bounded however long the log is; only keys stay in memory.
//!
//! Checking goes on after a failure: findings are collected (the first [`MAX_FINDINGS`]) with the
//! entry and item they concern. `--save-checkpoint` keeps the verified checkpoint
//! ([`SavedCheckpoint`]) so that the next run (`--since-checkpoint`) proves the log only grew
//! since, and checks only the new entries.
//!
//! Trust: the checkpoint must be signed by the given log key, or by a later log key that the log
//! registered as its replacement (`replaces`), directly or through earlier rotations.
//!
//! Limits of an incremental run: `prev` links into the part already audited are confirmed from
//! the item's history (proved against the saved checkpoint), but an entry that says an item is
//! new is looked up only where that is cheap (`--db`); and over HTTP a nonce is checked only
//! against the nonces since the saved checkpoint (`--db` also checks the `nonces` table). A full
//! run checks both completely.

mod db_checks;
mod keys;
mod prepare;
pub mod replay;
mod report;
mod saved;
mod scratch;
mod source;
pub mod startup;
mod verify;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};

use crate::crypto::keys::VerifierKey;
use crate::crypto::merkle::{
    frontier_positions, hash_to_b64, leaf_hash, node_hash, verify_consistency, verify_inclusion, CompactRange, Hash,
    NodeSource,
};
use crate::crypto::note::Checkpoint;
use db_checks::DbChecks;
use keys::Role;
use verify::{PastLog, Verifier};

pub use report::{AuditReport, Check, Finding, KeyCounts, MAX_EVENT_TYPES, MAX_FINDINGS};
pub use saved::{SavedCheckpoint, SavedEntry, SAVED_FORMAT};
pub use source::{DbSource, History, HistoryEntry, Row, Source, UrlSource, PAGE};

/// `hwtrace audit`: check the custody log from outside (SPEC §5.5).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct AuditArgs {
    /// Audit a running service through its public log endpoints, e.g. http://127.0.0.1:8080.
    #[arg(long, conflicts_with = "db", required_unless_present = "db")]
    pub url: Option<String>,
    /// Audit a database file (opened read-only), cross-checking its tables against the log.
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// The log key: a verifier-key string `name+keyid+base64`, or a file holding one.
    /// Default with --db: `<db>.keys/log.vkey`.
    #[arg(long)]
    pub log_key: Option<String>,
    /// With no --log-key: trust the log key that the log's first entry registers.
    #[arg(long, conflicts_with = "log_key")]
    pub trust_on_first_use: bool,
    /// Check only what was added since a checkpoint saved by an earlier audit.
    #[arg(long)]
    pub since_checkpoint: Option<PathBuf>,
    /// When everything checks, save the verified checkpoint here for the next --since-checkpoint.
    #[arg(long)]
    pub save_checkpoint: Option<PathBuf>,
    /// No progress bar and no summary: print only the verdict and the findings.
    #[arg(long)]
    pub quiet: bool,
}

impl AuditArgs {
    /// `--db path`, everything else by default.
    pub fn db(path: &Path) -> AuditArgs {
        AuditArgs {
            db: Some(path.to_owned()),
            quiet: true,
            ..AuditArgs::default()
        }
    }

    /// `--url base --log-key key`.
    pub fn url(base: &str, log_key: &str) -> AuditArgs {
        AuditArgs {
            url: Some(base.to_owned()),
            log_key: Some(log_key.to_owned()),
            quiet: true,
            ..AuditArgs::default()
        }
    }
}

/// How to audit a [`Source`].
#[derive(Debug, Clone)]
pub struct Options {
    /// The log key to trust; `None`: the one the log's first entry registers (trust on first use).
    pub trust: Option<VerifierKey>,
    /// Entries 0 and 1 register the log and label keys, as in every log hwtrace writes. Off only
    /// to check logs built by hand (the SPEC vectors).
    pub server_keys_first: bool,
    pub since: Option<SavedCheckpoint>,
    pub save_to: Option<PathBuf>,
    /// Show a progress bar on standard error.
    pub progress: bool,
}

impl Options {
    pub fn trusting(key: VerifierKey) -> Options {
        Options {
            trust: Some(key),
            server_keys_first: true,
            since: None,
            save_to: None,
            progress: false,
        }
    }
}

/// Runs `hwtrace audit`. An `Err` means the audit could not be carried out (a file, the
/// network); a report with findings means it was, and the log failed it.
pub async fn run(args: AuditArgs) -> anyhow::Result<AuditReport> {
    let rt = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || run_blocking(args, rt))
        .await
        .context("the audit stopped unexpectedly")?
}

fn run_blocking(args: AuditArgs, rt: tokio::runtime::Handle) -> anyhow::Result<AuditReport> {
    let since = args
        .since_checkpoint
        .as_deref()
        .map(SavedCheckpoint::read)
        .transpose()?;
    let progress = !args.quiet && std::io::stderr().is_terminal();
    let trust = |default: Option<PathBuf>| -> anyhow::Result<Option<VerifierKey>> {
        if let Some(k) = &args.log_key {
            return Ok(Some(load_log_key(k)?));
        }
        if let Some(path) = default.filter(|p| p.is_file() || !args.trust_on_first_use) {
            let key = load_log_key_file(&path)
                .with_context(|| format!("no --log-key given, and the default {} cannot be used", path.display()))?;
            return Ok(Some(key));
        }
        if args.trust_on_first_use {
            return Ok(None);
        }
        bail!("give the log key with --log-key (or, knowingly, --trust-on-first-use)")
    };
    match (&args.url, &args.db) {
        (Some(url), None) => {
            let options = Options {
                trust: trust(None)?,
                server_keys_first: true,
                since,
                save_to: args.save_checkpoint.clone(),
                progress,
            };
            audit_source(&UrlSource::new(url, rt)?, options)
        }
        (None, Some(db)) => {
            let source = DbSource::open(db)?;
            let default_key = crate::log::serverkeys::key_dir(db).join("log.vkey");
            let options = Options {
                trust: trust(Some(default_key))?,
                server_keys_first: true,
                since,
                save_to: args.save_checkpoint.clone(),
                progress,
            };
            audit_source(&source, options)
        }
        _ => bail!("give exactly one of --url and --db"),
    }
}

/// A verifier-key string, or a file that holds one.
pub fn load_log_key(s: &str) -> anyhow::Result<VerifierKey> {
    match VerifierKey::parse(s.trim()) {
        Ok(k) => Ok(k),
        Err(e) if Path::new(s).is_file() || !s.contains('+') => {
            load_log_key_file(Path::new(s)).with_context(|| format!("--log-key {s:?} is not a verifier key ({e})"))
        }
        Err(e) => bail!("--log-key {s:?} is not a verifier key: {e}"),
    }
}

fn load_log_key_file(path: &Path) -> anyhow::Result<VerifierKey> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the log key {}", path.display()))?;
    VerifierKey::parse(text.trim()).with_context(|| format!("{} does not hold a verifier key", path.display()))
}

/// The size and root of a checkpoint, read without checking the signature (that comes once the
/// keys are known).
fn unverified_body(note: &str) -> Option<(u64, Hash)> {
    let mut lines = note.split('\n').skip(1);
    let (size, root) = (lines.next()?, lines.next()?);
    Some((size.parse().ok()?, crate::crypto::merkle::hash_from_b64(root)?))
}

/// The latest checkpoint, as first read.
struct Latest {
    note: String,
    size: u64,
    root: Hash,
}

/// Audits `source`: the whole log, or with `options.since` what was appended since a saved
/// checkpoint. Blocking; a [`UrlSource`] must not be driven from inside its runtime's async code.
pub fn audit_source(source: &dyn Source, options: Options) -> anyhow::Result<AuditReport> {
    let started = Instant::now();
    let note = source.checkpoint()?;
    let (size, root) =
        unverified_body(&note).with_context(|| format!("the latest checkpoint is malformed: {note:?}"))?;
    let latest = Latest { note, size, root };
    let mut v = Verifier::new(options.server_keys_first)?;
    let trusted = options.trust.clone();
    let mut report = AuditReport {
        source: source.describe(),
        checkpoint_size: latest.size,
        checkpoint_root: hash_to_b64(&latest.root),
        ..AuditReport::default()
    };
    let mut checkpoints_checked = 0;
    let old = match &options.since {
        Some(saved) => match resume(source, &mut v, saved, trusted.as_ref(), &latest)? {
            Some(old) => {
                checkpoints_checked += 1;
                Some(old)
            }
            None => return Ok(finish_report(report, v, trusted, started, checkpoints_checked)),
        },
        None => None,
    };
    let mut db = source.database().map(|conn| DbChecks::new(conn, &v.tree));
    let mut past = old.map(|old| Past {
        source,
        old,
        latest_size: latest.size,
        latest_root: latest.root,
    });
    stream(source, &mut v, &mut db, &mut past, &latest, &trusted, options.progress)?;
    checkpoints_checked += check_latest(&mut v, &latest, trusted.as_ref());
    if let Some(db) = &db {
        db.finish(&mut v.findings, &v.keys, &v.scratch, &v.manifests, latest.size, v.since)?;
        checkpoints_checked += db.checkpoints_checked;
    }
    let key_entries = std::mem::take(&mut v.key_entries);
    let mut report_trusted = trusted;
    if report_trusted.is_none() {
        report_trusted = v.keys.first_log_key().map(|k| k.vkey.clone());
        report
            .notes
            .push("trust on first use: the log key was taken from the log's first entry, not given".into());
    }
    if let Some(path) = &options.save_to {
        if v.findings.total == 0 {
            SavedCheckpoint::new(latest.note.clone(), key_entries).write(path)?;
            report.notes.push(format!(
                "saved the verified checkpoint (size {}) to {}",
                latest.size,
                path.display()
            ));
        } else {
            report
                .notes
                .push(format!("not saved to {}: the audit failed", path.display()));
        }
    }
    Ok(finish_report(report, v, report_trusted, started, checkpoints_checked))
}

fn finish_report(
    mut report: AuditReport,
    v: Verifier,
    trusted: Option<VerifierKey>,
    started: Instant,
    checkpoints_checked: u64,
) -> AuditReport {
    report.log_key = trusted.map(|k| k.to_string()).unwrap_or_default();
    report.checked_from = v.since;
    report.entries_checked = v.stats.entries;
    report.items = v.stats.items;
    report.events = v.stats.events;
    report.key_entries = v.stats.key_entries;
    report.refusals = v.stats.refusals;
    report.unjudged = v.stats.unjudged;
    report.keys = v.keys.counts();
    report.checkpoints_checked = checkpoints_checked;
    report.history_lookups = v.stats.history_lookups;
    report.seconds = started.elapsed().as_secs_f64();
    report.findings = v.findings.kept;
    // Log order: findings about the whole log first, then by entry (stable: within an entry,
    // in the order the checks ran).
    report.findings.sort_by_key(|f| f.index.map_or(0, |i| i + 1));
    report.findings_total = v.findings.total;
    report
}

/// The pass over entries `v.since .. latest.size`, page by page, one scratch transaction each.
fn stream(
    source: &dyn Source,
    v: &mut Verifier,
    db: &mut Option<DbChecks<'_>>,
    past: &mut Option<Past<'_>>,
    latest: &Latest,
    trusted: &Option<VerifierKey>,
    progress: bool,
) -> anyhow::Result<()> {
    let bar = if progress {
        let bar = ProgressBar::new(latest.size.saturating_sub(v.since));
        let style = ProgressStyle::with_template("audit {bar:40} {pos}/{len} entries  {per_sec}  eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut next = v.since;
    while next < latest.size {
        let end = (next + PAGE).min(latest.size);
        if end < latest.size {
            source.prefetch(end, (end + PAGE).min(latest.size));
        }
        let rows = source.entries(next, end)?;
        let prepared = prepare::prepare_page(&rows, &v.keys);
        v.scratch.begin()?;
        if let Some(db) = db.as_mut() {
            db.load_checkpoints(next, end)?;
        }
        let mut expected = next;
        for (row, prepared) in rows.into_iter().zip(prepared) {
            if row.index < expected || row.index >= end {
                bail!(
                    "asked for entries {next}..{end}, the source answered entry {}",
                    row.index
                );
            }
            if row.index > expected {
                if let Some(db) = db.as_mut() {
                    db.gap(&mut v.findings, expected, row.index);
                }
            }
            let past = past.as_mut().map(|p| p as &mut dyn PastLog);
            let nodes = v.entry(row.index, &row.bytes, prepared, past)?;
            if let Some(db) = db.as_mut() {
                let key = match v.server_keys_first {
                    true => v.keys.active(Role::Log).map(|r| &r.vkey),
                    false => trusted.as_ref(),
                };
                db.entry(
                    &mut v.findings,
                    row.index,
                    row.stored_leaf.as_deref(),
                    &nodes,
                    &v.tree,
                    key,
                )?;
            }
            expected = row.index + 1;
        }
        if expected < end {
            if let Some(db) = db.as_mut() {
                db.gap(&mut v.findings, expected, end);
            }
        }
        v.scratch.commit()?;
        bar.inc(end - next);
        next = end;
    }
    bar.finish_and_clear();
    Ok(())
}

/// The log key that signs checkpoints at this point of the log.
fn signing_key(v: &Verifier, trusted: Option<&VerifierKey>) -> Option<VerifierKey> {
    if v.server_keys_first {
        v.keys.active(Role::Log).map(|r| r.vkey.clone())
    } else {
        trusted.cloned()
    }
}

/// Checks the latest checkpoint once all its entries are known: the recomputed root, the
/// signature by the log key in use, and that this key is (or descends from) the trusted one.
/// Returns the number of checkpoints checked.
fn check_latest(v: &mut Verifier, latest: &Latest, trusted: Option<&VerifierKey>) -> u64 {
    if v.tree.size() != latest.size || v.tree.root() != latest.root {
        let message = format!(
            "the root recomputed from the {} entries read is {}, but the latest checkpoint (size {}) says {}",
            v.tree.size(),
            hash_to_b64(&v.tree.root()),
            latest.size,
            hash_to_b64(&latest.root)
        );
        v.findings.log(Check::Tree, message);
    }
    if let (true, Some(t)) = (v.server_keys_first, trusted) {
        if !v.keys.log_key_descends_from(t) {
            let registered = v.keys.first_log_key().map_or("none".to_owned(), |k| k.vkey.to_string());
            v.findings.log(
                Check::Checkpoint,
                format!("the trusted log key {t} is not a log key of this log (its first log key: {registered})"),
            );
        }
    }
    let Some(key) = signing_key(v, trusted) else {
        v.findings.log(
            Check::Checkpoint,
            "the log registers no log key to check its checkpoint with",
        );
        return 0;
    };
    match Checkpoint::open(&latest.note, &key) {
        Err(e) => v.findings.log(
            Check::Checkpoint,
            format!("the latest checkpoint does not verify with the log key in use, {key}: {e}"),
        ),
        Ok(cp) if cp.origin != key.name => v.findings.log(
            Check::Checkpoint,
            format!(
                "the checkpoint's origin is {:?}, but the log key is named {:?}",
                cp.origin, key.name
            ),
        ),
        Ok(_) => {}
    }
    1
}

/// Sets the verifier up at the end of a saved checkpoint: its key entries replayed, its
/// signature checked, the log proved to have only grown since, the tree's frontier rebuilt from
/// the last saved entry. `None` when the saved checkpoint cannot be trusted (reported).
fn resume(
    source: &dyn Source,
    v: &mut Verifier,
    saved: &SavedCheckpoint,
    trusted: Option<&VerifierKey>,
    latest: &Latest,
) -> anyhow::Result<Option<Checkpoint>> {
    for e in &saved.key_entries {
        v.saved_key_entry(e.index, e.entry.as_bytes());
    }
    // The key in use at the saved size. Whether it descends from the trusted key (or the
    // trusted key from it, when the log rotated since) is checked with the latest checkpoint.
    let Some(key) = signing_key(v, trusted) else {
        v.findings
            .log(Check::Checkpoint, "the saved checkpoint holds no log key entry");
        return Ok(None);
    };
    let old = match Checkpoint::open(&saved.checkpoint, &key) {
        Ok(cp) if cp.origin == key.name && cp.size > 0 => cp,
        Ok(cp) => {
            v.findings.log(
                Check::Checkpoint,
                format!(
                    "the saved checkpoint (origin {:?}, size {}) is not one of this log's",
                    cp.origin, cp.size
                ),
            );
            return Ok(None);
        }
        Err(e) => {
            v.findings.log(
                Check::Checkpoint,
                format!("the saved checkpoint is refused: it does not verify with log key {key}: {e}"),
            );
            return Ok(None);
        }
    };
    let mut sound = true;
    for e in &saved.key_entries {
        let proof = source.inclusion(e.index, old.size)?;
        if let Err(err) = verify_inclusion(e.index, old.size, &leaf_hash(e.entry.as_bytes()), &proof, &old.root) {
            v.findings.at(
                e.index,
                Check::Tree,
                format!("the saved key entry is not in the saved checkpoint's tree: {err}"),
            );
            sound = false;
        }
    }
    sound &= grew_from(source, v, &old, latest)?;
    sound &= frontier_at(source, v, &old)?;
    Ok(sound.then_some(old))
}

/// The latest checkpoint must extend the saved one (RFC 9162 consistency proof).
fn grew_from(source: &dyn Source, v: &mut Verifier, old: &Checkpoint, latest: &Latest) -> anyhow::Result<bool> {
    if old.size > latest.size {
        v.findings.log(
            Check::Tree,
            format!(
                "the log shrank: the saved checkpoint has size {}, the latest {}",
                old.size, latest.size
            ),
        );
        return Ok(false);
    }
    let proof = if old.size == latest.size {
        Vec::new()
    } else {
        source.consistency(old.size, latest.size)?
    };
    if let Err(e) = verify_consistency(old.size, latest.size, &old.root, &latest.root, &proof) {
        v.findings.log(
            Check::Tree,
            format!(
                "the latest checkpoint (size {}) is not consistent with the saved one (size {}): {e}",
                latest.size, old.size
            ),
        );
        return Ok(false);
    }
    Ok(true)
}

/// Rebuilds the tree's frontier at the saved size from the last saved entry and its inclusion
/// proof (for the last leaf, the proof is the frontier), and takes that entry's time.
fn frontier_at(source: &dyn Source, v: &mut Verifier, old: &Checkpoint) -> anyhow::Result<bool> {
    let last = old.size - 1;
    let rows = source.entries(last, old.size)?;
    let Some(row) = rows.into_iter().find(|r| r.index == last) else {
        v.findings.at(
            last,
            Check::Tree,
            "the last entry of the saved checkpoint cannot be read",
        );
        return Ok(false);
    };
    let proof = source.inclusion(last, old.size)?;
    let range = frontier_from_last(old.size, leaf_hash(&row.bytes), &proof);
    match range.filter(|r| r.root() == old.root) {
        Some(range) => v.tree = range,
        None => {
            v.findings.at(
                last,
                Check::Tree,
                "the entry read as the last of the saved checkpoint is not the one it signed",
            );
            return Ok(false);
        }
    }
    let time = serde_json::from_slice::<serde_json::Value>(&row.bytes)
        .ok()
        .and_then(|e| e["logged_at"].as_str().map(str::to_owned))
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok());
    v.last_logged_at = time.map(|t| t.with_timezone(&chrono::Utc));
    v.since = old.size;
    Ok(true)
}

/// The frontier of a tree of `size` leaves from its last leaf and that leaf's inclusion proof:
/// the proof holds the `trailing_zeros(size)` siblings inside the last perfect subtree, then the
/// other frontier nodes from the smallest up.
fn frontier_from_last(size: u64, leaf: Hash, proof: &[Hash]) -> Option<CompactRange> {
    let inner = size.trailing_zeros() as usize;
    if size == 0 || proof.len() != inner + size.count_ones() as usize - 1 {
        return None;
    }
    let last = proof[..inner].iter().fold(leaf, |acc, left| node_hash(left, &acc));
    let mut nodes: Vec<Hash> = proof[inner..].iter().rev().copied().collect();
    nodes.push(last);
    let frontier = Frontier(frontier_positions(size).into_iter().zip(nodes).collect());
    CompactRange::from_source(size, &frontier).ok()
}

struct Frontier(Vec<((u32, u64), Hash)>);

impl NodeSource for Frontier {
    type Error = ();
    fn node(&self, level: u32, index: u64) -> Result<Hash, ()> {
        self.0
            .iter()
            .find(|(at, _)| *at == (level, index))
            .map(|(_, h)| *h)
            .ok_or(())
    }
}

/// The part of the log an earlier audit checked, for `prev` links that reach into it.
struct Past<'s> {
    source: &'s dyn Source,
    old: Checkpoint,
    latest_size: u64,
    latest_root: Hash,
}

impl Past<'_> {
    /// A checkpoint that came with an answer must be consistent with the latest one.
    fn tie(&self, cp: &Checkpoint) -> Result<(), String> {
        let (a, b) = (self.latest_size, cp.size);
        let result = if a == b {
            verify_consistency(a, b, &self.latest_root, &cp.root, &[])
        } else if a < b {
            let proof = self.source.consistency(a, b).map_err(|e| format!("{e:#}"))?;
            verify_consistency(a, b, &self.latest_root, &cp.root, &proof)
        } else {
            let proof = self.source.consistency(b, a).map_err(|e| format!("{e:#}"))?;
            verify_consistency(b, a, &cp.root, &self.latest_root, &proof)
        };
        result.map_err(|e| format!("its checkpoint (size {b}) is not consistent with the latest (size {a}): {e}"))
    }
}

impl PastLog for Past<'_> {
    fn history(&mut self, item: &str, log_key: Option<&VerifierKey>) -> Result<Vec<(u64, Vec<u8>)>, String> {
        let h = self.source.history(item, self.old.size).map_err(|e| format!("{e:#}"))?;
        let (size, root) = match &h.checkpoint {
            None if h.size == self.old.size => (self.old.size, self.old.root),
            None => return Err(format!("proofs against size {}, asked for {}", h.size, self.old.size)),
            Some(note) => {
                let key = log_key.ok_or("no log key to check the history's checkpoint with")?;
                let cp = Checkpoint::open(note, key)
                    .map_err(|e| format!("the history's checkpoint does not verify: {e}"))?;
                self.tie(&cp)?;
                (cp.size, cp.root)
            }
        };
        let mut out = Vec::new();
        for e in h.entries.into_iter().filter(|e| e.index < self.old.size) {
            verify_inclusion(e.index, size, &leaf_hash(&e.bytes), &e.proof, &root)
                .map_err(|err| format!("entry {} of the history is not in the log: {err}", e.index))?;
            out.push((e.index, e.bytes));
        }
        out.sort_by_key(|(index, _)| *index);
        Ok(out)
    }

    fn may_have_entries(&self, item: &str) -> bool {
        // An error here only means no cheap answer: the item is then taken as new.
        matches!(self.source.has_entries_before(item, self.old.size), Ok(Some(true)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::merkle::{inclusion_proof, MemoryTree};

    #[test]
    fn the_frontier_comes_back_from_the_last_leafs_proof() {
        let leaves: Vec<Hash> = (0..40u8).map(|i| leaf_hash(&[i])).collect();
        for size in 1..=leaves.len() as u64 {
            let tree: MemoryTree = leaves[..size as usize].iter().copied().collect();
            let proof = inclusion_proof(&tree, size - 1, size).unwrap();
            let range = frontier_from_last(size, leaves[size as usize - 1], &proof).unwrap();
            assert_eq!(range.root(), tree.root(), "size {size}");
            let mut grown = range.clone();
            grown.append(leaf_hash(b"next"));
            let mut all: MemoryTree = leaves[..size as usize].iter().copied().collect();
            all.push(leaf_hash(b"next"));
            assert_eq!(grown.root(), all.root(), "size {size} + 1");
            if let Some((_, shorter)) = proof.split_first() {
                assert!(frontier_from_last(size, leaves[0], shorter).is_none(), "size {size}");
            }
        }
    }

    #[test]
    fn log_keys_are_read_from_strings_or_files() {
        let vk = "hwtrace.test/log+09d234c0+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c";
        assert_eq!(load_log_key(vk).unwrap().name, "hwtrace.test/log");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.vkey");
        std::fs::write(&path, format!("{vk}\n")).unwrap();
        assert_eq!(load_log_key(path.to_str().unwrap()).unwrap().to_string(), vk);
        assert!(load_log_key(&vk.replace("09d234c0", "09d234c1")).is_err());
        assert!(load_log_key("/nonexistent/log.vkey").is_err());
    }
}
