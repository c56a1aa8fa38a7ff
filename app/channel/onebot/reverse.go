package onebot

import (
	"context"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"botgate/app/channel"
	"botgate/model"
)

// transport ws-reverse: the implementation connects to BotGate (OneBot v11
// communication/ws-reverse.md) at /onebot/v11/ws/{channel}, or at …/api and
// …/event for implementations that split the two roles. NapCat (“WebSocket客户端”)
// and LLBot (反向 WebSocket) send "Authorization: Bearer <token>", X-Self-ID
// and X-Client-Role: Universal, and reconnect every few seconds after a drop
// (NapCat reconnectInterval 5000 ms, LLBot 3 s). One Universal connection,
// or an API and an Event one, serve a channel; a new connection of a role
// replaces the one that had it.

// acceptWait is how long a connection that arrives while the channel's
// listener is (re)starting waits for it before it is asked to come back.
const acceptWait = 3 * time.Second

// reverse is a ws-reverse channel.
type reverse struct {
	*Connector
	ping, pingWait time.Duration
	wait           time.Duration // acceptWait; tests shorten it

	mu      sync.Mutex
	run     *listening    // the Listen call in progress; nil between calls
	ready   chan struct{} // closed when a Listen call starts
	api     *sock         // takes the actions
	event   *sock         // brings the events
	online  bool          // QQ is logged in, as the last heartbeat said
	refused string        // why the last connection was refused, for the state
}

var (
	_ channel.Listener = (*reverse)(nil)
	_ channel.Acceptor = (*reverse)(nil)
)

func newReverse(c *Connector) *reverse {
	return &reverse{Connector: c, ping: pingEvery, pingWait: pingTimeout, wait: acceptWait, ready: make(chan struct{}), online: true}
}

// notConnectedReverse is the send error while no implementation is connected.
func notConnectedReverse(name string) error {
	return channel.Transientf(nil, "OneBot 实现尚未连接：NapCat/LLBot 还没有通过反向 WebSocket 连上 BotGate（地址 ws://BotGate地址:端口%s%s）；消息已排队，连上后自动发送", AcceptPath, name)
}

// Listen serves the channel's connections until ctx ends, then closes them.
func (r *reverse) Listen(ctx context.Context, in channel.Inbox) error {
	l := newListening(ctx, r.Connector, in)
	r.mu.Lock()
	r.run = l
	close(r.ready)
	r.report()
	r.mu.Unlock()
	<-ctx.Done()
	r.mu.Lock()
	r.run, r.ready = nil, make(chan struct{})
	socks := r.socks()
	r.api, r.event = nil, nil
	r.link.set(nil, notConnectedReverse(r.name))
	r.mu.Unlock()
	closeSocks(socks, "BotGate 停止或通道设置已更改")
	l.wait()
	return ctx.Err()
}

// Accept checks one connection request, upgrades it and serves it until it
// ends.
func (r *reverse) Accept(w http.ResponseWriter, req *http.Request, sub string) error {
	remote, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		remote = req.RemoteAddr
	}
	role, err := clientRole(req.Header.Get("X-Client-Role"), sub)
	if err == nil {
		err = r.authorize(req, remote)
	}
	if err != nil {
		r.mu.Lock()
		r.refused = err.Error()
		if r.run != nil {
			r.report()
		}
		r.mu.Unlock()
		return err
	}
	l, err := r.listening(req.Context())
	if err != nil {
		return err
	}
	// The HTTP server's read and write deadlines stay on a hijacked
	// connection: cleared, or the socket would die after a minute.
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
	ws, err := websocket.Accept(w, req, nil)
	if err != nil {
		r.log.Warn("reverse WebSocket upgrade failed", "remote", remote, "err", err)
		return nil // Accept has answered the request
	}
	s := newSock(ws, role, remote, strings.TrimSpace(req.Header.Get("X-Self-ID")), r.ping, r.pingWait, func(s *sock, data []byte) {
		if online, ok := l.heard(s, data); ok {
			r.setOnline(s, online)
		}
	})
	if !r.attach(l, s) {
		ws.Close(websocket.StatusGoingAway, "BotGate 正在停止")
		return nil
	}
	r.log.Info("OneBot implementation connected over reverse WebSocket", "role", role, "self_id", s.self(), "remote", remote)
	err = s.run(l.ctx)
	r.detach(s)
	r.log.Info("reverse WebSocket connection ended", "role", role, "remote", remote, "err", err)
	return nil
}

// clientRole is the role a connection asks for: X-Client-Role (NapCat and
// LLBot always send Universal, whatever the path), else the path's last part.
func clientRole(header, sub string) (string, error) {
	sub = strings.ToLower(strings.Trim(sub, "/"))
	if sub != "" && sub != roleAPI && sub != roleEvent {
		return "", &channel.WebhookError{Status: http.StatusNotFound, Code: model.CodeNoChannel,
			Msg: "反向 WebSocket 地址应为 " + AcceptPath + "<通道名称>，或其后加 /api、/event，不是 …/" + sub}
	}
	switch h := strings.ToLower(strings.TrimSpace(header)); h {
	case roleUniversal, roleAPI, roleEvent:
		return h, nil
	case "":
		if sub == "" {
			return roleUniversal, nil
		}
		return sub, nil
	}
	return "", &channel.WebhookError{Status: http.StatusBadRequest, Code: model.CodeBadRequest,
		Msg: "X-Client-Role 只能是 Universal、API 或 Event（收到 " + header + "）"}
}

