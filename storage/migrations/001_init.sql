-- Settings are a small key/value table: the GUI and config import write single keys.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- revision is bumped by every configuration write, so a running server (or a GUI
-- watching a service) can notice changes made by another process and reload.
CREATE TABLE revision (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO revision (id, n) VALUES (1, 0);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    roles         TEXT NOT NULL DEFAULT '[]',
    disabled      INTEGER NOT NULL DEFAULT 0,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE datasources (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    driver     TEXT NOT NULL,
    dsn        TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE channels (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    type            TEXT NOT NULL,
    rate_per_minute INTEGER NOT NULL DEFAULT 0,
    config          TEXT NOT NULL DEFAULT '{}',
    enabled         INTEGER NOT NULL DEFAULT 1,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE templates (
    id         INTEGER PRIMARY KEY,
    keyword    TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    datasource TEXT NOT NULL DEFAULT '',
    sql        TEXT NOT NULL,
    roles      TEXT NOT NULL DEFAULT '[]',
    users      TEXT NOT NULL DEFAULT '[]',
    chat       INTEGER NOT NULL DEFAULT 0,
    reply      TEXT NOT NULL DEFAULT '',
    max_rows   INTEGER NOT NULL DEFAULT 50,
    timeout_ms INTEGER NOT NULL DEFAULT 5000,
    enabled    INTEGER NOT NULL DEFAULT 1,
    updated_at INTEGER NOT NULL
);

-- The outbox: a send is committed here before the client gets its reply.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    channel         TEXT NOT NULL,
    target_kind     TEXT NOT NULL,
    target          TEXT NOT NULL,
    content         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER,
    api_user        TEXT NOT NULL DEFAULT '',
    idem_key        TEXT
);
-- Pending work is a small part of the table; a partial index keeps the dispatcher's scan short.
CREATE INDEX outbox_pending ON outbox (id) WHERE status IN ('queued', 'sending');
CREATE UNIQUE INDEX outbox_idem ON outbox (api_user, idem_key) WHERE idem_key IS NOT NULL;
CREATE INDEX outbox_created ON outbox (created_at);

CREATE TABLE request_log (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    remote      TEXT NOT NULL,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    api_user    TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL DEFAULT '',
    keyword     TEXT NOT NULL DEFAULT '',
    errcode     INTEGER NOT NULL,
    errmsg      TEXT NOT NULL DEFAULT '',
    duration_us INTEGER NOT NULL
);
CREATE INDEX request_log_at ON request_log (at);
