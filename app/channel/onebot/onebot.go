// Package onebot sends QQ messages through any OneBot v11 implementation's HTTP
// API (NapCat, LLBot; go-cqhttp is unmaintained): send_private_msg and
// send_group_msg, authenticated with "Authorization: Bearer <access_token>".
package onebot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"botgate/app/channel"
)

// Type registers the connector.
var Type = channel.Type{
	Name: "onebot",
	Fields: []channel.Field{
		{Key: "url", Label: "OneBot 地址", Kind: channel.FieldText, Required: true, Example: "http://127.0.0.1:3000",
			Help: "在 NapCat / LLBot 的“网络配置”里新建“HTTP 服务器”，填它的地址和端口（默认 3000）；机器人和 BotGate 在同一台电脑时用 127.0.0.1"},
		{Key: "access_token", Label: "访问令牌（token）", Kind: channel.FieldSecret,
			Help: "与 NapCat / LLBot 的“HTTP 服务器”里设置的 token 相同；那里没有设置就留空"},
		{Key: "secret", Label: "上报签名密钥", Kind: channel.FieldSecret,
			Help: "只在聊天里用关键字查询时需要：在 NapCat / LLBot 里再建一个“HTTP 客户端”（上报），地址填 http://BotGate地址:7789/webhook/通道名称，密钥（secret）填这里的值；不用聊天可留空"},
	},
	Title:         "QQ (OneBot v11: NapCat / LLBot)",
	Keys:          []string{"url", "access_token", "secret"},
	SecretKeys:    []string{"access_token", "secret"},
	Required:      []string{"url"},
	RatePerMinute: 60,
	ReplyRunes:    3000, // QQ takes a few thousand characters in one message
	Caps:          channel.Caps{Test: true, Directory: true, Validates: true, Webhook: true},
	// Text only for now ([CQ:at] and image segments come with their issue).
	Extras: channel.Extras{},
	New:    New,
}

// Connector is one OneBot HTTP endpoint.
type Connector struct {
	base   string
	token  string
	secret string // verifies the events NapCat/LLBot post (webhook.go)
	client *http.Client
}

var (
	_ channel.Channel         = (*Connector)(nil)
	_ channel.TargetValidator = (*Connector)(nil)
	_ channel.Tester          = (*Connector)(nil)
	_ channel.Directory       = (*Connector)(nil)
)

// New builds the connector from the channel's config keys.
func New(cfg channel.Config, deps channel.Deps) (channel.Channel, error) {
	base, err := channel.BaseURL(cfg, "url", "OneBot", "http://127.0.0.1:3000")
	if err != nil {
		return nil, err
	}
	return &Connector{base: base, token: cfg.Values["access_token"], secret: cfg.Values["secret"], client: deps.HTTP}, nil
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

// Send calls send_private_msg or send_group_msg. auto_escape makes CQ-code
// characters ([CQ:...]) arrive literally: an ERP's text must not turn into an
// image or an @all.
func (c *Connector) Send(ctx context.Context, m channel.Message) error {
	id, err := strconv.ParseInt(m.To, 10, 64)
	if err != nil {
		return channel.Permanentf(err, "接收者 %q 不是有效的 QQ 号或群号", m.To)
	}
	action, body := "send_private_msg", map[string]any{"user_id": id, "message": m.Content, "auto_escape": true}
	if m.Kind == channel.Group {
		action, body = "send_group_msg", map[string]any{"group_id": id, "message": m.Content, "auto_escape": true}
	}
	_, err = c.call(ctx, action, body)
	return err
}

func (c *Connector) call(ctx context.Context, action string, body any) (json.RawMessage, error) {
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
	data, err := c.call(ctx, "get_login_info", map[string]any{})
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
	data, err := c.call(ctx, action, map[string]any{})
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
