//! The keys of the log, replayed from its `key` entries (SPEC §2, §5.1): which device keys are in
//! force at each point of the log, which label key signs labels, and which log key signs
//! checkpoints. Kept in memory: there are few keys, however long the log.
//!
//! The rules are the ones the service applies when it writes these entries (`keyring`,
//! `registry`): the first two entries register the log key and the label key; a server key is
//! rotated by registering its successor with `replaces` = the old key ID; a device has at most
//! one key in force; a public key is registered once; only a registered key can be revoked, and
//! never the server key in use.

use std::collections::HashMap;

use serde::Deserialize;

use super::report::KeyCounts;
use crate::crypto::keys::{KeyId, VerifierKey};
use crate::domain::{DeviceName, Uscc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Log,
    Label,
    Device,
}

impl Role {
    fn parse(s: &str) -> Option<Role> {
        match s {
            "log" => Some(Role::Log),
            "label" => Some(Role::Label),
            "device" => Some(Role::Device),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Role::Log => "log",
            Role::Label => "label",
            Role::Device => "device",
        }
    }
}

/// The `key` member of a `key` entry. Other members (who approved it) are allowed.
#[derive(Debug, Clone, Deserialize)]
pub struct KeyChange {
    pub vkey: String,
    pub role: String,
    #[serde(default)]
    pub owner: Option<String>,
    pub action: String,
    #[serde(default)]
    pub replaces: Option<String>,
}

/// A key as the log registered it, and what happened to it since.
#[derive(Debug, Clone)]
pub struct KeyRecord {
    pub vkey: VerifierKey,
    pub role: Role,
    /// Device keys: the enterprise.
    pub owner: Option<String>,
    pub registered_seq: u64,
    pub registered_at: String,
    /// Server keys: the key this one replaced (an index into the book).
    replaced: Option<usize>,
    /// Server keys: the entry that registered the successor, and its time.
    pub superseded: Option<(u64, String)>,
    /// The entry that revoked it, and its time.
    pub revoked: Option<(u64, String)>,
}

impl KeyRecord {
    pub fn in_force(&self) -> bool {
        self.revoked.is_none()
    }

    fn describe(&self) -> String {
        format!("{} key {} ({})", self.role.code(), self.vkey.name, self.vkey.key_id)
    }
}

