package datasource

import (
	"database/sql"
	"encoding/base64"
	"time"
)

// Pool limits for server databases. A slow or hung ERP can hold at most
// maxOpenConns connections; further template runs wait for a free one only
// as long as their own timeout, so BotGate keeps answering everything else.
const (
	maxOpenConns    = 8
	maxIdleConns    = 2
	connMaxLifetime = 30 * time.Minute
	connMaxIdleTime = 5 * time.Minute
	connectTimeout  = 10 * time.Second
)

func limitPool(db *sql.DB) {
	db.SetMaxOpenConns(maxOpenConns)
	db.SetMaxIdleConns(maxIdleConns)
	db.SetConnMaxLifetime(connMaxLifetime)
	db.SetConnMaxIdleTime(connMaxIdleTime)
}

// Date and time text, ISO 8601. Types without a zone (DATE, DATETIME,
// TIMESTAMP WITHOUT TIME ZONE, DATETIME2) hold the office's wall clock and are
// shown as stored, without an offset — converting them would shift every
// time by the server's idea of UTC. Types with a zone are shown in the
// local time of the BotGate computer, with the offset.
const (
	dateLayout = "2006-01-02"
	wallLayout = "2006-01-02T15:04:05.999999999"
)

func wallClock(t time.Time) string { return t.Format(wallLayout) }
func zoned(t time.Time) string     { return t.Local().Format(time.RFC3339Nano) }

// binary is base64 for binary columns, even when the bytes happen to be
// valid UTF-8: a picture must not turn into garbled text.
func binary(v any) any {
	if b, ok := v.([]byte); ok {
		return base64.StdEncoding.EncodeToString(b)
	}
	return v
}
