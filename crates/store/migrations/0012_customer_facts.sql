-- The facts segments filter on, kept as columns of the customer and
-- maintained as responses and lifecycle events are written (in the same
-- transaction), instead of six correlated subqueries over `responses` and
-- `customer_events` for every customer every time a segment was used.
-- `last_<kind>` is the headline score of the customer's latest response to a
-- survey of that kind (NULL when that response skipped it), `last_<kind>_at`
-- that response's time; `stage` is the kind of the latest lifecycle event.
ALTER TABLE customers ADD COLUMN response_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN last_response_at TEXT;
ALTER TABLE customers ADD COLUMN last_nps BIGINT;
ALTER TABLE customers ADD COLUMN last_nps_at TEXT;
ALTER TABLE customers ADD COLUMN last_csat BIGINT;
ALTER TABLE customers ADD COLUMN last_csat_at TEXT;
ALTER TABLE customers ADD COLUMN last_ces BIGINT;
ALTER TABLE customers ADD COLUMN last_ces_at TEXT;
ALTER TABLE customers ADD COLUMN stage TEXT;
ALTER TABLE customers ADD COLUMN stage_at TEXT;

UPDATE customers SET
    response_count = (SELECT COUNT(*) FROM responses r WHERE r.customer_id = customers.id),
    last_response_at = (SELECT MAX(r.submitted_at) FROM responses r WHERE r.customer_id = customers.id),
    last_nps_at = (SELECT MAX(r.submitted_at) FROM responses r WHERE r.customer_id = customers.id AND r.headline_type = 'nps'),
    last_csat_at = (SELECT MAX(r.submitted_at) FROM responses r WHERE r.customer_id = customers.id AND r.headline_type = 'csat'),
    last_ces_at = (SELECT MAX(r.submitted_at) FROM responses r WHERE r.customer_id = customers.id AND r.headline_type = 'ces'),
    stage_at = (SELECT MAX(e.occurred_at) FROM customer_events e WHERE e.customer_id = customers.id);
UPDATE customers SET last_nps = (SELECT r.headline_score FROM responses r
    WHERE r.customer_id = customers.id AND r.headline_type = 'nps' ORDER BY r.submitted_at DESC LIMIT 1)
    WHERE last_nps_at IS NOT NULL;
UPDATE customers SET last_csat = (SELECT r.headline_score FROM responses r
    WHERE r.customer_id = customers.id AND r.headline_type = 'csat' ORDER BY r.submitted_at DESC LIMIT 1)
    WHERE last_csat_at IS NOT NULL;
UPDATE customers SET last_ces = (SELECT r.headline_score FROM responses r
    WHERE r.customer_id = customers.id AND r.headline_type = 'ces' ORDER BY r.submitted_at DESC LIMIT 1)
    WHERE last_ces_at IS NOT NULL;
UPDATE customers SET stage = (SELECT e.kind FROM customer_events e
    WHERE e.customer_id = customers.id ORDER BY e.occurred_at DESC LIMIT 1)
    WHERE stage_at IS NOT NULL;
