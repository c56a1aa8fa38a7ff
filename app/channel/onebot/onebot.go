// Package onebot sends QQ messages through any OneBot v11 implementation
// (NapCat, LLBot; go-cqhttp is unmaintained) and answers the chat messages it
// reports. The channel's transport says how the two talk:
//   - http (default): BotGate calls the implementation's HTTP API
//     (send_private_msg, send_group_msg, "Authorization: Bearer
//     <access_token>") and takes its events as webhook pushes (webhook.go);
//   - ws: BotGate connects to the implementation's WebSocket server and
//     keeps the connection: actions and their replies, and the events, share
//     it (forward.go);
//   - ws-reverse: the implementation connects to BotGate at
//     /onebot/v11/ws/{channel} (reverse.go).
//
// The two socket transports share socket.go; what a message looks like on the
// wire (text, @ and image segments) is message.go, whatever the transport.
package onebot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"botgate/app/channel"
	"botgate/model"
)

// Transports, the values of the transport key.
const (
	HTTP      = "http"
	WS        = "ws"
	WSReverse = "ws-reverse"
)

// AcceptPath is where implementations connect over reverse WebSocket: the
// path OneBot's documentation and NapCat's examples use, with the channel's
// name after it.
const AcceptPath = "/onebot/v11/ws/"

// Type registers the connector. Every transport sends, tests (get_login_info)
// and lists contacts; webhook pushes are taken on every transport (an
// implementation may report over HTTP while BotGate sends over a socket;
// the answerer drops a message reported twice); ws and ws-reverse listen.
var Type = channel.Type{
	Name:          "onebot",
	Title:         "QQ (OneBot v11: NapCat / LLBot)",
	Keys:          []string{"transport", "url", "access_token", "secret"},
	SecretKeys:    []string{"access_token", "secret"},
	Required:      []string{"url"},
	RatePerMinute: 60,
	ReplyRunes:    3000, // QQ takes a few thousand characters in one message
	Caps:          channel.Caps{Test: true, Directory: true, Validates: true, Webhook: true, Listener: true},
	Fields:        fields,
	Extras:        channel.Extras{Mention: true, Image: true},
	AcceptPath:    AcceptPath,
	New:           New,
}

// fields are the channel form: where each value is found in NapCat's WebUI
// (网络配置) and LLBot's settings page.
var fields = []channel.Field{
	{Key: "transport", Label: "连接方式", Kind: channel.FieldChoice, Default: HTTP,
		Help: "BotGate 与 NapCat/LLBot 怎样连接。HTTP：在 NapCat 网络配置中新建“HTTP服务器”（LLBot：启用 HTTP 服务）；" +
			"正向 WebSocket：新建“WebSocket服务器”（LLBot：正向 WebSocket），BotGate 连过去；" +
			"反向 WebSocket：新建“WebSocket客户端”（LLBot：反向 WebSocket），地址填 ws://BotGate地址:端口/onebot/v11/ws/通道名称，由它连 BotGate，适合 NapCat 在 Docker 或另一台电脑上",
		Choices: []channel.Choice{
			{Value: HTTP, Label: "HTTP（默认）"},
			{Value: WS, Label: "正向 WebSocket（BotGate 连接 NapCat/LLBot）"},
			{Value: WSReverse, Label: "反向 WebSocket（NapCat/LLBot 连接 BotGate）"},
		}},
	{Key: "url", Label: "NapCat/LLBot 地址", Kind: channel.FieldText, Required: true, Example: "http://127.0.0.1:3000",
		Help: "HTTP：NapCat“HTTP服务器”的地址，默认端口 3000，例如 http://127.0.0.1:3000；" +
			"正向 WebSocket：“WebSocket服务器”的地址，默认端口 3001，例如 ws://127.0.0.1:3001。反向 WebSocket 不用填",
		OnlyWhen: &channel.FieldCondition{Key: "transport", Values: []string{HTTP, WS}}},
	{Key: "access_token", Label: "访问令牌 Token", Kind: channel.FieldSecret,
		Help: "与 NapCat 网络配置中该项的 Token（LLBot：Access Token）相同；没有设置可留空。" +
			"反向 WebSocket 不填 Token 时只接受本机的连接"},
	{Key: "secret", Label: "上报密钥", Kind: channel.FieldSecret,
		Help: "仅用于 HTTP 上报（NapCat“HTTP客户端”的 Token，LLBot 的 HTTP 上报密钥）：BotGate 用它校验 X-Signature。WebSocket 连接不用填"},
}

// Connector is one OneBot channel. Over http it is what New returns; the
// socket transports wrap it (forward, reverse) and give it a link.
type Connector struct {
	name      string
	transport string
	base      string // http: the API's base URL; ws: the WebSocket URL
	token     string
	secret    string // verifies the events NapCat/LLBot post (webhook.go)
	client    *http.Client
	log       *slog.Logger
	link      *link // ws, ws-reverse: the connection actions go through
	// oneOff runs an action over a connection of its own (ws), for ask.
	oneOff func(ctx context.Context, action string, params any) (json.RawMessage, error)
}

