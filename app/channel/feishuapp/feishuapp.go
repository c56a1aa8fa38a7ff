// Package feishuapp connects a Feishu (飞书) custom app's bot (企业自建应用机器人).
// It sends with the app's tenant_access_token to a person or a group
// (im/v1/messages, receive_id_type from the id's form), with mentions,
// images (im/v1/images) and files (im/v1/files); it lists the chats the
// bot is in; and it answers chat messages over the long connection (长连接),
// a WebSocket BotGate opens itself, so the office needs no public address.
package feishuapp

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"

	"botgate/app/channel"
	"botgate/app/channel/feishu"
	"botgate/model"
)

const (
	platform   = "飞书应用"
	defaultURL = "https://open.feishu.cn"

	tokenPath    = "/open-apis/auth/v3/tenant_access_token/internal"
	messagesPath = "/open-apis/im/v1/messages"
	imagesPath   = "/open-apis/im/v1/images"
	filesPath    = "/open-apis/im/v1/files"
	chatsPath    = "/open-apis/im/v1/chats"
	botInfoPath  = "/open-apis/bot/v3/info"

	// MaxText and MaxPost are Feishu's limits on a message's content: a
	// text message up to 150 KB, a post (rich text) up to 30 KB.
	MaxText = 150 * 1024
	MaxPost = 30 * 1024
	// MaxRecipients bounds a "|"-list of people: each is one call.
	MaxRecipients = 50
	// maxImage is im/v1/images' limit; files may be 30 MB, more than a
	// BotGate message carries anyway.
	maxImage = 10 << 20
)

const consoleHelp = "飞书开放平台（open.feishu.cn）→ 开发者后台 → 你的应用 → 凭证与基础信息"

// listenHelp is what the long connection needs in the console.
const listenHelp = "要在聊天里查询：在 开发者后台 → 你的应用 → 事件与回调 → 事件配置 中选“使用长连接接收事件”，添加事件“接收消息 v2.0”（im.message.receive_v1），" +
	"在 权限管理 开通“读取用户发给机器人的单聊消息”和“获取群组中用户@机器人的消息”，然后创建版本并发布"

// Type registers the connector. Feishu allows im/v1/messages 1000 calls a
// minute (50 a second) per app.
var Type = channel.Type{
	Name:          "feishu_app",
	Title:         "飞书企业自建应用机器人",
	Keys:          []string{"app_id", "app_secret", "format", "url"},
	SecretKeys:    []string{"app_secret"},
	Required:      []string{"app_id", "app_secret"},
	RatePerMinute: 1000,
	Caps:          channel.Caps{Test: true, Directory: true, Validates: true, Listener: true},
	Extras:        channel.Extras{Mention: true, Image: true, File: true},
	Fields: []channel.Field{
		{Key: "app_id", Label: "应用 App ID", Kind: channel.FieldText, Required: true, Example: "cli_a1b2c3d4e5f6",
			Help: consoleHelp + " 中的 App ID（cli_ 开头）。应用要在 应用能力 中添加“机器人”。" + listenHelp},
		{Key: "app_secret", Label: "应用密钥 App Secret", Kind: channel.FieldSecret, Required: true,
			Help: consoleHelp + " 中的 App Secret"},
		{Key: "format", Label: "消息格式", Kind: channel.FieldChoice, Default: "text", Help: "发出的消息是纯文字，还是 Markdown 排版",
			Choices: []channel.Choice{{Value: "text", Label: "文字"}, {Value: "markdown", Label: "Markdown（富文本 post 的 md 段落）"}}},
		{Key: "url", Label: "接口地址", Kind: channel.FieldText, Default: defaultURL, Example: defaultURL,
			Help: "飞书开放平台的接口地址，一般不用改；国际版 Lark 填 https://open.larksuite.com"},
	},
	New: New,
}

// Connector is one app's bot.
type Connector struct {
	base   string
	appID  string
	secret string
	format string
	client *http.Client
	now    func() time.Time
	log    *slog.Logger
	tokens *channel.TokenCache
	// nonce starts every uuid this process sends: Feishu sends a uuid at
	// most once an hour, which makes an outbox retry after a lost reply
	// safe, and the nonce keeps two installations of one app apart.
	nonce string

	botMu     sync.Mutex
	botOpenID string // the bot's own open_id, to strip its @ from questions

	// Long connection settings, shorter in tests.
	retryFirst time.Duration
	pongWait   time.Duration
}

