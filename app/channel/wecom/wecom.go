// Package wecom posts to a WeCom (企业微信) group robot webhook: text (with
// mentioned_list / mentioned_mobile_list) or markdown, images (base64 + md5)
// and files (uploaded through the robot's upload_media). The robot belongs to
// one group, so the message's target is ignored.
package wecom

import (
	"context"
	"strings"

	"botgate/app/channel"
)

// Type registers the connector. WeCom allows 20 messages a minute per robot.
// The webhook url carries the robot's key, so it is a secret too.
var Type = channel.Type{
	Name: "wecom",
	Fields: []channel.Field{
		{Key: "url", Label: "Webhook 地址", Kind: channel.FieldSecret, Required: true, Example: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
			Help: "企业微信群聊右上角“…” → 添加群机器人 → 新创建一个机器人，复制它的 Webhook 地址（含 key，要像密码一样保管）"},
		{Key: "format", Label: "消息格式", Kind: channel.FieldChoice, Default: "text",
			Choices: []channel.Choice{{Value: "text", Label: "纯文本（默认）"}, {Value: "markdown", Label: "Markdown（可加粗、加链接；不能按手机号 @）"}},
			Help:    "纯文本每条最多 2048 字节，Markdown 最多 4096 字节（一个汉字 3 字节）"},
		{Key: "mentioned_list", Label: "每条都 @ 的成员", Kind: channel.FieldText, Example: "zhangsan, lisi",
			Help: "每条文字消息都提醒的成员 userid，逗号分隔，@all 为所有人；userid 即企业微信管理后台“通讯录”成员详情里的“账号”"},
		{Key: "mentioned_mobile_list", Label: "每条都 @ 的手机号", Kind: channel.FieldText, Example: "13800001111, 13900002222",
			Help: "按手机号提醒成员，逗号分隔"},
	},
	Title:         "企业微信群机器人",
	Keys:          []string{"url", "format", "mentioned_list", "mentioned_mobile_list"},
	SecretKeys:    []string{"url"},
	Required:      []string{"url"},
	RatePerMinute: 20,
	Caps:          channel.Caps{Test: true, FixedTarget: true},
	Extras:        channel.Extras{Mention: true, Image: true, File: true},
	New:           New,
}

const platform = "企业微信机器人"

var robot = channel.RobotKind{Platform: platform, Example: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…", CodeKey: "errcode", Markdown: true}

// Platform size limits (bytes of UTF-8 content), from WeCom's 群机器人配置说明:
// text content "最长不超过2048个字节", markdown content "最长不超过4096个字节".
const (
	MaxText     = 2048
	MaxMarkdown = 4096
)

// TestText is what Test posts to the group.
const TestText = channel.RobotTestText

// Connector is one group robot.
type Connector struct {
	channel.Robot
	mentioned, mobiles []string
}

var (
	_ channel.Channel        = (*Connector)(nil)
	_ channel.Tester         = (*Connector)(nil)
	_ channel.ContentChecker = (*Connector)(nil)
	_ channel.FixedTarget    = (*Connector)(nil)
	_ channel.ExtrasChecker  = (*Connector)(nil)
)

// CheckContent applies the limit of the channel's format.
func (c *Connector) CheckContent(text string) error {
	if c.Format == "markdown" {
		return channel.CheckSize("企业微信", " markdown 消息", text, MaxMarkdown)
	}
	return channel.CheckSize("企业微信", "文本消息", text, MaxText)
}

// New builds the connector; url is the robot's full webhook URL
// (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…).
func New(cfg channel.Config, deps channel.Deps) (channel.Channel, error) {
	rb, err := robot.New(cfg, deps)
	if err != nil {
		return nil, err
	}
	return &Connector{Robot: rb, mentioned: channel.SplitList(cfg.Values["mentioned_list"]),
		mobiles: channel.SplitList(cfg.Values["mentioned_mobile_list"])}, nil
}

type text struct {
	Content             string   `json:"content"`
	MentionedList       []string `json:"mentioned_list,omitempty"`
	MentionedMobileList []string `json:"mentioned_mobile_list,omitempty"`
}

type markdown struct {
	Content string `json:"content"`
}

type body struct {
	MsgType  string    `json:"msgtype"`
	Text     *text     `json:"text,omitempty"`
	Markdown *markdown `json:"markdown,omitempty"`
	Image    *image    `json:"image,omitempty"`
	File     *file     `json:"file,omitempty"`
}

// Send posts the message to the robot's group. Over-long content is refused
// (not split): see channel.CheckSize. A robot message has one type, so text
// and each attachment are posts of their own, text first; every attachment
// is fetched and uploaded before the first post, so a failure there sends
// nothing. A failure after the first post is retried whole: the group may
// then see the text twice (docs/channels.md says so).
func (c *Connector) Send(ctx context.Context, m channel.Message) error {
	if len(m.Attachments) == 0 {
		if err := channel.CheckEmpty(platform, m.Content); err != nil {
			return err
		}
	}
	if err := c.CheckExtras(m); err != nil {
		return err
	}
	var posts []body
	if strings.TrimSpace(m.Content) != "" {
		b := c.textBody(m)
		if err := c.CheckContent(b.content()); err != nil {
			return err
		}
		posts = append(posts, b)
	}
	media, err := c.mediaBodies(ctx, m.Attachments)
	if err != nil {
		return err
	}
	for _, b := range append(posts, media...) {
		if err := c.post(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

// Test posts TestText: a webhook has no read-only call, and a visible message
// is the only proof that the key is right and the robot still in its group.
func (c *Connector) Test(ctx context.Context) error {
	return c.post(ctx, body{MsgType: "text", Text: &text{Content: TestText}})
}

func (c *Connector) post(ctx context.Context, b body) error {
	code, msg, err := c.Post(ctx, channel.Request{JSON: b}, &channel.ErrCodeReply{})
	if err != nil {
		return err
	}
	return classify(code, msg)
}
