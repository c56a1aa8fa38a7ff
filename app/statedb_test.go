package app_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"botgate/app"
	"botgate/app/config"
	"botgate/app/datasource"
	"botgate/model"
)

// logBuffer collects an App's log lines, which come from several goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The data file is replaced by a link to the state database while the App
// runs, after its data source was opened and saved: the template's first
// reading connection is refused, the run fails with a Chinese error, the
// refusal is logged, and no password hash comes back.
func TestRunKeyword_DataFileSwappedForLinkToStateDB_RefusedAndLogged(t *testing.T) {
	for _, source := range []string{"", "erp"} {
		t.Run("source "+sourceLabel(source), func(t *testing.T) {
			ctx := context.Background()
			logs := &logBuffer{}
			a, err := app.Open(ctx, app.Options{DBPath: filepath.Join(t.TempDir(), "botgate.db"), Log: slog.New(slog.NewTextHandler(logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			cf := config.File{
				Users:     []config.User{{Name: "erp", Password: "erp-secret-1", Roles: []string{"admin"}}},
				Templates: []config.Template{{Keyword: "hash", DataSource: source, SQL: "SELECT password_hash FROM users"}},
			}
			data := a.DataPath()
			if source != "" {
				data = filepath.Join(t.TempDir(), "erp.db")
				cf.DataSources = []config.DataSource{{Name: source, Driver: "sqlite", DSN: data}}
			}
			execSQLite(t, data, "CREATE TABLE users (password_hash TEXT)", "INSERT INTO users VALUES ('data-row')")
			if _, err := a.Import(ctx, cf); err != nil {
				t.Fatal(err)
			}
			u, err := a.DB().UserByName(ctx, "erp")
			if err != nil {
				t.Fatal(err)
			}
			caller := model.Caller{Name: "erp", Roles: []string{"admin"}}

			if err := os.Rename(data, data+".orig"); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(a.DBPath(), data); err != nil {
				t.Fatal(err)
			}
			res, err := a.RunKeyword(ctx, caller, "hash", model.Vars{})
			if strings.Contains(fmt.Sprint(res, err), u.PasswordHash) {
				t.Fatalf("the state database leaked: %+v, %v", res, err)
			}
			e := model.ErrorOf(err)
			if res != nil || e.Code != model.CodeNoSource || !strings.Contains(e.Msg, "状态数据库") || !errors.Is(err, datasource.ErrStateDB) {
				t.Fatalf("res %+v, err %v; want the data source refused", res, err)
			}
			if !strings.Contains(logs.String(), "data source leads to the state database") {
				t.Fatalf("refusal not logged:\n%s", logs)
			}

			// Put back, the same source answers again: nothing was broken but the file.
			if err := os.Remove(data); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(data+".orig", data); err != nil {
				t.Fatal(err)
			}
			res, err = a.RunKeyword(ctx, caller, "hash", model.Vars{})
			if err != nil || len(res.Rows) != 1 || res.Rows[0][0] != "data-row" {
				t.Fatalf("after restoring: %+v, %v", res, err)
			}
		})
	}
}

func sourceLabel(source string) string {
	if source == "" {
		return app.DefaultSource
	}
	return source
}

func execSQLite(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}