var (
	_ channel.Channel         = (*Connector)(nil)
	_ channel.Tester          = (*Connector)(nil)
	_ channel.Directory       = (*Connector)(nil)
	_ channel.TargetValidator = (*Connector)(nil)
	_ channel.ContentChecker  = (*Connector)(nil)
	_ channel.ExtrasChecker   = (*Connector)(nil)
	_ channel.Listener        = (*Connector)(nil)
)

// New builds the connector from url (default https://open.feishu.cn),
// app_id, app_secret and format.
func New(cfg channel.Config, deps channel.Deps) (channel.Channel, error) {
	if strings.TrimSpace(cfg.Values["url"]) == "" {
		cfg.Values["url"] = defaultURL
	}
	base, err := channel.BaseURL(cfg, "url", platform, defaultURL)
	if err != nil {
		return nil, err
	}
	if err := channel.NeedKeys(cfg, platform, "app_id", "app_secret"); err != nil {
		return nil, err
	}
	format, err := channel.TextFormat(cfg, platform)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, 4)
	rand.Read(nonce)
	c := &Connector{base: base, appID: strings.TrimSpace(cfg.Values["app_id"]), secret: strings.TrimSpace(cfg.Values["app_secret"]),
		format: format, client: deps.HTTP, now: deps.Now, log: deps.Log, nonce: hex.EncodeToString(nonce),
		retryFirst: time.Second, pongWait: 30 * time.Second}
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

// reply is every open API answer: code 0 is success.
type reply struct {
	Code *int            `json:"code"`
	Msg  string          `json:"msg"`
	Data json.RawMessage `json:"data"`
}

// codeOf decodes the {"code","msg"} body of a failed call (Feishu answers
// many refusals, token errors among them, with HTTP 400 and this body).
func codeOf(err error) (reply, bool) {
	var r reply
	if err == nil || json.Unmarshal(channel.ErrorBody(err), &r) != nil || r.Code == nil {
		return r, false
	}
	return r, true
}

func (c *Connector) fetchToken(ctx context.Context) (string, time.Duration, error) {
	var r struct {
		Code   *int   `json:"code"`
		Msg    string `json:"msg"`
		Token  string `json:"tenant_access_token"`
		Expire int64  `json:"expire"`
	}
	body := map[string]string{"app_id": c.appID, "app_secret": c.secret}
	err := channel.Do(ctx, c.client, channel.Request{URL: c.base + tokenPath, JSON: body, Platform: platform}, &r)
	if e, ok := codeOf(err); ok && channel.HTTPStatus(err) < 500 {
		r.Code, r.Msg, err = e.Code, e.Msg, nil
	}
	if err != nil {
		return "", 0, err
	}
	switch {
	case r.Code == nil:
		return "", 0, channel.Transientf(nil, "飞书的响应缺少 code，请确认 url 是飞书开放平台的接口地址（%s）", defaultURL)
	case *r.Code != 0:
		return "", 0, channel.Permanentf(fmt.Errorf("code %d: %s", *r.Code, r.Msg), "飞书拒绝了 App ID / App Secret（%d：%s），请到 %s 核对后重新填写", *r.Code, r.Msg, consoleHelp)
	case r.Token == "":
		return "", 0, channel.Transientf(nil, "飞书没有返回 tenant_access_token，稍后重试")
	}
	life := time.Duration(r.Expire) * time.Second
	if life <= 0 {
		life = 2 * time.Hour
	}
	return r.Token, life, nil
}

