package datasource

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"

	"botgate/app/sqltmpl"
)

// OpenSQLite opens an SQLite data file. forbidden is BotGate's own state
// database: a data source reaching it is refused, when it opens and again
// before every connection its pools open later, so no template can read API
// users or rewrite the outbox even after the data file is swapped for a link.
func OpenSQLite(ctx context.Context, path, forbidden string) (*SQL, error) {
	path = sqlitePath(path)
	if path == "" || path == ":memory:" {
		return nil, fmt.Errorf("SQLite 数据源需要一个数据库文件路径")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	guard := newStateGuard(forbidden)
	if err := guard.check(abs); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, err
	}
	// The path is escaped as a URI so that '?' or '#' in a folder name cannot smuggle options in.
	base := "file:" + (&url.URL{Path: filepath.ToSlash(abs)}).EscapedPath() + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)"
	open := func(dsn string) (*sql.DB, error) {
		c, err := sqlite.NewConnector(dsn)
		if err != nil {
			return nil, err
		}
		return sql.OpenDB(guardedConnector{Connector: c, path: abs, guard: guard}), nil
	}
	rw, err := open(base + "&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	rw.SetMaxOpenConns(1)
	ro, err := open(base + "&_pragma=query_only(1)")
	if err != nil {
		rw.Close()
		return nil, err
	}
	ro.SetMaxOpenConns(4)
	ro.SetMaxIdleConns(4)
	if err := rw.PingContext(ctx); err != nil {
		rw.Close()
		ro.Close()
		if errors.Is(err, ErrStateDB) {
			return nil, err
		}
		return nil, fmt.Errorf("无法打开 SQLite 文件 %s: %w", abs, err)
	}
	return NewSQL(rw, ro, sqltmpl.Question, convSQLite), nil
}

// convSQLite maps by declared column type. The driver turns text in DATE /
// DATETIME / TIMESTAMP columns into time.Time, in UTC when the text had no
// zone: that text is the office's wall clock and is shown as written, not
// shifted to local time. BLOB columns are binary even when the bytes happen
// to be valid UTF-8.
func convSQLite(v any, dbType string) any {
	switch t := v.(type) {
	case time.Time:
		switch {
		case dbType == "DATE" && t.Location() == time.UTC && t.Equal(t.Truncate(24*time.Hour)):
			return t.Format(dateLayout)
		case t.Location() == time.UTC:
			return wallClock(t)
		}
		return zoned(t)
	case []byte:
		if dbType == "BLOB" {
			return binary(t)
		}
	}
	return v
}

// sqlitePath is the file an SQLite DSN names; options after '?' are ours to
// set, not the DSN's.
func sqlitePath(dsn string) string {
	p := strings.TrimPrefix(strings.TrimSpace(dsn), "file:")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

// IsSQLiteFile tells whether an SQLite DSN names the file target, its
// -wal/-shm/-journal companions, or a link to any of them. Import uses it to
// refuse a data source on BotGate's own state database before anything is
// opened.
func IsSQLiteFile(dsn, target string) bool {
	abs, err := filepath.Abs(sqlitePath(dsn))
	if err != nil {
		return false
	}
	return newStateGuard(target).check(abs) != nil
}
