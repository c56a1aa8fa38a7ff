package chat

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"botgate/app/channel"
	"botgate/internal/text"
	"botgate/model"
)

// Answerer answers chat messages for one running server. It holds the
// per-sender rate limits, the message ids answered lately and the late
// answers still being computed. It implements channel.Answerer.
type Answerer struct {
	d   Deps
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	senders map[string]*senderState

	recent *recentIDs // message ids answered lately, per channel

	wg      sync.WaitGroup // late answers on their way to the outbox
	pending atomic.Int64   // how many, for the stop's log line

	// gate orders the log and outbox writes before Shutdown: each write
	// holds it for reading; Shutdown takes it to set closed, after which
	// nothing is written (the database may be closed by then).
	gate   sync.RWMutex
	closed bool
}

var _ channel.Answerer = (*Answerer)(nil)

type senderState struct {
	lim    *rate.Limiter
	seen   time.Time
	warned bool // the "too often" notice went out; stay silent until allowed again
}

// New returns an answerer over d's templates, outbox and log.
func New(d Deps, cfg Config) *Answerer {
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	return &Answerer{d: d, cfg: cfg.withDefaults(), log: log, senders: map[string]*senderState{}, recent: newRecentIDs(dedupeSize, DedupeTTL)}
}

// Wait blocks until every late answer has been queued or given up on.
func (c *Answerer) Wait() { c.wg.Wait() }

// Shutdown waits, until ctx ends, for the late answers still being computed
// to be queued, then closes the answerer: from then on nothing is written to
// the outbox or the inbound log, so the caller may close the queue and the
// database. A late answer that is ready only after that is logged as not sent.
// The server calls it after the HTTP server and the listeners stopped (no new
// question comes) and before it closes the queue.
func (c *Answerer) Shutdown(ctx context.Context) {
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		c.log.Warn("stopping while chat answers are still being computed; they will not be sent", "pending", c.pending.Load())
	}
	c.gate.Lock()
	c.closed = true
	c.gate.Unlock()
}

// Answer implements channel.Answerer for webhooks and listeners.
func (c *Answerer) Answer(ctx context.Context, in channel.Incoming) channel.Answer {
	r := c.Handle(ctx, in)
	return channel.Answer{Reply: r.Reply, Keyword: r.Keyword, Duplicate: r.Duplicate}
}

