-- The example comments of wows & woes from a table, as the counts come from
-- `theme_daily`: per taxonomy version, survey, theme and UTC day, the three
-- most negative and the three most positive analysed texts tagged with it
-- (ties: newest first, then by response and question). The three of a
-- period are among the three of its days, so a report reads a few rows a
-- day instead of sorting every tag of the period. Kept where tags and
-- analyses are written; filled here from the rows.
CREATE TABLE theme_examples (
    taxonomy_version BIGINT NOT NULL,
    survey_id        TEXT NOT NULL,
    theme            TEXT NOT NULL,
    side             TEXT NOT NULL CHECK (side IN ('negative', 'positive')),
    day              TEXT NOT NULL,
    response_id      TEXT NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
    question_key     TEXT NOT NULL,
    sentiment        DOUBLE PRECISION NOT NULL,
    submitted_at     TEXT NOT NULL,
    PRIMARY KEY (taxonomy_version, survey_id, theme, side, day, response_id, question_key)
);
INSERT INTO theme_examples (taxonomy_version, survey_id, theme, side, day, response_id, question_key, sentiment, submitted_at)
SELECT taxonomy_version, survey_id, theme, 'negative', day, response_id, question_key, sentiment, submitted_at FROM (
    SELECT tt.taxonomy_version, tt.survey_id, tt.theme, substr(tt.submitted_at, 1, 10) AS day, tt.response_id,
           tt.question_key, ta.sentiment, tt.submitted_at,
           ROW_NUMBER() OVER (PARTITION BY tt.taxonomy_version, tt.survey_id, tt.theme, substr(tt.submitted_at, 1, 10)
                              ORDER BY ta.sentiment ASC, tt.submitted_at DESC, tt.response_id, tt.question_key) AS place
    FROM text_themes tt JOIN text_analysis ta ON ta.response_id = tt.response_id AND ta.question_key = tt.question_key
) ranked WHERE place <= 3;
INSERT INTO theme_examples (taxonomy_version, survey_id, theme, side, day, response_id, question_key, sentiment, submitted_at)
SELECT taxonomy_version, survey_id, theme, 'positive', day, response_id, question_key, sentiment, submitted_at FROM (
    SELECT tt.taxonomy_version, tt.survey_id, tt.theme, substr(tt.submitted_at, 1, 10) AS day, tt.response_id,
           tt.question_key, ta.sentiment, tt.submitted_at,
           ROW_NUMBER() OVER (PARTITION BY tt.taxonomy_version, tt.survey_id, tt.theme, substr(tt.submitted_at, 1, 10)
                              ORDER BY ta.sentiment DESC, tt.submitted_at DESC, tt.response_id, tt.question_key) AS place
    FROM text_themes tt JOIN text_analysis ta ON ta.response_id = tt.response_id AND ta.question_key = tt.question_key
) ranked WHERE place <= 3;
