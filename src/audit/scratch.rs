//! The auditor's per-item memory: a private temporary SQLite database on disk (SQLite creates
//! it for the empty file name and deletes it when the connection closes). Item heads, item
//! states, item entries and nonces go here instead of into hash maps, so the audit of a log of
//! any length runs in bounded memory: SQLite keeps a bounded page cache and spills to the file.
//! Writes are grouped into one transaction per page of entries.

use rusqlite::{params, Connection, OptionalExtension};

use super::replay::{Custody, ItemState};
use crate::crypto::merkle::Hash;
use crate::domain::waste::waste_digits;
use crate::domain::{Grams, HazardSet, PhysicalForm, Uscc, WasteCode};

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
    holder TEXT NOT NULL, created_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL
) WITHOUT ROWID;
";

/// The columns of an item, in the order of both the scratch and the service's `items` table.
pub const ITEM_COLUMNS: &str =
    "code, generator, waste_code, mass_g, hazard_bits, form, label, state, holder, created_seq, last_seq";

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

    pub fn item(&self, code: &str) -> rusqlite::Result<Option<ItemState>> {
        let sql = format!("SELECT {ITEM_COLUMNS} FROM items WHERE code = ?1");
        let row = self
            .conn
            .prepare_cached(&sql)?
            .query_row([code], |r| Ok(ItemRow::read(r)))
            .optional()?;
        Ok(row.transpose()?.and_then(ItemRow::state))
    }

    pub fn put_item(&self, s: &ItemState) -> rusqlite::Result<()> {
        let sql = format!(
            "INSERT INTO items({ITEM_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT(code) DO UPDATE SET generator = excluded.generator, waste_code = excluded.waste_code,
                mass_g = excluded.mass_g, hazard_bits = excluded.hazard_bits, form = excluded.form,
                label = excluded.label, state = excluded.state, holder = excluded.holder,
                created_seq = excluded.created_seq, last_seq = excluded.last_seq"
        );
        let row = ItemRow::of(s);
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
            row.last_seq
        ])?;
        Ok(())
    }
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
        })
    }

    pub fn of(s: &ItemState) -> ItemRow {
        ItemRow {
            code: s.code.clone(),
            generator: s.generator.to_string(),
            waste_code: s.waste.to_string(),
            mass_g: s.mass.0 as i64,
            hazard_bits: i64::from(s.hazards.bits()),
            form: s.form.code().to_owned(),
            label: s.label.clone(),
            state: s.custody.code().to_owned(),
            holder: s.holder.to_string(),
            created_seq: s.created_seq as i64,
            last_seq: s.last_seq as i64,
        }
    }

    /// Back to a state; `None` if the row holds what no state can (only the auditor writes
    /// the scratch, so that would be a bug, and the item is then treated as unknown).
    fn state(self) -> Option<ItemState> {
        let bits = u8::try_from(self.hazard_bits).ok()?;
        Some(ItemState {
            generator: Uscc::parse(&self.generator).ok()?,
            waste: WasteCode::from_trusted_digits(waste_digits(&self.waste_code).ok()?),
            mass: Grams(u64::try_from(self.mass_g).ok()?),
            hazards: HazardSet::from_bits(bits).ok()?,
            form: PhysicalForm::parse(&self.form).ok()?,
            label: self.label,
            custody: Custody::parse(&self.state)?,
            holder: Uscc::parse(&self.holder).ok()?,
            created_seq: u64::try_from(self.created_seq).ok()?,
            last_seq: u64::try_from(self.last_seq).ok()?,
            code: self.code,
        })
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
        cmp("state", self.state.clone(), log.state.clone());
        cmp("holder", self.holder.clone(), log.holder.clone());
        cmp("created_seq", self.created_seq.to_string(), log.created_seq.to_string());
        cmp("last_seq", self.last_seq.to_string(), log.last_seq.to_string());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::merkle::leaf_hash;

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
        let item = ItemState {
            code: "C".into(),
            generator: Uscc::parse("91500110MA5U8F4X2N").unwrap(),
            waste: WasteCode::from_trusted_digits(*b"90024908"),
            mass: Grams(12),
            hazards: HazardSet::from_bits(5).unwrap(),
            form: PhysicalForm::Liquid,
            label: vec![1, 2, 3],
            custody: Custody::Stored,
            holder: Uscc::parse("91500110MA5U8F4X2N").unwrap(),
            created_seq: 4,
            last_seq: 4,
        };
        s.put_item(&item).unwrap();
        s.commit().unwrap();
        assert_eq!(s.item("C").unwrap(), Some(item.clone()));
        let mut row = ItemRow::of(&item);
        row.mass_g = 13;
        assert_eq!(
            row.differences(&ItemRow::of(&item)),
            vec!["mass_g is 13, the log says 12"]
        );
    }
}