// Handle answers one chat message. It never fails: problems become the
// reply (or silence) and a row in the inbound log. A message whose id the
// channel reported lately is answered once: the repeat gets silence.
func (c *Answerer) Handle(ctx context.Context, m channel.Incoming) Result {
	start := c.cfg.Now()
	if m.ID != "" && c.recent.seen(m.Channel, m.ID, start) {
		c.log.Info("duplicate incoming message ignored", "channel", m.Channel, "id", m.ID)
		return Result{Duplicate: true}
	}
	kw, args, rest, ok := Parse(m.Text, c.d.Settings.ChatPrefix())
	if !ok {
		return Result{}
	}
	t, ok := c.d.Settings.ChatTemplate(kw)
	if !ok {
		return Result{} // not a keyword: ordinary chatter, neither answered nor logged
	}
	in := model.Inbound{At: start, Channel: m.Channel, Sender: m.Sender, SenderName: m.SenderName, Group: m.Group, Keyword: kw, Text: strings.TrimSpace(m.Text)}
	if !t.Chat {
		// A keyword for the ERP only. Silence: a chat reply would tell the
		// group the keyword exists, and nobody asked the bot for it.
		in.Outcome, in.Detail = NotChat, fmt.Sprintf("模板“%s”没有勾选“聊天可用”，聊天中不回复；需要时请在“交互查询”中勾选", kw)
		c.record(in, start)
		return Result{Keyword: kw, Outcome: NotChat}
	}
	if allowed, notify := c.allow(m.Channel+"\x00"+m.Sender, start); !allowed {
		in.Outcome, in.Detail = Limited, fmt.Sprintf("超过每人每分钟 %d 次的查询限制", c.cfg.PerMinute)
		r := Result{Keyword: kw, Outcome: Limited}
		if notify {
			r.Reply = fmt.Sprintf("查询太频繁了，请稍等一会儿再发（每人每分钟最多 %d 次）", c.cfg.PerMinute)
			in.Via = ViaQuick
		}
		if m.ReplyLater && r.Reply != "" {
			c.gate.RLock()
			defer c.gate.RUnlock()
			if !c.closed {
				c.queue(ctx, m, &in, r.Reply, c.d.Settings.ReplyLimit(m.Channel))
				c.write(in, start)
			}
			return Result{Keyword: kw, Outcome: Limited}
		}
		c.record(in, start)
		return r
	}
	vars := model.Vars{"qq": m.Sender, "group": m.Group, "content": rest}
	vars.SetArgs(args)
	maxRunes := c.d.Settings.ReplyLimit(m.Channel)
	done := make(chan result, 1)
	// The query must not die with the platform's request: if the platform
	// hangs up, the answer still goes out through the outbox. The template's
	// own timeout bounds it.
	qctx := context.WithoutCancel(ctx)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				c.log.Error("panic while answering chat", "keyword", kw, "panic", p)
				done <- result{err: model.ErrorOf(fmt.Errorf("panic: %v", p))}
			}
		}()
		res, err := c.d.Runner.RunKeyword(qctx, model.Caller{Chat: true, Sender: m.Sender}, kw, vars)
		done <- result{res: res, err: err}
	}()
	if !m.ReplyLater {
		timer := time.NewTimer(c.cfg.QuickTimeout)
		defer timer.Stop()
		select {
		case r := <-done:
			reply := c.answer(&in, t, r, vars, maxRunes)
			if reply != "" {
				in.Via = ViaQuick
			}
			c.record(in, start)
			return Result{Reply: reply, Keyword: kw, Outcome: in.Outcome}
		case <-timer.C:
		case <-ctx.Done():
		}
	}
	c.wg.Add(1)
	c.pending.Add(1)
	go func() {
		defer c.wg.Done()
		defer c.pending.Add(-1)
		c.late(qctx, m, in, t, <-done, vars, maxRunes, start)
	}()
	return Result{Keyword: kw, Outcome: Pending}
}

type result struct {
	res *model.KeywordResult
	err error
}

// late sends an answer that missed the quick-reply window through the outbox,
// to the chat the question came from.
func (c *Answerer) late(ctx context.Context, m channel.Incoming, in model.Inbound, t model.Template, r result, vars model.Vars, maxRunes int, start time.Time) {
	reply := c.answer(&in, t, r, vars, maxRunes)
	c.gate.RLock()
	defer c.gate.RUnlock()
	if c.closed {
		c.log.Warn("late chat answer not sent: the server stopped before it was ready", "channel", m.Channel, "keyword", in.Keyword, "sender", m.Sender)
		return
	}
	if reply != "" {
		c.queue(ctx, m, &in, reply, maxRunes)
	}
	c.write(in, start)
}

// queue sends reply through the outbox to the chat m came from and notes
// how in the log row; the caller holds gate for reading and checked closed.
func (c *Answerer) queue(ctx context.Context, m channel.Incoming, in *model.Inbound, reply string, maxRunes int) {
	qq, group := m.ReplyQQ, m.ReplyGroup
	if qq == "" {
		qq = m.Sender
	}
	if group == "" {
		group = m.Group
	}
	if m.Group != "" {
		// The quick reply would have @-mentioned the sender; a plain send
		// cannot, so say whom the answer is for.
		who := m.SenderName
		if who == "" {
			who = m.Sender
		}
		reply = text.Cap("@"+who+" "+reply, maxRunes)
	}
	e, err := c.d.Outbox.QueueReply(ctx, model.Caller{Chat: true, Sender: m.Sender}, LateReply{Channel: m.Channel, QQ: qq, Group: group, Content: reply})
	if err != nil {
		what := "回复超时后改用通道发送"
		if m.ReplyLater {
			what = "该平台的回复要通过通道发送"
		}
		in.Outcome, in.Detail = Failed, what+"，但未能保存："+model.ErrorOf(err).Msg
		c.log.Warn("chat answer not queued", "channel", m.Channel, "keyword", in.Keyword, "err", err)
	} else {
		in.Via, in.MsgID = ViaOutbox, e.ID
	}
}

