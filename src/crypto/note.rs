//! Checkpoints of the custody log (SPEC §5.3): C2SP tlog-checkpoint bodies signed as C2SP
//! signed notes.
//!
//! Other logs' tooling and witnesses read these, so the text is produced and parsed strictly:
//! exactly three body lines, a blank line, then signature lines `— <name> <b64(key_id || sig)>`.
//! Signature lines by keys the verifier does not hold are allowed and skipped (witness
//! cosignatures), as the signed-note format requires.

use data_encoding::BASE64;
use ed25519_dalek::{Signature, Signer, SigningKey};

use super::keys::{KeyId, VerifierKey};
use super::merkle::{hash_from_b64, hash_to_b64, Hash};

/// What starts every signature line: U+2014 EM DASH and one space.
pub const SIG_LINE_PREFIX: &str = "\u{2014} ";
/// Longest note accepted: a checkpoint with many cosignatures is still far below this.
pub const MAX_NOTE_LEN: usize = 64 * 1024;
/// Most signature lines accepted (the limit Go's signed-note reader applies).
pub const MAX_SIGNATURE_LINES: usize = 100;

/// Why a checkpoint note was refused. [`NoteError::code`] gives the stable machine code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("note is longer than {MAX_NOTE_LEN} bytes")]
    TooLong,
    #[error("note has no blank line between text and signatures")]
    MissingBlankLine,
    #[error("checkpoint text must be exactly three lines: origin, size, root")]
    BadLineCount,
    #[error("checkpoint origin must be non-empty text without control characters")]
    BadOrigin,
    #[error("checkpoint size must be a decimal number without leading zeros")]
    BadSize,
    #[error("checkpoint root must be standard base64 of 32 bytes")]
    BadRoot,
    #[error("a signature line is malformed")]
    BadSignatureLine,
    #[error("note has more than {MAX_SIGNATURE_LINES} signature lines")]
    TooManySignatures,
    #[error("note has no signature by the expected key")]
    NoSignatureByKey,
    #[error("the expected key's signature on the note does not verify")]
    BadSignature,
}

impl NoteError {
    /// Stable machine code for clients and logs.
    pub fn code(&self) -> &'static str {
        match self {
            NoteError::NoSignatureByKey => "unknown_key",
            NoteError::BadSignature => "bad_signature",
            _ => "malformed_checkpoint",
        }
    }
}

/// A signed tree head: the log's origin, its size and its root hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    /// The signed text: three lines, each ending in `\n`.
    pub fn body(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, hash_to_b64(&self.root))
    }

    /// The full note: body, blank line, and one signature line by `key_name`.
    ///
    /// `key_id` must be `KeyId::of(key_name, &key.verifying_key())`; it is passed in because the
    /// caller already holds it with the key.
    pub fn sign(&self, key_name: &str, key: &SigningKey, key_id: KeyId) -> String {
        debug_assert_eq!(key_id, KeyId::of(key_name, &key.verifying_key()));
        let body = self.body();
        let sig = key.sign(body.as_bytes()).to_bytes();
        let blob = [&key_id.0[..], &sig[..]].concat();
        format!("{body}\n{SIG_LINE_PREFIX}{key_name} {}\n", BASE64.encode(&blob))
    }

    /// Parses a note strictly and checks that `key` signed it. The caller still compares
    /// `origin` with the log it expects.
    pub fn open(text: &str, key: &VerifierKey) -> Result<Checkpoint, NoteError> {
        if text.len() > MAX_NOTE_LEN {
            return Err(NoteError::TooLong);
        }
        // Signature lines are never blank, so the last blank line is the separator.
        let split = text.rfind("\n\n").ok_or(NoteError::MissingBlankLine)?;
        let (body, sigs) = (&text[..split + 1], &text[split + 2..]);
        let checkpoint = parse_body(body)?;
        check_signatures(body, sigs, key)?;
        Ok(checkpoint)
    }
}

