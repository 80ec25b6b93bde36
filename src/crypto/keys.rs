//! Named Ed25519 keys and their IDs (SPEC §2, after C2SP signed-note).
//!
//! A key is known by its name and its 4-byte key ID; verifiers publish it as the
//! string `name+<hex key_id>+b64(0x01 || public_key)`. Pure: no I/O, no clock.

use std::fmt;

use data_encoding::BASE64;
use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha256};

/// The signed-note signature-type byte for Ed25519.
const ED25519_ALG: u8 = 0x01;
/// Longest key name accepted (a device name is `<18-char USCC>/<device-name>`).
pub const MAX_KEY_NAME_LEN: usize = 128;

/// The 4-byte key ID of a named key: `SHA-256(name || 0x0A || 0x01 || pk)[0..4]`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; 4]);

impl KeyId {
    /// Computes the key ID of `public_key` under `name`.
    pub fn of(name: &str, public_key: &VerifyingKey) -> KeyId {
        let mut h = Sha256::new();
        h.update(name.as_bytes());
        h.update([0x0A, ED25519_ALG]);
        h.update(public_key.as_bytes());
        let d = h.finalize();
        KeyId([d[0], d[1], d[2], d[3]])
    }

    /// Parses the 8 lower-case hex digits used on the wire.
    pub fn parse_hex(s: &str) -> Result<KeyId, KeyError> {
        if s.len() != 8 || s.bytes().any(|b| !matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(KeyError::BadKeyId);
        }
        let mut out = [0u8; 4];
        hex::decode_to_slice(s, &mut out).map_err(|_| KeyError::BadKeyId)?;
        Ok(KeyId(out))
    }

    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.to_hex())
    }
}

/// Why a key, key name or verifier-key string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("key name must be 1-128 printable ASCII characters without spaces or '+'")]
    BadName,
    #[error("key ID must be 8 lower-case hex digits")]
    BadKeyId,
    #[error("public key must be 32 bytes of standard base64 forming a valid Ed25519 point")]
    BadPublicKey,
    #[error("verifier key must be name+keyid+b64(0x01||key)")]
    BadVerifierKey,
    #[error("verifier key's ID does not match its name and public key")]
    KeyIdMismatch,
}

/// Checks a key name: printable ASCII, no space and no `+` (signed-note rule).
pub fn check_key_name(name: &str) -> Result<(), KeyError> {
    let ok =
        !name.is_empty() && name.len() <= MAX_KEY_NAME_LEN && name.bytes().all(|b| b.is_ascii_graphic() && b != b'+');
    if ok {
        Ok(())
    } else {
        Err(KeyError::BadName)
    }
}

/// Decodes a 32-byte Ed25519 public key from standard base64.
pub fn parse_public_key_b64(s: &str) -> Result<VerifyingKey, KeyError> {
    let bytes = BASE64.decode(s.as_bytes()).map_err(|_| KeyError::BadPublicKey)?;
    let arr: [u8; 32] = bytes.try_into().map_err(|_| KeyError::BadPublicKey)?;
    VerifyingKey::from_bytes(&arr).map_err(|_| KeyError::BadPublicKey)
}

/// A named public key, as published in `GET /api/v1/keys`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct VerifierKey {
    pub name: String,
    pub key_id: KeyId,
    pub public_key: VerifyingKey,
}

impl VerifierKey {
    pub fn new(name: &str, public_key: VerifyingKey) -> Result<VerifierKey, KeyError> {
        check_key_name(name)?;
        Ok(VerifierKey {
            name: name.to_owned(),
            key_id: KeyId::of(name, &public_key),
            public_key,
        })
    }

    /// Parses `name+<hex key_id>+b64(0x01 || public_key)` and checks that the ID matches.
    pub fn parse(s: &str) -> Result<VerifierKey, KeyError> {
        // Names never contain '+', base64 may: split from the left.
        let mut parts = s.splitn(3, '+');
        let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(KeyError::BadVerifierKey);
        };
        check_key_name(name)?;
        let key_id = KeyId::parse_hex(id)?;
        let raw = BASE64.decode(b64.as_bytes()).map_err(|_| KeyError::BadVerifierKey)?;
        if raw.len() != 33 || raw[0] != ED25519_ALG {
            return Err(KeyError::BadVerifierKey);
        }
        let arr: [u8; 32] = raw[1..].try_into().map_err(|_| KeyError::BadVerifierKey)?;
        let public_key = VerifyingKey::from_bytes(&arr).map_err(|_| KeyError::BadPublicKey)?;
        if KeyId::of(name, &public_key) != key_id {
            return Err(KeyError::KeyIdMismatch);
        }
        Ok(VerifierKey {
            name: name.to_owned(),
            key_id,
            public_key,
        })
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = Vec::with_capacity(33);
        raw.push(ED25519_ALG);
        raw.extend_from_slice(self.public_key.as_bytes());
        write!(f, "{}+{}+{}", self.name, self.key_id, BASE64.encode(&raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    fn seed_key(b: u8) -> SigningKey {
        SigningKey::from_bytes(&[b; 32])
    }

    #[test]
    fn spec_vector_device_key() {
        let vk = VerifierKey::new("91500110MA5U8F4X2N/phone-1", seed_key(3).verifying_key()).unwrap();
        assert_eq!(vk.key_id.to_hex(), "6527e5d0");
        assert_eq!(
            vk.to_string(),
            "91500110MA5U8F4X2N/phone-1+6527e5d0+Ae1JKMYo0cLG6ukDOJBZlWEpWSc6XGP5NjbBRhSshzfR"
        );
        assert_eq!(VerifierKey::parse(&vk.to_string()).unwrap(), vk);
    }

    /// Regression: base64 of a key may contain '+', which must not be taken for a separator.
    #[test]
    fn verifier_keys_with_plus_in_base64_parse() {
        let mut found = 0;
        for seed in 0..=255u8 {
            let vk = VerifierKey::new("hwtrace.test/log", seed_key(seed).verifying_key()).unwrap();
            let s = vk.to_string();
            if s.rsplit('+').next().unwrap().len() < 45 {
                found += 1;
                assert_eq!(VerifierKey::parse(&s).unwrap(), vk, "{s}");
            }
        }
        assert!(found > 0, "some seed among 256 gives a '+' in the key's base64");
    }

    #[test]
    fn refuses_mismatched_id_and_bad_names() {
        let s = "91500110MA5U8F4X2N/phone-1+6527e5d1+Ae1JKMYo0cLG6ukDOJBZlWEpWSc6XGP5NjbBRhSshzfR";
        assert_eq!(VerifierKey::parse(s), Err(KeyError::KeyIdMismatch));
        assert_eq!(check_key_name("a b"), Err(KeyError::BadName));
        assert_eq!(check_key_name(""), Err(KeyError::BadName));
        assert_eq!(KeyId::parse_hex("6527E5D0"), Err(KeyError::BadKeyId));
    }
}
