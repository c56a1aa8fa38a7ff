// Package datasource runs template SQL against the databases templates may use:
// the embedded SQLite data file, and (through their standard drivers) the
// ERP's own databases. Query templates always run read-only.
package datasource

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"botgate/app/sqltmpl"
)

// Result is what a query returns: columns in SELECT order and converted rows.
type Result struct {
	Columns   []string
	Rows      [][]any // values: nil, int64, float64, string, bool
	Truncated bool    // more rows existed than the row cap allowed
}

// Source is one opened data source.
type Source interface {
	// Query runs a read-only statement and reads at most maxRows rows.
	Query(ctx context.Context, query string, args []any, maxRows int) (*Result, error)
	// Exec runs a writing statement and returns the number of rows changed.
	Exec(ctx context.Context, query string, args []any) (int64, error)
	// Style is how this database spells bound parameters.
	Style() sqltmpl.BindStyle
	// Ping checks that the database answers ("测试连接").
	Ping(ctx context.Context) error
	Close() error
}

// SQL is a Source over database/sql: one pool for writes and one for reads.
// For SQLite the read pool is opened with query_only, so even a cunning query
// template cannot write; other databases get a read-only transaction.
type SQL struct {
	rw, ro *sql.DB
	style  sqltmpl.BindStyle
	conv   func(v any, dbType string) any
	d      dialect
}

// dialect is what differs between the server databases beyond bind style and
// type conversion. The zero value suits SQLite.
type dialect struct {
	// noReadOnlyTx: the driver refuses sql.TxOptions.ReadOnly (go-mssqldb).
	// Queries then run in an ordinary transaction that is always rolled back.
	noReadOnlyTx bool
	// limit runs first inside a statement's transaction and tells the server
	// how long the statement may run. The context cancel alone may only close
	// the client's socket; this makes the server itself stop the work.
	limit func(ctx context.Context, tx *sql.Tx, d time.Duration) error
	// cancelOnCap: once the row cap is reached, cancel the statement instead
	// of letting the driver drain every remaining row. Only for drivers whose
	// cancel leaves the connection usable (PostgreSQL cancel request, TDS
	// attention); go-sql-driver/mysql would drop the connection instead.
	cancelOnCap bool
	// bindArgs adjusts the bound values for this statement on the
	// connection that will run it (PostgreSQL: empty text for a number or
	// date parameter becomes NULL).
	bindArgs func(ctx context.Context, conn *sql.Conn, query string, args []any) ([]any, error)
}