fn parse_body(body: &str) -> Result<Checkpoint, NoteError> {
    let lines: Vec<&str> = body
        .strip_suffix('\n')
        .ok_or(NoteError::BadLineCount)?
        .split('\n')
        .collect();
    let [origin, size, root] = lines[..] else {
        return Err(NoteError::BadLineCount);
    };
    if origin.is_empty() || origin.chars().any(char::is_control) {
        return Err(NoteError::BadOrigin);
    }
    Ok(Checkpoint {
        origin: origin.to_owned(),
        size: parse_size(size)?,
        root: hash_from_b64(root).ok_or(NoteError::BadRoot)?,
    })
}

fn parse_size(s: &str) -> Result<u64, NoteError> {
    let digits_only = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits_only || (s.len() > 1 && s.starts_with('0')) {
        return Err(NoteError::BadSize);
    }
    s.parse().map_err(|_| NoteError::BadSize)
}

/// Every signature line must be well formed; the ones by `key` must all verify, and there must
/// be at least one.
fn check_signatures(body: &str, sigs: &str, key: &VerifierKey) -> Result<(), NoteError> {
    let lines = sigs.strip_suffix('\n').ok_or(NoteError::BadSignatureLine)?.split('\n');
    let mut found = false;
    for (count, line) in lines.enumerate() {
        if count == MAX_SIGNATURE_LINES {
            return Err(NoteError::TooManySignatures);
        }
        let (name, blob) = parse_signature_line(line)?;
        if name != key.name || blob[..4] != key.key_id.0 {
            continue;
        }
        let sig: [u8; 64] = blob[4..].try_into().map_err(|_| NoteError::BadSignature)?;
        key.public_key
            .verify_strict(body.as_bytes(), &Signature::from_bytes(&sig))
            .map_err(|_| NoteError::BadSignature)?;
        found = true;
    }
    if found {
        Ok(())
    } else {
        Err(NoteError::NoSignatureByKey)
    }
}

