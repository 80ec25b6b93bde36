//! The auditor's per-item memory: a private temporary SQLite database on disk (SQLite creates
//! it for the empty file name and deletes it when the connection closes). Item heads, item
//! states, item entries and nonces go here instead of into hash maps, so the audit of a log of
//! any length runs in bounded memory: SQLite keeps a bounded page cache and spills to the file.
//! Writes are grouped into one transaction per page of entries.

use rusqlite::{params, Connection, OptionalExtension};

use crate::crypto::merkle::Hash;
use crate::domain::custody::ItemState;
use crate::domain::event::Generate;
use crate::store::projection::{parse_state, state_json};

/// Page cache of the scratch database, in KiB (SQLite's negative `cache_size`).
const CACHE_KIB: i64 = 16 * 1024;

const SCHEMA: &str = "
CREATE TABLE heads (item TEXT PRIMARY KEY, leaf BLOB NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE item_entries (item TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (item, seq)) WITHOUT ROWID;
CREATE TABLE nonces (key_id TEXT NOT NULL, nonce TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (key_id, nonce)) WITHOUT ROWID;
CREATE TABLE items (
    code TEXT PRIMARY KEY, generator TEXT NOT NULL, waste_code TEXT NOT NULL, mass_g INTEGER NOT NULL,
    hazard_bits INTEGER NOT NULL, form TEXT NOT NULL, label BLOB NOT NULL, state TEXT NOT NULL,
    holder TEXT NOT NULL, created_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, custody TEXT
) WITHOUT ROWID;
CREATE TABLE item_history (item TEXT NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL, event TEXT NOT NULL,
    state TEXT NOT NULL,
    holder TEXT NOT NULL, mass_g INTEGER NOT NULL, treated_g INTEGER, method TEXT, volume_l INTEGER,
    PRIMARY KEY (item, seq)) WITHOUT ROWID;
";

/// The columns of an item, in the order of both the scratch and the service's `items` table.
pub const ITEM_COLUMNS: &str =
    "code, generator, waste_code, mass_g, hazard_bits, form, label, state, holder, created_seq, last_seq, custody";

pub struct Scratch {
    conn: Connection,
}

impl Scratch {
    pub fn new() -> rusqlite::Result<Scratch> {
        let conn = Connection::open("")?;
        conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
        conn.pragma_update(None, "journal_mode", "OFF")?;
        conn.pragma_update(None, "synchronous", "OFF")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Scratch { conn })
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn begin(&self) -> rusqlite::Result<()> {
        self.conn.execute_batch("BEGIN")
    }

    pub fn commit(&self) -> rusqlite::Result<()> {
        self.conn.execute_batch("COMMIT")
    }

    /// The leaf hash and index of the item's newest entry so far.
    pub fn head(&self, item: &str) -> rusqlite::Result<Option<(Hash, u64)>> {
        let row: Option<(Vec<u8>, i64)> = self
            .conn
            .prepare_cached("SELECT leaf, seq FROM heads WHERE item = ?1")?
            .query_row([item], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(row.and_then(|(leaf, seq)| Some((leaf.try_into().ok()?, seq as u64))))
    }

    /// Records entry `seq` (leaf hash `leaf`) as the item's newest.
    pub fn advance(&self, item: &str, leaf: &Hash, seq: u64) -> rusqlite::Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO heads(item, leaf, seq) VALUES (?1, ?2, ?3)
                 ON CONFLICT(item) DO UPDATE SET leaf = excluded.leaf, seq = excluded.seq",
            )?
            .execute(params![item, &leaf[..], seq as i64])?;
        self.conn
            .prepare_cached("INSERT OR IGNORE INTO item_entries(item, seq) VALUES (?1, ?2)")?
            .execute(params![item, seq as i64])?;
        Ok(())
    }

    /// Whether entry `seq` concerns the item (names it in its `prev`).
    pub fn has_entry(&self, item: &str, seq: u64) -> rusqlite::Result<bool> {
        self.conn
            .prepare_cached("SELECT EXISTS(SELECT 1 FROM item_entries WHERE item = ?1 AND seq = ?2)")?
            .query_row(params![item, seq as i64], |r| r.get(0))
    }

    /// Uses `nonce` of `key_id` at `seq`; answers the entry that used it before, if one did.
    pub fn use_nonce(&self, key_id: &str, nonce: &str, seq: u64) -> rusqlite::Result<Option<u64>> {
        let before: Option<i64> = self
            .conn
            .prepare_cached("SELECT seq FROM nonces WHERE key_id = ?1 AND nonce = ?2")?
            .query_row([key_id, nonce], |r| r.get(0))
            .optional()?;
        if before.is_none() {
            self.conn
                .prepare_cached("INSERT INTO nonces(key_id, nonce, seq) VALUES (?1, ?2, ?3)")?
                .execute(params![key_id, nonce, seq as i64])?;
        }
        Ok(before.map(|s| s as u64))
    }

    /// What the replay knows of an item.
    pub fn known(&self, code: &str) -> rusqlite::Result<Known> {
        let custody: Option<Option<String>> = self
            .conn
            .prepare_cached("SELECT custody FROM items WHERE code = ?1")?
            .query_row([code], |r| r.get(0))
            .optional()?;
        Ok(match custody {
            None => Known::Absent,
            Some(None) => Known::Unknown,
            Some(Some(text)) => match parse_state(&text) {
                Ok(s) => Known::State(Box::new(s)),
                Err(_) => Known::Unknown,
            },
        })
    }

    /// The item's row, `None` if no entry created it.
    pub fn row(&self, code: &str) -> rusqlite::Result<Option<ItemRow>> {
        self.conn
            .prepare_cached(&format!("SELECT {ITEM_COLUMNS} FROM items WHERE code = ?1"))?
            .query_row([code], ItemRow::read)
            .optional()
    }

    /// Records a new item as its creating entry made it.
    pub fn create_item(&self, row: &ItemRow) -> rusqlite::Result<()> {
        let sql = format!(
            "INSERT OR REPLACE INTO items({ITEM_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
        );
        self.conn.prepare_cached(&sql)?.execute(params![
            row.code,
            row.generator,
            row.waste_code,
            row.mass_g,
            row.hazard_bits,
            row.form,
            row.label,
            row.state,
            row.holder,
            row.created_seq,
            row.last_seq,
            row.custody
        ])?;
        Ok(())
    }

    /// An existing item's new state, as the rules gave it.
    pub fn update_state(&self, s: &ItemState) -> rusqlite::Result<()> {
        self.conn
            .prepare_cached("UPDATE items SET state = ?2, holder = ?3, last_seq = ?4, custody = ?5 WHERE code = ?1")?
            .execute(params![
                s.code.as_str(),
                s.kind().code(),
                s.holder.as_str(),
                s.last_seq as i64,
                state_json(s)
            ])?;
        Ok(())
    }

    /// The item's state after entry `seq`, logged at `at`, as `projection::record_history`
    /// records it in the service's `item_history`.
    pub fn record_history(&self, s: &ItemState, seq: u64, at: &str, event: &str) -> rusqlite::Result<()> {
        let method = match &s.custody {
            crate::domain::custody::Custody::Treated { method } => Some(method.code()),
            _ => None,
        };
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO item_history(item, seq, at, event, state, holder, mass_g, treated_g, method,
                    volume_l)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                s.code.as_str(),
                seq as i64,
                at,
                event,
                s.kind().code(),
                s.holder.as_str(),
                s.mass.0 as i64,
                s.treated.map(|g| g.0 as i64),
                method,
                s.volume_l
            ])?;
        Ok(())
    }

    /// Entry `seq` concerned the item but its effect could not be judged (an incremental audit
    /// meeting an item from before its checkpoint): its state is unknown from here on.
    pub fn forget_state(&self, code: &str, seq: u64) -> rusqlite::Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE items SET state = '?', holder = '?', last_seq = ?2, custody = NULL WHERE code = ?1",
            )?
            .execute(params![code, seq as i64])?;
        Ok(())
    }
}

