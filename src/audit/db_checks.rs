//! `--db` only: the tables the service keeps beside the log must say what the log says, so that
//! a row changed behind the service's back (tamper evidence) or by a bug is found.
//!
//! During the pass over the entries: each `log_entries.leaf_hash` against the hash of its bytes,
//! each stored tree node (`log_nodes`) as it is recomputed, and each `checkpoints` row when the
//! recomputed tree reaches its size. After it: the keys, the items, the item entries and the
//! nonces against the replay, in both directions (a row the log does not explain is found too).
//! Every query is a point lookup or an ordered scan: memory stays bounded.
//!
//! Nodes and checkpoint roots are compared with two recomputed trees: one over the hashes of the
//! entries' bytes, one over the stored `leaf_hash` column. A row that matches either is not
//! reported, so one changed entry or leaf hash is reported once, at its entry, instead of again
//! at every node and checkpoint above it; a row that matches neither was changed itself. (That
//! the bytes and the stored leaves agree is checked entry by entry, and that the signed roots
//! agree with the bytes is the audit's main check, so nothing escapes.)

use std::collections::{HashSet, VecDeque};

use rusqlite::{params, Connection, OptionalExtension};

use super::keys::{KeyBook, KeyRecord, Role};
use super::replay::Manifests;
use super::report::{Check, Findings};
use super::scratch::{ItemRow, Scratch, ITEM_COLUMNS};
use crate::crypto::keys::VerifierKey;
use crate::crypto::merkle::{CompactRange, Hash, NewNode};
use crate::crypto::note::Checkpoint;

/// One `checkpoints` row.
struct CheckpointRow {
    size: u64,
    root: Vec<u8>,
    note: String,
}

pub struct DbChecks<'c> {
    conn: &'c Connection,
    /// The tree over the stored `leaf_hash` column.
    stored: CompactRange,
    /// Checks of nodes and checkpoints stop at a gap in `log_entries`: past it, the recomputed
    /// tree no longer lines up with the stored one, and every comparison would fail.
    in_step: bool,
    /// The rows for sizes in the current page.
    checkpoints: VecDeque<CheckpointRow>,
    pub checkpoints_checked: u64,
    /// Checkpoints past the first one whose signed root matches no recomputed root.
    diverged: Option<(u64, u64)>,
}

impl<'c> DbChecks<'c> {
    /// Checks that start where `tree` (the verified tree so far) ends.
    pub fn new(conn: &'c Connection, tree: &CompactRange) -> DbChecks<'c> {
        DbChecks {
            conn,
            stored: tree.clone(),
            in_step: true,
            checkpoints: VecDeque::new(),
            checkpoints_checked: 0,
            diverged: None,
        }
    }

    /// Loads the `checkpoints` rows of sizes `after+1 ..= upto`.
    pub fn load_checkpoints(&mut self, after: u64, upto: u64) -> rusqlite::Result<()> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT size, root, note FROM checkpoints WHERE size > ?1 AND size <= ?2 ORDER BY size")?;
        let rows = stmt.query_map(params![after as i64, upto as i64], |r| {
            Ok(CheckpointRow {
                size: r.get::<_, i64>(0)? as u64,
                root: r.get(1)?,
                note: r.get(2)?,
            })
        })?;
        self.checkpoints = rows.collect::<rusqlite::Result<_>>()?;
        Ok(())
    }

    /// Entries `from..to` have no row.
    pub fn gap(&mut self, f: &mut Findings, from: u64, to: u64) {
        let what = if to - from == 1 {
            format!("entry {from} is missing from log_entries")
        } else {
            format!("entries {from}..{} are missing from log_entries", to - 1)
        };
        f.at(from, Check::Database, what);
        if self.in_step {
            f.at(
                from,
                Check::Database,
                "tree node and checkpoint rows are not compared past this gap",
            );
            self.in_step = false;
        }
    }

