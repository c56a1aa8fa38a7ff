package onebot

import (
	"context"
	"net/http"
	"reflect"
	"testing"
	"time"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
)

func newConn(t *testing.T, srv *ct.Server, token string) *Connector {
	t.Helper()
	c, err := New(channel.Config{Name: "qq", Type: "onebot", Values: map[string]string{"url": srv.URL + "/", "access_token": token}}, srv.Deps())
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Connector)
}

func TestSend_BuildsSpecRequest(t *testing.T) {
	tests := []struct {
		name     string
		msg      channel.Message
		wantPath string
		wantBody string
	}{
		{"private message goes to send_private_msg with auto_escape",
			channel.Message{Kind: channel.Private, To: "350310976", Content: "你好 [CQ:at,qq=all]"},
			"/send_private_msg", `{"user_id":350310976,"message":"你好 [CQ:at,qq=all]","auto_escape":true}`},
		{"group message goes to send_group_msg",
			channel.Message{Kind: channel.Group, To: "123456", Content: "hi"},
			"/send_group_msg", `{"group_id":123456,"message":"hi","auto_escape":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(ct.JSON(`{"status":"ok","retcode":0,"data":{"message_id":12345}}`)))
			err := newConn(t, srv, "s3cret").Send(context.Background(), tt.msg)
			ct.WantError(t, err, false, "")
			c := srv.Only(t)
			c.Expect(t, http.MethodPost, tt.wantPath, "application/json")
			if got := c.Header.Get("Authorization"); got != "Bearer s3cret" {
				t.Errorf("Authorization = %q", got)
			}
			ct.JSONEq(t, c.Body, tt.wantBody)
		})
	}
}

func TestSend_WithoutToken_SendsNoAuthorization(t *testing.T) {
	srv := ct.New(t, ct.Always(ct.JSON(`{"status":"ok","retcode":0,"data":{"message_id":1}}`)))
	if err := newConn(t, srv, "").Send(context.Background(), channel.Message{Kind: channel.Private, To: "1", Content: "x"}); err != nil {
		t.Fatal(err)
	}
	if got := srv.Only(t).Header.Get("Authorization"); got != "" {
		t.Errorf("Authorization = %q, want none", got)
	}
}

func TestSend_ClassifiesFailures(t *testing.T) {
	tests := []struct {
		name      string
		reply     ct.Reply
		permanent bool
		wantMsg   string
	}{
		{"missing token (401) is a configuration error", ct.Reply{Status: 401}, true, "HTTP 401"},
		{"wrong token (403) is a configuration error", ct.Reply{Status: 403}, true, "access_token 是否与"},
		{"unknown API (404) points at the wrong port", ct.Reply{Status: 404}, true, "默认端口 3000"},
		{"bad parameters (retcode 100) are permanent", ct.JSON(`{"status":"failed","retcode":100,"data":null,"msg":"参数错误"}`), true, "retcode 100"},
		{"unknown friend wording is permanent", ct.JSON(`{"status":"failed","retcode":200,"data":null,"message":"","wording":"好友不存在"}`), true, "找不到接收者"},
		{"generic failure (retcode 200) is retried", ct.JSON(`{"status":"failed","retcode":200,"data":null,"wording":"发送超时"}`), false, "稍后重试"},
		{"server error (500) is retried", ct.Reply{Status: 500, Body: "boom"}, false, "HTTP 500"},
		{"rate limit (429) is retried", ct.Reply{Status: 429}, false, "限流"},
		{"garbage reply is retried", ct.JSON(`<html>`), false, "不是预期的 JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(tt.reply))
			err := newConn(t, srv, "x").Send(context.Background(), channel.Message{Kind: channel.Private, To: "10001", Content: "hi"})
			ct.WantError(t, err, tt.permanent, tt.wantMsg)
		})
	}
}

func TestSend_Timeout_IsTransient(t *testing.T) {
	srv := ct.New(t, ct.Always(ct.Reply{Delay: 5 * time.Second}))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := newConn(t, srv, "").Send(ctx, channel.Message{Kind: channel.Group, To: "1", Content: "x"})
	ct.WantError(t, err, false, "没有及时响应")
}

func TestTest_CallsGetLoginInfo(t *testing.T) {
	srv := ct.New(t, ct.Always(ct.JSON(`{"status":"ok","retcode":0,"data":{"user_id":10001,"nickname":"机器人"}}`)))
	if err := newConn(t, srv, "tok").Test(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := srv.Only(t)
	c.Expect(t, http.MethodPost, "/get_login_info", "application/json")
	if c.Header.Get("Authorization") != "Bearer tok" {
		t.Errorf("Authorization = %q", c.Header.Get("Authorization"))
	}
}

func TestTest_WrongToken_ExplainsWhatToFix(t *testing.T) {
	srv := ct.New(t, ct.Always(ct.Reply{Status: 403, Body: `{"status":"failed","retcode":1403}`}))
	ct.WantError(t, newConn(t, srv, "bad").Test(context.Background()), true, "access_token")
}

func TestContacts_ListsFriendsAndGroups(t *testing.T) {
	srv := ct.New(t, func(c ct.Call) ct.Reply {
		switch c.Path {
		case "/get_friend_list":
			return ct.JSON(`{"status":"ok","retcode":0,"data":[{"user_id":10001,"nickname":"张三","remark":"张经理"},{"user_id":10002,"nickname":"李四","remark":""}]}`)
		case "/get_group_list":
			return ct.JSON(`{"status":"ok","retcode":0,"data":[{"group_id":552603,"group_name":"公司总群","member_count":12,"max_member_count":200}]}`)
		}
		return ct.Reply{Status: 404}
	})
	got, err := newConn(t, srv, "").Contacts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []channel.Contact{
		{Kind: channel.Private, ID: "10001", Name: "张经理"},
		{Kind: channel.Private, ID: "10002", Name: "李四"},
		{Kind: channel.Group, ID: "552603", Name: "公司总群"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("contacts = %+v, want %+v", got, want)
	}
}

func TestValidateTarget_RejectsNonNumeric(t *testing.T) {
	c := &Connector{}
	for _, tt := range []struct {
		kind, to string
		ok       bool
	}{{channel.Private, "350310976", true}, {channel.Group, "552603", true}, {channel.Private, "abc", false}, {channel.Group, "", false}} {
		if err := c.ValidateTarget(tt.kind, tt.to); (err == nil) != tt.ok {
			t.Errorf("ValidateTarget(%s, %q) = %v", tt.kind, tt.to, err)
		}
	}
}
