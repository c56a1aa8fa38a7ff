package gewe

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"botgate/app/channel"
	"botgate/internal/text"
)

// The GeWe callback (开发指南/消息订阅, 消息模块/回调消息详解): GeWe posts every
// message the device receives, as JSON, to the one callback URL of its token,
// and gives up on a reply after 3 seconds; what the reply says is ignored.
// So the answer goes back by postText, and the HTTP reply is an empty 200.

var _ channel.Webhook = (*Connector)(nil)

// quickWindow is how long the callback waits for the answer before the
// answerer sends it through the outbox instead: GeWe's 3 s, less the time
// postText takes.
const quickWindow = 2 * time.Second

// replyTimeout bounds the postText of an immediate answer; it is not tied
// to the callback's request, which GeWe may have closed by then.
const replyTimeout = 10 * time.Second

// callback is one push. TypeName "AddMsg" is a new message; MsgType 1 text.
// Content, FromUserName and ToUserName are {"string": …} objects. Some
// self-hosted builds write the keys in snake or lower case: JSON keys
// match without regard to case, and type_name is read too.
type callback struct {
	TestMsg   string `json:"testMsg"` // the check GeWe posts when the callback URL is set
	TypeName  string `json:"TypeName"`
	TypeName2 string `json:"type_name"`
	Appid     string `json:"Appid"`
	Wxid      string `json:"Wxid"` // the device's own wxid
	Data      struct {
		MsgID        channel.Flex `json:"MsgId"`
		NewMsgID     channel.Flex `json:"NewMsgId"` // GeWe: de-duplicate by Appid + NewMsgId
		MsgType      channel.Flex `json:"MsgType"`
		FromUserName wxString     `json:"FromUserName"`
		ToUserName   wxString     `json:"ToUserName"`
		Content      wxString     `json:"Content"`
		PushContent  string       `json:"PushContent"` // "昵称 : 内容", or "昵称在群聊中@了你"
	} `json:"Data"`
}

type wxString struct {
	String string `json:"string"`
}

// HandleWebhook verifies one callback; a text message in a private or group
// chat goes to a, and its answer to the chat by postText. Everything else
// (the callback check, other message types, contact and offline events, the
// device's own messages, another device's) is acknowledged and ignored.
func (c *Connector) HandleWebhook(ctx context.Context, req channel.WebhookRequest, a channel.Answerer) (channel.WebhookResponse, error) {
	ack := channel.WebhookResponse{Status: http.StatusOK}
	if err := c.verify(req); err != nil {
		return channel.WebhookResponse{}, err
	}
	var cb callback
	if err := channel.DecodeEvent(req.Body, &cb, "GeWe 回调"); err != nil {
		return channel.WebhookResponse{}, err
	}
	in, err := c.parse(cb)
	if err != nil || in == nil {
		return ack, err
	}
	in.Channel = req.Channel
	qctx, cancel := context.WithTimeout(ctx, quickWindow)
	ans := a.Answer(qctx, *in)
	cancel()
	if ans.Reply == "" {
		return ack, nil
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replyTimeout)
	defer cancel()
	if err := c.answer(rctx, *in, ans.Reply); err != nil {
		c.log.Warn("GeWe chat answer not delivered", "channel", req.Channel, "sender", in.Sender, "group", in.Group, "err", err)
	}
	return ack, nil
}

// answer sends reply to the chat in came from. In a group it mentions the
// sender when GeWe gave a name to write ("@昵称" must be in the text).
func (c *Connector) answer(ctx context.Context, in channel.Incoming, reply string) error {
	if in.Group == "" {
		return c.postText(ctx, in.Sender, reply, nil)
	}
	if in.SenderName == "" {
		return c.postText(ctx, in.Group, reply, nil)
	}
	return c.postText(ctx, in.Group, text.Cap("@"+in.SenderName+" "+reply, Type.ReplyLimit()), []string{in.Sender})
}

// verify checks the callback's origin. GeWe signs nothing, so with a secret
// the callback URL carries ?secret=; without one only this computer may call.
func (c *Connector) verify(req channel.WebhookRequest) error {
	if c.secret != "" {
		return channel.CheckQuerySecret(req.Query, c.secret, "GeWe 后台的回调地址")
	}
	err := channel.LocalOnly(req.Channel, req.Remote)
	var we *channel.WebhookError
	if errors.As(err, &we) {
		we.Msg = "通道“" + req.Channel + "”没有设置 secret，只接受本机（127.0.0.1）的 GeWe 回调；GeWe 在其他电脑上（包括 GeWe 云服务）时，" +
			"请给通道设置 secret，并把 GeWe 后台的回调地址设为 http://BotGate地址:7789/webhook/" + req.Channel + "?secret=密钥"
	}
	return err
}

// parse turns a callback into a chat message; nil means "acknowledge only".
func (c *Connector) parse(cb callback) (*channel.Incoming, error) {
	typeName := first(cb.TypeName, cb.TypeName2)
	switch {
	case cb.TestMsg != "":
		return nil, nil // "回调地址链接成功！"
	case typeName == "Offline":
		c.log.Warn("GeWe reports the WeChat account offline; log it in again in GeWe", "appid", cb.Appid, "wxid", cb.Wxid)
		return nil, nil
	case typeName != "AddMsg":
		return nil, nil // ModContacts, DelContacts...
	case cb.Appid != "" && cb.Appid != c.appid:
		// One token's callback carries all its devices: this one is another channel's.
		return nil, nil
	case cb.Data.MsgType.Int64() != 1:
		return nil, nil // image, voice, link, system notice...
	}
	from, body := strings.TrimSpace(cb.Data.FromUserName.String), cb.Data.Content.String
	if from == "" {
		return nil, channel.BadEvent("GeWe 消息回调缺少 Data.FromUserName")
	}
	if from == cb.Wxid || strings.HasPrefix(from, "gh_") || systemIDs[from] {
		return nil, nil // the device's own message (sent from the phone), an official account, WeChat itself
	}
	in := &channel.Incoming{ID: strings.TrimSpace(string(cb.Data.NewMsgID)), Sender: from, SenderName: pushName(cb.Data.PushContent)}
	if in.ID == "" {
		in.ID = strings.TrimSpace(string(cb.Data.MsgID))
	}
	if strings.HasSuffix(from, "@chatroom") {
		// A group message's content starts with its sender: "wxid_xxx:\n正文".
		sender, rest, ok := strings.Cut(body, ":\n")
		sender = strings.TrimSpace(sender)
		if !ok || sender == "" || strings.ContainsAny(sender, " \n") {
			return nil, nil // a notice of the group itself
		}
		if sender == cb.Wxid {
			return nil, nil
		}
		in.Group, in.Sender, body = from, sender, rest
	}
	in.Text = channel.StripMentions(body)
	return in, nil
}

// pushName is the sender's name in a notification text: "朝夕。 : 123" or
// "朝夕。在群聊中@了你".
func pushName(push string) string {
	if name, _, ok := strings.Cut(push, " : "); ok {
		return strings.TrimSpace(name)
	}
	if name, ok := strings.CutSuffix(push, "在群聊中@了你"); ok {
		return strings.TrimSpace(name)
	}
	return ""
}
