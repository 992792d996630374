-- A KPI cut by an expression (or a segment still being built) counts the
-- period's scores per customer: with the customer on the score, and this
-- covering index, that is one range of the index, where it was every score
-- of the table each looked up in `responses` for its customer.
ALTER TABLE answer_scores ADD COLUMN customer_id TEXT;

UPDATE answer_scores SET customer_id = (SELECT r.customer_id FROM responses r WHERE r.id = answer_scores.response_id);

CREATE INDEX answer_scores_by_customer ON answer_scores (survey_id, question_key, submitted_at, customer_id, score);
