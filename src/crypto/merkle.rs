//! The custody log's Merkle tree (SPEC §5.2, RFC 6962 / RFC 9162 §2.1): hashing, an
//! incremental frontier, proof generation and proof verification.
//!
//! Pure: nodes come from a [`NodeSource`] that the storage layer implements, so the same code
//! serves the HTTP proofs, the auditor and the tests. The server never replays the log at
//! start-up: [`CompactRange::from_source`] rebuilds the frontier from O(log n) stored nodes.
//!
//! Node `(level, index)` is the perfect subtree over leaves `[index·2^level, (index+1)·2^level)`;
//! level 0 holds the leaf hashes. Only perfect nodes are ever stored or asked for: the hash of a
//! ragged right edge is recomputed from its perfect parts, which is cheap and keeps stored nodes
//! immutable once written.

use data_encoding::BASE64;
use sha2::{Digest, Sha256};

/// A SHA-256 value: a leaf hash, an interior node or a root.
pub type Hash = [u8; 32];

/// A node that became complete on an append: `(level, index, hash)`.
pub type NewNode = (u32, u64, Hash);

/// `SHA-256(0x00 || entry_bytes)`; the prefix keeps a leaf from passing for an interior node.
pub fn leaf_hash(entry_bytes: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(entry_bytes);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Standard base64 (with padding) of a hash, as checkpoints and proof responses carry it.
pub fn hash_to_b64(hash: &Hash) -> String {
    BASE64.encode(hash)
}

/// Decodes a base64 hash, refusing anything that is not exactly 32 bytes.
pub fn hash_from_b64(s: &str) -> Option<Hash> {
    BASE64.decode(s.as_bytes()).ok()?.try_into().ok()
}

/// The tree head over `leaves`, computed straight from the RFC's recursive definition.
///
/// Kept independent of [`CompactRange`] on purpose: the auditor recomputes roots with it, and the
/// tests hold the two implementations against each other.
pub fn root_of(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split_point(n as u64) as usize;
            node_hash(&root_of(&leaves[..k]), &root_of(&leaves[k..]))
        }
    }
}

/// The largest power of two strictly below `n` (`n >= 2`): where RFC 6962 splits a tree.
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// Read access to stored perfect nodes. Implemented by the storage layer (and by [`MemoryTree`]).
pub trait NodeSource {
    type Error;
    /// The perfect node `(level, index)`. Callers here only ask for nodes that are complete in
    /// the tree size they work on, i.e. `(index + 1) << level <= size`.
    fn node(&self, level: u32, index: u64) -> Result<Hash, Self::Error>;
}

impl<T: NodeSource + ?Sized> NodeSource for &T {
    type Error = T::Error;
    fn node(&self, level: u32, index: u64) -> Result<Hash, Self::Error> {
        (**self).node(level, index)
    }
}

/// The perfect nodes whose hashes make up the frontier of a tree of `size` leaves, largest
/// (leftmost) first: one per set bit of `size`.
pub fn frontier_positions(size: u64) -> Vec<(u32, u64)> {
    let mut out = Vec::with_capacity(size.count_ones() as usize);
    let mut start = 0u64;
    for level in (0..64u32).rev() {
        if size >> level & 1 == 1 {
            out.push((level, start >> level));
            start += 1 << level;
        }
    }
    out
}

/// The right frontier of a tree: the perfect subtrees that cover leaves `[0, size)`, largest
/// first. Enough to append and to compute the root without touching older nodes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompactRange {
    size: u64,
    /// One hash per set bit of `size`, most significant bit first.
    frontier: Vec<Hash>,
}

impl CompactRange {
    /// The frontier of the empty tree.
    pub fn new() -> CompactRange {
        CompactRange::default()
    }

