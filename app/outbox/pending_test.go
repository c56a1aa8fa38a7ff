package outbox_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"botgate/app/channel"
	"botgate/app/outbox"
	"botgate/model"
	"botgate/storage"
)

// readCounter is the state database, counting the pending rows the
// dispatcher reads, and its reads of new rows (PendingMessages).
type readCounter struct {
	*storage.DB
	rows, reads atomic.Int64
}

func (s *readCounter) PendingMessages(ctx context.Context, afterID int64, limit int) ([]model.Message, error) {
	ms, err := s.DB.PendingMessages(ctx, afterID, limit)
	s.rows.Add(int64(len(ms)))
	s.reads.Add(1)
	return ms, err
}

func (s *readCounter) PendingFor(ctx context.Context, ch, kind, target string, afterID, throughID int64, limit int) ([]model.Message, error) {
	ms, err := s.DB.PendingFor(ctx, ch, kind, target, afterID, throughID, limit)
	s.rows.Add(int64(len(ms)))
	return ms, err
}

// pacedChannel delivers to "slow" one message per tick and to anyone else
// at once, recording the order per recipient.
type pacedChannel struct {
	tick time.Duration
	mu   sync.Mutex
	got  map[string][]string
	// gate, when set, holds every send to "held" until it is closed.
	gate chan struct{}
	// refuse makes every send to "bad" fail for good while it is set.
	refuse atomic.Bool
}

func (c *pacedChannel) Send(ctx context.Context, m channel.Message) error {
	switch m.To {
	case "slow":
		time.Sleep(c.tick)
	case "bad":
		if c.refuse.Load() {
			return channel.Permanentf(nil, "对方拒收")
		}
	case "held":
		select {
		case <-c.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got[m.To] = append(c.got[m.To], m.Content)
	return nil
}

func (c *pacedChannel) count(to string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.got[to])
}

func (c *pacedChannel) contents(to string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.got[to]...)
}

func startDispatcher(t *testing.T, store outbox.Store, ch channel.Channel) *outbox.Dispatcher {
	d, _ := runDispatcher(t, store, outbox.Route{Channel: ch}, outbox.Config{})
	return d
}

// One recipient's backlog, longer than the dispatcher holds in memory for a
// recipient and than one page of the pending read, is delivered whole, in
// order, each message once; a message to someone else queued after it is
// not held up behind it; and each pending row is read about once, not again
// at every wake-up (which had cost 40% of the CPU at 32 connections).
func TestBacklog_LongQueueOfOneRecipient_InOrderOnce_OthersNotHeldUp_EachRowReadOnce(t *testing.T) {
	db := openDB(t)
	store := &readCounter{DB: db}
	ch := &pacedChannel{tick: 2 * time.Millisecond, got: map[string][]string{}}
	const n = 1200
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf("slow %04d", i)
	}
	enqueueTo(t, db, "slow", want...)
	d := startDispatcher(t, store, ch)
	waitFor(t, "the first deliveries to slow", func() bool { return ch.count("slow") > 10 })
	// Queued after the whole backlog, woken like a send from the API.
	enqueueTo(t, db, "fast", "fast 1")
	d.Wake()
	waitFor(t, "the message to fast", func() bool { return ch.count("fast") == 1 })
	if got := ch.count("slow"); got >= n/2 {
		t.Errorf("fast's message waited for %d of slow's %d to go first", got, n)
	}
	// Sends to fast keep arriving while slow's backlog drains.
	for i := 2; i <= 20; i++ {
		enqueueTo(t, db, "fast", fmt.Sprintf("fast %d", i))
		d.Wake()
		time.Sleep(3 * time.Millisecond)
	}
	waitFor(t, "slow's whole backlog", func() bool { return ch.count("slow") == n })
	waitFor(t, "fast's 20 messages", func() bool { return ch.count("fast") == 20 })
	got := ch.contents("slow")
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("slow's message %d is %q, want %q (order lost)", i, got[i], want[i])
		}
	}
	// Each row is read once by the cursor, slow's once more when its part
	// of the backlog comes back from the database; rereading at each round
	// was tens of times that.
	if rows := store.rows.Load(); rows > 3*(n+20) {
		t.Errorf("the dispatcher read %d pending rows for %d messages; want each read about once (at most %d)", rows, n+20, 3*(n+20))
	}
	time.Sleep(100 * time.Millisecond) // nothing more arrives
	if c := ch.count("slow"); c != n {
		t.Errorf("slow got %d messages, want %d (a repeat)", c, n)
	}
}

