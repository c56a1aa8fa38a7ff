-- Scheduled pushes (定时推送): a query template run on a cron schedule, its
-- rows sent to a channel's recipients.
--
-- schedules is configuration (written through Update, which bumps the
-- revision); schedule_runs is state, written by the scheduler alone, so a
-- slot being recorded does not make every process reload its configuration.
CREATE TABLE schedules (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    cron       TEXT NOT NULL,                  -- 5 fields (minute hour day month weekday) or @daily...
    tz         TEXT NOT NULL DEFAULT '',       -- IANA zone; '' = Asia/Shanghai
    template   TEXT NOT NULL,                  -- keyword of a query template
    args       TEXT NOT NULL DEFAULT '[]',     -- JSON list: {{1}}..{{9}}
    channel    TEXT NOT NULL DEFAULT '',       -- '' = the default channel
    to_ids     TEXT NOT NULL DEFAULT '[]',     -- JSON list of private recipients
    grps       TEXT NOT NULL DEFAULT '[]',     -- JSON list of groups
    at         TEXT NOT NULL DEFAULT '',       -- members to mention, as the QQAP `at` parameter
    header     TEXT NOT NULL DEFAULT '',
    skip_empty INTEGER NOT NULL DEFAULT 0,     -- no rows: send nothing
    catch_up_s INTEGER NOT NULL DEFAULT 3600,  -- a slot later than this is skipped, not sent
    enabled    INTEGER NOT NULL DEFAULT 1,
    -- since: no slot at or before it is owed. Set when the schedule is
    -- created, and again when its timing (cron, tz) changes or it is enabled,
    -- so that such an edit never sends a slot "missed" before it.
    since      INTEGER NOT NULL,               -- unix milliseconds
    updated_at INTEGER NOT NULL
);

-- The last slot each schedule handled. The scheduler writes this row and the
-- slot's outbox rows in one transaction (synchronous=FULL, as every send), and
-- only when the stored slot is older: a slot is enqueued exactly once, across
-- restarts, kill -9 and power loss.
CREATE TABLE schedule_runs (
    schedule_id INTEGER PRIMARY KEY REFERENCES schedules(id) ON DELETE CASCADE,
    slot        INTEGER NOT NULL,              -- unix milliseconds of the slot (the cron time)
    outcome     TEXT NOT NULL,                 -- sent, empty, failed, skipped
    error       TEXT NOT NULL DEFAULT '',      -- Chinese reason for failed and skipped
    msg_ids     TEXT NOT NULL DEFAULT '[]',    -- JSON list of the outbox ids queued
    at          INTEGER NOT NULL               -- unix milliseconds: when it was handled
);
