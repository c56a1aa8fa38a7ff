package storage

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Relaxed writes that ride along with sends.
//
// Delivery marks and request-log rows need no fsync of their own, but each
// batch of them used to take the one writer connection for a transaction of
// its own, and a send that came meanwhile waited for it. At one connection
// that wait was most of the p99: wrk measured 1.21 ms with those writes and
// 0.79 ms with them switched off (README, 性能测试). While sends come one or
// a few at a time, these writes now wait, briefly, in small jobs for the
// next send's commit, which runs them before it commits: the send pays a
// few statements instead of waiting for a whole transaction. A job that no
// send took within carryWait is committed by its caller, as before.
//
// Under many concurrent sends (large group commits) nothing waits: there
// the writer is never idle, a separate transaction writes a large batch at
// once, and jobs spread over many commits wrote the same pages again and
// again (twice the bytes a send at 32 connections).

const (
	// carryRows is the most rows one job writes. A commit of n sends carries
	// jobs of up to max(carryRows, n) rows in all, so no send waits for much
	// more than its own work: a 64-row request-log batch took ~0.3 ms.
	carryRows = 16
	// carryWait is how long jobs wait for a send before their caller
	// commits them, and how recent a small send commit must be for them
	// to wait at all. Under steady sends at one connection the next commit
	// comes within a millisecond.
	carryWait = 5 * time.Millisecond
)

// carryJob is one small relaxed write: run executes its statements, which
// were prepared beforehand (a transaction holds the writer's one
// connection, so nothing can be prepared on it meanwhile).
type carryJob struct {
	rows   int
	run    func(ctx context.Context, tx *sql.Tx) error
	done   chan<- error // told once by the commit that carried the job
	queued bool         // in carrier.jobs; guarded by carrier.mu
}

// carrier holds the jobs waiting for a commit, oldest first.
type carrier struct {
	mu   sync.Mutex
	jobs []*carryJob
}

func (c *carrier) add(jobs []*carryJob) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, j := range jobs {
		j.queued = true
	}
	c.jobs = append(c.jobs, jobs...)
}

// take removes the oldest jobs, up to rows rows in all (at least one job
// when any is waiting).
func (c *carrier) take(rows int) []*carryJob {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, sum := 0, 0
	for n < len(c.jobs) && (n == 0 || sum+c.jobs[n].rows <= rows) {
		sum += c.jobs[n].rows
		n++
	}
	out := c.jobs[:n:n]
	c.jobs = append([]*carryJob(nil), c.jobs[n:]...)
	for _, j := range out {
		j.queued = false
	}
	return out
}

// reclaim removes those of jobs that still wait and returns them.
func (c *carrier) reclaim(jobs []*carryJob) []*carryJob {
	c.mu.Lock()
	defer c.mu.Unlock()
	var mine []*carryJob
	for _, j := range jobs {
		if j.queued {
			j.queued = false
			mine = append(mine, j)
		}
	}
	if len(mine) > 0 {
		c.jobs = slices.DeleteFunc(c.jobs, func(j *carryJob) bool { return slices.Contains(mine, j) })
	}
	return mine
}

// putBack returns jobs whose commit failed to the front of the line.
func (c *carrier) putBack(jobs []*carryJob) {
	if len(jobs) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, j := range jobs {
		j.queued = true
	}
	c.jobs = append(slices.Clip(jobs), c.jobs...)
}

// carryBatch is the largest send commit after which jobs still wait for
// the next one. With a few clients sending, commits are of one to a few
// messages and the jobs are what would hold up the next send; at 32
// connections commits were of 16-32 messages, the writer is never idle,
// and a job spread over them wrote the same pages again and again.
const carryBatch = 4

// sendCommit notes the start of a send commit of n messages, for carrying.
func (db *DB) sendCommit(n int) {
	var t int64 // 0: the latest commit was a large batch
	if n <= carryBatch {
		t = int64(time.Since(db.opened)) + 1
	}
	db.smallAt.Store(t)
}

// carrying tells whether jobs should wait for a send to carry them: the
// latest send commit was small (carryBatch), less than carryWait ago.
func (db *DB) carrying() bool {
	t := db.smallAt.Load()
	return t != 0 && time.Duration(int64(time.Since(db.opened))+1-t) < db.carryWait
}

// jobRows is the rows a job of relaxed writes holds: small when it is to
// wait for sends to carry it (carrying, asked once by the caller), else as
// many as one statement takes.
func jobRows(wait bool) int {
	if wait {
		return carryRows
	}
	return rowsPerInsert
}

// later commits jobs: with the next sends if wait (carrying, asked once by
// the caller when it cut the jobs), else, or when no send took them within
// carryWait, in one relaxed transaction of the caller's own. It returns the
// first error once every job is committed or has failed; when ctx ends
// first, the jobs no commit has taken are not written.
func (db *DB) later(ctx context.Context, wait bool, jobs []*carryJob) error {
	if len(jobs) == 0 {
		return nil
	}
	var first error
	note := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	alone := jobs
	if wait {
		done := make(chan error, len(jobs))
		for _, j := range jobs {
			j.done = done
		}
		db.carry.add(jobs)
		got := 0
		t := time.NewTimer(db.carryWait)
		defer t.Stop()
	wait:
		for got < len(jobs) {
			select {
			case err := <-done:
				note(err)
				got++
			case <-t.C:
				break wait
			case <-ctx.Done():
				break wait
			}
		}
		// Take back what no commit has taken. A commit running some now
		// tells them below; one that fails puts them back, to be taken back
		// on the next look.
		alone = nil
		for {
			alone = append(alone, db.carry.reclaim(jobs)...)
			if got+len(alone) == len(jobs) {
				break
			}
			t.Reset(db.carryWait)
			select {
			case err := <-done:
				note(err)
				got++
			case <-t.C:
			}
		}
	}
	if len(alone) == 0 {
		return first
	}
	if err := ctx.Err(); err != nil {
		note(err)
		return first
	}
	note(db.relaxed(ctx, func(tx *sql.Tx) error {
		for _, j := range alone {
			if err := j.run(ctx, tx); err != nil {
				return err
			}
		}
		return nil
	}))
	return first
}

// runJobs runs jobs in tx, each in a savepoint of its own: a job whose
// statements fail is undone alone, and the sends and other jobs of the
// transaction still commit. It returns each job's error.
func runJobs(ctx context.Context, tx *sql.Tx, jobs []*carryJob) []error {
	errs := make([]error, len(jobs))
	for i, j := range jobs {
		name := "carry" + strconv.Itoa(i)
		if _, err := tx.ExecContext(ctx, `SAVEPOINT `+name); err != nil {
			errs[i] = err
			continue
		}
		if errs[i] = j.run(ctx, tx); errs[i] != nil {
			_, _ = tx.ExecContext(ctx, `ROLLBACK TO `+name)
		}
		_, _ = tx.ExecContext(ctx, `RELEASE `+name)
	}
	return errs
}

// finishJobs tells each job, once the transaction that ran them committed,
// its own error from runJobs.
func finishJobs(jobs []*carryJob, errs []error) {
	for i, j := range jobs {
		j.done <- errs[i]
	}
}