    /// After entry `index` was appended to `tree`: its stored leaf hash, the nodes the append
    /// completed (`nodes[0]` is the leaf), and the checkpoint row of the new size, if any, which
    /// must be signed by `log_key`, the log key in use at that size.
    pub fn entry(
        &mut self,
        f: &mut Findings,
        index: u64,
        stored_leaf: Option<&[u8]>,
        nodes: &[NewNode],
        tree: &CompactRange,
        log_key: Option<&VerifierKey>,
    ) -> rusqlite::Result<()> {
        let Some(&(_, _, leaf)) = nodes.first() else {
            return Ok(());
        };
        let stored_leaf: Hash = stored_leaf.and_then(|s| s.try_into().ok()).unwrap_or(leaf);
        if stored_leaf != leaf {
            f.at(
                index,
                Check::Database,
                format!(
                    "log_entries.leaf_hash is {}, but the entry's bytes hash to {}",
                    hex::encode(stored_leaf),
                    hex::encode(leaf)
                ),
            );
        }
        if !self.in_step {
            return Ok(());
        }
        let stored_nodes = self.stored.append(stored_leaf);
        for ((level, idx, hash), (_, _, from_stored)) in nodes.iter().zip(&stored_nodes).skip(1) {
            self.node(f, index, *level, *idx, [hash, from_stored])?;
        }
        let size = tree.size();
        while self.checkpoints.front().is_some_and(|c| c.size <= size) {
            let Some(row) = self.checkpoints.pop_front() else { break };
            if row.size == size {
                self.checkpoint(f, &row, [&tree.root(), &self.stored.root()], log_key);
            }
        }
        Ok(())
    }

    /// A stored node must be one of the two recomputed ones.
    fn node(&self, f: &mut Findings, index: u64, level: u32, idx: u64, recomputed: [&Hash; 2]) -> rusqlite::Result<()> {
        let stored: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT hash FROM log_nodes WHERE level = ?1 AND idx = ?2")?
            .query_row(params![level, idx as i64], |r| r.get(0))
            .optional()?;
        let first = idx << level;
        let covers = format!(
            "tree node (level {level}, index {idx}) over entries {first}..{}",
            first + (1u64 << level) - 1
        );
        match stored {
            None => f.at(index, Check::Database, format!("log_nodes lacks the {covers}")),
            Some(s) if recomputed.iter().all(|h| s != h.as_slice()) => f.at(
                index,
                Check::Database,
                format!(
                    "log_nodes holds {} for the {covers}, recomputed {}",
                    hex::encode(s),
                    hex::encode(recomputed[0])
                ),
            ),
            Some(_) => {}
        }
        Ok(())
    }

    /// A checkpoint row: its note verifies, says what the row says, and signs a root of the
    /// entries (either recomputed root).
    fn checkpoint(&mut self, f: &mut Findings, row: &CheckpointRow, roots: [&Hash; 2], log_key: Option<&VerifierKey>) {
        self.checkpoints_checked += 1;
        let index = row.size - 1;
        let what = format!("the checkpoint of size {} (entries 0..{index})", row.size);
        let signed = match log_key.map(|key| (key, Checkpoint::open(&row.note, key))) {
            None => {
                f.at(
                    index,
                    Check::Checkpoint,
                    format!("{what}: no log key is in use to check it"),
                );
                None
            }
            Some((key, Err(e))) => {
                f.at(
                    index,
                    Check::Checkpoint,
                    format!("{what}: its note does not verify with log key {}: {e}", key.key_id),
                );
                None
            }
            Some((key, Ok(cp))) => {
                if cp.size != row.size || cp.origin != key.name {
                    f.at(
                        index,
                        Check::Checkpoint,
                        format!(
                            "{what}: its note says origin {:?} and size {}, expected {:?} and {}",
                            cp.origin, cp.size, key.name, row.size
                        ),
                    );
                }
                if cp.root[..] != row.root[..] {
                    f.at(
                        index,
                        Check::Database,
                        format!(
                            "{what}: its root column is {}, but its note signs {}",
                            hex::encode(&row.root),
                            hex::encode(cp.root)
                        ),
                    );
                }
                Some(cp.root)
            }
        };
        let root = signed.map_or(row.root.clone(), |r| r.to_vec());
        if roots.iter().all(|r| r[..] != root[..]) {
            match &mut self.diverged {
                Some((_, more)) => *more += 1,
                None => {
                    f.at(
                        index,
                        Check::Database,
                        format!(
                            "{what}: it signs root {}, but the entries hash to {}",
                            hex::encode(&root),
                            hex::encode(roots[0])
                        ),
                    );
                    self.diverged = Some((row.size, 0));
                }
            }
        }
    }

