package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"botgate/app/channel"
	"botgate/model"
	"botgate/storage"
)

// Store is the part of the state database the dispatcher needs.
type Store interface {
	PendingMessages(ctx context.Context, afterID int64, limit int) ([]model.Message, error)
	RecordOutcomes(ctx context.Context, outs []storage.Outcome) error
	Attachments(ctx context.Context, id int64) ([]model.Attachment, error)
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
	StopGrace   time.Duration // at stop, how long sends in flight may take to finish (default 5s)
	MaxInFlight int           // recipients served at once (default 64)
	Batch       int           // messages one recipient's worker takes per round (default 50)
	Gather      time.Duration // wait after a wake-up to batch work (default 5ms)
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
	if c.StopGrace <= 0 {
		c.StopGrace = 5 * time.Second
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 64
	}
	if c.Batch <= 0 {
		c.Batch = 50
	}
	if c.Gather <= 0 {
		c.Gather = 5 * time.Millisecond
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
}

// Dispatcher delivers queued messages. Each recipient is served by at most
// one worker at a time, which takes the recipient's oldest undelivered
// messages in order and stops at the first failure: messages to one person or
// group arrive in the order they were queued, even across retries and restarts.
type Dispatcher struct {
	store    Store
	resolve  Resolver
	cfg      Config
	wake     chan struct{}
	results  chan result
	inflight map[int64]string // id -> recipient key; owned by Run
	busy     map[string]int   // recipient key -> messages in flight; owned by Run
	wg       sync.WaitGroup
	heavy    chan struct{} // a slot per send holding attachment bytes

	// sending mirrors inflight for readers outside Run (the status API shows
	// "sending" without a database write per attempt).
	mu      sync.Mutex
	sending map[int64]bool
}

// result is what a worker reports: one attempt's outcome, and/or messages it
// hands back untried (after a failure earlier in its batch).
type result struct {
	out     *storage.Outcome
	release []int64
}

// NewDispatcher builds a dispatcher; Run starts it.
func NewDispatcher(store Store, resolve Resolver, cfg Config) *Dispatcher {
	cfg.defaults()
	return &Dispatcher{
		store: store, resolve: resolve, cfg: cfg,
		wake:     make(chan struct{}, 1),
		results:  make(chan result, cfg.MaxInFlight),
		inflight: map[int64]string{},
		busy:     map[string]int{},
		sending:  map[int64]bool{},
		heavy:    make(chan struct{}, maxAttachmentSends),
	}
}

// Sending tells whether message id is with a worker now.
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

// UnknownAtStop is the last error of a message whose send was still
// unanswered when the stop grace ran out: the platform may or may not have
// taken it, so it stays queued and is sent again at the next start.
const UnknownAtStop = "停止服务时发送未完成，结果未知；重启后会重试，对方可能收到两次"

// Run delivers until ctx is cancelled. Then it starts no new send, gives
// the sends in flight up to StopGrace to finish, records their outcomes and
// returns: a clean stop sends nothing twice. A send that outlives the grace
// is cancelled and stays queued, noted UnknownAtStop.
func (d *Dispatcher) Run(ctx context.Context) {
	d.inflight, d.busy = map[int64]string{}, map[string]int{}
	d.mu.Lock()
	d.sending = map[int64]bool{}
	d.mu.Unlock()
	// Sends run on their own context: cancelling one mid-request leaves its
	// outcome unknown, so it is cancelled only when the grace runs out.
	sends, cancelSends := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelSends()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		next := d.fill(ctx, sends)
		wait := time.Second
		if !next.IsZero() {
			if w := next.Sub(d.cfg.Now()); w < wait {
				wait = max(w, 10*time.Millisecond)
			}
		}
		timer.Reset(wait)
		var rs []result
		select {
		case <-ctx.Done():
			d.drain(nil, cancelSends)
			return
		case <-d.wake:
		case <-timer.C:
		case r := <-d.results:
			rs = append(rs, r)
		}
		// Gather: let more sends and results arrive for a moment, so that one
		// read and one write serve many messages instead of one each; under
		// load this keeps the dispatcher off the single writer connection that
		// every acknowledged send needs.
		gather := time.NewTimer(d.cfg.Gather)
	collect:
		for {
			select {
			case <-ctx.Done():
				gather.Stop()
				d.drain(rs, cancelSends)
				return
			case <-d.wake:
			case r := <-d.results:
				rs = append(rs, r)
			case <-gather.C:
				break collect
			}
		}
		d.record(ctx, rs)
	}
}

