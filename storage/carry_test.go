package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"botgate/model"
)

// waitQueued waits until n jobs wait in db's carrier.
func waitQueued(t *testing.T, db *DB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		db.carry.mu.Lock()
		k := len(db.carry.jobs)
		db.carry.mu.Unlock()
		if k >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs waiting, want %d", k, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func plainSend(target string) model.NewMessage {
	return model.NewMessage{Channel: "qq", TargetKind: "private", Target: target, Content: "hi " + target, APIUser: "erp"}
}

// With carryWait far longer than the test, marks and request-log rows get
// written only if a send's commit carries them: each kind of send (a lone
// plain one, a batch, one with an idempotency key) does, and the writes'
// callers return as soon as it commits.
func TestCarry_SendCommitsCarryWaitingWrites(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	db.carryWait = time.Hour
	ctx := context.Background()
	first, err := db.Enqueue(ctx, []model.NewMessage{plainSend("1"), plainSend("2"), plainSend("3")})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		send []model.NewMessage
	}{
		{"lone", []model.NewMessage{plainSend("4")}},
		{"batch", []model.NewMessage{plainSend("5"), plainSend("6")}},
		{"idempotency key", []model.NewMessage{{Channel: "qq", TargetKind: "private", Target: "7", Content: "k", APIUser: "erp", IdemKey: "k1"}}},
	}
	for i, c := range cases {
		// Writes wait for a send only after a small send commit.
		if _, err := db.Enqueue(ctx, []model.NewMessage{plainSend("lone")}); err != nil {
			t.Fatal(err)
		}
		id := first[i].ID
		marked := make(chan error, 1)
		logged := make(chan error, 1)
		go func() { marked <- db.RecordOutcomes(ctx, []Outcome{{ID: id, Status: model.StatusDelivered}}) }()
		go func() {
			logged <- db.InsertRequestLogs(ctx, []model.RequestLog{{At: time.Now(), Method: "GET", Path: "/" + c.name, Errcode: 0}})
		}()
		waitQueued(t, db, 2)
		if _, err := db.Enqueue(ctx, c.send); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, ch := range []chan error{marked, logged} {
			select {
			case err := <-ch:
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: the send's commit did not carry the waiting writes", c.name)
			}
		}
		m, err := db.Message(ctx, id)
		if err != nil || m.Status != model.StatusDelivered || m.Attempts != 1 {
			t.Fatalf("%s: message %d after its mark: %+v (%v)", c.name, id, m, err)
		}
		if n := rowCount(t, db, "request_log"); n != i+1 {
			t.Fatalf("%s: %d request-log rows, want %d", c.name, n, i+1)
		}
	}
}

// Writes commit in their caller's own transaction, at once when no lone
// send came within carryWait (none yet, or the latest commit was a batch:
// concurrent sends, where the writer is never idle), else once carryWait
// passes without a send; a batch larger than one job is cut into several,
// all written, in one transaction.
func TestCarry_NoSendToCarry_WritesCommitAlone(t *testing.T) {
	cases := []struct {
		name string
		wait time.Duration
		lone bool // a lone send just before the writes
	}{
		{"no send yet", time.Hour, false},
		{"after a batch", time.Hour, false},
		{"a lone send, then none", 20 * time.Millisecond, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
			db.carryWait = c.wait
			ctx := context.Background()
			msgs := make([]model.NewMessage, 3*carryRows+5)
			for i := range msgs {
				msgs[i] = plainSend(fmt.Sprint(i))
			}
			var res []model.Enqueued
			if c.name != "no send yet" {
				var err error
				if res, err = db.Enqueue(ctx, msgs); err != nil {
					t.Fatal(err)
				}
			}
			if c.lone {
				if _, err := db.Enqueue(ctx, []model.NewMessage{plainSend("lone")}); err != nil {
					t.Fatal(err)
				}
			}
			outs := make([]Outcome, len(res))
			for i, e := range res {
				outs[i] = Outcome{ID: e.ID, Status: model.StatusDelivered}
			}
			if len(outs) > 7 {
				outs[7] = Outcome{ID: res[7].ID, Status: model.StatusQueued, LastError: "稍后重试", NextAttemptAt: time.Now().Add(time.Minute)}
			}
			logs := make([]model.RequestLog, 5*carryRows+3)
			for i := range logs {
				logs[i] = model.RequestLog{At: time.Now(), Method: "GET", Path: fmt.Sprint("/", i)}
			}
			done := make(chan error, 2)
			go func() { done <- db.RecordOutcomes(ctx, outs) }()
			go func() { done <- db.InsertRequestLogs(ctx, logs) }()
			for range 2 {
				select {
				case err := <-done:
					if err != nil {
						t.Fatal(err)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("the writes waited for a send that was not coming")
				}
			}
			for i, e := range res {
				m, err := db.Message(ctx, e.ID)
				want := model.StatusDelivered
				if i == 7 {
					want = model.StatusQueued
				}
				if err != nil || m.Status != want || m.Attempts != 1 {
					t.Fatalf("message %d: %+v (%v), want %s after one attempt", i, m, err, want)
				}
			}
			if n := rowCount(t, db, "request_log"); n != len(logs) {
				t.Fatalf("%d request-log rows, want %d", n, len(logs))
			}
		})
	}
}

