package apiserver

import (
	"botgate/model"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"unicode/utf8"

	"botgate/app"
	"botgate/app/channel"
)

// POST /webhook/{channel}: chat platforms report messages here and get the
// keyword's answer back in the HTTP reply. The channel's type decides the
// format: OneBot v11 HTTP POST events (NapCat, LLBot) or Mojo-Webqq Openqq
// post_api reports.

// MaxWebhookBody bounds one event. A text message is a few KB; this leaves
// room for long array-form messages without letting a stray upload fill memory.
const MaxWebhookBody = 256 << 10

// ChannelLookup finds a channel's saved configuration (type, secret, enabled).
type ChannelLookup interface {
	ChatChannel(name string) (model.Channel, bool)
}

// ChatAnswerer answers one chat message.
type ChatAnswerer interface {
	Handle(ctx context.Context, m app.ChatMessage) app.ChatAnswer
}

// chatBackend is what *app.App offers the webhook; New wires it when the
// backend has it. Answerer is the running server's, which its stop waits for.
type chatBackend interface {
	ChannelLookup
	Answerer() *app.Chat
}

var _ chatBackend = (*app.App)(nil)

func newWebhook(b Backend, log *slog.Logger) http.Handler {
	cb, ok := b.(chatBackend)
	if !ok {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusNotFound, errorBody(model.CodeNoChannel, "此服务没有启用聊天消息上报"))
		})
	}
	return NewWebhook(cb, cb.Answerer(), log)
}

// NewWebhook returns the handler for "POST /webhook/{channel}".
func NewWebhook(channels ChannelLookup, chat ChatAnswerer, log *slog.Logger) http.Handler {
	return &webhook{channels: channels, chat: chat, log: log}
}

type webhook struct {
	channels ChannelLookup
	chat     ChatAnswerer
	log      *slog.Logger
}

// hookError is a rejected event: an HTTP status (platforms look only at that)
// and a Chinese message for whoever reads the platform's log.
type hookError struct {
	status, code int
	msg          string
}

func hookErr(status, code int, msg string) *hookError {
	return &hookError{status: status, code: code, msg: msg}
}

// Quick replies. OneBot's auto_escape keeps text from the database (which
// could hold "[CQ:...]") from being read as CQ codes.
type oneBotQuick struct {
	Reply      string `json:"reply"`
	AutoEscape bool   `json:"auto_escape"`
	AtSender   *bool  `json:"at_sender,omitempty"`
}

type openqqQuick struct {
	Reply string `json:"reply"`
}

func (h *webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e := entryOf(r)
	e.action = "webhook"
	reply, herr := h.handle(r, e)
	if herr != nil {
		e.code, e.msg = herr.code, herr.msg
		writeJSON(w, herr.status, errorBody(herr.code, herr.msg))
		return
	}
	if reply == nil {
		// No quick operation: OneBot and Openqq both take an empty reply as "nothing to do".
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, reply)
}

func (h *webhook) handle(r *http.Request, e *entry) (any, *hookError) {
	name := r.PathValue("channel")
	ch, ok := h.channels.ChatChannel(name)
	switch {
	case !ok:
		return nil, hookErr(http.StatusNotFound, model.CodeNoChannel, "通道“"+name+"”不存在：上报地址应为 /webhook/<通道名称>，请核对通道名称")
	case !ch.Enabled:
		return nil, hookErr(http.StatusNotFound, model.CodeNoChannel, "通道“"+name+"”已停用，请在“通道”中启用后再上报")
	case ch.Type != "onebot" && ch.Type != "openqq":
		return nil, hookErr(http.StatusNotFound, model.CodeNoChannel, "通道“"+name+"”的类型 "+ch.Type+" 不接收聊天消息；聊天查询支持 onebot 和 openqq 通道")
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxWebhookBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, hookErr(http.StatusRequestEntityTooLarge, model.CodeTooLarge, "上报内容太大，最多 256 KB")
		}
		return nil, hookErr(http.StatusBadRequest, model.CodeBadRequest, "读取上报内容失败")
	}
	if herr := verifyEvent(r, ch, body); herr != nil {
		h.log.Warn("webhook event rejected", "channel", name, "remote", remoteHost(r), "status", herr.status)
		return nil, herr
	}
	if !utf8.Valid(body) {
		return nil, hookErr(http.StatusBadRequest, model.CodeBadEncoding, "上报内容不是有效的 UTF-8 编码")
	}
	var msg *app.ChatMessage
	var herr *hookError
	if ch.Type == "onebot" {
		msg, herr = parseOneBot(body, r.Header.Get("X-Self-ID"))
	} else {
		msg, herr = parseOpenqq(body)
	}
	if herr != nil || msg == nil {
		return nil, herr
	}
	msg.Channel = name
	ans := h.chat.Handle(r.Context(), *msg)
	e.keyword = ans.Keyword
	if ans.Duplicate {
		e.msg = "重复的消息（编号 " + msg.ID + "），已忽略"
	}
	if ans.Reply == "" {
		return nil, nil
	}
	if ch.Type == "openqq" {
		return openqqQuick{Reply: ans.Reply}, nil
	}
	q := oneBotQuick{Reply: ans.Reply, AutoEscape: true}
	if msg.Group != "" {
		at := true
		q.AtSender = &at
	}
	return q, nil
}

