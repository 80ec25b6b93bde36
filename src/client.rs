//! A device, as a phone or an API client is one: it holds an Ed25519 key named
//! `<USCC>/<device-name>` (SPEC §2) and signs custody events into DSSE envelopes (SPEC §4)
//! exactly as the browser app does with WebCrypto. Used by the tests, the demo and the
//! benchmarks; nothing here talks to the network.

use std::sync::atomic::{AtomicU64, Ordering};

use data_encoding::BASE64;
use ed25519_dalek::SigningKey;
use rand::rngs::OsRng;
use serde_json::{json, Map, Value};

use crate::crypto::dsse::{sign_envelope, Envelope};
use crate::crypto::keys::{KeyId, VerifierKey};

/// A device key and the counter it draws nonces from.
pub struct Device {
    pub owner: String,
    pub device: String,
    key: SigningKey,
    nonce_prefix: String,
    next_nonce: AtomicU64,
}

impl Device {
    /// A device with a fresh random key.
    pub fn generate(owner: &str, device: &str) -> Device {
        Device::from_key(owner, device, SigningKey::generate(&mut OsRng))
    }

    /// A device with a key from a 32-byte seed (reproducible tests and demos).
    pub fn from_seed(owner: &str, device: &str, seed: [u8; 32]) -> Device {
        Device::from_key(owner, device, SigningKey::from_bytes(&seed))
    }

    fn from_key(owner: &str, device: &str, key: SigningKey) -> Device {
        let nonce_prefix = hex::encode(&key.verifying_key().as_bytes()[..4]);
        Device {
            owner: owner.to_owned(),
            device: device.to_owned(),
            key,
            nonce_prefix,
            next_nonce: AtomicU64::new(1),
        }
    }

    /// `<USCC>/<device-name>`.
    pub fn key_name(&self) -> String {
        format!("{}/{}", self.owner, self.device)
    }

    pub fn key_id(&self) -> KeyId {
        KeyId::of(&self.key_name(), &self.key.verifying_key())
    }

    pub fn verifier_key(&self) -> VerifierKey {
        VerifierKey::new(&self.key_name(), self.key.verifying_key()).expect("device names are valid key names")
    }

    /// The public key as registered: 32 bytes in standard base64.
    pub fn public_key_b64(&self) -> String {
        BASE64.encode(self.key.verifying_key().as_bytes())
    }

    /// The next unused nonce of this device.
    pub fn nonce(&self) -> String {
        format!(
            "{}-{:012}",
            self.nonce_prefix,
            self.next_nonce.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// Signs exactly these payload bytes.
    pub fn sign_bytes(&self, payload: &[u8]) -> Envelope {
        sign_envelope(payload, &[(self.key_id(), &self.key)])
    }

    /// Signs an event of `type` at device time `at` (RFC 3339 with offset), adding `actor`,
    /// `device` and a fresh `nonce` to `fields`.
    pub fn sign_event(&self, event_type: &str, at: &str, fields: Value) -> Envelope {
        let mut obj = Map::new();
        obj.insert("type".into(), json!(event_type));
        obj.insert("actor".into(), json!(self.owner));
        obj.insert("device".into(), json!(self.device));
        obj.insert("at".into(), json!(at));
        obj.insert("nonce".into(), json!(self.nonce()));
        if let Value::Object(extra) = fields {
            obj.extend(extra);
        }
        self.sign_bytes(Value::Object(obj).to_string().as_bytes())
    }

    /// Co-signs an envelope another device already signed (corrections need every party).
    pub fn cosign(&self, envelope: &Envelope) -> Envelope {
        let payload = envelope.payload_bytes().expect("an envelope this process built");
        let mine = sign_envelope(&payload, &[(self.key_id(), &self.key)]);
        let mut out = envelope.clone();
        out.signatures.extend(mine.signatures);
        out
    }
}

/// The fields of a typical `generate` event, for tests and demos.
pub fn generate_fields(waste_code: &str, mass_g: u64, form: &str, hazards: &[&str], volume_l: u32) -> Value {
    json!({
        "waste_code": waste_code,
        "mass_g": mass_g,
        "form": form,
        "hazards": hazards,
        "packaging": format!("{volume_l}L 容器"),
        "container_volume_l": volume_l,
        "components": "见废物名称",
        "storage_place": "危险废物贮存库",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_vector_device_signs_the_spec_envelope() {
        let d = Device::from_seed("91500110MA5U8F4X2N", "phone-1", [3; 32]);
        assert_eq!(d.key_id().to_hex(), "6527e5d0");
        let payload = br#"{"type":"generate","actor":"91500110MA5U8F4X2N","device":"phone-1","at":"2026-11-28T09:30:00+08:00","nonce":"0000000000000001","waste_code":"900-249-08","mass_g":185500}"#;
        let env = d.sign_bytes(payload);
        assert_eq!(
            env.signatures[0].sig,
            "L2rzne0GTkDnsB9/AAh3S2mp/hTnfNBMTL2TYKC5nreMIosNayuqaK+tzrOJEDYFbX4nKiPVwix2PS0GfNrmCQ=="
        );
        assert_ne!(d.nonce(), d.nonce());
    }
}
