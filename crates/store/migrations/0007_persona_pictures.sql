-- A persona's picture (PNG, JPEG, GIF or WebP, checked by its first bytes
-- before it is stored), base64 text so both backends and migrate-data
-- carry it like any other text column.
ALTER TABLE personas ADD COLUMN picture_type TEXT;
ALTER TABLE personas ADD COLUMN picture TEXT;
