package storage

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"botgate/model"
)

// Pruning more rows than one batch removes them all, and only them.
func TestPruneRequestLog_ManyBatches(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	defer db.Close()
	ctx := context.Background()
	now := time.Now()
	var logs []model.RequestLog
	for i := 0; i < 2*pruneBatch+500; i++ {
		logs = append(logs, model.RequestLog{At: now.AddDate(0, 0, -40), Path: "/old"})
	}
	for i := 0; i < 10; i++ {
		logs = append(logs, model.RequestLog{At: now, Path: "/new"})
	}
	if err := db.InsertRequestLogs(ctx, logs); err != nil {
		t.Fatal(err)
	}
	n, err := db.PruneRequestLog(ctx, now.AddDate(0, 0, -30))
	if err != nil || n != 2*pruneBatch+500 {
		t.Fatalf("pruned %d (%v), want %d", n, err, 2*pruneBatch+500)
	}
	left, _ := db.RequestLogs(ctx, "", 100)
	if len(left) != 10 {
		t.Fatalf("%d rows left, want the 10 new ones", len(left))
	}
	for _, l := range left {
		if l.Path != "/new" {
			t.Fatalf("kept %+v", l)
		}
	}
}

// A file that is not SQLite (a wrong path, a damaged file) is refused with a
// Chinese reason that names it, and is left as it was.
func TestOpen_NotADatabase_ExplainedAndUntouched(t *testing.T) {
	path := filepath.Join(t.TempDir(), "botgate.db")
	junk := []byte(strings.Repeat("not sqlite ", 1000))
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), "不是 BotGate 的数据库，或已经损坏") || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, junk) {
		t.Fatal("the file was changed")
	}
}

// Every retention DELETE finds its rows through the index on its time
// column. Without INDEXED BY, SQLite chose the outbox's rowid range
// (id < max(id)) and read the whole table on every hourly pass, holding the
// writer for seconds at millions of rows even with nothing to delete.
func TestPrune_FindsRowsThroughTheTimeIndex(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	defer db.Close()
	for _, p := range prunes {
		t.Run(p.table, func(t *testing.T) {
			plan := queryPlan(t, db, p.find(pruneBatch), 0)
			// The first step is the walk over p.table; a scalar subquery
			// (the outbox's max(id)) may follow.
			if len(plan) == 0 || !strings.Contains(plan[0], "INDEX "+p.index+" (") || !strings.Contains(plan[0], "<?)") {
				t.Fatalf("plan %q: want a range search of index %s", plan, p.index)
			}
		})
	}
}

// queryPlan is the detail column of EXPLAIN QUERY PLAN for q, one step per
// element: how SQLite will walk the tables, which is what a slow query on a
// large database comes down to.
func queryPlan(t *testing.T, db *DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.r.QueryContext(context.Background(), `EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}

// While lone sends keep coming (carrying), a prune is cut into jobs of
// carryRows that the sends' commits carry, one a send, instead of 250-row
// batches that hold the writer on their own: it deletes what it must, and
// no more than a job per send.
func TestPrune_CarriedBySends(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	defer db.Close()
	db.carryWait = time.Hour
	ctx := context.Background()
	now := time.Now()
	const old = 2*carryRows + carryRows/2
	var logs []model.RequestLog
	for i := 0; i < old; i++ {
		logs = append(logs, model.RequestLog{At: now.AddDate(0, 0, -40), Path: "/old"})
	}
	for i := 0; i < 3; i++ {
		logs = append(logs, model.RequestLog{At: now, Path: "/new"})
	}
	if err := db.InsertRequestLogs(ctx, logs); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Enqueue(ctx, []model.NewMessage{plainSend("lone")}); err != nil {
		t.Fatal(err)
	}
	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := db.PruneRequestLog(ctx, now.AddDate(0, 0, -30))
		done <- result{n, err}
	}()
	for sends := 1; sends <= 3; sends++ {
		waitQueued(t, db, 1)
		db.carry.mu.Lock()
		rows := db.carry.jobs[0].rows
		db.carry.mu.Unlock()
		if rows != carryRows {
			t.Fatalf("send %d: the waiting job holds %d rows, want %d", sends, rows, carryRows)
		}
		if got, want := rowCount(t, db, "request_log"), old+3-(sends-1)*carryRows; got != want {
			t.Fatalf("before send %d: %d request-log rows, want %d", sends, got, want)
		}
		if _, err := db.Enqueue(ctx, []model.NewMessage{plainSend(fmt.Sprint(sends))}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case r := <-done:
		if r.err != nil || r.n != old {
			t.Fatalf("pruned %d (%v), want %d", r.n, r.err, old)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the prune did not end after its last job was carried")
	}
	left, _ := db.RequestLogs(ctx, "", 100)
	if len(left) != 3 {
		t.Fatalf("%d rows left, want the 3 new ones", len(left))
	}
	for _, l := range left {
		if l.Path != "/new" {
			t.Fatalf("kept %+v", l)
		}
	}
}