    /// The cross-checks after the pass: `size` is the latest checkpoint's, `since` the first
    /// entry checked (only rows from there on are compared, except keys, which are all known).
    pub fn finish(
        &self,
        f: &mut Findings,
        keys: &KeyBook,
        scratch: &Scratch,
        manifests: &Manifests,
        size: u64,
        since: u64,
    ) -> rusqlite::Result<()> {
        if let Some((first, more)) = self.diverged.filter(|(_, more)| *more > 0) {
            f.log(
                Check::Database,
                format!("{more} more checkpoints after the one of size {first} sign roots the entries do not hash to"),
            );
        }
        self.extra_rows(f, size, since)?;
        self.server_keys(f, keys)?;
        self.device_keys(f, keys)?;
        self.items(f, scratch, since)?;
        self.serials(f, scratch)?;
        self.item_entries(f, scratch, since)?;
        self.nonces(f, scratch, since)?;
        self.manifests(f, manifests, since)?;
        self.item_history(f, scratch, since)?;
        Ok(())
    }

    /// `item_history` must hold exactly the states the replay gave each item after each entry
    /// (an incremental audit compares the rows it replayed, and does not look for extra ones).
    fn item_history(&self, f: &mut Findings, scratch: &Scratch, since: u64) -> rusqlite::Result<()> {
        const COLUMNS: &str = "item, seq, at, event, state, holder, mass_g, treated_g, method, volume_l";
        type Row = (
            String,
            i64,
            String,
            String,
            String,
            String,
            i64,
            Option<i64>,
            Option<String>,
            Option<i64>,
        );
        let read = |r: &rusqlite::Row<'_>| -> rusqlite::Result<Row> {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
            ))
        };
        let mut ours = scratch
            .conn()
            .prepare(&format!("SELECT {COLUMNS} FROM item_history ORDER BY item, seq"))?;
        let mut theirs = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM item_history WHERE item = ?1 AND seq = ?2"
        ))?;
        let mut rows = ours.query([])?;
        while let Some(r) = rows.next()? {
            let log = read(r)?;
            match theirs.query_row(params![log.0, log.1], read).optional()? {
                Some(row) if row == log => {}
                Some(row) => f.item(
                    log.1 as u64,
                    &log.0,
                    Check::Database,
                    format!("the item_history row disagrees with the log: the database has {row:?}, the log {log:?}"),
                ),
                None => f.item(
                    log.1 as u64,
                    &log.0,
                    Check::Database,
                    "the item_history table has no row for this entry's effect on the item",
                ),
            }
        }
        if since > 0 {
            return Ok(());
        }
        let mut all = self
            .conn
            .prepare("SELECT item, seq FROM item_history ORDER BY item, seq")?;
        let mut known = scratch
            .conn()
            .prepare("SELECT 1 FROM item_history WHERE item = ?1 AND seq = ?2")?;
        let mut rows = all.query([])?;
        while let Some(r) = rows.next()? {
            let (item, seq): (String, i64) = (r.get(0)?, r.get(1)?);
            if !known.exists(params![item, seq])? {
                f.item(
                    seq as u64,
                    &item,
                    Check::Database,
                    "the item_history table has a row no entry of the log produced",
                );
            }
        }
        Ok(())
    }

    /// Every manifest the log opened has its rows, equal to the log's record (issuer,
    /// transporters, receiver, vehicle, items in order, cancelled or not); every manifest row
    /// opened since `since` was opened by the log.
    fn manifests(&self, f: &mut Findings, manifests: &Manifests, since: u64) -> rusqlite::Result<()> {
        for m in manifests.iter() {
            match crate::store::projection::load_manifest(self.conn, &m.number) {
                Ok(Some(row)) if row == *m => {}
                Ok(Some(row)) => f.log(
                    Check::Database,
                    format!(
                        "the manifests row of {} disagrees with the log: the database has {row:?}, the log {m:?}",
                        m.number
                    ),
                ),
                Ok(None) => f.log(
                    Check::Database,
                    format!(
                        "the log opened manifest {}, but the manifests table has no row for it",
                        m.number
                    ),
                ),
                Err(e) => f.log(
                    Check::Database,
                    format!("the manifests row of {} cannot be read: {e}", m.number),
                ),
            }
        }
        let mut rows = self
            .conn
            .prepare("SELECT number FROM manifests WHERE created_seq >= ?1 ORDER BY number")?;
        let numbers = rows
            .query_map([since as i64], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for n in numbers {
            let known = crate::domain::ManifestNo::parse(&n)
                .ok()
                .is_some_and(|no| manifests.get(&no).is_some());
            if !known {
                f.log(
                    Check::Database,
                    format!("the manifests table has manifest {n}, which the log never opened"),
                );
            }
        }
        Ok(())
    }

    fn extra_rows(&self, f: &mut Findings, size: u64, since: u64) -> rusqlite::Result<()> {
        let (count, first): (i64, Option<i64>) = self.conn.query_row(
            "SELECT count(*), min(seq) FROM log_entries WHERE seq >= ?1",
            [size as i64],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if let Some(first) = first {
            f.at(
                first as u64,
                Check::Database,
                format!("{count} log_entries rows lie beyond the latest checkpoint (size {size})"),
            );
        }
        // A tree of `size` leaves has `size - popcount(size)` perfect nodes above the leaves;
        // every one was looked up during the pass, so any other row is one too many.
        if since == 0 {
            let stored: i64 = self
                .conn
                .query_row("SELECT count(*) FROM log_nodes", [], |r| r.get(0))?;
            let want = size - u64::from(size.count_ones());
            if stored as u64 > want {
                f.log(
                    Check::Database,
                    format!("log_nodes has {stored} rows; a tree of {size} entries has {want} nodes"),
                );
            }
        }
        Ok(())
    }

    pub(crate) fn server_keys(&self, f: &mut Findings, keys: &KeyBook) -> rusqlite::Result<()> {
        let mut seen = HashSet::new();
        let mut stmt = self.conn.prepare(
            "SELECT key_id, role, name, public_key, valid_from, valid_until, revoked_at, log_seq FROM server_keys
             ORDER BY log_seq",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let key_id: String = r.get(0)?;
            let seq = r.get::<_, i64>(7)? as u64;
            let Some(record) = keys.registered_at(seq).filter(|k| k.role != Role::Device) else {
                f.at(
                    seq,
                    Check::Database,
                    format!("server_keys row {key_id} names entry {seq}, which registers no server key"),
                );
                continue;
            };
            seen.insert(seq);
            let row = KeyRow {
                key_id,
                role: r.get(1)?,
                name: r.get(2)?,
                public_key: r.get(3)?,
                from: r.get(4)?,
                until: r.get(5)?,
                revoked_at: r.get(6)?,
                revoke_seq: record.revoked.as_ref().map(|(s, _)| *s as i64),
            };
            let want = KeyRow::server(record);
            report_key_row(f, record, &row, &want, "server_keys");
        }
        for k in keys.records().iter().filter(|k| k.role != Role::Device) {
            if !seen.contains(&k.registered_seq) {
                f.at(
                    k.registered_seq,
                    Check::Database,
                    format!("server_keys has no row for the {} key {}", k.role.code(), k.vkey.key_id),
                );
            }
        }
        Ok(())
    }

    pub(crate) fn device_keys(&self, f: &mut Findings, keys: &KeyBook) -> rusqlite::Result<()> {
        let mut seen = HashSet::new();
        let mut stmt = self.conn.prepare(
            "SELECT id, owner, device, key_id, public_key, registered_at, revoked_at, log_seq, revoke_seq
             FROM device_keys ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (owner, device): (String, String) = (r.get(1)?, r.get(2)?);
            let name = format!("{owner}/{device}");
            let Some(seq) = r.get::<_, Option<i64>>(7)?.map(|s| s as u64) else {
                f.log(
                    Check::Database,
                    format!(
                        "device_keys row {} ({name}) was not registered through the log",
                        r.get::<_, i64>(0)?
                    ),
                );
                continue;
            };
            let Some(record) = keys.registered_at(seq).filter(|k| k.role == Role::Device) else {
                f.at(
                    seq,
                    Check::Database,
                    format!("device_keys row for {name} names entry {seq}, which registers no device key"),
                );
                continue;
            };
            seen.insert(seq);
            let row = KeyRow {
                key_id: r.get(3)?,
                role: "device".into(),
                name,
                public_key: r.get(4)?,
                from: r.get(5)?,
                until: None,
                revoked_at: r.get(6)?,
                revoke_seq: r.get(8)?,
            };
            report_key_row(f, record, &row, &KeyRow::device(record), "device_keys");
        }
        for k in keys.records().iter().filter(|k| k.role == Role::Device) {
            if !seen.contains(&k.registered_seq) {
                f.at(
                    k.registered_seq,
                    Check::Database,
                    format!("device_keys has no row for {} ({})", k.vkey.name, k.vkey.key_id),
                );
            }
        }
        Ok(())
    }

    /// Every replayed item has its row, equal field by field; every row changed since `since`
    /// is a replayed item.
    /// Each `serials` counter is at least the highest serial the log numbered an item with on
    /// its (unit, waste code, day): a lowered counter would hand out a code again (refused as
    /// `item_exists`, or after a restore a code already printed). A higher one is allowed: a
    /// restore raises the counters above every code ever issued (`log::kept`).
    pub(crate) fn serials(&self, f: &mut Findings, scratch: &Scratch) -> rusqlite::Result<()> {
        let mut codes = scratch
            .conn()
            .prepare("SELECT code, created_seq FROM items ORDER BY code")?;
        let mut counter = self
            .conn
            .prepare("SELECT last FROM serials WHERE unit = ?1 AND waste = ?2 AND day = ?3")?;
        let mut rows = codes.query([])?;
        // Codes sorted: one (unit, waste, day) group after another, its highest serial last.
        let mut group: Option<(String, u16, i64)> = None;
        let mut check = |group: &(String, u16, i64)| -> rusqlite::Result<()> {
            let (prefix, serial, seq) = group;
            let (unit, waste, day) = (&prefix[..18], &prefix[18..26], &prefix[26..34]);
            let last: Option<i64> = counter.query_row(params![unit, waste, day], |r| r.get(0)).optional()?;
            if last.unwrap_or(0) < i64::from(*serial) {
                f.item(
                    *seq as u64,
                    &format!("{prefix}{serial:03}"),
                    Check::Database,
                    format!(
                        "serials says the last serial of unit {unit}, waste code {waste} on {day} is {}, below {serial:03}, which the log already numbered: the next item would get a code already issued",
                        last.unwrap_or(0)
                    ),
                );
            }
            Ok(())
        };
        while let Some(r) = rows.next()? {
            let code: String = r.get(0)?;
            let seq: i64 = r.get(1)?;
            let (Some(prefix), Some(serial)) = (code.get(..34), code.get(34..).and_then(|s| s.parse::<u16>().ok()))
            else {
                continue; // a malformed code is reported where the entry is checked
            };
            match &mut group {
                Some(g) if g.0 == prefix => {
                    if serial > g.1 {
                        (g.1, g.2) = (serial, seq);
                    }
                }
                _ => {
                    if let Some(g) = group.take() {
                        check(&g)?;
                    }
                    group = Some((prefix.to_owned(), serial, seq));
                }
            }
        }
        if let Some(g) = group {
            check(&g)?;
        }
        Ok(())
    }

    fn items(&self, f: &mut Findings, scratch: &Scratch, since: u64) -> rusqlite::Result<()> {
        let mut ours = scratch
            .conn()
            .prepare(&format!("SELECT {ITEM_COLUMNS} FROM items ORDER BY code"))?;
        let mut lookup = self
            .conn
            .prepare(&format!("SELECT {ITEM_COLUMNS} FROM items WHERE code = ?1"))?;
        let mut rows = ours.query([])?;
        while let Some(r) = rows.next()? {
            let log = ItemRow::read(r)?;
            let index = log.created_seq as u64;
            let stored = lookup.query_row([&log.code], ItemRow::read).optional();
            match stored {
                Ok(None) => f.item(
                    index,
                    &log.code,
                    Check::Database,
                    "the items table has no row for this item",
                ),
                Ok(Some(row)) => {
                    let diff = row.differences(&log);
                    if !diff.is_empty() {
                        f.item(
                            index,
                            &log.code,
                            Check::Database,
                            format!("the items row disagrees with the log: {}", diff.join("; ")),
                        );
                    }
                }
                Err(e) => f.item(
                    index,
                    &log.code,
                    Check::Database,
                    format!("the items row cannot be read: {e}"),
                ),
            }
        }
        let mut theirs = self
            .conn
            .prepare("SELECT code, created_seq FROM items WHERE created_seq >= ?1 OR last_seq >= ?1 ORDER BY code")?;
        let mut known = scratch.conn().prepare("SELECT 1 FROM items WHERE code = ?1")?;
        let mut rows = theirs.query([since as i64])?;
        while let Some(r) = rows.next()? {
            let code: String = r.get(0)?;
            if !known.exists([&code])? {
                f.item(
                    r.get::<_, i64>(1)? as u64,
                    &code,
                    Check::Database,
                    "the items table has a row for an item the log never generated",
                );
            }
        }
        Ok(())
    }

    /// `item_entries` must list exactly the (item, entry) pairs of the `prev` links.
    fn item_entries(&self, f: &mut Findings, scratch: &Scratch, since: u64) -> rusqlite::Result<()> {
        let pairs = "SELECT item, seq FROM item_entries WHERE seq >= ?1 ORDER BY item, seq";
        let exists = "SELECT 1 FROM item_entries WHERE item = ?1 AND seq = ?2";
        let mut ours = scratch.conn().prepare(pairs)?;
        let mut in_db = self.conn.prepare(exists)?;
        let mut rows = ours.query([since as i64])?;
        while let Some(r) = rows.next()? {
            let (item, seq): (String, i64) = (r.get(0)?, r.get(1)?);
            if !in_db.exists(params![item, seq])? {
                f.item(
                    seq as u64,
                    &item,
                    Check::Database,
                    "item_entries lacks this entry of the item's history",
                );
            }
        }
        let mut theirs = self.conn.prepare(pairs)?;
        let mut in_log = scratch.conn().prepare(exists)?;
        let mut rows = theirs.query([since as i64])?;
        while let Some(r) = rows.next()? {
            let (item, seq): (String, i64) = (r.get(0)?, r.get(1)?);
            if !in_log.exists(params![item, seq])? {
                f.item(
                    seq as u64,
                    &item,
                    Check::Database,
                    "item_entries lists this entry for the item, but the entry's prev does not name it",
                );
            }
        }
        Ok(())
    }

    /// `nonces` must hold exactly the nonces of the envelopes, each with its entry.
    fn nonces(&self, f: &mut Findings, scratch: &Scratch, since: u64) -> rusqlite::Result<()> {
        let all = "SELECT key_id, nonce, seq FROM nonces WHERE seq >= ?1 ORDER BY key_id, nonce";
        let one = "SELECT seq FROM nonces WHERE key_id = ?1 AND nonce = ?2";
        let mut ours = scratch.conn().prepare(all)?;
        let mut in_db = self.conn.prepare(one)?;
        let mut rows = ours.query([since as i64])?;
        while let Some(r) = rows.next()? {
            let (key_id, nonce, seq): (String, String, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
            let stored: Option<i64> = in_db.query_row(params![key_id, nonce], |r| r.get(0)).optional()?;
            if stored != Some(seq) {
                f.at(
                    seq as u64,
                    Check::Database,
                    format!(
                        "nonces should record nonce {nonce:?} of key {key_id} at this entry; it records {}",
                        stored.map_or("nothing".to_owned(), |s| format!("entry {s}"))
                    ),
                );
            }
        }
        let mut theirs = self.conn.prepare(all)?;
        let mut in_log = scratch.conn().prepare(one)?;
        let mut rows = theirs.query([since as i64])?;
        while let Some(r) = rows.next()? {
            let (key_id, nonce, seq): (String, String, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
            if in_log
                .query_row(params![key_id, nonce], |r| r.get::<_, i64>(0))
                .optional()?
                .is_none()
            {
                f.at(
                    seq as u64,
                    Check::Database,
                    format!("nonces records nonce {nonce:?} of key {key_id}, which no envelope of the log used"),
                );
            }
        }
        Ok(())
    }
}

/// A key as a table row says it, or as the log says it should be.
#[derive(Debug, PartialEq, Eq)]
struct KeyRow {
    key_id: String,
    role: String,
    name: String,
    public_key: Vec<u8>,
    from: String,
    until: Option<String>,
    revoked_at: Option<String>,
    revoke_seq: Option<i64>,
}

impl KeyRow {
    fn server(k: &KeyRecord) -> KeyRow {
        KeyRow {
            until: k.superseded.as_ref().map(|(_, t)| t.clone()),
            ..KeyRow::device(k)
        }
    }

    fn device(k: &KeyRecord) -> KeyRow {
        KeyRow {
            key_id: k.vkey.key_id.to_hex(),
            role: k.role.code().to_owned(),
            name: k.vkey.name.clone(),
            public_key: k.vkey.public_key.as_bytes().to_vec(),
            from: k.registered_at.clone(),
            until: None,
            revoked_at: k.revoked.as_ref().map(|(_, t)| t.clone()),
            revoke_seq: k.revoked.as_ref().map(|(s, _)| *s as i64),
        }
    }
}

fn report_key_row(f: &mut Findings, record: &KeyRecord, row: &KeyRow, want: &KeyRow, table: &str) {
    let mut diff = Vec::new();
    let mut cmp = |field: &str, ours: String, log: String| {
        if ours != log {
            diff.push(format!("{field} is {ours}, the log says {log}"));
        }
    };
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "NULL".into());
    cmp("key_id", row.key_id.clone(), want.key_id.clone());
    cmp("role", row.role.clone(), want.role.clone());
    cmp("name", row.name.clone(), want.name.clone());
    cmp(
        "public_key",
        hex::encode(&row.public_key),
        hex::encode(&want.public_key),
    );
    cmp("valid_from", row.from.clone(), want.from.clone());
    cmp("valid_until", opt(&row.until), opt(&want.until));
    cmp("revoked_at", opt(&row.revoked_at), opt(&want.revoked_at));
    cmp(
        "revoke_seq",
        format!("{:?}", row.revoke_seq),
        format!("{:?}", want.revoke_seq),
    );
    if !diff.is_empty() {
        f.at(
            record.registered_seq,
            Check::Database,
            format!(
                "the {table} row of {} ({}) disagrees with the log: {}",
                record.vkey.name,
                record.vkey.key_id,
                diff.join("; ")
            ),
        );
    }
}
