package datasource

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"

	"botgate/app/sqltmpl"
)

// OpenPostgres opens a PostgreSQL data source through pgx. dsn is a URL
// (postgres://user:pass@host:5432/db?sslmode=disable) or libpq key=value
// text (host=... user=... dbname=...). No connection is made yet: an ERP
// that is down when BotGate starts is used as soon as it comes back.
//
// Parameters: sqltmpl binds every value as a Go string. pgx sends Go strings
// in text format whatever type the server inferred for the parameter, and
// the server parses that text as the column's type — so "42" compared with
// an integer column or "12.30" inserted into NUMERIC works exactly, as with
// psql, and nothing is ever pasted into the SQL text. A value the type
// cannot accept ("abc" for an integer) is the server's clear error.
func OpenPostgres(ctx context.Context, dsn string) (*SQL, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL 连接字符串有误：%w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
	// On a cancelled context (template timeout, row cap reached) ask the
	// server to cancel the statement, instead of only closing the socket
	// and leaving the query running on the server.
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: 2 * time.Second}
	}
	db := stdlib.OpenDB(*cfg)
	limitPool(db)
	s := NewSQL(db, db, sqltmpl.Dollar, convPostgres)
	s.d = dialect{limit: pgLimit, cancelOnCap: true, bindArgs: pgEmptyAsNull}
	return s, nil
}

// pgLimit sets statement_timeout for this transaction only (SET LOCAL), so it
// never leaks to the next user of the pooled connection.
func pgLimit(ctx context.Context, tx *sql.Tx, d time.Duration) error {
	_, err := tx.ExecContext(ctx, "SET LOCAL statement_timeout = "+strconv.FormatInt(max(d.Milliseconds(), 1), 10))
	return err
}

// pgNoEmpty are parameter types for which PostgreSQL rejects empty text
// (” is not a number, a date or a boolean). MySQL and SQLite compare ”
// with a number without error, so a template such as
// "qq = '{{来源QQ}}' OR id = {{1}}" called without QQ must not fail on
// PostgreSQL alone: there an empty value for these types binds NULL, which
// matches nothing in a comparison and stores NULL on insert.
var pgNoEmpty = map[uint32]bool{
	pgtype.Int2OID: true, pgtype.Int4OID: true, pgtype.Int8OID: true, pgtype.NumericOID: true,
	pgtype.Float4OID: true, pgtype.Float8OID: true, pgtype.OIDOID: true, 790: true, // money
	pgtype.DateOID: true, pgtype.TimeOID: true, pgtype.TimetzOID: true, pgtype.TimestampOID: true,
	pgtype.TimestamptzOID: true, pgtype.IntervalOID: true, pgtype.BoolOID: true, pgtype.UUIDOID: true,
	pgtype.JSONOID: true, pgtype.JSONBOID: true, pgtype.InetOID: true, pgtype.CIDROID: true,
}

// pgEmptyAsNull applies pgNoEmpty. The statement is described (one round
// trip, no execution) only when some value is empty.
func pgEmptyAsNull(ctx context.Context, conn *sql.Conn, query string, args []any) ([]any, error) {
	if !slices.Contains(args, any("")) {
		return args, nil
	}
	var oids []uint32
	err := conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("unexpected PostgreSQL driver connection %T", dc)
		}
		sd, err := c.Conn().PgConn().Prepare(ctx, "", query, nil)
		if err != nil {
			return err
		}
		oids = sd.ParamOIDs
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := slices.Clone(args)
	for i, a := range out {
		if a == "" && i < len(oids) && pgNoEmpty[oids[i]] {
			out[i] = nil
		}
	}
	return out, nil
}

// convPostgres maps pgx's values (as the stdlib adapter hands them over) to
// what an ERP expects. NUMERIC already arrives as exact text.
func convPostgres(v any, dbType string) any {
	switch dbType {
	case "DATE":
		if t, ok := v.(time.Time); ok {
			return t.Format(dateLayout)
		}
	case "TIMESTAMP":
		if t, ok := v.(time.Time); ok {
			return wallClock(t)
		}
	case "TIMESTAMPTZ":
		if t, ok := v.(time.Time); ok {
			return zoned(t)
		}
	case "BYTEA":
		return binary(v)
	}
	return v
}
