//! The file `--save-checkpoint` writes and `--since-checkpoint` reads: the verified latest
//! checkpoint note, exactly as signed, and the log's `key` entries below its size.
//!
//! The key entries let the next audit check new envelopes against the keys registered before
//! without reading the old entries again. Nothing in the file is taken on trust beyond what the
//! auditor itself wrote: the note's signature is checked again, and so is every key entry's
//! inclusion proof against the note's root, so a changed byte anywhere is refused.

use std::fs;
use std::path::Path;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

/// The `format` member of the file.
pub const SAVED_FORMAT: &str = "hwtrace-audit-checkpoint/v1";

/// One log entry, with its index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedEntry {
    pub index: u64,
    /// The entry's exact bytes (entries are UTF-8 JSON).
    pub entry: String,
}

/// What an audit that passed leaves for the next one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedCheckpoint {
    pub format: String,
    /// The checkpoint note (SPEC §5.3), byte for byte as the log signed it.
    pub checkpoint: String,
    /// Every `key` entry below the checkpoint's size, in log order.
    pub key_entries: Vec<SavedEntry>,
}

impl SavedCheckpoint {
    pub fn new(checkpoint: String, key_entries: Vec<SavedEntry>) -> SavedCheckpoint {
        SavedCheckpoint {
            format: SAVED_FORMAT.to_owned(),
            checkpoint,
            key_entries,
        }
    }

    pub fn read(path: &Path) -> anyhow::Result<SavedCheckpoint> {
        let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let saved: SavedCheckpoint = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a checkpoint saved by `hwtrace audit --save-checkpoint`",
                path.display()
            )
        })?;
        if saved.format != SAVED_FORMAT {
            bail!(
                "{} has format {:?}; this auditor reads {SAVED_FORMAT}",
                path.display(),
                saved.format
            );
        }
        Ok(saved)
    }

    /// Writes the file whole or not at all (through a temporary file renamed over it).
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let json = serde_json::to_string_pretty(self)?;
        fs::write(&tmp, json + "\n").with_context(|| format!("writing {}", Path::new(&tmp).display()))?;
        fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        let saved = SavedCheckpoint::new(
            "o\n1\nAAAA\n\n— o x\n".into(),
            vec![SavedEntry {
                index: 0,
                entry: "{}".into(),
            }],
        );
        saved.write(&path).unwrap();
        assert_eq!(SavedCheckpoint::read(&path).unwrap(), saved);
        fs::write(&path, "o\n1\nAAAA\n").unwrap();
        let err = SavedCheckpoint::read(&path).unwrap_err().to_string();
        assert!(err.contains("not a checkpoint saved by"), "{err}");
    }
}
