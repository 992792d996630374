-- Wows & woes from a rollup, as metrics read `score_daily`: per taxonomy
-- version, survey, theme, UTC day and headline score (-1: the response has
-- none), the responses that mention the theme (a response with two texts
-- tagged alike counts once) and the sum and number of the sentiments of the
-- analysed texts tagged with it. Kept in the transaction that writes the tags
-- (and the analyses of texts tagged before they were analysed); filled here
-- from the rows.
CREATE TABLE theme_daily (
    taxonomy_version BIGINT NOT NULL,
    survey_id        TEXT NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    theme            TEXT NOT NULL,
    day              TEXT NOT NULL,
    score            BIGINT NOT NULL,
    responses        BIGINT NOT NULL,
    sentiment_sum    DOUBLE PRECISION NOT NULL,
    sentiment_n      BIGINT NOT NULL,
    PRIMARY KEY (taxonomy_version, survey_id, day, theme, score)
);
INSERT INTO theme_daily (taxonomy_version, survey_id, theme, day, score, responses, sentiment_sum, sentiment_n)
SELECT tt.taxonomy_version, tt.survey_id, tt.theme, substr(tt.submitted_at, 1, 10), COALESCE(r.headline_score, -1),
       COUNT(DISTINCT tt.response_id), COALESCE(SUM(ta.sentiment), 0), COUNT(ta.sentiment)
FROM text_themes tt
JOIN responses r ON r.id = tt.response_id
LEFT JOIN text_analysis ta ON ta.response_id = tt.response_id AND ta.question_key = tt.question_key
GROUP BY tt.taxonomy_version, tt.survey_id, tt.theme, substr(tt.submitted_at, 1, 10), COALESCE(r.headline_score, -1);

-- A theme's tags in a survey and period, found without reading every other
-- theme's (the examples of wows & woes read each theme's rows).
CREATE INDEX text_themes_theme ON text_themes(taxonomy_version, survey_id, theme, submitted_at);

-- A response's tags under a version, with their themes, from the index alone.
-- Without it, SQLite answered "the tags of these responses" by walking every
-- tag of the version in the primary key, which is covering (persona cards
-- took minutes at a million responses).
CREATE INDEX text_themes_by_response ON text_themes(response_id, taxonomy_version, theme);
DROP INDEX text_themes_response;
