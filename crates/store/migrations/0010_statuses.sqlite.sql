-- Status and kind columns hold only the values the code knows: an
-- invitation's status and a lifecycle event's kind, as CHECK constraints.
-- SQLite cannot add a constraint to a column, and rebuilding the tables
-- would have to recreate every key that points at them, so each column is
-- replaced by a checked one (the default only satisfies ADD COLUMN: every
-- insert names the value).

DROP INDEX invitations_status;
ALTER TABLE invitations ADD COLUMN checked_status TEXT NOT NULL DEFAULT 'queued'
    CHECK (checked_status IN ('queued', 'sending', 'sent', 'opened', 'answered', 'bounced', 'failed', 'unsubscribed'));
UPDATE invitations SET checked_status = status;
ALTER TABLE invitations DROP COLUMN status;
ALTER TABLE invitations RENAME COLUMN checked_status TO status;
CREATE INDEX invitations_status ON invitations(status, next_reminder_at);

ALTER TABLE customer_events ADD COLUMN checked_kind TEXT NOT NULL DEFAULT 'signed_up'
    CHECK (checked_kind IN ('signed_up', 'renewed', 'upgraded', 'downgraded', 'churned', 'reactivated'));
UPDATE customer_events SET checked_kind = kind;
ALTER TABLE customer_events DROP COLUMN kind;
ALTER TABLE customer_events RENAME COLUMN checked_kind TO kind;
