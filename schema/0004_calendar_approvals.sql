-- The working-day calendar (days off and make-up working days of the State Council's schedule;
-- other days follow the week) and the register of cross-province transfer approvals
-- (危险废物转移管理办法 第二十一条–第二十七条) that manifests crossing a province boundary name.

CREATE TABLE calendar_days (
    day     TEXT PRIMARY KEY,
    kind    TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE transfer_approvals (
    number        TEXT PRIMARY KEY,
    -- 移出人 and 接受人, and their provinces when the approval was recorded.
    issuer        TEXT NOT NULL REFERENCES enterprises(uscc),
    receiver      TEXT NOT NULL REFERENCES enterprises(uscc),
    from_province TEXT NOT NULL,
    to_province   TEXT NOT NULL,
    quantity_g    INTEGER NOT NULL CHECK (quantity_g > 0),
    valid_from    TEXT NOT NULL,
    valid_until   TEXT NOT NULL,
    approved_by   INTEGER NOT NULL REFERENCES users(id),
    created_at    TEXT NOT NULL,
    CHECK (valid_from <= valid_until),
    CHECK (from_province <> to_province)
) STRICT;
CREATE INDEX transfer_approvals_by_issuer ON transfer_approvals(issuer);
CREATE INDEX transfer_approvals_by_receiver ON transfer_approvals(receiver);

CREATE TABLE transfer_approval_codes (
    approval   TEXT NOT NULL REFERENCES transfer_approvals(number),
    waste_code TEXT NOT NULL,
    PRIMARY KEY (approval, waste_code)
) STRICT, WITHOUT ROWID;

-- What an approval has been used for: the manifests naming it.
CREATE INDEX manifests_by_approval ON manifests(approval) WHERE approval IS NOT NULL;
