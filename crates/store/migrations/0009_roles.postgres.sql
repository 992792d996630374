-- Four roles instead of two (the old `member` is now `agent`), accounts that
-- can be deactivated, and API tokens limited to scopes.

ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check;
UPDATE users SET role = 'agent' WHERE role = 'member';
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'analyst', 'agent', 'viewer'));
ALTER TABLE users ADD COLUMN deactivated_at TEXT;

-- Tokens made before scopes existed keep what they could do.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read';
UPDATE api_tokens SET scopes = 'read export responses surveys invitations customers segments taxonomy attributes integrations privacy users';
CREATE INDEX api_tokens_user ON api_tokens(user_id);
