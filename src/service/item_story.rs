//! An item's history as people read it (issue 10, the item page): every log entry that
//! concerns the item, in log order, with what it was (the event type), who signed it (the
//! enterprise, with its name, and the device, with the key IDs of the signatures), when (the
//! device's signed time and the logged time), what it left the item as (state, holder, mass,
//! from `item_history`) and what it states (masses, decision, manifest, the party released to,
//! reasons). Read from the entries themselves and the `item_history` projection; the
//! verifiable form of the same history, with inclusion proofs, is
//! `GET /api/v1/items/{code}/history`. Read-only.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::ItemCode;
use crate::service::reports::{parse_logged, Logged};
use crate::store::StoreResult;

/// Most entries one item's story lists (its first ones).
pub const MAX_STORY_ENTRIES: usize = 10_000;

/// An enterprise named in the story: its code and names.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Party {
    pub uscc: String,
    /// "" when the enterprise is not registered.
    pub name_zh: String,
    pub name_en: Option<String>,
}

/// The masses an entry states (grams), each only where the event states it.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct StatedMasses {
    /// Declared at generation (of this item).
    pub declared_g: Option<u64>,
    pub weighed_g: Option<u64>,
    pub accepted_g: Option<u64>,
    pub refused_g: Option<u64>,
    pub treated_g: Option<u64>,
    pub lost_g: Option<u64>,
}

/// One entry of the item's story.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StoryEntry {
    /// The entry's log index.
    pub index: u64,
    /// When the log recorded it (RFC 3339 UTC).
    pub logged_at: String,
    /// The event type (a code of the reference list `event_types`).
    #[serde(rename = "type")]
    pub event_type: String,
    /// The enterprise that signed it.
    pub actor: Party,
    /// Its device's name (the key `<actor>/<device>`).
    pub device: String,
    /// The key IDs of the envelope's signatures, the actor's device first.
    pub key_ids: Vec<String>,
    /// The device's signed time (RFC 3339 with the device's offset).
    pub at: String,
    /// The item's custody state, holder and mass (grams) after the entry.
    pub state: Option<String>,
    pub holder: Option<Party>,
    pub mass_g: Option<u64>,
    /// The treatment method (a code of `treatment_methods`), once treated.
    pub method: Option<String>,
    /// The manifest the entry concerns.
    pub manifest: Option<String>,
    /// The party a `release` names.
    pub to: Option<Party>,
    /// The receiver's decision (`receive_decisions`).
    pub decision: Option<String>,
    /// The incident's kind (`incident_kinds`).
    pub incident_kind: Option<String>,
    pub masses: StatedMasses,
    /// The storage place the entry gives the item.
    pub storage_place: Option<String>,
    /// The reason, description or explanation the event gives.
    pub note: Option<String>,
    /// The items the entry creates other than this one (residues, a consolidation's output,
    /// a split's outputs, a refused part).
    pub created: Vec<String>,
    /// The items this one was made from, when the entry creates it.
    pub inputs: Vec<String>,
    /// For a `correction`: the entry it corrects, the field and the new value.
    pub corrects: Option<u64>,
    pub field: Option<String>,
    pub new_value: Option<Value>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemStory {
    pub item: String,
    /// In log order, at most [`MAX_STORY_ENTRIES`].
    pub entries: Vec<StoryEntry>,
}

/// Enterprises' names, looked up once each.
struct Names<'c> {
    conn: &'c Connection,
    known: HashMap<String, Party>,
}

impl Names<'_> {
    fn of(&mut self, uscc: &str) -> StoreResult<Party> {
        if let Some(p) = self.known.get(uscc) {
            return Ok(p.clone());
        }
        let row: Option<(String, Option<String>)> = self
            .conn
            .prepare_cached("SELECT name_zh, name_en FROM enterprises WHERE uscc = ?1")?
            .query_row([uscc], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (name_zh, name_en) = row.unwrap_or_default();
        let p = Party {
            uscc: uscc.to_owned(),
            name_zh,
            name_en,
        };
        self.known.insert(uscc.to_owned(), p.clone());
        Ok(p)
    }
}

