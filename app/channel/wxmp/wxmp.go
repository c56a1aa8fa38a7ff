// Package wxmp sends WeChat official-account template messages through the
// "微信营销平台" (WeChat marketing platform): an OAuth2 client_credentials token
// (cached, refreshed before it expires; its expires_in is in milliseconds) is
// sent as the Sso-Token header of a form-encoded sendMsg call whose msgContent is
// the template's name/value list.
package wxmp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"botgate/app/channel"
)

// Type registers the connector.
var Type = channel.Type{
	Name: "wxmp",
	Fields: []channel.Field{
		{Key: "url", Label: "营销平台地址", Kind: channel.FieldText, Required: true, Example: "http://192.168.50.32:13001",
			Help: "微信营销平台接口的地址和端口（向营销平台的管理员索取）"},
		{Key: "client_id", Label: "客户端 ID", Kind: channel.FieldText, Required: true, Example: "B966BFB4-493C-441A-BF02-8E3750644DE8",
			Help: "营销平台给本公司应用分配的 client_id"},
		{Key: "client_secret", Label: "客户端密钥", Kind: channel.FieldSecret, Required: true,
			Help: "与 client_id 一起分配的 client_secret（一长串 RSA 公钥文本）"},
		{Key: "application_key", Label: "应用 key", Kind: channel.FieldText, Required: true, Example: "wechatcp",
			Help: "营销平台后台管理的应用 key（applicationKey）"},
		{Key: "app_id", Label: "公众号 AppID", Kind: channel.FieldText, Example: "wx32817247717e7333",
			Help: "可选：公众号的 AppID（appId）"},
		{Key: "app_app_id", Label: "应用 ID", Kind: channel.FieldText, Example: "0",
			Help: "营销中心里设置的应用的 id（appAppId）"},
		{Key: "port_id", Label: "端口 ID", Kind: channel.FieldNumber, Example: "4",
			Help: "可选，优先于公众号 AppID：消息从哪个公众号端口发出（portId）"},
		{Key: "msg_temp_id", Label: "模板 ID", Kind: channel.FieldText,
			Help: "可选：模板消息的模板 id，填了就不用平台上配置的模板"},
		{Key: "fields", Label: "模板字段", Kind: channel.FieldText, Default: DefaultFields,
			Help: "逗号分隔：只写字段名时按顺序取消息的各行；写 字段=文字 时用固定文字，可含 {{content}}、{{1}}…{{9}}、{{time}}"},
		{Key: "link", Label: "点击打开的网址", Kind: channel.FieldText, Example: "https://erp.example.com/order",
			Help: "可选：用户点模板消息时打开的网址"},
	},
	Title: "微信公众号模板消息 (微信营销平台)",
	Keys: []string{"url", "client_id", "client_secret", "application_key", "app_id", "app_app_id",
		"port_id", "msg_temp_id", "fields", "link"},
	SecretKeys:    []string{"client_secret"},
	Required:      []string{"url", "client_id", "client_secret", "application_key"},
	RatePerMinute: 60,
	Caps:          channel.Caps{Test: true, Validates: true},
	// A template message is fields of text: no mentions, images or files.
	Extras: channel.Extras{},
	New:    New,
}

const (
	platform     = "微信营销平台"
	tokenPath    = "/oauth2/ums/oauth2/accessToken"
	sendPath     = "/mpwechat/wx/api/fans/sendMsg"
	defaultLife  = 2 * time.Hour // when the platform omits expires_in
	maxMargin    = 5 * time.Minute
	timeTemplate = "2006-01-02 15:04"
)

// DefaultFields is the template mapping used when the channel sets none: the
// message's lines fill the classic template fields in order.
const DefaultFields = "first,keyword1,keyword2,keyword3,keyword4,remark"

// Connector is one client of the marketing platform.
type Connector struct {
	base   string
	cfg    map[string]string
	fields []field
	client *http.Client
	now    func() time.Time

	mu        sync.Mutex // held while a token is fetched: one refresh at a time
	token     string
	refreshAt time.Time
}

