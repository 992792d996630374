-- Free-text answers waiting for analysis: the comment sweeper takes from this
-- queue instead of an anti-join over every comment on every poll (which cost
-- O(comments) per poll and kept an idle server busy). A row is added with its
-- answer and removed when the answer's analysis is saved.
CREATE TABLE text_pending (
    response_id  TEXT NOT NULL,
    question_key TEXT NOT NULL,
    PRIMARY KEY (response_id, question_key),
    FOREIGN KEY (response_id, question_key) REFERENCES answer_texts(response_id, question_key) ON DELETE CASCADE
);
INSERT INTO text_pending (response_id, question_key)
SELECT t.response_id, t.question_key FROM answer_texts t
LEFT JOIN text_analysis a ON a.response_id = t.response_id AND a.question_key = t.question_key
WHERE a.response_id IS NULL;

-- A text's tags under one taxonomy version, by its full key (the report of
-- texts no theme covers looks them up per text).
CREATE INDEX text_themes_text ON text_themes(response_id, question_key, taxonomy_version);
