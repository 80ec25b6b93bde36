//! The part of checking an entry that does not depend on the entries before it (hashing,
//! parsing, and the signature checks), done for a page of entries at once on several threads.
//!
//! Which keys a signature must verify with does depend on the entries before it. Here each
//! signature is checked with the keys in force when the page began; the sequential pass
//! ([`super::verify`]) reuses an outcome only if the keys it picks at the entry are the very same
//! public keys (they are, unless a key entry in between changed them) and checks again
//! otherwise. So the result is exactly that of checking one entry at a time, only sooner.

use std::collections::BTreeMap;
use std::thread;

use data_encoding::BASE64;
use serde::Deserialize;
use serde_json::Value;

use super::keys::{KeyBook, LabelKey};
use super::replay;
use super::source::Row;
use crate::crypto::dsse::{DsseError, Envelope, Verified};
use crate::crypto::keys::KeyId;
use crate::crypto::label::{self, LabelPayload, SIG_LEN};
use crate::crypto::merkle::{leaf_hash, Hash};
use crate::domain::event::Event;

/// Most threads a page is prepared on.
pub const MAX_THREADS: usize = 16;
/// Pages smaller than this are prepared on the calling thread.
const MIN_PARALLEL_ROWS: usize = 64;

/// An entry's members as the auditor reads them (SPEC §5.1). Other members are allowed.
#[derive(Deserialize)]
pub struct RawEntry {
    pub seq: u64,
    pub logged_at: String,
    pub kind: String,
    pub prev: BTreeMap<String, String>,
    #[serde(default)]
    pub envelope: Option<Value>,
    #[serde(default)]
    pub label: Option<String>,
    /// The labels of a split's outputs, in order.
    #[serde(default)]
    pub labels: Option<Vec<String>>,
    /// For a `manifest_open`: the number the service assigned.
    #[serde(default)]
    pub manifest: Option<String>,
    /// The registry facts the rules judged by (`domain::custody::Facts`).
    #[serde(default)]
    pub facts: Option<Value>,
    #[serde(default)]
    pub key: Option<Value>,
    /// For a `refusal` entry: `{"error", "message", "message_zh"}`.
    #[serde(default)]
    pub refusal: Option<Value>,
}

/// An entry, hashed and parsed.
pub struct Prepared {
    pub leaf: Hash,
    /// Whether the JSON text has no whitespace outside strings.
    pub compact: bool,
    pub raw: Result<RawEntry, String>,
    /// For an `event` or `refusal` entry.
    pub event: Option<PreparedEvent>,
}

pub struct PreparedEvent {
    /// `None`: the entry has no envelope.
    pub envelope: Option<Result<Envelope, String>>,
    /// The signed event, when the envelope parsed.
    pub event: Option<Result<Event, String>>,
    /// The signatures checked with the keys in force at the page's start.
    pub dsse: Option<Guess<Result<Verified, DsseError>>>,
    /// The labels the entry issues (its `label`, then its `labels`).
    pub labels: Vec<PreparedLabel>,
}

/// An outcome and the public keys it was reached with.
pub struct Guess<T> {
    pub keys: Vec<Option<[u8; 32]>>,
    pub outcome: T,
}

pub struct PreparedLabel {
    /// The decoded bytes (empty if not base64).
    pub bytes: Vec<u8>,
    pub decoded: Result<(LabelPayload, [u8; SIG_LEN]), String>,
    /// The label key in force at the page's start with the label's key ID, and whether the
    /// signature verifies with it.
    pub guess: Option<([u8; 32], bool)>,
}

