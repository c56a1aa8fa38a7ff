package openqq

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
)

// A Webqq account as both fakes know it: one friend, one group, one discussion.
const (
	friendQQ, friendID   = "123456", "2457053936"
	groupNum, groupID    = "552603", "2617047292"
	discussID            = "4118239384"
	mojoNotFound         = `<!DOCTYPE html><html><head><title>Page not found (404)</title></head><body>Page not found</body></html>`
	mojo2Sent            = `{"id":23910327,"code":0,"status":"发送成功","info":"发送正常"}`
	mojo2FriendNotFound  = `{"id":null,"code":100,"status":"friend not found"}`
	mojo2GroupNotFound   = `{"id":null,"code":101,"status":"group not found"}`
	mojo2DiscussNotFound = `{"id":null,"code":102,"status":"discuss not found"}`
)

// mojo answers as the Openqq plugin of one version does: its routes, and a
// lookup by the parameters that version reads (undefined ones skipped, none
// defined = not found), exactly as lib/Mojo/Webqq/Plugin/Openqq.pm and
// Model.pm's search_* do. Any other path is Mojolicious' HTML 404.
func mojo(t *testing.T, version string) func(ct.Call) ct.Reply {
	return func(c ct.Call) ct.Reply {
		p, err := url.ParseQuery(string(c.Body))
		if err != nil || c.Method != http.MethodPost {
			t.Errorf("%s %s: want a form POST", c.Method, c.Path)
		}
		if p.Get("content") == "" {
			t.Errorf("%s: no content", c.Path)
		}
		// found: every given parameter among names matches the object, and one is given.
		found := func(object map[string]string, names ...string) bool {
			given := 0
			for _, n := range names {
				if v, ok := p[n]; ok {
					given++
					if v[0] != object[n] {
						return false
					}
				}
			}
			return given > 0
		}
		switch version + " " + c.Path {
		case "v2 /openqq/send_friend_message":
			if !found(map[string]string{"id": friendID, "uid": friendQQ, "name": "小灰", "displayname": "小灰"}, "id", "uid", "name", "displayname") {
				return ct.JSON(mojo2FriendNotFound)
			}
		case "v2 /openqq/send_group_message":
			if !found(map[string]string{"id": groupID, "uid": groupNum, "name": "PERL学习交流", "displayname": "PERL学习交流"}, "id", "uid", "name", "displayname") {
				return ct.JSON(mojo2GroupNotFound)
			}
		case "v2 /openqq/send_discuss_message":
			if !found(map[string]string{"id": discussID}, "id") {
				return ct.JSON(mojo2DiscussNotFound)
			}
		case "v1 /openqq/send_message":
			if !found(map[string]string{"id": friendID, "qq": friendQQ}, "id", "qq") {
				return ct.JSON(`{"msg_id":null,"code":100,"status":"friend not found"}`)
			}
			return ct.JSON(sent)
		case "v1 /openqq/send_group_message":
			if !found(map[string]string{"gid": groupID, "gnumber": groupNum}, "gid", "gnumber") {
				return ct.JSON(`{"msg_id":null,"code":101,"status":"group not found"}`)
			}
			return ct.JSON(sent)
		case "v1 /openqq/send_discuss_message":
			if !found(map[string]string{"did": discussID}, "did") {
				return ct.JSON(`{"msg_id":null,"code":102,"status":"discuss not found"}`)
			}
			return ct.JSON(sent)
		default:
			return ct.Reply{Status: http.StatusNotFound, Body: mojoNotFound}
		}
		return ct.JSON(mojo2Sent)
	}
}

// Every target form reaches the right friend, group or discussion of the
// version the channel is set to, and auto reaches both.
func TestSend_EachAPI_ReachesEveryTargetForm(t *testing.T) {
	targets := []struct{ kind, to string }{
		{channel.Private, friendQQ},
		{channel.Private, "id:" + friendID},
		{channel.Group, groupNum},
		{channel.Group, "gid:" + groupID},
		{channel.Group, "did:" + discussID},
	}
	for _, tt := range []struct{ api, server string }{
		{"v2", "v2"}, {"v1", "v1"}, {"auto", "v2"}, {"auto", "v1"}, {"", "v2"}, {"", "v1"},
	} {
		t.Run("api "+tt.api+" against Mojo-Webqq "+tt.server, func(t *testing.T) {
			srv := ct.New(t, mojo(t, tt.server))
			c := newConnAPI(t, srv, tt.api)
			for _, tg := range targets {
				ct.WantError(t, c.Send(context.Background(), channel.Message{Kind: tg.kind, To: tg.to, Content: "你好"}), false, "")
			}
		})
	}
	t.Run("a fixed api does not reach the other version's friends", func(t *testing.T) {
		srv := ct.New(t, mojo(t, "v1"))
		err := newConnAPI(t, srv, "v2").Send(context.Background(), channel.Message{Kind: channel.Private, To: friendQQ, Content: "你好"})
		ct.WantError(t, err, true, "请把通道的 api 设为 auto 或 v1")
	})
}