var (
	_ channel.Channel         = (*Connector)(nil)
	_ channel.TargetValidator = (*Connector)(nil)
	_ channel.Tester          = (*Connector)(nil)
	_ channel.Directory       = (*Connector)(nil)
	_ channel.ExtrasChecker   = (*Connector)(nil)
	_ channel.Acceptor        = (*Connector)(nil)
)

// New builds the connector from the channel's config keys.
func New(cfg channel.Config, deps channel.Deps) (channel.Channel, error) {
	log := deps.Log
	if log == nil {
		log = slog.Default()
	}
	c := &Connector{name: cfg.Name, token: strings.TrimSpace(cfg.Values["access_token"]), secret: cfg.Values["secret"], client: deps.HTTP,
		log: log.With("channel", cfg.Name), transport: strings.ToLower(strings.TrimSpace(cfg.Values["transport"]))}
	switch c.transport {
	case "", HTTP:
		c.transport = HTTP
		base, err := channel.BaseURL(cfg, "url", "OneBot", "http://127.0.0.1:3000")
		if err != nil {
			return nil, err
		}
		c.base = base
		return c, nil
	case WS:
		base, err := wsURL(cfg)
		if err != nil {
			return nil, err
		}
		c.base, c.link = base, newLink(notConnectedForward(base))
		return newForward(c), nil
	case WSReverse:
		c.link = newLink(notConnectedReverse(cfg.Name))
		return newReverse(c), nil
	}
	return nil, &channel.Error{Permanent: true, Msg: fmt.Sprintf("OneBot 通道的 transport 只能是 http、ws 或 ws-reverse（当前 %q）", cfg.Values["transport"])}
}

// wsURL reads the url of a ws channel: ws:// or wss://, with a host.
func wsURL(cfg channel.Config) (string, error) {
	raw := strings.TrimSpace(cfg.Values["url"])
	if raw == "" {
		return "", &channel.Error{Permanent: true, Msg: "OneBot 通道缺少 url（正向 WebSocket 例如 ws://127.0.0.1:3001）"}
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return "", &channel.Error{Permanent: true, Err: err,
			Msg: "transport 为 ws（正向 WebSocket）时，OneBot 通道的 url 必须是以 ws:// 或 wss:// 开头的完整地址（例如 ws://127.0.0.1:3001，即 NapCat “WebSocket服务器”的地址和端口）"}
	}
	return raw, nil
}

// reply is OneBot v11's response envelope.
type reply struct {
	Status  string          `json:"status"`
	Retcode int             `json:"retcode"`
	Data    json.RawMessage `json:"data"`
	Msg     string          `json:"msg"`
	Message string          `json:"message"` // NapCat/LLBot spell it this way
	Wording string          `json:"wording"`
}

// ValidateTarget rejects non-numeric QQ and group numbers before they are queued.
func (c *Connector) ValidateTarget(kind, to string) error { return ValidateQQ(kind, to) }

// ValidateQQ accepts a QQ number (private) or group number: digits only. The
// log channel, a stand-in for a QQ bot in demos, checks targets with it too.
func ValidateQQ(kind, to string) error {
	if _, err := strconv.ParseUint(to, 10, 64); err != nil {
		if kind == channel.Group {
			return fmt.Errorf("群号 %q 必须是数字", to)
		}
		return fmt.Errorf("QQ 号 %q 必须是数字", to)
	}
	return nil
}

// Send calls send_private_msg or send_group_msg with the message message.go
// builds, over the channel's transport.
func (c *Connector) Send(ctx context.Context, m channel.Message) error {
	action, params, err := sendParams(m)
	if err != nil {
		return err
	}
	_, err = c.call(ctx, action, params)
	return err
}

// call runs one action over the channel's transport and returns its data.
func (c *Connector) call(ctx context.Context, action string, params any) (json.RawMessage, error) {
	if c.link != nil {
		return c.link.call(ctx, action, params)
	}
	return c.post(ctx, action, params)
}

// ask is call for the window's buttons (测试连接, 通讯录): over ws, when the
// running connection is not there (the form is not saved yet, or the server
// is stopped), it makes one of its own for the call.
// Over ws-reverse only the implementation can make the connection, so the
// buttons say how to get one.
func (c *Connector) ask(ctx context.Context, action string, params any) (json.RawMessage, error) {
	if c.link != nil {
		if s, _ := c.link.get(); s == nil {
			if c.oneOff != nil {
				return c.oneOff(ctx, action, params)
			}
			if c.transport == WSReverse {
				return nil, channel.Permanentf(nil, "NapCat/LLBot 还没有通过反向 WebSocket 连上 BotGate：请保存通道，在 NapCat 的“WebSocket客户端”（LLBot：反向 WebSocket）中填写 ws://BotGate地址:端口%s%s 和 Token，等通道状态显示已连接后再试", AcceptPath, c.name)
			}
		}
	}
	return c.call(ctx, action, params)
}

