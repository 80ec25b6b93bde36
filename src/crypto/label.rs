//! The signed QR label (SPEC §3): a 60-byte payload, its Ed25519 signature, and the QR text
//! `<BASE URL>/Q/<b32(payload || sig)>`.
//!
//! A roadside inspector's phone checks a label with no network, so everything it needs is here
//! and pure. Decoding refuses anything a v1 signer could not have produced before the signature
//! is even looked at, and a failed signature is reported as forged ([`LabelError::BadSignature`]),
//! never folded into "unknown".

use data_encoding::BASE32_NOPAD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use super::keys::KeyId;

/// Version byte of the v1 payload.
pub const LABEL_VERSION: u8 = 0x01;
/// Length of the encoded v1 payload.
pub const PAYLOAD_LEN: usize = 60;
/// Length of an Ed25519 signature.
pub const SIG_LEN: usize = 64;
/// Length of the item code (SPEC §1.3).
pub const ITEM_CODE_LEN: usize = 37;
/// Domain separation for label signatures, so no other hwtrace signature can pass for one.
pub const SIGNING_PREFIX: &[u8] = b"hwtrace/label/v1\n";
/// Path segment in front of the base32 text.
pub const QR_PATH: &str = "/Q/";
/// Every hazard bit SPEC §3.1 defines: T, C, I, R, In.
pub const HAZARD_BITS_MASK: u8 = 0x1F;
pub const HAZARD_TOXIC: u8 = 0x01;
pub const HAZARD_CORROSIVE: u8 = 0x02;
pub const HAZARD_IGNITABLE: u8 = 0x04;
pub const HAZARD_REACTIVE: u8 = 0x08;
pub const HAZARD_INFECTIOUS: u8 = 0x10;
/// Physical forms (SPEC §3.1).
pub const FORM_SOLID: u8 = 1;
pub const FORM_SEMI_SOLID: u8 = 2;
pub const FORM_LIQUID: u8 = 3;
pub const FORM_GAS: u8 = 4;

/// Longest QR text accepted by [`parse_qr_text`]: a 32-character base URL (SPEC §3.3) needs far
/// less, and the bound keeps a hostile scan from costing anything.
pub const MAX_QR_TEXT_LEN: usize = 1024;

/// Why a label was refused. [`LabelError::code`] gives the stable machine code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("label payload must be {PAYLOAD_LEN} bytes, got {0}")]
    BadLength(usize),
    #[error("label version {0:#04x} is not supported (expected 0x01)")]
    BadVersion(u8),
    #[error("label item code must be 37 ASCII digits and upper-case letters")]
    BadItemCode,
    #[error("label hazard bits {0:#04x} include undefined bits (only 0x1f are defined)")]
    BadHazardBits(u8),
    #[error("label physical form {0} is not 1-4")]
    BadForm(u8),
    #[error("label must be 124 bytes (payload || signature), got {0}")]
    BadLabelLength(usize),
    #[error("label text must end in base32 (RFC 4648, no padding) after /Q/")]
    BadText,
    #[error("label is signed by key {0}, which this verifier does not hold")]
    UnknownKey(KeyId),
    #[error("label signature does not verify: the label is forged or altered")]
    BadSignature,
}

impl LabelError {
    /// Stable machine code for clients and logs.
    pub fn code(&self) -> &'static str {
        match self {
            LabelError::UnknownKey(_) => "unknown_key",
            LabelError::BadSignature => "bad_signature",
            _ => "malformed_label",
        }
    }

    /// Whether the label must be shown as forged: its bytes are well formed, the key is known,
    /// and the signature fails.
    pub fn is_forged(&self) -> bool {
        matches!(self, LabelError::BadSignature)
    }
}

/// The fields of a v1 label payload (SPEC §3.1).
///
/// Build it with [`LabelPayload::new`] so a server can never sign a label that verifiers refuse;
/// [`LabelPayload::decode`] applies the same checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabelPayload {
    pub key_id: KeyId,
    pub item_code: [u8; ITEM_CODE_LEN],
    pub mass_g: u64,
    pub hazard_bits: u8,
    pub form: u8,
    pub issued_at: u64,
}

