-- cxloop foundation schema, the same SQL on SQLite and PostgreSQL (BIGINT is a
-- 64-bit integer on both). Timestamps are fixed-width RFC 3339 UTC
-- text (so that text order is time order); ids are UUIDv7 text.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    password_hash TEXT,
    created_at    TEXT NOT NULL
);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL
);

CREATE TABLE customers (
    id          TEXT PRIMARY KEY,
    external_id TEXT NOT NULL UNIQUE,
    name        TEXT,
    email       TEXT,
    attributes  TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL
);

CREATE TABLE surveys (
    id          TEXT PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    description TEXT,
    touchpoint  TEXT,
    thank_you   TEXT,
    status      TEXT NOT NULL CHECK (status IN ('draft', 'active', 'closed')),
    questions   TEXT NOT NULL,
    -- Kept on ingest so that listings never count rows.
    response_count   BIGINT NOT NULL DEFAULT 0,
    last_response_at TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE responses (
    id             TEXT PRIMARY KEY,
    survey_id      TEXT NOT NULL REFERENCES surveys(id),
    customer_id    TEXT REFERENCES customers(id),
    submitted_at   TEXT NOT NULL,
    channel        TEXT NOT NULL,
    touchpoint     TEXT,
    headline_score BIGINT,
    -- The type of the survey's headline question (nps, csat, ces, rating) at answer time.
    headline_type  TEXT,
    answers        TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX responses_survey_time ON responses(survey_id, submitted_at, id);
CREATE INDEX responses_customer ON responses(customer_id);

-- One row per scored answer, for aggregates filtered by who answered
-- (segments); the unfiltered KPIs read score_daily.
CREATE TABLE answer_scores (
    response_id  TEXT NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
    survey_id    TEXT NOT NULL,
    question_key TEXT NOT NULL,
    score        BIGINT NOT NULL,
    submitted_at TEXT NOT NULL,
    PRIMARY KEY (response_id, question_key)
);

-- One row per free-text answer: comments, and later text analytics.
CREATE TABLE answer_texts (
    response_id  TEXT NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
    survey_id    TEXT NOT NULL,
    question_key TEXT NOT NULL,
    body         TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    PRIMARY KEY (response_id, question_key)
);
CREATE INDEX answer_texts_time ON answer_texts(submitted_at);
CREATE INDEX answer_texts_survey_time ON answer_texts(survey_id, submitted_at);

-- Rollup kept on ingest: how many responses gave each score on each UTC day.
CREATE TABLE score_daily (
    survey_id    TEXT NOT NULL,
    question_key TEXT NOT NULL,
    day          TEXT NOT NULL,
    score        BIGINT NOT NULL,
    n            BIGINT NOT NULL,
    PRIMARY KEY (survey_id, question_key, day, score)
);

CREATE TABLE idempotency (
    survey_id    TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    -- Deferred: the key is claimed first, in the same transaction as the response.
    response_id  TEXT NOT NULL REFERENCES responses(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (survey_id, key)
);
