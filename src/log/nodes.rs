//! The Merkle tree's stored nodes, read through the pure `NodeSource` trait: leaves come from
//! `log_entries.leaf_hash`, perfect interior nodes from `log_nodes`.

use rusqlite::{Connection, OptionalExtension};

use crate::crypto::merkle::{Hash, NodeSource};
use crate::store::StoreError;

/// Node reads on one connection.
pub struct DbNodes<'a>(pub &'a Connection);

impl NodeSource for DbNodes<'_> {
    type Error = StoreError;

    fn node(&self, level: u32, index: u64) -> Result<Hash, StoreError> {
        let blob: Option<Vec<u8>> = if level == 0 {
            self.0
                .prepare_cached("SELECT leaf_hash FROM log_entries WHERE seq = ?1")?
                .query_row([index as i64], |r| r.get(0))
                .optional()?
        } else {
            self.0
                .prepare_cached("SELECT hash FROM log_nodes WHERE level = ?1 AND idx = ?2")?
                .query_row(rusqlite::params![level, index as i64], |r| r.get(0))
                .optional()?
        };
        let blob = blob.ok_or_else(|| StoreError::Other(format!("tree node ({level}, {index}) is missing")))?;
        blob.try_into()
            .map_err(|_| StoreError::Other(format!("tree node ({level}, {index}) is not 32 bytes")))
    }
}