/// How a label key stands at some point of the log.
pub enum LabelKey<'a> {
    Active(&'a KeyRecord),
    /// Known, but replaced or revoked: labels it signs from then on are refused.
    Retired(&'a KeyRecord),
    Unknown,
}

/// Every key registered so far.
#[derive(Debug, Default)]
pub struct KeyBook {
    records: Vec<KeyRecord>,
    by_id: HashMap<KeyId, Vec<usize>>,
    by_public: HashMap<[u8; 32], usize>,
    by_seq: HashMap<u64, usize>,
    /// Device key names (`<USCC>/<device>`) with a key in force.
    device_in_force: HashMap<String, usize>,
    active_log: Option<usize>,
    active_label: Option<usize>,
}

impl KeyBook {
    /// Applies a `key` entry at `seq`, or says why it breaks the rules (and changes nothing).
    /// With `server_keys_first`, entries 0 and 1 must register the log and the label key.
    pub fn apply(
        &mut self,
        seq: u64,
        logged_at: &str,
        change: &KeyChange,
        server_keys_first: bool,
    ) -> Result<(), String> {
        let vkey = VerifierKey::parse(&change.vkey).map_err(|e| format!("vkey {:?} is refused: {e}", change.vkey))?;
        let role = Role::parse(&change.role).ok_or_else(|| format!("unknown key role {:?}", change.role))?;
        if server_keys_first {
            let expected = match seq {
                0 => Some(Role::Log),
                1 => Some(Role::Label),
                _ => None,
            };
            if let Some(want) = expected {
                if role != want || change.action != "register" {
                    return Err(format!(
                        "entry {seq} must register the server's {} key, not {} a {} key",
                        want.code(),
                        change.action,
                        role.code()
                    ));
                }
            }
        }
        match change.action.as_str() {
            "register" => self.register(seq, logged_at, vkey, role, change),
            "revoke" => self.revoke(seq, logged_at, &vkey, role, change),
            other => Err(format!("unknown key action {other:?} (expected register or revoke)")),
        }
    }

    fn register(
        &mut self,
        seq: u64,
        logged_at: &str,
        vkey: VerifierKey,
        role: Role,
        change: &KeyChange,
    ) -> Result<(), String> {
        let owner = check_owner(&vkey, role, change.owner.as_deref())?;
        if let Some(&i) = self.by_public.get(vkey.public_key.as_bytes()) {
            return Err(format!(
                "registers a public key already registered at entry {} ({})",
                self.records[i].registered_seq,
                self.records[i].describe()
            ));
        }
        let replaced = match role {
            Role::Device => {
                if let Some(&i) = self.device_in_force.get(&vkey.name) {
                    return Err(format!(
                        "device {} already has a key in force (registered at entry {})",
                        vkey.name, self.records[i].registered_seq
                    ));
                }
                if change.replaces.is_some() {
                    return Err("a device key does not replace another key".into());
                }
                None
            }
            Role::Log | Role::Label => self.check_rotation(&vkey, role, change.replaces.as_deref())?,
        };
        let index = self.records.len();
        self.records.push(KeyRecord {
            vkey,
            role,
            owner,
            registered_seq: seq,
            registered_at: logged_at.to_owned(),
            replaced,
            superseded: None,
            revoked: None,
        });
        let record = &self.records[index];
        self.by_id.entry(record.vkey.key_id).or_default().push(index);
        self.by_public.insert(*record.vkey.public_key.as_bytes(), index);
        self.by_seq.insert(seq, index);
        match role {
            Role::Device => {
                self.device_in_force.insert(record.vkey.name.clone(), index);
            }
            Role::Log => self.active_log = Some(index),
            Role::Label => self.active_label = Some(index),
        }
        if let Some(old) = replaced {
            self.records[old].superseded = Some((seq, logged_at.to_owned()));
        }
        Ok(())
    }

    /// A server key is either the first of its role, or replaces the active one under the same
    /// name. The label key is named after the log key.
    fn check_rotation(&self, vkey: &VerifierKey, role: Role, replaces: Option<&str>) -> Result<Option<usize>, String> {
        if role == Role::Label {
            if let Some(log) = self.active(Role::Log) {
                let want = format!("{}/label", log.vkey.name);
                if vkey.name != want {
                    return Err(format!("the label key must be named {want}, not {}", vkey.name));
                }
            }
        }
        let active = match role {
            Role::Log => self.active_log,
            _ => self.active_label,
        };
        match (active, replaces) {
            (None, None) => Ok(None),
            (None, Some(r)) => Err(format!("replaces key {r}, but there is no {} key yet", role.code())),
            (Some(a), None) => Err(format!(
                "registers a second {} key without replacing the active one ({})",
                role.code(),
                self.records[a].vkey.key_id
            )),
            (Some(a), Some(r)) => {
                let old = &self.records[a];
                if r != old.vkey.key_id.to_hex() {
                    return Err(format!(
                        "replaces key {r}, but the active {} key is {}",
                        role.code(),
                        old.vkey.key_id
                    ));
                }
                if old.vkey.name != vkey.name {
                    return Err(format!(
                        "a rotation keeps the key name {}, not {}",
                        old.vkey.name, vkey.name
                    ));
                }
                Ok(Some(a))
            }
        }
    }

    fn revoke(
        &mut self,
        seq: u64,
        logged_at: &str,
        vkey: &VerifierKey,
        role: Role,
        change: &KeyChange,
    ) -> Result<(), String> {
        let Some(&i) = self.by_public.get(vkey.public_key.as_bytes()) else {
            return Err(format!("revokes {}, which was never registered", vkey.name));
        };
        let record = &self.records[i];
        if record.vkey != *vkey || record.role != role {
            return Err(format!(
                "revokes {} as a {} key, but the log registered it as {}",
                vkey.name,
                role.code(),
                record.describe()
            ));
        }
        if record.owner.as_deref() != change.owner.as_deref() {
            return Err(format!("revokes {} with another owner than registered", vkey.name));
        }
        if let Some((at, _)) = &record.revoked {
            return Err(format!("revokes {}, already revoked at entry {at}", record.describe()));
        }
        if Some(i) == self.active_log || Some(i) == self.active_label {
            return Err(format!(
                "revokes the {} in use; it must be rotated out first",
                record.describe()
            ));
        }
        if role == Role::Device {
            self.device_in_force.remove(&vkey.name);
        }
        self.records[i].revoked = Some((seq, logged_at.to_owned()));
        Ok(())
    }

    /// The active key of a server role.
    pub fn active(&self, role: Role) -> Option<&KeyRecord> {
        let i = match role {
            Role::Log => self.active_log,
            Role::Label => self.active_label,
            Role::Device => None,
        }?;
        Some(&self.records[i])
    }

    /// The device key a signature by `id` is checked against: the key of the device the event
    /// names if it has that ID, else a key in force, else a revoked one (so that its signature is
    /// recognised and refused as revoked, not as unknown). Key IDs are 4 bytes: several keys may
    /// share one.
    pub fn device_key(&self, id: KeyId, actor_name: Option<&str>) -> Option<&KeyRecord> {
        let candidates = self.by_id.get(&id)?;
        let devices = || {
            candidates
                .iter()
                .map(|&i| &self.records[i])
                .filter(|r| r.role == Role::Device)
        };
        devices()
            .find(|r| r.in_force() && Some(r.vkey.name.as_str()) == actor_name)
            .or_else(|| devices().find(|r| r.in_force()))
            .or_else(|| devices().next())
    }

    /// How the label key `id` stands now.
    pub fn label_key(&self, id: KeyId) -> LabelKey<'_> {
        if let Some(active) = self.active(Role::Label).filter(|r| r.vkey.key_id == id && r.in_force()) {
            return LabelKey::Active(active);
        }
        let retired = self.by_id.get(&id).into_iter().flatten().map(|&i| &self.records[i]);
        match retired.into_iter().find(|r| r.role == Role::Label) {
            Some(r) => LabelKey::Retired(r),
            None => LabelKey::Unknown,
        }
    }

    /// Whether `trusted` is the active log key or one it descends from by rotations, so that
    /// trust in `trusted` carries over to the key that signs now.
    pub fn log_key_descends_from(&self, trusted: &VerifierKey) -> bool {
        let mut at = self.active_log;
        while let Some(i) = at {
            if self.records[i].vkey == *trusted {
                return true;
            }
            at = self.records[i].replaced;
        }
        false
    }

    /// The log key registered first (entry 0 of an hwtrace log).
    pub fn first_log_key(&self) -> Option<&KeyRecord> {
        self.records.iter().find(|r| r.role == Role::Log)
    }

    /// The key registered by entry `seq`.
    pub fn registered_at(&self, seq: u64) -> Option<&KeyRecord> {
        self.by_seq.get(&seq).map(|&i| &self.records[i])
    }

    pub fn records(&self) -> &[KeyRecord] {
        &self.records
    }

    pub fn counts(&self) -> KeyCounts {
        let mut c = KeyCounts::default();
        for r in &self.records {
            match r.role {
                Role::Log => c.log += 1,
                Role::Label => c.label += 1,
                Role::Device => c.device += 1,
            }
            if r.revoked.is_some() {
                c.revoked += 1;
            }
        }
        c
    }
}

