-- Issue 11 (the regulator's dashboard, docs/dashboard.md): what its pages read fast on a year
-- of data.

-- The waste each generator's items moved per CST day, summed from `item_history` as its rows
-- are written (the trigger below, in the writer's transaction): the declared mass of the items
-- generated (`generate` rows that created the item), the mass accepted at receivers (`receive`
-- rows that left the item received) and the mass treated (`treat` rows), each on the CST day of
-- the entry's logged time. A projection of a projection: `item_history` is re-derived by the
-- auditor, and this table is the sum of its rows (the dashboard's tests check it against them).
CREATE TABLE dashboard_flows (
    day         TEXT NOT NULL,
    generator   TEXT NOT NULL,
    generated_g INTEGER NOT NULL CHECK (generated_g >= 0),
    received_g  INTEGER NOT NULL CHECK (received_g >= 0),
    treated_g   INTEGER NOT NULL CHECK (treated_g >= 0),
    PRIMARY KEY (day, generator)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER dashboard_flows_from_history AFTER INSERT ON item_history
WHEN NEW.event IN ('generate', 'receive', 'treat')
BEGIN
    INSERT INTO dashboard_flows(day, generator, generated_g, received_g, treated_g)
    SELECT date(NEW.at, '+8 hours'), i.generator,
           CASE WHEN NEW.event = 'generate' AND NEW.seq = i.created_seq THEN i.mass_g ELSE 0 END,
           CASE WHEN NEW.event = 'receive' AND NEW.state = 'received' THEN NEW.mass_g ELSE 0 END,
           CASE WHEN NEW.event = 'treat' THEN COALESCE(NEW.treated_g, 0) ELSE 0 END
    FROM items i WHERE i.code = NEW.item
    ON CONFLICT(day, generator) DO UPDATE SET
        generated_g = generated_g + excluded.generated_g,
        received_g = received_g + excluded.received_g,
        treated_g = treated_g + excluded.treated_g;
END;

-- What the history already holds.
INSERT INTO dashboard_flows(day, generator, generated_g, received_g, treated_g)
SELECT date(h.at, '+8 hours'), i.generator,
       SUM(CASE WHEN h.event = 'generate' AND h.seq = i.created_seq THEN i.mass_g ELSE 0 END),
       SUM(CASE WHEN h.event = 'receive' AND h.state = 'received' THEN h.mass_g ELSE 0 END),
       SUM(CASE WHEN h.event = 'treat' THEN COALESCE(h.treated_g, 0) ELSE 0 END)
FROM item_history h JOIN items i ON i.code = h.item
WHERE h.event IN ('generate', 'receive', 'treat')
GROUP BY 1, 2;

-- The cohorts of the disposal rates, the Sankey and the monthly rates: the items generated in
-- a period, found by the logged time of their `generate` rows alone.
CREATE INDEX item_history_generated ON item_history(at) WHERE event = 'generate';
