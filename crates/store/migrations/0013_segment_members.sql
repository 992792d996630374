-- Saved segments' members, kept instead of evaluated over the whole customer
-- directory on every use. A segment's members are those of the expression in
-- `members_of`; while that differs from `expression` (new or edited) the
-- members are being built, customers in id order up to `built_to`.
-- `segment_pending` holds the customers whose facts changed since they were
-- last evaluated (written in the same transaction as the change), so reads
-- stay exact: members, less the pending customers, plus those of them that
-- match now.
CREATE TABLE segment_members (
    segment_id  TEXT NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    PRIMARY KEY (segment_id, customer_id)
);
CREATE INDEX segment_members_customer ON segment_members(customer_id);

CREATE TABLE segment_pending (
    customer_id TEXT NOT NULL PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE
);

ALTER TABLE segments ADD COLUMN members_of TEXT;
ALTER TABLE segments ADD COLUMN built_to TEXT;
