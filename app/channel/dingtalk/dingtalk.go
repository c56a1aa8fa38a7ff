// Package dingtalk posts to a DingTalk (钉钉) custom group robot: text or
// markdown, optional @ by mobile or @all, and the "加签" security setting
// (timestamp and an HMAC-SHA256 sign added to the webhook URL). The robot
// belongs to one group, so the message's target is ignored.
package dingtalk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"

	"botgate/app/channel"
)

// Type registers the connector. DingTalk allows 20 messages a minute per robot
// (and then mutes it for 10 minutes). The webhook url carries the access_token.
var Type = channel.Type{
	Name: "dingtalk",
	Fields: []channel.Field{
		{Key: "url", Label: "Webhook 地址", Kind: channel.FieldSecret, Required: true, Example: "https://oapi.dingtalk.com/robot/send?access_token=…",
			Help: "钉钉群 → 群设置 → 机器人 → 添加机器人 → 自定义，完成后复制 Webhook（含 access_token，要像密码一样保管）"},
		{Key: "secret", Label: "加签密钥", Kind: channel.FieldSecret, Example: "SEC…",
			Help: "添加机器人时“安全设置”选“加签”，复制那串以 SEC 开头的密钥；选“自定义关键词”或“IP 地址（段）”时留空"},
		{Key: "format", Label: "消息格式", Kind: channel.FieldChoice, Default: "text",
			Choices: []channel.Choice{{Value: "text", Label: "纯文本（默认）"}, {Value: "markdown", Label: "Markdown（标题取第一行）"}},
			Help:    "每条最多 20000 字节；安全设置用“自定义关键词”时，消息里必须含那个关键词"},
		{Key: "at_mobiles", Label: "每条都 @ 的手机号", Kind: channel.FieldText, Example: "13800001111, 13900002222",
			Help: "每条消息都提醒的群成员手机号，逗号分隔"},
		{Key: "at_all", Label: "每条都 @所有人", Kind: channel.FieldBool, Default: "false",
			Help: "打开后每条消息都提醒群里所有人"},
	},
	Title:         "钉钉群机器人",
	Keys:          []string{"url", "secret", "format", "at_mobiles", "at_all"},
	SecretKeys:    []string{"url", "secret"},
	Required:      []string{"url"},
	RatePerMinute: 20,
	Caps:          channel.Caps{Test: true, FixedTarget: true},
	// A custom robot has no upload: images only as links in markdown.
	Extras: channel.Extras{Mention: true, Image: true, ImageURLOnly: true},
	New:    New,
}

const platform = "钉钉机器人"

var robot = channel.RobotKind{Platform: platform, Example: "https://oapi.dingtalk.com/robot/send?access_token=…", CodeKey: "errcode", Markdown: true}

// MaxContent is the content size BotGate accepts (bytes of UTF-8): DingTalk
// rejects robot messages of about 20000 bytes and more.
const MaxContent = 20000

// TestText is what Test posts to the group.
const TestText = channel.RobotTestText

// Connector is one custom robot.
type Connector struct {
	channel.Robot
	atMobiles []string
	atAll     bool
}

var (
	_ channel.Channel        = (*Connector)(nil)
	_ channel.Tester         = (*Connector)(nil)
	_ channel.ContentChecker = (*Connector)(nil)
	_ channel.FixedTarget    = (*Connector)(nil)
)

// CheckContent refuses content over MaxContent (text and markdown alike).
func (c *Connector) CheckContent(text string) error {
	return channel.CheckSize("钉钉", "机器人消息", text, MaxContent)
}

// New builds the connector; url is the robot's webhook
// (https://oapi.dingtalk.com/robot/send?access_token=…), secret the "SEC…" sign key.
func New(cfg channel.Config, deps channel.Deps) (channel.Channel, error) {
	rb, err := robot.New(cfg, deps)
	if err != nil {
		return nil, err
	}
	atAll, _ := strconv.ParseBool(strings.TrimSpace(cfg.Values["at_all"]))
	return &Connector{Robot: rb, atMobiles: channel.SplitList(cfg.Values["at_mobiles"]), atAll: atAll}, nil
}

// Sign is DingTalk's signature: base64(HMAC-SHA256(secret, timestamp+"\n"+secret)).
func Sign(timestampMillis, secret string) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(timestampMillis + "\n" + secret))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// signedURL adds timestamp and sign to the webhook when a secret is set.
func (c *Connector) signedURL() (string, error) {
	if c.Secret == "" {
		return c.URL, nil
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return "", channel.Permanentf(err, "钉钉机器人的 url 无效")
	}
	ts := strconv.FormatInt(c.Now().UnixMilli(), 10)
	q := u.Query()
	q.Set("timestamp", ts)
	q.Set("sign", Sign(ts, c.Secret))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

type at struct {
	AtMobiles []string `json:"atMobiles,omitempty"`
	AtUserIDs []string `json:"atUserIds,omitempty"`
	IsAtAll   bool     `json:"isAtAll,omitempty"`
}

type body struct {
	MsgType  string            `json:"msgtype"`
	Text     map[string]string `json:"text,omitempty"`
	Markdown map[string]string `json:"markdown,omitempty"`
	At       *at               `json:"at,omitempty"`
}

// Send posts the message to the robot's group; over-long content is refused.
// Images (by URL) make it a markdown message.
func (c *Connector) Send(ctx context.Context, m channel.Message) error {
	if len(m.Attachments) == 0 {
		if err := channel.CheckEmpty(platform, m.Content); err != nil {
			return err
		}
	}
	if err := c.CheckExtras(m); err != nil {
		return err
	}
	text, ats := mentionText(m)
	text = withImages(text, m.Attachments)
	if err := c.CheckContent(text); err != nil {
		return err
	}
	b := body{MsgType: c.Format}
	if c.Format == "markdown" || len(m.Attachments) > 0 {
		t := Title(m.Content)
		if strings.TrimSpace(m.Content) == "" {
			t = "[图片]" // what DingTalk itself lists an image as
		}
		b.MsgType, b.Markdown = "markdown", map[string]string{"title": t, "text": text}
	} else {
		b.Text = map[string]string{"content": text}
	}
	ats.AtMobiles = append(append([]string(nil), c.atMobiles...), ats.AtMobiles...)
	ats.IsAtAll = ats.IsAtAll || c.atAll
	if len(ats.AtMobiles) > 0 || len(ats.AtUserIDs) > 0 || ats.IsAtAll {
		b.At = &ats
	}
	return c.post(ctx, b)
}

// Title is the markdown message's title shown in the conversation list: its
// first line without markdown marks.
func Title(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	line = strings.TrimSpace(strings.TrimLeft(line, "#>*- "))
	if r := []rune(line); len(r) > 30 {
		line = string(r[:30])
	}
	if line == "" {
		line = "通知"
	}
	return line
}

// Test posts TestText: a webhook has no read-only call, and only a real message
// proves the access_token, the sign and the robot's keyword setting.
func (c *Connector) Test(ctx context.Context) error {
	return c.post(ctx, body{MsgType: "text", Text: map[string]string{"content": TestText}})
}

func (c *Connector) post(ctx context.Context, b body) error {
	u, err := c.signedURL()
	if err != nil {
		return err
	}
	code, msg, err := c.Post(ctx, channel.Request{URL: u, JSON: b}, &channel.ErrCodeReply{})
	if err != nil {
		return err
	}
	return classify(code, msg)
}
