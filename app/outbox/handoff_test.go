package outbox_test

import (
	"context"
	"fmt"
	"testing"

	"botgate/app/channel"
	"botgate/app/outbox"
	"botgate/model"
	"botgate/storage"
)

// Rows the queue commits reach the dispatcher in memory: it reads (almost)
// none of them back. A row another writer commits in between (a schedule's) is
// read, and so is the handed row after it, which no longer follows on from
// what the dispatcher has seen; every message is delivered once, in order.
func TestHandoff_QueuedRowsAreNotReadBack_OtherWritersRowsAre(t *testing.T) {
	db := openDB(t)
	store := &readCounter{DB: db}
	q, ch := runQueued(t, db, store)

	send := func(to, text string) {
		t.Helper()
		if _, err := q.Add(context.Background(), model.NewMessage{Channel: "qq", TargetKind: channel.Private, Target: to, Content: text}); err != nil {
			t.Fatal(err)
		}
	}
	const n = 100
	for i := range n {
		send(fmt.Sprint(1000+i%3), fmt.Sprint("q", i))
	}
	waitFor(t, "the queued messages delivered", func() bool { return len(ch.delivered()) >= n })
	// A row can still be read back when the dispatcher reads the table
	// between its commit and its hand-over (it then skips the handed copy).
	before := store.rows.Load()
	t.Logf("%d of %d rows read back", before, n)
	if before > n/2 {
		t.Fatalf("the dispatcher read %d of the %d handed rows back from the table (all of them, before the hand-over)", before, n)
	}

	// Another writer's row, with no hand-over and no wake-up, then a send.
	if _, err := db.Enqueue(context.Background(), []model.NewMessage{{Channel: "qq", TargetKind: channel.Private, Target: "2000", Content: "other writer"}}); err != nil {
		t.Fatal(err)
	}
	send("2000", "after it")
	waitFor(t, "both delivered", func() bool { return len(ch.delivered()) >= n+2 })
	got := ch.delivered()
	if len(got) != n+2 || got[n].Content != "other writer" || got[n+1].Content != "after it" {
		t.Fatalf("delivered %d, the last two %q: want %d, the other writer's row first", len(got), texts(got[n:]), n+2)
	}
	if r := store.rows.Load() - before; r < 1 || r > 2 {
		t.Fatalf("read %d rows back, want the other writer's (and perhaps the one after it)", r)
	}
}

// runQueued runs a dispatcher on store, delivering to a fake channel, fed
// by a queue on db that hands it the rows it commits, as the server wires
// them; the test's cleanup closes the queue, then stops the dispatcher.
func runQueued(t *testing.T, db *storage.DB, store outbox.Store) (*outbox.Queue, *fakeChannel) {
	t.Helper()
	ch := &fakeChannel{}
	d := outbox.NewDispatcher(store, func(string) (outbox.Route, error) { return outbox.Route{Channel: ch}, nil }, outbox.Config{Log: quiet()})
	q := outbox.NewQueue(db, d.Handoff)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { q.Close(); cancel(); <-done })
	return q, ch
}

func texts(ms []channel.Message) []string {
	var s []string
	for _, m := range ms {
		s = append(s, m.Content)
	}
	return s
}

// A row handed over while no run was going, and delivered since, is not
// sent again when a run starts: a new run reads the table afresh.
func TestHandoff_BeforeARun_IsNotTrusted(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	res, err := db.Enqueue(ctx, []model.NewMessage{{Channel: "qq", TargetKind: channel.Private, Target: "1", Content: "delivered already"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.RecordOutcomes(ctx, []storage.Outcome{{ID: res[0].ID, Status: model.StatusDelivered, NextAttemptAt: res[0].Row.NextAttemptAt}}); err != nil {
		t.Fatal(err)
	}
	ch := &fakeChannel{}
	d := outbox.NewDispatcher(db, func(string) (outbox.Route, error) { return outbox.Route{Channel: ch}, nil }, outbox.Config{Log: quiet()})
	d.Handoff([]model.Message{res[0].Row}) // as a commit's hand-over that no run took
	q := outbox.NewQueue(db, d.Handoff)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { d.Run(runCtx); close(done) }()
	defer func() { q.Close(); cancel(); <-done }()
	if _, err := q.Add(ctx, model.NewMessage{Channel: "qq", TargetKind: channel.Private, Target: "1", Content: "new"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new message delivered", func() bool { return len(ch.delivered()) >= 1 })
	if got := texts(ch.delivered()); len(got) != 1 || got[0] != "new" {
		t.Fatalf("delivered %q, want only the new message", got)
	}
}

// A dispatcher that holds every row the store committed does not ask the
// table for new ones at each wake-up: one send at a time, each delivered
// before the next (an ERP at one connection), costs no read at all after
// the first round's, bar the once-a-second safety net.
func TestHandoff_HandedRowsAreNotLookedForInTheTable(t *testing.T) {
	db := openDB(t)
	store := &readCounter{DB: db}
	q, ch := runQueued(t, db, store)

	const n = 30
	for i := range n {
		if _, err := q.Add(context.Background(), model.NewMessage{Channel: "qq", TargetKind: channel.Private, Target: "1000", Content: fmt.Sprint("m", i)}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the message delivered", func() bool { return len(ch.delivered()) > i })
	}
	if r := store.reads.Load(); r > 3 {
		t.Fatalf("the dispatcher looked for new rows in the table %d times for %d sends, all handed over to it", r, n)
	}
	if got := texts(ch.delivered()); len(got) != n || got[n-1] != fmt.Sprint("m", n-1) {
		t.Fatalf("delivered %q, want the %d messages in order", got, n)
	}
}
