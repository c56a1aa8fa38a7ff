// Package feishu posts to a Feishu/Lark (飞书) custom group bot: text messages
// with, when the bot's "签名校验" is on, a timestamp and an HMAC-SHA256 sign in
// the JSON body. The bot belongs to one group, so the target is ignored.
package feishu

import (
	"botgate/model"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	"botgate/app/channel"
)

// Type registers the connector. Feishu allows 100 requests a minute (and 5 a
// second) per bot. The webhook url carries the bot's token.
var Type = channel.Type{
	Name: "feishu",
	Fields: []channel.Field{
		{Key: "url", Label: "Webhook 地址", Kind: channel.FieldSecret, Required: true, Example: "https://open.feishu.cn/open-apis/bot/v2/hook/…",
			Help: "飞书群 → 设置 → 群机器人 → 添加机器人 → 自定义机器人，复制 webhook 地址（要像密码一样保管）"},
		{Key: "secret", Label: "签名校验密钥", Kind: channel.FieldSecret,
			Help: "自定义机器人“安全设置”里勾选“签名校验”后显示的密钥；没有勾选就留空"},
	},
	Title:         "飞书群机器人",
	Keys:          []string{"url", "secret"},
	SecretKeys:    []string{"url", "secret"},
	Required:      []string{"url"},
	RatePerMinute: 100,
	Caps:          channel.Caps{Test: true, FixedTarget: true},
	// Images need an app's image_key: a custom bot cannot upload one.
	Extras: channel.Extras{Mention: true},
	New:    New,
}

const platform = "飞书机器人"

var robot = channel.RobotKind{Platform: platform, Example: "https://open.feishu.cn/open-apis/bot/v2/hook/…", CodeKey: "code"}

// MaxBody is Feishu's limit on a custom bot's request body: its 自定义机器人
// guide says "请求体大小不能超过 20 KB". (The 150 KB text limit is the app
// bots' im/v1/messages API, not this webhook.)
const MaxBody = 20 * 1024

// TestText is what Test posts to the group.
const TestText = channel.RobotTestText

// Connector is one custom bot.
type Connector struct {
	channel.Robot
}

var (
	_ channel.Channel        = (*Connector)(nil)
	_ channel.Tester         = (*Connector)(nil)
	_ channel.ContentChecker = (*Connector)(nil)
	_ channel.FixedTarget    = (*Connector)(nil)
	_ channel.ExtrasChecker  = (*Connector)(nil)
)

// CheckContent measures the body Send would post (JSON escapes and the
// signature included), so the check before queueing and the one at send time agree.
func (c *Connector) CheckContent(text string) error {
	_, err := c.encode(text)
	return err
}

// New builds the connector; url is the bot's webhook
// (https://open.feishu.cn/open-apis/bot/v2/hook/…), secret its signing key.
func New(cfg channel.Config, deps channel.Deps) (channel.Channel, error) {
	rb, err := robot.New(cfg, deps)
	if err != nil {
		return nil, err
	}
	return &Connector{Robot: rb}, nil
}

// Sign is Feishu's signature: base64(HMAC-SHA256 keyed with
// timestamp+"\n"+secret, over an empty message).
func Sign(timestampSeconds, secret string) string {
	h := hmac.New(sha256.New, []byte(timestampSeconds+"\n"+secret))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

type body struct {
	Timestamp string            `json:"timestamp,omitempty"`
	Sign      string            `json:"sign,omitempty"`
	MsgType   string            `json:"msg_type"`
	Content   map[string]string `json:"content"`
}

// Send posts a text message; a body over 20 KB is refused before sending.
func (c *Connector) Send(ctx context.Context, m channel.Message) error {
	if err := c.CheckExtras(m); err != nil {
		return err
	}
	if err := channel.CheckEmpty(platform, m.Content); err != nil {
		return err
	}
	return c.post(ctx, MentionText(m))
}

// CheckExtras refuses attachments (a custom bot's image needs an image_key
// that only an app can upload; it has no file message) and measures the
// body with its mention tags against the 20 KB limit.
func (c *Connector) CheckExtras(m channel.Message) error {
	for _, a := range m.Attachments {
		if a.Kind == model.AttachImage {
			return channel.Unsupported(platform, "图片", "飞书自定义机器人发图片需要先用应用上传得到 image_key，群机器人没有上传接口；请改用飞书应用（feishu_app）通道，或在文字中附上图片网址")
		}
		return channel.Unsupported(platform, "文件", "飞书自定义机器人只能发送文字、富文本和卡片")
	}
	if len(m.At) > 0 {
		_, err := c.encode(MentionText(m))
		return err
	}
	return nil
}

// MentionText adds Feishu's <at user_id="…">name</at> for each mention the
// text lacks ("all" is <at user_id="all">所有人</at>); the name shown is the
// mention's, else its id.
func MentionText(m channel.Message) string {
	text := m.Content
	for _, mn := range m.At {
		if strings.Contains(text, `<at user_id="`+mn.ID+`"`) {
			continue
		}
		name := channel.MentionName(mn)
		if mn.ID == model.MentionAll {
			name = "所有人"
		}
		text += ` <at user_id="` + tagEscaper.Replace(mn.ID) + `">` + tagEscaper.Replace(name) + `</at>`
	}
	return text
}

var tagEscaper = strings.NewReplacer(`"`, "&quot;", "<", "&lt;", ">", "&gt;", "&", "&amp;")

// Test posts TestText: a webhook has no read-only call, and only a real message
// proves the token, the sign and the bot's keyword setting.
func (c *Connector) Test(ctx context.Context) error {
	return c.post(ctx, TestText)
}

// encode builds the signed request body, refusing one over MaxBody.
func (c *Connector) encode(text string) ([]byte, error) {
	b := body{MsgType: "text", Content: map[string]string{"text": text}}
	if c.Secret != "" {
		b.Timestamp = strconv.FormatInt(c.Now().Unix(), 10)
		b.Sign = Sign(b.Timestamp, c.Secret)
	}
	raw, err := json.Marshal(b)
	if err != nil {
		return nil, channel.Permanentf(err, "消息无法编码")
	}
	if len(raw) > MaxBody {
		return nil, channel.Permanentf(nil, "消息过长：飞书机器人请求最大 20 KB（约 %d 个汉字），当前 %d 字节。请缩短内容或拆成多条发送", MaxBody/3, len(raw))
	}
	return raw, nil
}

func (c *Connector) post(ctx context.Context, text string) error {
	raw, err := c.encode(text)
	if err != nil {
		return err
	}
	code, msg, err := c.Post(ctx, channel.Request{Body: raw, CType: "application/json; charset=utf-8"}, &result{})
	if err != nil {
		return err
	}
	return classify(code, msg)
}
