//! Reading the custody log for the EPCIS export ([`crate::render::epcis`]): the event entries of a
//! window, parsed as the auditor parses them, and, for items and manifests whose story began
//! before the window, the earlier entries that say who released them, where they arrived and
//! who receives the manifest. Everything the export says comes from log entries; the
//! `item_entries` and `manifests` tables serve only as indexes to find those entries.
//!
//! The export does not verify signatures or proofs: `hwtrace audit` does. It reads a window
//! within the latest checkpoint, so what it exports is covered by a signed checkpoint.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use chrono::{DateTime, NaiveDate, Utc};
use data_encoding::BASE64;
use rusqlite::{params, Connection};
use serde::Deserialize;
use serde_json::Value;

use crate::crypto::dsse::Envelope;
use crate::crypto::label::parse_label_bytes;
use crate::domain::event::{parse_logged_event, Event, EventBody};
use crate::domain::{ItemCode, ManifestNo};
use crate::log::latest_checkpoint;
use crate::render::epcis::{self, Document, EpcisEvent, LoggedEvent, Trail, Window, MAX_EXPORT_ENTRIES};
use crate::store::{StoreError, StoreResult};

/// The members of an entry the export reads (`docs/log-format.md`); others are ignored.
#[derive(Deserialize)]
struct RawEntry {
    seq: u64,
    logged_at: String,
    prev: BTreeMap<String, String>,
    #[serde(default)]
    envelope: Option<Value>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    labels: Option<Vec<String>>,
    #[serde(default)]
    manifest: Option<String>,
}

/// An event entry, parsed.
#[derive(Debug, Clone)]
pub struct Entry {
    pub seq: u64,
    pub logged_at: DateTime<Utc>,
    pub event: Event,
    pub created: Vec<ItemCode>,
    pub concerned: Vec<ItemCode>,
    pub opened: Option<ManifestNo>,
}

impl Entry {
    pub fn view(&self) -> LoggedEvent<'_> {
        LoggedEvent {
            seq: self.seq,
            logged_at: self.logged_at,
            event: &self.event,
            created: &self.created,
            concerned: &self.concerned,
            opened: self.opened.as_ref(),
        }
    }
}

/// Parses an `event` entry's bytes: the signed event, the items its labels create, the items
/// its `prev` names and, for `manifest_open`, the assigned number.
pub fn parse_entry(bytes: &[u8]) -> Result<Entry, String> {
    let raw: RawEntry = serde_json::from_slice(bytes).map_err(|e| format!("not an entry: {e}"))?;
    let envelope = raw.envelope.as_ref().ok_or("an event entry without an envelope")?;
    let envelope = Envelope::deserialize(envelope).map_err(|e| format!("bad envelope: {e}"))?;
    let payload = envelope.payload_bytes().map_err(|e| format!("bad payload: {e:?}"))?;
    let event = parse_logged_event(&payload).map_err(|r| format!("{}: {}", r.code, r.message))?;
    let created = raw
        .label
        .iter()
        .chain(raw.labels.iter().flatten())
        .map(|b64| label_item(b64))
        .collect::<Result<_, _>>()?;
    let concerned = raw
        .prev
        .keys()
        .map(|c| ItemCode::parse(c).map_err(|r| r.message))
        .collect::<Result<_, _>>()?;
    let opened = raw
        .manifest
        .as_deref()
        .map(|m| ManifestNo::parse(m).map_err(|r| r.message))
        .transpose()?;
    let logged_at = DateTime::parse_from_rfc3339(&raw.logged_at)
        .map_err(|e| format!("bad logged_at: {e}"))?
        .with_timezone(&Utc);
    Ok(Entry {
        seq: raw.seq,
        logged_at,
        event,
        created,
        concerned,
        opened,
    })
}

/// The item code a label (b64 of its 124 bytes) names.
fn label_item(b64: &str) -> Result<ItemCode, String> {
    let bytes = BASE64.decode(b64.as_bytes()).map_err(|_| "a label is not base64")?;
    let (payload, _) = parse_label_bytes(&bytes).map_err(|e| format!("a label does not decode: {e:?}"))?;
    ItemCode::parse(payload.item_code_str()).map_err(|r| r.message)
}

fn corrupt(seq: u64, why: String) -> StoreError {
    StoreError::Other(format!("log entry {seq} cannot be exported: {why}"))
}

fn parse_row(seq: i64, bytes: &[u8]) -> StoreResult<Entry> {
    parse_entry(bytes).map_err(|why| corrupt(seq as u64, why))
}

/// The event entries `from..=to`, in order.
fn read_entries(conn: &Connection, from: u64, to: u64) -> StoreResult<Vec<Entry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, bytes FROM log_entries WHERE seq >= ?1 AND seq <= ?2 AND kind = 'event' ORDER BY seq",
    )?;
    let mut rows = stmt.query(params![from as i64, to as i64])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(parse_row(
            r.get(0)?,
            r.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?,
        )?);
    }
    Ok(out)
}

/// The item's last entry before `before` that is not neutral ([`epcis::is_neutral`]): the one
/// that left its hand-over state as it was when the window began.
fn last_hand_over(conn: &Connection, item: &ItemCode, before: u64) -> StoreResult<Option<Entry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT l.seq, l.bytes FROM item_entries i JOIN log_entries l ON l.seq = i.seq
         WHERE i.item = ?1 AND i.seq < ?2 ORDER BY i.seq DESC",
    )?;
    let mut rows = stmt.query(params![item.as_str(), before as i64])?;
    while let Some(r) = rows.next()? {
        let entry = parse_row(r.get(0)?, r.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?)?;
        if !epcis::is_neutral(&entry.event.body) {
            return Ok(Some(entry));
        }
    }
    Ok(None)
}

