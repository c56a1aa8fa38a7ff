package datasource_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"botgate/app/datasource"
)

func TestMain(m *testing.M) {
	// The office's time zone, not the CI machine's UTC: a date or time that
	// is shifted by the conversion shows up as a wrong hour.
	time.Local = time.FixedZone("CST", 8*3600)
	os.Exit(m.Run())
}

const howToRun = "先启动测试数据库 / start the test databases first:\n" +
	"    eval \"$(sudo scripts/test-dbs.sh)\" && go test ./app/datasource/...\n" +
	"(scripts/test-dbs.sh installs and starts PostgreSQL and MariaDB on 127.0.0.1 and prints the two export lines). " +
	"To run without them on purpose, set BOTGATE_TEST_DBS=skip."

// serverDSN is the DSN of a live test server from env, or the test fails —
// a missing database must never pass silently — unless BOTGATE_TEST_DBS=skip
// says so explicitly.
func serverDSN(t *testing.T, env string) string {
	t.Helper()
	dsn := os.Getenv(env)
	if dsn == "" {
		if os.Getenv("BOTGATE_TEST_DBS") == "skip" {
			t.Skipf("%s not set and BOTGATE_TEST_DBS=skip: live-server test not run", env)
		}
		t.Fatalf("%s is not set. %s", env, howToRun)
	}
	return dsn
}

// dbCase is one database the common suite runs against, with what differs.
type dbCase struct {
	name   string
	driver string
	dsn    string
	// column types
	bigint, decimal, text, date, datetime, blob string
	exactSum                                    bool   // SUM of decimals is exact (not in SQLite)
	sleep                                       string // a statement that runs for seconds; %s is a marker
	hexBlob                                     func(hex string) string
	// sneakyWrite is a statement that passes the save-time checks of a query
	// template (a SELECT) but writes to table %s through a function, so only
	// the read-only query path stops it. Empty for SQLite, where no function
	// writes; a writing CTE is refused at save on every database (app tests).
	sneakyWrite string
	// sneakySetup creates what sneakyWrite needs (%s: the table), sneakyDrop removes it.
	sneakySetup, sneakyDrop string
}

func sqliteCase(t *testing.T) dbCase {
	return dbCase{name: "sqlite", driver: "sqlite", dsn: filepath.Join(t.TempDir(), "erp.db"),
		bigint: "INTEGER", decimal: "TEXT", text: "TEXT", date: "DATE", datetime: "DATETIME", blob: "BLOB",
		sleep:   "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 2000000000) SELECT max(x) AS %s FROM c",
		hexBlob: func(h string) string { return "X'" + h + "'" },
	}
}

func postgresCase(t *testing.T) dbCase {
	return dbCase{name: "postgres", driver: "postgres", dsn: serverDSN(t, "BOTGATE_TEST_PG_DSN"),
		bigint: "BIGINT", decimal: "NUMERIC(18,2)", text: "VARCHAR(200)", date: "DATE", datetime: "TIMESTAMP", blob: "BYTEA",
		exactSum:    true,
		sleep:       "SELECT pg_sleep(5) AS %s",
		hexBlob:     func(h string) string { return "decode('" + h + "', 'hex')" },
		sneakyWrite: "SELECT %[1]s_fn() AS x",
		sneakySetup: "CREATE FUNCTION %[1]s_fn() RETURNS INT LANGUAGE sql AS $$ UPDATE %[1]s SET name = 'hacked' WHERE id = 1 RETURNING 1 $$",
		sneakyDrop:  "DROP FUNCTION IF EXISTS %[1]s_fn",
	}
}

func mysqlCase(t *testing.T) dbCase {
	return dbCase{name: "mysql", driver: "mysql", dsn: serverDSN(t, "BOTGATE_TEST_MYSQL_DSN"),
		bigint: "BIGINT", decimal: "DECIMAL(18,2)", text: "VARCHAR(200)", date: "DATE", datetime: "DATETIME", blob: "BLOB",
		exactSum:    true,
		sleep:       "SELECT SLEEP(5) AS %s",
		hexBlob:     func(h string) string { return "X'" + h + "'" },
		sneakyWrite: "SELECT %[1]s_fn() AS x",
		sneakySetup: "CREATE FUNCTION %[1]s_fn() RETURNS INT MODIFIES SQL DATA BEGIN UPDATE %[1]s SET name = 'hacked' WHERE id = 1; RETURN 1; END",
		sneakyDrop:  "DROP FUNCTION IF EXISTS %[1]s_fn",
	}
}

// allCases lists the databases; a server case whose env is unset fails (or
// skips with BOTGATE_TEST_DBS=skip) inside its own subtest.
var allCases = []struct {
	name string
	mk   func(t *testing.T) dbCase
}{{"sqlite", sqliteCase}, {"postgres", postgresCase}, {"mysql", mysqlCase}}

// forEachDB runs fn once per database, as subtests named after the driver.
func forEachDB(t *testing.T, fn func(t *testing.T, c dbCase)) {
	for _, k := range allCases {
		t.Run(k.name, func(t *testing.T) { fn(t, k.mk(t)) })
	}
}

// uniqueName is a table name no other test run uses, so runs can share a server.
func uniqueName(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// openSource opens c directly through the datasource layer.
func openSource(t *testing.T, c dbCase) datasource.Source {
	t.Helper()
	src, err := datasource.Open(context.Background(), c.driver, c.dsn, "")
	if err != nil {
		t.Fatalf("open %s: %v", c.name, err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

func mustExec(t *testing.T, src datasource.Source, q string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := src.Exec(ctx, q, nil); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}
