-- Per-segment theme counts, so a persona card (and anything cut by a saved
-- segment) reads a few rows per theme instead of every tag of every member:
-- `segment_themes` holds, per saved segment and taxonomy version, how many of
-- its members' tallied responses mention each theme. A response's (version,
-- theme) pair is tallied once the segment upkeep has added it to its
-- customer's segments; until then it is in `segment_untallied` (written with
-- the tag, in the same transaction; its customer is then also in
-- `segment_pending`). The invariant, and how reads stay exact, is at the top
-- of store/src/shared/segment_upkeep.rs.
CREATE TABLE segment_themes (
    segment_id       TEXT NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    taxonomy_version BIGINT NOT NULL,
    theme            TEXT NOT NULL,
    responses        BIGINT NOT NULL,
    PRIMARY KEY (segment_id, taxonomy_version, theme)
);

-- Keyed by customer first, as `segment_uncounted`: the upkeep takes a
-- customer's rows.
CREATE TABLE segment_untallied (
    customer_id      TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    response_id      TEXT NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
    taxonomy_version BIGINT NOT NULL,
    theme            TEXT NOT NULL,
    PRIMARY KEY (customer_id, response_id, taxonomy_version, theme)
);

-- Members are built again, with both rollups, by the upkeep.
DELETE FROM segment_members;
DELETE FROM segment_daily;
UPDATE segments SET members_of = NULL, built_to = NULL;
