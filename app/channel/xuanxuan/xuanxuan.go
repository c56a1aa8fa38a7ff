// Package xuanxuan sends messages through the application-integration API of
// XuanXuan (喧喧) enterprise IM: x.php?m=im&f=sendChatMessage to a chat group
// (gid) and f=sendNotification to users (the "小喧喧" notification centre).
// Every call is signed: token = md5(md5(query) + key), where query is the query
// string without "&token=…".
package xuanxuan

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"botgate/app/channel"
)

// Type registers the connector. The server is the office's own, so the default
// limit only protects it from a runaway script.
var Type = channel.Type{
	Name: "xuanxuan",
	Fields: []channel.Field{
		{Key: "url", Label: "喧喧服务器地址", Kind: channel.FieldText, Required: true, Example: "http://xxb.example.com:11443",
			Help: "喧喧服务器的访问地址和端口（需 2.5.5 及以上版本，BotGate 自动加上 /x.php）"},
		{Key: "code", Label: "应用代号", Kind: channel.FieldText, Required: true, Example: "botgate",
			Help: "喧喧后台 → 应用集成 → 添加应用时填写的“代号”"},
		{Key: "key", Label: "应用密钥", Kind: channel.FieldSecret, Required: true,
			Help: "同一个应用的“密钥”"},
		{Key: "title", Label: "通知标题", Kind: channel.FieldText, Default: "BotGate 通知",
			Help: "发给用户的通知在“小喧喧”里显示的标题"},
	},
	Title:         "喧喧 (XuanXuan)",
	Keys:          []string{"url", "code", "key", "title"},
	SecretKeys:    []string{"key"},
	Required:      []string{"url", "code", "key"},
	RatePerMinute: 120,
	Caps:          channel.Caps{Test: true, Directory: true, Validates: true},
	// The application API takes links, not uploads (extras.go).
	Extras: channel.Extras{Image: true, ImageURLOnly: true, File: true},
	New:    New,
}

const (
	platform     = "喧喧"
	defaultTitle = "BotGate 通知"
)

// Connector is one application registered in the XuanXuan server (应用集成).
type Connector struct {
	base, code, key, title string
	client                 *http.Client
}

var (
	_ channel.Channel         = (*Connector)(nil)
	_ channel.TargetValidator = (*Connector)(nil)
	_ channel.Tester          = (*Connector)(nil)
	_ channel.Directory       = (*Connector)(nil)
)

// New builds the connector; url is the server base, x.php is appended.
func New(cfg channel.Config, deps channel.Deps) (channel.Channel, error) {
	base, err := channel.BaseURL(cfg, "url", platform, "http://xxb.example.com:11443")
	if err != nil {
		return nil, err
	}
	if err := channel.NeedKeys(cfg, platform, "code", "key"); err != nil {
		return nil, err
	}
	title := strings.TrimSpace(cfg.Values["title"])
	if title == "" {
		title = defaultTitle
	}
	return &Connector{
		base:   strings.TrimSuffix(strings.TrimSuffix(base, "/x.php"), "/api.php"),
		code:   strings.TrimSpace(cfg.Values["code"]),
		key:    strings.TrimSpace(cfg.Values["key"]),
		title:  title,
		client: deps.HTTP,
	}, nil
}

