package xuanxuan

import (
	"botgate/model"
	"context"
	"testing"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
)

// Links map onto the seed's notification fields: an image into markdown
// content (contentType "text"), a file into a 下载 action and the url.
func TestSend_Attachments_MappedToSeedFields(t *testing.T) {
	tests := []struct {
		name     string
		msg      channel.Message
		wantBody string
	}{
		{"image link in markdown content",
			channel.Message{Kind: channel.Private, To: "1", Content: "今日销售", Attachments: []model.Attachment{{Kind: "image", Name: "chart.png", URL: "https://erp.example.com/chart.png"}}},
			`{"users":[1],"title":"BotGate 通知","content":"今日销售\n\n![chart.png](https://erp.example.com/chart.png)","contentType":"text"}`},
		{"files as download buttons, the first also the url",
			channel.Message{Kind: channel.Group, To: "f3de9ff9", Content: "发票", Attachments: []model.Attachment{
				{Kind: "file", Name: "发票.pdf", URL: "https://erp.example.com/i.pdf"}, {Kind: "file", Name: "明细.xlsx", URL: "https://erp.example.com/d.xlsx"}}},
			`{"gid":"f3de9ff9","title":"BotGate 通知","content":"发票","contentType":"plain","url":"https://erp.example.com/i.pdf",
			  "actions":[{"label":"下载 发票.pdf","url":"https://erp.example.com/i.pdf","type":"primary"},{"label":"下载 明细.xlsx","url":"https://erp.example.com/d.xlsx","type":"primary"}]}`},
		{"image alone",
			channel.Message{Kind: channel.Private, To: "admin", Attachments: []model.Attachment{{Kind: "image", Name: "a.jpg", URL: "http://127.0.0.1/a.jpg"}}},
			`{"users":["admin"],"title":"BotGate 通知","content":"![a.jpg](http://127.0.0.1/a.jpg)","contentType":"text"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(ct.JSON(`{"result":"success"}`)))
			ct.WantError(t, newConn(t, srv, "").Send(context.Background(), tt.msg), false, "")
			ct.JSONEq(t, srv.Only(t).Body, tt.wantBody)
		})
	}
}

func TestSend_AttachmentBytes_RefusedWithoutRequest(t *testing.T) {
	for _, kind := range []string{"image", "file"} {
		t.Run(kind, func(t *testing.T) {
			srv := ct.New(t, ct.Always(ct.JSON(`{"result":"success"}`)))
			c := newConn(t, srv, "")
			m := channel.Message{Kind: channel.Private, To: "1", Content: "x", Attachments: []model.Attachment{{Kind: kind, Name: "a", Data: []byte("GIF89a")}}}
			ct.WantError(t, c.CheckExtras(m), true, "只能发送链接")
			ct.WantError(t, c.Send(context.Background(), m), true, "只能发送链接")
			if n := len(srv.Calls()); n != 0 {
				t.Fatalf("%d requests", n)
			}
		})
	}
}
