package feishu

import (
	"botgate/model"
	"context"
	"strings"
	"testing"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
)

func TestSend_Mentions_AtTagsInText(t *testing.T) {
	srv := ct.New(t, ct.Always(ct.JSON(`{"code":0,"msg":"success","data":{}}`)))
	m := channel.Message{Content: `请审批 <at user_id="ou_b">李四</at>`, At: []model.Mention{{ID: "ou_a", Name: "张三"}, {ID: "ou_b"}, {ID: "c<1>"}, {ID: "all"}}}
	ct.WantError(t, newConn(t, srv, "").Send(context.Background(), m), false, "")
	ct.JSONEq(t, srv.Only(t).Body, `{"msg_type":"text","content":{"text":"请审批 <at user_id=\"ou_b\">李四</at> <at user_id=\"ou_a\">张三</at> <at user_id=\"c&lt;1&gt;\">c&lt;1&gt;</at> <at user_id=\"all\">所有人</at>"}}`)
}

func TestSend_Extras_UnsupportedRefusedWithoutRequest(t *testing.T) {
	tests := []struct {
		name    string
		msg     channel.Message
		wantMsg string
	}{
		{"image", channel.Message{Content: "x", Attachments: []model.Attachment{{Kind: "image", Name: "a.png", URL: "http://127.0.0.1/a.png"}}}, "image_key"},
		{"file", channel.Message{Attachments: []model.Attachment{{Kind: "file", Name: "a.pdf", Data: []byte("%PDF")}}}, "不支持发送文件"},
		{"mention tags over 20 KB", channel.Message{Content: strings.Repeat("a", MaxBody-100), At: []model.Mention{{ID: "ou_a", Name: strings.Repeat("名", 40)}}}, "消息过长"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(ct.JSON(`{"code":0}`)))
			c := newConn(t, srv, "")
			ct.WantError(t, c.CheckExtras(tt.msg), true, tt.wantMsg)
			ct.WantError(t, c.Send(context.Background(), tt.msg), true, tt.wantMsg)
			if n := len(srv.Calls()); n != 0 {
				t.Fatalf("%d requests for a refused message", n)
			}
		})
	}
}
