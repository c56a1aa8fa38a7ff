package app

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"

	"botgate/model"
	"botgate/storage"
)

// Every row added is written, in batches, by the time the log closes; past
// requestLogMax rows held, rows are dropped and counted, never blocking.
func TestRequestLog_WritesEveryRowInBatches_DropsPastTheCap(t *testing.T) {
	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := newRequestLog(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	const n = requestLogMax + 300
	for i := range n {
		r.add(model.RequestLog{Path: "/" + strconv.Itoa(i)})
	}
	r.close()
	logs, err := db.RequestLogs(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	written := 0
	if len(logs) > 0 {
		written = int(logs[0].ID) // ids from 1, newest first
	}
	// In the order they came, each row whole (several rows go in one INSERT).
	for _, l := range logs {
		if l.Path != "/"+strconv.Itoa(int(l.ID)-1) {
			t.Fatalf("row %d has path %q", l.ID, l.Path)
		}
	}
	if d := r.dropped.Load(); written+int(d) != n || written < requestLogMax {
		t.Errorf("written %d, dropped %d of %d rows; want all written but what exceeded %d held at once", written, d, n, requestLogMax)
	}
}
