package openqq

import (
	"context"
	"strings"

	"botgate/app/channel"
)

// Mojo-Webqq's Openqq post_api: the plugin posts each report to
// /webhook/{channel} and sends the "reply" of the HTTP answer to the chat.

var _ channel.Webhook = (*Connector)(nil)

// quick is the answer Openqq sends back to the chat.
type quick struct {
	Reply string `json:"reply"`
}

// HandleWebhook verifies one report, hands a chat message to a and answers
// with its reply; anything else is acknowledged with an empty reply.
func (c *Connector) HandleWebhook(ctx context.Context, req channel.WebhookRequest, a channel.Answerer) (channel.WebhookResponse, error) {
	if err := c.verify(req); err != nil {
		return channel.WebhookResponse{}, err
	}
	in, err := parseReport(req.Body)
	if err != nil || in == nil {
		return channel.WebhookResponse{}, err
	}
	in.Channel = req.Channel
	ans := a.Answer(ctx, *in)
	if ans.Reply == "" {
		return channel.WebhookResponse{}, nil
	}
	return channel.WebhookResponse{Body: quick{Reply: ans.Reply}}, nil
}

// verify checks that the report comes from the channel's Mojo-Webqq. Openqq
// cannot sign, so with a secret its post_api URL carries ?secret=; a report
// that does carry an X-Signature (a signing relay) is checked as OneBot's.
// Without a secret only this computer may report.
func (c *Connector) verify(req channel.WebhookRequest) error {
	if c.secret == "" {
		return channel.LocalOnly(req.Channel, req.Remote)
	}
	if sig := strings.TrimSpace(req.Header.Get("X-Signature")); sig != "" {
		return channel.CheckSHA1Signature(sig, c.secret, req.Body)
	}
	return channel.CheckQuerySecret(req.Query, c.secret, "Mojo-Webqq 的 post_api 地址")
}

// report covers both report layouts Openqq has used: the older one
// (msg_class, sender_id, group_id) and the newer one (class, post_type,
// sender_uid and group_uid with the QQ and group numbers).
type report struct {
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

// parseReport turns a report into a chat message; nil without an error means
// "acknowledge, nothing to do" (events, the bot's own messages).
func parseReport(body []byte) (*channel.Incoming, error) {
	var rp report
	if err := channel.DecodeEvent(body, &rp, "Openqq 上报"); err != nil {
		return nil, err
	}
	switch {
	case rp.PostType == "event" || rp.Event != "":
		return nil, nil // login, new_friend...: acknowledged, no action
	case rp.PostType == "send_message" || rp.Class == "send" || rp.MsgClass == "send":
		return nil, nil // the bot's own message
	case rp.Type == "":
		return nil, channel.BadEvent("不是 Openqq 消息上报：缺少 type")
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
	in := &channel.Incoming{Sender: uid, SenderName: string(rp.Sender), Text: channel.StripMentions(string(rp.Content))}
	if in.ID = strings.TrimSpace(string(rp.MsgID)); in.ID == "" {
		in.ID = strings.TrimSpace(string(rp.ID))
	}
	switch {
	case uid != "":
	case id != "":
		// Only the session id: it works for {{来源QQ}} only if the ERP
		// stores it, but a late answer can still be addressed with it.
		in.Sender, in.ReplyQQ = id, "id:"+id
	default:
		return nil, channel.BadEvent("Openqq 消息上报缺少 sender_id")
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
				return nil, channel.BadEvent("Openqq 讨论组消息上报缺少 discuss_id")
			}
			in.Group, in.ReplyGroup = did, "did:"+did
		case guid != "":
			in.Group = guid
		case gid != "":
			in.Group, in.ReplyGroup = gid, "gid:"+gid
		default:
			return nil, channel.BadEvent("Openqq 群消息上报缺少 group_id")
		}
	}
	return in, nil
}
