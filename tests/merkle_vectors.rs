//! Every RFC 6962/9162 proof case of transparency-dev/merkle (copied under
//! `tests/vectors/merkle/`, see `tests/vectors/SOURCE.md`): the verifiers must accept each
//! `wantErr: false` case and refuse each `wantErr: true` case.
//!
//! Hashes on the wire are base64; the verifiers take typed 32-byte hashes, so decoding is part
//! of what refuses a case, as it is at the HTTP edge. One detail needs a rule: some cases put a
//! placeholder of the wrong length where a *root* goes (`"ZG9uJ3QgY2FyZSAx"`, "don't care 1"),
//! including one that must be accepted (equal sizes, equal placeholder roots). A verifier only
//! ever compares roots for equality, so such a placeholder is mapped to a 32-byte stand-in that
//! keeps equal placeholders equal and differs from every real hash. A leaf hash or proof hash of
//! the wrong length is refused at decoding.

use std::path::{Path, PathBuf};

use data_encoding::BASE64;
use hwtrace::crypto::merkle::{verify_consistency, verify_inclusion, Hash};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Case files in the copied folders; a change in the copy must show up here.
const INCLUSION_CASES: usize = 98;
const CONSISTENCY_CASES: usize = 98;
const INCLUSION_ACCEPTED: usize = 6;
const CONSISTENCY_ACCEPTED: usize = 6;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InclusionCase {
    leaf_idx: u64,
    tree_size: u64,
    root: String,
    leaf_hash: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConsistencyCase {
    size1: u64,
    size2: u64,
    root1: String,
    root2: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

fn vectors_dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/merkle")
        .join(kind)
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(json_files(&path));
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn read<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A leaf or proof hash: exactly 32 bytes of base64, or refused.
fn strict_hash(b64: &str) -> Option<Hash> {
    BASE64.decode(b64.as_bytes()).ok()?.try_into().ok()
}

fn strict_proof(proof: &Option<Vec<String>>) -> Option<Vec<Hash>> {
    proof.iter().flatten().map(|h| strict_hash(h)).collect()
}

/// A root: a real 32-byte hash, or a stand-in for a placeholder (see the module comment).
fn root_value(b64: &str) -> Option<Hash> {
    let bytes = BASE64.decode(b64.as_bytes()).ok()?;
    Some(bytes.clone().try_into().unwrap_or_else(|_| {
        Sha256::digest([b"merkle-test-vectors placeholder root\n".as_slice(), &bytes].concat()).into()
    }))
}

fn inclusion_accepted(c: &InclusionCase) -> bool {
    let (Some(root), Some(leaf), Some(proof)) =
        (root_value(&c.root), strict_hash(&c.leaf_hash), strict_proof(&c.proof))
    else {
        return false;
    };
    verify_inclusion(c.leaf_idx, c.tree_size, &leaf, &proof, &root).is_ok()
}

fn consistency_accepted(c: &ConsistencyCase) -> bool {
    let (Some(root1), Some(root2), Some(proof)) = (root_value(&c.root1), root_value(&c.root2), strict_proof(&c.proof))
    else {
        return false;
    };
    verify_consistency(c.size1, c.size2, &root1, &root2, &proof).is_ok()
}

#[test]
fn every_inclusion_case() {
    let files = json_files(&vectors_dir("inclusion"));
    assert_eq!(files.len(), INCLUSION_CASES);
    let mut accepted = 0;
    for path in &files {
        let case: InclusionCase = read(path);
        let ok = inclusion_accepted(&case);
        assert_eq!(ok, !case.want_err, "{}: {}", path.display(), case.desc);
        accepted += usize::from(ok);
    }
    assert_eq!(accepted, INCLUSION_ACCEPTED);
}

#[test]
fn every_consistency_case() {
    let files = json_files(&vectors_dir("consistency"));
    assert_eq!(files.len(), CONSISTENCY_CASES);
    let mut accepted = 0;
    for path in &files {
        let case: ConsistencyCase = read(path);
        let ok = consistency_accepted(&case);
        assert_eq!(ok, !case.want_err, "{}: {}", path.display(), case.desc);
        accepted += usize::from(ok);
    }
    assert_eq!(accepted, CONSISTENCY_ACCEPTED);
}

#[test]
fn placeholder_roots_never_pass_for_real_hashes() {
    // The stand-in must not collide with what the cases use as real values.
    let empty = root_value("").unwrap();
    assert_ne!(Some(empty), strict_hash("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="));
    assert_ne!(root_value("ZG9uJ3QgY2FyZSAx"), root_value("ZG9uJ3QgY2FyZSAy"));
}
