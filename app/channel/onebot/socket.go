package onebot

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"botgate/app/channel"
)

// Actions and events over one WebSocket (OneBot v11 communication/ws.md),
// whichever side dialled: BotGate sends {"action","params","echo"}; the
// implementation answers with the HTTP API's envelope carrying the same
// echo, and pushes events (JSON objects with post_type) in between. NapCat
// (packages/napcat-onebot/network/websocket-server.ts, websocket-client.ts)
// and LLBot (src/onebot11/connect/ws.ts) answer a wrong token by accepting
// the upgrade, sending {"status":"failed","retcode":1403,"message":"token验证失败",
// "echo":null} and closing, instead of refusing the handshake with HTTP 403.

const (
	// callTimeout bounds the wait for one action's reply, under whatever
	// deadline the caller's ctx has (the dispatcher gives a send 30 s).
	callTimeout = 20 * time.Second
	// readLimit bounds one frame: a friend list of thousands, or an event
	// with a long forwarded message, is far below it.
	readLimit = 16 << 20
	// pingEvery is how often BotGate pings an open socket, and pingTimeout
	// how long the pong may take: a peer that vanished without closing (a
	// computer switched off, a dropped NAT entry) is noticed within a minute.
	pingEvery   = 30 * time.Second
	pingTimeout = 15 * time.Second
	// maxAnswering bounds the chat messages being answered at once on one
	// channel; a flood beyond it is dropped (and logged), not queued.
	maxAnswering = 32
)

// Roles a connection plays (X-Client-Role): a universal one carries both
// actions and events.
const (
	roleUniversal = "universal"
	roleAPI       = "api"
	roleEvent     = "event"
)

type request struct {
	Action string `json:"action"`
	Params any    `json:"params"`
	Echo   string `json:"echo"`
}

// sock is one open WebSocket to an implementation.
type sock struct {
	ws       *websocket.Conn
	role     string
	remote   string                     // the implementation's address, for the log
	events   func(s *sock, data []byte) // an event frame, handed to the listener
	ping     time.Duration              // pingEvery; tests shorten it
	pingWait time.Duration              // pingTimeout
	seq      atomic.Uint64              // echo numbers
	selfID   atomic.Pointer[string]     // the bot's QQ: X-Self-ID, else the events' self_id
	mu       sync.Mutex                 // guards waiting and refused
	// waiting are the calls waiting for their reply, by echo.
	waiting map[string]chan reply
	refused error // the implementation refused the token (a 1401/1403 frame)

	firstOnce sync.Once
	first     chan struct{} // closed after the first frame, or at the end
	done      chan struct{} // closed when the read loop ended
	err       error         // why it ended; read after done
}

func newSock(ws *websocket.Conn, role, remote, self string, ping, pingWait time.Duration, events func(*sock, []byte)) *sock {
	s := &sock{ws: ws, role: role, remote: remote, events: events, ping: ping, pingWait: pingWait,
		waiting: map[string]chan reply{}, first: make(chan struct{}), done: make(chan struct{})}
	s.selfID.Store(&self)
	return s
}

func (s *sock) self() string { return *s.selfID.Load() }

// run reads frames until the connection ends or ctx does (which closes it),
// pinging the other side meanwhile. It returns why the connection ended.
func (s *sock) run(ctx context.Context) error {
	s.ws.SetReadLimit(readLimit)
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	go s.pinger(pctx)
	for {
		_, data, err := s.ws.Read(ctx)
		if err != nil {
			s.err = err
			close(s.done)
			s.firstOnce.Do(func() { close(s.first) })
			return err
		}
		s.frame(data)
		s.firstOnce.Do(func() { close(s.first) })
	}
}

func (s *sock) pinger(ctx context.Context) {
	t := time.NewTicker(s.ping)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, s.pingWait)
		err := s.ws.Ping(pctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			s.ws.CloseNow() // the read loop ends, and the connection is made again
			return
		}
	}
}

// frame sorts one frame: an event, the reply to a call, or a refusal.
func (s *sock) frame(data []byte) {
	var p struct {
		PostType string          `json:"post_type"`
		Echo     json.RawMessage `json:"echo"`
		Retcode  *int            `json:"retcode"`
	}
	if json.Unmarshal(data, &p) != nil {
		return // not an object: nothing OneBot sends
	}
	if p.PostType != "" {
		if s.events != nil {
			s.events(s, data)
		}
		return
	}
	if p.Retcode == nil {
		return
	}
	var r reply
	json.Unmarshal(data, &r)
	s.mu.Lock()
	ch := s.waiting[echoText(p.Echo)]
	delete(s.waiting, echoText(p.Echo))
	if ch == nil && (r.Retcode == 1401 || r.Retcode == 1403) {
		s.refused = tokenRefused(r)
	}
	s.mu.Unlock()
	switch {
	case ch != nil:
		ch <- r
	case s.refusal() != nil:
		go s.ws.CloseNow() // NapCat closes by itself; an implementation that does not is closed here
	}
}