// verifyEvent checks that the event comes from the channel's bot. With a
// secret, OneBot signs the raw body (X-Signature: sha1=<HMAC-SHA1>); Openqq
// cannot sign, so its post_api URL may carry ?secret=. Without a secret only
// this computer may report: anyone else could claim any QQ number and read
// the rows filtered by {{来源QQ}}.
func verifyEvent(r *http.Request, ch model.Channel, body []byte) *hookError {
	secret := ch.Config["secret"]
	if secret == "" {
		if ip := net.ParseIP(remoteHost(r)); ip == nil || !ip.IsLoopback() {
			return hookErr(http.StatusForbidden, model.CodeUnauthorized, "通道“"+ch.Name+"”没有设置 secret，只接受本机(127.0.0.1)的上报；机器人在其他电脑或 Docker 中时，请给通道设置 secret，并在机器人的 HTTP 上报中填写相同的密钥")
		}
		return nil
	}
	sig := strings.TrimSpace(r.Header.Get("X-Signature"))
	if sig == "" {
		if q := r.URL.Query().Get("secret"); q != "" && ch.Type == "openqq" {
			a, b := sha256.Sum256([]byte(q)), sha256.Sum256([]byte(secret))
			if subtle.ConstantTimeCompare(a[:], b[:]) == 1 {
				return nil
			}
			return hookErr(http.StatusForbidden, model.CodeUnauthorized, "上报地址中的 secret 与通道设置不一致，请核对")
		}
		if ch.Type == "openqq" {
			return hookErr(http.StatusUnauthorized, model.CodeUnauthorized, "缺少 secret：通道设置了 secret，请在 Mojo-Webqq 的 post_api 地址后加上 ?secret=通道密钥（密钥中有 + & % # 等符号时要做 URL 编码）")
		}
		return hookErr(http.StatusUnauthorized, model.CodeUnauthorized, "缺少 X-Signature 签名：通道设置了 secret，请在 NapCat/LLBot 的 HTTP 上报中填写相同的密钥(token/secret)")
	}
	hexSig, ok := strings.CutPrefix(sig, "sha1=")
	got, err := hex.DecodeString(hexSig)
	if !ok || err != nil || len(got) != sha1.Size {
		return hookErr(http.StatusForbidden, model.CodeUnauthorized, "X-Signature 格式不对，应为 sha1=<40 位十六进制>")
	}
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), got) {
		return hookErr(http.StatusForbidden, model.CodeUnauthorized, "X-Signature 签名不匹配：机器人 HTTP 上报的密钥与通道 secret 不一致，请核对")
	}
	return nil
}

// decodeEvent reads one JSON object into v.
func decodeEvent(body []byte, v any, what string) *hookError {
	if len(bytes.TrimSpace(body)) == 0 {
		return hookErr(http.StatusBadRequest, model.CodeBadRequest, "上报内容为空，应为 "+what+" 的 JSON")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return hookErr(http.StatusBadRequest, model.CodeBadRequest, "上报内容不是有效的 "+what+" JSON："+jsonProblem(err))
	}
	return nil
}

// --- OneBot v11 ---

type oneBotEvent struct {
	PostType    string          `json:"post_type"`
	MessageType string          `json:"message_type"`
	SelfID      channel.Flex    `json:"self_id"`
	UserID      channel.Flex    `json:"user_id"`
	GroupID     channel.Flex    `json:"group_id"`
	MessageID   channel.Flex    `json:"message_id"`
	Message     json.RawMessage `json:"message"`
	RawMessage  string          `json:"raw_message"`
	Sender      struct {
		Nickname string `json:"nickname"`
		Card     string `json:"card"`
	} `json:"sender"`
}

