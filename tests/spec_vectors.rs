//! Byte-exact SPEC v1 vectors (`tests/vectors/spec-v1.json`, see `tests/vectors/SOURCE.md`)
//! for the signature formats of SPEC §2–§5: keys, QR labels, DSSE envelopes, leaf hashes, the
//! tree root and the signed checkpoint. The vectors come from an independent implementation,
//! so agreeing with them byte for byte is what makes our output checkable by others.
//!
//! Every key is Ed25519 from a seed of one byte repeated 32 times; Ed25519 is deterministic, so
//! signing the same bytes must reproduce the vectors' signatures exactly.

use std::path::Path;

use data_encoding::BASE64;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use hwtrace::crypto::dsse::{self, Envelope, PAYLOAD_TYPE};
use hwtrace::crypto::keys::{KeyId, VerifierKey};
use hwtrace::crypto::label::{self, LabelError, LabelPayload, PAYLOAD_LEN, SIG_LEN};
use hwtrace::crypto::merkle::{self, CompactRange, MemoryTree};
use hwtrace::crypto::note::Checkpoint;
use serde_json::Value;

fn vectors() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/spec-v1.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn s<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("vector {pointer} is missing or not a string"))
}

fn n(v: &Value, pointer: &str) -> u64 {
    v.pointer(pointer)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("vector {pointer} is missing or not a number"))
}

/// The signing key and published verifier key of `keys.<role>` in the vectors.
fn key(v: &Value, role: &str) -> (SigningKey, VerifierKey) {
    let seed = n(v, &format!("/keys/{role}/seed_byte")) as u8;
    let sk = SigningKey::from_bytes(&[seed; 32]);
    let vk = VerifierKey::new(s(v, &format!("/keys/{role}/name")), sk.verifying_key()).unwrap();
    (sk, vk)
}

/// A key lookup that knows exactly one key, as a verifier filtered by role does.
fn only(vk: &VerifierKey) -> impl Fn(KeyId) -> Option<VerifyingKey> + '_ {
    move |kid| (kid == vk.key_id).then_some(vk.public_key)
}

fn label_payload(v: &Value, label_key: &VerifierKey) -> LabelPayload {
    LabelPayload::new(
        label_key.key_id,
        s(v, "/label/fields/item_code"),
        n(v, "/label/fields/mass_g"),
        n(v, "/label/fields/hazard_bits") as u8,
        n(v, "/label/fields/form") as u8,
        n(v, "/label/fields/issued_at"),
    )
    .unwrap()
}

#[test]
fn keys() {
    let v = vectors();
    for role in ["log", "label", "device"] {
        let (_, vk) = key(&v, role);
        assert_eq!(vk.key_id.to_hex(), s(&v, &format!("/keys/{role}/key_id")), "{role}");
        let published = s(&v, &format!("/keys/{role}/vkey"));
        assert_eq!(vk.to_string(), published, "{role}");
        assert_eq!(VerifierKey::parse(published).unwrap(), vk, "{role}");
    }
}

#[test]
fn label_bytes_signature_and_qr_text() {
    let v = vectors();
    let (sk, vk) = key(&v, "label");
    let payload = label_payload(&v, &vk);
    assert_eq!(hex::encode(payload.encode()), s(&v, "/label/payload_hex"));
    assert_eq!(
        hex::encode(payload.signed_message()),
        s(&v, "/label/signed_message_hex")
    );
    let sig = payload.sign(&sk);
    assert_eq!(hex::encode(sig), s(&v, "/label/sig_hex"));
    let text = label::qr_text(s(&v, "/label/base_url"), &payload, &sig);
    assert_eq!(text, s(&v, "/label/qr_text"));
    assert!(label::is_qr_alphanumeric(&text));
}

#[test]
fn label_qr_text_decodes_and_verifies_to_the_fields() {
    let v = vectors();
    let (_, vk) = key(&v, "label");
    let decoded = label::verify_qr_text(s(&v, "/label/qr_text"), only(&vk)).unwrap();
    assert_eq!(decoded.key_id, vk.key_id);
    assert_eq!(decoded.item_code_str(), s(&v, "/label/fields/item_code"));
    assert_eq!(decoded.mass_g, n(&v, "/label/fields/mass_g"));
    assert_eq!(u64::from(decoded.hazard_bits), n(&v, "/label/fields/hazard_bits"));
    assert_eq!(u64::from(decoded.form), n(&v, "/label/fields/form"));
    assert_eq!(decoded.issued_at, n(&v, "/label/fields/issued_at"));
    let (payload, sig) = label::parse_qr_text(s(&v, "/label/qr_text")).unwrap();
    assert_eq!(payload, decoded);
    assert_eq!(hex::encode(sig), s(&v, "/label/sig_hex"));
}

#[test]
fn label_every_one_bit_flip_is_refused() {
    let v = vectors();
    let (_, vk) = key(&v, "label");
    let (payload, sig) = label::parse_qr_text(s(&v, "/label/qr_text")).unwrap();
    let good = label::label_bytes(&payload, &sig);
    let (mut forged, mut malformed, mut unknown_key) = (0, 0, 0);
    for bit in 0..(PAYLOAD_LEN + SIG_LEN) * 8 {
        let mut bytes = good;
        bytes[bit / 8] ^= 1 << (bit % 8);
        let text = format!(
            "{}/Q/{}",
            s(&v, "/label/base_url"),
            data_encoding::BASE32_NOPAD.encode(&bytes)
        );
        match label::verify_qr_text(&text, only(&vk)) {
            Ok(_) => panic!("bit {bit} flipped and the label still verified"),
            Err(LabelError::BadSignature) => forged += 1,
            // A changed key ID names a key no one holds; any other failure is malformed bytes.
            Err(LabelError::UnknownKey(_)) => {
                assert!((8..40).contains(&bit), "bit {bit}: unknown key outside key_id");
                unknown_key += 1;
            }
            Err(e) => {
                assert_eq!(e.code(), "malformed_label", "bit {bit}: {e}");
                malformed += 1;
            }
        }
    }
    assert_eq!(unknown_key, 32);
    assert_eq!(forged + malformed + unknown_key, 124 * 8);
    assert!(malformed > 0 && forged > 0);
}

