-- inbound_log: chat messages that named a keyword (who asked what, and what
-- BotGate did about it). Ordinary chatter is never stored. The reply text is
-- not kept either: it holds ERP rows, which belong in the ERP, not in a log.
CREATE TABLE inbound_log (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,               -- unix milliseconds
    channel     TEXT NOT NULL,
    sender      TEXT NOT NULL,                  -- QQ number / platform user id
    sender_name TEXT NOT NULL DEFAULT '',
    grp         TEXT NOT NULL DEFAULT '',       -- group id; empty for a private chat
    keyword     TEXT NOT NULL DEFAULT '',
    text        TEXT NOT NULL DEFAULT '',       -- what was sent (capped)
    outcome     TEXT NOT NULL,                  -- answered, refused, not_chat, limited, failed
    detail      TEXT NOT NULL DEFAULT '',       -- Chinese reason for refusals and failures
    rows        INTEGER NOT NULL DEFAULT 0,     -- rows returned or changed
    via         TEXT NOT NULL DEFAULT '',       -- quick (in the webhook reply), outbox, or empty
    msg_id      INTEGER,                        -- outbox id when the answer went through the outbox
    duration_us INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX inbound_log_at ON inbound_log (at);
CREATE INDEX inbound_log_sender ON inbound_log (sender, at);