impl LabelPayload {
    /// A checked payload. `item_code` is the 37-character item code of SPEC §1.3.
    pub fn new(
        key_id: KeyId,
        item_code: &str,
        mass_g: u64,
        hazard_bits: u8,
        form: u8,
        issued_at: u64,
    ) -> Result<LabelPayload, LabelError> {
        let item_code: [u8; ITEM_CODE_LEN] = item_code.as_bytes().try_into().map_err(|_| LabelError::BadItemCode)?;
        let payload = LabelPayload {
            key_id,
            item_code,
            mass_g,
            hazard_bits,
            form,
            issued_at,
        };
        payload.check()?;
        Ok(payload)
    }

    /// Checks the field rules that [`LabelPayload::decode`] enforces.
    pub fn check(&self) -> Result<(), LabelError> {
        let code_ok = self
            .item_code
            .iter()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
        if !code_ok {
            return Err(LabelError::BadItemCode);
        }
        if self.hazard_bits & !HAZARD_BITS_MASK != 0 {
            return Err(LabelError::BadHazardBits(self.hazard_bits));
        }
        if !(FORM_SOLID..=FORM_GAS).contains(&self.form) {
            return Err(LabelError::BadForm(self.form));
        }
        Ok(())
    }

    /// The item code as text (it is ASCII whenever [`LabelPayload::check`] passes).
    pub fn item_code_str(&self) -> &str {
        std::str::from_utf8(&self.item_code).unwrap_or("")
    }

    /// The 60 bytes of SPEC §3.1.
    pub fn encode(&self) -> [u8; PAYLOAD_LEN] {
        debug_assert_eq!(self.check(), Ok(()), "only checked payloads are encoded");
        let mut out = [0u8; PAYLOAD_LEN];
        out[0] = LABEL_VERSION;
        out[1..5].copy_from_slice(&self.key_id.0);
        out[5..42].copy_from_slice(&self.item_code);
        out[42..50].copy_from_slice(&self.mass_g.to_be_bytes());
        out[50] = self.hazard_bits;
        out[51] = self.form;
        out[52..60].copy_from_slice(&self.issued_at.to_be_bytes());
        out
    }

    /// Parses the 60 bytes of SPEC §3.1, refusing anything v1 does not define.
    pub fn decode(bytes: &[u8]) -> Result<LabelPayload, LabelError> {
        let bytes: &[u8; PAYLOAD_LEN] = bytes.try_into().map_err(|_| LabelError::BadLength(bytes.len()))?;
        if bytes[0] != LABEL_VERSION {
            return Err(LabelError::BadVersion(bytes[0]));
        }
        let u64_at = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[at..at + 8]);
            u64::from_be_bytes(b)
        };
        let mut key_id = [0u8; 4];
        key_id.copy_from_slice(&bytes[1..5]);
        let mut item_code = [0u8; ITEM_CODE_LEN];
        item_code.copy_from_slice(&bytes[5..42]);
        let payload = LabelPayload {
            key_id: KeyId(key_id),
            item_code,
            mass_g: u64_at(42),
            hazard_bits: bytes[50],
            form: bytes[51],
            issued_at: u64_at(52),
        };
        payload.check()?;
        Ok(payload)
    }

    /// The exact bytes that get signed: `"hwtrace/label/v1" || 0x0A || payload`.
    pub fn signed_message(&self) -> Vec<u8> {
        [SIGNING_PREFIX, &self.encode()].concat()
    }

    /// Signs the payload with the label key (deterministic, RFC 8032).
    pub fn sign(&self, label_key: &SigningKey) -> [u8; SIG_LEN] {
        label_key.sign(&self.signed_message()).to_bytes()
    }
}

/// Checks a label against the label keys the verifier holds.
///
/// `keys` maps a key ID to a label key; returning a key of another role would let that key
/// sign labels, so the caller filters by role.
pub fn verify(
    payload: &LabelPayload,
    sig: &[u8; SIG_LEN],
    keys: impl Fn(KeyId) -> Option<VerifyingKey>,
) -> Result<(), LabelError> {
    payload.check()?;
    let key = keys(payload.key_id).ok_or(LabelError::UnknownKey(payload.key_id))?;
    key.verify_strict(&payload.signed_message(), &Signature::from_bytes(sig))
        .map_err(|_| LabelError::BadSignature)
}

