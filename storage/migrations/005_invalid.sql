-- Recipients a platform refused while it delivered a message to the rest of
-- its list (WeCom's invaliduser): a JSON array of ids, NULL when there were
-- none (nearly every row, so nothing is stored for them).
ALTER TABLE outbox ADD COLUMN invalid TEXT;
