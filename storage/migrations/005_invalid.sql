-- The recipients a platform refused from a message's list (WeCom invaliduser,
-- DingTalk invalidStaffIdList, Feishu users outside the app's range) while
-- the others got it: the message is delivered, and these ids are listed
-- under "invalid" in /api/v1/messages/{id}.
ALTER TABLE outbox ADD COLUMN invalid TEXT NOT NULL DEFAULT ''; -- JSON ["id", …], '' when none
