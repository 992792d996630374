-- Text analytics: versioned theme taxonomies, the sentiment of every free
-- text answer, and the themes each text mentions under each taxonomy version
-- (old versions keep their tags, so reports on them stay stable).

CREATE TABLE taxonomy_versions (
    version    BIGINT PRIMARY KEY,
    taxonomy   TEXT NOT NULL,
    note       TEXT,
    created_by TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE text_analysis (
    response_id  TEXT NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
    question_key TEXT NOT NULL,
    survey_id    TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    language     TEXT NOT NULL,
    label        TEXT NOT NULL,
    sentiment    DOUBLE PRECISION NOT NULL,
    reasons      TEXT NOT NULL,
    analysed_at  TEXT NOT NULL,
    PRIMARY KEY (response_id, question_key)
);
CREATE INDEX text_analysis_survey ON text_analysis(survey_id, submitted_at);

CREATE TABLE text_themes (
    taxonomy_version BIGINT NOT NULL,
    theme            TEXT NOT NULL,
    response_id      TEXT NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
    question_key     TEXT NOT NULL,
    survey_id        TEXT NOT NULL,
    submitted_at     TEXT NOT NULL,
    PRIMARY KEY (taxonomy_version, theme, response_id, question_key)
);
CREATE INDEX text_themes_survey ON text_themes(taxonomy_version, survey_id, submitted_at);
CREATE INDEX text_themes_response ON text_themes(response_id, taxonomy_version);
