-- Listening channels: where a response came from beyond its channel name
-- (an import's source and author, a helpdesk ticket and agent), as JSON.
ALTER TABLE responses ADD COLUMN context TEXT;
-- An imported item's id in its source system (context.source_id): an item
-- is imported once per survey and source.
ALTER TABLE responses ADD COLUMN source_ref TEXT;
CREATE UNIQUE INDEX responses_source_ref ON responses(survey_id, channel, source_ref) WHERE source_ref IS NOT NULL;

-- Email invitations: one per person and survey send, with a random token
-- for the personal link (/s/{slug}?i=TOKEN) and a status that moves
-- queued -> sent -> opened -> answered (or bounced, failed, unsubscribed).
CREATE TABLE invitations (
    id               TEXT PRIMARY KEY,
    survey_id        TEXT NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    customer_id      TEXT REFERENCES customers(id) ON DELETE SET NULL,
    email            TEXT NOT NULL,
    token            TEXT NOT NULL UNIQUE,
    status           TEXT NOT NULL,
    context          TEXT,
    max_reminders    BIGINT NOT NULL,
    reminder_days    BIGINT NOT NULL,
    reminders        BIGINT NOT NULL DEFAULT 0,
    next_reminder_at TEXT,
    error            TEXT,
    response_id      TEXT,
    created_at       TEXT NOT NULL,
    sent_at          TEXT,
    opened_at        TEXT,
    answered_at      TEXT
);
CREATE INDEX invitations_survey ON invitations(survey_id, created_at);
CREATE INDEX invitations_status ON invitations(status, next_reminder_at);
CREATE INDEX invitations_email ON invitations(email);

-- The contact-frequency rule: when each address was last asked, claimed
-- atomically so two sends at once cannot both reach one person.
CREATE TABLE contact_log (
    email           TEXT PRIMARY KEY,
    last_contact_at TEXT NOT NULL
);

-- Addresses that asked not to be surveyed again; honoured by every send.
CREATE TABLE unsubscribes (
    email      TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    via        TEXT NOT NULL
);

-- Inbound webhooks: a helpdesk or CRM posts signed events; each event
-- name maps to the survey to send (events is a JSON object).
CREATE TABLE hooks (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    secret     TEXT NOT NULL,
    events     TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Event ids already handled, so a redelivered event surveys nobody twice.
CREATE TABLE hook_events (
    hook_id     TEXT NOT NULL REFERENCES hooks(id) ON DELETE CASCADE,
    event_id    TEXT NOT NULL,
    received_at TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    PRIMARY KEY (hook_id, event_id)
);

-- The website widget of a survey: the origins allowed to show it (JSON
-- array) and how often one visitor may be asked, in days.
CREATE TABLE widgets (
    survey_id  TEXT PRIMARY KEY REFERENCES surveys(id) ON DELETE CASCADE,
    origins    TEXT NOT NULL,
    every_days BIGINT NOT NULL,
    updated_at TEXT NOT NULL
);
