-- Per-segment score rollups, so a KPI cut by a saved segment reads days, not
-- every score of the range: `segment_daily` holds, per saved segment, survey,
-- question, UTC day and score, how many of its members' counted responses
-- gave that score. A response is counted once the segment upkeep has added it
-- to its customer's segments; until then it is in `segment_uncounted`
-- (written with the response, in the same transaction; its customer is then
-- also in `segment_pending`). The invariant, and how reads stay exact, is at
-- the top of store/src/shared/segment_upkeep.rs.
CREATE TABLE segment_daily (
    segment_id   TEXT NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    survey_id    TEXT NOT NULL,
    question_key TEXT NOT NULL,
    day          TEXT NOT NULL,
    score        BIGINT NOT NULL,
    n            BIGINT NOT NULL,
    PRIMARY KEY (segment_id, survey_id, question_key, day, score)
);

-- Keyed by customer first: the upkeep takes a customer's rows, and one
-- B-tree fewer to write with every response than a key and an index.
CREATE TABLE segment_uncounted (
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    response_id TEXT NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
    PRIMARY KEY (customer_id, response_id)
);

-- Members are built again, with their rollups, by the upkeep.
DELETE FROM segment_members;
UPDATE segments SET members_of = NULL, built_to = NULL;
