package onebot

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"botgate/app/channel"
	"botgate/model"
)

// OneBot v11 HTTP POST: NapCat or LLBot posts each event to
// /webhook/{channel}, signed with X-Signature when the channel has a secret,
// and takes the quick operation in the HTTP reply as the answer.

var _ channel.Webhook = (*Connector)(nil)

// quick is the quick operation for a message event. auto_escape keeps text
// from the database (which could hold "[CQ:...]") from being read as CQ codes.
type quick struct {
	Reply      string `json:"reply"`
	AutoEscape bool   `json:"auto_escape"`
	AtSender   *bool  `json:"at_sender,omitempty"`
}

// HandleWebhook verifies one event, hands a message event to a and answers
// with its reply; anything else is acknowledged with an empty reply.
func (c *Connector) HandleWebhook(ctx context.Context, req channel.WebhookRequest, a channel.Answerer) (channel.WebhookResponse, error) {
	if err := c.verify(req); err != nil {
		return channel.WebhookResponse{}, err
	}
	in, err := parseEvent(req.Body, req.Header.Get("X-Self-ID"))
	if err != nil || in == nil {
		return channel.WebhookResponse{}, err
	}
	in.Channel = req.Channel
	ans := a.Answer(ctx, *in)
	if ans.Reply == "" {
		return channel.WebhookResponse{}, nil
	}
	q := quick{Reply: ans.Reply, AutoEscape: true}
	if in.Group != "" {
		at := true
		q.AtSender = &at
	}
	return channel.WebhookResponse{Body: q}, nil
}

// verify checks that the event comes from the channel's bot: with a secret,
// OneBot signs the raw body (X-Signature: sha1=<HMAC-SHA1>); without one only
// this computer may report.
func (c *Connector) verify(req channel.WebhookRequest) error {
	if c.secret == "" {
		return channel.LocalOnly(req.Channel, req.Remote)
	}
	sig := strings.TrimSpace(req.Header.Get("X-Signature"))
	if sig == "" {
		return &channel.WebhookError{Status: http.StatusUnauthorized, Code: model.CodeUnauthorized,
			Msg: "缺少 X-Signature 签名：通道设置了 secret，请在 NapCat/LLBot 的 HTTP 上报中填写相同的密钥(token/secret)"}
	}
	return channel.CheckSHA1Signature(sig, c.secret, req.Body)
}

type event struct {
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

type segment struct {
	Type string `json:"type"`
	Data struct {
		Text string       `json:"text"`
		QQ   channel.Flex `json:"qq"`
	} `json:"data"`
}

// parseEvent turns a OneBot v11 event into a chat message; nil without an
// error means "acknowledge, nothing to do" (heartbeats, notices, requests,
// the bot's own messages). selfHeader is X-Self-ID, for events without self_id.
func parseEvent(body []byte, selfHeader string) (*channel.Incoming, error) {
	var ev event
	if err := channel.DecodeEvent(body, &ev, "OneBot v11 事件"); err != nil {
		return nil, err
	}
	switch ev.PostType {
	case "":
		return nil, channel.BadEvent("不是 OneBot v11 事件：缺少 post_type")
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
		return nil, channel.BadEvent("OneBot 消息事件缺少 user_id")
	}
	self := strings.TrimSpace(string(ev.SelfID))
	if self == "" {
		self = strings.TrimSpace(selfHeader)
	}
	if user == self {
		return nil, nil // the bot's own message: answering it could loop
	}
	in := &channel.Incoming{ID: strings.TrimSpace(string(ev.MessageID)), Sender: user, SenderName: ev.Sender.Card}
	if in.SenderName == "" {
		in.SenderName = ev.Sender.Nickname
	}
	if ev.MessageType == "group" {
		in.Group = strings.TrimSpace(string(ev.GroupID))
		if in.Group == "" {
			return nil, channel.BadEvent("OneBot 群消息事件缺少 group_id")
		}
	}
	text, err := messageText(ev.Message, ev.RawMessage)
	if err != nil {
		return nil, err
	}
	in.Text = text
	return in, nil
}

// messageText is the plain text of a message in string (CQ code) or array
// (segment) form. Mentions, images and faces become spaces, so "@bot 账号"
// reads as "账号" and words either side of a picture stay apart.
func messageText(msg json.RawMessage, raw string) (string, error) {
	msg = bytes.TrimSpace(msg)
	switch {
	case len(msg) == 0 || string(msg) == "null":
		return cqText(raw), nil
	case msg[0] == '"':
		var s string
		if err := json.Unmarshal(msg, &s); err != nil {
			return "", channel.BadEvent("OneBot 消息的 message 格式不对")
		}
		return cqText(s), nil
	case msg[0] == '[':
		var segs []segment
		if err := json.Unmarshal(msg, &segs); err != nil {
			return "", channel.BadEvent("OneBot 消息的 message 数组格式不对：每一段应为 {\"type\":...,\"data\":{...}}")
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
	return "", channel.BadEvent("OneBot 消息的 message 应为文本或消息段数组")
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
