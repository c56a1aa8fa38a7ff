package wecom

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
)

const ok = `{"errcode":0,"errmsg":"ok"}`

func newConn(t *testing.T, srv *ct.Server, vals map[string]string) *Connector {
	t.Helper()
	v := map[string]string{"url": srv.URL + "/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"}
	for k, x := range vals {
		v[k] = x
	}
	c, err := New(channel.Config{Name: "wecom", Type: "wecom", Values: v}, srv.Deps())
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Connector)
}

func TestSend_BuildsDocumentedRequest(t *testing.T) {
	tests := []struct {
		name     string
		vals     map[string]string
		msg      channel.Message
		wantBody string
	}{
		{"text ignores the target", nil, channel.Message{Kind: channel.Group, To: "123", Content: "广州今日天气：29度，大部分多云，降雨概率：60%"},
			`{"msgtype":"text","text":{"content":"广州今日天气：29度，大部分多云，降雨概率：60%"}}`},
		{"text with mentions", map[string]string{"mentioned_list": "wangqing,@all", "mentioned_mobile_list": "13800001111"},
			channel.Message{Kind: channel.Private, To: "1", Content: "请查收"},
			`{"msgtype":"text","text":{"content":"请查收","mentioned_list":["wangqing","@all"],"mentioned_mobile_list":["13800001111"]}}`},
		{"markdown", map[string]string{"format": "markdown"}, channel.Message{Content: "实时新增用户反馈<font color=\"warning\">132例</font>"},
			`{"msgtype":"markdown","markdown":{"content":"实时新增用户反馈<font color=\"warning\">132例</font>"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(ct.JSON(ok)))
			ct.WantError(t, newConn(t, srv, tt.vals).Send(context.Background(), tt.msg), false, "")
			c := srv.Only(t)
			c.Expect(t, http.MethodPost, "/cgi-bin/webhook/send", "application/json")
			if c.RawQuery != "key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa" {
				t.Errorf("query = %s", c.RawQuery)
			}
			ct.JSONEq(t, c.Body, tt.wantBody)
		})
	}
}

func TestSend_OverSizeLimit_RefusedWithoutRequest(t *testing.T) {
	tests := []struct {
		name, format string
		size         int
		wantErr      bool
	}{
		{"text at 2048 bytes is sent", "text", 2048, false},
		{"text over 2048 bytes is refused", "text", 2049, true},
		{"markdown at 4096 bytes is sent", "markdown", 4096, false},
		{"markdown over 4096 bytes is refused", "markdown", 4097, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(ct.JSON(ok)))
			err := newConn(t, srv, map[string]string{"format": tt.format}).Send(context.Background(), channel.Message{Content: strings.Repeat("a", tt.size)})
			if tt.wantErr {
				ct.WantError(t, err, true, "消息过长")
				if len(srv.Calls()) != 0 {
					t.Error("over-long message was sent")
				}
			} else {
				ct.WantError(t, err, false, "")
			}
		})
	}
}

func TestSend_ClassifiesFailures(t *testing.T) {
	tests := []struct {
		name      string
		reply     ct.Reply
		permanent bool
		wantMsg   string
	}{
		{"invalid webhook key (93000) is permanent", ct.JSON(`{"errcode":93000,"errmsg":"invalid webhook url, hint: [1700000000_1]"}`), true, "重新复制机器人的 webhook 地址"},
		{"rate limited (45009) is retried", ct.JSON(`{"errcode":45009,"errmsg":"api freq out of limit"}`), false, "每分钟最多 20 条"},
		{"system busy (-1) is retried", ct.JSON(`{"errcode":-1,"errmsg":"system busy"}`), false, "繁忙"},
		{"other errcode is permanent with the platform text", ct.JSON(`{"errcode":40008,"errmsg":"invalid message type"}`), true, "invalid message type"},
		{"reply without errcode is retried", ct.JSON(`{}`), false, "缺少 errcode"},
		{"HTTP 500 is retried", ct.Reply{Status: 500}, false, "HTTP 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(tt.reply))
			ct.WantError(t, newConn(t, srv, nil).Send(context.Background(), channel.Message{Content: "hi"}), tt.permanent, tt.wantMsg)
		})
	}
}

// TestSend_DocumentedCodes_Classified has one row per WeCom errcode in
// errors.go, plus the same code carried by an HTTP 4xx body.
func TestSend_DocumentedCodes_Classified(t *testing.T) {
	tests := []struct {
		code      int
		permanent bool
		wantMsg   string
	}{
		{-1, false, "企业微信系统繁忙（-1），稍后重试"},
		{45009, false, "发送太频繁（45009"},
		{45033, false, "并发调用太多（45033），稍后重试"},
		{45047, false, "发送太频繁（45047"},
		{93000, true, "webhook 地址无效或机器人已被移出群（93000）"},
		{93004, true, "机器人已被停用（93004），请在群设置中启用机器人"},
		{93008, true, "机器人不在群里（93008），请把机器人重新加入群"},
		{40008, true, "不接受该消息类型（40008），请检查通道的 format 设置"},
		{40035, true, "参数不合法（40035）"},
		{40058, true, "参数不合法（40058）"},
		{40063, true, "参数为空（40063）"},
		{44004, true, "消息内容为空（44004）"},
		{45002, true, "超过企业微信的大小限制（45002）"},
		{60020, true, "企业微信拒绝了该消息（60020：x），请检查消息内容和通道设置"},
	}
	for _, tt := range tests {
		body := fmt.Sprintf(`{"errcode":%d,"errmsg":"x"}`, tt.code)
		for _, rep := range []ct.Reply{ct.JSON(body), {Status: http.StatusBadRequest, Body: body}} {
			t.Run(fmt.Sprintf("%d/HTTP%d", tt.code, max(rep.Status, 200)), func(t *testing.T) {
				srv := ct.New(t, ct.Always(rep))
				ct.WantError(t, newConn(t, srv, nil).Send(context.Background(), channel.Message{Content: "hi"}), tt.permanent, tt.wantMsg)
			})
		}
	}
}

func TestTest_PostsVisibleTestText(t *testing.T) {
	srv := ct.New(t, ct.Always(ct.JSON(ok)))
	if err := newConn(t, srv, nil).Test(context.Background()); err != nil {
		t.Fatal(err)
	}
	ct.JSONEq(t, srv.Only(t).Body, `{"msgtype":"text","text":{"content":"`+TestText+`"}}`)
}

func TestNew_RejectsUnknownFormat(t *testing.T) {
	_, err := New(channel.Config{Values: map[string]string{"url": "http://127.0.0.1:1/x", "format": "image"}}, channel.Deps{})
	ct.WantError(t, err, true, "text 或 markdown")
}
