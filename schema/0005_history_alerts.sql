-- Each item's custody state after every entry that changed it (`domain::custody::ItemState`
-- in columns), so the regulators' figures can be taken at any date: received and treated
-- in a period, what a facility held on a day, where a cohort of generated waste stands.
-- Derived from the log like `items`; the auditor recomputes it.
CREATE TABLE item_history (
    item      TEXT NOT NULL REFERENCES items(code),
    seq       INTEGER NOT NULL REFERENCES log_entries(seq),
    -- The entry's logged time (RFC 3339 UTC) and its event type.
    at        TEXT NOT NULL,
    event     TEXT NOT NULL,
    state     TEXT NOT NULL,
    holder    TEXT NOT NULL,
    -- The mass the log holds the item to have after this entry (grams).
    mass_g    INTEGER NOT NULL CHECK (mass_g >= 0),
    treated_g INTEGER,
    method    TEXT,
    volume_l  INTEGER,
    PRIMARY KEY (item, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX item_history_by_holder ON item_history(holder, state, at);
CREATE INDEX item_history_by_time ON item_history(at);

-- Alerts (PRODUCT.md "Alerts"): one row per occurrence of a rule for a subject (an item, a
-- permit, a facility's method and year...). Opened and resolved as entries arrive and as
-- time passes; acknowledged by a regulator's signed `acknowledge` event.
CREATE TABLE alerts (
    id            INTEGER PRIMARY KEY,
    rule          TEXT NOT NULL,
    subject       TEXT NOT NULL,
    -- The district whose regulators see it.
    district      TEXT,
    -- When the condition began (RFC 3339 UTC), and the entry that raised it, if one did.
    started_at    TEXT NOT NULL,
    started_seq   INTEGER,
    state         TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    resolved_at   TEXT,
    resolved_seq  INTEGER,
    acked_seq     INTEGER,
    -- Facts of the occurrence, as JSON (masses, limits, due dates...).
    detail        TEXT NOT NULL
) STRICT;
-- At most one unresolved occurrence of a rule per subject.
CREATE UNIQUE INDEX alerts_unresolved ON alerts(rule, subject) WHERE state != 'resolved';
CREATE INDEX alerts_by_district ON alerts(district, state);

-- Treated mass per facility, method and year (CST), kept as `treat` entries arrive, so the
-- capacity alert costs one row per treatment instead of a sum over the year.
CREATE TABLE capacity_use (
    facility  TEXT NOT NULL,
    method    TEXT NOT NULL,
    year      INTEGER NOT NULL,
    treated_g INTEGER NOT NULL,
    PRIMARY KEY (facility, method, year)
) STRICT, WITHOUT ROWID;