/// The 124 bytes `payload || sig` that the QR text and the log's `label` member carry.
pub fn label_bytes(payload: &LabelPayload, sig: &[u8; SIG_LEN]) -> [u8; PAYLOAD_LEN + SIG_LEN] {
    let mut out = [0u8; PAYLOAD_LEN + SIG_LEN];
    out[..PAYLOAD_LEN].copy_from_slice(&payload.encode());
    out[PAYLOAD_LEN..].copy_from_slice(sig);
    out
}

/// Splits and decodes the 124 bytes `payload || sig` (no signature check).
pub fn parse_label_bytes(bytes: &[u8]) -> Result<(LabelPayload, [u8; SIG_LEN]), LabelError> {
    if bytes.len() != PAYLOAD_LEN + SIG_LEN {
        return Err(LabelError::BadLabelLength(bytes.len()));
    }
    let payload = LabelPayload::decode(&bytes[..PAYLOAD_LEN])?;
    let mut sig = [0u8; SIG_LEN];
    sig.copy_from_slice(&bytes[PAYLOAD_LEN..]);
    Ok((payload, sig))
}

/// Whether `s` uses only the QR alphanumeric character set, so the code can be encoded in
/// alphanumeric mode and stays small enough for a 30 mm label.
pub fn is_qr_alphanumeric(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b" $%*+-./:".contains(&b))
}

/// The QR text: base URL upper-cased (a trailing `/` dropped) + `/Q/` + b32 of the 124 bytes.
///
/// The base URL is a deployment setting; check it once at start-up with
/// [`is_qr_alphanumeric`] on its upper-cased form.
pub fn qr_text(base_url: &str, payload: &LabelPayload, sig: &[u8; SIG_LEN]) -> String {
    let base = base_url.trim_end_matches('/').to_ascii_uppercase();
    let b32 = BASE32_NOPAD.encode(&label_bytes(payload, sig));
    format!("{base}{QR_PATH}{b32}")
}

/// Takes the last path segment of a scanned QR text and decodes `payload || sig` from it.
///
/// Only upper-case base32 is produced, but lower case is accepted because phone scanners
/// sometimes lower-case URLs; surrounding whitespace from a scanner is ignored too.
pub fn parse_qr_text(text: &str) -> Result<(LabelPayload, [u8; SIG_LEN]), LabelError> {
    if text.len() > MAX_QR_TEXT_LEN {
        return Err(LabelError::BadText);
    }
    let segment = text.trim().rsplit('/').next().unwrap_or("");
    if segment.is_empty() {
        return Err(LabelError::BadText);
    }
    let bytes = BASE32_NOPAD
        .decode(segment.to_ascii_uppercase().as_bytes())
        .map_err(|_| LabelError::BadText)?;
    parse_label_bytes(&bytes)
}