// answer turns a template's outcome into chat text and fills the log row.
func (c *Answerer) answer(in *model.Inbound, t model.Template, r result, vars model.Vars, maxRunes int) string {
	if r.err != nil {
		e := model.ErrorOf(r.err)
		switch e.Code {
		case model.CodeForbidden:
			in.Outcome, in.Detail = Refused, "发送者不在模板的 users 名单中（或模板只允许某些角色的 API 用户）"
			return model.MsgForbidden
		case model.CodeNoKeyword:
			// Removed or disabled between lookup and run: behave as if unknown.
			in.Outcome, in.Detail = Failed, e.Msg
			return ""
		}
		if e.Code == model.CodeInternal {
			c.log.Error("chat answer failed", "keyword", t.Keyword, "err", r.err)
		}
		in.Outcome, in.Detail = Failed, e.Msg
		return e.Msg
	}
	in.Outcome = Answered
	res := r.res
	switch res.Kind {
	case model.KindInsert, model.KindUpdate:
		in.Rows = res.Affected
		return formatAffected(t.Keyword, t.Kind, t.Reply, res.Affected, vars, maxRunes)
	}
	in.Rows = int64(len(res.Rows))
	maxRows := c.cfg.MaxRows
	if t.MaxRows > 0 && t.MaxRows < maxRows {
		maxRows = t.MaxRows
	}
	return FormatRows(t.Keyword, t.Reply, res, vars, maxRows, maxRunes)
}

// allow applies the per-sender rate limit. notify is true the first time a
// sender is held back, so they hear why once instead of at every message.
func (c *Answerer) allow(key string, now time.Time) (allowed, notify bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.senders[key]
	if s == nil {
		if len(c.senders) >= 10000 {
			c.sweep(now)
		}
		s = &senderState{lim: rate.NewLimiter(rate.Limit(float64(c.cfg.PerMinute)/60), c.cfg.Burst)}
		c.senders[key] = s
	}
	s.seen = now
	if s.lim.AllowN(now, 1) {
		s.warned = false
		return true, false
	}
	if s.warned {
		return false, false
	}
	s.warned = true
	return false, true
}

// sweep forgets senders idle long enough that their bucket is full again:
// a fresh limiter would behave the same, so memory stays bounded.
func (c *Answerer) sweep(now time.Time) {
	for k, s := range c.senders {
		if now.Sub(s.seen) > 10*time.Minute {
			delete(c.senders, k)
		}
	}
}

// record writes the inbound log row (the server prunes old ones hourly),
// unless the answerer was shut down.
func (c *Answerer) record(in model.Inbound, start time.Time) {
	c.gate.RLock()
	defer c.gate.RUnlock()
	if c.closed {
		c.log.Warn("chat log row not written: the server has stopped", "channel", in.Channel, "keyword", in.Keyword, "outcome", in.Outcome)
		return
	}
	c.write(in, start)
}

// write inserts the row; the caller holds gate for reading and checked closed.
func (c *Answerer) write(in model.Inbound, start time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	in.DurationUS = c.cfg.Now().Sub(start).Microseconds()
	if _, err := c.d.Inbound.InsertInbound(ctx, in); err != nil {
		c.log.Warn("writing inbound log failed", "err", err)
	}
}