// A send whose commit fails puts the jobs it took back: they are written
// later (here alone), not lost with the send.
func TestCarry_FailedSendPutsJobsBack(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	db.carryWait = 200 * time.Millisecond
	ctx := context.Background()
	if _, err := db.Enqueue(ctx, []model.NewMessage{plainSend("lone")}); err != nil {
		t.Fatal(err)
	}
	logged := make(chan error, 1)
	go func() {
		logged <- db.InsertRequestLogs(ctx, []model.RequestLog{{At: time.Now(), Method: "GET", Path: "/kept"}})
	}()
	waitQueued(t, db, 1)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.Enqueue(cancelled, []model.NewMessage{plainSend("1")}); err == nil {
		t.Fatal("a send with a cancelled context committed")
	}
	if err := <-logged; err != nil {
		t.Fatal(err)
	}
	if n := rowCount(t, db, "request_log"); n != 1 {
		t.Fatalf("%d request-log rows, want the 1 the failed send had taken", n)
	}
}

// A job whose statements fail inside a send's commit is undone alone: the
// send commits, and so does the job carried after it, and the failing job's
// caller gets its error.
func TestCarry_FailingJobUndoneAlone(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	db.carryWait = time.Hour
	ctx := context.Background()
	insertLog := func(path string) func(context.Context, *sql.Tx) error {
		return func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO request_log (at, remote, method, path, errcode, duration_us) VALUES (0, '', 'GET', ?, 0, 0)`, path)
			return err
		}
	}
	boom := errors.New("boom")
	bad := &carryJob{rows: 1, run: func(ctx context.Context, tx *sql.Tx) error {
		if err := insertLog("/undone")(ctx, tx); err != nil {
			return err
		}
		return boom
	}}
	good := &carryJob{rows: 1, run: insertLog("/kept")}
	if _, err := db.Enqueue(ctx, []model.NewMessage{plainSend("lone")}); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	go func() { errs <- db.later(ctx, true, []*carryJob{bad}) }()
	waitQueued(t, db, 1)
	go func() { errs <- db.later(ctx, true, []*carryJob{good}) }()
	waitQueued(t, db, 2)
	res, err := db.Enqueue(ctx, []model.NewMessage{plainSend("1")})
	if err != nil {
		t.Fatal(err)
	}
	got := []error{<-errs, <-errs}
	if !errors.Is(got[0], boom) && !errors.Is(got[1], boom) || got[0] != nil && got[1] != nil {
		t.Fatalf("job errors %v, want boom for one and nil for the other", got)
	}
	if _, err := db.Message(ctx, res[0].ID); err != nil {
		t.Fatalf("the send was not committed: %v", err)
	}
	var paths []string
	rows, err := db.r.Query(`SELECT path FROM request_log ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	if len(paths) != 1 || paths[0] != "/kept" {
		t.Fatalf("request log holds %v, want only /kept", paths)
	}
}

// A caller whose context ends while its job still waits gets the error,
// and the job is not written afterwards.
func TestCarry_ContextEndsWhileWaiting(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	db.carryWait = time.Hour
	if _, err := db.Enqueue(context.Background(), []model.NewMessage{plainSend("lone")}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := db.InsertRequestLogs(ctx, []model.RequestLog{{At: time.Now(), Method: "GET", Path: "/late"}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the deadline", err)
	}
	if _, err := db.Enqueue(context.Background(), []model.NewMessage{plainSend("1")}); err != nil {
		t.Fatal(err)
	}
	if n := rowCount(t, db, "request_log"); n != 0 {
		t.Fatalf("%d request-log rows after the caller gave up, want 0", n)
	}
}

// take hands a commit of n sends jobs up to max(carryRows, n) rows, oldest
// first, and at least one however large.
func TestCarrier_TakeBoundsRows(t *testing.T) {
	job := func(rows int) *carryJob { return &carryJob{rows: rows} }
	cases := []struct {
		jobs  []int
		limit int
		want  int // jobs taken
	}{
		{nil, 16, 0},
		{[]int{16, 16}, 16, 1},
		{[]int{8, 8, 1}, 16, 2},
		{[]int{40}, 16, 1},
		{[]int{16, 16, 16}, 32, 2},
	}
	for _, c := range cases {
		var cr carrier
		var jobs []*carryJob
		for _, r := range c.jobs {
			jobs = append(jobs, job(r))
		}
		cr.add(jobs)
		got := cr.take(c.limit)
		if len(got) != c.want {
			t.Fatalf("jobs %v, limit %d: took %d, want %d", c.jobs, c.limit, len(got), c.want)
		}
		for i, j := range got {
			if j != jobs[i] || j.queued {
				t.Fatalf("jobs %v: took job %d out of order or still marked queued", c.jobs, i)
			}
		}
		if len(cr.jobs) != len(jobs)-c.want {
			t.Fatalf("jobs %v: %d left, want %d", c.jobs, len(cr.jobs), len(jobs)-c.want)
		}
	}
}

// Writes wait for a send only when the latest send commit was small
// (carryBatch) and recent (carryWait).
func TestCarrying_AfterASmallRecentCommitOnly(t *testing.T) {
	cases := []struct {
		commits []int
		idle    time.Duration // after the commits
		want    bool
	}{
		{nil, 0, false},
		{[]int{1}, 0, true},
		{[]int{carryBatch}, 0, true},
		{[]int{carryBatch + 1}, 0, false},
		{[]int{32, 1}, 0, true},
		{[]int{1, 32}, 0, false},
		{[]int{1}, 30 * time.Millisecond, false},
	}
	for _, c := range cases {
		db := &DB{carryWait: 10 * time.Millisecond, opened: time.Now()}
		for _, n := range c.commits {
			db.sendCommit(n)
		}
		time.Sleep(c.idle)
		if got := db.carrying(); got != c.want {
			t.Errorf("commits %v, then %v idle: carrying %v, want %v", c.commits, c.idle, got, c.want)
		}
	}
}