/// Device keys belong to an enterprise and are named `<USCC>/<device>`; server keys belong to no one.
fn check_owner(vkey: &VerifierKey, role: Role, owner: Option<&str>) -> Result<Option<String>, String> {
    match (role, owner) {
        (Role::Device, Some(owner)) => {
            let uscc = Uscc::parse(owner).map_err(|r| format!("owner {owner:?}: {}", r.message))?;
            if uscc.as_str() != owner {
                return Err(format!("owner {owner:?} is not written canonically"));
            }
            let device = vkey
                .name
                .strip_prefix(owner)
                .and_then(|d| d.strip_prefix('/'))
                .ok_or_else(|| format!("device key {} is not named {owner}/<device>", vkey.name))?;
            DeviceName::parse(device).map_err(|r| format!("device name {device:?}: {}", r.message))?;
            Ok(Some(owner.to_owned()))
        }
        (Role::Device, None) => Err(format!("device key {} has no owner", vkey.name)),
        (_, Some(owner)) => Err(format!(
            "a {} key has no owner, but this one names {owner}",
            role.code()
        )),
        (_, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    const OWNER: &str = "91500110MA5U8F4X2N";

    fn vkey(name: &str, seed: u8) -> VerifierKey {
        VerifierKey::new(name, SigningKey::from_bytes(&[seed; 32]).verifying_key()).unwrap()
    }

    fn change(v: &VerifierKey, role: &str, owner: Option<&str>, action: &str, replaces: Option<KeyId>) -> KeyChange {
        KeyChange {
            vkey: v.to_string(),
            role: role.into(),
            owner: owner.map(Into::into),
            action: action.into(),
            replaces: replaces.map(KeyId::to_hex),
        }
    }

    fn server_book() -> (KeyBook, VerifierKey, VerifierKey) {
        let mut book = KeyBook::default();
        let log = vkey("o.test/log", 1);
        let label = vkey("o.test/log/label", 2);
        book.apply(0, "t0", &change(&log, "log", None, "register", None), true)
            .unwrap();
        book.apply(1, "t1", &change(&label, "label", None, "register", None), true)
            .unwrap();
        (book, log, label)
    }

    #[test]
    fn device_keys_register_sign_and_revoke() {
        let (mut book, ..) = server_book();
        let phone = vkey(&format!("{OWNER}/phone-1"), 3);
        book.apply(2, "t2", &change(&phone, "device", Some(OWNER), "register", None), true)
            .unwrap();
        let name = format!("{OWNER}/phone-1");
        assert!(book.device_key(phone.key_id, Some(&name)).unwrap().in_force());
        let again = vkey(&name, 4);
        let err = book
            .apply(3, "t3", &change(&again, "device", Some(OWNER), "register", None), true)
            .unwrap_err();
        assert!(err.contains("already has a key in force"), "{err}");
        book.apply(4, "t4", &change(&phone, "device", Some(OWNER), "revoke", None), true)
            .unwrap();
        let r = book.device_key(phone.key_id, Some(&name)).unwrap();
        assert_eq!(r.revoked, Some((4, "t4".into())));
        let err = book
            .apply(5, "t5", &change(&phone, "device", Some(OWNER), "revoke", None), true)
            .unwrap_err();
        assert!(err.contains("already revoked at entry 4"), "{err}");
        let err = book
            .apply(6, "t6", &change(&phone, "device", Some(OWNER), "register", None), true)
            .unwrap_err();
        assert!(err.contains("already registered at entry 2"), "{err}");
        book.apply(7, "t7", &change(&again, "device", Some(OWNER), "register", None), true)
            .unwrap();
        assert_eq!(book.counts().device, 2);
        assert_eq!(book.counts().revoked, 1);
    }

    #[test]
    fn server_keys_come_first_and_rotate_by_replacing() {
        let mut book = KeyBook::default();
        let phone = vkey(&format!("{OWNER}/phone-1"), 3);
        let err = book
            .apply(0, "t", &change(&phone, "device", Some(OWNER), "register", None), true)
            .unwrap_err();
        assert!(err.contains("must register the server's log key"), "{err}");

        let (mut book, log, label) = server_book();
        let log2 = vkey("o.test/log", 5);
        let err = book
            .apply(2, "t", &change(&log2, "log", None, "register", None), true)
            .unwrap_err();
        assert!(err.contains("without replacing"), "{err}");
        let err = book
            .apply(
                2,
                "t",
                &change(&log2, "log", None, "register", Some(label.key_id)),
                true,
            )
            .unwrap_err();
        assert!(err.contains("the active log key is"), "{err}");
        let err = book
            .apply(2, "t", &change(&log, "log", None, "revoke", None), true)
            .unwrap_err();
        assert!(err.contains("rotated out first"), "{err}");
        book.apply(2, "t2", &change(&log2, "log", None, "register", Some(log.key_id)), true)
            .unwrap();
        assert_eq!(book.active(Role::Log).unwrap().vkey, log2);
        assert!(book.log_key_descends_from(&log));
        assert!(book.log_key_descends_from(&log2));
        assert!(!book.log_key_descends_from(&label));
        book.apply(3, "t3", &change(&log, "log", None, "revoke", None), true)
            .unwrap();
        assert_eq!(book.first_log_key().unwrap().superseded, Some((2, "t2".into())));

        let bad_label = vkey("other/label", 6);
        let err = book
            .apply(
                4,
                "t",
                &change(&bad_label, "label", None, "register", Some(label.key_id)),
                true,
            )
            .unwrap_err();
        assert!(err.contains("must be named o.test/log/label"), "{err}");
        assert!(matches!(book.label_key(label.key_id), LabelKey::Active(_)));
        let label2 = vkey("o.test/log/label", 7);
        book.apply(
            5,
            "t5",
            &change(&label2, "label", None, "register", Some(label.key_id)),
            true,
        )
        .unwrap();
        assert!(matches!(book.label_key(label.key_id), LabelKey::Retired(_)));
        assert!(matches!(book.label_key(label2.key_id), LabelKey::Active(_)));
        assert!(matches!(book.label_key(KeyId([0; 4])), LabelKey::Unknown));
    }

    #[test]
    fn owners_and_names_are_checked() {
        let (mut book, ..) = server_book();
        let stray = vkey("91500110MA5U8F4X2N/phone-1", 3);
        let other_owner = "91500110MA60YNXH0F";
        let err = book
            .apply(
                2,
                "t",
                &change(&stray, "device", Some(other_owner), "register", None),
                true,
            )
            .unwrap_err();
        assert!(err.contains("is not named"), "{err}");
        let err = book
            .apply(2, "t", &change(&stray, "device", None, "register", None), true)
            .unwrap_err();
        assert!(err.contains("has no owner"), "{err}");
        let err = book
            .apply(2, "t", &change(&stray, "teapot", Some(OWNER), "register", None), true)
            .unwrap_err();
        assert!(err.contains("unknown key role"), "{err}");
        let err = book
            .apply(2, "t", &change(&stray, "device", Some(OWNER), "rename", None), true)
            .unwrap_err();
        assert!(err.contains("unknown key action"), "{err}");
    }
}
