package feishuapp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"botgate/app/channel"
	"botgate/app/channel/feishuapp/wsframe"
)

// The long connection (长连接): BotGate asks for an endpoint
// (POST /callback/ws/endpoint with the app's credentials), opens a
// WebSocket to it and exchanges protobuf frames (wsframe): it pings, the
// platform pongs (with its client settings), and each event comes as a data
// frame that BotGate answers with a response frame ({"code":200}).
// im.message.receive_v1 events are answered by replying to the message.
//
// This is BotGate's own client on coder/websocket, following the SDK's
// (larksuite/oapi-sdk-go/v3 ws/client.go, v3.4.20) frame for frame: the
// SDK's ws.Client cannot be stopped — Start ignores its context and blocks
// forever, there is no Close, and it reconnects on its own on the interval
// the platform sends (2 minutes) — so a channel could never be changed or
// removed without restarting BotGate. The fake platform is checked against
// the SDK's client.

const (
	endpointPath = "/callback/ws/endpoint"
	dialTimeout  = 15 * time.Second
	writeTimeout = 5 * time.Second
	replyTimeout = 10 * time.Second
	maxFrame     = 4 << 20
	maxAnswering = 16
	// defaultPing is the SDK's ping interval until the platform sends its own.
	defaultPing = 2 * time.Minute
	// partsTTL is how long parts of a split payload wait for the rest (the SDK's 5 s).
	partsTTL = 5 * time.Second
)

// Endpoint reply codes (the SDK's ws/const.go): 0 OK; 1 and 1000040343 are
// the platform's trouble; anything else refuses this app.
const (
	codeSystemBusy    = 1
	codeInternalError = 1000040343
	// Handshake-Status values of a refused WebSocket upgrade.
	handshakeForbidden  = 403
	handshakeAuthFailed = 514
	exceedConnLimit     = 1000040350
)

// clientConfig is what the platform tells the client (in the endpoint reply
// and in pongs). BotGate takes the ping interval; reconnecting is its own.
type clientConfig struct {
	ReconnectCount    int `json:"ReconnectCount,omitempty"`
	ReconnectInterval int `json:"ReconnectInterval,omitempty"`
	ReconnectNonce    int `json:"ReconnectNonce,omitempty"`
	PingInterval      int `json:"PingInterval,omitempty"`
}

func refusedStream(code int, msg string) error {
	return channel.Permanentf(nil, "飞书拒绝了长连接（%d：%s）：请确认 App ID / App Secret 正确，应用已发布，并已在 开发者后台 → 你的应用 → 事件与回调 中选择“使用长连接接收事件”、添加事件“接收消息 v2.0”（im.message.receive_v1）", code, msg)
}

// endpoint asks for a long connection URL.
func (c *Connector) endpoint(ctx context.Context) (string, *clientConfig, error) {
	var r struct {
		Code *int   `json:"code"`
		Msg  string `json:"msg"`
		Data *struct {
			URL          string        `json:"URL"`
			ClientConfig *clientConfig `json:"ClientConfig"`
		} `json:"data"`
	}
	body := map[string]string{"AppID": c.appID, "AppSecret": c.secret}
	err := channel.Do(ctx, c.client, channel.Request{URL: c.base + endpointPath, JSON: body, Platform: platform, Header: http.Header{"Locale": {"zh"}}}, &r)
	if e, ok := codeOf(err); ok && channel.HTTPStatus(err) < 500 {
		r.Code, r.Msg, err = e.Code, e.Msg, nil
	}
	if err != nil {
		return "", nil, err
	}
	switch {
	case r.Code == nil:
		return "", nil, channel.Transientf(nil, "飞书长连接接入点的响应缺少 code，请确认 url 是飞书开放平台的接口地址")
	case *r.Code == codeSystemBusy || *r.Code == codeInternalError:
		return "", nil, channel.Transientf(nil, "飞书长连接服务繁忙（%d：%s），稍后重试", *r.Code, r.Msg)
	case *r.Code != 0:
		return "", nil, refusedStream(*r.Code, r.Msg)
	case r.Data == nil || r.Data.URL == "":
		return "", nil, channel.Transientf(nil, "飞书没有给出长连接地址，稍后重试")
	}
	return r.Data.URL, r.Data.ClientConfig, nil
}

