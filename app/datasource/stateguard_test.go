package datasource_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"botgate/app/datasource"
	"botgate/model"
	"botgate/storage"
)

// secretHash is the API user's password hash in the state database: a
// template that ever returns it has read the state database.
const secretHash = "$argon2id$v=19$m=65536,t=3,p=4$state-db-secret"

// dataRow is what the same query returns from the real data file.
const dataRow = "data-file-row"

const hashQuery = "SELECT password_hash FROM users"

// stateDB creates a real BotGate state database (storage.Open, migrations
// and all) with one API user, and returns its path. It stays open, as it
// does while BotGate runs; its WAL is checkpointed so that the user row is
// in the main file too and a hard link or a rename would show it.
func stateDB(t *testing.T, dir string) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(dir, "botgate.db")
	db, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Update(ctx, func(tx *storage.Tx) error {
		return tx.UpsertUser(model.User{Name: "admin", PasswordHash: secretHash, Roles: []string{"admin"}})
	}); err != nil {
		t.Fatal(err)
	}
	withSQLite(t, path, "PRAGMA wal_checkpoint(TRUNCATE)")
	return path
}

// dataFile creates an ERP-like SQLite file with a users table of its own,
// so the query that would leak the state database runs fine on it.
func dataFile(t *testing.T, path string) {
	t.Helper()
	withSQLite(t, path, "CREATE TABLE users (password_hash TEXT)", "INSERT INTO users VALUES ('"+dataRow+"')")
}