var (
	_ channel.Channel         = (*Connector)(nil)
	_ channel.TargetValidator = (*Connector)(nil)
	_ channel.Tester          = (*Connector)(nil)
)

// New builds the connector; url is the platform base, e.g. http://host:13001.
func New(cfg channel.Config, deps channel.Deps) (channel.Channel, error) {
	base, err := channel.BaseURL(cfg, "url", platform, "http://营销平台地址:13001")
	if err != nil {
		return nil, err
	}
	if err := channel.NeedKeys(cfg, platform, "client_id", "client_secret", "application_key"); err != nil {
		return nil, err
	}
	spec := cfg.Values["fields"]
	if strings.TrimSpace(spec) == "" {
		spec = DefaultFields
	}
	fields, err := parseFields(spec)
	if err != nil {
		return nil, err
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	vals := map[string]string{}
	for k, v := range cfg.Values {
		vals[k] = strings.TrimSpace(v)
	}
	return &Connector{base: base, cfg: vals, fields: fields, client: deps.HTTP, now: now}, nil
}

// envelope is every platform reply: success 1 = done, 0 = failed.
type envelope struct {
	Success     int             `json:"success"`
	MessageCode int             `json:"messageCode"`
	Message     string          `json:"message"`
	Result      json.RawMessage `json:"result"`
}

// accessToken returns the cached token, fetching a new one when there is none
// or it is about to expire. The mutex makes concurrent senders wait for the
// single refresh in progress instead of starting their own.
func (c *Connector) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.now().Before(c.refreshAt) {
		return c.token, nil
	}
	form := url.Values{
		"grant_type":     {"client_credentials"},
		"autoRefresh":    {"true"},
		"applicationKey": {c.cfg["application_key"]},
		"client_id":      {c.cfg["client_id"]},
		"client_secret":  {c.cfg["client_secret"]},
	}
	var r envelope
	if err := channel.Do(ctx, c.client, channel.Request{URL: c.base + tokenPath, Form: form, Platform: platform}, &r); err != nil {
		if s := channel.HTTPStatus(err); s == http.StatusUnauthorized || s == http.StatusForbidden {
			return "", channel.Permanentf(err, "微信营销平台拒绝了客户端凭据（HTTP %d），请检查 client_id、client_secret 和 application_key", s)
		}
		return "", err
	}
	var res struct {
		AccessToken string       `json:"access_token"`
		ExpiresIn   channel.Flex `json:"expires_in"` // milliseconds, sent as a string
	}
	if r.Success != 1 || json.Unmarshal(r.Result, &res) != nil || res.AccessToken == "" {
		detail := fmt.Errorf("token: success %d, messageCode %d: %s", r.Success, r.MessageCode, r.Message)
		if r.MessageCode >= 500 {
			return "", channel.Transientf(detail, "微信营销平台暂时无法发放访问令牌（%s），稍后重试", r.Message)
		}
		return "", channel.Permanentf(detail, "微信营销平台没有发放访问令牌（%s），请检查 client_id、client_secret 和 application_key", r.Message)
	}
	life := time.Duration(res.ExpiresIn.Int64()) * time.Millisecond
	if life <= 0 {
		life = defaultLife
	}
	c.token = res.AccessToken
	c.refreshAt = c.now().Add(life - min(maxMargin, life/10))
	return c.token, nil
}

// dropToken forgets tok after the platform refused it, unless another sender
// already replaced it.
func (c *Connector) dropToken(tok string) {
	c.mu.Lock()
	if c.token == tok {
		c.token = ""
	}
	c.mu.Unlock()
}

