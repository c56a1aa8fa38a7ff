package gewe

import (
	"context"
	"net/http"
	"testing"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
)

// sent is the seed's success reply.
const sent = `{"ret":0,"msg":"success","data":{"BaseResponse":{"ret":0,"errMsg":{}},"Count":1,
 "List":[{"Ret":0,"ToUsetName":{"string":"wxid_8pvkddddddt22"},"MsgId":0,"NewClientMsgid":3218469563,
 "Createtime":1689922358,"servertime":1689922360,"Type":1,"NewMsgId":8015075888668773694}],"NoKnow":0}}`

// newConn is a connector for the seed's API (api v1).
func newConn(t *testing.T, srv *ct.Server) *Connector { return newConnAPI(t, srv, "v1") }

func newConnAPI(t *testing.T, srv *ct.Server, api string) *Connector {
	t.Helper()
	c, err := New(channel.Config{Name: "wx", Type: "gewe", Values: map[string]string{
		"url": srv.URL, "token": "tok-123", "appid": "wx_ECMY4oEDuQAP6WimpWwWv", "api": api}}, srv.Deps())
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Connector)
}

func TestSend_BuildsSeedRequest(t *testing.T) {
	tests := []struct {
		name     string
		msg      channel.Message
		wantPath string
		wantBody string
	}{
		{"private text uses sendmsg with msg_type 1",
			channel.Message{Kind: channel.Private, To: "wxid_8pvkddddddt22", Content: "hhh"},
			"/api/message/sendmsg",
			`{"appid":"wx_ECMY4oEDuQAP6WimpWwWv","to_wxid_list":[{"at":[""],"content":"hhh","msg_source":"","msg_type":1,"to_wxid":"wxid_8pvkddddddt22"}]}`},
		{"chat room text uses sendmsg with the chatroom id",
			channel.Message{Kind: channel.Group, To: "34757816141@chatroom", Content: "库存预警"},
			"/api/message/sendmsg",
			`{"appid":"wx_ECMY4oEDuQAP6WimpWwWv","to_wxid_list":[{"at":[""],"content":"库存预警","msg_source":"","msg_type":1,"to_wxid":"34757816141@chatroom"}]}`},
		{"appmsg XML uses sendapp",
			channel.Message{Kind: channel.Private, To: "wxid_8pvkddddddt22", Content: `<appmsg appid="" sdkver="0"><title>腾讯云助手</title><type>33</type></appmsg>`},
			"/api/message/sendapp",
			`{"appid":"wx_ECMY4oEDuQAP6WimpWwWv","to_wxid":"wxid_8pvkddddddt22","xml":"<appmsg appid=\"\" sdkver=\"0\"><title>腾讯云助手</title><type>33</type></appmsg>"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(ct.JSON(sent)))
			ct.WantError(t, newConn(t, srv).Send(context.Background(), tt.msg), false, "")
			c := srv.Only(t)
			c.Expect(t, http.MethodPost, tt.wantPath, "application/json")
			if got := c.Header.Get("X-GEWE-TOKEN"); got != "tok-123" {
				t.Errorf("X-GEWE-TOKEN = %q", got)
			}
			ct.JSONEq(t, c.Body, tt.wantBody)
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
		{"seed failure reply is retried and shows msg_err", ct.JSON(`{"ret":-1,"msg_err":"失败"}`), false, "GeWe 发送失败（失败）"},
		{"offline device is retried with a hint", ct.JSON(`{"ret":-1,"msg_err":"设备不在线"}`), false, "重新登录微信"},
		{"bad token is permanent", ct.JSON(`{"ret":-1,"msg_err":"token无效"}`), true, "检查通道设置中的 token"},
		{"unknown recipient is permanent", ct.JSON(`{"ret":-1,"msg_err":"联系人不存在"}`), true, "检查接收者 wxid"},
		{"unknown device (appid) is permanent", ct.JSON(`{"ret":-1,"msg_err":"appid错误"}`), true, "检查通道设置中的 appid"},
		{"HTTP 403 names the token", ct.Reply{Status: 403}, true, "重新获取 token"},
		{"per-recipient Ret in the list fails the send", ct.JSON(`{"ret":0,"msg":"success","data":{"List":[{"Ret":-44,"ToUsetName":{"string":"wxid_x"}}]}}`), false, "wxid_x"},
		{"HTTP 401 names the token", ct.Reply{Status: 401}, true, "重新获取 token"},
		{"server error is retried", ct.Reply{Status: 500}, false, "HTTP 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(tt.reply))
			err := newConn(t, srv).Send(context.Background(), channel.Message{Kind: channel.Private, To: "wxid_x", Content: "hi"})
			ct.WantError(t, err, tt.permanent, tt.wantMsg)
		})
	}
}

func TestValidateTarget(t *testing.T) {
	c := &Connector{}
	tests := []struct {
		kind, to string
		ok       bool
	}{
		{channel.Private, "wxid_8pvkddddddt22", true},
		{channel.Group, "34757816141@chatroom", true},
		{channel.Group, "wxid_8pvkddddddt22", false},
		{channel.Private, "34757816141@chatroom", false},
		{channel.Private, "a,b", false},
		{channel.Private, "", false},
	}
	for _, tt := range tests {
		if err := c.ValidateTarget(tt.kind, tt.to); (err == nil) != tt.ok {
			t.Errorf("ValidateTarget(%s, %q) = %v, want ok=%v", tt.kind, tt.to, err, tt.ok)
		}
	}
}

func TestNew_MissingTokenOrAppid_NamesThem(t *testing.T) {
	_, err := New(channel.Config{Values: map[string]string{"url": "http://127.0.0.1:1"}}, channel.Deps{})
	ct.WantError(t, err, true, "token、appid")
}