// The requests themselves: 2.x's paths and names, and auto's group and
// discussion forms carrying both versions' names.
func TestSend_BuildsMojoWebqq2AndAutoRequests(t *testing.T) {
	tests := []struct {
		name, api, kind, to string
		wantPath            string
		wantForm            url.Values
	}{
		{"v2 friend by QQ number: send_friend_message uid", "v2", channel.Private, friendQQ, "/openqq/send_friend_message", url.Values{"uid": {friendQQ}, "content": {"你好"}}},
		{"v2 friend by session id: send_friend_message id", "v2", channel.Private, "id:" + friendID, "/openqq/send_friend_message", url.Values{"id": {friendID}, "content": {"你好"}}},
		{"v2 group by number: send_group_message uid", "v2", channel.Group, groupNum, "/openqq/send_group_message", url.Values{"uid": {groupNum}, "content": {"你好"}}},
		{"v2 group by session id: send_group_message id", "v2", channel.Group, "gid:" + groupID, "/openqq/send_group_message", url.Values{"id": {groupID}, "content": {"你好"}}},
		{"v2 discussion: send_discuss_message id", "v2", channel.Group, "did:" + discussID, "/openqq/send_discuss_message", url.Values{"id": {discussID}, "content": {"你好"}}},
		{"auto friend starts with 2.x", "auto", channel.Private, friendQQ, "/openqq/send_friend_message", url.Values{"uid": {friendQQ}, "content": {"你好"}}},
		{"auto group carries uid and gnumber", "auto", channel.Group, groupNum, "/openqq/send_group_message", url.Values{"uid": {groupNum}, "gnumber": {groupNum}, "content": {"你好"}}},
		{"auto group by session id carries id and gid", "auto", channel.Group, "gid:" + groupID, "/openqq/send_group_message", url.Values{"id": {groupID}, "gid": {groupID}, "content": {"你好"}}},
		{"auto discussion carries id and did", "auto", channel.Group, "did:" + discussID, "/openqq/send_discuss_message", url.Values{"id": {discussID}, "did": {discussID}, "content": {"你好"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(ct.JSON(mojo2Sent)))
			ct.WantError(t, newConnAPI(t, srv, tt.api).Send(context.Background(), channel.Message{Kind: tt.kind, To: tt.to, Content: "你好"}), false, "")
			c := srv.Only(t)
			c.Expect(t, http.MethodPost, tt.wantPath, "application/x-www-form-urlencoded")
			if got := c.Form(t); !reflect.DeepEqual(got, tt.wantForm) {
				t.Errorf("form = %v, want %v", got, tt.wantForm)
			}
		})
	}
}

