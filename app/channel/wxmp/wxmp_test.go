package wxmp

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
)

const (
	secret    = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDL9NmMe2imMfzfQ54ol"
	sentReply = `{"success":1,"messageCode":200,"message":"发送成功_1365740038713294848","result":null,"items":null,"totalCount":0}`
	// notFollowing is the seed's failure reply.
	notFollowing = `{"success":0,"messageCode":500,"message":" 错误代码:43004 ,错误信息:需要接收者关注,微信原始报文:{\"errcode\":43004,\"errmsg\":\"require subscribe hint: [OgbjIa05854116]\"}","result":null,"items":null,"totalCount":0}`
)

func tokenReply(tok string) ct.Reply {
	return ct.JSON(`{"success":1,"messageCode":200,"message":"操作成功!","result":{"access_token":"` + tok + `","expires_in":"7200000"},"items":null,"totalCount":0}`)
}

// fakePlatform issues tokens tok-1, tok-2, ... and answers sendMsg with send(call).
type fakePlatform struct {
	srv    *ct.Server
	tokens atomic.Int32
}

func newFake(t *testing.T, tokenDelay time.Duration, send func(c ct.Call) ct.Reply) *fakePlatform {
	f := &fakePlatform{}
	f.srv = ct.New(t, func(c ct.Call) ct.Reply {
		switch c.Path {
		case tokenPath:
			n := f.tokens.Add(1)
			r := tokenReply("tok-" + string(rune('0'+n)))
			r.Delay = tokenDelay
			return r
		case sendPath:
			return send(c)
		}
		return ct.Reply{Status: 404}
	})
	return f
}

func (f *fakePlatform) sends() []ct.Call {
	var out []ct.Call
	for _, c := range f.srv.Calls() {
		if c.Path == sendPath {
			out = append(out, c)
		}
	}
	return out
}

func newConn(t *testing.T, f *fakePlatform, now func() time.Time, extra map[string]string) *Connector {
	t.Helper()
	vals := map[string]string{"url": f.srv.URL, "client_id": "B966BFB4-493C-441A-BF02-8E3750644DE8",
		"client_secret": secret, "application_key": "wechatcp"}
	for k, v := range extra {
		vals[k] = v
	}
	deps := f.srv.Deps()
	if now != nil {
		deps.Now = now
	}
	c, err := New(channel.Config{Name: "mp", Type: "wxmp", Values: vals}, deps)
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Connector)
}

func private(to, content string) channel.Message {
	return channel.Message{Kind: channel.Private, To: to, Content: content}
}

func TestSend_BuildsSeedRequests(t *testing.T) {
	f := newFake(t, 0, ct.Always(ct.JSON(sentReply)))
	c := newConn(t, f, nil, map[string]string{"app_app_id": "0", "port_id": "4", "app_id": "wx32817247717e7333",
		"msg_temp_id": "TEMPLATE-1", "link": "http://erp.example/order/1"})
	err := c.Send(context.Background(), private("692672045669941256", "首部内容\n患者姓名\n预约时间\n提醒事项\n医生信息\n尾部内容"))
	ct.WantError(t, err, false, "")

	calls := f.srv.Calls()
	if len(calls) != 2 {
		t.Fatalf("%d requests, want token + sendMsg", len(calls))
	}
	tok := calls[0]
	tok.Expect(t, http.MethodPost, "/oauth2/ums/oauth2/accessToken", "application/x-www-form-urlencoded")
	wantTok := url.Values{"grant_type": {"client_credentials"}, "autoRefresh": {"true"}, "applicationKey": {"wechatcp"},
		"client_id": {"B966BFB4-493C-441A-BF02-8E3750644DE8"}, "client_secret": {secret}}
	if got := tok.Form(t); !reflect.DeepEqual(got, wantTok) {
		t.Errorf("token form = %v\nwant %v", got, wantTok)
	}

	send := calls[1]
	send.Expect(t, http.MethodPost, "/mpwechat/wx/api/fans/sendMsg", "application/x-www-form-urlencoded")
	if got := send.Header.Get("Sso-Token"); got != "tok-1" {
		t.Errorf("Sso-Token = %q", got)
	}
	form := send.Form(t)
	ct.JSONEq(t, []byte(form.Get("msgContent")), `[{"name":"first","value":"首部内容"},{"name":"keyword1","value":"患者姓名"},
		{"name":"keyword2","value":"预约时间"},{"name":"keyword3","value":"提醒事项"},{"name":"keyword4","value":"医生信息"},
		{"name":"remark","value":"尾部内容"}]`)
	form.Del("msgContent")
	want := url.Values{"appAppId": {"0"}, "portId": {"4"}, "appId": {"wx32817247717e7333"}, "userId": {"692672045669941256"},
		"msgType": {"1"}, "msgTempId": {"TEMPLATE-1"}, "url": {"http://erp.example/order/1"}}
	if !reflect.DeepEqual(form, want) {
		t.Errorf("sendMsg form = %v\nwant %v", form, want)
	}
}