// echoText is an echo as the map key: a string's text, else the JSON as sent.
func echoText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// refusal is the token refusal the implementation sent, or nil.
func (s *sock) refusal() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// ended tells whether the read loop has ended.
func (s *sock) ended() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// call sends one action and waits for the reply that carries its echo.
func (s *sock) call(ctx context.Context, action string, params any) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	echo := "botgate-" + strconv.FormatUint(s.seq.Add(1), 10)
	ch := make(chan reply, 1)
	s.mu.Lock()
	s.waiting[echo] = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.waiting, echo)
		s.mu.Unlock()
	}()
	b, err := json.Marshal(request{Action: action, Params: params, Echo: echo})
	if err != nil {
		return nil, channel.Permanentf(err, "消息无法编码")
	}
	if err := s.ws.Write(ctx, websocket.MessageText, b); err != nil {
		if ctx.Err() != nil {
			return nil, channel.Transientf(err, "OneBot 没有及时接收 %s，稍后重试", action)
		}
		return nil, channel.Transientf(err, "与 OneBot 的 WebSocket 连接已断开，消息会在重新连接后发送")
	}
	select {
	case r := <-ch:
		if r.Retcode == 0 || r.Retcode == 1 { // 1 = accepted asynchronously
			return r.Data, nil
		}
		return nil, classify(r)
	case <-s.done:
		if err := s.refusal(); err != nil {
			return nil, err
		}
		// Written but not answered: the implementation may have sent it. The
		// outbox sends it again (at least once, as after a crash).
		return nil, channel.Transientf(s.err, "与 OneBot 的 WebSocket 连接在等待回复时断开，不确定消息是否已发出；重新连接后会再发送")
	case <-ctx.Done():
		return nil, channel.Transientf(ctx.Err(), "OneBot 没有及时回复 %s，稍后重试", action)
	}
}

// closeSocks closes socks with a reason the implementation logs, and waits
// a moment for their read loops; a peer that does not answer the close is
// cut off.
func closeSocks(socks []*sock, reason string) {
	var wg sync.WaitGroup
	for _, s := range socks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.ws.Close(websocket.StatusGoingAway, reason)
			select {
			case <-s.done:
			case <-time.After(2 * time.Second):
				s.ws.CloseNow()
				<-s.done // a read loop that ends hands no more events over
			}
		}()
	}
	wg.Wait()
}

// tokenRefused words an implementation's refusal of the access_token.
func tokenRefused(r reply) error {
	what := "拒绝了 access_token"
	if r.Retcode == 1401 {
		what = "要求 access_token"
	}
	return channel.Permanentf(fmt.Errorf("retcode %d: %s", r.Retcode, strings.TrimSpace(r.Message+" "+r.Msg)),
		"NapCat/LLBot %s（retcode %d%s）：请在通道设置中填写与 NapCat 网络配置中“WebSocket服务器”（LLBot：正向 WebSocket）相同的 Token", what, r.Retcode, detail(r))
}

// link is where a socket connector's actions go: the connection that takes
// them now, or why there is none (a transient error while the connection
// is being made, the refusal when the token is wrong).
type link struct {
	mu   sync.Mutex
	api  *sock
	down error
}

func newLink(down error) *link { return &link{down: down} }

func (l *link) set(s *sock, down error) {
	l.mu.Lock()
	l.api, l.down = s, down
	l.mu.Unlock()
}

func (l *link) get() (*sock, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.api, l.down
}

func (l *link) call(ctx context.Context, action string, params any) (json.RawMessage, error) {
	s, down := l.get()
	if s == nil {
		return nil, down
	}
	return s.call(ctx, action, params)
}

// listening is one Listen call: the inbox, and the chat answers it is
// computing, which Listen waits for before it returns.
type listening struct {
	c     *Connector
	ctx   context.Context
	in    channel.Inbox
	slots chan struct{}
	wg    sync.WaitGroup
}

func newListening(ctx context.Context, c *Connector, in channel.Inbox) *listening {
	return &listening{c: c, ctx: ctx, in: in, slots: make(chan struct{}, maxAnswering)}
}

// heard handles one event frame from s. A heartbeat reports whether QQ is
// online (status.online); a lifecycle event says the implementation is up.
// A chat message goes to the answerer, and its answer back through send_msg
// (a socket has no quick operation), on a goroutine of its own: the reply to
// send_msg arrives on the read loop that handed the event over.
func (l *listening) heard(s *sock, data []byte) (online, reported bool) {
	var meta struct {
		PostType      string       `json:"post_type"`
		MetaEventType string       `json:"meta_event_type"`
		SelfID        channel.Flex `json:"self_id"`
		Status        *struct {
			Online *bool `json:"online"`
		} `json:"status"`
	}
	if json.Unmarshal(data, &meta) != nil {
		return false, false
	}
	if self := strings.TrimSpace(string(meta.SelfID)); self != "" && s.self() == "" {
		s.selfID.Store(&self)
	}
	if meta.PostType == "meta_event" {
		switch {
		case meta.MetaEventType == "heartbeat" && meta.Status != nil && meta.Status.Online != nil:
			return *meta.Status.Online, true
		case meta.MetaEventType == "lifecycle":
			return true, true
		}
		return false, false
	}
	msg, err := parseEvent(data, s.self())
	if err != nil {
		l.c.log.Warn("OneBot event not understood", "err", err)
		return false, false
	}
	if msg == nil {
		return false, false
	}
	msg.Channel = l.c.name
	if l.ctx.Err() != nil {
		return false, false // Listen is ending: nobody would send the answer
	}
	select {
	case l.slots <- struct{}{}:
	default:
		l.c.log.Warn("too many chat messages being answered; this one is dropped", "sender", msg.Sender, "group", msg.Group)
		return false, false
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		defer func() { <-l.slots }()
		ans := l.in.Answer(l.ctx, *msg)
		if ans.Reply == "" {
			return
		}
		if _, err := l.c.link.call(l.ctx, "send_msg", replyParams(*msg, ans.Reply)); err != nil {
			l.c.log.Warn("chat answer not sent", "sender", msg.Sender, "group", msg.Group, "err", err)
		}
	}()
	return false, false
}

func (l *listening) wait() { l.wg.Wait() }

// offline is the state while QQ itself is logged out.
const offline = "已连接 NapCat/LLBot，但 QQ 不在线（心跳报告 online=false）：请在 NapCat/LLBot 中重新登录 QQ"
