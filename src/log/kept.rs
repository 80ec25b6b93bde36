//! What the log keeps outside its database, beside the server keys (`<db>.keys/kept.log`): the
//! size and root of every checkpoint it committed, and every item code it issued. A database
//! copied back from an older backup does not carry them, so:
//!
//! - a start on a database **behind** the last kept checkpoint, or whose tree at that size has
//!   another root (a fork), is refused: it would sign a second history beside the one clients
//!   and printed labels already hold ([`compare`]);
//! - a restore accepted knowingly (`hwtrace restore --accept-rollback`) raises the `serials`
//!   counters above every code ever issued ([`KeptState::codes`]), so no printed label's code
//!   is issued again with another signature.
//!
//! The file is append-only text, one record per line, written after each commit (a crash
//! between the commit and the write leaves the database ahead, which is safe):
//!
//! ```text
//! c <size> <root hex>        a committed checkpoint
//! i <item code>              an item code issued in that batch (written before its `c`)
//! r <from size> <to size>    a rollback accepted by `hwtrace restore --accept-rollback`
//! ```
//!
//! A torn last line (a crash in the middle of a write) is ignored.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::crypto::merkle::Hash;

/// The file's name in the key directory.
pub const FILE_NAME: &str = "kept.log";

/// The kept file of the key directory `dir`.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}

/// The append handle the writer thread writes through.
pub struct Kept {
    file: File,
    path: PathBuf,
}

impl Kept {
    /// Opens (creating, mode 0600) the kept file of the key directory `dir` for appending; a
    /// torn last line is ended first, so that the next record stands on its own line.
    pub fn open(dir: &Path) -> io::Result<Kept> {
        use std::io::{Read, Seek, SeekFrom};
        let path = path(dir);
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .mode(0o600)
            .open(&path)?;
        if file.metadata()?.len() > 0 {
            let mut last = [0u8; 1];
            file.seek(SeekFrom::End(-1))?;
            file.read_exact(&mut last)?;
            if last[0] != b'\n' {
                file.write_all(b"\n")?;
            }
        }
        Ok(Kept { file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends the codes a committed batch issued and its checkpoint, durably.
    pub fn record(&mut self, codes: &[String], checkpoint: Option<(u64, &Hash)>) -> io::Result<()> {
        let mut text = String::with_capacity(codes.len() * 40 + 80);
        for code in codes {
            text.push_str("i ");
            text.push_str(code);
            text.push('\n');
        }
        if let Some((size, root)) = checkpoint {
            text.push_str(&format!("c {size} {}\n", hex::encode(root)));
        }
        if text.is_empty() {
            return Ok(());
        }
        self.file.write_all(text.as_bytes())?;
        self.file.sync_data()
    }

    /// Records a rollback from `from` entries to `to`, accepted by the operator, and the
    /// checkpoint the restored database ends with.
    pub fn accept_rollback(&mut self, from: u64, to: u64, root: &Hash) -> io::Result<()> {
        self.file
            .write_all(format!("r {from} {to}\nc {to} {}\n", hex::encode(root)).as_bytes())?;
        self.file.sync_data()
    }
}

/// What a kept file says.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct KeptState {
    /// The last checkpoint recorded: size and root.
    pub latest: Option<(u64, Hash)>,
    /// Every item code ever issued, in order.
    pub codes: Vec<String>,
    /// Rollbacks accepted so far: (from size, to size).
    pub rollbacks: Vec<(u64, u64)>,
    /// Every checkpoint committed since the last accepted rollback: (size, root).
    pub checkpoints: Vec<(u64, Hash)>,
}

/// Reads the kept file of the key directory `dir`; `None` if there is none yet.
pub fn read(dir: &Path) -> io::Result<Option<KeptState>> {
    let file = match File::open(path(dir)) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut state = KeptState::default();
    for line in BufReader::new(file).split(b'\n') {
        let line = line?;
        let Ok(line) = std::str::from_utf8(&line) else { continue };
        let mut parts = line.split(' ');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("c"), Some(size), Some(root), None) => {
                let mut hash = [0u8; 32];
                if let (Ok(size), Ok(())) = (size.parse(), hex::decode_to_slice(root, &mut hash)) {
                    state.latest = Some((size, hash));
                    state.checkpoints.push((size, hash));
                }
            }
            (Some("i"), Some(code), None, None) if code.len() == crate::domain::item_code::ITEM_CODE_LEN => {
                state.codes.push(code.to_owned());
            }
            (Some("r"), Some(from), Some(to), None) => {
                if let (Ok(from), Ok(to)) = (from.parse(), to.parse()) {
                    state.rollbacks.push((from, to));
                    state.checkpoints.clear();
                }
            }
            _ => {} // a torn last line
        }
    }
    Ok(Some(state))
}

