-- Listening channels: where a response came from beyond its channel name
-- (an import's source and author, a helpdesk ticket and agent), as JSON.
ALTER TABLE responses ADD COLUMN context TEXT;

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