/// Splits `— <name> <b64>` into the name and the decoded `key_id || signature` blob.
fn parse_signature_line(line: &str) -> Result<(&str, Vec<u8>), NoteError> {
    let rest = line.strip_prefix(SIG_LINE_PREFIX).ok_or(NoteError::BadSignatureLine)?;
    let (name, b64) = rest.split_once(' ').ok_or(NoteError::BadSignatureLine)?;
    let name_ok = !name.is_empty() && !name.contains(|c: char| c.is_whitespace() || c == '+');
    if !name_ok {
        return Err(NoteError::BadSignatureLine);
    }
    let blob = BASE64.decode(b64.as_bytes()).map_err(|_| NoteError::BadSignatureLine)?;
    // A key ID and at least one byte of signature, whatever the algorithm.
    if blob.len() < 5 {
        return Err(NoteError::BadSignatureLine);
    }
    Ok((name, blob))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::merkle::leaf_hash;
    use proptest::prelude::*;

    const NAME: &str = "example.test/log";

    fn key() -> (SigningKey, VerifierKey) {
        let sk = SigningKey::from_bytes(&[1; 32]);
        let vk = VerifierKey::new(NAME, sk.verifying_key()).unwrap();
        (sk, vk)
    }

    fn sample() -> Checkpoint {
        Checkpoint {
            origin: NAME.into(),
            size: 42,
            root: leaf_hash(b"x"),
        }
    }

    fn signed() -> String {
        let (sk, vk) = key();
        sample().sign(NAME, &sk, vk.key_id)
    }

    #[test]
    fn round_trips() {
        let text = signed();
        assert!(text.starts_with("example.test/log\n42\n"));
        assert!(text.contains("\n\n\u{2014} example.test/log "));
        assert_eq!(Checkpoint::open(&text, &key().1), Ok(sample()));
    }

    #[test]
    fn other_keys_lines_are_skipped_but_must_be_well_formed() {
        let text = signed();
        let witness = format!("{text}\u{2014} witness.example AAAAAAAAAAAAAAAAAAAAAAAA\n");
        assert_eq!(Checkpoint::open(&witness, &key().1), Ok(sample()));
        let first = format!(
            "{}\u{2014} witness.example AAAAAAAA\n{}",
            sample().body() + "\n",
            &text[sample().body().len() + 1..]
        );
        assert_eq!(Checkpoint::open(&first, &key().1), Ok(sample()));
        for bad in ["- w AAAAAAAA", "\u{2014} w", "\u{2014} w AAAA", "\u{2014} w !!!!"] {
            let t = format!("{text}{bad}\n");
            assert_eq!(
                Checkpoint::open(&t, &key().1),
                Err(NoteError::BadSignatureLine),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn blank_signature_line_is_refused() {
        let t = format!("{}\n", signed());
        assert!(Checkpoint::open(&t, &key().1).is_err());
    }

    #[test]
    fn strict_parsing() {
        let text = signed();
        let vk = key().1;
        let body = sample().body();
        let sigs = &text[body.len() + 1..];
        let open = |t: &str| Checkpoint::open(t, &vk);
        assert_eq!(open(&text.replacen("\n\n", "\n", 1)), Err(NoteError::MissingBlankLine));
        assert_eq!(open(&format!("{body}extra\n\n{sigs}")), Err(NoteError::BadLineCount));
        assert_eq!(
            open(&format!("{}\n{sigs}", &body[..body.len() - 1])),
            Err(NoteError::MissingBlankLine)
        );
        assert_eq!(open(text.trim_end()), Err(NoteError::BadSignatureLine));
        let root = hash_to_b64(&sample().root);
        for size in ["042", "+42", "4 2", "", "18446744073709551616", "0x2a"] {
            let t = format!("{NAME}\n{size}\n{root}\n\n{sigs}");
            assert_eq!(open(&t), Err(NoteError::BadSize), "{size:?}");
        }
        for bad_root in ["ZG9uJ3QgY2FyZSAx", &root[..root.len() - 1], ""] {
            let t = format!("{NAME}\n42\n{bad_root}\n\n{sigs}");
            assert_eq!(open(&t), Err(NoteError::BadRoot), "{bad_root:?}");
        }
        let t = format!("\n42\n{root}\n\n{sigs}");
        assert_eq!(open(&t), Err(NoteError::BadOrigin));
        assert_eq!(open(&"x".repeat(MAX_NOTE_LEN + 1)), Err(NoteError::TooLong));
    }

    #[test]
    fn signature_checks() {
        let vk = key().1;
        let text = signed();
        // Same size, different root: the signature no longer covers the body.
        let other_root = hash_to_b64(&leaf_hash(b"y"));
        let tampered = text.replace(&hash_to_b64(&sample().root), &other_root);
        assert_eq!(Checkpoint::open(&tampered, &vk), Err(NoteError::BadSignature));
        let tampered = text.replacen("42", "43", 1);
        assert_eq!(Checkpoint::open(&tampered, &vk), Err(NoteError::BadSignature));
        let stranger = SigningKey::from_bytes(&[7; 32]);
        let svk = VerifierKey::new("other/log", stranger.verifying_key()).unwrap();
        assert_eq!(Checkpoint::open(&text, &svk), Err(NoteError::NoSignatureByKey));
        // Right name and key ID, wrong key: a forgery, not an unknown signer.
        let sig = stranger.sign(sample().body().as_bytes()).to_bytes();
        let blob = BASE64.encode(&[&vk.key_id.0[..], &sig[..]].concat());
        let forged = format!("{}\n\u{2014} {NAME} {blob}\n", sample().body());
        assert_eq!(Checkpoint::open(&forged, &vk), Err(NoteError::BadSignature));
        let size_zero = Checkpoint { size: 0, ..sample() };
        let t = size_zero.sign(NAME, &key().0, vk.key_id);
        assert_eq!(Checkpoint::open(&t, &vk).map(|c| c.size), Ok(0));
    }

    proptest! {
        #[test]
        fn any_checkpoint_round_trips(
            origin in "[a-z0-9./-]{1,40}",
            size in any::<u64>(),
            root in any::<[u8; 32]>(),
        ) {
            let (sk, vk) = key();
            let c = Checkpoint { origin, size, root };
            prop_assert_eq!(Checkpoint::open(&c.sign(NAME, &sk, vk.key_id), &vk), Ok(c));
        }
    }
}