// ValidateTarget accepts one unified userId (digits) or one openId.
func (c *Connector) ValidateTarget(kind, to string) error {
	if kind == channel.Group {
		return fmt.Errorf("公众号模板消息只能发给个人：请在 QQ 参数中填写统一用户 userId 或 openId，不要填 group")
	}
	to = strings.TrimSpace(to)
	if to == "" || strings.ContainsAny(to, " ,;\t\r\n") {
		return fmt.Errorf("接收者 %q 无效：请填写一个统一用户 userId（数字）或公众号 openId", to)
	}
	return nil
}

// Send delivers one template message. A token the platform refuses is dropped
// and the call is tried once more with a fresh one.
func (c *Connector) Send(ctx context.Context, m channel.Message) error {
	if err := c.ValidateTarget(m.Kind, m.To); err != nil {
		return channel.Permanentf(nil, "%s", err.Error())
	}
	if err := channel.CheckEmpty(platform, m.Content); err != nil {
		return err
	}
	content, err := json.Marshal(c.fill(m.Content))
	if err != nil {
		return channel.Permanentf(err, "模板消息内容无法编码")
	}
	form := url.Values{"msgType": {"1"}, "msgContent": {string(content)}}
	to := strings.TrimSpace(m.To)
	if _, err := strconv.ParseUint(to, 10, 64); err == nil {
		form.Set("userId", to)
	} else {
		form.Set("toUserOpenId", to)
	}
	for key, param := range map[string]string{"app_app_id": "appAppId", "port_id": "portId", "app_id": "appId", "msg_temp_id": "msgTempId", "link": "url"} {
		if v := c.cfg[key]; v != "" {
			form.Set(param, v)
		}
	}
	for attempt := 0; ; attempt++ {
		tok, err := c.accessToken(ctx)
		if err != nil {
			return err
		}
		err = c.send(ctx, tok, form)
		if !isTokenRefused(err) {
			return err
		}
		c.dropToken(tok)
		if attempt == 1 {
			return channel.Permanentf(err, "微信营销平台拒绝了新取得的访问令牌，请检查 application_key 是否有发送消息的权限")
		}
	}
}

// tokenRefused marks a sendMsg failure caused by the Sso-Token itself.
type tokenRefused struct{ error }

func (e tokenRefused) Unwrap() error { return e.error }

func isTokenRefused(err error) bool {
	var t tokenRefused
	return errors.As(err, &t)
}

func (c *Connector) send(ctx context.Context, tok string, form url.Values) error {
	var r envelope
	err := channel.Do(ctx, c.client, channel.Request{URL: c.base + sendPath, Header: http.Header{"Sso-Token": {tok}}, Form: form, Platform: platform}, &r)
	if err != nil {
		if channel.HTTPStatus(err) == http.StatusUnauthorized {
			return tokenRefused{err}
		}
		return err
	}
	if r.Success == 1 {
		return nil
	}
	if r.MessageCode == http.StatusUnauthorized {
		return tokenRefused{fmt.Errorf("messageCode 401: %s", r.Message)}
	}
	return classify(r)
}

var (
	wxCodeText = regexp.MustCompile(`错误代码\s*[:：]\s*(-?\d+)`)
	wxCodeJSON = regexp.MustCompile(`"errcode"\s*:\s*(-?\d+)`)
)

// wxErrors are the WeChat error codes a template message can fail with that
// no retry can fix, worded for the admin.
var wxErrors = map[int]string{
	43004: "接收者没有关注公众号（微信错误 43004：需要接收者关注），请让对方先关注公众号再发送",
	43101: "接收者拒绝接收该模板消息（微信错误 43101），需对方在公众号中重新允许",
	40003: "接收者 openId 无效（微信错误 40003），请检查 userId/openId 是否属于该公众号",
	40037: "模板 ID 无效（微信错误 40037），请检查通道设置中的 msg_temp_id",
	47003: "模板参数不正确（微信错误 47003），请检查通道设置中的 fields 是否与模板字段一致、内容是否超长",
	40013: "公众号 AppID 无效（微信错误 40013），请检查通道设置中的 app_id",
	41028: "模板消息参数无效（微信错误 41028），请检查 fields 设置",
}