// Listen keeps the long connection open until ctx ends, reconnecting with
// backoff, and answers the messages sent to the bot.
func (c *Connector) Listen(ctx context.Context, in channel.Inbox) error {
	return channel.KeepListening(ctx, in, c.log, c.retryFirst, func(ctx context.Context, up func()) error {
		return c.session(ctx, in, up)
	})
}

func (c *Connector) session(ctx context.Context, in channel.Inbox, up func()) error {
	raw, cfg, err := c.endpoint(ctx)
	if err != nil {
		return err
	}
	u, err := url.Parse(raw)
	if err != nil {
		return channel.Transientf(err, "飞书给出的长连接地址无效，稍后重试")
	}
	service, _ := strconv.ParseInt(u.Query().Get("service_id"), 10, 32)
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	conn, resp, err := websocket.Dial(dctx, raw, &websocket.DialOptions{HTTPClient: c.client})
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return handshakeError(resp, err)
		}
		return channel.Transientf(err, "无法连接飞书长连接服务，请确认本机能访问外网（%s）", u.Host)
	}
	conn.SetReadLimit(maxFrame)
	if c.knownBot() == "" {
		if _, err := c.botInfo(ctx); err != nil {
			// Only the @ stripping needs it; a bot without its info still answers.
			c.log.Warn("feishu: bot info unavailable; a leading @ will be stripped in groups", "err", channel.Describe(err))
		}
	}
	up()
	l := &longConn{c: c, conn: conn, in: in, service: int32(service), sem: make(chan struct{}, maxAnswering), parts: map[string]*split{}}
	l.ping.Store(int64(defaultPing))
	if cfg != nil && cfg.PingInterval > 0 {
		l.ping.Store(int64(time.Duration(cfg.PingInterval) * time.Second))
	}
	return l.run(ctx)
}

// handshakeError reads a refused upgrade's Handshake-* headers.
func handshakeError(resp *http.Response, err error) error {
	status, _ := strconv.Atoi(resp.Header.Get("Handshake-Status"))
	msg := resp.Header.Get("Handshake-Msg")
	auth, _ := strconv.Atoi(resp.Header.Get("Handshake-Autherrcode"))
	switch {
	case status == handshakeAuthFailed && auth == exceedConnLimit:
		return channel.Permanentf(err, "飞书拒绝了长连接：这个应用的长连接数已达上限（%s）。请关闭其他使用同一应用长连接的程序（或另一台 BotGate）", msg)
	case status == handshakeForbidden:
		return refusedStream(status, msg)
	}
	return channel.Transientf(err, "飞书长连接握手失败（HTTP %d %s），稍后重试", resp.StatusCode, msg)
}

// longConn is one open long connection.
type longConn struct {
	c       *Connector
	conn    *websocket.Conn
	in      channel.Inbox
	service int32
	sem     chan struct{}
	wg      sync.WaitGroup

	ping     atomic.Int64 // ping interval (ns), as the platform last said
	lastRecv atomic.Int64 // unix ns of the last frame received

	parts map[string]*split // split payloads by message_id (read loop only)
}

type split struct {
	at  time.Time
	buf [][]byte
}

var errNoPong = errors.New("no pong")

func (l *longConn) run(parent context.Context) error {
	ctx, cancel := context.WithCancelCause(parent)
	defer l.wg.Wait()
	defer l.conn.CloseNow()
	defer cancel(nil)
	go l.pinger(ctx, cancel)
	for {
		typ, data, err := l.conn.Read(ctx)
		if err != nil {
			switch {
			case parent.Err() != nil:
				return parent.Err()
			case errors.Is(context.Cause(ctx), errNoPong):
				return channel.Transientf(err, "飞书长连接没有响应（心跳超时）")
			case websocket.CloseStatus(err) != -1:
				return channel.Transientf(err, "飞书关闭了长连接（%d）", websocket.CloseStatus(err))
			}
			return channel.Transientf(err, "与飞书长连接的连接断开了")
		}
		l.lastRecv.Store(time.Now().UnixNano())
		if typ != websocket.MessageBinary {
			continue
		}
		var f wsframe.Frame
		if err := f.Unmarshal(data); err != nil {
			l.c.log.Warn("feishu: undecodable frame", "err", err, "len", len(data))
			continue
		}
		if err := l.frame(ctx, &f); err != nil {
			return channel.Transientf(err, "向飞书长连接写入失败")
		}
	}
}

