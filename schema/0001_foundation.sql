-- Foundation: reference data (districts, catalogue versions), the registry, accounts.
-- Times are RFC 3339 UTC text; masses and capacities are integers (grams, tonnes, m³).

CREATE TABLE districts (
    code          TEXT PRIMARY KEY,
    name_zh       TEXT NOT NULL,
    name_en       TEXT NOT NULL,
    province_code TEXT NOT NULL,
    city_code     TEXT NOT NULL
) STRICT;

CREATE TABLE catalogue_versions (
    version    TEXT PRIMARY KEY,
    source     TEXT NOT NULL,
    loaded_at  TEXT NOT NULL,
    active     INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
    code_count INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX one_active_catalogue ON catalogue_versions(active) WHERE active = 1;

CREATE TABLE catalogue_entries (
    version       TEXT NOT NULL REFERENCES catalogue_versions(version),
    code          TEXT NOT NULL,
    category      TEXT NOT NULL,
    category_name TEXT NOT NULL,
    industry      TEXT NOT NULL,
    description   TEXT NOT NULL,
    hazard        TEXT NOT NULL,
    PRIMARY KEY (version, code)
) STRICT;

CREATE TABLE catalogue_exemptions (
    version          TEXT NOT NULL REFERENCES catalogue_versions(version),
    row_no           INTEGER NOT NULL,
    seq              INTEGER NOT NULL,
    category_or_code TEXT NOT NULL,
    codes            TEXT NOT NULL,
    waste            TEXT NOT NULL,
    exempt_stage     TEXT NOT NULL,
    condition        TEXT NOT NULL,
    exemption        TEXT NOT NULL,
    PRIMARY KEY (version, row_no)
) STRICT;

CREATE TABLE enterprises (
    uscc          TEXT PRIMARY KEY,
    name_zh       TEXT NOT NULL,
    name_en       TEXT,
    district      TEXT NOT NULL REFERENCES districts(code),
    address       TEXT NOT NULL,
    contact_name  TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    synthetic     INTEGER NOT NULL DEFAULT 0 CHECK (synthetic IN (0, 1)),
    created_at    TEXT NOT NULL
) STRICT;
CREATE INDEX enterprises_by_district ON enterprises(district);

CREATE TABLE enterprise_roles (
    uscc TEXT NOT NULL REFERENCES enterprises(uscc),
    role TEXT NOT NULL,
    PRIMARY KEY (uscc, role)
) STRICT;

CREATE TABLE permits (
    number             TEXT PRIMARY KEY,
    holder             TEXT NOT NULL REFERENCES enterprises(uscc),
    valid_from         TEXT NOT NULL,
    valid_until        TEXT NOT NULL,
    landfill_volume_m3 INTEGER CHECK (landfill_volume_m3 > 0),
    created_at         TEXT NOT NULL,
    CHECK (valid_from <= valid_until)
) STRICT;
CREATE INDEX permits_by_holder ON permits(holder);

-- A scope is either a waste code `NNN-NNN-NN` or a whole category `HWnn`.
CREATE TABLE permit_scopes (
    permit TEXT NOT NULL REFERENCES permits(number),
    scope  TEXT NOT NULL,
    PRIMARY KEY (permit, scope)
) STRICT;

CREATE TABLE permit_capacities (
    permit              TEXT NOT NULL REFERENCES permits(number),
    method              TEXT NOT NULL,
    capacity_t_per_year INTEGER NOT NULL CHECK (capacity_t_per_year > 0),
    PRIMARY KEY (permit, method)
) STRICT;

CREATE TABLE vehicles (
    plate        TEXT PRIMARY KEY,
    holder       TEXT NOT NULL REFERENCES enterprises(uscc),
    vehicle_type TEXT NOT NULL,
    created_at   TEXT NOT NULL
) STRICT;
CREATE INDEX vehicles_by_holder ON vehicles(holder);

CREATE TABLE drivers (
    id         INTEGER PRIMARY KEY,
    holder     TEXT NOT NULL REFERENCES enterprises(uscc),
    name       TEXT NOT NULL,
    licence_no TEXT NOT NULL UNIQUE,
    phone      TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX drivers_by_holder ON drivers(holder);

-- Device public keys (SPEC §2). A device name may be registered again after revocation,
-- so the name is unique only among keys still in force.
CREATE TABLE device_keys (
    id            INTEGER PRIMARY KEY,
    owner         TEXT NOT NULL REFERENCES enterprises(uscc),
    device        TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    public_key    BLOB NOT NULL CHECK (length(public_key) = 32),
    registered_at TEXT NOT NULL,
    revoked_at    TEXT
) STRICT;
CREATE UNIQUE INDEX device_keys_in_force ON device_keys(owner, device) WHERE revoked_at IS NULL;
CREATE INDEX device_keys_by_key_id ON device_keys(key_id);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    enterprise    TEXT REFERENCES enterprises(uscc),
    district      TEXT REFERENCES districts(code),
    created_at    TEXT NOT NULL,
    disabled_at   TEXT,
    CHECK ((role IN ('enterprise_admin', 'enterprise_clerk')) = (enterprise IS NOT NULL)),
    CHECK ((role = 'regulator') = (district IS NOT NULL))
) STRICT;

-- Browser sessions and API tokens are stored as SHA-256 of the secret, never the secret.
CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    token_hash   BLOB NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
) STRICT;