/// What the replay knows of an item.
pub enum Known {
    /// No entry created it.
    Absent,
    /// It exists, but an entry whose effect could not be judged concerned it.
    Unknown,
    State(Box<ItemState>),
}

/// An item as a row of [`ITEM_COLUMNS`], in the service's encoding: so the scratch and the
/// service's `items` table compare field by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRow {
    pub code: String,
    pub generator: String,
    pub waste_code: String,
    pub mass_g: i64,
    pub hazard_bits: i64,
    pub form: String,
    pub label: Vec<u8>,
    pub state: String,
    pub holder: String,
    pub created_seq: i64,
    pub last_seq: i64,
    /// The custody state as JSON (`projection::state_json`); `None` while unknown.
    pub custody: Option<String>,
}

impl ItemRow {
    pub fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<ItemRow> {
        Ok(ItemRow {
            code: r.get(0)?,
            generator: r.get(1)?,
            waste_code: r.get(2)?,
            mass_g: r.get(3)?,
            hazard_bits: r.get(4)?,
            form: r.get(5)?,
            label: r.get(6)?,
            state: r.get(7)?,
            holder: r.get(8)?,
            created_seq: r.get(9)?,
            last_seq: r.get(10)?,
            custody: r.get(11)?,
        })
    }

    /// A new item's row: its declared facts, its label and its first state.
    pub fn created(s: &ItemState, g: &Generate, label: &[u8]) -> ItemRow {
        ItemRow {
            code: s.code.to_string(),
            generator: s.generator.to_string(),
            waste_code: g.waste_code.to_string(),
            mass_g: g.mass.0 as i64,
            hazard_bits: i64::from(g.hazards.bits()),
            form: g.form.code().to_owned(),
            label: label.to_vec(),
            state: s.kind().code().to_owned(),
            holder: s.holder.to_string(),
            created_seq: s.created_seq as i64,
            last_seq: s.last_seq as i64,
            custody: Some(state_json(s)),
        }
    }