/// Prepares a page, on as many threads as the machine has (up to [`MAX_THREADS`]).
pub fn prepare_page(rows: &[Row], keys: &KeyBook) -> Vec<Prepared> {
    let threads = thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS);
    if threads == 1 || rows.len() < MIN_PARALLEL_ROWS {
        return rows.iter().map(|r| prepare(&r.bytes, keys)).collect();
    }
    let chunk = rows.len().div_ceil(threads);
    thread::scope(|s| {
        let parts: Vec<_> = rows
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(|r| prepare(&r.bytes, keys)).collect::<Vec<_>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

/// Prepares one entry.
pub fn prepare(bytes: &[u8], keys: &KeyBook) -> Prepared {
    let raw = serde_json::from_slice::<RawEntry>(bytes).map_err(|e| e.to_string());
    let event = match &raw {
        Ok(r) if r.kind == "event" || r.kind == "refusal" => Some(prepare_event(r, keys)),
        _ => None,
    };
    Prepared {
        leaf: leaf_hash(bytes),
        compact: is_compact(bytes),
        raw,
        event,
    }
}

fn prepare_event(raw: &RawEntry, keys: &KeyBook) -> PreparedEvent {
    let labels: Vec<PreparedLabel> = raw
        .label
        .iter()
        .chain(raw.labels.iter().flatten())
        .map(|b64| prepare_label(b64, keys))
        .collect();
    let envelope = raw
        .envelope
        .as_ref()
        .map(|m| Envelope::deserialize(m).map_err(|e| e.to_string()));
    let Some(Ok(env)) = &envelope else {
        return PreparedEvent {
            envelope,
            event: None,
            dsse: None,
            labels,
        };
    };
    let event = env
        .payload_bytes()
        .map_err(|e| e.to_string())
        .and_then(|p| replay::parse_event(&p));
    let actor = event.as_ref().ok().map(replay::key_name);
    let dsse = Guess {
        keys: dsse_keys(env, actor.as_deref(), keys),
        outcome: check_dsse(env, actor.as_deref(), keys),
    };
    PreparedEvent {
        envelope,
        event: Some(event),
        dsse: Some(dsse),
        labels,
    }
}

/// The public keys the signatures of `env` are checked with, in order.
pub fn dsse_keys(env: &Envelope, actor: Option<&str>, keys: &KeyBook) -> Vec<Option<[u8; 32]>> {
    env.signatures
        .iter()
        .map(|s| {
            let id = KeyId::parse_hex(&s.keyid).ok()?;
            Some(*keys.device_key(id, actor)?.vkey.public_key.as_bytes())
        })
        .collect()
}

/// Checks every signature of `env` with the device keys of `keys` (see [`KeyBook::device_key`]).
pub fn check_dsse(env: &Envelope, actor: Option<&str>, keys: &KeyBook) -> Result<Verified, DsseError> {
    env.verify(|id| keys.device_key(id, actor).map(|r| r.vkey.public_key))
}

fn prepare_label(b64: &str, keys: &KeyBook) -> PreparedLabel {
    let Ok(bytes) = BASE64.decode(b64.as_bytes()) else {
        return PreparedLabel {
            bytes: Vec::new(),
            decoded: Err("the label is not standard base64".into()),
            guess: None,
        };
    };
    let decoded = label::parse_label_bytes(&bytes).map_err(|e| format!("the label does not decode: {e}"));
    let guess = decoded.as_ref().ok().and_then(|(p, sig)| label_check(p, sig, keys));
    PreparedLabel { bytes, decoded, guess }
}

/// The active label key with the label's key ID, and whether the label verifies with it.
pub fn label_check(payload: &LabelPayload, sig: &[u8; SIG_LEN], keys: &KeyBook) -> Option<([u8; 32], bool)> {
    let LabelKey::Active(k) = keys.label_key(payload.key_id) else {
        return None;
    };
    let ok = label::verify(payload, sig, |id| (id == k.vkey.key_id).then_some(k.vkey.public_key)).is_ok();
    Some((*k.vkey.public_key.as_bytes(), ok))
}

/// Whether the JSON text has no whitespace outside strings (so it is compact, one line).
pub fn is_compact(bytes: &[u8]) -> bool {
    let (mut in_string, mut escaped) = (false, false);
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_means_no_whitespace_outside_strings() {
        assert!(is_compact(br#"{"a":"b c","d":[1,2],"e":"\" x"}"#));
        assert!(!is_compact(br#"{"a": 1}"#));
        assert!(!is_compact(b"{\"a\":1}\n"));
        assert!(!is_compact(br#"{"a":"\\" , "b":1}"#));
    }

    #[test]
    fn a_page_prepared_on_threads_keeps_its_order() {
        let rows: Vec<Row> = (0..300u64)
            .map(|i| Row {
                index: i,
                bytes: format!(r#"{{"seq":{i},"logged_at":"t","kind":"note","prev":{{}}}}"#).into_bytes(),
                stored_leaf: None,
            })
            .collect();
        let prepared = prepare_page(&rows, &KeyBook::default());
        assert_eq!(prepared.len(), rows.len());
        for (row, p) in rows.iter().zip(&prepared) {
            assert_eq!(p.leaf, leaf_hash(&row.bytes));
            assert_eq!(p.raw.as_ref().unwrap().seq, row.index);
        }
    }
}
