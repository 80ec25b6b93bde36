//! Offline label verification, as a roadside inspector's device does it (SPEC §3.3): with a
//! list of published keys (`GET /api/v1/keys`, saved to a file or fetched once), decode the QR
//! text, find the label key by its ID and check the signature. No item data, no network
//! needed at the moment of checking. A label that does not verify is forged, never "unknown":
//! one whose key ID is none of the list's label keys included (its key ID bits flipped, say),
//! with the reason and the advice to fetch the list again if it may be older than the label.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::crypto::keys::{KeyId, VerifierKey};
use crate::crypto::label::{self, LabelError, LabelPayload};
use crate::domain::{HazardSet, PhysicalForm};

/// The published key list, as `GET /api/v1/keys` serves it.
#[derive(Debug, Deserialize)]
pub struct KeyList {
    pub keys: Vec<PublishedKey>,
}

#[derive(Debug, Deserialize)]
pub struct PublishedKey {
    pub vkey: String,
    pub role: String,
    #[serde(default)]
    pub revoked_at: Option<String>,
}

/// Why a label did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfflineRefusal {
    #[error("FORGED: {0}")]
    Forged(String),
    #[error("not an hwtrace label: {0}")]
    Malformed(String),
    #[error("the key list is unusable: {0}")]
    BadKeys(String),
}

/// The label keys of a key list, with their revocation times.
/// A label key and when it was revoked, if it was.
pub type LabelKey = (VerifierKey, Option<DateTime<Utc>>);

pub fn label_keys(list: &KeyList) -> Result<Vec<LabelKey>, OfflineRefusal> {
    list.keys
        .iter()
        .filter(|k| k.role == "label")
        .map(|k| {
            let vkey = VerifierKey::parse(&k.vkey).map_err(|e| OfflineRefusal::BadKeys(format!("{}: {e}", k.vkey)))?;
            let revoked = k
                .revoked_at
                .as_deref()
                .map(|t| DateTime::parse_from_rfc3339(t).map(|t| t.with_timezone(&Utc)))
                .transpose()
                .map_err(|e| OfflineRefusal::BadKeys(e.to_string()))?;
            Ok((vkey, revoked))
        })
        .collect()
}

/// Verifies a QR text against the label keys of `list`.
pub fn verify(qr_text: &str, list: &KeyList) -> Result<LabelPayload, OfflineRefusal> {
    let keys = label_keys(list)?;
    if keys.is_empty() {
        return Err(OfflineRefusal::BadKeys("it holds no label key".into()));
    }
    let (payload, sig) = label::parse_qr_text(qr_text).map_err(|e| match e {
        LabelError::BadItemCode | LabelError::BadHazardBits(_) | LabelError::BadForm(_) => {
            OfflineRefusal::Forged(format!("the label's data was altered: {e}"))
        }
        other => OfflineRefusal::Malformed(other.to_string()),
    })?;
    let (key, revoked) = keys
        .iter()
        .find(|(k, _)| k.key_id == payload.key_id)
        .ok_or_else(|| unknown_key(payload.key_id, &keys))?;
    label::verify(&payload, &sig, |id| (id == key.key_id).then_some(key.public_key)).map_err(|e| match e {
        LabelError::BadSignature => OfflineRefusal::Forged("the signature does not match the label's data".into()),
        other => OfflineRefusal::Malformed(other.to_string()),
    })?;
    if let Some(revoked) = revoked {
        if payload.issued_at as i64 >= revoked.timestamp() {
            return Err(OfflineRefusal::Forged(format!(
                "signed after its key was revoked at {revoked}"
            )));
        }
    }
    Ok(payload)
}

/// The verdict on a label that names a key the list does not have: forged (SPEC §3.3), with
/// the keys that were given, since a list older than the label would not have its key.
fn unknown_key(id: KeyId, keys: &[LabelKey]) -> OfflineRefusal {
    let given: Vec<String> = keys.iter().map(|(k, _)| k.key_id.to_string()).collect();
    OfflineRefusal::Forged(format!(
        "signed with an unknown label key {id}, none of the {} label keys given ({}); \
         if the key list may be older than the label, fetch it again from GET /api/v1/keys",
        given.len(),
        given.join(", ")
    ))
}

/// A one-paragraph description of a verified label, for the command line.
pub fn describe(p: &LabelPayload) -> String {
    let hazards = HazardSet::from_bits(p.hazard_bits)
        .map(|h| h.to_string())
        .unwrap_or_else(|_| "-".into());
    let form = PhysicalForm::from_number(p.form)
        .map(|f| f.named().name_zh)
        .unwrap_or("?");
    let issued = DateTime::<Utc>::from_timestamp(p.issued_at as i64, 0)
        .map(|t| {
            t.with_timezone(&crate::time::cst())
                .format("%Y-%m-%d %H:%M CST")
                .to_string()
        })
        .unwrap_or_default();
    format!(
        "genuine label 真实标签\n  item code 数字识别码: {}\n  declared mass 废物重量: {} g\n  hazards 危险特性: {hazards}\n  form 形态: {form}\n  issued 签发: {issued}\n  label key 标签密钥: {}",
        p.item_code_str(),
        p.mass_g,
        p.key_id
    )
}
