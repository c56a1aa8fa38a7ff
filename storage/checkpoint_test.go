package storage

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"botgate/model"
)

// The WAL is copied into the database file by the checkpointer soon after
// writes, not by the writer at its threshold, which a few sends never reach:
// on the old code (threshold 1000 pages, in the committing connection) the
// file does not grow here.
func TestCheckpointer_CopiesWALSoonAfterWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db := openTest(t, path)
	defer db.Close()
	var pages int
	if err := db.w.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&pages); err != nil || pages != autocheckpointPages {
		t.Fatalf("writer wal_autocheckpoint %d, %v; want %d", pages, err, autocheckpointPages)
	}
	size := func() int64 {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	before := size()
	tests := []struct {
		name string
		msgs []model.NewMessage
	}{
		{"lone sends", []model.NewMessage{{Channel: "log", TargetKind: "user", Target: "1", Content: "a"}}},
		{"a batch", []model.NewMessage{{Channel: "log", TargetKind: "user", Target: "1", Content: "b"}, {Channel: "log", TargetKind: "user", Target: "2", Content: "c"}}},
	}
	for _, tc := range tests {
		for i := 0; i < 20; i++ {
			if _, err := db.Enqueue(context.Background(), tc.msgs); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for size() <= before {
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes 5 s after the writes: the WAL was not checkpointed", before)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Under a steady stream of sends the WAL is started over, not grown: the
// checkpointer's passive checkpoint alone never copies the last frame while
// commits keep coming, and SQLite restarts only a WAL copied to its end.
// Without the writer-side checkpoint the file grows until the writer's own
// threshold (autocheckpointPages, 40 MB): a commit that grows a file costs
// an fsync twice as slow.
func TestCheckpointer_StartsTheWALOverUnderSteadyWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db := openTest(t, path)
	defer db.Close()
	msg := []model.NewMessage{{Channel: "log", TargetKind: "user", Target: "1", Content: "steady"}}
	// 6000 lone sends back to back write some 18,000 frames, more than
	// four times restartFrames.
	const sends = 6000
	for i := 0; i < sends; i++ {
		if _, err := db.Enqueue(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
	}
	st, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	// The WAL holds restartFrames and what came during one gather at most;
	// four times that is the bound, far below the 78 MB the WAL grew to.
	const frame = 4096 + 24
	if limit := int64(4 * restartFrames * frame); st.Size() > limit {
		t.Fatalf("WAL is %d bytes after %d sends, want at most %d: it grew instead of starting over", st.Size(), sends, limit)
	}
}
