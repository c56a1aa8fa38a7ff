package dingtalkapp

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/chatbot"
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/payload"
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/utils"

	"botgate/app/channel"
)

// Stream mode: BotGate asks DingTalk for an endpoint and a ticket
// (POST /v1.0/gateway/connections/open), opens a WebSocket to it and reads
// JSON data frames; every frame is acknowledged with its messageId. Bot
// messages come on the CALLBACK topic /v1.0/im/bot/messages/get and are
// answered through the message's sessionWebhook.
//
// The frames are the SDK's own types (dingtalk-stream-sdk-go/payload,
// chatbot), but the connection is BotGate's, on coder/websocket: the SDK's
// StreamClient v0.9.1 cannot be run safely. With AutoReconnect on it
// reconnects from inside Close() and forever, with its own context; with it
// off a dropped connection goes unnoticed (its read loop ends silently, the
// connection is unexported); its dial ignores the context; and after a
// missed pong its read goroutine sends on channels it has closed, which
// panics outside any recover and ends the whole process (see
// dingtalkfake's TestSDKClient_MissedPong_PanicsTheProcess). The tests drive
// the SDK's client against the same fake, so both speak one protocol.

const (
	dialTimeout  = 15 * time.Second
	pingTimeout  = 10 * time.Second
	writeTimeout = 5 * time.Second
	replyTimeout = 10 * time.Second
	// maxFrame bounds one frame; bot messages are a few KB.
	maxFrame = 4 << 20
	// maxAnswering bounds the questions answered at once per connection.
	maxAnswering = 16
	// sessionMargin: a sessionWebhook this close to its expiry is not used.
	sessionMargin = time.Minute
)

// subscriptions are what BotGate listens to: the bot's messages and the
// two system topics the SDK's client subscribes by default.
var subscriptions = []*payload.SubscriptionModel{
	{Type: utils.SubscriptionTypeKSystem, Topic: "ping"},
	{Type: utils.SubscriptionTypeKSystem, Topic: "disconnect"},
	{Type: utils.SubscriptionTypeKCallback, Topic: payload.BotMessageCallbackTopic},
}

// userAgent names BotGate to the gateway, and the SDK whose frames it speaks.
const userAgent = "botgate (dingtalk-stream-sdk-go/v0.9.1 frames)"

// openEndpoint asks the gateway for a Stream endpoint and ticket.
func (c *Connector) openEndpoint(ctx context.Context) (*payload.ConnectionEndpointResponse, error) {
	req := payload.ConnectionEndpointRequest{ClientId: c.clientID, ClientSecret: c.secret, Subscriptions: subscriptions, UserAgent: userAgent}
	var ep payload.ConnectionEndpointResponse
	err := channel.Do(ctx, c.client, channel.Request{URL: c.base + utils.GetConnectionEndpointAPIUrl, JSON: req, Platform: platform,
		Header: map[string][]string{"Accept": {"application/json"}}}, &ep)
	if e, ok := apiError(err); ok && e.status < 500 {
		return nil, channel.Permanentf(err, "钉钉拒绝了 Stream 连接（%s）：请确认 Client ID / Client Secret 正确（%s），应用已发布，且机器人的“消息接收模式”选的是 Stream 模式", e, consoleHelp)
	}
	if err != nil {
		return nil, err
	}
	if ep.Valid() != nil {
		return nil, channel.Transientf(ep.Valid(), "钉钉没有给出 Stream 接入点，稍后重试")
	}
	return &ep, nil
}

// Listen keeps a Stream connection open until ctx ends, reconnecting with
// backoff, and answers the bot's messages.
func (c *Connector) Listen(ctx context.Context, in channel.Inbox) error {
	return channel.KeepListening(ctx, in, c.log, c.retryFirst, func(ctx context.Context, up func()) error {
		return c.session(ctx, in, up)
	})
}

