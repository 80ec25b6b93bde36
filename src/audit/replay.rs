//! The auditor's side of the custody rules: the signed event parsed as the service parses it
//! (`domain::event`, without the waste catalogue), and what the auditor needs to give
//! [`crate::domain::custody::apply`] the very context the service gave it. The rules
//! themselves are not restated here: the auditor calls the same pure function.
//!
//! Everything the context holds comes from the log: the entry's index and time, the items'
//! states as earlier entries made them, the manifests as their `manifest_open` entries (with
//! the number the service logged) and later amendments left them, the new items' codes from
//! the labels the entry issues, the co-signers from the envelope's verified signatures, and
//! the registry facts (roles, permit, approval, tolerance) from the entry's `facts` member.

use std::collections::BTreeMap;

use crate::domain::custody::ManifestRecord;
use crate::domain::event::{parse_logged_event, Event};
use crate::domain::ManifestNo;

/// Parses a signed payload without the catalogue (see [`parse_logged_event`]).
pub fn parse_event(payload: &[u8]) -> Result<Event, String> {
    parse_logged_event(payload).map_err(|r| format!("{}: {}", r.code, r.message))
}

/// `<USCC>/<device>`: the name of the key that must sign the event.
pub fn key_name(e: &Event) -> String {
    e.common.device.key_name(&e.common.actor)
}

/// The manifests as the log made them. Kept in memory: a manifest is a few hundred bytes and
/// there are several items per manifest, so this stays well below the items' scratch.
#[derive(Default)]
pub struct Manifests {
    records: BTreeMap<ManifestNo, ManifestRecord>,
}

impl Manifests {
    pub fn get(&self, number: &ManifestNo) -> Option<&ManifestRecord> {
        self.records.get(number)
    }

    pub fn put(&mut self, record: ManifestRecord) {
        self.records.insert(record.number.clone(), record);
    }

    pub fn iter(&self) -> impl Iterator<Item = &ManifestRecord> {
        self.records.values()
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_parse_without_the_catalogue() {
        // 900-999-49 is in no edition of the list; the log is judged as logged.
        let v = json!({
            "type": "generate", "actor": "91500110MA5U8F4X2N", "device": "phone-1",
            "at": "2026-11-28T09:30:00+08:00", "nonce": "n-1",
            "waste_code": "900-999-49", "mass_g": 185500, "form": "liquid", "hazards": ["T", "I"],
            "packaging": "200L钢桶", "container_volume_l": 200, "components": "矿物油",
            "storage_place": "危废暂存间"
        });
        let e = parse_event(v.to_string().as_bytes()).unwrap();
        assert_eq!(key_name(&e), "91500110MA5U8F4X2N/phone-1");
        let mut bad = v.clone();
        bad["mass_g"] = json!(0);
        assert!(parse_event(bad.to_string().as_bytes()).unwrap_err().contains("mass"));
        let mut unknown = v;
        unknown["type"] = json!("teleport");
        assert!(parse_event(unknown.to_string().as_bytes())
            .unwrap_err()
            .starts_with("unknown_event_type"));
    }
}
