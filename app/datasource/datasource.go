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
	tx, err := s.ro.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	types, _ := rows.ColumnTypes()
	res := &Result{Columns: cols, Rows: [][]any{}}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if maxRows > 0 && len(res.Rows) >= maxRows {
			res.Truncated = true
			break
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]any, len(cols))
		for i, v := range vals {
			dbType := ""
			if i < len(types) && types[i] != nil {
				dbType = types[i].DatabaseTypeName()
			}
			if s.conv != nil {
				v = s.conv(v, dbType)
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

// Exec implements Source.
func (s *SQL) Exec(ctx context.Context, query string, args []any) (int64, error) {
	res, err := s.rw.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, nil
	}
	return n, nil
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