// session is one Stream connection, from the endpoint request until it drops.
func (c *Connector) session(ctx context.Context, in channel.Inbox, up func()) error {
	ep, err := c.openEndpoint(ctx)
	if err != nil {
		return err
	}
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	conn, _, err := websocket.Dial(dctx, ep.Endpoint+"?ticket="+url.QueryEscape(ep.Ticket), &websocket.DialOptions{HTTPClient: c.client})
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return channel.Transientf(err, "无法连接钉钉 Stream 服务，请确认本机能访问外网（%s）", hostOf(ep.Endpoint))
	}
	conn.SetReadLimit(maxFrame)
	up()
	s := &stream{c: c, conn: conn, in: in, sem: make(chan struct{}, maxAnswering)}
	return s.run(ctx)
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Host
	}
	return raw
}

// stream is one open Stream connection.
type stream struct {
	c    *Connector
	conn *websocket.Conn
	in   channel.Inbox
	sem  chan struct{}
	wg   sync.WaitGroup // answers in flight
}

var (
	errPing       = errors.New("no pong")
	errDisconnect = errors.New("disconnect")
)

// run reads frames until the connection ends; it returns after the answers
// in flight (whose context ends with the connection's) are done.
func (s *stream) run(parent context.Context) error {
	ctx, cancel := context.WithCancelCause(parent)
	defer s.wg.Wait()
	defer s.conn.CloseNow()
	defer cancel(nil)
	go s.pinger(ctx, cancel)
	for {
		typ, data, err := s.conn.Read(ctx)
		if err != nil {
			return s.ended(parent, ctx, err)
		}
		if typ != websocket.MessageText {
			continue
		}
		var df payload.DataFrame
		if err := json.Unmarshal(data, &df); err != nil || df.Headers == nil {
			s.c.log.Warn("dingtalk stream: undecodable frame", "err", err, "len", len(data))
			continue
		}
		if err := s.frame(ctx, &df); err != nil {
			cancel(err)
			return s.ended(parent, ctx, err)
		}
	}
}

// ended says why the connection ended, for the listener's state.
func (s *stream) ended(parent, ctx context.Context, err error) error {
	if parent.Err() != nil {
		return parent.Err()
	}
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errPing):
		return channel.Transientf(err, "钉钉 Stream 连接没有响应（心跳超时）")
	case errors.Is(cause, errDisconnect):
		return channel.Transientf(nil, "钉钉要求重新连接（服务端切换）")
	}
	if st := websocket.CloseStatus(err); st != -1 {
		return channel.Transientf(err, "钉钉关闭了 Stream 连接（%d）", st)
	}
	return channel.Transientf(err, "与钉钉 Stream 的连接断开了")
}

// frame handles one data frame: system pings are answered, a disconnect
// ends the connection, a bot message is acknowledged at once and answered
// in the background; anything else gets the SDK's "no handler" 404.
func (s *stream) frame(ctx context.Context, df *payload.DataFrame) error {
	topic := df.GetTopic()
	switch {
	case df.Type == utils.SubscriptionTypeKSystem && topic == "ping":
		pong := payload.NewDataFrameAckPong(df.GetMessageId())
		pong.Data = df.Data
		return s.ack(ctx, pong)
	case df.Type == utils.SubscriptionTypeKSystem && topic == "disconnect":
		return errDisconnect
	case df.Type == utils.SubscriptionTypeKCallback && topic == payload.BotMessageCallbackTopic:
		var m chatbot.BotCallbackDataModel
		if err := json.Unmarshal([]byte(df.Data), &m); err != nil {
			s.c.log.Warn("dingtalk stream: undecodable bot message", "err", err)
			return s.ack(ctx, response(df, payload.DataFrameResponseStatusCodeKInternalError))
		}
		if err := s.ack(ctx, response(df, payload.DataFrameResponseStatusCodeKOK)); err != nil {
			return err
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			select {
			case s.sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-s.sem }()
			s.c.handle(ctx, s.in, &m)
		}()
		return nil
	}
	return s.ack(ctx, response(df, payload.DataFrameResponseStatusCodeKHandlerNotFound))
}

func response(df *payload.DataFrame, code int) *payload.DataFrameResponse {
	r := payload.NewDataFrameResponse(code)
	r.SetHeader(payload.DataFrameHeaderKMessageId, df.GetMessageId())
	r.SetHeader(payload.DataFrameHeaderKContentType, payload.DataFrameContentTypeKJson)
	if code == payload.DataFrameResponseStatusCodeKOK {
		r.Message = "OK"
	}
	return r
}

