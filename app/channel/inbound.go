package channel

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Inbound chat is a capability of a connector (DESIGN.md "Inbound chat is a
// channel capability"): a platform pushes messages to BotGate (Webhook), or
// BotGate keeps a connection open to it (Listener). Either way each message
// becomes one Incoming, goes to the same Answerer, and the answer goes back the
// platform's way. Platform code lives in the connector's package only.

// Incoming is one chat message from a platform, markup removed.
type Incoming struct {
	Channel    string // the channel's name
	ID         string // the platform's message id; empty when it sends none (not de-duplicated)
	Sender     string // the sender's id (QQ number, wxid, userid...): {{来源QQ}}
	SenderName string
	Group      string // the group's id; empty in a private chat: {{群号}}
	Text       string
	// ReplyQQ and ReplyGroup address a late answer sent through the outbox;
	// empty means Sender and Group (Openqq needs its "id:"/"gid:" forms when a
	// report carries session ids only).
	ReplyQQ, ReplyGroup string
	// ReplyLater is set by a platform whose push takes no answer in its
	// HTTP reply (WeCom's callback wants its empty acknowledgement at once;
	// it would retry a slow one): the answerer does not wait for the
	// template, and every answer goes through the outbox, as a late one does.
	ReplyLater bool
}

// Answer is what the answerer says to one Incoming.
type Answer struct {
	Reply   string // the text to send back right away; empty = say nothing
	Keyword string // the keyword the message named, for the request log; empty for chatter
	// Duplicate is set when the message's ID was answered lately (a
	// platform's retry, a replayed push): Reply is empty.
	Duplicate bool
}

// Answerer answers chat messages: keyword, permissions, rate limit, reply
// rendering and the inbound log are its business, not the connector's.
type Answerer interface {
	Answer(ctx context.Context, in Incoming) Answer
}

// WebhookRequest is one HTTP push from a platform, already read: connectors
// verify and parse it without touching net/http's server types.
type WebhookRequest struct {
	Channel string // the channel's name (the path's last element)
	Method  string
	Header  http.Header
	Query   url.Values
	Remote  string // the caller's IP address
	Body    []byte
}

// WebhookResponse is what BotGate answers the platform. A nil Body is an
// empty reply (204), which every platform takes as "nothing to do". The
// request log learns the keyword from the Answerer the webhook passes, so a
// connector need not report it.
type WebhookResponse struct {
	Status int // 0: 200 with a Body, 204 without
	Body   any // encoded as JSON, unless it is a []byte or string (sent as it is)
}

// WebhookError refuses a push: the HTTP status platforms look at, an errcode
// and a Chinese message for whoever reads the platform's log.
type WebhookError struct {
	Status int
	Code   int
	Msg    string
}

func (e *WebhookError) Error() string { return e.Msg }

// Webhook is implemented by connectors whose platform pushes chat messages to
// POST (or GET, for URL verification) /webhook/{channel}.
type Webhook interface {
	HandleWebhook(ctx context.Context, req WebhookRequest, a Answerer) (WebhookResponse, error)
}

// URLVerifier marks a Webhook whose platform checks the callback address
// with a GET before it pushes anything (WeCom's echostr): only such a
// webhook is handed GET /webhook/{channel}; the others take POST only.
type URLVerifier interface {
	Webhook
	VerifiesURL()
}

// ListenerState is what the window shows for a listener.
type ListenerState struct {
	Connected bool
	Err       string // why it is not connected (Chinese); empty while connected
	Since     time.Time
}

// Inbox is where a listener delivers what it hears and reports its state.
type Inbox interface {
	Answerer
	SetState(ListenerState)
}

// Listener is implemented by connectors that open and keep a connection to
// their platform (WebSocket, stream). Listen runs until ctx ends, reconnecting
// with backoff (at most 30 s between tries); the server starts and stops it
// with the HTTP server.
type Listener interface {
	Listen(ctx context.Context, in Inbox) error
}

// Connections a platform opens to BotGate (OneBot's reverse WebSocket: the
// implementation dials BotGate, not the other way round) are served by the
// connector itself, through one small seam:
//   - the type declares the path prefix it answers under (Type.AcceptPath,
//     e.g. "/onebot/v11/ws/");
//   - the HTTP server routes GET <prefix>{channel} and GET <prefix>{channel}/{sub}
//     to the live connector of that channel when it implements Acceptor
//     (app.Acceptor finds it, as app.Webhook finds a webhook's), without
//     knowing the platform;
//   - the connector checks the caller, upgrades the request and keeps the
//     connection while its Listen runs: Listen's Inbox answers what arrives
//     and shows the state, and when Listen's ctx ends the connections close.
// Sends go through the connection; while none is open they fail transiently,
// so they wait in the outbox.

// Acceptor is implemented by connectors whose platform connects to BotGate.
type Acceptor interface {
	// Accept answers one connection request for the channel; sub is the
	// rest of the path after the channel's name ("" or, say, "api"). Before
	// the upgrade it refuses with a *WebhookError (status, errcode, Chinese
	// message), which the server encodes as it encodes a webhook's; once the
	// connection is upgraded it returns when the connection ends, with nil.
	// The request's deadlines are the server's: the connector clears them
	// for a connection that lasts.
	Accept(w http.ResponseWriter, r *http.Request, sub string) error
}