type oneBotSegment struct {
	Type string `json:"type"`
	Data struct {
		Text string       `json:"text"`
		QQ   channel.Flex `json:"qq"`
	} `json:"data"`
}

// parseOneBot turns a OneBot v11 event into a chat message; nil without an
// error means "acknowledge, nothing to do" (heartbeats, notices, requests,
// the bot's own messages).
func parseOneBot(body []byte, selfHeader string) (*app.ChatMessage, *hookError) {
	var ev oneBotEvent
	if herr := decodeEvent(body, &ev, "OneBot v11 事件"); herr != nil {
		return nil, herr
	}
	switch ev.PostType {
	case "":
		return nil, hookErr(http.StatusBadRequest, model.CodeBadRequest, "不是 OneBot v11 事件：缺少 post_type")
	case "message":
	default:
		// meta_event (heartbeat, lifecycle), notice, request, message_sent
		// (the bot's own messages) and anything newer: acknowledged, no action.
		return nil, nil
	}
	if ev.MessageType != "private" && ev.MessageType != "group" {
		return nil, nil // guild and other message kinds are not chats BotGate answers
	}
	user := strings.TrimSpace(string(ev.UserID))
	if user == "" {
		return nil, hookErr(http.StatusBadRequest, model.CodeBadRequest, "OneBot 消息事件缺少 user_id")
	}
	self := strings.TrimSpace(string(ev.SelfID))
	if self == "" {
		self = strings.TrimSpace(selfHeader)
	}
	if user == self {
		return nil, nil // the bot's own message: answering it could loop
	}
	m := &app.ChatMessage{ID: strings.TrimSpace(string(ev.MessageID)), Sender: user, SenderName: ev.Sender.Card}
	if m.SenderName == "" {
		m.SenderName = ev.Sender.Nickname
	}
	if ev.MessageType == "group" {
		m.Group = strings.TrimSpace(string(ev.GroupID))
		if m.Group == "" {
			return nil, hookErr(http.StatusBadRequest, model.CodeBadRequest, "OneBot 群消息事件缺少 group_id")
		}
	}
	text, herr := oneBotText(ev.Message, ev.RawMessage)
	if herr != nil {
		return nil, herr
	}
	m.Text = text
	return m, nil
}

// oneBotText is the plain text of a message in string (CQ code) or array
// (segment) form. Mentions, images and faces become spaces, so "@bot 账号"
// reads as "账号" and words either side of a picture stay apart.
func oneBotText(msg json.RawMessage, raw string) (string, *hookError) {
	msg = bytes.TrimSpace(msg)
	switch {
	case len(msg) == 0 || string(msg) == "null":
		return cqText(raw), nil
	case msg[0] == '"':
		var s string
		if err := json.Unmarshal(msg, &s); err != nil {
			return "", hookErr(http.StatusBadRequest, model.CodeBadRequest, "OneBot 消息的 message 格式不对")
		}
		return cqText(s), nil
	case msg[0] == '[':
		var segs []oneBotSegment
		if err := json.Unmarshal(msg, &segs); err != nil {
			return "", hookErr(http.StatusBadRequest, model.CodeBadRequest, "OneBot 消息的 message 数组格式不对：每一段应为 {\"type\":...,\"data\":{...}}")
		}
		var b strings.Builder
		for _, s := range segs {
			if s.Type == "text" {
				b.WriteString(s.Data.Text)
			} else {
				b.WriteByte(' ')
			}
		}
		return b.String(), nil
	}
	return "", hookErr(http.StatusBadRequest, model.CodeBadRequest, "OneBot 消息的 message 应为文本或消息段数组")
}

// cqUnescape undoes the CQ-code escaping of plain text; &amp; goes last so
// "&amp;#91;" stays the literal text "&#91;".
var cqUnescape = strings.NewReplacer("&#91;", "[", "&#93;", "]", "&#44;", ",", "&amp;", "&")

// cqText strips [CQ:...] codes from a string-form message.
func cqText(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "[CQ:")
		if i < 0 {
			b.WriteString(cqUnescape.Replace(s))
			return b.String()
		}
		j := strings.IndexByte(s[i:], ']')
		if j < 0 {
			b.WriteString(cqUnescape.Replace(s))
			return b.String()
		}
		b.WriteString(cqUnescape.Replace(s[:i]))
		b.WriteByte(' ')
		s = s[i+j+1:]
	}
}

