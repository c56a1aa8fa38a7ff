package datasource

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"

	"botgate/app/sqltmpl"
)

// OpenMySQL opens a MySQL or MariaDB data source through go-sql-driver/mysql.
// dsn is the driver's form: user:pass@tcp(host:3306)/db?options. No
// connection is made yet.
//
// Parameters are sent as strings in server-side prepared statements (never
// interpolated into the SQL text): the server converts them to the column's
// type, exactly for DECIMAL. Caveat documented in docs/databases.md: MySQL
// compares an integer column with a string as DOUBLE, so integers beyond 2^53
// need CAST({{1}} AS SIGNED) in the template.
func OpenMySQL(ctx context.Context, dsn string) (*SQL, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("MySQL 连接字符串有误：%w", err)
	}
	// Options that would undo BotGate's guarantees are forced off whatever
	// the DSN says: pasting parameters into SQL text, stacked statements,
	// and LOAD DATA LOCAL reading files of the BotGate computer.
	cfg.InterpolateParams = false
	cfg.MultiStatements = false
	cfg.AllowAllFiles = false
	// Dates arrive as text and are formatted by convMySQL: a zero date
	// (0000-00-00, common in old ERPs) becomes null instead of year 1.
	cfg.ParseTime = false
	// Affected rows counts matched rows, as PostgreSQL and SQLite do, so an
	// update that sets the value already stored still reports 1.
	cfg.ClientFoundRows = true
	if cfg.Timeout == 0 {
		cfg.Timeout = connectTimeout
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("MySQL 连接字符串有误：%w", err)
	}
	db := sql.OpenDB(conn)
	limitPool(db)
	m := &mysqlLimiter{}
	s := NewSQL(db, db, sqltmpl.Question, convMySQL)
	s.d = dialect{limit: m.limit}
	return s, nil
}

// Server flavours, learnt on first use.
const (
	flavorUnknown int32 = iota
	flavorMariaDB
	flavorMySQL
)

// mysqlLimiter sets the server's statement time limit: MariaDB's
// max_statement_time (seconds, every statement) or MySQL's
// max_execution_time (milliseconds, SELECT only). The context cancel alone
// only closes the socket, and the server would go on running the query.
type mysqlLimiter struct{ flavor atomic.Int32 }

func (m *mysqlLimiter) limit(ctx context.Context, tx *sql.Tx, d time.Duration) error {
	f := m.flavor.Load()
	if f == flavorUnknown {
		var v string
		if err := tx.QueryRowContext(ctx, "SELECT VERSION()").Scan(&v); err != nil {
			return err
		}
		f = flavorMySQL
		if strings.Contains(strings.ToLower(v), "mariadb") {
			f = flavorMariaDB
		}
		m.flavor.Store(f)
	}
	// Session variables: every statement BotGate runs sets them first, so
	// the value left on a pooled connection never applies to anyone else.
	var q string
	if f == flavorMariaDB {
		q = "SET SESSION max_statement_time = " + strconv.FormatFloat(max(d.Seconds(), 0.001), 'f', 3, 64)
	} else {
		q = "SET SESSION max_execution_time = " + strconv.FormatInt(max(d.Milliseconds(), 1), 10)
	}
	_, err := tx.ExecContext(ctx, q)
	return err
}

// convMySQL maps go-sql-driver values by column type. Text-protocol results
// (statements without parameters) arrive as []byte for every column, binary
// ones as int64/float64/[]byte; both end up the same.
func convMySQL(v any, dbType string) any {
	b, isBytes := v.([]byte)
	if !isBytes {
		return v
	}
	s := string(b)
	switch dbType {
	case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT", "YEAR",
		"UNSIGNED TINYINT", "UNSIGNED SMALLINT", "UNSIGNED MEDIUMINT", "UNSIGNED INT":
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
	case "UNSIGNED BIGINT":
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			if n > math.MaxInt64 {
				return s // exact, as text
			}
			return int64(n)
		}
	case "FLOAT", "DOUBLE":
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	case "DECIMAL":
		return s // exact: never through float64
	case "DATE":
		if isZeroDate(s) {
			return nil
		}
		return s
	case "DATETIME", "TIMESTAMP":
		if isZeroDate(s) {
			return nil
		}
		return strings.Replace(s, " ", "T", 1)
	case "BIT":
		var n int64
		for _, c := range b {
			n = n<<8 | int64(c)
		}
		return n
	case "BLOB", "TINYBLOB", "MEDIUMBLOB", "LONGBLOB", "BINARY", "VARBINARY", "GEOMETRY":
		return binary(b)
	}
	return v // text types; Normalize keeps valid UTF-8 as text
}

// isZeroDate: MySQL's "no date" value 0000-00-00 [00:00:00].
func isZeroDate(s string) bool { return strings.HasPrefix(s, "0000-00-00") }
