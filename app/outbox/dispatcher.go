package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"botgate/app/channel"
	"botgate/model"
	"botgate/storage"
)

// Store is the part of the state database the dispatcher needs.
type Store interface {
	PendingMessages(ctx context.Context, afterID int64, limit int) ([]model.Message, error)
	// NewestMessageID is the highest id the store has committed in this
	// process: the dispatcher skips asking for rows above it.
	NewestMessageID() int64
	PendingFor(ctx context.Context, channel, targetKind, target string, afterID, throughID int64, limit int) ([]model.Message, error)
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
	Batch       int           // messages one recipient's worker takes per round on a rate-limited channel (default 50); elsewhere all it holds
	Gather      time.Duration // how long results and sends gather between rounds (default 20ms)
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
		c.Gather = 20 * time.Millisecond
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
	inflight map[int64]model.Message // messages with a worker; owned by Run
	busy     map[string]int          // recipient key -> messages in flight; owned by Run
	chanBusy map[string]int          // channel -> recipients in flight; owned by Run
	pend     *pending                // the rest of what is owed a delivery; owned by Run
	resync   atomic.Bool             // the outbox changed under the dispatcher (Resync)
	wg       sync.WaitGroup
	heavy    chan struct{} // a slot per send holding attachment bytes

	// sending mirrors inflight for readers outside Run (the status API shows
	// "sending" without a database write per attempt).
	mu      sync.Mutex
	sending map[int64]slot
	// cancelled holds the messages with a worker that the admin cancelled
	// before their send began (Cancel), with the note the worker records
	// them failed with instead; cancels counts them, so that a worker
	// looks (and locks mu) only when there is one.
	cancelled map[int64]string
	cancels   atomic.Int32

	handMu sync.Mutex
	handed []model.Message // committed rows the queue handed over, not yet in pend
	// seen is the highest id the dispatcher ever had in pend (its cursor
	// before any resync); owned by Run. A handed row at or below it was
	// read from the table before its hand-over came, and may be delivered
	// by now: it is not taken again, even after a resync lowered the cursor.
	seen int64
	// lastRead is when fill last read the table for new rows; owned by Run.
	lastRead time.Time
}

// rereadEvery is how often the dispatcher reads the table for new rows even
// when every row it knows of was handed over: a safety net should a row
// come some other way than this process's store (NewestMessageID).
const rereadEvery = time.Second

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
		wake:      make(chan struct{}, 1),
		results:   make(chan result, resultsBuffer),
		inflight:  map[int64]model.Message{},
		busy:      map[string]int{},
		sending:   map[int64]slot{},
		cancelled: map[int64]string{},
		heavy:     make(chan struct{}, maxAttachmentSends),
	}
}

// slot is where a message with a worker sits in its batch: next is how
// far the worker has gone (the send of message i begins once next > i).
type slot struct {
	next *atomic.Int32
	i    int32
}

// Cancel keeps message id from being sent when a worker holds it but has
// not begun its send: the worker records it failed, with note, instead. It
// reports false when the send has begun (it cannot be called back). A
// message no worker holds is the table's to cancel (storage's
// CancelMessage, then Resync). A worker's batch can hold hundreds of one
// recipient's messages: without this, one cancelled in the table was sent
// anyway, and marked delivered.
func (d *Dispatcher) Cancel(id int64, note string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	at, ok := d.sending[id]
	if !ok {
		return true
	}
	// Counted first, then the worker's progress read; the worker moves on
	// first, then reads the count (begin): one of the two sees the other.
	d.cancelled[id] = note
	d.cancels.Add(1)
	if at.next.Load() > at.i {
		d.takeCancel(id)
		return false
	}
	return true
}

// takeCancel removes id's cancel, if it has one, and returns its note.
// The caller holds mu.
func (d *Dispatcher) takeCancel(id int64) (note string, ok bool) {
	if note, ok = d.cancelled[id]; ok {
		delete(d.cancelled, id)
		d.cancels.Add(-1)
	}
	return note, ok
}

