package onebot

import (
	"context"
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
	"botgate/app/channel/onebot/onebottest"
	"botgate/model"
)

// png is the smallest PNG's signature and header, enough to be an image.
var png = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")

// segmentCases are the messages with mentions and images, and the params
// OneBot v11 takes for them (message/array.md, segment.md: at qq, "all";
// image file "base64://…" or a URL). A text alone stays a string with
// auto_escape, as before.
var segmentCases = []struct {
	name   string
	msg    channel.Message
	action string
	params string
}{
	{"mentions before the text, all as qq all",
		channel.Message{Kind: channel.Group, To: "552603", Content: "请查收[CQ:face,id=1]", At: []model.Mention{{ID: "10001", Name: "张三"}, {ID: model.MentionAll}}},
		"send_group_msg", `{"group_id":552603,"message":[{"type":"at","data":{"qq":"10001"}},{"type":"at","data":{"qq":"all"}},{"type":"text","data":{"text":" 请查收[CQ:face,id=1]"}}]}`},
	{"image bytes as base64://, after the text",
		channel.Message{Kind: channel.Private, To: "350310976", Content: "报表", Attachments: []model.Attachment{{Kind: model.AttachImage, Name: "a.png", Data: png}}},
		"send_private_msg", `{"user_id":350310976,"message":[{"type":"text","data":{"text":"报表"}},{"type":"image","data":{"file":"base64://` + base64.StdEncoding.EncodeToString(png) + `"}}]}`},
	{"image by URL, no text, with a mention",
		channel.Message{Kind: channel.Group, To: "552603", At: []model.Mention{{ID: "10001"}}, Attachments: []model.Attachment{{Kind: model.AttachImage, Name: "chart.png", URL: "https://erp.example.lan/chart.png"}}},
		"send_group_msg", `{"group_id":552603,"message":[{"type":"at","data":{"qq":"10001"}},{"type":"image","data":{"file":"https://erp.example.lan/chart.png"}}]}`},
	{"text alone keeps the string form",
		channel.Message{Kind: channel.Group, To: "552603", Content: "[CQ:at,qq=all]"},
		"send_group_msg", `{"group_id":552603,"message":"[CQ:at,qq=all]","auto_escape":true}`},
}

func TestSend_MentionsAndImages_HTTP(t *testing.T) {
	for _, tt := range segmentCases {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(ct.JSON(`{"status":"ok","retcode":0,"data":{"message_id":1}}`)))
			if err := newConn(t, srv, "").Send(context.Background(), tt.msg); err != nil {
				t.Fatal(err)
			}
			c := srv.Only(t)
			c.Expect(t, http.MethodPost, "/"+tt.action, "application/json")
			ct.JSONEq(t, c.Body, tt.params)
		})
	}
}

// The same params go over a socket.
func TestSend_MentionsAndImages_WebSocket(t *testing.T) {
	fake := onebottest.New()
	srv := fake.Server(t)
	in := newInbox("")
	f := wsConn(t, wsAddr(srv), "")
	listen(t, f, in)
	in.waitState(t, "connected", connected)
	for i, tt := range segmentCases {
		t.Run(tt.name, func(t *testing.T) {
			if err := f.Send(context.Background(), tt.msg); err != nil {
				t.Fatal(err)
			}
			fake.Wait(t, 3*time.Second, "the send", func() bool { return len(fake.Actions()) == i+1 })
			a := fake.Actions()[i]
			if a.Action != tt.action {
				t.Fatalf("action %s, want %s", a.Action, tt.action)
			}
			ct.JSONEq(t, a.Params, tt.params)
		})
	}
}

// What OneBot cannot carry is refused before it is queued (app calls
// CheckExtras) and again by Send.
func TestCheckExtras_RefusesWhatOneBotCannotCarry(t *testing.T) {
	tests := []struct {
		name string
		msg  channel.Message
		want string // "" = accepted
	}{
		{"QQ numbers and all", channel.Message{Kind: channel.Group, To: "1", At: []model.Mention{{ID: "10001"}, {ID: "all"}}}, ""},
		{"a mention that is not a QQ number", channel.Message{Kind: channel.Group, To: "1", At: []model.Mention{{ID: "zhangsan"}}}, "只能 @ QQ 号或 all"},
		{"a file", channel.Message{Kind: channel.Group, To: "1", Attachments: []model.Attachment{{Kind: model.AttachFile, Name: "a.pdf", URL: "https://x.lan/a.pdf"}}}, "不支持发送文件"},
	}
	srv := ct.New(t, ct.Always(ct.JSON(`{"status":"ok","retcode":0,"data":{"message_id":1}}`)))
	c := newConn(t, srv, "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.CheckExtras(tt.msg)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			ct.WantError(t, err, true, tt.want)
			ct.WantError(t, c.Send(context.Background(), tt.msg), true, tt.want)
		})
	}
}