// wxRetry are WeChat codes that pass: busy, quota per minute, the platform's
// own WeChat token expiring.
var wxRetry = map[int]bool{-1: true, 45009: true, 45047: true, 40001: true, 42001: true, 40014: true}

func classify(r envelope) error {
	detail := fmt.Errorf("success %d, messageCode %d: %s", r.Success, r.MessageCode, r.Message)
	msg := strings.TrimSpace(r.Message)
	code, found := 0, false
	for _, re := range []*regexp.Regexp{wxCodeText, wxCodeJSON} {
		if m := re.FindStringSubmatch(msg); m != nil {
			code, _ = strconv.Atoi(m[1])
			found = true
			break
		}
	}
	switch {
	case found && wxErrors[code] != "":
		return channel.Permanentf(detail, "%s", wxErrors[code])
	case found && wxRetry[code]:
		return channel.Transientf(detail, "微信暂时无法发送（微信错误 %d），稍后重试", code)
	case r.MessageCode >= 400 && r.MessageCode < 500:
		return channel.Permanentf(detail, "微信营销平台拒绝发送（%s），请检查接收者和通道设置（app_app_id、port_id、app_id、msg_temp_id）", msg)
	default:
		return channel.Transientf(detail, "微信营销平台发送失败（%s），稍后重试", msg)
	}
}

// Test fetches a fresh access token: harmless, and it proves the url and the
// client credentials.
func (c *Connector) Test(ctx context.Context) error {
	c.mu.Lock()
	c.token = ""
	c.mu.Unlock()
	_, err := c.accessToken(ctx)
	return err
}

// field is one template field: a name and either a template ("name=...") or
// the next line of the message (a bare name).
type field struct {
	name, tmpl string
	bare       bool
}

func parseFields(spec string) ([]field, error) {
	var out []field
	for _, item := range strings.FieldsFunc(spec, func(r rune) bool {
		return r == ',' || r == '，' || r == ';' || r == '；' || r == '\n' || r == '\r'
	}) {
		name, tmpl, hasTmpl := strings.Cut(item, "=")
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, &channel.Error{Permanent: true, Msg: fmt.Sprintf("fields 设置中 %q 缺少字段名，格式如 first,keyword1,remark=固定文字", item)}
		}
		out = append(out, field{name: name, tmpl: strings.TrimSpace(tmpl), bare: !hasTmpl})
	}
	return out, nil
}

type nameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

var placeholder = regexp.MustCompile(`\{\{\s*(content|time|[1-9])\s*\}\}`)

// fill builds msgContent: bare names take the message's lines in order (the
// last bare name takes all remaining lines); "name=text" fields expand
// {{content}}, {{time}} and {{1}}..{{9}} (lines). Empty values are left out.
func (c *Connector) fill(content string) []nameValue {
	content = strings.ReplaceAll(content, "\r\n", "\n")
	lines := strings.Split(content, "\n")
	lastBare := -1
	for i, f := range c.fields {
		if f.bare {
			lastBare = i
		}
	}
	next := 0
	var out []nameValue
	for i, f := range c.fields {
		var v string
		switch {
		case f.bare && i == lastBare && next < len(lines):
			v, next = strings.Join(lines[next:], "\n"), len(lines)
		case f.bare && next < len(lines):
			v, next = lines[next], next+1
		case !f.bare:
			v = placeholder.ReplaceAllStringFunc(f.tmpl, func(s string) string {
				key := placeholder.FindStringSubmatch(s)[1]
				switch key {
				case "content":
					return content
				case "time":
					return c.now().Format(timeTemplate)
				}
				n, _ := strconv.Atoi(key)
				if n <= len(lines) {
					return lines[n-1]
				}
				return ""
			})
		}
		if strings.TrimSpace(v) != "" {
			out = append(out, nameValue{Name: f.name, Value: v})
		}
	}
	return out
}
