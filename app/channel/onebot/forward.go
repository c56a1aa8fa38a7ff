package onebot

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"botgate/app/channel"
)

// transport ws: BotGate connects to the implementation's WebSocket server
// (NapCat “WebSocket服务器”, default port 3001; LLBot 正向 WebSocket) and keeps
// the connection while the server runs. Its root path is a universal
// connection: actions and events (NapCat treats every path but /api so,
// LLBot "/" and ""). The token goes in "Authorization: Bearer", which both
// read (they also take ?access_token=).

const (
	dialTimeout = 10 * time.Second
	// settle is how long a new connection may stay silent before it counts
	// as open. NapCat and LLBot send a lifecycle event at once on a good
	// connection and the 1403 refusal at once on a bad one, so the state
	// and the queued sends wait for that first frame rather than take a
	// connection that is about to be refused for an open one.
	settle = 2 * time.Second
	// retryMin and retryMax bound the wait between connection attempts:
	// it doubles after each failure and starts again after a connection
	// that lasted retryReset.
	retryMin   = time.Second
	retryMax   = 30 * time.Second
	retryReset = time.Minute
)

// forward is a ws channel.
type forward struct {
	*Connector
	retryMin, retryMax time.Duration // tests shorten them
	ping, pingWait     time.Duration
}

var _ channel.Listener = (*forward)(nil)

func newForward(c *Connector) *forward {
	f := &forward{Connector: c, retryMin: retryMin, retryMax: retryMax, ping: pingEvery, pingWait: pingTimeout}
	c.oneOff = f.once
	return f
}

// notConnectedForward is the send error before the first connection.
func notConnectedForward(url string) error {
	return channel.Transientf(nil, "OneBot 实现尚未连接：BotGate 正在连接 %s；消息已排队，连上后自动发送", url)
}

// Listen keeps a connection to the implementation until ctx ends: it
// connects, hands the events to in, and after a failure or a drop
// connects again, waiting retryMin doubling up to retryMax in between
// (retryMax after a refused token: only the admin can fix that, and
// trying faster would fill NapCat's log).
func (f *forward) Listen(ctx context.Context, in channel.Inbox) error {
	l := newListening(ctx, f.Connector, in)
	defer l.wait()
	wait := f.retryMin
	for {
		began := time.Now()
		err := f.session(ctx, l)
		if ctx.Err() != nil {
			f.link.set(nil, notConnectedForward(f.base))
			return ctx.Err()
		}
		f.log.Warn("OneBot WebSocket connection failed or ended", "url", f.base, "err", err)
		if channel.IsPermanent(err) {
			f.link.set(nil, err)
		} else {
			f.link.set(nil, channel.Transientf(err, "OneBot 实现尚未连接（%s）；消息已排队，连上后自动发送", channel.Explain(err)))
		}
		in.SetState(channel.ListenerState{Err: channel.Explain(err)})
		if time.Since(began) > retryReset {
			wait = f.retryMin
		}
		if channel.IsPermanent(err) {
			wait = f.retryMax
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			f.link.set(nil, notConnectedForward(f.base))
			return ctx.Err()
		case <-t.C:
		}
		wait = min(wait*2, f.retryMax)
	}
}

// session is one connection, from the dial to its end; it returns why it
// could not be made or why it ended.
func (f *forward) session(ctx context.Context, l *listening) error {
	s, err := f.dial(ctx, func(s *sock, data []byte) {
		if online, ok := l.heard(s, data); ok {
			f.online(l.in, s, online)
		}
	})
	if err != nil {
		return err
	}
	ran := make(chan error, 1)
	go func() { ran <- s.run(ctx) }()
	if err := f.settled(ctx, s); err != nil {
		s.ws.CloseNow()
		<-ran
		return err
	}
	f.link.set(s, nil)
	l.in.SetState(channel.ListenerState{Connected: true})
	f.log.Info("connected to the OneBot WebSocket server", "url", f.base)
	err = <-ran
	if r := s.refusal(); r != nil {
		return r
	}
	return channel.Transientf(err, "与 NapCat/LLBot 的 WebSocket 连接断开了，正在重新连接")
}

// online follows the heartbeats of the connection in use.
func (f *forward) online(in channel.Inbox, s *sock, online bool) {
	if cur, _ := f.link.get(); cur != s {
		return
	}
	if online {
		in.SetState(channel.ListenerState{Connected: true})
	} else {
		in.SetState(channel.ListenerState{Err: offline})
	}
}

// settled waits for the first frame of a new connection (or a moment of
// silence) and says whether the implementation refused it.
func (f *forward) settled(ctx context.Context, s *sock) error {
	t := time.NewTimer(settle)
	defer t.Stop()
	select {
	case <-s.first:
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	if r := s.refusal(); r != nil {
		return r
	}
	if s.ended() {
		return channel.Transientf(s.err, "NapCat/LLBot 接受连接后立即断开了，请查看它的日志")
	}
	return nil
}

// dial opens a connection to the implementation.
func (f *forward) dial(ctx context.Context, events func(*sock, []byte)) (*sock, error) {
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	h := http.Header{"User-Agent": {"BotGate"}}
	if f.token != "" {
		h.Set("Authorization", "Bearer "+f.token)
	}
	ws, resp, err := websocket.Dial(dctx, f.base, &websocket.DialOptions{HTTPClient: f.client, HTTPHeader: h})
	if err != nil {
		return nil, f.dialError(resp, err)
	}
	return newSock(ws, roleUniversal, f.base, "", f.ping, f.pingWait, events), nil
}

// dialError words a failed handshake. OneBot v11 answers a missing token
// with HTTP 401 and a wrong one with 403 (go-cqhttp does); NapCat and LLBot
// accept the upgrade and refuse afterwards (socket.go).
func (f *forward) dialError(resp *http.Response, err error) error {
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	switch {
	case status == http.StatusUnauthorized:
		return channel.Permanentf(err, "NapCat/LLBot 要求 access_token（HTTP 401）：请在通道设置中填写与它的“WebSocket服务器”相同的 Token")
	case status == http.StatusForbidden:
		return channel.Permanentf(err, "NapCat/LLBot 拒绝了 access_token（HTTP 403）：请检查通道设置中的 Token 是否与它的“WebSocket服务器”中的一致")
	case status != 0:
		return channel.Transientf(err, "%s 不是 WebSocket 服务（HTTP %d）：请确认 url 是 NapCat/LLBot “WebSocket服务器”的地址和端口（默认 3001），不是 HTTP 服务的", f.base, status)
	case errors.Is(err, context.DeadlineExceeded):
		return channel.Transientf(err, "连接 %s 超时：请确认 NapCat/LLBot 正在运行，地址和端口正确，防火墙允许连接", f.base)
	}
	return channel.Transientf(err, "无法连接 %s：请确认 NapCat/LLBot 正在运行，并已启用“WebSocket服务器”（端口与 url 一致）", f.base)
}

// once runs one action over a connection of its own, for the window's
// buttons when the running connection is not there (a form not saved yet,
// or the server stopped).
func (f *forward) once(ctx context.Context, action string, params any) (json.RawMessage, error) {
	s, err := f.dial(ctx, nil)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- s.run(ctx) }()
	defer func() {
		s.ws.Close(websocket.StatusNormalClosure, "")
		cancel()
		<-ran
	}()
	if err := f.settled(ctx, s); err != nil {
		return nil, err
	}
	return s.call(ctx, action, params)
}
