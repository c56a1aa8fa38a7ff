// Package openqq sends QQ messages through the Openqq plugin of Mojo-Webqq:
// /openqq/send_message (friend by qq or id), /openqq/send_group_message (group by
// gnumber or gid) and /openqq/send_discuss_message (discussion by did), all
// form-encoded; a reply with "code": 0 means sent.
package openqq

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"botgate/app/channel"
)

// Type registers the connector. Web QQ accounts are frozen quickly when they
// send fast, so the default is a cautious 20 messages a minute.
//
// secret is not sent to Openqq: Mojo-Webqq cannot sign its post_api reports,
// so the admin appends ?secret=... to the post_api URL and the webhook
// (webhook.go) compares it; without one only reports from this computer are
// accepted.
var Type = channel.Type{
	Name: "openqq",
	Fields: []channel.Field{
		{Key: "url", Label: "Openqq 地址", Kind: channel.FieldText, Required: true, Example: "http://127.0.0.1:5000",
			Help: "Mojo-Webqq 脚本里 $client->load(\"Openqq\", data=>{listen=>[{host=>…, port=>…}]}) 的地址和端口（默认 5000）"},
		{Key: "secret", Label: "上报密钥", Kind: channel.FieldSecret,
			Help: "可选：聊天上报（post_api）从另一台电脑发来时使用，上报地址写成 http://BotGate地址:7789/webhook/通道名称?secret=这里的值；同一台电脑可留空"},
	},
	Title:         "QQ (Mojo-Webqq Openqq)",
	Keys:          []string{"url", "secret"},
	SecretKeys:    []string{"secret"},
	Required:      []string{"url"},
	RatePerMinute: 20,
	ReplyRunes:    1000, // WebQQ cuts long texts
	Caps:          channel.Caps{Test: true, Directory: true, Validates: true, Webhook: true},
	// Text only: Mojo-Webqq's send API takes no mentions or media.
	Extras: channel.Extras{},
	New:    New,
}

const platform = "Openqq"

// Connector is one Openqq HTTP listener.
type Connector struct {
	base   string
	secret string
	client *http.Client
}

var (
	_ channel.Channel         = (*Connector)(nil)
	_ channel.TargetValidator = (*Connector)(nil)
	_ channel.Tester          = (*Connector)(nil)
	_ channel.Directory       = (*Connector)(nil)
)

// New builds the connector; url is the plugin's listen address, e.g. http://127.0.0.1:5000.
func New(cfg channel.Config, deps channel.Deps) (channel.Channel, error) {
	base, err := channel.BaseURL(cfg, "url", platform, "http://127.0.0.1:5000")
	if err != nil {
		return nil, err
	}
	return &Connector{base: strings.TrimSuffix(base, "/openqq"), secret: cfg.Values["secret"], client: deps.HTTP}, nil
}

// target is where a message goes: the API path and its id parameter.
type target struct {
	path, param, value string
}

// parseTarget maps a target to Openqq's parameters. A plain number is a QQ or
// group number (stable); "id:", "gid:" and "did:" select the session ids that
// Openqq's directory shows (they change at each login).
func parseTarget(kind, to string) (target, error) {
	to = strings.TrimSpace(to)
	prefix, rest, hasPrefix := strings.Cut(to, ":")
	if !hasPrefix {
		prefix, rest = "", to
	}
	var t target
	switch {
	case kind == channel.Group && prefix == "":
		t = target{"/openqq/send_group_message", "gnumber", rest}
	case kind == channel.Group && prefix == "gid":
		t = target{"/openqq/send_group_message", "gid", rest}
	case kind == channel.Group && (prefix == "did" || prefix == "discuss"):
		t = target{"/openqq/send_discuss_message", "did", rest}
	case kind != channel.Group && prefix == "":
		t = target{"/openqq/send_message", "qq", rest}
	case kind != channel.Group && prefix == "id":
		t = target{"/openqq/send_message", "id", rest}
	default:
		return t, fmt.Errorf("接收者 %q 格式不对：好友填 QQ 号（或 id:好友id），群填群号（或 gid:群id、did:讨论组id）", to)
	}
	if _, err := strconv.ParseUint(t.value, 10, 64); err != nil {
		if t.param == "qq" || t.param == "gnumber" {
			return t, fmt.Errorf("接收者 %q 必须是数字（QQ 号或群号）", to)
		}
		return t, fmt.Errorf("接收者 %q 中的 id 必须是数字", to)
	}
	return t, nil
}