// drain waits for the workers, which start no new send once Run's context
// is done, and records what they finished. Sends still running after
// StopGrace are cancelled (cancelSends) and report an unknown outcome.
func (d *Dispatcher) drain(rs []result, cancelSends context.CancelFunc) {
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	grace := time.NewTimer(d.cfg.StopGrace)
	defer grace.Stop()
	for {
		select {
		case r := <-d.results:
			rs = append(rs, r)
		case <-grace.C:
			d.cfg.Log.Warn("outbox: sends still unanswered at the end of the stop grace; cancelling them, they will be sent again at the next start", "grace", d.cfg.StopGrace)
			cancelSends()
		case <-done:
			d.record(context.Background(), rs)
			return
		}
	}
}

// record stores the outcomes in rs, and any other results ready, in one
// transaction, then forgets the messages they cover.
func (d *Dispatcher) record(ctx context.Context, rs []result) {
	for more := true; more; {
		select {
		case r := <-d.results:
			rs = append(rs, r)
		default:
			more = false
		}
	}
	if len(rs) == 0 {
		return
	}
	var outs []storage.Outcome
	for _, r := range rs {
		if r.out != nil {
			outs = append(outs, *r.out)
		}
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := d.store.RecordOutcomes(wctx, outs); err != nil {
		d.cfg.Log.Error("outbox: recording results failed; those messages will be sent again", "err", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	forget := func(id int64) {
		key, ok := d.inflight[id]
		if !ok {
			return
		}
		delete(d.inflight, id)
		delete(d.sending, id)
		if d.busy[key]--; d.busy[key] <= 0 {
			delete(d.busy, key)
		}
	}
	for _, r := range rs {
		if r.out != nil {
			forget(r.out.ID)
		}
		for _, id := range r.release {
			forget(id)
		}
	}
}

func recipient(m model.Message) string {
	return m.Channel + "\x00" + m.TargetKind + "\x00" + m.Target
}

// fill hands due recipients to workers and returns when the next
// not-yet-due message falls due (zero if none). Workers stop starting sends
// when ctx is done; their sends run on the sends context.
func (d *Dispatcher) fill(ctx, sends context.Context) time.Time {
	free := d.cfg.MaxInFlight - len(d.busy)
	if free <= 0 || ctx.Err() != nil {
		return time.Time{}
	}
	now := d.cfg.Now()
	state := map[string]int{} // recipient -> 0 blocked, else index+1 into batches
	var batches [][]model.Message
	var next time.Time
	var after int64
	// Scan a bounded number of pending rows per round; a huge backlog for one
	// recipient must not make every round read the whole table.
	for scanned := 0; scanned < 5000; {
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
			if k, seen := state[key]; seen {
				// A later message of a recipient already handed out joins its batch.
				if k > 0 && len(batches[k-1]) < d.cfg.Batch {
					batches[k-1] = append(batches[k-1], m)
				}
				continue
			}
			state[key] = 0
			if _, ok := d.inflight[m.ID]; ok || d.busy[key] > 0 {
				continue
			}
			if m.NextAttemptAt.After(now) {
				if next.IsZero() || m.NextAttemptAt.Before(next) {
					next = m.NextAttemptAt
				}
				continue
			}
			if len(batches) < free {
				batches = append(batches, []model.Message{m})
				state[key] = len(batches)
			}
		}
		scanned += len(page)
		if len(page) < 500 {
			break
		}
	}
	d.mu.Lock()
	for _, b := range batches {
		key := recipient(b[0])
		for _, m := range b {
			d.inflight[m.ID] = key
			d.sending[m.ID] = true
		}
		d.busy[key] = len(b)
		d.wg.Add(1)
		go d.work(ctx, sends, b)
	}
	d.mu.Unlock()
	return next
}

// work delivers one recipient's batch in order, reporting each outcome as it
// happens; at the first failure, or at a stop (ctx done), it hands the rest
// back untried.
func (d *Dispatcher) work(ctx, sends context.Context, batch []model.Message) {
	defer d.wg.Done()
	for i, m := range batch {
		o, tried := d.attempt(ctx, sends, m)
		if tried && (o.Status == model.StatusDelivered || o.Status == model.StatusFailed) {
			d.results <- result{out: &o}
			continue
		}
		var r result
		rest := batch[i:] // not tried: m goes back with the rest
		if tried {
			r.out, rest = &o, batch[i+1:]
		}
		for _, b := range rest {
			r.release = append(r.release, b.ID)
		}
		d.results <- r
		return
	}
}

// attempt sends m once. tried is false when a stop came before the send
// began: m is left as it was, to be sent at the next start. Sends run on
// sends, which a stop cancels only once the grace is over.
func (d *Dispatcher) attempt(ctx, sends context.Context, m model.Message) (o storage.Outcome, tried bool) {
	if ctx.Err() != nil {
		return o, false
	}
	m.Attempts++ // this attempt; RecordOutcomes counts it in the table
	route, err := d.resolve(m.Channel)
	if err != nil {
		return d.failure(m, err), true
	}
	if route.Limiter != nil {
		// Waiting for the rate limit is not sending yet: a stop ends it at once.
		if err := route.Limiter.Wait(ctx); err != nil {
			if ctx.Err() != nil {
				return o, false
			}
			return d.failure(m, err), true
		}
	}
	msg, release, err := d.load(ctx, m)
	defer release()
	if err != nil {
		if ctx.Err() != nil {
			return o, false
		}
		return d.failure(m, err), true
	}
	actx, cancel := context.WithTimeout(sends, d.cfg.SendTimeout)
	defer cancel()
	err = route.Channel.Send(actx, msg)
	if invalid, ok := channel.Delivered(err); ok {
		o := storage.Outcome{ID: m.ID, Status: model.StatusDelivered, NextAttemptAt: m.NextAttemptAt, Invalid: invalid}
		if len(invalid) > 0 {
			// The others have it: delivered, never retried (that would repeat
			// it); last_error keeps why the rest were refused.
			d.cfg.Log.Warn("outbox: delivered, but the platform refused some recipients", "id", m.ID, "channel", m.Channel, "invalid", invalid, "err", err)
			o.LastError = err.Error()
		}
		return o, true
	}
	switch {
	case sends.Err() != nil:
		// The stop grace ran out mid-send: the platform may have taken it.
		// Keep it queued (at least once) and say so.
		return storage.Outcome{ID: m.ID, Status: model.StatusQueued, LastError: UnknownAtStop, NextAttemptAt: d.cfg.Now()}, true
	}
	return d.failure(m, err), true
}

// failure decides between a retry later and a final failure.
func (d *Dispatcher) failure(m model.Message, err error) storage.Outcome {
	now := d.cfg.Now()
	text := channel.Describe(err)
	if channel.IsPermanent(err) {
		d.cfg.Log.Warn("outbox: message failed permanently", "id", m.ID, "channel", m.Channel, "err", text)
		return storage.Outcome{ID: m.ID, Status: model.StatusFailed, LastError: text, NextAttemptAt: now}
	}
	retry := now.Add(Backoff(d.cfg.BackoffBase, d.cfg.BackoffMax, m.Attempts, rand.Float64()))
	if retry.Sub(m.CreatedAt) > d.cfg.RetryWindow {
		d.cfg.Log.Warn("outbox: message failed after retry window", "id", m.ID, "attempts", m.Attempts, "err", text)
		return storage.Outcome{ID: m.ID, Status: model.StatusFailed, LastError: fmt.Sprintf("已重试 %d 次仍失败：%s", m.Attempts, text), NextAttemptAt: now}
	}
	d.cfg.Log.Info("outbox: attempt failed, will retry", "id", m.ID, "attempts", m.Attempts, "retry_at", retry.Format(time.TimeOnly), "err", text)
	return storage.Outcome{ID: m.ID, Status: model.StatusQueued, LastError: text, NextAttemptAt: retry}
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