// Sign returns the token for a query string (without "&token=…").
func Sign(query, key string) string {
	return md5hex(md5hex(query) + key)
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// endpoint builds the signed URL of method f. The order of the parameters is
// the documented one (m, f, extra, code): the signature covers the exact text.
func (c *Connector) endpoint(f string, extra ...string) string {
	q := "m=im&f=" + f
	for i := 0; i+1 < len(extra); i += 2 {
		q += "&" + extra[i] + "=" + url.QueryEscape(extra[i+1])
	}
	q += "&code=" + url.QueryEscape(c.code)
	return c.base + "/x.php?" + q + "&token=" + Sign(q, c.key)
}

// users turns "1, 4,admin" into [1, 4, "admin"]: user ids as numbers, accounts as strings.
func users(to string) []any {
	var out []any
	for _, u := range channel.SplitList(to) {
		if n, err := strconv.ParseInt(u, 10, 64); err == nil {
			out = append(out, n)
		} else {
			out = append(out, u)
		}
	}
	return out
}

// ValidateTarget refuses a notification without users: XuanXuan would answer
// "应当设置接收者用户列表" and never deliver it.
func (c *Connector) ValidateTarget(kind, to string) error {
	if kind == channel.Group {
		if strings.TrimSpace(to) == "" || strings.ContainsAny(strings.TrimSpace(to), " ,") {
			return fmt.Errorf("喧喧讨论组 %q 无效：group 参数应填一个讨论组 GID（在通讯录中可查看）", to)
		}
		return nil
	}
	if len(users(to)) == 0 {
		return fmt.Errorf("喧喧通知必须指定接收者：QQ 参数填写喧喧用户 ID 或账号，多个用逗号分隔")
	}
	return nil
}

type notice struct {
	Users       []any    `json:"users,omitempty"`
	GID         string   `json:"gid,omitempty"`
	Title       string   `json:"title"`
	Content     string   `json:"content"`
	ContentType string   `json:"contentType"`
	URL         string   `json:"url,omitempty"`
	Actions     []action `json:"actions,omitempty"`
}

type reply struct {
	Result  string          `json:"result"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
	// The entry check before the method answers in another shape (errors.go).
	ErrCode channel.Flex `json:"errcode"`
	ErrMsg  string       `json:"errmsg"`
	Error   string       `json:"error"`
}

// Send pushes a notification to users (private) or a message to a chat group.
func (c *Connector) Send(ctx context.Context, m channel.Message) error {
	if err := c.ValidateTarget(m.Kind, m.To); err != nil {
		return channel.Permanentf(nil, "%s", err.Error())
	}
	if err := c.CheckExtras(m); err != nil {
		return err
	}
	if len(m.Attachments) == 0 {
		if err := channel.CheckEmpty(platform, m.Content); err != nil {
			return err
		}
	}
	n := notice{Title: c.title, Content: m.Content, ContentType: "plain"}
	withAttachments(&n, m.Attachments)
	f := "sendNotification"
	if m.Kind == channel.Group {
		f, n.GID = "sendChatMessage", strings.TrimSpace(m.To)
	} else {
		n.Users = users(m.To)
	}
	_, err := c.call(ctx, http.MethodPost, c.endpoint(f), n)
	return err
}

func (c *Connector) call(ctx context.Context, method, u string, body any) (json.RawMessage, error) {
	var r reply
	req := channel.Request{Method: method, URL: u, Platform: platform}
	if body != nil {
		req.JSON = body
	}
	if err := channel.Do(ctx, c.client, req, &r); err != nil {
		if channel.HTTPStatus(err) == http.StatusNotFound {
			return nil, channel.Permanentf(err, "喧喧服务器上没有 x.php（HTTP 404），请确认 url 是喧喧服务器地址（2.5.5 及以上版本）")
		}
		return nil, err
	}
	if r.Result == "success" {
		return r.Data, nil
	}
	if err, ok := entryError(r); ok {
		return nil, err
	}
	return nil, classify(r)
}

// classify words a "fail" reply. Signature, application and recipient problems
// cannot fix themselves; anything else is retried.
func classify(r reply) error {
	msg := strings.TrimSpace(r.Message)
	if msg == "" {
		msg = "未说明原因"
	}
	detail := fmt.Errorf("result %q: %s", r.Result, r.Message)
	low := strings.ToLower(msg)
	for _, w := range []string{"token", "签名", "code", "应用", "密钥", "key"} {
		if strings.Contains(low, w) {
			return channel.Permanentf(detail, "喧喧拒绝了应用凭据（%s），请核对通道设置中的 code 和 key 与喧喧后台“应用集成”里的一致", msg)
		}
	}
	for _, w := range []string{"接收者", "用户", "讨论组", "gid", "不存在", "参数", "应当"} {
		if strings.Contains(low, w) {
			return channel.Permanentf(detail, "喧喧拒绝发送（%s），请检查接收者：通知填用户 ID 或账号，讨论组填 GID", msg)
		}
	}
	return channel.Transientf(detail, "喧喧发送失败（%s），稍后重试", msg)
}

// Test lists the chat groups: harmless, and it proves the url, code and key.
func (c *Connector) Test(ctx context.Context) error {
	_, err := c.call(ctx, http.MethodGet, c.endpoint("getGroupChats"), nil)
	return err
}

// Contacts lists chat groups (getGroupChats) and all users (getChatUsers without gid).
func (c *Connector) Contacts(ctx context.Context) ([]channel.Contact, error) {
	groups, err := c.names(ctx, c.endpoint("getGroupChats"))
	if err != nil {
		return nil, err
	}
	people, err := c.names(ctx, c.endpoint("getChatUsers"))
	if err != nil {
		return nil, err
	}
	out := make([]channel.Contact, 0, len(groups)+len(people))
	for _, id := range sortedKeys(groups) {
		out = append(out, channel.Contact{Kind: channel.Group, ID: id, Name: groups[id]})
	}
	for _, id := range sortedKeys(people) {
		out = append(out, channel.Contact{Kind: channel.Private, ID: id, Name: people[id]})
	}
	return out, nil
}

// names decodes data, an object of id → name (PHP sends [] when it is empty).
func (c *Connector) names(ctx context.Context, u string) (map[string]string, error) {
	data, err := c.call(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	if d := bytes.TrimSpace(data); len(d) == 0 || d[0] == '[' || string(d) == "null" {
		return out, nil
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, channel.Transientf(err, "喧喧返回的通讯录数据无法识别")
	}
	return out, nil
}

// sortedKeys orders numeric ids numerically, others as text.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, ea := strconv.Atoi(keys[i])
		b, eb := strconv.Atoi(keys[j])
		if ea == nil && eb == nil {
			return a < b
		}
		return keys[i] < keys[j]
	})
	return keys
}