    /// Rebuilds the frontier of a tree of `size` leaves from popcount(`size`) stored nodes.
    pub fn from_source<S: NodeSource>(size: u64, src: &S) -> Result<CompactRange, S::Error> {
        let frontier = frontier_positions(size)
            .into_iter()
            .map(|(level, index)| src.node(level, index))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CompactRange { size, frontier })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The frontier as stored nodes `(level, index, hash)`, largest first.
    pub fn frontier(&self) -> Vec<NewNode> {
        frontier_positions(self.size)
            .into_iter()
            .zip(&self.frontier)
            .map(|((level, index), hash)| (level, index, *hash))
            .collect()
    }

    /// Appends one leaf hash and returns every node it completed, the leaf itself first, so the
    /// storage layer can persist exactly what later proofs will ask for.
    pub fn append(&mut self, leaf: Hash) -> Vec<NewNode> {
        // Each trailing one bit of the old size is a same-level sibling waiting to be merged.
        let merges = self.size.trailing_ones();
        let mut out = Vec::with_capacity(merges as usize + 1);
        let mut hash = leaf;
        let mut index = self.size;
        out.push((0, index, hash));
        for level in 1..=merges {
            let left = self
                .frontier
                .pop()
                .expect("a trailing one bit of the size always has a frontier node");
            hash = node_hash(&left, &hash);
            index >>= 1;
            out.push((level, index, hash));
        }
        self.frontier.push(hash);
        self.size += 1;
        out
    }

    /// The tree head: the frontier folded right to left, as RFC 6962 splits a ragged tree.
    pub fn root(&self) -> Hash {
        let mut nodes = self.frontier.iter().rev();
        let Some(last) = nodes.next() else {
            return empty_root();
        };
        nodes.fold(*last, |acc, left| node_hash(left, &acc))
    }
}

/// An in-memory node store: every perfect node of a tree, by level. For the auditor, which
/// rebuilds the whole tree from the entries, and for tests.
#[derive(Clone, Debug, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
    range: CompactRange,
}

/// A node that [`MemoryTree`] does not hold (it was asked for a node beyond its size).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no stored node at level {level}, index {index}")]
pub struct MissingNode {
    pub level: u32,
    pub index: u64,
}

impl MemoryTree {
    pub fn new() -> MemoryTree {
        MemoryTree::default()
    }

    pub fn push(&mut self, leaf: Hash) {
        for (level, index, hash) in self.range.append(leaf) {
            let level = level as usize;
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            debug_assert_eq!(self.levels[level].len() as u64, index);
            self.levels[level].push(hash);
        }
    }

    pub fn size(&self) -> u64 {
        self.range.size()
    }

    pub fn root(&self) -> Hash {
        self.range.root()
    }
}

impl FromIterator<Hash> for MemoryTree {
    fn from_iter<I: IntoIterator<Item = Hash>>(leaves: I) -> MemoryTree {
        let mut tree = MemoryTree::new();
        leaves.into_iter().for_each(|leaf| tree.push(leaf));
        tree
    }
}

impl NodeSource for MemoryTree {
    type Error = MissingNode;
    fn node(&self, level: u32, index: u64) -> Result<Hash, MissingNode> {
        self.levels
            .get(level as usize)
            .and_then(|nodes| nodes.get(usize::try_from(index).ok()?))
            .copied()
            .ok_or(MissingNode { level, index })
    }
}

/// Why a proof could not be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError<E> {
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("no consistency proof from size {old} to size {new} (need 0 < old <= new)")]
    BadSizes { old: u64, new: u64 },
    #[error("reading a tree node failed: {0}")]
    Source(E),
}