func withSQLite(t *testing.T, path string, stmts ...string) {
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

// hashes runs the leaking query and returns the first column of each row.
func hashes(src datasource.Source) ([]string, error) {
	res, err := src.Query(context.Background(), hashQuery, nil, 10)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range res.Rows {
		out = append(out, r[0].(string))
	}
	return out, nil
}

// mustRefuse checks that err is the state database refusal, in Chinese.
func mustRefuse(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, datasource.ErrStateDB) {
		t.Fatalf("%s: err = %v, want the state database refused", what, err)
	}
	if msg := err.Error(); !strings.Contains(msg, "状态数据库") || !strings.Contains(msg, "请") {
		t.Fatalf("%s: message %q does not say what to do in Chinese", what, msg)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func TestSQLite_DataFileReplacedByStateDB_NewConnectionsRefused(t *testing.T) {
	tests := []struct {
		name string
		swap func(t *testing.T, data, state string)
	}{
		{"symlink to the state database", func(t *testing.T, data, state string) {
			os.Remove(data)
			symlink(t, state, data)
		}},
		{"relative symlink through a second link", func(t *testing.T, data, state string) {
			os.Remove(data)
			hop := filepath.Join(filepath.Dir(data), "hop.db")
			rel, err := filepath.Rel(filepath.Dir(hop), state)
			if err != nil {
				t.Fatal(err)
			}
			symlink(t, rel, hop)
			symlink(t, "hop.db", data)
		}},
		{"hard link to the state database", func(t *testing.T, data, state string) {
			os.Remove(data)
			if err := os.Link(state, data); err != nil {
				t.Fatal(err)
			}
		}},
		{"state database renamed onto the data path", func(t *testing.T, data, state string) {
			if err := os.Rename(state, data); err != nil {
				t.Fatal(err)
			}
		}},
		{"symlink to the state database's -wal", func(t *testing.T, data, state string) {
			os.Remove(data)
			symlink(t, state+"-wal", data)
		}},
		{"symlink to the state database's -shm", func(t *testing.T, data, state string) {
			os.Remove(data)
			symlink(t, state+"-shm", data)
		}},
		{"the data file's own -wal made a link to the state database's", func(t *testing.T, data, state string) {
			os.Remove(data + "-wal")
			symlink(t, state+"-wal", data+"-wal")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			// The state database and the data file in different folders, as
			// with an ERP file on another disk.
			state := stateDB(t, t.TempDir())
			data := filepath.Join(t.TempDir(), "erp.db")
			dataFile(t, data)
			src, err := datasource.Open(ctx, "sqlite", data, state)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			datasource.DropIdleConns(src)
			if got, err := hashes(src); err != nil || !slices.Equal(got, []string{dataRow}) {
				t.Fatalf("before the swap: %v, %v", got, err)
			}

			tt.swap(t, data, state)

			got, err := hashes(src)
			if slices.Contains(got, secretHash) {
				t.Fatalf("the state database leaked: query returned %v", got)
			}
			mustRefuse(t, "query", err)
			if got != nil {
				t.Fatalf("query returned %v", got)
			}
			mustRefuse(t, "ping", src.Ping(ctx))
			_, err = src.Exec(ctx, "UPDATE users SET password_hash = 'x'", nil)
			mustRefuse(t, "exec", err)
		})
	}
}

// A connection opened before the swap keeps the file it opened (SQLite holds
// its descriptor): it goes on reading the data file, never the state database.
func TestSQLite_OpenConnection_KeepsReadingItsOwnFile(t *testing.T) {
	state := stateDB(t, t.TempDir())
	data := filepath.Join(t.TempDir(), "erp.db")
	dataFile(t, data)
	src, err := datasource.Open(context.Background(), "sqlite", data, state)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if got, err := hashes(src); err != nil || !slices.Equal(got, []string{dataRow}) {
		t.Fatalf("before the swap: %v, %v", got, err)
	}
	if err := os.Rename(data, data+".orig"); err != nil {
		t.Fatal(err)
	}
	symlink(t, state, data)
	// The idle reading connection is reused.
	if got, err := hashes(src); err != nil || !slices.Equal(got, []string{dataRow}) {
		t.Fatalf("after the swap: %v, %v; want the open connection still on the data file", got, err)
	}
}

func TestSQLite_StateDBNamedAtOpen_Refused(t *testing.T) {
	dir := t.TempDir()
	state := stateDB(t, dir)
	other := t.TempDir()
	link := func(name string, mk func(p string) error) func(t *testing.T) string {
		return func(t *testing.T) string {
			p := filepath.Join(other, name)
			if err := mk(p); err != nil {
				t.Fatal(err)
			}
			return p
		}
	}
	plain := func(dsn string) func(*testing.T) string { return func(*testing.T) string { return dsn } }
	tests := []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"the state database's path", plain(state)},
		{"hard link", link("hard.db", func(p string) error { return os.Link(state, p) })},
		{"symlink", link("sym.db", func(p string) error { return os.Symlink(state, p) })},
		{"symlink to the -journal that does not exist yet", link("journal.db", func(p string) error { return os.Symlink(state+"-journal", p) })},
		{"-wal", plain(state + "-wal")},
		{"-shm", plain(state + "-shm")},
		{"-journal", plain(state + "-journal")},
		{"dot segments", plain(filepath.Join(dir, "sub", "..", ".", "botgate.db"))},
		{"file: URI", plain("file:" + state)},
		{"file:/// URI", plain("file://" + state)},
		{"file: URI with mode=ro", plain("file:" + state + "?mode=ro")},
		{"path with vfs and immutable options", plain(state + "?vfs=unix-none&immutable=1")},
		{"file: URI of the -wal with options", plain("file:" + state + "-wal?mode=ro")},
		{"a data file whose -wal links to the state database's", func(t *testing.T) string {
			p := filepath.Join(other, "erp.db")
			dataFile(t, p)
			symlink(t, state+"-wal", p+"-wal")
			return p
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn := tt.dsn(t)
			src, err := datasource.Open(context.Background(), "sqlite", dsn, state)
			if err == nil {
				got, qerr := hashes(src)
				src.Close()
				t.Fatalf("opened; query gave %v, %v", got, qerr)
			}
			mustRefuse(t, "open", err)
			if !datasource.IsSQLiteFile(dsn, state) {
				t.Fatal("IsSQLiteFile (the check when saving) does not refuse it")
			}
			var te *datasource.TestError
			if err := datasource.Test(context.Background(), "sqlite", dsn, state); !errors.As(err, &te) || te.Msg != te.Err.Error() || !errors.Is(err, datasource.ErrStateDB) {
				t.Fatalf("测试连接: %v, want the refusal's own message", err)
			}
		})
	}
}

// Escapes in a file: URI are not decoded before the check, and not after it
// either: the DSN names a file literally called %62otgate.db, not the state
// database, so what is checked is what is opened.
func TestSQLite_PercentEscapedName_OpensThatLiteralFile(t *testing.T) {
	dir := t.TempDir()
	state := stateDB(t, dir)
	dsn := "file:" + filepath.Join(dir, "%62otgate.db")
	src, err := datasource.Open(context.Background(), "sqlite", dsn, state)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if got, err := hashes(src); err == nil || !strings.Contains(err.Error(), "no such table") {
		t.Fatalf("query gave %v, %v; want a fresh file without a users table", got, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "%62otgate.db")); err != nil {
		t.Fatal(err)
	}
}