// ValidateTarget checks the target's form before it is queued.
func (c *Connector) ValidateTarget(kind, to string) error {
	_, err := parseTarget(kind, to)
	return err
}

// reply is the send result: {"status":"发送成功","msg_id":23910327,"code":0}.
type reply struct {
	Status string       `json:"status"`
	MsgID  channel.Flex `json:"msg_id"`
	Code   *int         `json:"code"`
}

// Send posts the message form-encoded (Openqq urlencodes Chinese content).
func (c *Connector) Send(ctx context.Context, m channel.Message) error {
	t, err := parseTarget(m.Kind, m.To)
	if err != nil {
		return channel.Permanentf(nil, "%s", err.Error())
	}
	if err := channel.CheckEmpty(platform, m.Content); err != nil {
		return err
	}
	var r reply
	form := url.Values{t.param: {t.value}, "content": {m.Content}}
	if err := channel.Do(ctx, c.client, channel.Request{URL: c.base + t.path, Form: form, Platform: platform}, &r); err != nil {
		return c.httpError(err)
	}
	switch {
	case r.Code == nil:
		return channel.Transientf(fmt.Errorf("reply without code: %+v", r), "Openqq 的响应缺少 code，请确认 url 指向 Openqq 插件的监听地址")
	case *r.Code == 0:
		return nil
	default:
		return classify(*r.Code, r.Status)
	}
}

func (c *Connector) httpError(err error) error {
	if channel.HTTPStatus(err) == http.StatusNotFound {
		return channel.Permanentf(err, "Openqq 没有该接口（HTTP 404），请确认 url 是 Openqq 插件的监听地址（例如 http://127.0.0.1:5000）")
	}
	return err
}

// Test calls get_user_info: harmless, and it proves the url and that Webqq is logged in.
func (c *Connector) Test(ctx context.Context) error {
	var me struct {
		QQ    channel.Flex `json:"qq"`
		ID    channel.Flex `json:"id"`
		State string       `json:"state"`
	}
	if err := c.get(ctx, "/openqq/get_user_info", &me); err != nil {
		return err
	}
	if me.QQ == "" && me.ID == "" {
		return channel.Permanentf(nil, "Openqq 已响应，但没有返回登录的 QQ，请确认 Mojo-Webqq 已扫码登录")
	}
	return nil
}

// Contacts lists friends (by QQ), groups (by group number) and discussions ("did:").
func (c *Connector) Contacts(ctx context.Context) ([]channel.Contact, error) {
	var friends []struct {
		QQ       channel.Flex `json:"qq"`
		ID       channel.Flex `json:"id"`
		Nick     string       `json:"nick"`
		Markname string       `json:"markname"`
	}
	var groups []struct {
		GID       channel.Flex `json:"gid"`
		GNumber   channel.Flex `json:"gnumber"`
		GName     string       `json:"gname"`
		GMarkname string       `json:"gmarkname"`
	}
	var discussions []struct {
		DID   channel.Flex `json:"did"`
		DName string       `json:"dname"`
	}
	if err := c.get(ctx, "/openqq/get_friend_info", &friends); err != nil {
		return nil, err
	}
	if err := c.get(ctx, "/openqq/get_group_info", &groups); err != nil {
		return nil, err
	}
	if err := c.get(ctx, "/openqq/get_discuss_info", &discussions); err != nil {
		return nil, err
	}
	var out []channel.Contact
	for _, f := range friends {
		id := string(f.QQ)
		if id == "" {
			id = "id:" + string(f.ID)
		}
		out = append(out, channel.Contact{Kind: channel.Private, ID: id, Name: first(f.Markname, f.Nick)})
	}
	for _, g := range groups {
		id := string(g.GNumber)
		if id == "" {
			id = "gid:" + string(g.GID)
		}
		out = append(out, channel.Contact{Kind: channel.Group, ID: id, Name: first(g.GMarkname, g.GName)})
	}
	for _, d := range discussions {
		out = append(out, channel.Contact{Kind: channel.Group, ID: "did:" + string(d.DID), Name: d.DName})
	}
	return out, nil
}

func (c *Connector) get(ctx context.Context, path string, out any) error {
	if err := channel.Do(ctx, c.client, channel.Request{Method: http.MethodGet, URL: c.base + path, Platform: platform}, out); err != nil {
		return c.httpError(err)
	}
	return nil
}

func first(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
