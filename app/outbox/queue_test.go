package outbox_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"botgate/app/outbox"
	"botgate/model"
)

// slowEnqueuer takes a while per commit, as an fsync does, and counts commits.
type slowEnqueuer struct {
	commits atomic.Int32
	next    atomic.Int64
	fail    atomic.Bool
}

func (s *slowEnqueuer) Enqueue(_ context.Context, msgs []model.NewMessage) ([]model.Enqueued, error) {
	s.commits.Add(1)
	time.Sleep(5 * time.Millisecond)
	if s.fail.Load() {
		return nil, errors.New("disk I/O error")
	}
	out := make([]model.Enqueued, len(msgs))
	for i := range out {
		out[i].ID = s.next.Add(1)
	}
	return out, nil
}

// Sends that arrive while a commit is in progress share the next one; each
// gets its own id; a failed commit fails only the sends in it; after Close
// nothing is accepted, and everything accepted before it was committed.
func TestQueue_GroupCommit_OwnIDs_FailureAndClose(t *testing.T) {
	store := &slowEnqueuer{}
	var wakes atomic.Int32
	q := outbox.NewQueue(store, func([]model.Message) { wakes.Add(1) })
	const n = 64
	ids := make(chan int64, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, err := q.Add(context.Background(), model.NewMessage{Content: "x"})
			if err != nil {
				t.Error(err)
				return
			}
			ids <- e.ID
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[int64]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("id %d given twice", id)
		}
		seen[id] = true
	}
	if len(seen) != n {
		t.Fatalf("%d ids for %d sends", len(seen), n)
	}
	if c := store.commits.Load(); c > n/4 {
		t.Errorf("%d commits for %d concurrent sends; want them batched", c, n)
	}
	if w := wakes.Load(); w != store.commits.Load() {
		t.Errorf("dispatcher woken %d times for %d commits", w, store.commits.Load())
	}

	store.fail.Store(true)
	if _, err := q.Add(context.Background(), model.NewMessage{}); err == nil {
		t.Error("a failed commit reported success")
	}
	store.fail.Store(false)

	// Close while sends are being committed: it waits for them.
	var done atomic.Int32
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := q.Add(context.Background(), model.NewMessage{}); err == nil {
				done.Add(1)
			} else if !errors.Is(err, outbox.ErrClosed) {
				t.Error(err)
			}
		}()
	}
	time.Sleep(time.Millisecond)
	before := store.commits.Load()
	q.Close()
	after := store.commits.Load()
	time.Sleep(20 * time.Millisecond)
	if c := store.commits.Load(); c != after {
		t.Errorf("%d commits after Close returned", c-after)
	}
	wg.Wait()
	t.Logf("%d of 8 accepted before Close (commits %d -> %d)", done.Load(), before, after)
	if _, err := q.Add(context.Background(), model.NewMessage{}); !errors.Is(err, outbox.ErrClosed) {
		t.Errorf("Add after Close: %v, want ErrClosed", err)
	}
}

// A send whose client has gone before it is handed over is not queued.
func TestQueue_CancelledBeforeHandOver_NotQueued(t *testing.T) {
	store := &slowEnqueuer{}
	q := outbox.NewQueue(store, nil)
	defer q.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.Add(ctx, model.NewMessage{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Add: %v, want context.Canceled", err)
	}
	if c := store.commits.Load(); c != 0 {
		t.Errorf("%d commits for a cancelled send", c)
	}
}