/// Parses a scanned QR text and checks its signature: what the inspector's phone does.
pub fn verify_qr_text(text: &str, keys: impl Fn(KeyId) -> Option<VerifyingKey>) -> Result<LabelPayload, LabelError> {
    let (payload, sig) = parse_qr_text(text)?;
    verify(&payload, &sig, keys)?;
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[2; 32])
    }

    fn sample() -> LabelPayload {
        let kid = KeyId::of("hwtrace.test/log/label", &key().verifying_key());
        LabelPayload::new(kid, "91500110MA5U8F4X2N9002490820261128001", 185_500, 5, 3, 1).unwrap()
    }

    fn lookup(kid: KeyId) -> Option<VerifyingKey> {
        (kid == sample().key_id).then(|| key().verifying_key())
    }

    #[test]
    fn decode_refuses_what_v1_does_not_define() {
        let good = sample().encode();
        assert_eq!(LabelPayload::decode(&good), Ok(sample()));
        assert_eq!(LabelPayload::decode(&good[..59]), Err(LabelError::BadLength(59)));
        assert_eq!(
            LabelPayload::decode(&[&good[..], &[0]].concat()),
            Err(LabelError::BadLength(61))
        );
        let with = |at: usize, v: u8| {
            let mut b = good;
            b[at] = v;
            LabelPayload::decode(&b)
        };
        assert_eq!(with(0, 2), Err(LabelError::BadVersion(2)));
        assert_eq!(with(5, 0xC3), Err(LabelError::BadItemCode));
        assert_eq!(with(41, b'a'), Err(LabelError::BadItemCode));
        assert_eq!(with(20, 0), Err(LabelError::BadItemCode));
        assert_eq!(with(50, 0x20), Err(LabelError::BadHazardBits(0x20)));
        assert_eq!(with(50, 0x1F).map(|p| p.hazard_bits), Ok(0x1F));
        assert_eq!(with(51, 0), Err(LabelError::BadForm(0)));
        assert_eq!(with(51, 5), Err(LabelError::BadForm(5)));
        assert_eq!(with(51, 4).map(|p| p.form), Ok(4));
    }

    #[test]
    fn new_refuses_bad_item_codes() {
        let kid = sample().key_id;
        assert_eq!(
            LabelPayload::new(kid, "91500110MA5U8F4X2N900249082026112800", 1, 1, 1, 0),
            Err(LabelError::BadItemCode)
        );
        assert_eq!(
            LabelPayload::new(kid, "91500110ma5u8f4x2n9002490820261128001", 1, 1, 1, 0),
            Err(LabelError::BadItemCode)
        );
    }

    #[test]
    fn qr_text_round_trips_in_either_case() {
        let p = sample();
        let sig = p.sign(&key());
        let text = qr_text("https://hw.example.cn/", &p, &sig);
        assert!(text.starts_with("HTTPS://HW.EXAMPLE.CN/Q/"));
        assert!(is_qr_alphanumeric(&text));
        assert_eq!(verify_qr_text(&text, lookup), Ok(p));
        assert_eq!(verify_qr_text(&text.to_lowercase(), lookup), Ok(p));
        assert_eq!(verify_qr_text(&format!("{text}\r\n"), lookup), Ok(p));
        let b32 = text.rsplit('/').next().unwrap();
        assert_eq!(verify_qr_text(b32, lookup), Ok(p));
        assert_eq!(verify_qr_text(&format!("{text}="), lookup), Err(LabelError::BadText));
        assert_eq!(
            verify_qr_text(&text[..text.len() - 7], lookup),
            Err(LabelError::BadLabelLength(120))
        );
        assert_eq!(verify_qr_text(&format!("{text}/"), lookup), Err(LabelError::BadText));
    }

    #[test]
    fn non_canonical_base32_is_refused() {
        // 124 bytes leave 3 unused bits in the last character; only zeros are canonical.
        let text = qr_text("HTTPS://X", &sample(), &sample().sign(&key()));
        let last = text.chars().last().unwrap();
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let pos = alphabet.find(last).unwrap();
        let other = alphabet.as_bytes()[pos ^ 1] as char;
        let tampered = format!("{}{}", &text[..text.len() - 1], other);
        assert_eq!(parse_qr_text(&tampered), Err(LabelError::BadText));
    }

    #[test]
    fn unknown_key_and_forgery_are_told_apart() {
        let p = sample();
        let sig = p.sign(&key());
        assert_eq!(verify(&p, &sig, |_| None), Err(LabelError::UnknownKey(p.key_id)));
        let other = SigningKey::from_bytes(&[9; 32]);
        let forged = p.sign(&other);
        let err = verify(&p, &forged, lookup).unwrap_err();
        assert!(err.is_forged());
        assert_eq!(err.code(), "bad_signature");
    }

    proptest! {
        #[test]
        fn payload_round_trips(
            code in "[0-9A-Z]{37}",
            mass_g in any::<u64>(),
            hazard_bits in 0u8..=0x1F,
            form in 1u8..=4,
            issued_at in any::<u64>(),
            kid in any::<[u8; 4]>(),
        ) {
            let p = LabelPayload::new(KeyId(kid), &code, mass_g, hazard_bits, form, issued_at)
                .unwrap();
            prop_assert_eq!(LabelPayload::decode(&p.encode()), Ok(p));
            prop_assert_eq!(p.item_code_str(), code.as_str());
        }

        #[test]
        fn any_one_bit_flip_is_refused(bit in 0usize..(PAYLOAD_LEN + SIG_LEN) * 8) {
            let p = sample();
            let mut bytes = label_bytes(&p, &p.sign(&key()));
            bytes[bit / 8] ^= 1 << (bit % 8);
            let text = format!("HTTPS://X/Q/{}", BASE32_NOPAD.encode(&bytes));
            prop_assert!(verify_qr_text(&text, lookup).is_err());
        }
    }
}
