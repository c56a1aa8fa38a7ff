package openqq

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"testing"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
)

const sent = `{"status":"发送成功","msg_id":23910327,"code":0}`

// newConn is a connector with the default api (auto).
func newConn(t *testing.T, srv *ct.Server) *Connector { return newConnAPI(t, srv, "") }

func newConnAPI(t *testing.T, srv *ct.Server, api string) *Connector {
	t.Helper()
	c, err := New(channel.Config{Name: "webqq", Type: "openqq", Values: map[string]string{"url": srv.URL, "api": api}}, srv.Deps())
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Connector)
}

func TestSend_BuildsSeedRequest(t *testing.T) {
	tests := []struct {
		name     string
		kind, to string
		wantPath string
		wantForm url.Values
	}{
		{"friend by QQ number uses send_message qq", channel.Private, "123456", "/openqq/send_message", url.Values{"qq": {"123456"}, "content": {"你好"}}},
		{"friend by session id uses send_message id", channel.Private, "id:2457053936", "/openqq/send_message", url.Values{"id": {"2457053936"}, "content": {"你好"}}},
		{"group by number uses send_group_message gnumber", channel.Group, "552603", "/openqq/send_group_message", url.Values{"gnumber": {"552603"}, "content": {"你好"}}},
		{"group by session id uses send_group_message gid", channel.Group, "gid:2617047292", "/openqq/send_group_message", url.Values{"gid": {"2617047292"}, "content": {"你好"}}},
		{"discussion uses send_discuss_message did", channel.Group, "did:4118239384", "/openqq/send_discuss_message", url.Values{"did": {"4118239384"}, "content": {"你好"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(ct.JSON(sent)))
			err := newConnAPI(t, srv, "v1").Send(context.Background(), channel.Message{Kind: tt.kind, To: tt.to, Content: "你好"})
			ct.WantError(t, err, false, "")
			c := srv.Only(t)
			c.Expect(t, http.MethodPost, tt.wantPath, "application/x-www-form-urlencoded")
			if got := c.Form(t); !reflect.DeepEqual(got, tt.wantForm) {
				t.Errorf("form = %v, want %v", got, tt.wantForm)
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
		{"object not found (code 100) is permanent", ct.JSON(`{"msg_id":null,"code":100,"status":"object not found"}`), true, "找不到接收者"},
		{"other send failure is retried", ct.JSON(`{"msg_id":23910327,"code":-3,"status":"发送失败"}`), false, "Webqq 仍在线"},
		{"reply without code is retried", ct.JSON(`{"status":"?"}`), false, "缺少 code"},
		{"wrong path (404) is permanent", ct.Reply{Status: 404}, true, "Openqq 插件的监听地址"},
		{"server error is retried", ct.Reply{Status: 502}, false, "HTTP 502"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(tt.reply))
			err := newConn(t, srv).Send(context.Background(), channel.Message{Kind: channel.Private, To: "123456", Content: "hi"})
			ct.WantError(t, err, tt.permanent, tt.wantMsg)
		})
	}
}

// TestSend_DocumentedCodes_Classified has one row per code of Openqq's send
// replies (errors.go), each sent to the API path it comes from.
func TestSend_DocumentedCodes_Classified(t *testing.T) {
	tests := []struct {
		name      string
		msg       channel.Message
		body      string
		permanent bool
		wantMsg   string
	}{
		{"friend not found (100)", channel.Message{Kind: channel.Private, To: "123456"}, `{"msg_id":null,"code":100,"status":"friend not found"}`, true, "对方不是机器人 QQ 的好友或 id 已变化，请确认好友的 QQ 号，或在通讯录中重新查看 id（code 100：friend not found）"},
		{"group not found (101)", channel.Message{Kind: channel.Group, To: "552603"}, `{"msg_id":null,"code":101,"status":"group not found"}`, true, "机器人不在该群或 gid 已变化"},
		{"discussion not found (102)", channel.Message{Kind: channel.Group, To: "did:4118239384"}, `{"msg_id":null,"code":102,"status":"discuss not found"}`, true, "讨论组不存在或 did 已变化"},
		{"group member not found (103)", channel.Message{Kind: channel.Private, To: "123456"}, `{"msg_id":null,"code":103,"status":"group member not found"}`, true, "该群成员不存在"},
		{"discussion member not found (104)", channel.Message{Kind: channel.Private, To: "123456"}, `{"msg_id":null,"code":104,"status":"discuss member not found"}`, true, "该讨论组成员不存在"},
		{"member not found (105)", channel.Message{Kind: channel.Private, To: "123456"}, `{"msg_id":null,"code":105,"status":"discuss member or group member  not found"}`, true, "群成员或讨论组成员不存在"},
		{"auth callback refused (-6)", channel.Message{Kind: channel.Private, To: "123456"}, `{"code":-6,"status":"auth failure"}`, true, "auth 设置中放行本机"},
		{"bad data format (-1) is retried", channel.Message{Kind: channel.Private, To: "123456"}, `{"msg_id":1,"code":-1,"status":"发送失败"}`, false, "稍后重试；若持续失败请确认 Webqq 仍在线（code -1：发送失败）"},
		{"unknown reply (-2) is retried", channel.Message{Kind: channel.Private, To: "123456"}, `{"msg_id":1,"code":-2,"status":"发送失败"}`, false, "Webqq 仍在线"},
		{"send error (-3) is retried", channel.Message{Kind: channel.Private, To: "123456"}, `{"msg_id":1,"code":-3,"status":"发送失败"}`, false, "Webqq 仍在线"},
		{"unknown reply (-4) is retried", channel.Message{Kind: channel.Private, To: "123456"}, `{"msg_id":1,"code":-4,"status":"发送失败"}`, false, "Webqq 仍在线"},
		{"TTL expired (-5) is retried", channel.Message{Kind: channel.Private, To: "123456"}, `{"msg_id":1,"code":-5,"status":"发送失败"}`, false, "Webqq 仍在线"},
		{"undocumented code is retried", channel.Message{Kind: channel.Private, To: "123456"}, `{"msg_id":1,"code":7,"status":"?"}`, false, "稍后重试"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(ct.JSON(tt.body)))
			tt.msg.Content = "hi"
			err := newConn(t, srv).Send(context.Background(), tt.msg)
			ct.WantError(t, err, tt.permanent, tt.wantMsg)
		})
	}
}

