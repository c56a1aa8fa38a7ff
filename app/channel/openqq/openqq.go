// Package openqq sends QQ messages through the Openqq plugin of Mojo-Webqq,
// form-encoded; a reply with "code": 0 means sent. Two versions of the
// plugin are in use: the seed's (/openqq/send_message by qq or id,
// send_group_message by gnumber or gid, send_discuss_message by did) and
// Mojo-Webqq 2.x (send_friend_message and send_group_message by uid, the QQ
// or group number, or id; send_discuss_message by id). api.go picks one.
package openqq

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

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
	Name:          "openqq",
	Title:         "QQ (Mojo-Webqq Openqq)",
	Keys:          []string{"url", "secret", "api"},
	SecretKeys:    []string{"secret"},
	Required:      []string{"url"},
	RatePerMinute: 20,
	ReplyRunes:    1000, // WebQQ cuts long texts
	Caps:          channel.Caps{Test: true, Directory: true, Validates: true, Webhook: true},
	Fields:        fields,
	// Text only: Mojo-Webqq's send API takes no mentions or media.
	Extras: channel.Extras{},
	New:    New,
}

const platform = "Openqq"

// Connector is one Openqq HTTP listener.
type Connector struct {
	base   string
	secret string
	api    string // apiAuto, apiV2 or apiV1, as configured
	client *http.Client

	mu     sync.Mutex
	friend string // auto: the API the friend send path answered on (apiV1, apiV2), "" before the first send
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
	api, err := parseAPI(cfg.Values["api"])
	if err != nil {
		return nil, err
	}
	return &Connector{base: strings.TrimSuffix(base, "/openqq"), secret: cfg.Values["secret"], api: api, client: deps.HTTP}, nil
}

// Target kinds in Openqq's terms.
const (
	friend  = "friend"
	group   = "group"
	discuss = "discuss"
)

// target is where a message goes: a friend, group or discussion, by its
// number (QQ or group number, stable) or by its session id (which changes
// at each login).
type target struct {
	kind    string
	session bool
	value   string
}

// parseTarget reads a target. A plain number is a QQ or group number;
// "id:", "gid:" and "did:" select the session ids Openqq's directory shows.
func parseTarget(kind, to string) (target, error) {
	to = strings.TrimSpace(to)
	prefix, rest, hasPrefix := strings.Cut(to, ":")
	if !hasPrefix {
		prefix, rest = "", to
	}
	var t target
	switch {
	case kind == channel.Group && prefix == "":
		t = target{group, false, rest}
	case kind == channel.Group && prefix == "gid":
		t = target{group, true, rest}
	case kind == channel.Group && (prefix == "did" || prefix == "discuss"):
		t = target{discuss, true, rest}
	case kind != channel.Group && prefix == "":
		t = target{friend, false, rest}
	case kind != channel.Group && prefix == "id":
		t = target{friend, true, rest}
	default:
		return t, fmt.Errorf("接收者 %q 格式不对：好友填 QQ 号（或 id:好友id），群填群号（或 gid:群id、did:讨论组id）", to)
	}
	if _, err := strconv.ParseUint(t.value, 10, 64); err != nil {
		if !t.session {
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

// reply is the send result: the seed's {"status":"发送成功","msg_id":23910327,"code":0},
// 2.x's {"id":23910327,"code":0,"status":"发送成功","info":"发送正常"}.
type reply struct {
	Status string       `json:"status"`
	Info   string       `json:"info"`
	MsgID  channel.Flex `json:"msg_id"`
	ID     channel.Flex `json:"id"`
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
	if err := c.post(ctx, t, m.Content, &r); err != nil {
		return err
	}
	switch {
	case r.Code == nil:
		return channel.Transientf(fmt.Errorf("reply without code: %+v", r), "Openqq 的响应缺少 code，请确认 url 指向 Openqq 插件的监听地址")
	case *r.Code == 0:
		return nil
	default:
		return classify(*r.Code, r.Status, r.Info)
	}
}

// form posts one send request and decodes its reply.
func (c *Connector) form(ctx context.Context, path string, form url.Values, r *reply) error {
	return channel.Do(ctx, c.client, channel.Request{URL: c.base + path, Form: form, Platform: platform}, r)
}

// Test calls get_user_info: harmless, and it proves the url and that Webqq
// is logged in. The seed names the QQ number "qq", 2.x "uid".
func (c *Connector) Test(ctx context.Context) error {
	var me struct {
		QQ    channel.Flex `json:"qq"`
		UID   channel.Flex `json:"uid"`
		ID    channel.Flex `json:"id"`
		State string       `json:"state"`
	}
	if err := c.get(ctx, "/openqq/get_user_info", &me); err != nil {
		return err
	}
	if me.QQ == "" && me.UID == "" && me.ID == "" {
		return channel.Permanentf(nil, "Openqq 已响应，但没有返回登录的 QQ，请确认 Mojo-Webqq 已扫码登录")
	}
	return nil
}

// Contacts lists friends (by QQ), groups (by group number) and discussions
// ("did:"), read from either version's field names: the seed's qq, nick,
// gnumber, gname, did, dname; 2.x's uid, name and id (API.md of Mojo-Webqq 2.x).
func (c *Connector) Contacts(ctx context.Context) ([]channel.Contact, error) {
	var friends []struct {
		QQ       channel.Flex `json:"qq"`
		UID      channel.Flex `json:"uid"`
		ID       channel.Flex `json:"id"`
		Nick     string       `json:"nick"`
		Name     string       `json:"name"`
		Markname string       `json:"markname"`
	}
	var groups []struct {
		GID       channel.Flex `json:"gid"`
		ID        channel.Flex `json:"id"`
		GNumber   channel.Flex `json:"gnumber"`
		UID       channel.Flex `json:"uid"`
		GName     string       `json:"gname"`
		Name      string       `json:"name"`
		GMarkname string       `json:"gmarkname"`
		Markname  string       `json:"markname"`
	}
	var discussions []struct {
		DID   channel.Flex `json:"did"`
		ID    channel.Flex `json:"id"`
		DName string       `json:"dname"`
		Name  string       `json:"name"`
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
		id := first(string(f.QQ), string(f.UID))
		if id == "" {
			id = "id:" + string(f.ID)
		}
		out = append(out, channel.Contact{Kind: channel.Private, ID: id, Name: first(f.Markname, f.Nick, f.Name)})
	}
	for _, g := range groups {
		id := first(string(g.GNumber), string(g.UID))
		if id == "" {
			id = "gid:" + first(string(g.GID), string(g.ID))
		}
		out = append(out, channel.Contact{Kind: channel.Group, ID: id, Name: first(g.GMarkname, g.Markname, g.GName, g.Name)})
	}
	for _, d := range discussions {
		out = append(out, channel.Contact{Kind: channel.Group, ID: "did:" + first(string(d.DID), string(d.ID)), Name: first(d.DName, d.Name)})
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
