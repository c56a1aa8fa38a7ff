package datasource_test

// Behaviour particular to one server database, against the live servers.

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"net/url"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"botgate/app/datasource"
	"botgate/app/sqltmpl"
)

// compile renders a template for src's bind style with vals.
func compile(t *testing.T, src datasource.Source, tmpl string, vals map[string]string) (string, []any) {
	t.Helper()
	st, err := sqltmpl.Compile(tmpl, func(n string) (string, bool) { return n, true })
	if err != nil {
		t.Fatalf("compile %q: %v", tmpl, err)
	}
	return st.SQL(src.Style()), st.Args(vals)
}

func queryRows(t *testing.T, src datasource.Source, tmpl string, vals map[string]string) [][]any {
	t.Helper()
	q, args := compile(t, src, tmpl, vals)
	r, err := src.Query(context.Background(), q, args, 100)
	if err != nil {
		t.Fatalf("%s %v: %v", q, args, err)
	}
	return r.Rows
}

func TestPostgres_TextParameters_MeetTypedColumns(t *testing.T) {
	src := openSource(t, postgresCase(t))
	T := uniqueName("bg_types")
	mustExec(t, src, "CREATE TABLE "+T+" (i INT, b BIGINT, n NUMERIC(12,3), d DATE, ts TIMESTAMP, ok BOOLEAN, s TEXT)")
	t.Cleanup(func() { src.Exec(context.Background(), "DROP TABLE "+T, nil) })
	mustExec(t, src, "INSERT INTO "+T+" VALUES (7, 9007199254740993, 1.005, '2024-02-29', '2024-02-29 08:30:05', true, 'x')")
	tests := []struct {
		name string
		tmpl string
		vals map[string]string
		want [][]any
	}{
		{"integer column equals text number", "SELECT i FROM " + T + " WHERE i = {{1}}", map[string]string{"1": "7"}, [][]any{{int64(7)}}},
		{"bigint beyond 2^53 compares exactly", "SELECT b FROM " + T + " WHERE b = {{1}}", map[string]string{"1": "9007199254740993"}, [][]any{{int64(9007199254740993)}}},
		{"bigint neighbour does not match", "SELECT b FROM " + T + " WHERE b = {{1}}", map[string]string{"1": "9007199254740992"}, [][]any{}},
		{"numeric compares exactly", "SELECT n FROM " + T + " WHERE n = {{1}}", map[string]string{"1": "1.005"}, [][]any{{"1.005"}}},
		{"date column equals text date", "SELECT d FROM " + T + " WHERE d = {{1}}", map[string]string{"1": "2024-02-29"}, [][]any{{"2024-02-29"}}},
		{"timestamp range from text", "SELECT ts FROM " + T + " WHERE ts >= {{1}} AND ts < {{2}}", map[string]string{"1": "2024-02-29", "2": "2024-03-01"}, [][]any{{"2024-02-29T08:30:05"}}},
		{"boolean from text", "SELECT ok FROM " + T + " WHERE ok = {{1}}", map[string]string{"1": "true"}, [][]any{{true}}},
		{"arithmetic with a parameter", "SELECT i + {{1}} AS s FROM " + T, map[string]string{"1": "3"}, [][]any{{int64(10)}}},
		{"LIMIT from a parameter", "SELECT i FROM " + T + " LIMIT {{1}}", map[string]string{"1": "1"}, [][]any{{int64(7)}}},
		{"empty value for integer matches nothing", "SELECT i FROM " + T + " WHERE i = {{1}}", map[string]string{"1": ""}, [][]any{}},
		{"empty value for text still means empty text", "SELECT s FROM " + T + " WHERE s = {{1}} OR i = {{2}}", map[string]string{"1": "", "2": "7"}, [][]any{{"x"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := queryRows(t, src, tc.tmpl, tc.vals); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("rows = %#v, want %#v", got, tc.want)
			}
		})
	}
	t.Run("text that is no number is the server's error, not a match", func(t *testing.T) {
		q, args := compile(t, src, "SELECT i FROM "+T+" WHERE i = {{1}}", map[string]string{"1": "7 OR 1=1"})
		if _, err := src.Query(context.Background(), q, args, 10); err == nil {
			t.Fatal("\"7 OR 1=1\" was accepted as an integer")
		}
	})
	t.Run("empty value inserts NULL into a number and a date", func(t *testing.T) {
		q, args := compile(t, src, "INSERT INTO "+T+" (i, n, d, s) VALUES ({{1}}, {{2}}, {{3}}, {{4}})", map[string]string{"1": "8"})
		if n, err := src.Exec(context.Background(), q, args); err != nil || n != 1 {
			t.Fatalf("insert: %d %v", n, err)
		}
		got := queryRows(t, src, "SELECT i, n, d, s FROM "+T+" WHERE i = 8", nil)
		if want := [][]any{{int64(8), nil, nil, ""}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("rows = %#v, want %#v", got, want)
		}
	})
}

