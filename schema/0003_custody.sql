-- The custody workflow: transfer manifests (转移联单) with their items, the per-city-and-year
-- sequence of their numbers (SPEC §1.4), and each item's full custody state beside the
-- `state` and `holder` columns that existing queries read.

CREATE TABLE manifest_numbers (
    province TEXT NOT NULL,
    city     TEXT NOT NULL,
    year     INTEGER NOT NULL,
    last     INTEGER NOT NULL CHECK (last BETWEEN 1 AND 999999),
    PRIMARY KEY (province, city, year)
) STRICT, WITHOUT ROWID;

CREATE TABLE manifests (
    number         TEXT PRIMARY KEY,
    issuer         TEXT NOT NULL REFERENCES enterprises(uscc),
    -- JSON array of USCCs, in carrying order.
    transporters   TEXT NOT NULL,
    vehicle_plate  TEXT NOT NULL,
    driver_licence TEXT NOT NULL,
    receiver       TEXT NOT NULL REFERENCES enterprises(uscc),
    planned_date   TEXT NOT NULL,
    approval       TEXT,
    state          TEXT NOT NULL CHECK (state IN ('open', 'cancelled')),
    created_seq    INTEGER NOT NULL REFERENCES log_entries(seq)
) STRICT;
CREATE INDEX manifests_by_issuer ON manifests(issuer);
CREATE INDEX manifests_by_receiver ON manifests(receiver);

CREATE TABLE manifest_items (
    manifest TEXT NOT NULL REFERENCES manifests(number),
    item     TEXT NOT NULL REFERENCES items(code),
    position INTEGER NOT NULL,
    PRIMARY KEY (manifest, item)
) STRICT, WITHOUT ROWID;
CREATE INDEX manifest_items_by_item ON manifest_items(item);

-- The item's custody state (`domain::custody::ItemState`) as JSON; NULL while the item has
-- seen nothing but its `generate` (stored at its generator).
ALTER TABLE items ADD COLUMN custody TEXT;
