//! Reading the log as its public endpoints serve it (SPEC §5.4): a range of entries as NDJSON,
//! one item's entries, each with its inclusion proof against a tree size, and the entry that
//! used a device's nonce (for a device that lost the answer to what it sent).

use rusqlite::{params, Connection, OptionalExtension};

use super::DbNodes;
use crate::crypto::merkle::{inclusion_proof, Hash};
use crate::store::{StoreError, StoreResult};

/// Entries `start..end` (the caller checked the range), one entry's exact bytes per line.
pub fn entries_ndjson(conn: &Connection, start: u64, end: u64) -> StoreResult<Vec<u8>> {
    let mut stmt = conn.prepare_cached("SELECT bytes FROM log_entries WHERE seq >= ?1 AND seq < ?2 ORDER BY seq")?;
    let mut rows = stmt.query(params![start as i64, end as i64])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.extend_from_slice(r.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?);
        out.push(b'\n');
    }
    Ok(out)
}

/// One entry of an item's history: its index, its bytes, and its inclusion proof.
pub struct ProvedEntry {
    pub seq: u64,
    pub entry: String,
    pub proof: Vec<Hash>,
}

/// The first `limit` entries concerning `item` within a tree of `size` entries, in log order,
/// each with its inclusion proof against that size.
pub fn item_entries(conn: &Connection, item: &str, size: u64, limit: usize) -> StoreResult<Vec<ProvedEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.seq, e.bytes FROM item_entries i JOIN log_entries e ON e.seq = i.seq
         WHERE i.item = ?1 AND e.seq < ?2 ORDER BY e.seq LIMIT ?3",
    )?;
    let rows = stmt
        .query_map(params![item, size as i64, limit as i64], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(seq, bytes)| {
            let proof = inclusion_proof(&DbNodes(conn), seq, size).map_err(|e| StoreError::Other(format!("{e:?}")))?;
            let entry = String::from_utf8(bytes).map_err(|e| StoreError::Other(e.to_string()))?;
            Ok(ProvedEntry { seq, entry, proof })
        })
        .collect()
}

/// The entry that used a device key's nonce: an accepted event, or an event the rules
/// refused (logged as a `refusal` entry, with the refusal the device was answered with).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NonceUse {
    pub index: u64,
    /// `event` or `refusal`.
    pub kind: String,
    /// A `refusal` entry's `{"error", "message", "message_zh"}`; null for an event.
    pub refusal: Option<serde_json::Value>,
}

/// The entry that used nonce `nonce` of the device key `key_id` (8 hex digits), if any.
pub fn nonce_use(conn: &Connection, key_id: &str, nonce: &str) -> StoreResult<Option<NonceUse>> {
    let found: Option<(i64, String, Vec<u8>)> = conn
        .prepare_cached(
            "SELECT e.seq, e.kind, e.bytes FROM nonces n JOIN log_entries e ON e.seq = n.seq
             WHERE n.key_id = ?1 AND n.nonce = ?2",
        )?
        .query_row(params![key_id, nonce], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((seq, kind, bytes)) = found else {
        return Ok(None);
    };
    // Only the refusal is read out of the entry; its bytes stay as they are.
    let refusal = if kind == "refusal" {
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("refusal").cloned())
    } else {
        None
    };
    Ok(Some(NonceUse {
        index: seq as u64,
        kind,
        refusal,
    }))
}
