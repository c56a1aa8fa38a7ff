package storage

import (
	"database/sql"
	"sync"
	"time"
)

// autocheckpointPages is the writer's own WAL checkpoint threshold, raised
// from SQLite's 1000: that checkpoint runs in the connection that commits,
// inside the commit, and under synchronous=FULL it copies the WAL into the
// database file and fsyncs both, so every few hundred sends one acknowledged
// send waited for it (the c=1 p99 of the benchmark). The checkpointer below
// does that work off the request path; this threshold is only the backstop
// should it fall behind, so that the WAL file stays bounded.
const autocheckpointPages = 10000

// checkpointGather is how long the checkpointer lets commits gather after
// a write before it checkpoints them: one checkpoint then copies the pages
// of many commits, and a write that comes alone is in the file soon after.
const checkpointGather = 50 * time.Millisecond

// checkpointer runs PASSIVE checkpoints on its own connection after writes:
// a passive checkpoint takes no write lock, so sends keep committing to the
// WAL while it copies, and no acknowledged send waits for it. It sleeps
// while nothing is written (an idle server does not wake up for it).
type checkpointer struct {
	conn *sql.DB
	kick chan struct{}
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func startCheckpointer(conn *sql.DB) *checkpointer {
	c := &checkpointer{conn: conn, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c
}

// wrote tells the checkpointer that a commit added to the WAL.
func (c *checkpointer) wrote() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) loop() {
	defer close(c.done)
	t := time.NewTimer(0)
	t.Stop()
	for {
		select {
		case <-c.kick:
		case <-c.stop:
			return
		}
		t.Reset(checkpointGather)
		select {
		case <-t.C:
		case <-c.stop:
			t.Stop()
			return
		}
		// An error (SQLITE_BUSY while another checkpoint runs) only means
		// this round is skipped; the next write kicks another, and the
		// writer's own threshold is the backstop.
		_, _ = c.conn.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
	}
}

// close stops the loop, then closes its connection; like sql.DB's Close,
// it may be called more than once.
func (c *checkpointer) close() error {
	c.once.Do(func() { close(c.stop) })
	<-c.done
	return c.conn.Close()
}