// begin opens a statement's transaction, on a connection of its own when the
// dialect adjusts the arguments first. done releases that connection and
// must be called after the transaction ends.
func (s *SQL) begin(ctx context.Context, db *sql.DB, opts *sql.TxOptions, query string, args []any) (tx *sql.Tx, _ []any, done func(), err error) {
	if s.d.bindArgs == nil {
		tx, err = db.BeginTx(ctx, opts)
		return tx, args, func() {}, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	if args, err = s.d.bindArgs(ctx, conn, query, args); err == nil {
		tx, err = conn.BeginTx(ctx, opts)
	}
	if err != nil {
		conn.Close()
		return nil, nil, nil, err
	}
	return tx, args, func() { conn.Close() }, nil
}

// serverGrace is how much longer than the client's deadline the server-side
// limit is: the client gives up first (so the caller sees a timeout, not a
// server error), and the server stops shortly after even if the cancel never
// reached it.
const serverGrace = 100 * time.Millisecond

// applyLimit sets the server-side time limit from ctx's deadline, if any.
func (s *SQL) applyLimit(ctx context.Context, tx *sql.Tx) error {
	if s.d.limit == nil {
		return nil
	}
	dl, ok := ctx.Deadline()
	if !ok {
		return nil
	}
	left := time.Until(dl)
	if left <= 0 {
		return context.DeadlineExceeded
	}
	return s.d.limit(ctx, tx, left+serverGrace)
}

var _ Source = (*SQL)(nil)

// NewSQL wraps two pools (they may be the same) as a Source. conv, if not nil,
// converts driver values before the generic conversion.
func NewSQL(rw, ro *sql.DB, style sqltmpl.BindStyle, conv func(v any, dbType string) any) *SQL {
	return &SQL{rw: rw, ro: ro, style: style, conv: conv}
}

// Style implements Source.
func (s *SQL) Style() sqltmpl.BindStyle { return s.style }

// Ping implements Source.
func (s *SQL) Ping(ctx context.Context) error { return s.rw.PingContext(ctx) }

// Close implements Source.
func (s *SQL) Close() error {
	if s.ro != s.rw {
		return errors.Join(s.ro.Close(), s.rw.Close())
	}
	return s.rw.Close()
}

// Query implements Source; the row cap is applied while reading.
func (s *SQL) Query(ctx context.Context, query string, args []any, maxRows int) (*Result, error) {
	tx, args, done, err := s.begin(ctx, s.ro, &sql.TxOptions{ReadOnly: !s.d.noReadOnlyTx}, query, args)
	if err != nil {
		return nil, err
	}
	defer done()
	// Always rolled back: nothing a query does is kept, even where the
	// database has no read-only transaction.
	defer tx.Rollback()
	if err := s.applyLimit(ctx, tx); err != nil {
		return nil, err
	}
	qctx := ctx
	stop := func() {}
	if s.d.cancelOnCap {
		qctx, stop = context.WithCancel(ctx)
		defer stop()
	}
	rows, err := tx.QueryContext(qctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	dbTypes := make([]string, len(cols))
	if types, err := rows.ColumnTypes(); err == nil {
		for i, t := range types {
			if i < len(dbTypes) && t != nil {
				dbTypes[i] = t.DatabaseTypeName()
			}
		}
	}
	res := &Result{Columns: cols, Rows: [][]any{}}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if maxRows > 0 && len(res.Rows) >= maxRows {
			// Enough: tell the server to stop producing rows rather than
			// draining the rest. What happens after this point is not the
			// caller's concern, so rows.Err is not consulted.
			res.Truncated = true
			stop()
			return res, nil
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]any, len(cols))
		for i, v := range vals {
			if s.conv != nil {
				v = s.conv(v, dbTypes[i])
			}
			row[i] = Normalize(v)
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

// Exec implements Source. Where the server takes a time limit, the statement
// runs in a transaction so that the limit is set on the same connection.
func (s *SQL) Exec(ctx context.Context, query string, args []any) (int64, error) {
	var res sql.Result
	var err error
	if s.d.limit == nil {
		res, err = s.rw.ExecContext(ctx, query, args...)
	} else {
		res, err = s.execTx(ctx, query, args)
	}
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, nil
	}
	return n, nil
}

func (s *SQL) execTx(ctx context.Context, query string, args []any) (sql.Result, error) {
	tx, args, done, err := s.begin(ctx, s.rw, nil, query, args)
	if err != nil {
		return nil, err
	}
	defer done()
	defer tx.Rollback()
	if err := s.applyLimit(ctx, tx); err != nil {
		return nil, err
	}
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return res, tx.Commit()
}

// Normalize turns a driver value into something JSON shows the way an ERP
// expects: text as text, binary as base64, times in ISO 8601 local time.
func Normalize(v any) any {
	switch x := v.(type) {
	case nil, int64, string, bool:
		return x
	case []byte:
		if utf8.Valid(x) {
			return string(x)
		}
		return base64.StdEncoding.EncodeToString(x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		return x
	case float32:
		return Normalize(float64(x))
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case uint64:
		if x > math.MaxInt64 {
			return strconv.FormatUint(x, 10)
		}
		return int64(x)
	case time.Time:
		return x.Local().Format(time.RFC3339Nano)
	case fmt.Stringer:
		return x.String()
	default:
		return fmt.Sprint(x)
	}
}

// Stats reports the pool of writing connections (the same pool as reading
// for server databases): the GUI shows it, tests check the pool limit.
func (s *SQL) Stats() sql.DBStats { return s.rw.Stats() }
