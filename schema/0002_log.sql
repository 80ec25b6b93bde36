-- The custody log (SPEC §5): entries with their exact bytes, the stored perfect nodes of the
-- Merkle tree (so start-up reads O(log n) nodes instead of replaying the log), signed
-- checkpoints, per-item heads for `prev` links, and the projections the service reads.

CREATE TABLE log_entries (
    seq       INTEGER PRIMARY KEY CHECK (seq >= 0),
    bytes     BLOB NOT NULL,
    leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32),
    kind      TEXT NOT NULL,
    logged_at TEXT NOT NULL
) STRICT;

-- Perfect subtree hashes above the leaves: node (level, idx) covers leaves [idx·2^level, (idx+1)·2^level).
CREATE TABLE log_nodes (
    level INTEGER NOT NULL CHECK (level >= 1),
    idx   INTEGER NOT NULL CHECK (idx >= 0),
    hash  BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;

-- One signed checkpoint per committed batch.
CREATE TABLE checkpoints (
    size      INTEGER PRIMARY KEY CHECK (size > 0),
    root      BLOB NOT NULL CHECK (length(root) = 32),
    note      TEXT NOT NULL,
    signed_at TEXT NOT NULL
) STRICT;

-- Every entry that concerns an item, for its history; the newest one is its `prev` head.
CREATE TABLE item_entries (
    item TEXT NOT NULL,
    seq  INTEGER NOT NULL REFERENCES log_entries(seq),
    PRIMARY KEY (item, seq)
) STRICT, WITHOUT ROWID;

-- Server keys (public halves; the private seeds live in files in the key directory).
CREATE TABLE server_keys (
    key_id      TEXT PRIMARY KEY,
    role        TEXT NOT NULL CHECK (role IN ('log', 'label')),
    name        TEXT NOT NULL,
    public_key  BLOB NOT NULL CHECK (length(public_key) = 32),
    valid_from  TEXT NOT NULL,
    valid_until TEXT,
    revoked_at  TEXT,
    log_seq     INTEGER NOT NULL REFERENCES log_entries(seq)
) STRICT;

-- Device keys are registered and revoked through the log: remember which entry did it.
ALTER TABLE device_keys ADD COLUMN log_seq INTEGER REFERENCES log_entries(seq);
ALTER TABLE device_keys ADD COLUMN revoke_seq INTEGER REFERENCES log_entries(seq);

-- Nonces already used per device key: a replayed envelope is refused.
CREATE TABLE nonces (
    key_id TEXT NOT NULL,
    nonce  TEXT NOT NULL,
    seq    INTEGER NOT NULL REFERENCES log_entries(seq),
    PRIMARY KEY (key_id, nonce)
) STRICT, WITHOUT ROWID;

-- Serial counters of item codes per (unit, waste code, CST date): never reused.
CREATE TABLE serials (
    unit  TEXT NOT NULL,
    waste TEXT NOT NULL,
    day   TEXT NOT NULL,
    last  INTEGER NOT NULL CHECK (last BETWEEN 1 AND 999),
    PRIMARY KEY (unit, waste, day)
) STRICT, WITHOUT ROWID;

-- The items and their current state: a projection of the log, rebuilt from it by the auditor.
CREATE TABLE items (
    code               TEXT PRIMARY KEY,
    generator          TEXT NOT NULL REFERENCES enterprises(uscc),
    waste_code         TEXT NOT NULL,
    waste_name         TEXT NOT NULL,
    mass_g             INTEGER NOT NULL CHECK (mass_g > 0),
    form               TEXT NOT NULL,
    hazard_bits        INTEGER NOT NULL,
    packaging          TEXT NOT NULL,
    container_volume_l INTEGER NOT NULL,
    components         TEXT NOT NULL,
    harmful_components TEXT NOT NULL,
    precautions        TEXT NOT NULL,
    storage_place      TEXT NOT NULL,
    generated_at       TEXT NOT NULL,
    label              BLOB NOT NULL CHECK (length(label) = 124),
    state              TEXT NOT NULL,
    holder             TEXT NOT NULL,
    created_seq        INTEGER NOT NULL REFERENCES log_entries(seq),
    last_seq           INTEGER NOT NULL REFERENCES log_entries(seq)
) STRICT;
CREATE INDEX items_by_holder ON items(holder, state);
CREATE INDEX items_by_generator ON items(generator, generated_at);
