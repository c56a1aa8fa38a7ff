package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"botgate/app/channel"
	"botgate/app/outbox"
	"botgate/model"
	"botgate/storage"
)

func openDB(tb testing.TB) *storage.DB {
	tb.Helper()
	db, err := storage.Open(context.Background(), filepath.Join(tb.TempDir(), "state.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// fakeChannel records deliveries and fails while told to.
type fakeChannel struct {
	mu        sync.Mutex
	got       []channel.Message
	failWith  error
	failUntil time.Time
}

var _ channel.Channel = (*fakeChannel)(nil)

func (f *fakeChannel) Send(ctx context.Context, m channel.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failWith != nil && time.Now().Before(f.failUntil) {
		return f.failWith
	}
	f.got = append(f.got, m)
	return nil
}

func (f *fakeChannel) delivered() []channel.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]channel.Message(nil), f.got...)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// run starts a queue and dispatcher over db and ch; the returned stop waits for both.
func run(t *testing.T, db *storage.DB, ch channel.Channel, cfg outbox.Config) (*outbox.Queue, func()) {
	t.Helper()
	cfg.Log = quiet()
	d := outbox.NewDispatcher(db, func(name string) (outbox.Route, error) {
		if name != "qq" {
			return outbox.Route{}, channel.Transientf(nil, "no channel %s", name)
		}
		return outbox.Route{Channel: ch}, nil
	}, cfg)
	q := outbox.NewQueue(db, d.Handoff)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	return q, func() { q.Close(); cancel(); <-done }
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestOutage_NothingLost_OrderPerRecipientKept_BackoffVisible(t *testing.T) {
	db := openDB(t)
	ch := &fakeChannel{failWith: channel.Transientf(errors.New("503"), "平台暂时不可用"), failUntil: time.Now().Add(400 * time.Millisecond)}
	q, stop := run(t, db, ch, outbox.Config{BackoffBase: 20 * time.Millisecond, BackoffMax: 80 * time.Millisecond})
	defer stop()
	recipients := []string{"1001", "1002", "1003"}
	var ids []int64
	for i := 0; i < 30; i++ {
		to := recipients[i%len(recipients)]
		e, err := q.Add(context.Background(), model.NewMessage{Channel: "qq", TargetKind: channel.Private, Target: to, Content: fmt.Sprintf("%s-%02d", to, i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	waitFor(t, "all 30 delivered", func() bool { return len(ch.delivered()) >= 30 })
	got := ch.delivered()
	if len(got) != 30 {
		t.Fatalf("delivered %d messages, want exactly 30", len(got))
	}
	last := map[string]int64{}
	for _, m := range got {
		if m.ID <= last[m.To] {
			t.Fatalf("recipient %s: message %d delivered after %d", m.To, m.ID, last[m.To])
		}
		last[m.To] = m.ID
	}
	// The first message of each recipient was attempted during the outage: its
	// attempts and last error show the backoff. Outcomes are recorded in
	// batches just after delivery, so wait for the record.
	var first model.Message
	waitFor(t, "the first delivery recorded", func() bool {
		var err error
		first, err = db.Message(context.Background(), ids[0])
		return err == nil && first.Status == model.StatusDelivered
	})
	if first.Attempts < 2 || first.LastError == "" {
		t.Fatalf("first message after outage: %+v", first)
	}
}

func TestPermanentFailure_FailsAtOnceAndDoesNotBlockOthers(t *testing.T) {
	db := openDB(t)
	ch := &fakeChannel{failWith: channel.Permanentf(nil, "接收者不存在"), failUntil: time.Now().Add(time.Hour)}
	q, stop := run(t, db, ch, outbox.Config{BackoffBase: 10 * time.Millisecond})
	defer stop()
	e, err := q.Add(context.Background(), model.NewMessage{Channel: "qq", TargetKind: channel.Private, Target: "1", Content: "x"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "failed", func() bool {
		m, _ := db.Message(context.Background(), e.ID)
		return m.Status == model.StatusFailed
	})
	m, _ := db.Message(context.Background(), e.ID)
	if m.Attempts != 1 || m.LastError != "接收者不存在" {
		t.Fatalf("permanent failure: %+v", m)
	}
}

// A list delivered to all but some refused ids is delivered, sent once,
// with the refused ids and why recorded (the status API's "invalid").
func TestPartialDelivery_DeliveredOnce_RefusedIDsRecorded(t *testing.T) {
	db := openDB(t)
	ch := &fakeChannel{failWith: &channel.PartlyDelivered{Invalid: []string{"ghost1", "ghost2"}, Msg: "这些 userId 不存在"}, failUntil: time.Now().Add(time.Hour)}
	q, stop := run(t, db, ch, outbox.Config{BackoffBase: 10 * time.Millisecond})
	defer stop()
	e, err := q.Add(context.Background(), model.NewMessage{Channel: "qq", TargetKind: channel.Private, Target: "u1|ghost1|ghost2", Content: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var m model.Message
	waitFor(t, "delivered", func() bool {
		m, _ = db.Message(context.Background(), e.ID)
		return m.Status == model.StatusDelivered
	})
	time.Sleep(50 * time.Millisecond)
	if m.Attempts != 1 || !reflect.DeepEqual(m.Invalid, []string{"ghost1", "ghost2"}) || m.LastError != "这些 userId 不存在（未送达：ghost1、ghost2）" || m.DeliveredAt.IsZero() {
		t.Fatalf("partly delivered message: %+v", m)
	}
	if m2, _ := db.Message(context.Background(), e.ID); m2.Attempts != 1 {
		t.Fatalf("sent again: %d attempts", m2.Attempts)
	}
}

func TestRetryWindow_EndsInFailedWithLastError(t *testing.T) {
	db := openDB(t)
	ch := &fakeChannel{failWith: channel.Transientf(errors.New("timeout"), "平台没有响应"), failUntil: time.Now().Add(time.Hour)}
	q, stop := run(t, db, ch, outbox.Config{BackoffBase: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond, RetryWindow: 150 * time.Millisecond})
	defer stop()
	e, _ := q.Add(context.Background(), model.NewMessage{Channel: "qq", TargetKind: channel.Group, Target: "9", Content: "x"})
	waitFor(t, "failed after window", func() bool {
		m, _ := db.Message(context.Background(), e.ID)
		return m.Status == model.StatusFailed
	})
	m, _ := db.Message(context.Background(), e.ID)
	if m.Attempts < 3 {
		t.Fatalf("only %d attempts before giving up", m.Attempts)
	}
	if want := "平台没有响应"; !contains(m.LastError, want) || !contains(m.LastError, "已重试") {
		t.Fatalf("last error %q", m.LastError)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestUnknownChannel_WaitsAndDeliversOnceItExists(t *testing.T) {
	db := openDB(t)
	ch := &fakeChannel{}
	q, stop := run(t, db, ch, outbox.Config{BackoffBase: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond})
	defer stop()
	e, _ := q.Add(context.Background(), model.NewMessage{Channel: "gone", TargetKind: channel.Private, Target: "1", Content: "x"})
	waitFor(t, "a failed attempt", func() bool {
		m, _ := db.Message(context.Background(), e.ID)
		return m.Attempts >= 2
	})
	m, _ := db.Message(context.Background(), e.ID)
	if m.Status == model.StatusFailed || m.Status == model.StatusDelivered {
		t.Fatalf("message to a missing channel must wait, got %s", m.Status)
	}
}

func TestRestart_ResumesQueuedMessagesInOrder(t *testing.T) {
	db := openDB(t)
	res, err := db.Enqueue(context.Background(), []model.NewMessage{
		{Channel: "qq", TargetKind: channel.Private, Target: "1", Content: "a"},
		{Channel: "qq", TargetKind: channel.Private, Target: "1", Content: "b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// As if an earlier run had tried the first message and then stopped.
	if err := db.RecordOutcomes(context.Background(), []storage.Outcome{{ID: res[0].ID, Status: model.StatusQueued, LastError: "平台没有响应", NextAttemptAt: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	ch := &fakeChannel{}
	_, stop := run(t, db, ch, outbox.Config{})
	defer stop()
	waitFor(t, "both delivered", func() bool { return len(ch.delivered()) == 2 })
	got := ch.delivered()
	if got[0].Content != "a" || got[1].Content != "b" {
		t.Fatalf("order after restart: %q then %q", got[0].Content, got[1].Content)
	}
}

func TestIdempotencyKey_ReturnsTheFirstMessage(t *testing.T) {
	db := openDB(t)
	q, stop := run(t, db, &fakeChannel{}, outbox.Config{})
	defer stop()
	m := model.NewMessage{Channel: "qq", TargetKind: channel.Private, Target: "1", Content: "x", APIUser: "erp", IdemKey: "order-17"}
	a, err := q.Add(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	b, err := q.Add(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if a.Existing || !b.Existing || a.ID != b.ID {
		t.Fatalf("first %+v second %+v", a, b)
	}
	// The same key from another API user is another message.
	m.APIUser = "other"
	c, _ := q.Add(context.Background(), m)
	if c.Existing || c.ID == a.ID {
		t.Fatalf("other user's key collided: %+v", c)
	}
}

func TestBackoff_DoublesWithJitterAndCaps(t *testing.T) {
	tests := []struct {
		attempts int
		u        float64
		want     time.Duration
	}{
		{1, 0, 1 * time.Second},
		{1, 0.999999, 2 * time.Second},
		{2, 0, 2 * time.Second},
		{3, 0.5, 6 * time.Second},
		{20, 0, 30 * time.Second},
		{20, 0.999999, time.Minute},
	}
	for _, tc := range tests {
		got := outbox.Backoff(2*time.Second, time.Minute, tc.attempts, tc.u)
		if d := got - tc.want; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("Backoff(attempt %d, u=%v) = %s, want %s", tc.attempts, tc.u, got, tc.want)
		}
	}
}

// BenchmarkQueueAdd measures durable enqueues with 32 concurrent senders (group commit).
func BenchmarkQueueAdd(b *testing.B) {
	db := openDB(b)
	q := outbox.NewQueue(db, nil)
	defer q.Close()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := q.Add(context.Background(), model.NewMessage{Channel: "qq", TargetKind: "private", Target: "1", Content: "bench"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