/// The hash of leaves `[start, start + len)`, `len > 0`, from its perfect parts.
///
/// `start` must be a multiple of the smallest power of two `>= len`, which holds for every
/// subtree the RFC's recursion visits; so each part is a stored perfect node.
fn range_hash<S: NodeSource>(src: &S, start: u64, len: u64) -> Result<Hash, ProofError<S::Error>> {
    let mut parts = Vec::with_capacity(len.count_ones() as usize);
    let mut pos = start;
    for level in (0..64u32).rev() {
        if len >> level & 1 == 1 {
            parts.push(src.node(level, pos >> level).map_err(ProofError::Source)?);
            pos += 1 << level;
        }
    }
    let mut acc = parts.pop().expect("len > 0 has at least one part");
    while let Some(left) = parts.pop() {
        acc = node_hash(&left, &acc);
    }
    Ok(acc)
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1),
/// bottom-up. At most one sibling is a ragged right edge, so it costs O(log size) node reads.
pub fn inclusion_proof<S: NodeSource>(src: &S, index: u64, size: u64) -> Result<Vec<Hash>, ProofError<S::Error>> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    // Walk the RFC's PATH recursion from the root down; its output is the reverse.
    let (mut start, mut n, mut m) = (0u64, size, index);
    let mut proof = Vec::new();
    while n > 1 {
        let k = split_point(n);
        if m < k {
            proof.push(range_hash(src, start + k, n - k)?);
            n = k;
        } else {
            proof.push(range_hash(src, start, k)?);
            start += k;
            m -= k;
            n -= k;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// The consistency proof from size `old` to size `new` (RFC 9162 §2.1.4.1), bottom-up; empty
/// when `old == new`. O(log new) node reads.
pub fn consistency_proof<S: NodeSource>(src: &S, old: u64, new: u64) -> Result<Vec<Hash>, ProofError<S::Error>> {
    if old == 0 || old > new {
        return Err(ProofError::BadSizes { old, new });
    }
    // The RFC's SUBPROOF(m, D[start..start+n], b), unrolled from the root down.
    let (mut start, mut n, mut m, mut whole_old_tree) = (0u64, new, old, true);
    let mut proof = Vec::new();
    while m != n {
        let k = split_point(n);
        if m <= k {
            proof.push(range_hash(src, start + k, n - k)?);
            n = k;
        } else {
            proof.push(range_hash(src, start, k)?);
            start += k;
            m -= k;
            n -= k;
            whole_old_tree = false;
        }
    }
    // The old tree's own hash is left out only when it is a left spine the verifier already has.
    if !whole_old_tree {
        proof.push(range_hash(src, start, n)?);
    }
    proof.reverse();
    Ok(proof)
}

/// Why a proof was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("sizes {old} and {new} cannot be proved consistent (need 0 < old <= new)")]
    BadSizes { old: u64, new: u64 },
    #[error("the proof has the wrong number of hashes for these sizes")]
    WrongProofLength,
    #[error("the proof does not lead to the given root")]
    RootMismatch,
}

/// Checks an inclusion proof exactly as RFC 9162 §2.1.3.2 describes.
///
/// The proof binds the leaf to `root`; the tree size is bound only through the root, which is
/// why a checkpoint signs size and root together.
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> Result<(), VerifyError> {
    if index >= size {
        return Err(VerifyError::IndexOutOfRange { index, size });
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(VerifyError::WrongProofLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            // Skip the levels where this node is a lone right edge, promoted without hashing.
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(VerifyError::WrongProofLength);
    }
    if &r != root {
        return Err(VerifyError::RootMismatch);
    }
    Ok(())
}

/// Checks a consistency proof exactly as RFC 9162 §2.1.4.2 describes.
///
/// `old == new` is accepted only with an empty proof and equal roots; `old == 0` is always
/// refused, because nothing can prove what an empty tree grew into.
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), VerifyError> {
    if old == 0 || old > new {
        return Err(VerifyError::BadSizes { old, new });
    }
    if old == new {
        if !proof.is_empty() {
            return Err(VerifyError::WrongProofLength);
        }
        if old_root != new_root {
            return Err(VerifyError::RootMismatch);
        }
        return Ok(());
    }
    let Some((first, rest)) = proof.split_first() else {
        return Err(VerifyError::WrongProofLength);
    };
    // When the old tree is a perfect left subtree, the proof omits its hash: start from it.
    let (seed, path) = if old.is_power_of_two() {
        (old_root, proof)
    } else {
        (first, rest)
    };
    let (mut fnode, mut snode) = (old - 1, new - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*seed, *seed);
    for c in path {
        if snode == 0 {
            return Err(VerifyError::WrongProofLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(VerifyError::WrongProofLength);
    }
    if &fr != old_root || &sr != new_root {
        return Err(VerifyError::RootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cell::{Cell, RefCell};

    fn leaves(seed: u64, n: u64) -> Vec<Hash> {
        // Distinct leaves, so a proof for one position can never also fit another.
        (0..n)
            .map(|i| leaf_hash(&[seed.to_be_bytes(), i.to_be_bytes()].concat()))
            .collect()
    }

    /// A node source that refuses any node not complete at `size` and counts reads, to hold
    /// proof generation to its promises.
    struct Bounded<'a> {
        tree: &'a MemoryTree,
        size: u64,
        reads: Cell<u32>,
        bad: RefCell<Vec<(u32, u64)>>,
    }

    impl<'a> Bounded<'a> {
        fn new(tree: &'a MemoryTree, size: u64) -> Self {
            Bounded {
                tree,
                size,
                reads: Cell::new(0),
                bad: RefCell::new(Vec::new()),
            }
        }
    }

    impl NodeSource for Bounded<'_> {
        type Error = MissingNode;
        fn node(&self, level: u32, index: u64) -> Result<Hash, MissingNode> {
            self.reads.set(self.reads.get() + 1);
            if (index + 1) << level > self.size {
                self.bad.borrow_mut().push((level, index));
                return Err(MissingNode { level, index });
            }
            self.tree.node(level, index)
        }
    }

    /// Upper bound on reads: one per level plus one ragged edge of at most one read per level.
    fn read_bound(size: u64) -> u32 {
        2 * (64 - size.leading_zeros()) + 1
    }

    /// RFC 9162 §2.1.3.1 PATH, written literally over the leaf list.
    fn naive_path(m: usize, d: &[Hash]) -> Vec<Hash> {
        if d.len() <= 1 {
            return Vec::new();
        }
        let k = split_point(d.len() as u64) as usize;
        if m < k {
            let mut p = naive_path(m, &d[..k]);
            p.push(root_of(&d[k..]));
            p
        } else {
            let mut p = naive_path(m - k, &d[k..]);
            p.push(root_of(&d[..k]));
            p
        }
    }

    /// RFC 9162 §2.1.4.1 SUBPROOF, written literally over the leaf list.
    fn naive_subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
        let n = d.len();
        if m == n {
            return if b { Vec::new() } else { vec![root_of(d)] };
        }
        let k = split_point(n as u64) as usize;
        if m <= k {
            let mut p = naive_subproof(m, &d[..k], b);
            p.push(root_of(&d[k..]));
            p
        } else {
            let mut p = naive_subproof(m - k, &d[k..], false);
            p.push(root_of(&d[..k]));
            p
        }
    }

    #[test]
    fn known_hashes() {
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // RFC 6962's test leaf: the empty entry.
        assert_eq!(
            hex::encode(leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }

    #[test]
    fn compact_range_matches_naive_root_for_every_size() {
        let all = leaves(7, 1100);
        let mut range = CompactRange::new();
        assert_eq!(range.root(), empty_root());
        for n in 1..=all.len() {
            let new = range.append(all[n - 1]);
            assert_eq!(new.len() as u32, (n as u64 - 1).trailing_ones() + 1);
            assert_eq!(range.size(), n as u64);
            assert_eq!(range.root(), root_of(&all[..n]), "size {n}");
        }
    }

    #[test]
    fn appended_nodes_are_the_perfect_subtrees() {
        let all = leaves(3, 70);
        let mut range = CompactRange::new();
        for (i, leaf) in all.iter().enumerate() {
            for (level, index, hash) in range.append(*leaf) {
                let lo = (index << level) as usize;
                let hi = ((index + 1) << level) as usize;
                assert_eq!(hi, i + 1, "a node completes exactly when its last leaf arrives");
                assert_eq!(hash, root_of(&all[lo..hi]));
            }
        }
    }

    #[test]
    fn frontier_rebuilds_from_stored_nodes() {
        let all = leaves(11, 300);
        let tree: MemoryTree = all.iter().copied().collect();
        let mut range = CompactRange::new();
        for n in 0..=all.len() as u64 {
            let src = Bounded::new(&tree, n);
            let rebuilt = CompactRange::from_source(n, &src).unwrap();
            assert_eq!(rebuilt, range, "size {n}");
            assert_eq!(src.reads.get(), n.count_ones());
            assert_eq!(rebuilt.frontier().len() as u32, n.count_ones());
            if let Some(leaf) = all.get(n as usize) {
                range.append(*leaf);
            }
        }
    }

    #[test]
    fn all_small_proofs_match_the_rfc_and_verify() {
        let all = leaves(5, 70);
        let tree: MemoryTree = all.iter().copied().collect();
        for n in 1..=all.len() {
            let root = root_of(&all[..n]);
            for m in 0..n {
                let src = Bounded::new(&tree, n as u64);
                let proof = inclusion_proof(&src, m as u64, n as u64).unwrap();
                assert!(src.bad.borrow().is_empty());
                assert!(src.reads.get() <= read_bound(n as u64));
                assert_eq!(proof, naive_path(m, &all[..n]), "inclusion {m} in {n}");
                verify_inclusion(m as u64, n as u64, &all[m], &proof, &root).unwrap();
            }
            for old in 1..=n {
                let src = Bounded::new(&tree, n as u64);
                let proof = consistency_proof(&src, old as u64, n as u64).unwrap();
                assert!(src.bad.borrow().is_empty());
                assert!(src.reads.get() <= read_bound(n as u64));
                assert_eq!(proof, naive_subproof(old, &all[..n], true), "{old} -> {n}");
                let old_root = root_of(&all[..old]);
                verify_consistency(old as u64, n as u64, &old_root, &root, &proof).unwrap();
            }
        }
    }

    #[test]
    fn bad_requests_are_refused() {
        let tree: MemoryTree = leaves(1, 4).into_iter().collect();
        assert_eq!(
            inclusion_proof(&tree, 4, 4),
            Err(ProofError::IndexOutOfRange { index: 4, size: 4 })
        );
        assert_eq!(
            consistency_proof(&tree, 0, 4),
            Err(ProofError::BadSizes { old: 0, new: 4 })
        );
        assert_eq!(
            consistency_proof(&tree, 3, 2),
            Err(ProofError::BadSizes { old: 3, new: 2 })
        );
        assert_eq!(
            inclusion_proof(&tree, 0, 8),
            Err(ProofError::Source(MissingNode { level: 2, index: 1 }))
        );
        assert_eq!(consistency_proof(&tree, 4, 4), Ok(Vec::new()));
    }

    #[test]
    fn b64_hashes_must_be_32_bytes() {
        let h = leaf_hash(b"x");
        assert_eq!(hash_from_b64(&hash_to_b64(&h)), Some(h));
        assert_eq!(hash_from_b64("ZG9uJ3QgY2FyZSAx"), None);
        assert_eq!(hash_from_b64(""), None);
    }

    fn flip(proof: &[Hash], which: usize, bit: usize) -> Vec<Hash> {
        let mut p = proof.to_vec();
        p[which][bit / 8] ^= 1 << (bit % 8);
        p
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn inclusion_proofs_verify_and_resist_tampering(
            seed in any::<u64>(),
            n in 1u64..=300,
            m_frac in 0.0f64..1.0,
            which in any::<prop::sample::Index>(),
            bit in 0usize..256,
            other in any::<prop::sample::Index>(),
            other_size in 1u64..=300,
        ) {
            let m = ((n as f64 * m_frac) as u64).min(n - 1);
            let all = leaves(seed, n);
            let tree: MemoryTree = all.iter().copied().collect();
            let root = root_of(&all);
            let leaf = all[m as usize];
            let src = Bounded::new(&tree, n);
            let proof = inclusion_proof(&src, m, n).unwrap();
            prop_assert!(src.bad.borrow().is_empty());
            prop_assert!(src.reads.get() <= read_bound(n));
            prop_assert_eq!(verify_inclusion(m, n, &leaf, &proof, &root), Ok(()));

            if !proof.is_empty() {
                let bad = flip(&proof, which.index(proof.len()), bit);
                prop_assert!(verify_inclusion(m, n, &leaf, &bad, &root).is_err());
                prop_assert!(verify_inclusion(m, n, &leaf, &proof[1..], &root).is_err());
            }
            let mut longer = proof.clone();
            longer.push(root);
            prop_assert!(verify_inclusion(m, n, &leaf, &longer, &root).is_err());

            let mut bad_leaf = leaf;
            bad_leaf[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(verify_inclusion(m, n, &bad_leaf, &proof, &root).is_err());

            let wrong_index = other.index(n as usize) as u64;
            if wrong_index != m {
                prop_assert!(verify_inclusion(wrong_index, n, &leaf, &proof, &root).is_err());
            }
            prop_assert!(verify_inclusion(n, n, &leaf, &proof, &root).is_err());

            // A wrong size is caught through the root that a checkpoint signs with it.
            if other_size != n && m < other_size {
                let other_root = root_of(&leaves(seed, other_size));
                prop_assert!(verify_inclusion(m, other_size, &leaf, &proof, &other_root).is_err());
            }
        }

        #[test]
        fn consistency_proofs_verify_and_resist_tampering(
            seed in any::<u64>(),
            new in 1u64..=300,
            old_frac in 0.0f64..1.0,
            which in any::<prop::sample::Index>(),
            bit in 0usize..256,
            other_old in 1u64..=300,
            other_new in 1u64..=300,
        ) {
            let old = ((new as f64 * old_frac) as u64 + 1).min(new);
            let all = leaves(seed, 300);
            let tree: MemoryTree = all.iter().copied().collect();
            let root_at = |size: u64| root_of(&all[..size as usize]);
            let (old_root, new_root) = (root_at(old), root_at(new));
            let src = Bounded::new(&tree, new);
            let proof = consistency_proof(&src, old, new).unwrap();
            prop_assert!(src.bad.borrow().is_empty());
            prop_assert!(src.reads.get() <= read_bound(new));
            prop_assert_eq!(verify_consistency(old, new, &old_root, &new_root, &proof), Ok(()));

            if !proof.is_empty() {
                let bad = flip(&proof, which.index(proof.len()), bit);
                prop_assert!(verify_consistency(old, new, &old_root, &new_root, &bad).is_err());
                prop_assert!(
                    verify_consistency(old, new, &old_root, &new_root, &proof[1..]).is_err()
                );
            }
            let mut longer = proof.clone();
            longer.push(new_root);
            prop_assert!(verify_consistency(old, new, &old_root, &new_root, &longer).is_err());
            prop_assert!(verify_consistency(old, new, &new_root, &old_root, &proof).is_err() || old == new);

            if other_old != old && other_old <= new {
                let r = verify_consistency(other_old, new, &root_at(other_old), &new_root, &proof);
                prop_assert!(r.is_err());
            }
            if other_new != new && other_new >= old {
                let r = verify_consistency(old, other_new, &old_root, &root_at(other_new), &proof);
                prop_assert!(r.is_err());
            }
            prop_assert!(verify_consistency(0, new, &empty_root(), &new_root, &proof).is_err());
        }
    }
}