// pinger pings at once and then every interval the platform set; a ping
// not followed by any frame within pongWait ends the connection.
func (l *longConn) pinger(ctx context.Context, cancel context.CancelCauseFunc) {
	for {
		sent := time.Now()
		f := wsframe.Frame{Method: wsframe.MethodControl, Service: l.service, Headers: []wsframe.Header{{Key: wsframe.HeaderType, Value: "ping"}}}
		if err := l.write(ctx, &f); err != nil {
			return // the read loop sees the broken connection
		}
		if !sleep(ctx, l.c.pongWait) {
			return
		}
		if l.lastRecv.Load() < sent.UnixNano() {
			cancel(errNoPong)
			return
		}
		if !sleep(ctx, time.Duration(l.ping.Load())-l.c.pongWait) {
			return
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(max(d, 0))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (l *longConn) write(ctx context.Context, f *wsframe.Frame) error {
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return l.conn.Write(wctx, websocket.MessageBinary, f.Marshal())
}

// response is the payload of a data frame's answer (the SDK's ws.Response).
type response struct {
	StatusCode int               `json:"code"`
	Headers    map[string]string `json:"headers"`
	Data       []byte            `json:"data"`
}

// frame handles one frame: a pong's settings are taken, an event is
// acknowledged at once (Feishu sends it again if no answer comes within
// 3 s) and answered in the background.
func (l *longConn) frame(ctx context.Context, f *wsframe.Frame) error {
	if f.Method == wsframe.MethodControl {
		if f.Get(wsframe.HeaderType) == "pong" && len(f.Payload) > 0 {
			var cfg clientConfig
			if json.Unmarshal(f.Payload, &cfg) == nil && cfg.PingInterval > 0 {
				l.ping.Store(int64(time.Duration(cfg.PingInterval) * time.Second))
			}
		}
		return nil
	}
	if f.Method != wsframe.MethodData || f.Get(wsframe.HeaderType) != "event" {
		return nil // cards are not subscribed; the SDK answers them with nothing too
	}
	pl := f.Payload
	if sum := f.Int(wsframe.HeaderSum); sum > 1 {
		if pl = l.combine(f.Get(wsframe.HeaderMessageID), sum, f.Int(wsframe.HeaderSeq), pl); pl == nil {
			return nil
		}
	}
	ack := *f
	ack.Headers = append(append([]wsframe.Header(nil), f.Headers...), wsframe.Header{Key: wsframe.HeaderBizRt, Value: "0"})
	ack.Payload, _ = json.Marshal(response{StatusCode: http.StatusOK})
	if err := l.write(ctx, &ack); err != nil {
		return err
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		select {
		case l.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		defer func() { <-l.sem }()
		l.c.event(ctx, l.in, pl)
	}()
	return nil
}

// combine collects the parts of a split payload; it returns the whole
// payload once every part is in, else nil.
func (l *longConn) combine(id string, sum, seq int, b []byte) []byte {
	now := time.Now()
	for k, s := range l.parts {
		if now.Sub(s.at) > partsTTL {
			delete(l.parts, k)
		}
	}
	if seq < 0 || seq >= sum || sum > 1024 {
		return nil
	}
	s := l.parts[id]
	if s == nil || len(s.buf) != sum {
		s = &split{buf: make([][]byte, sum)}
		l.parts[id] = s
	}
	s.at = now
	s.buf[seq] = b
	var whole []byte
	for _, p := range s.buf {
		if p == nil {
			return nil
		}
		whole = append(whole, p...)
	}
	delete(l.parts, id)
	return whole
}

// receiveEvent is the part of im.message.receive_v1 (schema 2.0) BotGate reads.
type receiveEvent struct {
	Header struct {
		EventID   string `json:"event_id"`
		EventType string `json:"event_type"`
		AppID     string `json:"app_id"`
	} `json:"header"`
	Event struct {
		Sender struct {
			SenderID   userID `json:"sender_id"`
			SenderType string `json:"sender_type"`
		} `json:"sender"`
		Message struct {
			MessageID   string    `json:"message_id"`
			ChatID      string    `json:"chat_id"`
			ChatType    string    `json:"chat_type"`
			MessageType string    `json:"message_type"`
			Content     string    `json:"content"`
			Mentions    []mention `json:"mentions"`
		} `json:"message"`
	} `json:"event"`
}

type userID struct {
	OpenID  string `json:"open_id"`
	UnionID string `json:"union_id"`
	UserID  string `json:"user_id"`
}

type mention struct {
	Key  string `json:"key"`
	ID   userID `json:"id"`
	Name string `json:"name"`
}

// event answers one event payload: a text message to the bot, from a
// person. The sender's open_id is {{来源QQ}}.
func (c *Connector) event(ctx context.Context, in channel.Inbox, payload []byte) {
	var e receiveEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		c.log.Warn("feishu: undecodable event", "err", err)
		return
	}
	m := e.Event.Message
	switch {
	case e.Header.EventType != "im.message.receive_v1":
		return
	case e.Header.AppID != "" && e.Header.AppID != c.appID:
		c.log.Warn("feishu: event for another app ignored", "app_id", e.Header.AppID)
		return
	case m.MessageType != "text" || e.Event.Sender.SenderType != "user":
		return
	}
	var content struct {
		Text string `json:"text"`
	}
	if json.Unmarshal([]byte(m.Content), &content) != nil {
		return
	}
	group := m.ChatType != "p2p"
	inc := channel.Incoming{ID: m.MessageID, Sender: e.Event.Sender.SenderID.OpenID, Text: c.questionText(content.Text, m.Mentions, group)}
	if group {
		inc.Group = m.ChatID
	}
	ans := in.Answer(ctx, inc)
	if ans.Reply == "" {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replyTimeout)
	defer cancel()
	if err := c.replyText(rctx, m.MessageID, ans.Reply); err != nil {
		c.log.Info("feishu: reply refused; sending the answer as a message", "err", channel.Describe(err))
		msg := channel.Message{Kind: channel.Private, To: inc.Sender, Content: ans.Reply}
		if group {
			msg.Kind, msg.To = channel.Group, m.ChatID
		}
		if err := c.Send(rctx, msg); err != nil {
			c.log.Warn("feishu: chat answer not sent", "message_id", m.MessageID, "err", channel.Describe(err))
		}
	}
}

var mentionKey = regexp.MustCompile(`^@_user_\d+`)

// questionText drops the bot's @ (@_user_1 …) from the start of the text
// and writes the other mentions as @name. In a group the bot hears only
// messages that @ it, so when its open_id is unknown the leading mention is
// taken to be the bot.
func (c *Connector) questionText(text string, mentions []mention, group bool) string {
	bot := c.knownBot()
	byKey := map[string]mention{}
	for _, mn := range mentions {
		byKey[mn.Key] = mn
	}
	s := strings.TrimSpace(text)
	for {
		key := mentionKey.FindString(s)
		mn, ok := byKey[key]
		if key == "" || !ok || !(mn.ID.OpenID == bot && bot != "" || bot == "" && group) {
			break
		}
		s = strings.TrimSpace(s[len(key):])
		if bot == "" {
			break
		}
	}
	// Longest keys first: @_user_1 must not eat the start of @_user_10.
	sorted := slices.SortedFunc(slices.Values(mentions), func(a, b mention) int { return len(b.Key) - len(a.Key) })
	for _, mn := range sorted {
		s = strings.ReplaceAll(s, mn.Key, "@"+mn.Name)
	}
	return s
}
