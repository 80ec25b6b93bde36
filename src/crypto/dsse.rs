//! DSSE envelopes for custody events (SPEC §4, DSSE protocol v1.0).
//!
//! Devices sign the pre-authentication encoding (PAE) of the raw event bytes, never a
//! re-serialisation, so a stored envelope can be checked again forever. Verification checks
//! every signature, since a co-signed event is only as good as its weakest party.

use data_encoding::BASE64;
use ed25519_dalek::{Signature as EdSignature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::keys::KeyId;

/// The only payload type hwtrace signs or accepts.
pub const PAYLOAD_TYPE: &str = "application/vnd.hwtrace.event+json";

/// Most signatures one envelope may carry: a co-signed correction needs a few parties, and the
/// bound keeps a hostile envelope from costing many verifications.
pub const MAX_SIGNATURES: usize = 16;

/// `"DSSEv1" SP LEN(type) SP type SP LEN(payload) SP payload`, lengths in ASCII decimal.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let head = format!("DSSEv1 {} {} {} ", payload_type.len(), payload_type, payload.len());
    [head.as_bytes(), payload].concat()
}

/// One signature as it appears on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// 8 lower-case hex digits of the signer's key ID (SPEC §2).
    pub keyid: String,
    /// Standard base64 of the 64-byte Ed25519 signature.
    pub sig: String,
}

/// A DSSE envelope exactly as it travels (SPEC §4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// Standard base64 (with padding) of the event bytes.
    pub payload: String,
    pub signatures: Vec<Signature>,
}

/// Why an envelope was refused. [`DsseError::code`] gives the stable machine code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DsseError {
    #[error("envelope {0} is not standard base64 with padding")]
    BadBase64(&'static str),
    #[error("payloadType must be {PAYLOAD_TYPE}, got {0:?}")]
    WrongPayloadType(String),
    #[error("envelope carries no signature")]
    NoSignatures,
    #[error("envelope carries more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    #[error("signature keyid {0:?} is not 8 lower-case hex digits")]
    BadKeyId(String),
    #[error("key {0} signs this envelope twice")]
    DuplicateKeyId(KeyId),
    #[error("key {0} is not a key that may sign this envelope")]
    UnknownKey(KeyId),
    #[error("signature by key {0} does not verify")]
    BadSignature(KeyId),
}

impl DsseError {
    /// Stable machine code for clients and logs.
    pub fn code(&self) -> &'static str {
        match self {
            DsseError::BadBase64(_) => "bad_base64",
            DsseError::WrongPayloadType(_) => "wrong_payload_type",
            DsseError::NoSignatures => "no_signatures",
            DsseError::TooManySignatures => "too_many_signatures",
            DsseError::BadKeyId(_) => "bad_key_id",
            DsseError::DuplicateKeyId(_) => "duplicate_key_id",
            DsseError::UnknownKey(_) => "unknown_key",
            DsseError::BadSignature(_) => "bad_signature",
        }
    }
}

/// What a verified envelope yields: the exact signed bytes and who signed them, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub payload: Vec<u8>,
    pub signers: Vec<KeyId>,
}

/// Signs `payload` with every given key, in order, as an hwtrace event envelope.
pub fn sign_envelope(payload: &[u8], signers: &[(KeyId, &SigningKey)]) -> Envelope {
    let message = pae(PAYLOAD_TYPE, payload);
    let signatures = signers
        .iter()
        .map(|(key_id, key)| Signature {
            keyid: key_id.to_hex(),
            sig: BASE64.encode(&key.sign(&message).to_bytes()),
        })
        .collect();
    Envelope {
        payload_type: PAYLOAD_TYPE.to_owned(),
        payload: BASE64.encode(payload),
        signatures,
    }
}

impl Envelope {
    /// The decoded event bytes (no signature check).
    pub fn payload_bytes(&self) -> Result<Vec<u8>, DsseError> {
        BASE64
            .decode(self.payload.as_bytes())
            .map_err(|_| DsseError::BadBase64("payload"))
    }