func TestSend_BadTargetOrEmpty_RefusedWithoutRequest(t *testing.T) {
	for _, m := range []channel.Message{
		{Kind: channel.Private, To: "abc", Content: "x"},
		{Kind: channel.Private, To: "gid:1", Content: "x"},
		{Kind: channel.Group, To: "id:1", Content: "x"},
		{Kind: channel.Group, To: "552603", Content: "  "},
	} {
		srv := ct.New(t, ct.Always(ct.JSON(sent)))
		err := newConn(t, srv).Send(context.Background(), m)
		if !channel.IsPermanent(err) {
			t.Errorf("%+v: err = %v, want permanent", m, err)
		}
		if n := len(srv.Calls()); n != 0 {
			t.Errorf("%+v: %d requests sent", m, n)
		}
	}
}

func TestTest_CallsGetUserInfo(t *testing.T) {
	srv := ct.New(t, ct.Always(ct.JSON(`{"nick":"小灰","state":"online","id":"1234567","qq":"1234567","account":"1234567"}`)))
	if err := newConn(t, srv).Test(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.Only(t).Expect(t, http.MethodGet, "/openqq/get_user_info", "")
}

func TestContacts_ListsFriendsGroupsAndDiscussions(t *testing.T) {
	srv := ct.New(t, func(c ct.Call) ct.Reply {
		switch c.Path {
		case "/openqq/get_friend_info":
			return ct.JSON(`[{"is_vip":"1","qq":"123456","markname":"xxx","nick":"测试帐号1","category":"我的网友","id":"2457053936"},
				{"is_vip":"0","qq":"7891234","markname":"","nick":"测试帐号2","id":"2475249571"}]`)
		case "/openqq/get_group_info":
			return ct.JSON(`[{"gmarkname":"","gid":"2617047292","gcode":"","gname":"PERL学习交流","gnumber":"552603","member":[{"qq":"45678","gnumber":"552603","role":"attend"}]}]`)
		case "/openqq/get_discuss_info":
			return ct.JSON(`[{"dname":"测试","did":"4118239384","member":[{"did":"4118239384","nick":"小灰","id":"123456"}]}]`)
		}
		return ct.Reply{Status: 404}
	})
	got, err := newConn(t, srv).Contacts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []channel.Contact{
		{Kind: channel.Private, ID: "123456", Name: "xxx"},
		{Kind: channel.Private, ID: "7891234", Name: "测试帐号2"},
		{Kind: channel.Group, ID: "552603", Name: "PERL学习交流"},
		{Kind: channel.Group, ID: "did:4118239384", Name: "测试"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("contacts = %+v\nwant %+v", got, want)
	}
}

func TestNew_RequiresHTTPURL(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:5000", "ftp://x"} {
		if _, err := New(channel.Config{Values: map[string]string{"url": u}}, channel.Deps{}); !channel.IsPermanent(err) {
			t.Errorf("url %q: err = %v, want permanent", u, err)
		}
	}
}
