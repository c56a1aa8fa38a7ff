-- The window's log tab asks every second for the newest failed messages.
-- Failed rows are a small part of the outbox; without an index of their own
-- the newest 200 of them were found by walking every row from the top.
CREATE INDEX outbox_failed ON outbox (id) WHERE status = 'failed';