#[test]
fn dsse_pae_signature_and_envelope() {
    let v = vectors();
    let (sk, vk) = key(&v, "device");
    let payload = s(&v, "/dsse/payload_utf8").as_bytes();
    let pae = dsse::pae(PAYLOAD_TYPE, payload);
    assert_eq!(hex::encode(&pae), s(&v, "/dsse/pae_hex"));
    assert_eq!(hex::encode(sk.sign(&pae).to_bytes()), s(&v, "/dsse/sig_hex"));

    let expected = v.pointer("/dsse/envelope").unwrap();
    let signed = dsse::sign_envelope(payload, &[(vk.key_id, &sk)]);
    assert_eq!(&serde_json::to_value(&signed).unwrap(), expected);

    let env: Envelope = serde_json::from_value(expected.clone()).unwrap();
    let verified = env.verify(only(&vk)).unwrap();
    assert_eq!(verified.payload, payload);
    assert_eq!(verified.signers, vec![vk.key_id]);
}

#[test]
fn log_leaves_root_and_checkpoint() {
    let v = vectors();
    let entries: Vec<&str> = v["log"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    let want: Vec<&str> = v["log"]["leaf_hashes_hex"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert_eq!(entries.len(), want.len());
    let leaves: Vec<merkle::Hash> = entries.iter().map(|e| merkle::leaf_hash(e.as_bytes())).collect();
    for (i, (leaf, want)) in leaves.iter().zip(&want).enumerate() {
        assert_eq!(hex::encode(leaf), *want, "entry {i}");
    }

    let root_hex = s(&v, "/log/root_hex");
    assert_eq!(hex::encode(merkle::root_of(&leaves)), root_hex);
    let mut range = CompactRange::new();
    leaves.iter().for_each(|leaf| {
        range.append(*leaf);
    });
    assert_eq!(hex::encode(range.root()), root_hex);

    let (log_sk, log_vk) = key(&v, "log");
    let text = s(&v, "/log/checkpoint");
    let checkpoint = Checkpoint::open(text, &log_vk).unwrap();
    assert_eq!(checkpoint.origin, log_vk.name);
    assert_eq!(checkpoint.size, entries.len() as u64);
    assert_eq!(hex::encode(checkpoint.root), root_hex);
    assert_eq!(checkpoint.sign(&log_vk.name, &log_sk, log_vk.key_id), text);
}

#[test]
fn log_proofs_against_the_vector_root() {
    let v = vectors();
    let leaves: Vec<merkle::Hash> = v["log"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| merkle::leaf_hash(e.as_str().unwrap().as_bytes()))
        .collect();
    let tree: MemoryTree = leaves.iter().copied().collect();
    let size = tree.size();
    let root: merkle::Hash = hex::decode(s(&v, "/log/root_hex")).unwrap().try_into().unwrap();
    for (i, leaf) in leaves.iter().enumerate() {
        let proof = merkle::inclusion_proof(&tree, i as u64, size).unwrap();
        merkle::verify_inclusion(i as u64, size, leaf, &proof, &root).unwrap();
    }
    for old in 1..=size {
        let proof = merkle::consistency_proof(&tree, old, size).unwrap();
        let old_root = merkle::root_of(&leaves[..old as usize]);
        merkle::verify_consistency(old, size, &old_root, &root, &proof).unwrap();
    }
}

#[test]
fn log_entry_one_carries_the_dsse_and_label_examples() {
    let v = vectors();
    let entry: Value = serde_json::from_str(s(&v, "/log/entries/1")).unwrap();
    assert_eq!(&entry["envelope"], v.pointer("/dsse/envelope").unwrap());
    let (_, device) = key(&v, "device");
    let env: Envelope = serde_json::from_value(entry["envelope"].clone()).unwrap();
    env.verify(only(&device)).unwrap();

    let (_, label_key) = key(&v, "label");
    let bytes = BASE64.decode(s(&entry, "/label").as_bytes()).unwrap();
    let (payload, sig) = label::parse_label_bytes(&bytes).unwrap();
    assert_eq!(payload, label_payload(&v, &label_key));
    label::verify(&payload, &sig, only(&label_key)).unwrap();
}

#[test]
fn uscc_valid_and_invalid() {
    let v = vectors();
    for code in v["uscc"]["valid"].as_array().unwrap() {
        let code = code.as_str().unwrap();
        assert_eq!(hwtrace::domain::Uscc::parse(code).unwrap().as_str(), code);
    }
    for code in v["uscc"]["invalid"].as_array().unwrap() {
        assert!(
            hwtrace::domain::Uscc::parse(code.as_str().unwrap()).is_err(),
            "{code} accepted"
        );
    }
}

#[test]
fn item_code_splits_into_its_fields() {
    let v = vectors();
    let c = hwtrace::domain::ItemCode::parse(s(&v, "/item_code/code")).unwrap();
    assert_eq!(c.unit().as_str(), s(&v, "/item_code/unit"));
    assert_eq!(c.waste().to_string(), s(&v, "/item_code/waste"));
    assert_eq!(c.date().to_string(), s(&v, "/item_code/date"));
    assert_eq!(u64::from(c.serial()), n(&v, "/item_code/serial"));
    assert_eq!(c.as_str(), s(&v, "/item_code/code"));
}