// call makes one open API call with the tenant_access_token and decodes
// its data into out; a refused token is replaced once.
func (c *Connector) call(ctx context.Context, req channel.Request, out any) error {
	req.Platform = platform
	return c.tokens.Call(ctx, func(tok string) error {
		req.Header = http.Header{"Authorization": {"Bearer " + tok}}
		var r reply
		err := channel.Do(ctx, c.client, req, &r)
		if err != nil {
			e, ok := codeOf(err)
			if !ok {
				return err
			}
			return classify(*e.Code, e.Msg, channel.HTTPStatus(err), err)
		}
		if r.Code == nil {
			return channel.Transientf(nil, "飞书的响应缺少 code，请确认 url 是飞书开放平台的接口地址")
		}
		if *r.Code != 0 {
			return classify(*r.Code, r.Msg, http.StatusOK, nil)
		}
		if out != nil && len(r.Data) > 0 {
			if err := json.Unmarshal(r.Data, out); err != nil {
				return channel.Transientf(err, "飞书的响应不是预期的 JSON")
			}
		}
		return nil
	})
}

// receiveIDType is how Feishu reads a target: ou_ open_id, on_ union_id,
// an @ makes an email, oc_ a chat_id, anything else a user_id.
func receiveIDType(to string) string {
	switch {
	case strings.HasPrefix(to, "ou_"):
		return "open_id"
	case strings.HasPrefix(to, "on_"):
		return "union_id"
	case strings.HasPrefix(to, "oc_"):
		return "chat_id"
	case strings.Contains(to, "@"):
		return "email"
	}
	return "user_id"
}