fn grams(v: Option<&Value>) -> Option<u64> {
    v.and_then(Value::as_u64)
}

fn text(p: &Value, key: &str) -> Option<String> {
    p.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// What the event `e` states about `item`.
fn stated(e: &Logged, item: &str) -> (StatedMasses, Vec<String>) {
    let p = &e.payload;
    let mut m = StatedMasses::default();
    let created_here = e.created.iter().any(|c| c == item);
    let mut inputs = Vec::new();
    match e.kind.as_str() {
        "generate" | "consolidate" | "split" if created_here => {
            m.declared_g = grams(e.generate_body(item).and_then(|b| b.get("mass_g")));
            inputs = match e.kind.as_str() {
                "generate" | "consolidate" => strings(p.get("inputs")),
                _ => text(p, "input").into_iter().collect(),
            };
        }
        "weigh" => m.weighed_g = grams(p.get("weighed_mass_g")),
        "receive" if created_here => {
            // The refused part of a partial refusal: made of the item received.
            m.declared_g = grams(p.get("refused_mass_g"));
            inputs = text(p, "item").into_iter().collect();
        }
        "receive" => {
            m.accepted_g = grams(p.get("accepted_mass_g"));
            m.refused_g = grams(p.get("refused_mass_g"));
        }
        "treat" => m.treated_g = grams(p.get("treated_mass_g")),
        "incident" => m.lost_g = grams(p.get("lost_mass_g")),
        _ => {}
    }
    (m, inputs)
}

/// The story of `code`: its entries in log order (none when the log has none).
pub fn item_story(conn: &Connection, code: &ItemCode) -> StoreResult<ItemStory> {
    let item = code.to_string();
    type Row = (
        i64,
        Vec<u8>,
        String,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
    );
    let rows: Vec<Row> = conn
        .prepare_cached(
            "SELECT e.seq, e.bytes, e.logged_at, h.state, h.holder, h.mass_g, h.method
             FROM item_entries i JOIN log_entries e ON e.seq = i.seq
             LEFT JOIN item_history h ON h.item = i.item AND h.seq = i.seq
             WHERE i.item = ?1 ORDER BY e.seq LIMIT ?2",
        )?
        .query_map(params![item, MAX_STORY_ENTRIES as i64], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut names = Names {
        conn,
        known: HashMap::new(),
    };
    let mut entries = Vec::with_capacity(rows.len());
    for (seq, bytes, logged_at, state, holder, mass_g, method) in rows {
        let seq = seq.max(0) as u64;
        let e = parse_logged(seq, &bytes)?;
        let (masses, inputs) = stated(&e, &item);
        let p = &e.payload;
        let note = ["reason", "description", "text"].iter().find_map(|k| text(p, k));
        entries.push(StoryEntry {
            index: seq,
            logged_at,
            event_type: e.kind.clone(),
            actor: names.of(&e.actor)?,
            device: e.device.clone(),
            key_ids: e.key_ids.clone(),
            at: e.device_at.clone(),
            state,
            holder: holder.map(|h| names.of(&h)).transpose()?,
            mass_g: mass_g.map(|g| g.max(0) as u64),
            method: method.or_else(|| text(p, "method")),
            manifest: e.manifest.clone(),
            to: e.to.as_deref().map(|t| names.of(t)).transpose()?,
            decision: text(p, "decision"),
            incident_kind: (e.kind == "incident").then(|| text(p, "kind")).flatten(),
            masses,
            storage_place: e.storage_place(&item),
            note,
            created: e.created.iter().filter(|c| **c != item).cloned().collect(),
            inputs,
            corrects: p.get("corrects").and_then(Value::as_u64),
            field: (e.kind == "correction").then(|| text(p, "field")).flatten(),
            new_value: (e.kind == "correction").then(|| p.get("new_value").cloned()).flatten(),
        });
    }
    Ok(ItemStory { item, entries })
}
