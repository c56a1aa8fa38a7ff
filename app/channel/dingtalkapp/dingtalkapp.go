// Package dingtalkapp connects a DingTalk (钉钉) internal app's robot
// (企业内部应用机器人). It sends with the app's access token to one person or a
// list of up to 20 (oToMessages/batchSend) and to a group
// (groupMessages/send), and it answers chat messages over Stream mode: a
// WebSocket that BotGate opens itself, so the office needs no public address.
package dingtalkapp

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"botgate/app/channel"
	"botgate/app/channel/dingtalk"
	"botgate/model"
)

const (
	platform   = "钉钉应用"
	defaultURL = "https://api.dingtalk.com"

	tokenPath = "/v1.0/oauth2/accessToken"
	otoPath   = "/v1.0/robot/oToMessages/batchSend"
	groupPath = "/v1.0/robot/groupMessages/send"

	// MaxUsers is how many userIds batchSend takes in one call.
	MaxUsers = 20
	// MaxParam bounds msgParam, the message as DingTalk receives it (its
	// group send documents "不超过 15000 字节"; the one-to-one send shares the
	// message templates).
	MaxParam = 15000
)

// consoleHelp is where an admin finds the app's credentials.
const consoleHelp = "钉钉开发者后台（open-dev.dingtalk.com）→ 应用开发 → 企业内部应用 → 你的应用 → 凭证与基础信息"

// Type registers the connector. DingTalk allows an internal app 20 calls a
// second per API; the default keeps to that.
var Type = channel.Type{
	Name:          "dingtalk_app",
	Title:         "钉钉企业内部应用机器人",
	Keys:          []string{"client_id", "client_secret", "robot_code", "format", "url"},
	SecretKeys:    []string{"client_secret"},
	Required:      []string{"client_id", "client_secret"},
	RatePerMinute: 1200,
	Caps:          channel.Caps{Test: true, Validates: true, Listener: true},
	// The robot API takes images as links (sampleImageMsg, markdown); it
	// has no upload of its own and no @ in its group send.
	Extras: channel.Extras{Image: true, ImageURLOnly: true},
	Fields: []channel.Field{
		{Key: "client_id", Label: "Client ID（原 AppKey）", Kind: channel.FieldText, Required: true, Example: "dingxxxxxxxxxxxxxxxx",
			Help: consoleHelp + " 中的 Client ID（原 AppKey）"},
		{Key: "client_secret", Label: "Client Secret（原 AppSecret）", Kind: channel.FieldSecret, Required: true,
			Help: consoleHelp + " 中的 Client Secret（原 AppSecret）"},
		{Key: "robot_code", Label: "机器人 RobotCode", Kind: channel.FieldText,
			Help: "钉钉开发者后台 → 你的应用 → 应用功能 → 机器人 页面的 RobotCode。企业内部应用的机器人与 Client ID 相同，留空即用 Client ID。" +
				"要在聊天里查询：机器人的“消息接收模式”选 Stream 模式，并发布应用版本"},
		{Key: "format", Label: "消息格式", Kind: channel.FieldChoice, Default: "text", Help: "发出的消息是纯文字，还是 Markdown 排版",
			Choices: []channel.Choice{{Value: "text", Label: "文字"}, {Value: "markdown", Label: "Markdown（标题取第一行）"}}},
		{Key: "url", Label: "接口地址", Kind: channel.FieldText, Default: defaultURL, Example: defaultURL,
			Help: "钉钉开放平台的接口地址，一般不用改"},
	},
	New: New,
}

// Connector is one internal app's robot.
type Connector struct {
	base      string
	clientID  string
	secret    string
	robotCode string
	format    string
	client    *http.Client
	now       func() time.Time
	log       *slog.Logger
	tokens    *channel.TokenCache

	// Stream settings, shorter in tests.
	retryFirst time.Duration // first wait after a dropped connection
	pingEvery  time.Duration // WebSocket ping to notice a dead connection
	flowPause  time.Duration // wait before resending to rate-limited users
}