// begin moves the worker on to message i of its batch, whose send then
// begins unless it was cancelled: it returns the note to record it failed
// with. Without a cancel anywhere it takes no lock.
func (d *Dispatcher) begin(next *atomic.Int32, i int32, id int64) (note string, cancelled bool) {
	next.Store(i + 1)
	if d.cancels.Load() == 0 {
		return "", false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.takeCancel(id)
}

// Sending tells whether message id is with a worker now.
func (d *Dispatcher) Sending(id int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.sending[id]
	return ok
}

// Wake asks the dispatcher to look for work now (after an enqueue, a retry click...).
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Handoff gives the dispatcher rows just committed, in id order, and wakes
// it: it takes them without reading them back from the database when they
// follow on from what it has read (no other writer's row came between),
// and otherwise reads them as it reads every row. Reading each new row back
// was a tenth of the server's CPU at one connection.
func (d *Dispatcher) Handoff(rows []model.Message) {
	d.handMu.Lock()
	if len(d.handed)+len(rows) > maxHeld {
		// The dispatcher is far behind: let it read these from the table.
		d.handed = nil
	} else {
		d.handed = append(d.handed, rows...)
	}
	d.handMu.Unlock()
	d.Wake()
}

func (d *Dispatcher) takeHanded() []model.Message {
	d.handMu.Lock()
	defer d.handMu.Unlock()
	h := d.handed
	d.handed = nil
	return h
}

// Resync tells the dispatcher that queued messages changed outside it (a
// failed message queued again, a queued one cancelled, retry times brought
// forward): it reads the pending messages afresh from the database, then
// looks for work.
func (d *Dispatcher) Resync() {
	d.resync.Store(true)
	d.Wake()
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
	d.inflight, d.busy, d.chanBusy, d.pend = map[int64]model.Message{}, map[string]int{}, map[string]int{}, newPending()
	d.lastRead = time.Time{} // the first round reads the table
	// Rows handed over before this run may have been delivered since (by an
	// earlier run that read them first): the run reads the table afresh.
	d.takeHanded()
	d.mu.Lock()
	d.sending, d.cancelled = map[int64]slot{}, map[int64]string{}
	d.cancels.Store(0)
	d.mu.Unlock()
	// Sends run on their own context: cancelling one mid-request leaves its
	// outcome unknown, so it is cancelled only when the grace runs out.
	sends, cancelSends := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelSends()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		next, left := d.fill(ctx, sends)
		wait := time.Second
		if left {
			wait = d.cfg.Gather // rows are left to read: the next round comes soon
		} else if !next.IsZero() {
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
			// What came with the wake-up goes out now, not after the gather:
			// a send to an idle dispatcher is delivered at once.
			d.fill(ctx, sends)
		case <-timer.C:
			d.fill(ctx, sends)
		case r := <-d.results:
			rs = append(rs, r)
		}
		// Gather: let more sends and results arrive for a moment, so that one
		// read and one write serve many messages instead of one each; under
		// load this keeps the dispatcher off the single writer connection that
		// every acknowledged send needs (at one connection, rounds of 5 ms
		// rather than 20 cost a tenth of the send rate). Wake-ups and results
		// wait in their channels meanwhile (record takes every result ready):
		// taking each as it came woke this goroutine once per send, for
		// nothing.
		gather := time.NewTimer(d.cfg.Gather)
		select {
		case <-ctx.Done():
			gather.Stop()
			d.drain(rs, cancelSends)
			return
		case <-gather.C:
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
		// What is in memory no longer matches the table: read it again.
		d.resync.Store(true)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range rs {
		// A worker's last result for its batch hands back what it did not
		// finish: the message owed a retry and the untried rest, which go
		// back to the front of the recipient's queue in their order.
		var back []model.Message
		key, ch, n := "", "", 0
		take := func(id int64, o *storage.Outcome) {
			m, ok := d.inflight[id]
			if !ok {
				return
			}
			key, ch, n = recipient(m), m.Channel, n+1
			delete(d.inflight, id)
			delete(d.sending, id)
			d.takeCancel(id) // one that came too late for begin
			if o != nil {
				if o.Status != model.StatusQueued {
					return
				}
				m.Attempts++ // as RecordOutcomes counted it
				m.LastError, m.NextAttemptAt = o.LastError, o.NextAttemptAt
			}
			back = append(back, m)
		}
		if r.out != nil {
			take(r.out.ID, r.out)
		}
		for _, id := range r.release {
			take(id, nil)
		}
		if n == 0 {
			continue
		}
		d.pend.putBack(back)
		if d.busy[key] -= n; d.busy[key] <= 0 {
			delete(d.busy, key)
			if d.chanBusy[ch]--; d.chanBusy[ch] <= 0 {
				delete(d.chanBusy, ch)
			}
		}
		d.pend.drop(key, d.busy[key] > 0)
	}
}

// resultsBuffer holds the workers' results while the dispatcher gathers;
// a worker whose result does not fit waits until the round's record.
const resultsBuffer = 1024

// limitedInFlight is how many recipients of a rate-limited channel are
// served at once. Its sends wait for the channel's one limiter anyway, so
// more workers would not send faster; they would only hold slots of
// MaxInFlight while they wait, and a slow channel with a backlog for many
// recipients took all 64, so that no other channel sent anything.
const limitedInFlight = 4

func recipient(m model.Message) string {
	return m.Channel + "\x00" + m.TargetKind + "\x00" + m.Target
}

// fill reads the messages queued since the last round, hands due
// recipients to workers and returns when the next not-yet-due message falls
// due (zero if none), and whether rows are left to read. Workers stop
// starting sends when ctx is done; their sends run on the sends context.
func (d *Dispatcher) fill(ctx, sends context.Context) (next time.Time, left bool) {
	if ctx.Err() != nil {
		return time.Time{}, false
	}
	handed := d.takeHanded()
	if d.resync.Swap(false) {
		// The table changed under what the dispatcher holds, and under
		// what was handed over: both are read again.
		d.pend, handed = newPending(), nil
		d.lastRead = time.Time{}
	}
	withWorker := func(id int64) bool { _, ok := d.inflight[id]; return ok }
	d.pend.accept(handed, withWorker, d.seen)
	// Rows not handed over (a schedule's, a handed row that did not follow
	// on, all of them after a start or a resync) are read from the table.
	// When every row the store committed was handed over, there is nothing
	// to read: at one connection that read, one per send for nothing, was
	// 7% of the server's CPU.
	var err error
	if d.pend.cursor < d.store.NewestMessageID() || time.Since(d.lastRead) >= rereadEvery {
		d.lastRead = time.Now()
		left, err = d.pend.readNew(ctx, d.store, withWorker)
	}
	d.seen = max(d.seen, d.pend.cursor)
	if err != nil {
		if ctx.Err() == nil {
			d.cfg.Log.Error("outbox: reading pending messages failed", "err", err)
		}
		return time.Time{}, false
	}
	free := d.cfg.MaxInFlight - len(d.busy)
	now := d.cfg.Now()
	limited := map[string]bool{} // channel -> it has a rate limit (resolved once a round)
	for key, q := range d.pend.queues {
		if free <= 0 {
			break
		}
		if d.busy[key] > 0 {
			continue
		}
		lim, ok := limited[q.channel]
		if !ok {
			r, err := d.resolve(q.channel)
			lim = err == nil && r.Limiter != nil
			limited[q.channel] = lim
		}
		if lim && d.chanBusy[q.channel] >= limitedInFlight {
			continue
		}
		if len(q.msgs) == 0 && q.more {
			if err := d.pend.reload(ctx, d.store, key); err != nil {
				if ctx.Err() == nil {
					d.cfg.Log.Error("outbox: reading pending messages failed", "err", err)
				}
				continue
			}
		}
		if len(q.msgs) == 0 {
			d.pend.drop(key, false)
			continue
		}
		if due := q.msgs[0].NextAttemptAt; due.After(now) {
			if next.IsZero() || due.Before(next) {
				next = due
			}
			continue
		}
		n := d.cfg.Batch
		if !lim {
			// A channel without a rate limit takes all the recipient holds:
			// with Batch a round, one recipient's sends were capped at Batch
			// per gather (2500/s), below what one ERP connection sends, and
			// the backlog grew until it was read back from the table. A
			// paced channel keeps Batch: only limitedInFlight of its
			// recipients are served at once, and a short batch gives the
			// others their turn sooner (50 at 60/min is already a minute).
			n = max(n, len(q.msgs))
		}
		b := d.pend.take(key, n)
		next := new(atomic.Int32)
		d.mu.Lock()
		for i, m := range b {
			d.inflight[m.ID] = m
			d.sending[m.ID] = slot{next, int32(i)}
		}
		d.mu.Unlock()
		d.busy[key] = len(b)
		d.chanBusy[q.channel]++
		free--
		d.wg.Add(1)
		go d.work(ctx, sends, b, next)
	}
	return next, left
}

// work delivers one recipient's batch in order, reporting each outcome as it
// happens; at the first failure, or at a stop (ctx done), it hands the rest
// back untried.
func (d *Dispatcher) work(ctx, sends context.Context, batch []model.Message, next *atomic.Int32) {
	defer d.wg.Done()
	for i, m := range batch {
		if note, cancelled := d.begin(next, int32(i), m.ID); cancelled {
			d.results <- result{out: &storage.Outcome{ID: m.ID, Status: model.StatusFailed, LastError: note, NextAttemptAt: m.NextAttemptAt}}
			continue
		}
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