// --- Mojo-Webqq Openqq post_api ---

// openqqReport covers both report layouts Openqq has used: the older one
// (msg_class, sender_id, group_id) and the newer one (class, post_type,
// sender_uid and group_uid with the QQ and group numbers).
type openqqReport struct {
	PostType    string       `json:"post_type"`
	Type        string       `json:"type"`
	Class       string       `json:"class"`
	MsgClass    string       `json:"msg_class"`
	Content     channel.Flex `json:"content"`
	Sender      channel.Flex `json:"sender"`
	SenderID    channel.Flex `json:"sender_id"`
	SenderUID   channel.Flex `json:"sender_uid"`
	ReceiverID  channel.Flex `json:"receiver_id"`
	ReceiverUID channel.Flex `json:"receiver_uid"`
	GroupID     channel.Flex `json:"group_id"`
	GroupUID    channel.Flex `json:"group_uid"`
	DiscussID   channel.Flex `json:"discuss_id"`
	Event       string       `json:"event"`
	MsgID       channel.Flex `json:"msg_id"` // the older layout's message id
	ID          channel.Flex `json:"id"`     // the newer layout's
}

func parseOpenqq(body []byte) (*app.ChatMessage, *hookError) {
	var rp openqqReport
	if herr := decodeEvent(body, &rp, "Openqq 上报"); herr != nil {
		return nil, herr
	}
	switch {
	case rp.PostType == "event" || rp.Event != "":
		return nil, nil // login, new_friend...: acknowledged, no action
	case rp.PostType == "send_message" || rp.Class == "send" || rp.MsgClass == "send":
		return nil, nil // the bot's own message
	case rp.Type == "":
		return nil, hookErr(http.StatusBadRequest, model.CodeBadRequest, "不是 Openqq 消息上报：缺少 type")
	}
	var kind string
	switch rp.Type {
	case "friend_message", "sess_message":
		kind = channel.Private
	case "group_message", "discuss_message":
		kind = channel.Group
	default:
		return nil, nil
	}
	uid, id := strings.TrimSpace(string(rp.SenderUID)), strings.TrimSpace(string(rp.SenderID))
	m := &app.ChatMessage{Sender: uid, SenderName: string(rp.Sender), Text: stripMentions(string(rp.Content))}
	if m.ID = strings.TrimSpace(string(rp.MsgID)); m.ID == "" {
		m.ID = strings.TrimSpace(string(rp.ID))
	}
	switch {
	case uid != "":
	case id != "":
		// Only the session id: it works for {{来源QQ}} only if the ERP
		// stores it, but a late answer can still be addressed with it.
		m.Sender, m.ReplyQQ = id, "id:"+id
	default:
		return nil, hookErr(http.StatusBadRequest, model.CodeBadRequest, "Openqq 消息上报缺少 sender_id")
	}
	if (uid != "" && uid == strings.TrimSpace(string(rp.ReceiverUID))) || (id != "" && id == strings.TrimSpace(string(rp.ReceiverID))) {
		return nil, nil // the bot's own message: answering it could loop
	}
	if kind == channel.Group {
		gid, guid := strings.TrimSpace(string(rp.GroupID)), strings.TrimSpace(string(rp.GroupUID))
		switch {
		case rp.Type == "discuss_message":
			did := strings.TrimSpace(string(rp.DiscussID))
			if did == "" {
				did = gid
			}
			if did == "" {
				return nil, hookErr(http.StatusBadRequest, model.CodeBadRequest, "Openqq 讨论组消息上报缺少 discuss_id")
			}
			m.Group, m.ReplyGroup = did, "did:"+did
		case guid != "":
			m.Group = guid
		case gid != "":
			m.Group, m.ReplyGroup = gid, "gid:"+gid
		default:
			return nil, hookErr(http.StatusBadRequest, model.CodeBadRequest, "Openqq 群消息上报缺少 group_id")
		}
	}
	return m, nil
}

// stripMentions drops leading "@昵称" words: WebQQ puts mentions into the
// text, and "@机器人 账号" should read as "账号".
func stripMentions(s string) string {
	s = strings.TrimSpace(s)
	for strings.HasPrefix(s, "@") {
		i := strings.IndexFunc(s, func(r rune) bool { return r == ' ' || r == '\u3000' || r == '\n' || r == '\t' })
		if i < 0 {
			return ""
		}
		s = strings.TrimSpace(s[i:])
	}
	return s
}
