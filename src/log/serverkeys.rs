//! The server's own keys (SPEC §2): the log key signs checkpoints, the label key signs QR
//! labels. Private seeds live in files in a key directory beside the database, readable by the
//! owner only; start-up refuses a key file anyone else could read. Public halves are also in
//! the database (`server_keys`) and in the log, as `key` entries.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use rand::rngs::OsRng;

use crate::crypto::keys::{KeyId, VerifierKey};
use crate::store::{StoreError, StoreResult};

/// Which server key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerRole {
    Log,
    Label,
}

impl ServerRole {
    pub fn code(self) -> &'static str {
        match self {
            ServerRole::Log => "log",
            ServerRole::Label => "label",
        }
    }

    pub fn parse(s: &str) -> Option<ServerRole> {
        match s {
            "log" => Some(ServerRole::Log),
            "label" => Some(ServerRole::Label),
            _ => None,
        }
    }

    /// The SPEC §2 key name for a log origin: the origin itself, or `<origin>/label`.
    pub fn key_name(self, origin: &str) -> String {
        match self {
            ServerRole::Log => origin.to_owned(),
            ServerRole::Label => format!("{origin}/label"),
        }
    }
}

/// Seeds for a new log's first log and label keys, so that a log can be rebuilt byte for byte
/// (the demo derives them from its seed). A deployment leaves them out: its keys are random.
#[derive(Clone)]
pub struct ServerKeySeeds {
    pub log: [u8; 32],
    pub label: [u8; 32],
}

impl std::fmt::Debug for ServerKeySeeds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKeySeeds(..)")
    }
}

/// A server key with its name and ID.
#[derive(Clone)]
pub struct ServerKey {
    pub role: ServerRole,
    pub signing: SigningKey,
    pub vkey: VerifierKey,
}

impl ServerKey {
    pub fn key_id(&self) -> KeyId {
        self.vkey.key_id
    }

    pub fn name(&self) -> &str {
        &self.vkey.name
    }

    /// The key of `role` named `name` from a 32-byte seed.
    pub fn from_seed(role: ServerRole, name: &str, seed: [u8; 32]) -> StoreResult<ServerKey> {
        let signing = SigningKey::from_bytes(&seed);
        let vkey = VerifierKey::new(name, signing.verifying_key())
            .map_err(|e| StoreError::Other(format!("key name {name:?}: {e}")))?;
        Ok(ServerKey { role, signing, vkey })
    }

    /// A fresh random key.
    pub fn generate(role: ServerRole, name: &str) -> StoreResult<ServerKey> {
        ServerKey::from_seed(role, name, SigningKey::generate(&mut OsRng).to_bytes())
    }
}

/// The key directory of the database at `db`: `<db>.keys` beside it.
pub fn key_dir(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".keys");
    PathBuf::from(p)
}

fn key_file(dir: &Path, role: ServerRole, key_id: KeyId) -> PathBuf {
    dir.join(format!("{}-{key_id}.key", role.code()))
}

/// Writes a new key's seed to `<dir>/<role>-<keyid>.key` (mode 0600, never overwriting), and
/// the public verifier key to `<dir>/<role>.vkey` for auditors.
pub fn save(dir: &Path, key: &ServerKey) -> StoreResult<()> {
    fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|e| io_err(dir, e))?;
    let path = key_file(dir, key.role, key.key_id());
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| io_err(&path, e))?;
    writeln!(f, "{}\n{}", key.name(), hex::encode(key.signing.to_bytes())).map_err(|e| io_err(&path, e))?;
    f.sync_all().map_err(|e| io_err(&path, e))?;
    let public = dir.join(format!("{}.vkey", key.role.code()));
    fs::write(&public, format!("{}\n", key.vkey)).map_err(|e| io_err(&public, e))?;
    Ok(())
}

/// Reads the key `key_id` of `role`, refusing a file that group or others could read, or a
/// directory they could list or write (where one could replace a key file by one's own).
pub fn load(dir: &Path, role: ServerRole, key_id: KeyId) -> StoreResult<ServerKey> {
    let dir_meta = fs::metadata(dir).map_err(|e| io_err(dir, e))?;
    if dir_meta.permissions().mode() & 0o077 != 0 {
        return Err(StoreError::Other(format!(
            "key directory {} is open to group or others (mode {:o}); run `chmod 700 {}` before starting",
            dir.display(),
            dir_meta.permissions().mode() & 0o777,
            dir.display()
        )));
    }
    let path = key_file(dir, role, key_id);
    let meta = fs::metadata(&path).map_err(|e| io_err(&path, e))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(StoreError::Other(format!(
            "key file {} is readable by others (mode {:o}); run `chmod 600` on it before starting",
            path.display(),
            meta.permissions().mode() & 0o777
        )));
    }
    let text = fs::read_to_string(&path).map_err(|e| io_err(&path, e))?;
    let mut lines = text.lines();
    let (Some(name), Some(seed_hex)) = (lines.next(), lines.next()) else {
        return Err(StoreError::Other(format!("key file {} is malformed", path.display())));
    };
    let mut seed = [0u8; 32];
    hex::decode_to_slice(seed_hex.trim(), &mut seed)
        .map_err(|_| StoreError::Other(format!("key file {} holds no 32-byte hex seed", path.display())))?;
    let key = ServerKey::from_seed(role, name, seed)?;
    if key.key_id() != key_id {
        return Err(StoreError::Other(format!(
            "key file {} holds key {}, not {key_id}",
            path.display(),
            key.key_id()
        )));
    }
    Ok(key)
}

fn io_err(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Other(format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_keys_load_and_loose_permissions_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("db.keys");
        let key = ServerKey::generate(ServerRole::Label, "hwtrace.test/log/label").unwrap();
        save(&keys, &key).unwrap();
        let back = load(&keys, ServerRole::Label, key.key_id()).unwrap();
        assert_eq!(back.vkey, key.vkey);
        assert!(save(&keys, &key).is_err(), "a key file is never overwritten");

        let path = key_file(&keys, ServerRole::Label, key.key_id());
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = load(&keys, ServerRole::Label, key.key_id()).err().unwrap().to_string();
        assert!(err.contains("readable by others"), "{err}");
    }

    #[test]
    fn a_key_directory_open_to_others_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("db.keys");
        let key = ServerKey::generate(ServerRole::Log, "hwtrace.test/log").unwrap();
        save(&keys, &key).unwrap();
        for mode in [0o777, 0o750, 0o701, 0o705] {
            fs::set_permissions(&keys, fs::Permissions::from_mode(mode)).unwrap();
            let err = load(&keys, ServerRole::Log, key.key_id()).err().unwrap().to_string();
            assert!(err.contains("chmod 700"), "{mode:o}: {err}");
        }
        fs::set_permissions(&keys, fs::Permissions::from_mode(0o700)).unwrap();
        assert!(load(&keys, ServerRole::Log, key.key_id()).is_ok());
    }
}
