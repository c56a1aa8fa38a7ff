package outbox_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"botgate/app/channel"
	"botgate/app/outbox"
	"botgate/model"
	"botgate/storage"
)

// rowCountingStore counts the rows the dispatcher reads back from the table.
type rowCountingStore struct {
	*storage.DB
	read atomic.Int64
}

func (s *rowCountingStore) PendingMessages(ctx context.Context, afterID int64, limit int) ([]model.Message, error) {
	ms, err := s.DB.PendingMessages(ctx, afterID, limit)
	s.read.Add(int64(len(ms)))
	return ms, err
}

// Rows the queue commits reach the dispatcher in memory: it reads (almost)
// none of them back. A row another writer commits in between (a schedule's) is
// read, and so is the handed row after it, which no longer follows on from
// what the dispatcher has seen; every message is delivered once, in order.
func TestHandoff_QueuedRowsAreNotReadBack_OtherWritersRowsAre(t *testing.T) {
	db := openDB(t)
	store := &rowCountingStore{DB: db}
	ch := &fakeChannel{}
	d := outbox.NewDispatcher(store, func(string) (outbox.Route, error) { return outbox.Route{Channel: ch}, nil }, outbox.Config{Log: quiet()})
	q := outbox.NewQueue(db, d.Handoff)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	defer func() { q.Close(); cancel(); <-done }()

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
	before := store.read.Load()
	if before > n/10 {
		t.Fatalf("the dispatcher read %d of the %d handed rows back from the table", before, n)
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
	if r := store.read.Load() - before; r < 1 || r > 2 {
		t.Fatalf("read %d rows back, want the other writer's (and perhaps the one after it)", r)
	}
}

func texts(ms []channel.Message) []string {
	var s []string
	for _, m := range ms {
		s = append(s, m.Content)
	}
	return s
}
