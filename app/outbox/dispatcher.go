package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"botgate/app/channel"
	"botgate/storage"
)

// Store is the part of the state database the dispatcher needs.
type Store interface {
	PendingMessages(ctx context.Context, afterID int64, limit int) ([]storage.Message, error)
	RecordOutcomes(ctx context.Context, outs []storage.Outcome) error
}

// Limiter paces sends on one channel.
type Limiter interface {
	Wait(ctx context.Context) error
}

// Route is what a channel name resolves to.
type Route struct {
	Channel channel.Channel
	Limiter Limiter // nil: unlimited
}

// Resolver finds the connector for a channel name; an error (Chinese) means the
// channel is missing or disabled, and the message waits and retries.
type Resolver func(name string) (Route, error)

// Config tunes retries; zero values get the defaults.
type Config struct {
	BackoffBase time.Duration // first retry delay (default 2s)
	BackoffMax  time.Duration // longest delay (default 5 min)
	RetryWindow time.Duration // after this long since queueing, give up (default 24h)
	SendTimeout time.Duration // one attempt (default 30s)
	MaxInFlight int           // concurrent attempts (default 64)
	Now         func() time.Time
	Log         *slog.Logger
}

func (c *Config) defaults() {
	if c.BackoffBase <= 0 {
		c.BackoffBase = 2 * time.Second
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = 5 * time.Minute
	}
	if c.RetryWindow <= 0 {
		c.RetryWindow = 24 * time.Hour
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = 30 * time.Second
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 64
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
}

// Dispatcher delivers queued messages. Only the oldest undelivered message of
// each recipient is ever attempted, so messages to one person or group arrive
// in the order they were queued, even across retries and restarts.
type Dispatcher struct {
	store    Store
	resolve  Resolver
	cfg      Config
	wake     chan struct{}
	results  chan storage.Outcome
	inflight map[int64]string // id -> recipient key; owned by Run
	busy     map[string]bool  // recipient keys with an attempt in flight; owned by Run
	wg       sync.WaitGroup

	// sending mirrors inflight for readers outside Run (the status API shows
	// "sending" without a database write per attempt).
	mu      sync.Mutex
	sending map[int64]bool
}

// NewDispatcher builds a dispatcher; Run starts it.
func NewDispatcher(store Store, resolve Resolver, cfg Config) *Dispatcher {
	cfg.defaults()
	return &Dispatcher{
		store: store, resolve: resolve, cfg: cfg,
		wake:     make(chan struct{}, 1),
		results:  make(chan storage.Outcome, cfg.MaxInFlight),
		inflight: map[int64]string{},
		busy:     map[string]bool{},
		sending:  map[int64]bool{},
	}
}

// Sending tells whether an attempt to deliver message id is in flight now.
func (d *Dispatcher) Sending(id int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sending[id]
}

// Wake asks the dispatcher to look for work now (after an enqueue, a retry click...).
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is cancelled, then waits for attempts in flight (they
// are cancelled too). Rows of cancelled attempts stay "sending" and are resumed
// by the next Run, which treats them as pending.
func (d *Dispatcher) Run(ctx context.Context) {
	d.inflight, d.busy = map[int64]string{}, map[string]bool{}
	d.mu.Lock()
	d.sending = map[int64]bool{}
	d.mu.Unlock()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		next := d.fill(ctx)
		wait := time.Second
		if !next.IsZero() {
			if w := next.Sub(d.cfg.Now()); w < wait {
				wait = max(w, 10*time.Millisecond)
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			d.drain()
			return
		case <-d.wake:
		case <-timer.C:
		case o := <-d.results:
			d.record(ctx, o)
		}
	}
}

// drain waits for attempts in flight and records what finished.
func (d *Dispatcher) drain() {
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	var outs []storage.Outcome
	for {
		select {
		case o := <-d.results:
			outs = append(outs, o)
		case <-done:
			for {
				select {
				case o := <-d.results:
					outs = append(outs, o)
				default:
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					if err := d.store.RecordOutcomes(ctx, outs); err != nil {
						d.cfg.Log.Error("outbox: recording results at shutdown failed", "err", err)
					}
					cancel()
					return
				}
			}
		}
	}
}

// record stores o and whatever other results are ready, in one transaction.
func (d *Dispatcher) record(ctx context.Context, o storage.Outcome) {
	outs := []storage.Outcome{o}
	for more := true; more; {
		select {
		case o := <-d.results:
			outs = append(outs, o)
		default:
			more = false
		}
	}
	if err := d.store.RecordOutcomes(context.WithoutCancel(ctx), outs); err != nil {
		d.cfg.Log.Error("outbox: recording results failed; they will be retried", "err", err)
	}
	d.mu.Lock()
	for _, o := range outs {
		delete(d.busy, d.inflight[o.ID])
		delete(d.inflight, o.ID)
		delete(d.sending, o.ID)
	}
	d.mu.Unlock()
}

func recipient(m storage.Message) string {
	return m.Channel + "\x00" + m.TargetKind + "\x00" + m.Target
}

// fill starts attempts for due messages and returns when the next not-yet-due
// message falls due (zero if none).
func (d *Dispatcher) fill(ctx context.Context) time.Time {
	free := d.cfg.MaxInFlight - len(d.inflight)
	if free <= 0 || ctx.Err() != nil {
		return time.Time{}
	}
	now := d.cfg.Now()
	seen := map[string]bool{}
	var due []storage.Message
	var next time.Time
	var after int64
	// Scan a bounded number of pending rows per round; a huge backlog for one
	// recipient must not make every round read the whole table.
	for scanned := 0; scanned < 5000 && len(due) < free; {
		page, err := d.store.PendingMessages(ctx, after, 500)
		if err != nil {
			if ctx.Err() == nil {
				d.cfg.Log.Error("outbox: reading pending messages failed", "err", err)
			}
			return time.Time{}
		}
		for _, m := range page {
			after = m.ID
			key := recipient(m)
			if seen[key] {
				continue // an older message to the same recipient goes first
			}
			seen[key] = true
			if _, ok := d.inflight[m.ID]; ok || d.busy[key] {
				continue
			}
			if m.NextAttemptAt.After(now) {
				if next.IsZero() || m.NextAttemptAt.Before(next) {
					next = m.NextAttemptAt
				}
				continue
			}
			due = append(due, m)
			if len(due) >= free {
				break
			}
		}
		scanned += len(page)
		if len(page) < 500 {
			break
		}
	}
	if len(due) == 0 {
		return next
	}
	d.mu.Lock()
	for _, m := range due {
		m.Attempts++ // this attempt; RecordOutcomes counts it in the table
		key := recipient(m)
		d.inflight[m.ID] = key
		d.busy[key] = true
		d.sending[m.ID] = true
		d.wg.Add(1)
		go d.attempt(ctx, m)
	}
	d.mu.Unlock()
	return next
}

func (d *Dispatcher) attempt(ctx context.Context, m storage.Message) {
	defer d.wg.Done()
	err := d.send(ctx, m)
	o := storage.Outcome{ID: m.ID, Status: storage.StatusDelivered, NextAttemptAt: m.NextAttemptAt}
	if err != nil {
		if ctx.Err() != nil {
			// Shutting down: the attempt was cut short, not refused. Leave it for the next start.
			o = storage.Outcome{ID: m.ID, Status: storage.StatusQueued, LastError: "服务停止时发送被中断，将在重新启动后继续", NextAttemptAt: d.cfg.Now()}
		} else {
			o = d.failure(m, err)
		}
	}
	d.results <- o
}

func (d *Dispatcher) send(ctx context.Context, m storage.Message) error {
	route, err := d.resolve(m.Channel)
	if err != nil {
		return err
	}
	if route.Limiter != nil {
		if err := route.Limiter.Wait(ctx); err != nil {
			return err
		}
	}
	actx, cancel := context.WithTimeout(ctx, d.cfg.SendTimeout)
	defer cancel()
	return route.Channel.Send(actx, channel.Message{ID: m.ID, Kind: m.TargetKind, To: m.Target, Content: m.Content})
}

// failure decides between a retry later and a final failure.
func (d *Dispatcher) failure(m storage.Message, err error) storage.Outcome {
	now := d.cfg.Now()
	text := channel.Describe(err)
	if channel.IsPermanent(err) {
		d.cfg.Log.Warn("outbox: message failed permanently", "id", m.ID, "channel", m.Channel, "err", text)
		return storage.Outcome{ID: m.ID, Status: storage.StatusFailed, LastError: text, NextAttemptAt: now}
	}
	retry := now.Add(Backoff(d.cfg.BackoffBase, d.cfg.BackoffMax, m.Attempts, rand.Float64()))
	if retry.Sub(m.CreatedAt) > d.cfg.RetryWindow {
		d.cfg.Log.Warn("outbox: message failed after retry window", "id", m.ID, "attempts", m.Attempts, "err", text)
		return storage.Outcome{ID: m.ID, Status: storage.StatusFailed, LastError: fmt.Sprintf("已重试 %d 次仍失败：%s", m.Attempts, text), NextAttemptAt: now}
	}
	d.cfg.Log.Info("outbox: attempt failed, will retry", "id", m.ID, "attempts", m.Attempts, "retry_at", retry.Format(time.TimeOnly), "err", text)
	return storage.Outcome{ID: m.ID, Status: storage.StatusQueued, LastError: text, NextAttemptAt: retry}
}

// Backoff is the delay before retry number attempts (1-based): base doubled each
// time, capped, with "equal jitter" (half fixed, half random, u in [0,1)) so a
// recovering platform is not hit by every queued message at once.
func Backoff(base, maxDelay time.Duration, attempts int, u float64) time.Duration {
	d := base
	for i := 1; i < attempts && d < maxDelay; i++ {
		d *= 2
	}
	d = min(d, maxDelay)
	return d/2 + time.Duration(u*float64(d/2))
}
