-- Listening channels: where a response came from beyond its channel name
-- (an import's source and author, a helpdesk ticket and agent), as JSON.
ALTER TABLE responses ADD COLUMN context TEXT;