/// The `manifest_open` entry of `number`.
fn opening(conn: &Connection, number: &ManifestNo) -> StoreResult<Option<Entry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT l.seq, l.bytes FROM manifests m JOIN log_entries l ON l.seq = m.created_seq WHERE m.number = ?1",
    )?;
    let mut rows = stmt.query(params![number.as_str()])?;
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    let entry = parse_row(r.get(0)?, r.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?)?;
    let opens = matches!(entry.event.body, EventBody::ManifestOpen(_)) && entry.opened.as_ref() == Some(number);
    Ok(opens.then_some(entry))
}

/// The EPCIS events of the entries `from..=to`. `trail` holds what the entries before `from`
/// said, as far as it followed them; what it lacks is looked up, and it ends as the entries
/// left it, so the next window can go on from it.
pub fn events(conn: &Connection, trail: &mut Trail, from: u64, to: u64) -> StoreResult<Vec<EpcisEvent>> {
    let entries = read_entries(conn, from, to)?;
    let (mut items, mut manifests) = (BTreeSet::new(), BTreeSet::new());
    let mut scout = trail.clone();
    for e in &entries {
        let wants = scout.wants(&e.view());
        items.extend(wants.items);
        manifests.extend(wants.manifests);
        scout.record(&e.view());
    }
    for number in &manifests {
        if let Some(e) = opening(conn, number)? {
            trail.record_opened(&e.view());
        }
    }
    for item in &items {
        if let Some(e) = last_hand_over(conn, item, from)? {
            trail.record_item(&e.view(), item);
        }
    }
    let mut out = Vec::new();
    for e in &entries {
        let view = e.view();
        out.extend(epcis::map_entry(&view, &trail.links(&view)));
        trail.record(&view);
    }
    Ok(out)
}

/// The log's origin (the first line of its latest checkpoint) and size.
fn log_head(conn: &Connection) -> StoreResult<(String, u64)> {
    Ok(match latest_checkpoint(conn)? {
        Some(cp) => (cp.note.lines().next().unwrap_or_default().to_owned(), cp.size),
        None => (String::new(), 0),
    })
}

/// The EPCIS document of the entries `from..=to` (see [`epcis::window`] for the defaults and
/// the limit), created at `now`.
pub fn document(conn: &Connection, from: Option<u64>, to: Option<u64>, now: DateTime<Utc>) -> StoreResult<Document> {
    let (origin, size) = log_head(conn)?;
    let window = epcis::window(from, to, size)?;
    let events = match window.to {
        Some(to) => events(conn, &mut Trail::default(), window.from, to)?,
        None => Vec::new(),
    };
    Ok(epcis::document(&origin, window, now, events))
}

/// How many entries the log holds.
pub fn log_size(conn: &Connection) -> StoreResult<u64> {
    let n: i64 = conn.query_row("SELECT COALESCE(MAX(seq) + 1, 0) FROM log_entries", [], |r| r.get(0))?;
    Ok(n as u64)
}

/// The first log index whose entry was logged at or after `t` (the log's size when none was):
/// entries are logged in time order, so a binary search over the indexes finds it.
pub fn first_logged_from(conn: &Connection, t: DateTime<Utc>) -> StoreResult<u64> {
    let size = log_size(conn)?;
    let at = crate::time::rfc3339(t);
    let (mut lo, mut hi) = (0u64, size);
    let mut stmt = conn.prepare_cached("SELECT logged_at FROM log_entries WHERE seq = ?1")?;
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let logged: String = stmt.query_row([mid as i64], |r| r.get(0))?;
        if logged < at {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}

/// The log indexes `from..=to` of the entries logged on the China Standard Time days
/// `since..=until` (`to` is None when there were none).
pub fn days_window(conn: &Connection, since: NaiveDate, until: NaiveDate) -> StoreResult<(u64, Option<u64>)> {
    let from = first_logged_from(conn, crate::service::reconcile::day_start(since))?;
    let end = first_logged_from(
        conn,
        crate::service::reconcile::day_start(until + chrono::Duration::days(1)),
    )?;
    Ok((from, (end > from).then(|| end - 1)))
}

/// Writes one EPCIS document of the entries `from..=to` (default: the whole log), however
/// many: read [`MAX_EXPORT_ENTRIES`] at a time, the events written as they are mapped, so
/// memory stays bounded by a window (and the trail of items followed).
pub fn write_document(
    conn: &Connection,
    from: Option<u64>,
    to: Option<u64>,
    now: DateTime<Utc>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let (origin, size) = log_head(conn)?;
    let from = from.unwrap_or(0);
    if let Some(to) = to.filter(|to| *to < from) {
        anyhow::bail!("--to {to} is below --from {from}");
    }
    let last = size
        .checked_sub(1)
        .map(|end| to.unwrap_or(end).min(end))
        .filter(|t| *t >= from);
    let whole = Window { from, to: last, size };
    let head = serde_json::to_string(&epcis::document(&origin, whole, now, Vec::new()))?;
    let head = head
        .strip_suffix("[]}}")
        .ok_or_else(|| anyhow::anyhow!("the document does not end with its event list"))?;
    out.write_all(head.as_bytes())?;
    out.write_all(b"[")?;
    let mut trail = Trail::default();
    let mut first = true;
    let mut start = from;
    while let Some(last) = last.filter(|l| start <= *l) {
        let end = last.min(start + MAX_EXPORT_ENTRIES - 1);
        for ev in events(conn, &mut trail, start, end)? {
            if !first {
                out.write_all(b",")?;
            }
            first = false;
            serde_json::to_writer(&mut *out, &ev)?;
        }
        start = end + 1;
    }
    out.write_all(b"]}}\n")?;
    Ok(())
}