var (
	_ channel.Channel         = (*Connector)(nil)
	_ channel.Tester          = (*Connector)(nil)
	_ channel.TargetValidator = (*Connector)(nil)
	_ channel.ContentChecker  = (*Connector)(nil)
	_ channel.ExtrasChecker   = (*Connector)(nil)
	_ channel.Listener        = (*Connector)(nil)
)

// New builds the connector from url (default https://api.dingtalk.com),
// client_id, client_secret, robot_code (default client_id) and format.
func New(cfg channel.Config, deps channel.Deps) (channel.Channel, error) {
	if strings.TrimSpace(cfg.Values["url"]) == "" {
		cfg.Values["url"] = defaultURL
	}
	base, err := channel.BaseURL(cfg, "url", platform, defaultURL)
	if err != nil {
		return nil, err
	}
	if err := channel.NeedKeys(cfg, platform, "client_id", "client_secret"); err != nil {
		return nil, err
	}
	format, err := channel.TextFormat(cfg, platform)
	if err != nil {
		return nil, err
	}
	c := &Connector{
		base:       base,
		clientID:   strings.TrimSpace(cfg.Values["client_id"]),
		secret:     strings.TrimSpace(cfg.Values["client_secret"]),
		robotCode:  strings.TrimSpace(cfg.Values["robot_code"]),
		format:     format,
		client:     deps.HTTP,
		now:        deps.Now,
		log:        deps.Log,
		retryFirst: time.Second,
		pingEvery:  20 * time.Second,
		flowPause:  2 * time.Second,
	}
	if c.robotCode == "" {
		c.robotCode = c.clientID
	}
	if c.client == nil {
		c.client = http.DefaultClient
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.log = c.log.With("channel", cfg.Name)
	c.tokens = channel.NewTokenCache(c.fetchToken, c.now)
	return c, nil
}

// fetchToken asks for the internal app's access token (valid 7200 s).
func (c *Connector) fetchToken(ctx context.Context) (string, time.Duration, error) {
	var r struct {
		AccessToken string `json:"accessToken"`
		ExpireIn    int64  `json:"expireIn"`
	}
	body := map[string]string{"appKey": c.clientID, "appSecret": c.secret}
	err := channel.Do(ctx, c.client, channel.Request{URL: c.base + tokenPath, JSON: body, Platform: platform}, &r)
	if e, ok := apiError(err); ok && e.status < 500 {
		return "", 0, channel.Permanentf(err, "钉钉拒绝了 Client ID / Client Secret（%s），请到 %s 核对后重新填写", e, consoleHelp)
	}
	if err != nil {
		return "", 0, err
	}
	if r.AccessToken == "" {
		return "", 0, channel.Transientf(nil, "钉钉没有返回 accessToken，请确认 url 是钉钉开放平台的接口地址（%s）", defaultURL)
	}
	life := time.Duration(r.ExpireIn) * time.Second
	if life <= 0 {
		life = 2 * time.Hour
	}
	return r.AccessToken, life, nil
}

// call posts body to path with the access token, decoding the reply into
// out; a refused token is replaced once (TokenCache.Call).
func (c *Connector) call(ctx context.Context, path string, body, out any) error {
	return c.tokens.Call(ctx, func(tok string) error {
		err := channel.Do(ctx, c.client, channel.Request{URL: c.base + path, JSON: body, Platform: platform,
			Header: http.Header{"X-Acs-Dingtalk-Access-Token": {tok}}}, out)
		return classify(err)
	})
}

// splitUsers reads a private target: one userId or a "|"-separated list.
func splitUsers(to string) []string {
	var ids []string
	for _, id := range strings.Split(to, "|") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// ValidateTarget accepts up to MaxUsers userIds ("a|b|c") for a private
// message and one openConversationId for a group.
func (c *Connector) ValidateTarget(kind, to string) error {
	to = strings.TrimSpace(to)
	if kind == channel.Group {
		if to == "" || strings.ContainsAny(to, "| \t\r\n") {
			return fmt.Errorf("钉钉群 %q 无效：group 填群的 openConversationId（cid 开头，可在机器人收到的群消息或钉钉 chooseChat 接口中得到），一次一个群", to)
		}
		return nil
	}
	ids := splitUsers(to)
	if len(ids) == 0 {
		return fmt.Errorf("钉钉接收者为空：QQ 填员工的 userId，多人用 | 分隔")
	}
	if len(ids) > MaxUsers {
		return fmt.Errorf("钉钉一次最多发给 %d 人，当前 %d 人：请分成多条发送", MaxUsers, len(ids))
	}
	for _, id := range ids {
		if strings.ContainsAny(id, " \t\r\n,，") {
			return fmt.Errorf("钉钉接收者 %q 无效：填员工的 userId（钉钉管理后台 → 通讯录 → 成员详情中可见），多人用 | 分隔", id)
		}
	}
	return nil
}

// CheckContent refuses a text whose message parameter would exceed MaxParam.
func (c *Connector) CheckContent(text string) error {
	_, _, err := c.encode(channel.Message{Content: text})
	return err
}

// CheckExtras refuses what the robot API cannot carry: uploaded image
// bytes, files and mentions; and measures the message with its image links.
func (c *Connector) CheckExtras(m channel.Message) error {
	if len(m.At) > 0 {
		return channel.Unsupported(platform, "@成员", "钉钉企业机器人的群消息接口没有 @ 功能；需要 @ 时请用钉钉群机器人（dingtalk）通道")
	}
	for _, a := range m.Attachments {
		switch {
		case a.Kind != model.AttachImage:
			return channel.Unsupported(platform, "文件", "钉钉企业机器人发文件要先用钉钉的媒体上传接口得到 mediaId，BotGate 不支持；可以在文字中附上文件的网址")
		case a.Data != nil || a.URL == "":
			return channel.Unsupported(platform, "上传的图片数据", "钉钉企业机器人只能按网址发图片，请改用 http(s) 网址（需要钉钉服务器能访问）")
		}
	}
	if len(m.Attachments) > 0 {
		_, _, err := c.encode(m)
		return err
	}
	return nil
}

// encode picks the message template (msgKey) and its parameters: text or
// markdown per format; one image alone is sampleImageMsg, images with text
// make it markdown, so the whole message is one call.
func (c *Connector) encode(m channel.Message) (key, param string, err error) {
	var p map[string]string
	switch {
	case strings.TrimSpace(m.Content) == "" && len(m.Attachments) == 1:
		key, p = "sampleImageMsg", map[string]string{"photoURL": m.Attachments[0].URL}
	case len(m.Attachments) > 0 || c.format == "markdown":
		text := m.Content
		for _, a := range m.Attachments {
			text = strings.TrimLeft(text+"\n\n", "\n") + channel.MarkdownImage(a.Name, a.URL)
		}
		title := dingtalk.Title(m.Content)
		if strings.TrimSpace(m.Content) == "" {
			title = "[图片]"
		}
		key, p = "sampleMarkdown", map[string]string{"title": title, "text": text}
	default:
		if err := channel.CheckEmpty(platform, m.Content); err != nil {
			return "", "", err
		}
		key, p = "sampleText", map[string]string{"content": m.Content}
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return "", "", channel.Permanentf(err, "消息无法编码")
	}
	if len(raw) > MaxParam {
		return "", "", channel.Permanentf(nil, "消息过长：钉钉企业机器人消息最多 %d 字节（约 %d 个汉字），当前 %d 字节。请缩短内容或拆成多条发送", MaxParam, MaxParam/3, len(raw))
	}
	return key, string(raw), nil
}

type otoBody struct {
	RobotCode string   `json:"robotCode"`
	UserIDs   []string `json:"userIds"`
	MsgKey    string   `json:"msgKey"`
	MsgParam  string   `json:"msgParam"`
}

type otoReply struct {
	ProcessQueryKey string   `json:"processQueryKey"`
	Invalid         []string `json:"invalidStaffIdList"`
	FlowControlled  []string `json:"flowControlledStaffIdList"`
}

type groupBody struct {
	RobotCode          string `json:"robotCode"`
	OpenConversationID string `json:"openConversationId"`
	MsgKey             string `json:"msgKey"`
	MsgParam           string `json:"msgParam"`
}

// Send delivers m to its userIds (one batchSend call for the list) or its
// group. Ids DingTalk reports unknown are left out: the rest have the
// message (a *channel.PartlyDelivered names them); ids it rate-limited are
// tried again within this send.
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
	key, param, err := c.encode(m)
	if err != nil {
		return err
	}
	if m.Kind == channel.Group {
		var r struct {
			ProcessQueryKey string `json:"processQueryKey"`
		}
		return c.call(ctx, groupPath, groupBody{RobotCode: c.robotCode, OpenConversationID: strings.TrimSpace(m.To), MsgKey: key, MsgParam: param}, &r)
	}
	return c.sendUsers(ctx, splitUsers(m.To), key, param)
}

// flowRetries is how often users DingTalk rate-limited are sent to again
// within one send: a later outbox retry would send to the others twice.
const flowRetries = 2

func (c *Connector) sendUsers(ctx context.Context, users []string, key, param string) error {
	pending := users
	var invalid []string
	var lastErr error
	for round := 0; ; round++ {
		var r otoReply
		if err := c.call(ctx, otoPath, otoBody{RobotCode: c.robotCode, UserIDs: pending, MsgKey: key, MsgParam: param}, &r); err != nil {
			if round == 0 {
				return err
			}
			lastErr = err // some have it already: report the rest below
			break
		}
		invalid = append(invalid, r.Invalid...)
		pending = r.FlowControlled
		if len(pending) == 0 || round == flowRetries {
			break
		}
		t := time.NewTimer(c.flowPause * time.Duration(round+1))
		select {
		case <-ctx.Done():
			t.Stop()
			lastErr = ctx.Err()
		case <-t.C:
		}
		if lastErr != nil {
			break
		}
	}
	delivered := len(users) - len(invalid) - len(pending)
	switch {
	case delivered <= 0 && len(pending) > 0:
		return channel.Transientf(lastErr, "钉钉限流，接收者暂时收不到消息（%s），稍后重试", strings.Join(pending, "、"))
	case delivered <= 0:
		return channel.Permanentf(nil, "钉钉没有送达任何接收者：userId %s 不存在，或不在应用的可见范围内。请核对 userId，并在 钉钉开发者后台 → 你的应用 → 版本管理与发布 中把他们加入可见范围", strings.Join(invalid, "、"))
	case len(pending) > 0:
		if lastErr != nil {
			c.log.Warn("dingtalk: resending to rate-limited users failed", "err", lastErr)
		}
		return &channel.PartlyDelivered{Invalid: append(invalid, pending...),
			Msg: "钉钉已送达其他接收者；其中有的 userId 不存在或不在应用的可见范围内，有的被钉钉限流没有收到，请稍后单独重发给他们"}
	case len(invalid) > 0:
		return &channel.PartlyDelivered{Invalid: invalid,
			Msg: "钉钉已送达其他接收者；这些 userId 不存在，或不在应用的可见范围内（钉钉开发者后台 → 你的应用 → 版本管理与发布 → 可见范围）"}
	}
	return nil
}

// Test fetches a fresh access token and opens a Stream endpoint (the
// harmless read: it proves the credentials and that DingTalk will hand
// this app a Stream connection, without connecting).
func (c *Connector) Test(ctx context.Context) error {
	c.tokens.Reset()
	if _, err := c.tokens.Get(ctx); err != nil {
		return err
	}
	_, err := c.openEndpoint(ctx)
	return err
}
