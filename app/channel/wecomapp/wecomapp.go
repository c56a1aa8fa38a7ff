// Package wecomapp is a WeCom (企业微信) self-built app (自建应用): it tells
// one person or a list of them (message/send, touser "a|b|c") and the group
// chats the app created (appchat/send), text or markdown, images and files
// uploaded through media/upload, with an access token from gettoken (token.go);
// and it answers their questions through the app's callback URL: URL
// verification and encrypted messages (callback.go), answered with
// message/send through the outbox.
package wecomapp

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"botgate/app/channel"
)

// DefaultURL is WeCom's API host.
const DefaultURL = "https://qyapi.weixin.qq.com"

const platform = "企业微信应用"

// Limits from WeCom's 发送应用消息 and 全局错误码 pages: a text message's
// content "最长不超过2048个字节" (45002 "消息内容大小超过限制"); BotGate holds a
// markdown message to the same bytes. MaxUsers is touser's "最多支持1000个".
const (
	MaxContent = 2048
	MaxUsers   = 1000
)

// Type registers the connector. The default rate is BotGate's own: WeCom
// allows a corp 10000 calls a minute of one API; what it holds each member
// to (30 messages a minute) the connector keeps itself (pace.go). An answer
// in chat is held to 500 characters: 2048 bytes even at 4 bytes a character.
var Type = channel.Type{
	Name:          "wecom_app",
	Title:         "企业微信自建应用",
	Keys:          []string{"corp_id", "agent_id", "corp_secret", "format", "callback_token", "callback_aes_key", "url"},
	SecretKeys:    []string{"corp_secret", "callback_token", "callback_aes_key"},
	Required:      []string{"corp_id", "agent_id", "corp_secret"},
	RatePerMinute: 600,
	ReplyRunes:    500,
	Caps:          channel.Caps{Test: true, Directory: true, Validates: true, Webhook: true},
	Extras:        channel.Extras{Image: true, File: true},
	Fields:        fields,
	New:           New,
}

var fields = []channel.Field{
	{Key: "corp_id", Label: "企业ID", Kind: channel.FieldText, Required: true, Example: "ww1234567890abcdef",
		Help: "企业微信管理后台 → 我的企业 → 企业信息，页面最下方的“企业ID”（CorpID）"},
	{Key: "agent_id", Label: "应用 AgentId", Kind: channel.FieldNumber, Required: true, Example: "1000002",
		Help: "应用管理 → 自建应用 → 打开本应用，详情页上的 AgentId（数字）"},
	{Key: "corp_secret", Label: "应用密钥 Secret", Kind: channel.FieldSecret, Required: true,
		Help: "同一应用详情页的 Secret：点“查看”后发到管理员的企业微信客户端。重置 Secret 后要在这里同步更新。" +
			"2022 年 6 月以后创建的应用还要在详情页“企业可信IP”中添加 BotGate 所在网络的公网出口 IP，否则接口返回 60020"},
	{Key: "format", Label: "消息格式", Kind: channel.FieldChoice, Default: "text",
		Help:    "text：纯文字（微信插件里也能看）；markdown：企业微信 markdown 子集（只在企业微信客户端显示）",
		Choices: []channel.Choice{{Value: "text", Label: "文字"}, {Value: "markdown", Label: "Markdown 排版"}}},
	{Key: "callback_token", Label: "接收消息 Token", Kind: channel.FieldSecret,
		Help: "聊天查询用：应用详情页 → 接收消息 → 设置API接收，点“随机获取”的 Token，两边填同一个。" +
			"URL 填 https://公网地址/webhook/通道名称（企业微信要能从外网访问到 BotGate）"},
	{Key: "callback_aes_key", Label: "消息加解密密钥 EncodingAESKey", Kind: channel.FieldSecret, Example: "43 个字母或数字",
		Help: "同一页面的 EncodingAESKey（43 个字符，点“随机获取”）。不做聊天查询时 Token 和 EncodingAESKey 都可以不填"},
	{Key: "url", Label: "接口地址", Kind: channel.FieldText, Default: DefaultURL, Example: DefaultURL,
		Help: "企业微信 API 地址，一般不用改；经代理或私有化部署时填对应地址"},
}

// Connector is one self-built app of one corp.
type Connector struct {
	base    string
	corpID  string
	secret  string
	agentID int64
	format  string // "text" or "markdown"
	cb      *callback
	client  *http.Client
	now     func() time.Time
	tokens  tokenCache
	pace    pacer
}