func TestPostgres_ZonedTimestamp_IsLocalWithOffset(t *testing.T) {
	src := openSource(t, postgresCase(t))
	got := queryRows(t, src, "SELECT TIMESTAMPTZ '2024-02-29 00:30:05+00' AS z, TIMESTAMP '2024-02-29 00:30:05' AS w, "+
		"DATE '2024-02-29' AS d, NUMERIC '123456789012345678.123456789' AS n, '\\x00ff'::bytea AS b, NULL::int AS nul, "+
		"'{\"a\": 1}'::jsonb AS j, 2.5::float8 AS f", nil)
	want := [][]any{{"2024-02-29T08:30:05+08:00", "2024-02-29T00:30:05", "2024-02-29", "123456789012345678.123456789", "AP8=", nil, `{"a": 1}`, 2.5}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows = %#v, want %#v", got, want)
	}
}

func TestPostgres_RowCap_StopsTheServerEarly(t *testing.T) {
	src := openSource(t, postgresCase(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	// Fifty million rows would take many seconds to produce and drain.
	r, err := src.Query(ctx, "SELECT generate_series(1, 50000000) AS g", nil, 3)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != 3 || !r.Truncated {
		t.Fatalf("rows = %v truncated = %v", r.Rows, r.Truncated)
	}
	if elapsed > 2*time.Second {
		t.Fatalf("capped query took %v: rows were drained instead of cancelled", elapsed)
	}
	t.Logf("3 of 50M rows in %v", elapsed.Round(time.Millisecond))
	// The connection is fine for the next statement.
	if got := queryRows(t, src, "SELECT 1 AS one", nil); !reflect.DeepEqual(got, [][]any{{int64(1)}}) {
		t.Fatalf("after cap: %v", got)
	}
}

func TestMySQL_ERPQuirks_MapCleanly(t *testing.T) {
	src := openSource(t, mysqlCase(t))
	T := uniqueName("bg_quirks")
	mustExec(t, src, "CREATE TABLE "+T+" (id INT, d DATE, dt DATETIME, u BIGINT UNSIGNED, f BIT(8), y YEAR, dbl DOUBLE, "+
		"tx TEXT, vb VARBINARY(10), js JSON, dec0 DECIMAL(30,10)) DEFAULT CHARSET=utf8mb4")
	t.Cleanup(func() { src.Exec(context.Background(), "DROP TABLE "+T, nil) })
	// Old ERPs store "no date" as zero dates; allow them for this insert.
	mustExec(t, src, "SET STATEMENT sql_mode = '' FOR INSERT INTO "+T+" VALUES (1, '0000-00-00', '0000-00-00 00:00:00', 18446744073709551615, b'00000101', 2024, 0.5, "+
		"'中文文本', X'ff00', '{\"a\": [1, 2]}', 12345678901234567890.0123456789)")
	want := [][]any{{int64(1), nil, nil, "18446744073709551615", int64(5), int64(2024), 0.5, "中文文本", "/wA=", `{"a": [1, 2]}`, "12345678901234567890.0123456789"}}
	// Without parameters the driver uses the text protocol, with them the
	// binary protocol: both must give the same values.
	for name, tmpl := range map[string]string{
		"text protocol":   "SELECT * FROM " + T,
		"binary protocol": "SELECT * FROM " + T + " WHERE id = {{1}}",
	} {
		t.Run(name, func(t *testing.T) {
			if got := queryRows(t, src, tmpl, map[string]string{"1": "1"}); !reflect.DeepEqual(got, want) {
				t.Fatalf("rows = %#v, want %#v", got, want)
			}
		})
	}
}

// TestServers_PoolLimit_HoldsUnderLoad: many concurrent slow templates never
// open more than the pool limit, and all of them complete.
func TestServers_PoolLimit_HoldsUnderLoad(t *testing.T) {
	for _, k := range []struct {
		name string
		mk   func(*testing.T) dbCase
		q    string
	}{{"postgres", postgresCase, "SELECT pg_sleep(0.2) AS s"}, {"mysql", mysqlCase, "SELECT SLEEP(0.2) AS s"}} {
		t.Run(k.name, func(t *testing.T) {
			src := openSource(t, k.mk(t))
			stats := src.(interface{ Stats() sql.DBStats }).Stats
			var wg sync.WaitGroup
			errs := make(chan error, 24)
			for range 24 {
				wg.Go(func() {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					if _, err := src.Query(ctx, k.q, nil, 1); err != nil {
						errs <- err
					}
				})
			}
			peak := 0
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()
		watch:
			for {
				select {
				case <-done:
					break watch
				case <-time.After(10 * time.Millisecond):
					peak = max(peak, stats().OpenConnections)
				}
			}
			close(errs)
			for err := range errs {
				t.Errorf("query under load: %v", err)
			}
			if st := stats(); st.MaxOpenConnections != 8 || peak > 8 || peak < 2 {
				t.Fatalf("max open = %d, peak = %d: want limit 8 respected (and used)", st.MaxOpenConnections, peak)
			}
			t.Logf("24 concurrent 200ms queries: peak %d connections, waited %d times", peak, stats().WaitCount)
		})
	}
}

// freePort is a 127.0.0.1 port nobody listens on.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// silentServer accepts connections and never answers: a host that is there
// but hangs (firewall drop, wrong service).
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

func TestTest_ExplainsFailuresInChinese(t *testing.T) {
	refused, silent := freePort(t), silentServer(t)
	type tc struct {
		name, driver, dsn, want string
	}
	tests := []tc{
		{"postgres refused port is unreachable", "postgres", "postgres://u:p@" + refused + "/db?sslmode=disable", datasource.FailUnreachable},
		{"mysql refused port is unreachable", "mysql", "u:p@tcp(" + refused + ")/db", datasource.FailUnreachable},
		{"sqlserver refused port is unreachable", "sqlserver", "sqlserver://u:p@" + refused + "?database=db", datasource.FailUnreachable},
		{"postgres silent host times out", "postgres", "postgres://u:p@" + silent + "/db?sslmode=disable", datasource.FailTimeout},
		{"mysql silent host times out", "mysql", "u:p@tcp(" + silent + ")/db", datasource.FailTimeout},
		{"sqlserver silent host times out", "sqlserver", "sqlserver://u:p@" + silent + "?database=db", datasource.FailTimeout},
		{"malformed mysql DSN is a settings error", "mysql", "u:p@tcp(127.0.0.1:1/db", datasource.FailDSN},
		{"unknown driver is a settings error", "oracle", "x", datasource.FailDSN},
	}
	if os.Getenv("BOTGATE_TEST_PG_DSN") != "" || os.Getenv("BOTGATE_TEST_DBS") != "skip" {
		pg := serverDSN(t, "BOTGATE_TEST_PG_DSN")
		u, _ := url.Parse(pg)
		bad := *u
		bad.User = url.UserPassword(u.User.Username(), "wrong-password")
		nodb := *u
		nodb.Path = "/no_such_db_botgate"
		tests = append(tests,
			tc{"postgres good settings pass", "postgres", pg, ""},
			tc{"postgres wrong password is a login failure", "postgres", bad.String(), datasource.FailLogin},
			tc{"postgres missing database is named", "postgres", nodb.String(), datasource.FailNoDatabase})
	}
	if os.Getenv("BOTGATE_TEST_MYSQL_DSN") != "" || os.Getenv("BOTGATE_TEST_DBS") != "skip" {
		my := serverDSN(t, "BOTGATE_TEST_MYSQL_DSN")
		cfg, _ := mysql.ParseDSN(my)
		bad, nodb := cfg.Clone(), cfg.Clone()
		bad.Passwd = "wrong-password"
		nodb.DBName = "no_such_db_botgate"
		tests = append(tests,
			tc{"mysql good settings pass", "mysql", my, ""},
			tc{"mysql wrong password is a login failure", "mysql", bad.FormatDSN(), datasource.FailLogin},
			tc{"mysql missing database is named", "mysql", nodb.FormatDSN(), datasource.FailNoDatabase})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := datasource.Test(ctx, tc.driver, tc.dsn, "")
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Test = %v", err)
				}
				return
			}
			var te *datasource.TestError
			if !errors.As(err, &te) {
				t.Fatalf("Test = %v (%T), want *TestError", err, err)
			}
			if te.Kind != tc.want {
				t.Fatalf("kind = %s, want %s; msg %q; err %v", te.Kind, tc.want, te.Msg, te.Err)
			}
			if !hasHan(te.Msg) || te.Err == nil {
				t.Fatalf("message %q must be Chinese and keep the driver error (%v)", te.Msg, te.Err)
			}
			if time.Since(start) > 3*time.Second {
				t.Fatalf("test took %v", time.Since(start))
			}
			t.Logf("%s", te.Msg)
		})
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}