// Auto finds the version out at the first friend send, on the 2.x-only
// path, and remembers it: later sends go straight to the right path.
func TestSend_Auto_DetectsTheVersionOnceAndRemembers(t *testing.T) {
	friendMsg := channel.Message{Kind: channel.Private, To: friendQQ, Content: "你好"}
	paths := func(calls []ct.Call) (out []string) {
		for _, c := range calls {
			out = append(out, c.Path)
		}
		return out
	}
	t.Run("Mojo-Webqq 2.x: send_friend_message answers, no detour", func(t *testing.T) {
		srv := ct.New(t, mojo(t, "v2"))
		c := newConn(t, srv)
		for range 3 {
			ct.WantError(t, c.Send(context.Background(), friendMsg), false, "")
		}
		want := []string{pathFriendV2, pathFriendV2, pathFriendV2}
		if got := paths(srv.Calls()); !reflect.DeepEqual(got, want) {
			t.Fatalf("paths %v, want %v", got, want)
		}
	})
	t.Run("the seed's Openqq: a 404 on send_friend_message, then send_message, remembered", func(t *testing.T) {
		srv := ct.New(t, mojo(t, "v1"))
		c := newConn(t, srv)
		for range 3 {
			ct.WantError(t, c.Send(context.Background(), friendMsg), false, "")
		}
		want := []string{pathFriendV2, pathFriendV1, pathFriendV1, pathFriendV1}
		if got := paths(srv.Calls()); !reflect.DeepEqual(got, want) {
			t.Fatalf("paths %v, want %v", got, want)
		}
		if f := srv.Calls()[1].Form(t); f.Get("qq") != friendQQ || f.Has("uid") {
			t.Fatalf("the seed's friend send is by qq: %v", f)
		}
	})
	t.Run("a friend not found on 2.x is 2.x's answer, not a reason to switch", func(t *testing.T) {
		srv := ct.New(t, mojo(t, "v2"))
		c := newConn(t, srv)
		err := c.Send(context.Background(), channel.Message{Kind: channel.Private, To: "999", Content: "你好"})
		ct.WantError(t, err, true, "找不到接收者")
		ct.WantError(t, c.Send(context.Background(), friendMsg), false, "")
		if got := paths(srv.Calls()); !reflect.DeepEqual(got, []string{pathFriendV2, pathFriendV2}) {
			t.Fatalf("paths %v", got)
		}
	})
	t.Run("Mojo-Webqq upgraded while BotGate runs: followed", func(t *testing.T) {
		var version atomic.Value // the fake answers on its own goroutine
		version.Store("v1")
		srv := ct.New(t, func(c ct.Call) ct.Reply { return mojo(t, version.Load().(string))(c) })
		c := newConn(t, srv)
		ct.WantError(t, c.Send(context.Background(), friendMsg), false, "")
		version.Store("v2")
		ct.WantError(t, c.Send(context.Background(), friendMsg), false, "")
		ct.WantError(t, c.Send(context.Background(), friendMsg), false, "")
		want := []string{pathFriendV2, pathFriendV1, pathFriendV1, pathFriendV2, pathFriendV2}
		if got := paths(srv.Calls()); !reflect.DeepEqual(got, want) {
			t.Fatalf("paths %v, want %v", got, want)
		}
	})
	t.Run("a network failure decides nothing", func(t *testing.T) {
		var down atomic.Bool
		down.Store(true)
		srv := ct.New(t, func(c ct.Call) ct.Reply {
			if down.Load() {
				return ct.Reply{Status: http.StatusBadGateway}
			}
			return mojo(t, "v1")(c)
		})
		c := newConn(t, srv)
		ct.WantError(t, c.Send(context.Background(), friendMsg), false, "HTTP 502")
		down.Store(false)
		ct.WantError(t, c.Send(context.Background(), friendMsg), false, "")
		want := []string{pathFriendV2, pathFriendV2, pathFriendV1}
		if got := paths(srv.Calls()); !reflect.DeepEqual(got, want) {
			t.Fatalf("paths %v, want %v", got, want)
		}
	})
	t.Run("neither version's path: not an Openqq address", func(t *testing.T) {
		srv := ct.New(t, ct.Always(ct.Reply{Status: http.StatusNotFound, Body: mojoNotFound}))
		err := newConn(t, srv).Send(context.Background(), friendMsg)
		ct.WantError(t, err, true, "send_friend_message、send_message）都不存在")
		if n := len(srv.Calls()); n != 2 {
			t.Fatalf("%d requests, want 2", n)
		}
	})
}