// Accept refuses a reverse WebSocket connection to a channel whose transport
// is not ws-reverse (reverse.go accepts them).
func (c *Connector) Accept(w http.ResponseWriter, r *http.Request, sub string) error {
	return &channel.WebhookError{Status: http.StatusNotFound, Code: model.CodeNoChannel,
		Msg: fmt.Sprintf("通道“%s”的连接方式（transport）是 %s，不接受反向 WebSocket 连接：要让 NapCat/LLBot 连接 BotGate，请把通道的 transport 改为 ws-reverse", c.name, c.transport)}
}

// post is one action over the HTTP API: POST {url}/{action}.
func (c *Connector) post(ctx context.Context, action string, body any) (json.RawMessage, error) {
	h := http.Header{}
	if c.token != "" {
		h.Set("Authorization", "Bearer "+c.token)
	}
	var r reply
	if err := channel.Do(ctx, c.client, channel.Request{URL: c.base + "/" + action, Header: h, JSON: body, Platform: "OneBot"}, &r); err != nil {
		return nil, c.httpError(action, err)
	}
	if r.Retcode == 0 || r.Retcode == 1 { // 1 = accepted asynchronously
		return r.Data, nil
	}
	return nil, classify(r)
}

// httpError words Do's failure for OneBot: the spec answers 401 when the
// access_token is missing and 403 when it is wrong, and 404 for an unknown API
// (usually a url pointing at the wrong port or at the WebSocket server).
func (c *Connector) httpError(action string, err error) error {
	switch channel.HTTPStatus(err) {
	case http.StatusUnauthorized:
		return channel.Permanentf(err, "OneBot 要求 access_token（HTTP 401），请在通道设置中填写与 NapCat/LLBot HTTP 服务相同的 access_token")
	case http.StatusForbidden:
		return channel.Permanentf(err, "OneBot 拒绝了 access_token（HTTP 403），请检查通道设置中的 access_token 是否与 NapCat/LLBot 中的一致")
	case http.StatusNotFound:
		return channel.Permanentf(err, "OneBot 没有接口 /%s（HTTP 404），请确认 url 指向 NapCat/LLBot 的 HTTP 服务（默认端口 3000）", action)
	}
	return err
}

// Test calls get_login_info: harmless, and it proves the url, the access_token
// and that the QQ account is logged in.
func (c *Connector) Test(ctx context.Context) error {
	data, err := c.ask(ctx, "get_login_info", map[string]any{})
	if err != nil {
		return err
	}
	var info struct {
		UserID channel.Flex `json:"user_id"`
	}
	if json.Unmarshal(data, &info) != nil || info.UserID == "" {
		return channel.Permanentf(fmt.Errorf("get_login_info data: %.200s", data), "OneBot 已响应，但没有返回登录的 QQ 号，请确认 NapCat/LLBot 已登录")
	}
	return nil
}

// Contacts lists friends (get_friend_list) and groups (get_group_list).
func (c *Connector) Contacts(ctx context.Context) ([]channel.Contact, error) {
	var friends []struct {
		UserID   channel.Flex `json:"user_id"`
		Nickname string       `json:"nickname"`
		Remark   string       `json:"remark"`
	}
	var groups []struct {
		GroupID   channel.Flex `json:"group_id"`
		GroupName string       `json:"group_name"`
	}
	if err := c.list(ctx, "get_friend_list", &friends); err != nil {
		return nil, err
	}
	if err := c.list(ctx, "get_group_list", &groups); err != nil {
		return nil, err
	}
	out := make([]channel.Contact, 0, len(friends)+len(groups))
	for _, f := range friends {
		name := f.Remark
		if name == "" {
			name = f.Nickname
		}
		out = append(out, channel.Contact{Kind: channel.Private, ID: string(f.UserID), Name: name})
	}
	for _, g := range groups {
		out = append(out, channel.Contact{Kind: channel.Group, ID: string(g.GroupID), Name: g.GroupName})
	}
	return out, nil
}

func (c *Connector) list(ctx context.Context, action string, out any) error {
	data, err := c.ask(ctx, action, map[string]any{})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return channel.Transientf(fmt.Errorf("%s: %w", action, err), "OneBot 的 %s 返回了无法识别的数据", action)
	}
	return nil
}

func detail(r reply) string {
	s := strings.TrimSpace(r.Wording)
	if s == "" {
		s = strings.TrimSpace(r.Message)
	}
	if s == "" {
		s = strings.TrimSpace(r.Msg)
	}
	if s == "" {
		return ""
	}
	return "：" + s
}
