-- Mentions and attachments of outbox messages.
--
-- Attachment bytes live in a blob table rather than in files under the state
-- directory: a row and its attachments commit in one transaction (one commit,
-- one fsync, so kill -9 or a power loss never leaves a message without its
-- attachment, nor a file without its message), and retention deletes them
-- with the row (ON DELETE CASCADE; foreign_keys is on for every connection).
-- Files would need their own fsync before the commit, a sweep for orphans
-- after a crash, and a second place to back up.
ALTER TABLE outbox ADD COLUMN mentions TEXT NOT NULL DEFAULT '';    -- JSON [{"id","name"}], '' when none
ALTER TABLE outbox ADD COLUMN attachments TEXT NOT NULL DEFAULT ''; -- JSON summary [{"kind","name","url","size","sha256"}], '' when none

CREATE TABLE outbox_attachment (
    message_id INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,               -- order within the message, from 0
    kind       TEXT NOT NULL,                  -- image or file
    name       TEXT NOT NULL,
    url        TEXT NOT NULL DEFAULT '',       -- fetched at delivery when data is NULL
    data       BLOB,
    size       INTEGER NOT NULL DEFAULT 0,     -- bytes of data
    sha256     TEXT NOT NULL DEFAULT '',       -- hex of data
    PRIMARY KEY (message_id, seq)
);
