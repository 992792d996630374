-- Personas: who the organisation designs for, each linked to a segment
-- whose live KPIs and themes show on the persona's card.
CREATE TABLE personas (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    goals       TEXT NOT NULL,
    pain_points TEXT NOT NULL,
    initials    TEXT NOT NULL,
    segment_id  TEXT REFERENCES segments(id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
