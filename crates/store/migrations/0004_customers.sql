-- Customers: the attributes the organisation defines, lifecycle events,
-- and saved segments (filter expressions over customers).

CREATE TABLE customer_attributes (
    key        TEXT PRIMARY KEY,
    label      TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE customer_events (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    note        TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX customer_events_customer ON customer_events(customer_id, occurred_at);

CREATE TABLE segments (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    expression  TEXT NOT NULL,
    description TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE INDEX responses_customer_time ON responses(customer_id, submitted_at);
