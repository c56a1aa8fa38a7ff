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

// batchSizes records the rows of each InsertRequestLogs call, then writes them.
type batchSizes struct {
	requestLogStore
	sizes []int
}

func (b *batchSizes) InsertRequestLogs(ctx context.Context, logs []model.RequestLog) error {
	b.sizes = append(b.sizes, len(logs))
	return b.requestLogStore.InsertRequestLogs(ctx, logs)
}

// A flush of many rows is several short transactions, not one long one:
// each holds the writer connection that the sends are waiting for.
func TestRequestLog_FlushesInShortTransactions(t *testing.T) {
	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rec := &batchSizes{requestLogStore: db}
	r := newRequestLog(rec, slog.New(slog.NewTextHandler(io.Discard, nil)))
	const n = 3*requestLogTx + 5
	for i := range n {
		r.add(model.RequestLog{Path: "/" + strconv.Itoa(i)})
	}
	r.close() // the loop goroutine has returned: rec.sizes is no longer written
	total := 0
	for _, s := range rec.sizes {
		if s > requestLogTx {
			t.Fatalf("a transaction of %d rows (sizes %v), want at most %d", s, rec.sizes, requestLogTx)
		}
		total += s
	}
	logs, err := db.RequestLogs(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if total != n || len(logs) != n {
		t.Fatalf("%d rows in %v calls, %d in the table; want %d", total, rec.sizes, len(logs), n)
	}
}
