-- China's administrative divisions, the province and county of each enterprise, the two kinds
-- of hazardous-waste licence, capacities per year or per day, and what the alert sweep needs
-- to find its candidates through an index.

-- Provinces, prefectures and counties (NBS statistical division codes, 2023; the GB/T 2260
-- levels). Reference data, seeded from seeds/admin-divisions-2023/ at every start.
CREATE TABLE provinces (
    code    TEXT PRIMARY KEY CHECK (length(code) = 2),
    name_zh TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE prefectures (
    code     TEXT PRIMARY KEY CHECK (length(code) = 4),
    name_zh  TEXT NOT NULL,
    province TEXT NOT NULL REFERENCES provinces(code)
) STRICT, WITHOUT ROWID;

CREATE TABLE counties (
    code       TEXT PRIMARY KEY CHECK (length(code) = 6),
    name_zh    TEXT NOT NULL,
    prefecture TEXT NOT NULL,
    province   TEXT NOT NULL REFERENCES provinces(code)
) STRICT, WITHOUT ROWID;

-- An enterprise's province (characters 3–4 of its USCC) and the division code of its
-- registering authority (characters 3–8), which is a county's code or a prefecture's or
-- province's (…00); it is kept whether or not the division list knows it. The supervising
-- district (`district`) is separate: which regulators see the enterprise.
ALTER TABLE enterprises ADD COLUMN province TEXT;
ALTER TABLE enterprises ADD COLUMN county TEXT;
UPDATE enterprises SET province = substr(uscc, 3, 2), county = substr(uscc, 3, 6);
CREATE INDEX enterprises_by_province ON enterprises(province);

-- 危险废物经营许可证管理办法 art. 3: an operating licence (collection, storage, treatment:
-- capacities per method, landfill volume) or a collection licence (scope and an annual
-- collection capacity, no treatment).
ALTER TABLE permits ADD COLUMN kind TEXT NOT NULL DEFAULT 'operating'
    CHECK (kind IN ('operating', 'collection'));
ALTER TABLE permits ADD COLUMN collection_t_per_year INTEGER CHECK (collection_t_per_year > 0);

-- A treatment capacity is licensed in tonnes per year or per day (`per`).
ALTER TABLE permit_capacities RENAME COLUMN capacity_t_per_year TO capacity_t;
ALTER TABLE permit_capacities ADD COLUMN per TEXT NOT NULL DEFAULT 'year' CHECK (per IN ('year', 'day'));

-- The seeded Fengyan permit states 3 t/day; databases seeded before this migration hold it
-- as 1,095 t/yr.
UPDATE permit_capacities SET capacity_t = 3, per = 'day'
 WHERE permit = 'CQWF-2026-003' AND method = 'steam' AND capacity_t = 1095 AND per = 'year';

-- Treated mass per facility, method and CST day, kept as `treat` entries arrive (like
-- `capacity_use` per year), for the daily capacity alert.
CREATE TABLE capacity_use_daily (
    facility  TEXT NOT NULL,
    method    TEXT NOT NULL,
    day       TEXT NOT NULL,
    treated_g INTEGER NOT NULL,
    PRIMARY KEY (facility, method, day)
) STRICT, WITHOUT ROWID;

-- The alert sweep looks for items by state and age.
CREATE INDEX items_by_state ON items(state, generated_at);