    /// Checks the payload type and every signature. `keys` maps a key ID to a key allowed to
    /// sign events; keys of other roles must not be returned.
    pub fn verify(&self, keys: impl Fn(KeyId) -> Option<VerifyingKey>) -> Result<Verified, DsseError> {
        if self.payload_type != PAYLOAD_TYPE {
            return Err(DsseError::WrongPayloadType(self.payload_type.clone()));
        }
        if self.signatures.is_empty() {
            return Err(DsseError::NoSignatures);
        }
        if self.signatures.len() > MAX_SIGNATURES {
            return Err(DsseError::TooManySignatures);
        }
        let payload = self.payload_bytes()?;
        let message = pae(&self.payload_type, &payload);
        let mut signers: Vec<KeyId> = Vec::with_capacity(self.signatures.len());
        for s in &self.signatures {
            let key_id = KeyId::parse_hex(&s.keyid).map_err(|_| DsseError::BadKeyId(s.keyid.clone()))?;
            if signers.contains(&key_id) {
                return Err(DsseError::DuplicateKeyId(key_id));
            }
            let raw = BASE64
                .decode(s.sig.as_bytes())
                .map_err(|_| DsseError::BadBase64("sig"))?;
            let key = keys(key_id).ok_or(DsseError::UnknownKey(key_id))?;
            let sig: [u8; 64] = raw.try_into().map_err(|_| DsseError::BadSignature(key_id))?;
            key.verify_strict(&message, &EdSignature::from_bytes(&sig))
                .map_err(|_| DsseError::BadSignature(key_id))?;
            signers.push(key_id);
        }
        Ok(Verified { payload, signers })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> (KeyId, SigningKey) {
        let sk = SigningKey::from_bytes(&[b; 32]);
        (KeyId::of(&format!("dev-{b}"), &sk.verifying_key()), sk)
    }

    fn lookup(kid: KeyId) -> Option<VerifyingKey> {
        (1..=4)
            .map(key)
            .find(|(id, _)| *id == kid)
            .map(|(_, sk)| sk.verifying_key())
    }

    #[test]
    fn pae_matches_the_dsse_spec_example() {
        // From the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn co_signed_envelope_verifies_and_round_trips_json() {
        let (a, b) = (key(1), key(2));
        let env = sign_envelope(b"{}", &[(a.0, &a.1), (b.0, &b.1)]);
        let json = serde_json::to_string(&env).unwrap();
        assert!(json.starts_with(r#"{"payloadType":"#));
        let back: Envelope = serde_json::from_str(&json).unwrap();
        assert_eq!(back, env);
        let v = back.verify(lookup).unwrap();
        assert_eq!(v.payload, b"{}");
        assert_eq!(v.signers, vec![a.0, b.0]);
    }

    #[test]
    fn each_refusal_has_its_own_error() {
        let (a, b) = (key(1), key(2));
        let good = sign_envelope(b"{\"x\":1}", &[(a.0, &a.1)]);
        let with = |f: &dyn Fn(&mut Envelope)| {
            let mut e = good.clone();
            f(&mut e);
            e.verify(lookup)
        };
        assert_eq!(
            with(&|e| e.payload_type = "application/json".into()),
            Err(DsseError::WrongPayloadType("application/json".into()))
        );
        assert_eq!(with(&|e| e.signatures.clear()), Err(DsseError::NoSignatures));
        assert_eq!(
            with(&|e| e.payload = e.payload.trim_end_matches('=').into()),
            Err(DsseError::BadBase64("payload"))
        );
        assert_eq!(
            with(&|e| e.signatures[0].sig.insert(0, '!')),
            Err(DsseError::BadBase64("sig"))
        );
        assert_eq!(
            with(&|e| e.signatures[0].keyid = e.signatures[0].keyid.to_uppercase()),
            Err(DsseError::BadKeyId(good.signatures[0].keyid.to_uppercase()))
        );
        let dup = good.signatures[0].clone();
        assert_eq!(
            with(&|e| e.signatures.push(dup.clone())),
            Err(DsseError::DuplicateKeyId(a.0))
        );
        let stranger = key(9);
        let unknown = sign_envelope(b"{\"x\":1}", &[(stranger.0, &stranger.1)]);
        assert_eq!(unknown.verify(lookup), Err(DsseError::UnknownKey(stranger.0)));
        // Key a's ID with key b's signature: a forgery.
        let forged = sign_envelope(b"{\"x\":1}", &[(a.0, &b.1)]);
        assert_eq!(forged.verify(lookup), Err(DsseError::BadSignature(a.0)));
        let other_payload = sign_envelope(b"{\"x\":2}", &[(a.0, &a.1)]);
        assert_eq!(
            with(&|e| e.payload = other_payload.payload.clone()),
            Err(DsseError::BadSignature(a.0))
        );
        let short = BASE64.encode(&[0u8; 63]);
        assert_eq!(
            with(&|e| e.signatures[0].sig = short.clone()),
            Err(DsseError::BadSignature(a.0))
        );
        let many: Vec<_> = (0..=MAX_SIGNATURES).map(|_| dup.clone()).collect();
        assert_eq!(
            with(&|e| e.signatures = many.clone()),
            Err(DsseError::TooManySignatures)
        );
    }

    #[test]
    fn unknown_json_fields_are_refused() {
        let extra = r#"{"payloadType":"t","payload":"","signatures":[],"x":1}"#;
        assert!(serde_json::from_str::<Envelope>(extra).is_err());
        let extra_sig = r#"{"payloadType":"t","payload":"","signatures":[{"keyid":"","sig":"","x":1}]}"#;
        assert!(serde_json::from_str::<Envelope>(extra_sig).is_err());
        let dup = r#"{"payloadType":"t","payloadType":"t","payload":"","signatures":[]}"#;
        assert!(serde_json::from_str::<Envelope>(dup).is_err());
        let missing = r#"{"payloadType":"t","payload":""}"#;
        assert!(serde_json::from_str::<Envelope>(missing).is_err());
    }
}
