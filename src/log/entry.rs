//! The bytes of a log entry (SPEC §5.1): one line of compact JSON whose first members are
//! always `seq`, `logged_at`, `kind`, `prev`, in that order, followed by the entry's own
//! members. The bytes are fixed when the entry is logged and served unchanged; nothing ever
//! parses and re-serialises them.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::store::{StoreError, StoreResult};

/// One member after `prev`: its name and a value serialised as compact JSON.
pub struct Member<'a> {
    pub name: &'a str,
    pub value: &'a (dyn erased::Ser + 'a),
}

/// Object-safe serialisation, so members of different types can sit in one slice.
pub mod erased {
    pub trait Ser {
        fn to_json(&self) -> serde_json::Result<String>;
    }

    impl<T: serde::Serialize + ?Sized> Ser for T {
        fn to_json(&self) -> serde_json::Result<String> {
            serde_json::to_string(self)
        }
    }
}

impl<'a> Member<'a> {
    pub fn new<T: Serialize>(name: &'a str, value: &'a T) -> Member<'a> {
        Member { name, value }
    }
}

/// Builds the entry line. `prev` maps item codes to hex leaf hashes (`""` for a first entry).
pub fn format_entry(
    seq: u64,
    logged_at: &str,
    kind: &str,
    prev: &BTreeMap<&str, String>,
    members: &[Member<'_>],
) -> StoreResult<String> {
    let json = |v: &dyn erased::Ser| v.to_json().map_err(|e| StoreError::Other(format!("entry member: {e}")));
    let mut out = format!(
        "{{\"seq\":{seq},\"logged_at\":{},\"kind\":{},\"prev\":{}",
        json(&logged_at)?,
        json(&kind)?,
        json(prev)?
    );
    for m in members {
        out.push(',');
        out.push_str(&json(&m.name)?);
        out.push(':');
        out.push_str(&json(m.value)?);
    }
    out.push('}');
    debug_assert!(!out.contains('\n'));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC vector entry 0 (a device key registration) comes out byte for byte.
    #[test]
    fn spec_vector_key_entry() {
        #[derive(Serialize)]
        struct Key<'a> {
            vkey: &'a str,
            role: &'a str,
            owner: &'a str,
            action: &'a str,
        }
        let key = Key {
            vkey: "91500110MA5U8F4X2N/phone-1+6527e5d0+Ae1JKMYo0cLG6ukDOJBZlWEpWSc6XGP5NjbBRhSshzfR",
            role: "device",
            owner: "91500110MA5U8F4X2N",
            action: "register",
        };
        let line = format_entry(
            0,
            "2026-11-28T01:00:00Z",
            "key",
            &BTreeMap::new(),
            &[Member::new("key", &key)],
        )
        .unwrap();
        assert_eq!(
            line,
            r#"{"seq":0,"logged_at":"2026-11-28T01:00:00Z","kind":"key","prev":{},"key":{"vkey":"91500110MA5U8F4X2N/phone-1+6527e5d0+Ae1JKMYo0cLG6ukDOJBZlWEpWSc6XGP5NjbBRhSshzfR","role":"device","owner":"91500110MA5U8F4X2N","action":"register"}}"#
        );
        let mut prev = BTreeMap::new();
        prev.insert("91500110MA5U8F4X2N9002490820261128001", String::new());
        let note = format_entry(2, "2026-11-28T02:00:00Z", "note", &BTreeMap::new(), &[]).unwrap();
        assert_eq!(
            note,
            r#"{"seq":2,"logged_at":"2026-11-28T02:00:00Z","kind":"note","prev":{}}"#
        );
        let with_prev = format_entry(1, "t", "event", &prev, &[]).unwrap();
        assert!(with_prev.contains(r#""prev":{"91500110MA5U8F4X2N9002490820261128001":""}"#));
    }
}
