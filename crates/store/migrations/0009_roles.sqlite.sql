-- Four roles instead of two (the old `member` is now `agent`), accounts that
-- can be deactivated, and API tokens limited to scopes.
-- SQLite cannot change a CHECK constraint in place, and rebuilding `users`
-- would cascade-delete sessions and tokens, so the role column is replaced.

ALTER TABLE users ADD COLUMN access TEXT NOT NULL DEFAULT 'viewer'
    CHECK (access IN ('admin', 'analyst', 'agent', 'viewer'));
UPDATE users SET access = CASE role WHEN 'admin' THEN 'admin' ELSE 'agent' END;
ALTER TABLE users DROP COLUMN role;
ALTER TABLE users RENAME COLUMN access TO role;
ALTER TABLE users ADD COLUMN deactivated_at TEXT;

-- Tokens made before scopes existed keep what they could do.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read';
UPDATE api_tokens SET scopes = 'read export responses surveys invitations customers segments taxonomy attributes integrations privacy users';
CREATE INDEX api_tokens_user ON api_tokens(user_id);