var (
	_ channel.Channel         = (*Connector)(nil)
	_ channel.TargetValidator = (*Connector)(nil)
	_ channel.ContentChecker  = (*Connector)(nil)
	_ channel.ExtrasChecker   = (*Connector)(nil)
	_ channel.Tester          = (*Connector)(nil)
	_ channel.Directory       = (*Connector)(nil)
	_ channel.URLVerifier     = (*Connector)(nil)
	_ channel.ChatCreator     = (*Connector)(nil)
)

// New builds the connector from the channel's config.
func New(cfg channel.Config, deps channel.Deps) (channel.Channel, error) {
	vals := channel.Config{Name: cfg.Name, Type: cfg.Type, Values: map[string]string{}}
	for k, v := range cfg.Values {
		vals.Values[k] = strings.TrimSpace(v)
	}
	if vals.Values["url"] == "" {
		vals.Values["url"] = DefaultURL
	}
	base, err := channel.BaseURL(vals, "url", platform, DefaultURL)
	if err != nil {
		return nil, err
	}
	if err := channel.NeedKeys(vals, platform, "corp_id", "agent_id", "corp_secret"); err != nil {
		return nil, err
	}
	agent, err := strconv.ParseInt(vals.Values["agent_id"], 10, 64)
	if err != nil || agent <= 0 {
		return nil, &channel.Error{Permanent: true, Msg: fmt.Sprintf("%s的 agent_id 应为应用详情页上的 AgentId（一串数字，如 1000002），不是 %q", platform, vals.Values["agent_id"])}
	}
	format, err := channel.TextFormat(vals, platform)
	if err != nil {
		return nil, err
	}
	cb, err := newCallback(vals.Values["callback_token"], vals.Values["callback_aes_key"])
	if err != nil {
		return nil, err
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	c := &Connector{base: base, corpID: vals.Values["corp_id"], secret: vals.Values["corp_secret"], agentID: agent,
		format: format, cb: cb, client: deps.HTTP, now: now}
	c.pace.init()
	return c, nil
}

// userID is WeCom's rule for a userid (40003 "有效的UserID需要满足：长度1~64字符，由
// 英文字母、数字、中划线、下划线以及点号构成"), with "@" for the e-mail-like
// ids older corps still have.
var userID = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,64}$`)

// chatID is appchat's chatid ("最长32个字符。只允许字符0-9及字母a-zA-Z"), with a
// little room for ids WeCom generates.
var chatID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// recipients splits a private target, "a|b|c", into userids.
func recipients(to string) []string {
	var out []string
	for _, id := range strings.Split(to, "|") {
		if id = strings.TrimSpace(id); id != "" {
			out = append(out, id)
		}
	}
	return out
}

// ValidateTarget accepts a userid or a "|" list of them (QQ), or the chatid
// of a group chat the app created (group).
func (c *Connector) ValidateTarget(kind, to string) error {
	if kind == channel.Group {
		if !chatID.MatchString(strings.TrimSpace(to)) {
			return fmt.Errorf("群聊 chatid %q 无效：group 应为本应用用 appchat/create 创建的群聊的 chatid（字母和数字）", to)
		}
		return nil
	}
	ids := recipients(to)
	switch {
	case len(ids) == 0:
		return fmt.Errorf("缺少接收者：QQ 应为成员的 userid，多个用 | 分隔")
	case len(ids) > MaxUsers:
		return fmt.Errorf("接收者太多：企业微信一次最多发给 %d 人，当前 %d 人，请拆成多条", MaxUsers, len(ids))
	}
	for _, id := range ids {
		switch {
		case id == "@all" && len(ids) == 1:
			continue // WeCom's "everyone in the app's visible range"
		case id == "@all":
			return fmt.Errorf("@all（发给应用可见范围内的所有人）只能单独使用，不能和其他 userid 一起列出")
		case !userID.MatchString(id):
			return fmt.Errorf("userid %q 无效：userid 是通讯录成员详情里的“账号”，由 1～64 个字母、数字、-、_、. 组成；多个接收者用 | 分隔（不是逗号）", id)
		}
	}
	return nil
}

// CheckContent applies WeCom's 2048 bytes to text and markdown alike.
func (c *Connector) CheckContent(text string) error {
	what := "文本消息"
	if c.format == "markdown" {
		what = " markdown 消息"
	}
	return channel.CheckSize("企业微信应用", what, text, MaxContent)
}
