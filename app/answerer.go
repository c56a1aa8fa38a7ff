package app

import (
	"context"

	"botgate/app/channel"
	"botgate/app/chat"
	"botgate/model"
)

// The chat answerer lives in app/chat; this file wires the App into the
// interfaces it consumes and keeps the names apiserver (and its tests) use.

// Chat answering, as apiserver names it (see package chat).
type (
	Chat        = chat.Answerer
	ChatConfig  = chat.Config
	ChatMessage = channel.Incoming
	ChatAnswer  = chat.Result
)

// Chat outcomes and routes, stored in the inbound log (see package chat).
const (
	ChatAnswered = chat.Answered
	ChatRefused  = chat.Refused
	ChatNotChat  = chat.NotChat
	ChatLimited  = chat.Limited
	ChatFailed   = chat.Failed
	ChatPending  = chat.Pending
	ViaQuick     = chat.ViaQuick
	ViaOutbox    = chat.ViaOutbox
)

// DefaultChatConfig is what a running server uses.
func DefaultChatConfig() ChatConfig { return chat.DefaultConfig() }

// ChatReplyLimit is the longest chat reply, in characters, for a channel type.
func ChatReplyLimit(typ string) int {
	t, _ := channelType(typ)
	return t.ReplyLimit()
}

// NewChat returns a chat answerer over a's templates and outbox, owned by the
// caller (who waits for its late answers). A running server has its own, see
// Answerer.
func (a *App) NewChat(cfg ChatConfig) *Chat {
	if cfg.Now == nil {
		cfg.Now = a.opts.Now
	}
	return chat.New(chat.Deps{Settings: chatBackend{a}, Runner: a, Outbox: chatBackend{a}, Inbound: a.db, Log: a.log}, cfg)
}

// Answerer is the chat answerer of the server being started or running: the
// handler StartServer builds takes it here, and the stop waits for its late
// answers before the queue closes. With no server (a handler a test mounts on
// its own listener) it is a new one, owned by the caller as NewChat's are.
func (a *App) Answerer() *Chat {
	a.chatMu.Lock()
	defer a.chatMu.Unlock()
	if a.srvChat != nil {
		return a.srvChat
	}
	return a.NewChat(DefaultChatConfig())
}

// setServerChat publishes the server's answerer (nil: none). Its own lock,
// not srvMu: StartServer holds srvMu while the handler asks for it.
func (a *App) setServerChat(c *Chat) {
	a.chatMu.Lock()
	a.srvChat = c
	a.chatMu.Unlock()
}

// chatBackend is the App as the answerer sees it.
type chatBackend struct{ a *App }

var (
	_ chat.Settings = chatBackend{}
	_ chat.Outbox   = chatBackend{}
	_ chat.Runner   = (*App)(nil)
)

func (b chatBackend) ChatPrefix() string { return b.a.Settings().ChatPrefix }

func (b chatBackend) ChatTemplate(keyword string) (model.Template, bool) {
	t := b.a.state.Load().templates[keyword]
	if t == nil || !t.Enabled || t.stmt == nil {
		return model.Template{}, false
	}
	return t.Template, true
}

func (b chatBackend) ReplyLimit(name string) int {
	if lc := b.a.state.Load().channels[name]; lc != nil {
		t, ok := b.a.extraType(lc.cfg.Type)
		if !ok {
			t, _ = channelType(lc.cfg.Type)
		}
		return t.ReplyLimit()
	}
	return channel.DefaultReplyRunes
}

func (b chatBackend) QueueReply(ctx context.Context, c model.Caller, r chat.LateReply) (model.Enqueued, error) {
	return b.a.Send(ctx, c, SendRequest{Channel: r.Channel, QQ: r.QQ, Group: r.Group, Content: r.Content})
}

// InboundLogs lists chat messages that named a keyword, newest first (GUI 日志).
func (a *App) InboundLogs(ctx context.Context, f model.InboundFilter) ([]model.Inbound, error) {
	return a.db.InboundLogs(ctx, f)
}