func TestSend_OpenIDTarget_UsesToUserOpenId(t *testing.T) {
	f := newFake(t, 0, ct.Always(ct.JSON(sentReply)))
	if err := newConn(t, f, nil, nil).Send(context.Background(), private("oIXH1t-sGaDdgpTWGsMPgqmKwWrQ", "hi")); err != nil {
		t.Fatal(err)
	}
	form := f.sends()[0].Form(t)
	if form.Get("toUserOpenId") != "oIXH1t-sGaDdgpTWGsMPgqmKwWrQ" || form.Has("userId") {
		t.Errorf("form = %v", form)
	}
}

func TestFill_MapsLinesAndTemplates(t *testing.T) {
	now := time.Date(2024, 3, 5, 9, 30, 0, 0, time.Local)
	tests := []struct {
		name, fields, content string
		want                  []nameValue
	}{
		{"default fields: more lines than fields go to the last one", "", "a\nb\nc\nd\ne\nf\ng",
			[]nameValue{{"first", "a"}, {"keyword1", "b"}, {"keyword2", "c"}, {"keyword3", "d"}, {"keyword4", "e"}, {"remark", "f\ng"}}},
		{"default fields: one line fills first only", "", "库存预警", []nameValue{{"first", "库存预警"}}},
		{"templates expand content, lines and time", "first=您有新通知；keyword1={{2}}，keyword2={{time}};remark={{content}}", "甲\n乙",
			[]nameValue{{"first", "您有新通知"}, {"keyword1", "乙"}, {"keyword2", "2024-03-05 09:30"}, {"remark", "甲\n乙"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, 0, ct.Always(ct.JSON(sentReply)))
			c := newConn(t, f, func() time.Time { return now }, map[string]string{"fields": tt.fields})
			if got := c.fill(tt.content); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("fill = %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestToken_CachedAcrossSends(t *testing.T) {
	f := newFake(t, 0, ct.Always(ct.JSON(sentReply)))
	c := newConn(t, f, nil, nil)
	for range 3 {
		if err := c.Send(context.Background(), private("1", "x")); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.tokens.Load(); n != 1 {
		t.Errorf("token fetched %d times, want 1", n)
	}
}

func TestToken_RefreshedBeforeExpiry_ExpiresInIsMilliseconds(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	f := newFake(t, 0, ct.Always(ct.JSON(sentReply)))
	c := newConn(t, f, clock, nil)
	steps := []struct {
		advance    time.Duration
		wantTokens int32
		wantHeader string
	}{
		{0, 1, "tok-1"},
		{time.Hour, 1, "tok-1"},                  // 7200000 ms = 2 h: still valid
		{54 * time.Minute, 1, "tok-1"},           // 6 min left: still outside the 5 min margin
		{2 * time.Minute, 2, "tok-2"},            // 4 min left: refreshed ahead of expiry
		{time.Hour + 50*time.Minute, 2, "tok-2"}, // new token's own 2 h
		{10 * time.Minute, 3, "tok-3"},           // and the next refresh
	}
	for i, s := range steps {
		advance(s.advance)
		if err := c.Send(context.Background(), private("1", "x")); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		sends := f.sends()
		if got := sends[len(sends)-1].Header.Get("Sso-Token"); got != s.wantHeader || f.tokens.Load() != s.wantTokens {
			t.Errorf("step %d: Sso-Token %s after %d token calls, want %s after %d", i, got, f.tokens.Load(), s.wantHeader, s.wantTokens)
		}
	}
}

func TestToken_ConcurrentSends_ExactlyOneRefresh(t *testing.T) {
	f := newFake(t, 50*time.Millisecond, ct.Always(ct.JSON(sentReply)))
	c := newConn(t, f, nil, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- c.Send(context.Background(), private("69267204566994125"+string(rune('0'+i%10)), "x"))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := f.tokens.Load(); n != 1 {
		t.Errorf("token fetched %d times under 20 concurrent sends, want 1", n)
	}
	for _, s := range f.sends() {
		if s.Header.Get("Sso-Token") != "tok-1" {
			t.Errorf("a send used Sso-Token %q", s.Header.Get("Sso-Token"))
		}
	}
	if n := len(f.sends()); n != 20 {
		t.Errorf("%d sends, want 20", n)
	}
}

func TestSend_RefusedToken_RefreshedAndRetriedOnce(t *testing.T) {
	f := newFake(t, 0, func(c ct.Call) ct.Reply {
		if c.Header.Get("Sso-Token") == "tok-1" {
			return ct.Reply{Status: 401, Body: `{"success":0,"messageCode":401,"message":"token过期"}`}
		}
		return ct.JSON(sentReply)
	})
	if err := newConn(t, f, nil, nil).Send(context.Background(), private("1", "x")); err != nil {
		t.Fatal(err)
	}
	if n := f.tokens.Load(); n != 2 {
		t.Errorf("token fetched %d times, want 2", n)
	}
}

func TestSend_ClassifiesFailures(t *testing.T) {
	tests := []struct {
		name      string
		reply     ct.Reply
		permanent bool
		wantMsg   string
	}{
		{"not following (43004) is permanent and says what to do", ct.JSON(notFollowing), true, "请让对方先关注公众号"},
		{"bad template (40037) is permanent", ct.JSON(`{"success":0,"messageCode":500,"message":"错误代码:40037 ,错误信息:invalid template_id"}`), true, "msg_temp_id"},
		{"WeChat busy (-1) is retried", ct.JSON(`{"success":0,"messageCode":500,"message":"错误代码:-1 ,错误信息:system error"}`), false, "稍后重试"},
		{"quota (45009) is retried", ct.JSON(`{"success":0,"messageCode":500,"message":"微信原始报文:{\"errcode\":45009,\"errmsg\":\"reach max api daily quota limit\"}"}`), false, "45009"},
		{"platform 4xx without WeChat code is permanent", ct.JSON(`{"success":0,"messageCode":400,"message":"用户不存在"}`), true, "用户不存在"},
		{"platform 5xx without WeChat code is retried", ct.JSON(`{"success":0,"messageCode":500,"message":"数据库繁忙"}`), false, "数据库繁忙"},
		{"token still refused after refresh is permanent", ct.Reply{Status: 401}, true, "application_key"},
		{"HTTP 502 is retried", ct.Reply{Status: 502}, false, "HTTP 502"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, 0, ct.Always(tt.reply))
			err := newConn(t, f, nil, nil).Send(context.Background(), private("692672045669941256", "hi"))
			ct.WantError(t, err, tt.permanent, tt.wantMsg)
		})
	}
}

func TestToken_Refused_IsPermanentAndNamesCredentials(t *testing.T) {
	srv := ct.New(t, ct.Always(ct.JSON(`{"success":0,"messageCode":401,"message":"客户端认证失败","result":null}`)))
	c, err := New(channel.Config{Values: map[string]string{"url": srv.URL, "client_id": "x", "client_secret": "y", "application_key": "z"}}, srv.Deps())
	if err != nil {
		t.Fatal(err)
	}
	ct.WantError(t, c.(*Connector).Test(context.Background()), true, "client_secret")
	ct.WantError(t, c.Send(context.Background(), private("1", "x")), true, "客户端认证失败")
	for _, call := range srv.Calls() {
		if call.Path != tokenPath {
			t.Errorf("unexpected call %s", call.Path)
		}
	}
}

func TestSend_GroupOrBadTarget_RefusedBeforeSending(t *testing.T) {
	f := newFake(t, 0, ct.Always(ct.JSON(sentReply)))
	c := newConn(t, f, nil, nil)
	for _, m := range []channel.Message{{Kind: channel.Group, To: "1", Content: "x"}, private("1,2", "x"), private("", "x"), private("1", " ")} {
		if err := c.Send(context.Background(), m); !channel.IsPermanent(err) {
			t.Errorf("%+v: err = %v, want permanent", m, err)
		}
	}
	if n := len(f.srv.Calls()); n != 0 {
		t.Errorf("%d requests sent, want 0", n)
	}
}

func TestTest_FetchesAFreshToken(t *testing.T) {
	f := newFake(t, 0, ct.Always(ct.JSON(sentReply)))
	c := newConn(t, f, nil, nil)
	for range 2 {
		if err := c.Test(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.tokens.Load(); n != 2 {
		t.Errorf("token fetched %d times, want one per test", n)
	}
}