// authorize checks the token, "Authorization: Bearer <token>" (or "Token
// <token>", CQHTTP's spelling) or ?access_token=, in constant time. A
// channel without a token accepts only this computer: anyone else could
// pose as the bot, read what BotGate sends and claim to be any sender.
func (r *reverse) authorize(req *http.Request, remote string) error {
	got := ""
	if h := strings.TrimSpace(req.Header.Get("Authorization")); h != "" {
		scheme, rest, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "Token") {
			got = strings.TrimSpace(rest)
		}
	}
	if got == "" {
		got = req.URL.Query().Get("access_token")
	}
	if r.token == "" {
		if ip := net.ParseIP(remote); ip != nil && ip.IsLoopback() {
			return nil
		}
		return &channel.WebhookError{Status: http.StatusForbidden, Code: model.CodeUnauthorized,
			Msg: "通道“" + r.name + "”没有设置 access_token，只接受本机(127.0.0.1)的反向 WebSocket 连接；NapCat/LLBot 在 Docker 或其他电脑上时，请给通道设置 access_token，并在它的“WebSocket客户端”中填写相同的 Token（来自 " + remote + "）"}
	}
	if got == "" {
		return &channel.WebhookError{Status: http.StatusUnauthorized, Code: model.CodeUnauthorized,
			Msg: "反向 WebSocket 连接缺少 access_token：请在 NapCat/LLBot 的“WebSocket客户端”中填写与通道相同的 Token（来自 " + remote + "）"}
	}
	if !channel.SecretEqual(got, r.token) {
		return &channel.WebhookError{Status: http.StatusForbidden, Code: model.CodeUnauthorized,
			Msg: "反向 WebSocket 连接的 access_token 不对：NapCat/LLBot “WebSocket客户端”中的 Token 与通道设置不一致，请核对（来自 " + remote + "）"}
	}
	return nil
}

// listening is the Listen call in progress, waiting a moment for one that
// is starting (a reload rebuilt the channel) or for one that is ending to
// make way.
func (r *reverse) listening(ctx context.Context) (*listening, error) {
	t := time.NewTimer(r.wait)
	defer t.Stop()
	for {
		r.mu.Lock()
		l, ready := r.run, r.ready
		r.mu.Unlock()
		if l != nil && l.ctx.Err() == nil {
			return l, nil
		}
		if l != nil {
			ready = nil // ending: look again in a moment
		}
		select {
		case <-ready:
		case <-time.After(10 * time.Millisecond):
		case <-t.C:
			return nil, r.unavailable()
		case <-ctx.Done():
			return nil, r.unavailable()
		}
	}
}

func (r *reverse) unavailable() error {
	return &channel.WebhookError{Status: http.StatusServiceUnavailable, Code: model.CodeNoChannel,
		Msg: "通道“" + r.name + "”暂时不接受连接（BotGate 正在启动、停止或重新加载通道），请稍后重连"}
}

// attach gives s its role; the connections it displaces are closed.
func (r *reverse) attach(l *listening, s *sock) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.run != l || l.ctx.Err() != nil {
		return false
	}
	before := r.socks()
	if s.role != roleEvent {
		r.api = s
	}
	if s.role != roleAPI {
		r.event = s
	}
	r.refused, r.online = "", true
	r.link.set(r.api, notConnectedReverse(r.name))
	var gone []*sock
	for _, o := range before {
		if o != r.api && o != r.event {
			gone = append(gone, o)
			r.log.Info("a new reverse WebSocket connection replaces the old one", "role", o.role, "old_remote", o.remote, "new_remote", s.remote)
		}
	}
	go closeSocks(gone, "被新的连接取代")
	r.report()
	return true
}

// detach forgets s, which ended.
func (r *reverse) detach(s *sock) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.api == s {
		r.api = nil
	}
	if r.event == s {
		r.event = nil
	}
	r.link.set(r.api, notConnectedReverse(r.name))
	if r.run != nil {
		r.report()
	}
}

func (r *reverse) setOnline(s *sock, online bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s != r.api && s != r.event {
		return
	}
	r.online = online
	if r.run != nil {
		r.report()
	}
}

// socks are the open connections, each once. Called with mu held.
func (r *reverse) socks() []*sock {
	var out []*sock
	for _, s := range []*sock{r.api, r.event} {
		if s != nil && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// report tells the window the channel's state. Called with mu held, while
// a Listen call runs.
func (r *reverse) report() {
	st := channel.ListenerState{Connected: true}
	switch {
	case r.api == nil && r.event == nil:
		st = channel.ListenerState{Err: "等待 NapCat/LLBot 通过反向 WebSocket 连接 BotGate（地址 ws://BotGate地址:端口" + AcceptPath + r.name + "）"}
		if r.refused != "" {
			st.Err += "；最近一次连接被拒绝：" + r.refused
		}
	case r.api == nil:
		st = channel.ListenerState{Err: "只连接了 Event（事件）连接，还缺 API 连接：消息要等 API 连接后才能发送"}
	case !r.online:
		st = channel.ListenerState{Err: offline}
	}
	r.run.in.SetState(st)
}
