// Package chat answers chat messages: chat → keyword → answer. A connector
// (a webhook or a listener) turns a platform's event into a channel.Incoming;
// the Answerer finds the keyword, checks who may ask, runs the template and
// formats the rows as chat text. The connector sends that text back the
// platform's way right away (a webhook's "quick reply"); when the query is
// slower than the platform would wait, the answer goes through the outbox
// instead.
//
// The package knows nothing of app: it declares the few things it consumes
// (Settings, Runner, Outbox, InboundLog) and app wires itself into them.
package chat

import (
	"context"
	"log/slog"
	"time"

	"botgate/model"
)

// Outcomes, stored in the inbound log.
const (
	Answered = "answered" // rows, "没有查到结果" or "已登记 N 条" went back
	Refused  = "refused"  // the sender may not use the template: the 5010 text went back
	NotChat  = "not_chat" // the template is not marked for chat: no reply
	Limited  = "limited"  // the sender asked too often
	Failed   = "failed"   // the query failed, or the late answer could not be queued
	Pending  = "pending"  // (only in Result) the answer will come through the outbox
)

// How an answer reached the chat.
const (
	ViaQuick  = "quick"  // in the connector's immediate reply
	ViaOutbox = "outbox" // as a normal send, after the quick-reply window passed
)

// Result is what Handle tells the connector, with what the inbound log needs.
type Result struct {
	Reply   string // the quick reply; empty = answer nothing
	Keyword string // empty for ordinary chatter
	Outcome string // empty for ordinary chatter
	// Duplicate is set when the message's id was answered already (a
	// platform's retry, a replayed webhook): nothing is answered or logged.
	Duplicate bool
}

// Config tunes chat answering. Zero values get the defaults.
type Config struct {
	// QuickTimeout is how long the connector waits for the answer before
	// giving up on the quick reply. OneBot implementations and Openqq wait a
	// few seconds for the HTTP reply; past that the reply would be lost.
	QuickTimeout time.Duration
	PerMinute    int // keyword messages per sender per minute
	Burst        int // how many may come at once before the pace applies
	MaxRows      int // rows shown in one chat reply (the template's max_rows caps the query)
	Now          func() time.Time
}

// DefaultConfig is what a running server uses.
func DefaultConfig() Config {
	return Config{QuickTimeout: 3 * time.Second, PerMinute: 10, Burst: 5, MaxRows: 10, Now: time.Now}
}

// withDefaults fills the zero fields of c.
func (c Config) withDefaults() Config {
	def := DefaultConfig()
	if c.QuickTimeout <= 0 {
		c.QuickTimeout = def.QuickTimeout
	}
	if c.PerMinute <= 0 {
		c.PerMinute = def.PerMinute
	}
	if c.Burst <= 0 {
		c.Burst = def.Burst
	}
	if c.MaxRows <= 0 {
		c.MaxRows = def.MaxRows
	}
	if c.Now == nil {
		c.Now = def.Now
	}
	return c
}

// Settings reads the configuration an answer depends on. Each call sees the
// latest reload.
type Settings interface {
	ChatPrefix() string // "" = every message may name a keyword
	// ChatTemplate is the enabled, runnable template bound to keyword; ok is
	// false when there is none (the message is ordinary chatter).
	ChatTemplate(keyword string) (t model.Template, ok bool)
	// ReplyLimit is the longest reply, in characters, the channel's platform takes.
	ReplyLimit(channel string) int
}

// Runner runs a keyword's template for a caller (app's RunKeyword): it
// checks the template's users and roles and the chat flag.
type Runner interface {
	RunKeyword(ctx context.Context, c model.Caller, keyword string, vars model.Vars) (*model.KeywordResult, error)
}

// LateReply is an answer that missed the quick-reply window, to send as a
// normal message to the chat the question came from.
type LateReply struct {
	Channel, QQ, Group, Content string
}

// Outbox queues a late answer durably (app's Send).
type Outbox interface {
	QueueReply(ctx context.Context, c model.Caller, r LateReply) (model.Enqueued, error)
}

// InboundLog records one chat message that named a keyword (storage.DB).
type InboundLog interface {
	InsertInbound(ctx context.Context, in model.Inbound) (int64, error)
}

// Deps are what an Answerer consumes; app wires itself into them.
type Deps struct {
	Settings Settings
	Runner   Runner
	Outbox   Outbox
	Inbound  InboundLog
	Log      *slog.Logger // nil: slog.Default()
}
