-- Responses per survey, channel, UTC day and headline score (-1: the
-- response has none), kept with every response written, as `score_daily`:
-- the survey page's channel breakdown and the baseline of wows & woes read
-- days here instead of every response of the period.
CREATE TABLE channel_daily (
    survey_id TEXT NOT NULL,
    channel   TEXT NOT NULL,
    day       TEXT NOT NULL,
    score     BIGINT NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (survey_id, channel, day, score)
);

INSERT INTO channel_daily (survey_id, channel, day, score, n)
SELECT survey_id, channel, substr(submitted_at, 1, 10), COALESCE(headline_score, -1), COUNT(*)
FROM responses
GROUP BY survey_id, channel, substr(submitted_at, 1, 10), COALESCE(headline_score, -1);