// Mojo-Webqq 2.x's send replies, one row per code it documents, on the
// path each comes from.
func TestSend_Mojo2Codes_Classified(t *testing.T) {
	tests := []struct {
		name      string
		msg       channel.Message
		body      string
		permanent bool
		wantMsg   string
	}{
		{"friend not found (100)", channel.Message{Kind: channel.Private, To: friendQQ}, mojo2FriendNotFound, true, "对方不是机器人 QQ 的好友或 id 已变化"},
		{"group not found (101)", channel.Message{Kind: channel.Group, To: groupNum}, mojo2GroupNotFound, true, "（code 101：group not found）"},
		{"discussion not found (102)", channel.Message{Kind: channel.Group, To: "did:" + discussID}, mojo2DiscussNotFound, true, "讨论组不存在或 did 已变化"},
		{"group member not found (103)", channel.Message{Kind: channel.Private, To: friendQQ}, `{"id":null,"code":103,"status":"group member not found"}`, true, "该群成员不存在"},
		{"discussion member not found (104)", channel.Message{Kind: channel.Private, To: friendQQ}, `{"id":null,"code":104,"status":"discuss member not found"}`, true, "该讨论组成员不存在"},
		{"member not found (105)", channel.Message{Kind: channel.Private, To: friendQQ}, `{"id":null,"code":105,"status":"discuss member or group member  not found"}`, true, "群成员或讨论组成员不存在"},
		{"auth callback refused (-6)", channel.Message{Kind: channel.Group, To: groupNum}, `{"code":-6,"status":"auth failure"}`, true, "auth 设置中放行本机"},
		{"bad data format (-1), info shown", channel.Message{Kind: channel.Private, To: friendQQ}, `{"id":"1","code":-1,"status":"发送失败","info":"数据格式错误"}`, false, "（code -1：发送失败，数据格式错误）"},
		{"unknown reply (-2)", channel.Message{Kind: channel.Private, To: friendQQ}, `{"id":"1","code":-2,"status":"发送失败","info":"响应未知: {}"}`, false, "Webqq 仍在线"},
		{"send error (-3)", channel.Message{Kind: channel.Group, To: groupNum}, `{"id":"1","code":-3,"status":"发送失败","info":"发送异常"}`, false, "Webqq 仍在线"},
		{"unknown reply (-4)", channel.Message{Kind: channel.Group, To: groupNum}, `{"id":"1","code":-4,"status":"发送失败","info":"响应未知: {\"errCode\":1}"}`, false, "Webqq 仍在线"},
		{"unrecognised retcode (-5)", channel.Message{Kind: channel.Group, To: groupNum}, `{"id":"1","code":-5,"status":"发送失败","info":"未识别返回值:100100"}`, false, "未识别返回值:100100"},
		{"TTL expired (-5)", channel.Message{Kind: channel.Private, To: friendQQ}, `{"id":"1","code":-5,"status":"发送失败","info":"TTL失效"}`, false, "TTL失效"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(ct.JSON(tt.body)))
			tt.msg.Content = "hi"
			err := newConnAPI(t, srv, "v2").Send(context.Background(), tt.msg)
			ct.WantError(t, err, tt.permanent, tt.wantMsg)
		})
	}
}

func TestTest_Mojo2UserInfo(t *testing.T) {
	srv := ct.New(t, ct.Always(ct.JSON(`{"name":"小灰","state":"online","client_type":"web","id":"1234567","uid":"1234567","account":"1234567"}`)))
	if err := newConn(t, srv).Test(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv2 := ct.New(t, ct.Always(ct.JSON(`{"state":"scaning"}`)))
	ct.WantError(t, newConn(t, srv2).Test(context.Background()), true, "扫码登录")
}

// Mojo-Webqq 2.x's directory (API.md): uid is the number, id the session id, name the nickname.
func TestContacts_Mojo2Layout(t *testing.T) {
	srv := ct.New(t, func(c ct.Call) ct.Reply {
		switch c.Path {
		case "/openqq/get_friend_info":
			return ct.JSON(`[{"is_vip":"1","uid":"123456","markname":"xxx","name":"测试帐号1","category":"我的网友","id":"2457053936"},
				{"is_vip":"0","uid":"7891234","markname":"","name":"测试帐号2","id":"2475249571"},{"uid":null,"name":"隐身","id":"42"}]`)
		case "/openqq/get_group_info":
			return ct.JSON(`[{"markname":"","id":"2617047292","uid":"552603","name":"PERL学习交流","owner_uid":123456,"member":[{"uid":"45678","role":"attend"}]}]`)
		case "/openqq/get_discuss_info":
			return ct.JSON(`[{"name":"测试","id":"4118239384","owner_id":"4118239384","member":[{"id":"4118239384","name":"小灰","uid":"123456"}]}]`)
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
		{Kind: channel.Private, ID: "id:42", Name: "隐身"},
		{Kind: channel.Group, ID: "552603", Name: "PERL学习交流"},
		{Kind: channel.Group, ID: "did:4118239384", Name: "测试"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("contacts = %+v\nwant %+v", got, want)
	}
}

func TestNew_API(t *testing.T) {
	for api, want := range map[string]string{"": apiAuto, "auto": apiAuto, " V2 ": apiV2, "v1": apiV1} {
		c, err := New(channel.Config{Values: map[string]string{"url": "http://127.0.0.1:5000", "api": api}}, channel.Deps{})
		if err != nil || c.(*Connector).api != want {
			t.Errorf("api %q: %v, %v; want %s", api, c, err, want)
		}
	}
	_, err := New(channel.Config{Values: map[string]string{"url": "http://127.0.0.1:5000", "api": "3"}}, channel.Deps{})
	if !channel.IsPermanent(err) || !strings.Contains(err.Error(), "auto（自动识别，推荐）、v2（Mojo-Webqq 2.x）或 v1") {
		t.Fatalf("got %v", err)
	}
}

func TestFields_DescribeTheKeys(t *testing.T) { ct.CheckFields(t, Type) }
