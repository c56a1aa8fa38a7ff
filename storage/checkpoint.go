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

// restartFrames is how many frames the WAL may hold before the
// checkpointer finishes a checkpoint on the writer's connection, so that
// the next commit starts the WAL over from its beginning. Under a steady
// stream of sends the checkpointer's own passive checkpoint never catches
// up with the last commit (one always lands while it copies), and SQLite
// only restarts a WAL that was copied to its last frame: the WAL then grew
// by every commit until the writer's threshold (78 MB of file in
// TestCheckpointer_StartsTheWALOverUnderSteadyWrites). A commit that
// grows its file makes the fsync journal the new size and blocks as well:
// on the benchmark machine fsync after an append took 360 µs against 180
// µs for an overwrite, and the sends at one connection went 21% faster
// once the WAL was reused (README, 性能). 1000 frames is SQLite's own
// default threshold: the WAL file stays near 4 MB.
const restartFrames = 1000

// checkpointer runs PASSIVE checkpoints on its own connection after writes:
// a passive checkpoint takes no write lock, so sends keep committing to the
// WAL while it copies, and no acknowledged send waits for it. It sleeps
// while nothing is written (an idle server does not wake up for it).
type checkpointer struct {
	conn *sql.DB
	// writer is the database's one writer connection: a checkpoint run on
	// it copies the WAL to its last frame, as no commit can come meanwhile.
	writer *sql.DB
	kick   chan struct{}
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

func startCheckpointer(conn, writer *sql.DB) *checkpointer {
	c := &checkpointer{conn: conn, writer: writer, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
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
		c.checkpoint()
	}
}

// checkpoint copies the WAL into the database file without holding up
// sends, then, when the WAL has grown past restartFrames, copies the few
// frames committed meanwhile on the writer's connection: sends wait for
// that (a few pages and the two fsyncs, once per restartFrames frames), and
// the next commit writes the WAL from its start again. An error
// (SQLITE_BUSY while another checkpoint runs) only means this round is
// skipped; the next write kicks another, and the writer's own threshold is
// the backstop.
func (c *checkpointer) checkpoint() {
	var busy, frames, copied int
	if err := c.conn.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err != nil {
		return
	}
	if frames >= restartFrames {
		_ = c.writer.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
	}
}

// close stops the loop, then closes its connection; like sql.DB's Close,
// it may be called more than once.
func (c *checkpointer) close() error {
	c.once.Do(func() { close(c.stop) })
	<-c.done
	return c.conn.Close()
}