func splitTargets(to string) []string {
	var ids []string
	for _, id := range strings.Split(to, "|") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// ValidateTarget accepts a chat_id for a group and, for a private message,
// up to MaxRecipients open_id / union_id / email / user_id ("a|b|c").
func (c *Connector) ValidateTarget(kind, to string) error {
	to = strings.TrimSpace(to)
	if kind == channel.Group {
		if !strings.HasPrefix(to, "oc_") || strings.ContainsAny(to, "| \t\r\n") {
			return fmt.Errorf("飞书群 %q 无效：group 填群的 chat_id（oc_ 开头，可在通道的“通讯录”中列出机器人所在的群），一次一个群", to)
		}
		return nil
	}
	ids := splitTargets(to)
	switch {
	case len(ids) == 0:
		return fmt.Errorf("飞书接收者为空：QQ 填员工的 open_id（ou_ 开头）、user_id 或邮箱，多人用 | 分隔")
	case len(ids) > MaxRecipients:
		return fmt.Errorf("飞书一次最多发给 %d 人，当前 %d 人：请分成多条发送", MaxRecipients, len(ids))
	}
	for _, id := range ids {
		switch {
		case strings.HasPrefix(id, "oc_"):
			return fmt.Errorf("%q 是飞书群的 chat_id：发到群请把它填在 group 中", id)
		case strings.ContainsAny(id, " \t\r\n,，"):
			return fmt.Errorf("飞书接收者 %q 无效：填 open_id（ou_ 开头）、union_id（on_ 开头）、user_id 或邮箱，多人用 | 分隔", id)
		}
	}
	return nil
}

// part is one message Feishu receives: a message type and its content.
type part struct {
	msgType string
	content string
}

// pendingImage stands for an image not uploaded yet; its key is filled in
// before the parts are sent.
const pendingImage = "\x00image"

// atLead is a late chat answer's "@ou_… " lead (app/chat names the asker
// so): in a group it becomes a real mention.
var atLead = regexp.MustCompile(`^@(ou_[0-9A-Za-z]+) `)

// build turns m into the messages Feishu receives, in order: the text
// (text, or a post with an md paragraph when format is markdown), with the
// images in a post when there are both; an image alone is an image
// message; each file is a message of its own after them. imageKeys and
// fileKeys are the uploads' keys (placeholders when only measuring).
func (c *Connector) build(m channel.Message, imageKeys, fileKeys []string) ([]part, error) {
	text := m.Content
	if m.Kind == channel.Group {
		if sub := atLead.FindStringSubmatch(text); sub != nil && len(m.At) == 0 {
			text = `<at user_id="` + sub[1] + `"></at> ` + text[len(sub[0]):]
		}
		text = feishu.MentionText(channel.Message{Content: text, At: m.At})
	}
	var parts []part
	add := func(msgType string, content any, limit int) error {
		raw, err := json.Marshal(content)
		if err != nil {
			return channel.Permanentf(err, "消息无法编码")
		}
		if len(raw) > limit {
			return channel.Permanentf(nil, "消息过长：飞书%s消息最多 %d KB（约 %d 个汉字），当前 %d 字节。请缩短内容或拆成多条发送",
				map[string]string{"text": "文字", "post": "富文本"}[msgType], limit/1024, limit/3, len(raw))
		}
		parts = append(parts, part{msgType, string(raw)})
		return nil
	}
	hasText := strings.TrimSpace(m.Content) != ""
	var err error
	switch {
	case len(imageKeys) == 1 && !hasText:
		err = add("image", map[string]string{"image_key": imageKeys[0]}, MaxPost)
	case len(imageKeys) > 0 || (hasText && c.format == "markdown"):
		var paras [][]map[string]string
		if hasText {
			if c.format == "markdown" {
				paras = append(paras, []map[string]string{{"tag": "md", "text": text}})
			} else {
				paras = append(paras, textElements(text))
			}
		}
		for _, k := range imageKeys {
			paras = append(paras, []map[string]string{{"tag": "img", "image_key": k}})
		}
		err = add("post", map[string]any{"zh_cn": map[string]any{"title": "", "content": paras}}, MaxPost)
	case hasText:
		err = add("text", map[string]string{"text": text}, MaxText)
	}
	if err != nil {
		return nil, err
	}
	for _, k := range fileKeys {
		parts = append(parts, part{"file", `{"file_key":"` + k + `"}`})
	}
	return parts, nil
}

var atTag = regexp.MustCompile(`<at user_id="([^"]*)">[^<]*</at>`)

// textElements is a post paragraph for plain text: the <at> tags of the
// text message become the post's "at" elements.
func textElements(text string) []map[string]string {
	var els []map[string]string
	for {
		loc := atTag.FindStringSubmatchIndex(text)
		if loc == nil {
			break
		}
		if loc[0] > 0 {
			els = append(els, map[string]string{"tag": "text", "text": text[:loc[0]]})
		}
		els = append(els, map[string]string{"tag": "at", "user_id": text[loc[2]:loc[3]]})
		text = text[loc[1]:]
	}
	if text != "" {
		els = append(els, map[string]string{"tag": "text", "text": text})
	}
	return els
}

// CheckContent refuses a text over Feishu's limit for the channel's format.
func (c *Connector) CheckContent(text string) error {
	_, err := c.build(channel.Message{Content: text}, nil, nil)
	return err
}

// imageFormats are the formats im/v1/images takes that BotGate recognises.
var imageFormats = map[string]bool{"png": true, "jpeg": true, "gif": true, "webp": true}

// CheckExtras refuses image bytes Feishu would not take and empty files,
// and measures the text with its mentions and images.
func (c *Connector) CheckExtras(m channel.Message) error {
	var images, files []string
	for _, a := range m.Attachments {
		if a.Kind == model.AttachImage {
			if a.Data != nil && !imageFormats[channel.ImageFormat(a.Data)] {
				return channel.Unsupported(platform, "该图片", "飞书只接受 PNG、JPEG、GIF、WEBP 等图片格式，请转换后再发，或作为文件发送")
			}
			if len(a.Data) > maxImage {
				return channel.Unsupported(platform, "超过 10 MB 的图片", "请压缩后再发，或作为文件发送")
			}
			images = append(images, pendingImage)
			continue
		}
		if a.Data != nil && len(a.Data) == 0 {
			return channel.Unsupported(platform, "空文件", "")
		}
		files = append(files, pendingImage)
	}
	_, err := c.build(m, images, files)
	return err
}

// uuid names part p for recipient r of outbox message id (0: none, for a
// chat answer sent directly).
func (c *Connector) uuid(id int64, r, p int) string {
	if id == 0 {
		return ""
	}
	return fmt.Sprintf("botgate-%s-%d-%d-%d", c.nonce, id, r, p)
}

// Send uploads m's images and files, then sends its parts to each
// recipient. A recipient Feishu refuses (outside the app's range, unknown
// id) is left out: the others have the message (a *channel.PartlyDelivered
// names the refused); every recipient refused is a failure.
func (c *Connector) Send(ctx context.Context, m channel.Message) error {
	if err := c.ValidateTarget(m.Kind, m.To); err != nil {
		return channel.Permanentf(nil, "%s", err.Error())
	}
	if len(m.Attachments) == 0 {
		if err := channel.CheckEmpty(platform, m.Content); err != nil {
			return err
		}
	}
	if err := c.CheckExtras(m); err != nil {
		return err
	}
	var images, files []string
	for _, a := range m.Attachments {
		data, err := channel.FetchAttachment(ctx, c.client, a)
		if err != nil {
			return err
		}
		if a.Kind == model.AttachImage {
			if !imageFormats[channel.ImageFormat(data)] {
				return channel.Unsupported(platform, "图片“"+a.Name+"”", "网址下载到的不是 PNG、JPEG、GIF 或 WEBP 图片")
			}
			k, err := c.uploadImage(ctx, a.Name, data)
			if err != nil {
				return err
			}
			images = append(images, k)
			continue
		}
		k, err := c.uploadFile(ctx, a.Name, data)
		if err != nil {
			return err
		}
		files = append(files, k)
	}
	parts, err := c.build(m, images, files)
	if err != nil {
		return err
	}
	targets := []string{strings.TrimSpace(m.To)}
	if m.Kind != channel.Group {
		targets = splitTargets(m.To)
	}
	var refused []string
	var firstRefusal error
	delivered := 0
	for r, to := range targets {
		err := c.sendParts(ctx, to, parts, m.ID, r)
		var br *badRecipient
		switch {
		case err == nil:
			delivered++
			continue
		case errors.As(err, &br):
			refused = append(refused, to)
			if firstRefusal == nil {
				firstRefusal = err
			}
			continue
		case delivered > 0 && channel.IsPermanent(err):
			return &channel.PartlyDelivered{Invalid: append(refused, targets[r:]...), Msg: "飞书已送达其他接收者，其余没有送达：" + channel.Explain(err)}
		}
		return err // a retry is safe: Feishu drops the parts it already has (uuid)
	}
	switch {
	case delivered == 0:
		return firstRefusal
	case len(refused) > 0:
		return &channel.PartlyDelivered{Invalid: refused, Msg: "飞书已送达其他接收者；" + channel.Explain(firstRefusal)}
	}
	return nil
}

func (c *Connector) sendParts(ctx context.Context, to string, parts []part, id int64, r int) error {
	for p, pt := range parts {
		body := map[string]string{"receive_id": to, "msg_type": pt.msgType, "content": pt.content}
		if u := c.uuid(id, r, p); u != "" {
			body["uuid"] = u
		}
		u := c.base + messagesPath + "?receive_id_type=" + receiveIDType(to)
		if err := c.call(ctx, channel.Request{URL: u, JSON: body}, nil); err != nil {
			return err
		}
	}
	return nil
}

// multipartBody is a form with fields and one file.
func multipartBody(fields map[string]string, fileField, name string, data []byte) ([]byte, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, k := range []string{"image_type", "file_type", "file_name"} {
		if v, ok := fields[k]; ok {
			w.WriteField(k, v)
		}
	}
	fw, _ := w.CreateFormFile(fileField, name)
	fw.Write(data)
	w.Close()
	return b.Bytes(), w.FormDataContentType()
}

func (c *Connector) uploadImage(ctx context.Context, name string, data []byte) (string, error) {
	body, ctype := multipartBody(map[string]string{"image_type": "message"}, "image", name, data)
	var out struct {
		ImageKey string `json:"image_key"`
	}
	if err := c.call(ctx, channel.Request{URL: c.base + imagesPath, Body: body, CType: ctype}, &out); err != nil {
		return "", err
	}
	if out.ImageKey == "" {
		return "", channel.Transientf(nil, "飞书上传图片后没有返回 image_key，稍后重试")
	}
	return out.ImageKey, nil
}

// fileTypes are im/v1/files' file_type values by extension; anything else
// is "stream".
var fileTypes = map[string]string{".opus": "opus", ".mp4": "mp4", ".pdf": "pdf", ".doc": "doc", ".docx": "doc",
	".xls": "xls", ".xlsx": "xls", ".ppt": "ppt", ".pptx": "ppt"}

func (c *Connector) uploadFile(ctx context.Context, name string, data []byte) (string, error) {
	ft := fileTypes[strings.ToLower(path.Ext(name))]
	if ft == "" {
		ft = "stream"
	}
	body, ctype := multipartBody(map[string]string{"file_type": ft, "file_name": name}, "file", name, data)
	var out struct {
		FileKey string `json:"file_key"`
	}
	if err := c.call(ctx, channel.Request{URL: c.base + filesPath, Body: body, CType: ctype}, &out); err != nil {
		return "", err
	}
	if out.FileKey == "" {
		return "", channel.Transientf(nil, "飞书上传文件后没有返回 file_key，稍后重试")
	}
	return out.FileKey, nil
}

// replyText answers a chat message in its thread (im/v1/messages/{id}/reply).
func (c *Connector) replyText(ctx context.Context, messageID, text string) error {
	content, _ := json.Marshal(map[string]string{"text": text})
	body := map[string]string{"msg_type": "text", "content": string(content), "uuid": trimUUID("r-" + messageID)}
	return c.call(ctx, channel.Request{URL: c.base + messagesPath + "/" + url.PathEscape(messageID) + "/reply", JSON: body}, nil)
}

// trimUUID keeps a uuid within Feishu's 50 characters.
func trimUUID(s string) string { return s[:min(len(s), 50)] }

// botInfo fetches the bot's open_id (GET /open-apis/bot/v3/info), a
// harmless read that also proves the app has the bot ability.
func (c *Connector) botInfo(ctx context.Context) (string, error) {
	var r struct {
		Code *int   `json:"code"`
		Msg  string `json:"msg"`
		Bot  struct {
			AppName string `json:"app_name"`
			OpenID  string `json:"open_id"`
		} `json:"bot"`
	}
	err := c.tokens.Call(ctx, func(tok string) error {
		err := channel.Do(ctx, c.client, channel.Request{Method: http.MethodGet, URL: c.base + botInfoPath, Platform: platform,
			Header: http.Header{"Authorization": {"Bearer " + tok}}}, &r)
		if e, ok := codeOf(err); ok {
			return classify(*e.Code, e.Msg, channel.HTTPStatus(err), err)
		}
		if err == nil && r.Code != nil && *r.Code != 0 {
			return classify(*r.Code, r.Msg, http.StatusOK, nil)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	c.botMu.Lock()
	c.botOpenID = r.Bot.OpenID
	c.botMu.Unlock()
	return r.Bot.OpenID, nil
}

func (c *Connector) knownBot() string {
	c.botMu.Lock()
	defer c.botMu.Unlock()
	return c.botOpenID
}

// Test fetches a fresh tenant_access_token and reads the bot's info.
func (c *Connector) Test(ctx context.Context) error {
	c.tokens.Reset()
	if _, err := c.tokens.Get(ctx); err != nil {
		return err
	}
	_, err := c.botInfo(ctx)
	return err
}

// maxChatPages bounds the directory: 100 chats a page.
const maxChatPages = 20

// Contacts lists the chats the bot is in (im/v1/chats).
func (c *Connector) Contacts(ctx context.Context) ([]channel.Contact, error) {
	var out []channel.Contact
	token := ""
	for range maxChatPages {
		q := url.Values{"page_size": {"100"}}
		if token != "" {
			q.Set("page_token", token)
		}
		var page struct {
			Items []struct {
				ChatID string `json:"chat_id"`
				Name   string `json:"name"`
			} `json:"items"`
			PageToken string `json:"page_token"`
			HasMore   bool   `json:"has_more"`
		}
		if err := c.call(ctx, channel.Request{Method: http.MethodGet, URL: c.base + chatsPath + "?" + q.Encode()}, &page); err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			out = append(out, channel.Contact{Kind: channel.Group, ID: it.ChatID, Name: it.Name})
		}
		if !page.HasMore || page.PageToken == "" {
			break
		}
		token = page.PageToken
	}
	return out, nil
}
