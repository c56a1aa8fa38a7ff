package dingtalk

import (
	"botgate/model"
	"context"
	"strings"
	"testing"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
)

func TestSend_Extras_BuildsDocumentedRequest(t *testing.T) {
	tests := []struct {
		name     string
		vals     map[string]string
		msg      channel.Message
		wantBody string
	}{
		{"mentions by mobile, userid and all; the text gains @mobile and @userid",
			map[string]string{"at_mobiles": "15000000000"},
			channel.Message{Content: "请审批 @13800001111", At: []model.Mention{{ID: "13800001111", Name: "张三"}, {ID: "manager01"}, {ID: "all"}}},
			`{"msgtype":"text","text":{"content":"请审批 @13800001111 @manager01"},"at":{"atMobiles":["15000000000","13800001111"],"atUserIds":["manager01"],"isAtAll":true}}`},
		{"image URL makes a markdown message", nil,
			channel.Message{Content: "今日销售", Attachments: []model.Attachment{{Kind: "image", Name: "chart.png", URL: "https://erp.example.com/c/chart(1).png"}}},
			`{"msgtype":"markdown","markdown":{"title":"今日销售","text":"今日销售\n\n![chart.png](https://erp.example.com/c/chart%281%29.png)"}}`},
		{"image alone, with a mention", map[string]string{"format": "markdown"},
			channel.Message{At: []model.Mention{{ID: "13800001111"}}, Attachments: []model.Attachment{{Kind: "image", Name: "a.jpg", URL: "http://127.0.0.1/a.jpg"}}},
			`{"msgtype":"markdown","markdown":{"title":"[图片]","text":"@13800001111\n\n![a.jpg](http://127.0.0.1/a.jpg)"},"at":{"atMobiles":["13800001111"]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(ct.JSON(ok)))
			ct.WantError(t, newConn(t, srv, tt.vals).Send(context.Background(), tt.msg), false, "")
			ct.JSONEq(t, srv.Only(t).Body, tt.wantBody)
		})
	}
}

func TestSend_Extras_UnsupportedRefusedWithoutRequest(t *testing.T) {
	tests := []struct {
		name    string
		msg     channel.Message
		wantMsg string
	}{
		{"uploaded image", channel.Message{Attachments: []model.Attachment{{Kind: "image", Name: "a.png", Data: []byte("\x89PNG\r\n\x1a\n")}}}, "要以 http(s) 网址发送"},
		{"file", channel.Message{Content: "x", Attachments: []model.Attachment{{Kind: "file", Name: "a.pdf", URL: "http://127.0.0.1/a.pdf"}}}, "没有上传文件的接口"},
		{"image link over the size limit", channel.Message{Content: strings.Repeat("a", MaxContent-10), Attachments: []model.Attachment{{Kind: "image", Name: "a.png", URL: "http://127.0.0.1/a.png"}}}, "消息过长"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(ct.JSON(ok)))
			c := newConn(t, srv, nil)
			ct.WantError(t, c.CheckExtras(tt.msg), true, tt.wantMsg)
			ct.WantError(t, c.Send(context.Background(), tt.msg), true, tt.wantMsg)
			if n := len(srv.Calls()); n != 0 {
				t.Fatalf("%d requests for a refused message", n)
			}
		})
	}
}

// The text is sent as written: only missing @ tags are added.
func TestSend_TextKeptAsWritten(t *testing.T) {
	srv := ct.New(t, ct.Always(ct.JSON(ok)))
	ct.WantError(t, newConn(t, srv, nil).Send(context.Background(), channel.Message{Content: "  缩进的文字  "}), false, "")
	ct.JSONEq(t, srv.Only(t).Body, `{"msgtype":"text","text":{"content":"  缩进的文字  "}}`)
}