    /// The fields where `self` (the service's row) differs from `log` (the replay), described.
    pub fn differences(&self, log: &ItemRow) -> Vec<String> {
        let mut out = Vec::new();
        let mut cmp = |name: &str, ours: String, theirs: String| {
            if ours != theirs {
                out.push(format!("{name} is {ours}, the log says {theirs}"));
            }
        };
        cmp("generator", self.generator.clone(), log.generator.clone());
        cmp("waste_code", self.waste_code.clone(), log.waste_code.clone());
        cmp("mass_g", self.mass_g.to_string(), log.mass_g.to_string());
        cmp("hazard_bits", self.hazard_bits.to_string(), log.hazard_bits.to_string());
        cmp("form", self.form.clone(), log.form.clone());
        cmp("label", hex::encode(&self.label), hex::encode(&log.label));
        cmp("created_seq", self.created_seq.to_string(), log.created_seq.to_string());
        cmp("last_seq", self.last_seq.to_string(), log.last_seq.to_string());
        // What an incremental audit could not judge it does not compare.
        if log.custody.is_some() {
            cmp("state", self.state.clone(), log.state.clone());
            cmp("holder", self.holder.clone(), log.holder.clone());
            cmp(
                "custody",
                self.custody.clone().unwrap_or_else(|| "null".into()),
                log.custody.clone().unwrap_or_default(),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::merkle::leaf_hash;
    use crate::domain::custody::{Custody, StateKind};
    use crate::domain::{Grams, ItemCode, Uscc, WasteCode};
    use chrono::TimeZone;

    #[test]
    fn heads_nonces_and_items_round_trip() {
        let s = Scratch::new().unwrap();
        s.begin().unwrap();
        assert_eq!(s.head("A").unwrap(), None);
        s.advance("A", &leaf_hash(b"1"), 1).unwrap();
        s.advance("A", &leaf_hash(b"2"), 2).unwrap();
        assert_eq!(s.head("A").unwrap(), Some((leaf_hash(b"2"), 2)));
        assert_eq!(s.use_nonce("k", "n", 5).unwrap(), None);
        assert_eq!(s.use_nonce("k", "n", 6).unwrap(), Some(5));
        assert_eq!(s.use_nonce("k2", "n", 7).unwrap(), None);
        let u = Uscc::parse("91500110MA5U8F4X2N").unwrap();
        let code = ItemCode::parse("91500110MA5U8F4X2N9002490820261128001").unwrap();
        let item = ItemState {
            code: code.clone(),
            generator: u.clone(),
            waste_code: WasteCode::from_trusted_digits(*b"90024908"),
            holder: u.clone(),
            custody: Custody::Stored,
            manifest: None,
            storage_place: "库".into(),
            mass: Grams(12),
            declared: Grams(12),
            weighed: None,
            weighed_by: None,
            accepted: None,
            refused: Grams(0),
            lost: Grams(0),
            treated: None,
            volume_l: None,
            inputs: Vec::new(),
            outputs: Vec::new(),
            discrepancy: None,
            created_seq: 4,
            last_seq: 4,
            last_at: chrono::Utc.with_ymd_and_hms(2026, 11, 28, 0, 30, 0).unwrap(),
            state_since: chrono::Utc.with_ymd_and_hms(2026, 11, 28, 1, 0, 0).unwrap(),
        };
        assert!(matches!(s.known(code.as_str()).unwrap(), Known::Absent));
        let row = ItemRow {
            code: code.to_string(),
            generator: u.to_string(),
            waste_code: "900-249-08".into(),
            mass_g: 12,
            hazard_bits: 5,
            form: "liquid".into(),
            label: vec![1, 2, 3],
            state: "stored".into(),
            holder: u.to_string(),
            created_seq: 4,
            last_seq: 4,
            custody: Some(state_json(&item)),
        };
        s.create_item(&row).unwrap();
        let Known::State(back) = s.known(code.as_str()).unwrap() else {
            panic!()
        };
        assert_eq!(*back, item);
        let mut lost = item.clone();
        lost.custody = Custody::Lost;
        lost.last_seq = 9;
        s.update_state(&lost).unwrap();
        let Known::State(back) = s.known(code.as_str()).unwrap() else {
            panic!()
        };
        assert_eq!((back.kind(), back.last_seq), (StateKind::Lost, 9));
        s.forget_state(code.as_str(), 10).unwrap();
        assert!(matches!(s.known(code.as_str()).unwrap(), Known::Unknown));
        s.commit().unwrap();
        let mut other = row.clone();
        other.mass_g = 13;
        assert_eq!(other.differences(&row), vec!["mass_g is 13, the log says 12"]);
        let unknown = ItemRow {
            custody: None,
            state: "?".into(),
            ..row.clone()
        };
        other.mass_g = 12;
        other.state = "treated".into();
        assert!(
            other.differences(&unknown).is_empty(),
            "an unknown state is not compared"
        );
        assert_eq!(other.differences(&row).len(), 1);
    }
}
