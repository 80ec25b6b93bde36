-- Issue 10 (the web app in the field): devices enrolled by the people who use them, and the
-- storage capacities the inventory warns against.

-- A signed-in user asks for the browser it uses to be enrolled: the browser made an Ed25519
-- key and sends its public half. The device belongs to the user's enterprise, or, for a
-- regulator, to the bureau of its district (the enterprise with the `regulator` role there).
-- An enterprise administrator (or an administrator) approves it, which registers the key
-- through the log exactly as `POST .../devices` does (`device_key` names the row it made), or
-- rejects it. A request is `pending` until `expires_at`; it is then `expired` (the writer
-- marks it so before it looks at requests). Registry data, not a projection of the log: the
-- log holds the key the approval registered.
CREATE TABLE device_enrolments (
    id           INTEGER PRIMARY KEY,
    requester    INTEGER NOT NULL REFERENCES users(id),
    owner        TEXT NOT NULL REFERENCES enterprises(uscc),
    device       TEXT NOT NULL,
    public_key   BLOB NOT NULL CHECK (length(public_key) = 32),
    key_id       TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'expired')),
    requested_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    decided_at   TEXT,
    decided_by   INTEGER REFERENCES users(id),
    reason       TEXT,
    device_key   INTEGER REFERENCES device_keys(id),
    CHECK ((state = 'approved') = (device_key IS NOT NULL))
) STRICT;
-- At most one pending request per device name of an enterprise, and per public key.
CREATE UNIQUE INDEX device_enrolments_pending_name ON device_enrolments(owner, device) WHERE state = 'pending';
CREATE UNIQUE INDEX device_enrolments_pending_key ON device_enrolments(public_key) WHERE state = 'pending';
CREATE INDEX device_enrolments_by_owner ON device_enrolments(owner, state, id);
CREATE INDEX device_enrolments_by_requester ON device_enrolments(requester, state);
CREATE INDEX device_enrolments_by_expiry ON device_enrolments(state, expires_at);

-- Registered storage capacities of an enterprise's hazardous-waste store (贮存设施的设计贮存
-- 能力), in grams: for the whole store (`place` = '') or for one storage place, matched
-- exactly against the items' `storage_place`. Optional registry data, set by the enterprise's
-- administrator; the ledger warns when what is in store exceeds one.
CREATE TABLE storage_capacities (
    uscc       TEXT NOT NULL REFERENCES enterprises(uscc),
    place      TEXT NOT NULL,
    capacity_g INTEGER NOT NULL CHECK (capacity_g > 0),
    set_by     TEXT NOT NULL,
    set_at     TEXT NOT NULL,
    PRIMARY KEY (uscc, place)
) STRICT, WITHOUT ROWID;

-- A driver's phone lists the manifests of its vehicle by planned date.
CREATE INDEX manifests_by_vehicle ON manifests(vehicle_plate, planned_date);
