-- Status and kind columns hold only the values the code knows: an
-- invitation's status and a lifecycle event's kind, as CHECK constraints.
ALTER TABLE invitations ADD CONSTRAINT invitations_status_check
    CHECK (status IN ('queued', 'sending', 'sent', 'opened', 'answered', 'bounced', 'failed', 'unsubscribed'));
ALTER TABLE customer_events ADD CONSTRAINT customer_events_kind_check
    CHECK (kind IN ('signed_up', 'renewed', 'upgraded', 'downgraded', 'churned', 'reactivated'));
