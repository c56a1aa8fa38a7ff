package onebot

import (
	"encoding/base64"
	"strconv"
	"strings"

	"botgate/app/channel"
	"botgate/model"
)

// What a message looks like on the wire, the same over every transport.
// A text alone is sent as a string with auto_escape, so that CQ-code
// characters ([CQ:...]) in an ERP's text arrive literally instead of turning
// into an image or an @all. With mentions or images the message is an array
// of segments (OneBot v11 message/array.md): an at segment per member, the
// text as one text segment (taken literally, as every segment is), then an
// image segment per image.

// seg is one message segment.
type seg struct {
	Type string            `json:"type"`
	Data map[string]string `json:"data"`
}

func text(s string) seg { return seg{Type: "text", Data: map[string]string{"text": s}} }

// at mentions a QQ number, or everyone ("all", which OneBot spells the same).
func at(qq string) seg { return seg{Type: "at", Data: map[string]string{"qq": qq}} }

// image sends an image by its bytes (base64://…, which every implementation
// takes) or by its URL, which the implementation downloads itself.
func image(a model.Attachment) seg {
	file := a.URL
	if a.Data != nil {
		file = "base64://" + base64.StdEncoding.EncodeToString(a.Data)
	}
	return seg{Type: "image", Data: map[string]string{"file": file}}
}

// sendParams is the action and params that deliver m.
func sendParams(m channel.Message) (string, map[string]any, error) {
	id, err := strconv.ParseInt(m.To, 10, 64)
	if err != nil {
		return "", nil, channel.Permanentf(err, "接收者 %q 不是有效的 QQ 号或群号", m.To)
	}
	if err := checkExtras(m); err != nil {
		return "", nil, err
	}
	action, params := "send_private_msg", map[string]any{"user_id": id}
	if m.Kind == channel.Group {
		action, params = "send_group_msg", map[string]any{"group_id": id}
	}
	if len(m.At) == 0 && len(m.Attachments) == 0 {
		params["message"], params["auto_escape"] = m.Content, true
		return action, params, nil
	}
	var segs []seg
	for _, who := range m.At {
		segs = append(segs, at(who.ID))
	}
	if m.Content != "" {
		t := m.Content
		if len(segs) > 0 {
			t = " " + t // QQ shows "@张三 text", not "@张三text"
		}
		segs = append(segs, text(t))
	}
	for _, a := range m.Attachments {
		segs = append(segs, image(a))
	}
	params["message"] = segs
	return action, params, nil
}

// CheckExtras refuses what OneBot cannot mention or attach: an @ of
// anything but a QQ number or all, and files (upload_group_file takes a path
// on the implementation's own disk, which BotGate does not have).
func (c *Connector) CheckExtras(m channel.Message) error { return checkExtras(m) }

func checkExtras(m channel.Message) error {
	for _, who := range m.At {
		if who.ID == model.MentionAll {
			continue
		}
		if _, err := strconv.ParseUint(who.ID, 10, 64); err != nil {
			return channel.Permanentf(nil, "OneBot 只能 @ QQ 号或 all（所有人），%q 不是 QQ 号", who.ID)
		}
	}
	for _, a := range m.Attachments {
		if a.Kind != model.AttachImage {
			return channel.Unsupported("OneBot", "文件", "只能发送图片（“"+a.Name+"”是文件）")
		}
	}
	return nil
}

// replyParams answers an incoming chat message through send_msg: over a
// socket there is no quick operation. In a group the answer mentions the
// sender first, as the quick operation's at_sender does over HTTP.
func replyParams(in channel.Incoming, reply string) map[string]any {
	if in.Group == "" {
		return map[string]any{"message_type": "private", "user_id": number(in.Sender), "message": []seg{text(reply)}}
	}
	return map[string]any{"message_type": "group", "group_id": number(in.Group),
		"message": []seg{at(in.Sender), text(" " + reply)}}
}

// number is id as a JSON number when it is one (NapCat checks the type),
// else as it came.
func number(id string) any {
	if n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64); err == nil {
		return n
	}
	return id
}