// Messages the dispatcher holds in memory follow what the admin does to
// them in the table: a cancelled one is not sent, a failed one queued again
// is sent (Resync).
func TestResync_CancelledHeldMessageNotSent_RetriedFailedOneSent(t *testing.T) {
	db := openDB(t)
	ch := &pacedChannel{got: map[string][]string{}, gate: make(chan struct{})}
	ids := enqueueTo(t, db, "held", "h1", "h2", "h3")
	d := startDispatcher(t, db, ch)
	waitFor(t, "h1 to be sending", func() bool { return d.Sending(ids[0]) })
	// h2 and h3 are with the worker already (one batch): cancelling one of
	// them now is a race the table's status settles. Cancel what is only
	// in memory instead: a later message of the same recipient.
	late := enqueueTo(t, db, "held", "h4", "h5")
	d.Wake()
	time.Sleep(50 * time.Millisecond) // the dispatcher reads them into memory
	if err := db.CancelMessage(context.Background(), late[0], "已由管理员取消"); err != nil {
		t.Fatal(err)
	}
	d.Resync()
	close(ch.gate)
	waitFor(t, "h1, h2, h3 and h5", func() bool { return ch.count("held") == 4 })
	time.Sleep(100 * time.Millisecond)
	if got := ch.contents("held"); fmt.Sprint(got) != "[h1 h2 h3 h5]" {
		t.Errorf("delivered %v, want [h1 h2 h3 h5] (h4 was cancelled)", got)
	}
	m, err := db.Message(context.Background(), late[0])
	if err != nil || m.Status != model.StatusFailed {
		t.Errorf("cancelled message: %+v, %v; want failed", m.Status, err)
	}

	// A failed message queued again is sent once.
	ch.refuse.Store(true)
	failed := enqueueTo(t, db, "bad", "again")
	d.Wake()
	waitFor(t, "the refused message to fail", func() bool {
		m, err := db.Message(context.Background(), failed[0])
		return err == nil && m.Status == model.StatusFailed
	})
	ch.refuse.Store(false)
	if err := db.RetryMessage(context.Background(), failed[0]); err != nil {
		t.Fatal(err)
	}
	d.Resync()
	waitFor(t, "the retried message", func() bool { return ch.count("bad") == 1 })
}

// pacing lets one send through per interval, like a channel's rate limit.
type pacing struct {
	mu    sync.Mutex
	next  time.Time
	every time.Duration
}

