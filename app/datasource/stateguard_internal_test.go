package datasource

import (
	"context"
	"database/sql/driver"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"modernc.org/sqlite"

	"botgate/storage"
)

// swapping runs swap just before the real open: the data file is replaced
// after the guard's first check passed.
type swapping struct {
	driver.Connector
	swap func()
}

func (s swapping) Connect(ctx context.Context) (driver.Conn, error) {
	s.swap()
	return s.Connector.Connect(ctx)
}

// The file SQLite reports it opened is checked again, so a swap between the
// check and the open is refused too.
func TestGuardedConnector_SwapDuringOpen_Refused(t *testing.T) {
	ctx := context.Background()
	state := filepath.Join(t.TempDir(), "botgate.db")
	db, err := storage.Open(ctx, state)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	data := filepath.Join(t.TempDir(), "erp.db")
	if err := os.WriteFile(data, nil, 0o600); err != nil { // an empty file is an empty database
		t.Fatal(err)
	}
	inner, err := sqlite.NewConnector("file:" + data)
	if err != nil {
		t.Fatal(err)
	}
	c := guardedConnector{path: data, guard: newStateGuard(state), Connector: swapping{inner, func() {
		os.Remove(data)
		if err := os.Symlink(state, data); err != nil {
			t.Error(err)
		}
	}}}
	conn, err := c.Connect(ctx)
	if conn != nil {
		conn.Close()
	}
	if !errors.Is(err, ErrStateDB) {
		t.Fatalf("err = %v, want the state database refused after the open", err)
	}
}