/// How a database stands against the kept checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// At or past the kept checkpoint, and the same tree up to it.
    InStep,
    /// Fewer entries than the kept checkpoint covers: an older copy.
    Behind { db_size: u64, kept_size: u64 },
    /// The database's tree at the kept size has another root: a different history.
    Forked { size: u64 },
}

/// Compares a database of `db_size` entries with the kept checkpoint; `root_at(n)` is the root
/// of the database's tree over its first `n` entries.
pub fn compare<E>(
    kept: (u64, &Hash),
    db_size: u64,
    root_at: impl FnOnce(u64) -> Result<Hash, E>,
) -> Result<Standing, E> {
    let (kept_size, kept_root) = kept;
    if db_size < kept_size {
        return Ok(Standing::Behind { db_size, kept_size });
    }
    if kept_size == 0 {
        return Ok(Standing::InStep);
    }
    Ok(if root_at(kept_size)? == *kept_root {
        Standing::InStep
    } else {
        Standing::Forked { size: kept_size }
    })
}

/// The refusal to start for a database that is not in step, in words; `dir` is its key
/// directory.
pub fn refusal(standing: &Standing, dir: &Path) -> Option<String> {
    let db = format!("beside {}", dir.display());
    match standing {
        Standing::InStep => None,
        Standing::Behind { db_size, kept_size } => Some(format!(
            "refusing to start: the database {db} holds {db_size} log entries, but this service already signed a \
             checkpoint of {kept_size} entries (kept in the key directory's {FILE_NAME}). The database is an older \
             copy (a restored backup?): serving it would sign a second history and issue again item codes already \
             printed on labels. Put the newest database back; or, if it is lost, accept the loss knowingly with \
             `hwtrace restore --from <backup> --accept-rollback`, which keeps every issued code out of reuse. / \
             拒绝启动：数据库仅有{db_size}条日志，但本服务已签署{kept_size}条的检查点，数据库是旧副本。"
        )),
        Standing::Forked { size } => Some(format!(
            "refusing to start: the database {db} has a different history than the checkpoint of {size} entries this \
             service signed (kept in the key directory's {FILE_NAME}): its log was rewritten or replaced. Run \
             `hwtrace audit --db` and restore the right database. / 拒绝启动：数据库的日志与本服务已签署的检查点不一致（日志被改写或替换）。"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_and_a_torn_line_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let mut kept = Kept::open(dir.path()).unwrap();
        let code = "91500110MA5U8F4X2N8410010120261128001".to_owned();
        kept.record(std::slice::from_ref(&code), Some((3, &[7; 32]))).unwrap();
        kept.record(&[], Some((5, &[8; 32]))).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(path(dir.path()))
            .unwrap()
            .write_all(b"c 9 abc")
            .unwrap();
        let state = read(dir.path()).unwrap().unwrap();
        assert_eq!(state.latest, Some((5, [8; 32])));
        assert_eq!(state.codes, vec![code]);
        let mut kept = Kept::open(dir.path()).unwrap();
        kept.accept_rollback(5, 2, &[1; 32]).unwrap();
        let state = read(dir.path()).unwrap().unwrap();
        assert_eq!(state.latest, Some((2, [1; 32])));
        assert_eq!(state.rollbacks, vec![(5, 2)]);
        assert!(read(&dir.path().join("none")).unwrap().is_none());
    }

    #[test]
    fn behind_forked_and_in_step() {
        let root = [4u8; 32];
        let same = |_| Ok::<_, ()>([4u8; 32]);
        let other = |_| Ok::<_, ()>([5u8; 32]);
        assert_eq!(
            compare((10, &root), 8, same),
            Ok(Standing::Behind {
                db_size: 8,
                kept_size: 10
            })
        );
        assert_eq!(compare((10, &root), 10, same), Ok(Standing::InStep));
        assert_eq!(compare((10, &root), 12, same), Ok(Standing::InStep));
        assert_eq!(compare((10, &root), 12, other), Ok(Standing::Forked { size: 10 }));
    }
}