func (p *pacing) Wait(ctx context.Context) error {
	p.mu.Lock()
	at := time.Now()
	if p.next.After(at) {
		at = p.next
	}
	p.next = at.Add(p.every)
	p.mu.Unlock()
	select {
	case <-time.After(time.Until(at)):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// A rate-limited channel with a backlog for more recipients than the
// dispatcher serves at once does not hold up another channel: its workers
// would only wait for its limiter, so it gets a few of the slots, not all.
func TestRateLimitedBacklog_ManyRecipients_OtherChannelStillSends(t *testing.T) {
	db := openDB(t)
	slow := &pacedChannel{got: map[string][]string{}}
	fast := &pacedChannel{got: map[string][]string{}}
	limit := &pacing{every: 50 * time.Millisecond}
	d, _ := runResolving(t, db, func(name string) (outbox.Route, error) {
		if name == "slow" {
			return outbox.Route{Channel: slow, Limiter: limit}, nil
		}
		return outbox.Route{Channel: fast}, nil
	}, outbox.Config{})
	var msgs []model.NewMessage
	for i := range 100 {
		for j := range 3 {
			msgs = append(msgs, model.NewMessage{Channel: "slow", TargetKind: channel.Private, Target: fmt.Sprint(2000 + i), Content: fmt.Sprint(j)})
		}
	}
	if _, err := db.Enqueue(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	d.Wake()
	time.Sleep(100 * time.Millisecond) // the slow channel's workers are waiting for its limiter
	for i := range 10 {
		if _, err := db.Enqueue(context.Background(), []model.NewMessage{{Channel: "fast", TargetKind: channel.Private, Target: fmt.Sprint(3000 + i), Content: "now"}}); err != nil {
			t.Fatal(err)
		}
	}
	d.Wake()
	start := time.Now()
	waitFor(t, "the other channel's 10 messages", func() bool {
		n := 0
		for i := range 10 {
			n += fast.count(fmt.Sprint(3000 + i))
		}
		return n == 10
	})
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the other channel's messages took %s behind the rate-limited backlog", took)
	}
}

// outcomeCounter is the state database, counting the rounds of outcomes the
// dispatcher records.
type outcomeCounter struct {
	*storage.DB
	rounds atomic.Int64
}

func (s *outcomeCounter) RecordOutcomes(ctx context.Context, outs []storage.Outcome) error {
	s.rounds.Add(1)
	return s.DB.RecordOutcomes(ctx, outs)
}

// One recipient's backlog on a channel without a rate limit goes out in
// rounds of all it holds, not of Batch: at Batch a round a single recipient
// was capped below what one ERP connection sends, and its backlog only grew.
// The order stays the queue's.
func TestDispatcher_UnlimitedRecipientTakesAllItHolds(t *testing.T) {
	db := openDB(t)
	const n = 1200 // more than one recipient holds: a part is read back
	for lo := 0; lo < n; lo += 100 {
		var msgs []model.NewMessage
		for i := lo; i < lo+100; i++ {
			msgs = append(msgs, model.NewMessage{Channel: "qq", TargetKind: channel.Private, Target: "1", Content: fmt.Sprint("m", i)})
		}
		if _, err := db.Enqueue(context.Background(), msgs); err != nil {
			t.Fatal(err)
		}
	}
	store := &outcomeCounter{DB: db}
	ch := &fakeChannel{}
	runDispatcher(t, store, outbox.Route{Channel: ch}, outbox.Config{Batch: 50})
	waitFor(t, "the backlog delivered", func() bool { return len(ch.delivered()) >= n })
	got := ch.delivered()
	for i, m := range got {
		if m.Content != fmt.Sprint("m", i) {
			t.Fatalf("message %d is %q: the order was lost", i, m.Content)
		}
	}
	// 500 + 500 + 200; a round's results can split over two records.
	if r := store.rounds.Load(); r > 8 {
		t.Fatalf("%d messages to one recipient took %d rounds (Batch is 50: %d rounds)", n, r, n/50)
	}
}

// A message cancelled while it waits in a worker's batch is not sent: the
// worker records it failed with the admin's note. One whose send has begun
// cannot be called back, and Cancel says so. The rest of the batch goes out.
func TestCancel_MessageInAWorkersBatchIsNotSent(t *testing.T) {
	db := openDB(t)
	ch := &pacedChannel{got: map[string][]string{}, gate: make(chan struct{})}
	ids := enqueueTo(t, db, "held", "first", "cancelled", "third")
	d, _ := runDispatcher(t, db, outbox.Route{Channel: ch}, outbox.Config{})
	waitFor(t, "the batch with a worker", func() bool { return d.Sending(ids[2]) })
	time.Sleep(20 * time.Millisecond) // the first send is under way, held by the gate
	if d.Cancel(ids[0], "已由管理员取消") {
		t.Fatal("Cancel of the message being sent said it could still stop it")
	}
	if !d.Cancel(ids[1], "已由管理员取消") {
		t.Fatal("Cancel of a message not yet sent said it was too late")
	}
	// What App.CancelMessage does next.
	if err := db.CancelMessage(context.Background(), ids[1], "已由管理员取消"); err != nil {
		t.Fatal(err)
	}
	d.Resync()
	close(ch.gate)
	waitFor(t, "the batch done", func() bool { return !d.Sending(ids[2]) && ch.count("held") == 2 })
	if got := ch.contents("held"); len(got) != 2 || got[0] != "first" || got[1] != "third" {
		t.Fatalf("sent %q, want first and third", got)
	}
	waitFor(t, "the outcome recorded", func() bool {
		m, err := db.Message(context.Background(), ids[1])
		return err == nil && m.Status == model.StatusFailed && m.LastError == "已由管理员取消"
	})
	time.Sleep(100 * time.Millisecond) // a Resync's round would send it now, were it queued again
	if got := ch.count("held"); got != 2 {
		t.Fatalf("the cancelled message was sent after all (%d sends)", got)
	}
}