func (s *stream) ack(ctx context.Context, r *payload.DataFrameResponse) error {
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return s.conn.Write(wctx, websocket.MessageText, r.Encode())
}

// pinger sends a WebSocket ping every pingEvery; a ping without its pong
// within pingTimeout ends the connection, so a dead network is noticed even
// when the platform is quiet.
func (s *stream) pinger(ctx context.Context, cancel context.CancelCauseFunc) {
	t := time.NewTicker(s.c.pingEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, done := context.WithTimeout(ctx, pingTimeout)
		err := s.conn.Ping(pctx)
		done()
		if err != nil && ctx.Err() == nil {
			cancel(errPing)
			return
		}
	}
}

// handle answers one bot message. The sender's staffId is {{来源QQ}};
// DingTalk removes the bot's @ from a group message but leaves the space
// after it, which the trim drops.
func (c *Connector) handle(ctx context.Context, in channel.Inbox, m *chatbot.BotCallbackDataModel) {
	if m.Msgtype != "" && m.Msgtype != "text" {
		return // pictures, voice, files: no keyword to read
	}
	sender := m.SenderStaffId
	if sender == "" {
		sender = m.SenderId // someone outside the organisation: no staffId
	}
	inc := channel.Incoming{ID: m.MsgId, Sender: sender, SenderName: m.SenderNick, Text: strings.TrimSpace(m.Text.Content)}
	if m.ConversationType == "2" {
		inc.Group = m.ConversationId
	}
	ans := in.Answer(ctx, inc)
	if ans.Reply == "" {
		return
	}
	// The answer is ready: send it even if the connection drops meanwhile.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replyTimeout)
	defer cancel()
	if err := c.reply(rctx, m, inc, ans.Reply); err != nil {
		c.log.Warn("dingtalk: chat answer not sent", "msg_id", m.MsgId, "err", channel.Describe(err))
	}
}

// reply answers through the message's sessionWebhook while it is valid
// (about 90 minutes), else — or when it fails — through the send APIs.
func (c *Connector) reply(ctx context.Context, m *chatbot.BotCallbackDataModel, inc channel.Incoming, text string) error {
	if m.SessionWebhook != "" && c.now().Before(time.UnixMilli(m.SessionWebhookExpiredTime).Add(-sessionMargin)) {
		err := c.replySession(ctx, m, text)
		if err == nil {
			return nil
		}
		c.log.Info("dingtalk: sessionWebhook refused the answer; using the send API", "err", channel.Describe(err))
	}
	msg := channel.Message{Kind: channel.Private, To: inc.Sender, Content: text}
	if inc.Group != "" {
		msg.Kind, msg.To = channel.Group, inc.Group
	}
	return c.Send(ctx, msg)
}

type sessionText struct {
	MsgType string            `json:"msgtype"`
	Text    map[string]string `json:"text"`
	At      *sessionAt        `json:"at,omitempty"`
}

type sessionAt struct {
	AtUserIDs []string `json:"atUserIds"`
}

// replySession posts the answer to the sessionWebhook; in a group it @s
// the asker (DingTalk shows the @ only when "@userId" is in the text too).
func (c *Connector) replySession(ctx context.Context, m *chatbot.BotCallbackDataModel, text string) error {
	body := sessionText{MsgType: "text", Text: map[string]string{"content": text}}
	if m.ConversationType == "2" && m.SenderStaffId != "" {
		body.Text["content"] = "@" + m.SenderStaffId + " " + text
		body.At = &sessionAt{AtUserIDs: []string{m.SenderStaffId}}
	}
	var r channel.ErrCodeReply
	if err := channel.Do(ctx, c.client, channel.Request{URL: m.SessionWebhook, JSON: body, Platform: platform}, &r); err != nil {
		return err
	}
	if code, msg, ok := r.Result(); ok && code != 0 {
		return channel.Transientf(nil, "sessionWebhook errcode %d: %s", code, msg)
	}
	return nil
}
