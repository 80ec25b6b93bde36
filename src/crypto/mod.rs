//! Wire formats that carry signatures (SPEC §2–§5): named keys, labels, DSSE envelopes,
//! checkpoints and the Merkle tree. Everything here is pure: bytes in, bytes out.

pub mod dsse;
pub mod keys;
pub mod label;
pub mod merkle;
pub mod note;
