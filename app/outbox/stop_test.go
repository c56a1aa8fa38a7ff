package outbox_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"botgate/app/channel"
	"botgate/app/outbox"
	"botgate/model"
	"botgate/storage"
)

// blockingChannel counts the sends begun per content; each waits until
// release is closed (then succeeds) or its context ends.
type blockingChannel struct {
	mu      sync.Mutex
	sent    map[string]int
	started chan string
	release chan struct{}
}

var _ channel.Channel = (*blockingChannel)(nil)

func newBlockingChannel() *blockingChannel {
	return &blockingChannel{sent: map[string]int{}, started: make(chan string, 16), release: make(chan struct{})}
}

func (b *blockingChannel) Send(ctx context.Context, m channel.Message) error {
	b.mu.Lock()
	b.sent[m.Content]++
	b.mu.Unlock()
	b.started <- m.Content
	select {
	case <-b.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *blockingChannel) count(content string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sent[content]
}

// blockingLimiter never grants a send: it waits until its context ends.
type blockingLimiter struct{ waiting chan struct{} }

var _ outbox.Limiter = blockingLimiter{}

func (l blockingLimiter) Wait(ctx context.Context) error {
	l.waiting <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

// dispatching runs a dispatcher over db whose every channel is route; stop
// cancels it (the graceful stop) and returns once Run has returned.
func dispatching(t *testing.T, db *storage.DB, route outbox.Route, cfg outbox.Config) (stop func()) {
	_, stop = runDispatcher(t, db, route, cfg)
	return stop
}

// runDispatcher is dispatching over any store, returning the dispatcher too.
func runDispatcher(t *testing.T, store outbox.Store, route outbox.Route, cfg outbox.Config) (*outbox.Dispatcher, func()) {
	t.Helper()
	return runResolving(t, store, func(string) (outbox.Route, error) { return route, nil }, cfg)
}

// runResolving is runDispatcher with channels of their own.
func runResolving(t *testing.T, store outbox.Store, resolve outbox.Resolver, cfg outbox.Config) (*outbox.Dispatcher, func()) {
	t.Helper()
	cfg.Log = quiet()
	d := outbox.NewDispatcher(store, resolve, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return d, func() { cancel(); <-done }
}

func enqueue(t *testing.T, db *storage.DB, contents ...string) []int64 {
	return enqueueTo(t, db, "1001", contents...)
}

// enqueueTo queues contents to QQ user to, in one transaction.
func enqueueTo(t *testing.T, db *storage.DB, to string, contents ...string) []int64 {
	t.Helper()
	var msgs []model.NewMessage
	for _, c := range contents {
		msgs = append(msgs, model.NewMessage{Channel: "qq", TargetKind: channel.Private, Target: to, Content: c})
	}
	res, err := db.Enqueue(context.Background(), msgs)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(res))
	for i, r := range res {
		ids[i] = r.ID
	}
	return ids
}

func message(t *testing.T, db *storage.DB, id int64) model.Message {
	t.Helper()
	m, err := db.Message(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func waitStarted(t *testing.T, ch <-chan string, want string) {
	t.Helper()
	select {
	case got := <-ch:
		if got != want {
			t.Fatalf("first send was %q, want %q", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("send of %q never began", want)
	}
}

func TestStop_SendFinishingInGrace_RecordedDeliveredAndNotSentAgain(t *testing.T) {
	db := openDB(t)
	ids := enqueue(t, db, "a1", "a2") // one recipient: one worker, a1 then a2
	ch := newBlockingChannel()
	stop := dispatching(t, db, outbox.Route{Channel: ch}, outbox.Config{StopGrace: 10 * time.Second})
	waitStarted(t, ch.started, "a1")

	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("the stop did not wait for the send in flight")
	case <-time.After(100 * time.Millisecond):
	}
	close(ch.release) // the platform answers within the grace
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("the stop did not end once the send in flight finished")
	}
	if m := message(t, db, ids[0]); m.Status != model.StatusDelivered || m.Attempts != 1 {
		t.Fatalf("a1 after the stop: status %s, %d attempts; want delivered after 1", m.Status, m.Attempts)
	}
	// a2 was next in the worker's batch: a stopping dispatcher must not begin it.
	if n := ch.count("a2"); n != 0 {
		t.Fatalf("a2 was sent %d times during the stop", n)
	}
	if m := message(t, db, ids[1]); m.Status != model.StatusQueued || m.Attempts != 0 || m.LastError != "" {
		t.Fatalf("a2 after the stop: %+v; want queued and untouched", m)
	}

	// Restart on the same database: only a2 is owed.
	dispatching(t, db, outbox.Route{Channel: ch}, outbox.Config{})
	waitFor(t, "a2 delivered after the restart", func() bool { return message(t, db, ids[1]).Status == model.StatusDelivered })
	time.Sleep(50 * time.Millisecond) // room for a wrong re-send of a1
	if a1, a2 := ch.count("a1"), ch.count("a2"); a1 != 1 || a2 != 1 {
		t.Fatalf("sends across the clean stop: a1 %d, a2 %d; want exactly 1 each", a1, a2)
	}
}

func TestStop_SendOutlivingGrace_CancelledAndRecordedUnknown(t *testing.T) {
	db := openDB(t)
	ids := enqueue(t, db, "b1")
	ch := newBlockingChannel() // never released: the platform does not answer
	const grace = 200 * time.Millisecond
	stop := dispatching(t, db, outbox.Route{Channel: ch}, outbox.Config{StopGrace: grace})
	waitStarted(t, ch.started, "b1")

	start := time.Now()
	stop()
	if took := time.Since(start); took < grace || took > grace+5*time.Second {
		t.Fatalf("stop took %s; the send in flight is owed a grace of %s and no more", took, grace)
	}
	m := message(t, db, ids[0])
	if m.Status != model.StatusQueued || m.Attempts != 1 || m.LastError != outbox.UnknownAtStop {
		t.Fatalf("b1 after the grace ran out: status %s, %d attempts, last error %q; want queued, 1, %q",
			m.Status, m.Attempts, m.LastError, outbox.UnknownAtStop)
	}

	// Its outcome is unknown, so the next start sends it again (at least once).
	close(ch.release)
	dispatching(t, db, outbox.Route{Channel: ch}, outbox.Config{})
	waitFor(t, "b1 delivered after the restart", func() bool { return message(t, db, ids[0]).Status == model.StatusDelivered })
	if n := ch.count("b1"); n != 2 {
		t.Fatalf("b1 sent %d times; want 2 (the unknown attempt and the retry)", n)
	}
}

func TestStop_WaitingForRateLimit_EndsAtOnceUntried(t *testing.T) {
	db := openDB(t)
	ids := enqueue(t, db, "c1")
	ch := newBlockingChannel()
	lim := blockingLimiter{waiting: make(chan struct{}, 1)}
	stop := dispatching(t, db, outbox.Route{Channel: ch, Limiter: lim}, outbox.Config{StopGrace: 10 * time.Second})
	select {
	case <-lim.waiting:
	case <-time.After(10 * time.Second):
		t.Fatal("the worker never waited for the rate limit")
	}
	start := time.Now()
	stop()
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("stop took %s: a message still waiting for its turn is not in flight and must not hold the stop", took)
	}
	if n := ch.count("c1"); n != 0 {
		t.Fatalf("c1 was sent %d times", n)
	}
	if m := message(t, db, ids[0]); m.Status != model.StatusQueued || m.Attempts != 0 || m.LastError != "" {
		t.Fatalf("c1 after the stop: %+v; want queued and untouched", m)
	}
}
