package wecomapp_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
	"botgate/app/channel/wecomapp"
	"botgate/app/channel/wecomapp/wecomfake"
)

func textTo(to string) channel.Message {
	return channel.Message{Kind: channel.Private, To: to, Content: "审批已通过"}
}

// The token is fetched with the corp's id and secret, used for every call
// until shortly before expires_in, then fetched again before the next call
// (no call is made with a token WeCom would call expired).
func TestToken_FetchedOnce_RenewedBeforeExpiry(t *testing.T) {
	fake := wecomfake.New(t)
	clk := newClock()
	fake.Now = clk.Now
	c := connect(t, fake, clk.Now, nil)
	ctx := context.Background()
	for range 3 {
		ct.WantError(t, c.Send(ctx, textTo("zhangsan")), false, "")
	}
	if n := fake.TokensIssued(); n != 1 {
		t.Fatalf("%d tokens fetched for 3 sends, want 1", n)
	}
	clk.Advance(7200*time.Second - 6*time.Minute) // still inside the renewal margin
	ct.WantError(t, c.Send(ctx, textTo("zhangsan")), false, "")
	if n := fake.TokensIssued(); n != 1 {
		t.Fatalf("renewed %d tokens before the margin", n-1)
	}
	clk.Advance(2 * time.Minute) // 2 h - 4 min: due for renewal, WeCom would still take it
	ct.WantError(t, c.Send(ctx, textTo("zhangsan")), false, "")
	if n := fake.TokensIssued(); n != 2 {
		t.Fatalf("%d tokens fetched, want a renewal before expiry", n)
	}
	want := []string{"GET /cgi-bin/gettoken", "POST /cgi-bin/message/send", "POST /cgi-bin/message/send", "POST /cgi-bin/message/send",
		"POST /cgi-bin/message/send", "GET /cgi-bin/gettoken", "POST /cgi-bin/message/send"}
	if got := fake.Requests(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("requests %v, want %v", got, want)
	}
}

// Concurrent sends with no token share one fetch; when WeCom ends the token
// early (40014) or calls it expired (42001), each call is made once more and
// the lot again share one new token.
func TestToken_ConcurrentSends_OneFetch_RefetchedOnceWhenRefused(t *testing.T) {
	fake := wecomfake.New(t)
	fakeClock, ourClock := newClock(), newClock()
	fake.Now = fakeClock.Now
	for i := range 60 { // a member each, so no send waits for WeCom's per-member pace
		fake.Users[fmt.Sprintf("u%02d", i)] = fmt.Sprintf("成员%02d", i)
	}
	c := connect(t, fake, ourClock.Now, nil)
	round := 0
	burst := func(t *testing.T) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- c.Send(context.Background(), textTo(fmt.Sprintf("u%02d", round*20+i)))
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			ct.WantError(t, err, false, "")
		}
		round++
	}
	burst(t)
	if n := fake.TokensIssued(); n != 1 {
		t.Fatalf("20 concurrent sends fetched %d tokens, want 1", n)
	}
	fake.RevokeTokens() // 40014 from now on for the old token
	burst(t)
	if n := fake.TokensIssued(); n != 2 {
		t.Fatalf("after the token was revoked: %d fetched in all, want 2", n)
	}
	fakeClock.Advance(3 * time.Hour) // WeCom's clock says expired (42001); ours does not know
	burst(t)
	if n := fake.TokensIssued(); n != 3 {
		t.Fatalf("after the token expired at WeCom: %d fetched in all, want 3", n)
	}
	if got := len(fake.Sent()); got != 60 {
		t.Fatalf("%d messages delivered, want 60", got)
	}
}

// A token refused even when fresh is the app's problem: permanent, one
// retry only.
func TestToken_RefusedTwice_PermanentAfterOneRetry(t *testing.T) {
	fake := wecomfake.New(t)
	fake.ExpiresIn = -1 // every token expired at once, as for a disabled app
	c := connect(t, fake, nil, nil)
	ct.WantError(t, c.Send(context.Background(), textTo("zhangsan")), true, "拒绝了刚取得的 access_token（42001）")
	if n := fake.TokensIssued(); n != 2 {
		t.Fatalf("%d tokens fetched, want 2 (one retry)", n)
	}
}

func TestToken_WrongCredentials_SayWhereToLook(t *testing.T) {
	tests := []struct {
		name string
		vals map[string]string
		msg  string
	}{
		{"wrong corp", map[string]string{"corp_id": "ww-other"}, "企业ID 不正确（40013）：请在企业微信管理后台“我的企业 → 企业信息”"},
		{"wrong secret", map[string]string{"corp_secret": "old-secret"}, "Secret 不正确（40001）"},
		{"another app's agent id", map[string]string{"agent_id": "1000003"}, "agent_id 与 Secret 不属于同一个应用（301002"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := wecomfake.New(t)
			c := connect(t, fake, nil, tt.vals)
			ct.WantError(t, c.Send(context.Background(), textTo("zhangsan")), true, tt.msg)
			ct.WantError(t, c.Test(context.Background()), true, tt.msg)
			if len(fake.Sent()) != 0 {
				t.Fatal("sent with wrong credentials")
			}
		})
	}
}

// The secret in gettoken's query and the token in every call's query never
// reach an error text (logs, last_error).
func TestToken_NetworkError_KeepsSecretsOutOfTheMessage(t *testing.T) {
	ch, err := wecomapp.New(channel.Config{Name: "wx", Values: map[string]string{"url": "http://127.0.0.1:1", "corp_id": "ww1", "corp_secret": "TOPSECRET", "agent_id": "1"}}, channel.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	err = ch.Send(context.Background(), textTo("zhangsan"))
	ct.WantError(t, err, false, "无法连接 企业微信")
	if strings.Contains(err.Error(), "TOPSECRET") || strings.Contains(err.Error(), "corpsecret") {
		t.Fatalf("error text carries the secret: %v", err)
	}
}

// Every documented code an app's call meets: retried or not, and the next
// step in Chinese. The token call succeeds; the send answers the code.
func TestSend_ErrorCodes_ClassifiedWithTheNextStep(t *testing.T) {
	tests := []struct {
		code      int
		errmsg    string
		permanent bool
		msg       string
	}{
		{-1, "system busy", false, "系统繁忙"},
		{45009, "api freq out of limit", false, "频率限制"},
		{45033, "api concurrent out of limit", false, "并发"},
		{60020, "not allow to access from your ip, hint: [1700000000_1_abc], from ip: 203.0.113.9, more info at https://open.work.weixin.qq.com/devtool/query?e=60020", true,
			"企业微信拒绝了来自 203.0.113.9 的调用（60020 不安全的访问IP）：请在“应用管理 → 自建应用 → 本应用 → 企业可信IP”中添加 203.0.113.9"},
		{81013, "user & party & tag all invalid", true, "不在本应用的可见范围内"},
		{60111, "userid not found", true, "userid 不存在（60111）"},
		{60011, "no privilege", true, "可见范围"},
		{301002, "api forbidden for agent", true, "不属于同一个应用"},
		{40056, "invalid agentid", true, "AgentId"},
		{48002, "api forbidden", true, "把“可见范围”改为整个企业"},
		{86003, "chatid not found", true, "appchat/create"},
		{45002, "content size out of limit", true, "2048 字节"},
		{99999, "some new refusal", true, "企业微信拒绝了该请求（99999：some new refusal）"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			srv := ct.New(t, func(c ct.Call) ct.Reply {
				if c.Path == "/cgi-bin/gettoken" {
					return ct.JSON(`{"errcode":0,"errmsg":"ok","access_token":"t1","expires_in":7200}`)
				}
				return ct.JSON(fmt.Sprintf(`{"errcode":%d,"errmsg":%q}`, tt.code, tt.errmsg))
			})
			ch, err := wecomapp.New(channel.Config{Values: map[string]string{"url": srv.URL, "corp_id": "ww1", "corp_secret": "s", "agent_id": "1"}}, srv.Deps())
			if err != nil {
				t.Fatal(err)
			}
			ct.WantError(t, ch.Send(context.Background(), textTo("zhangsan")), tt.permanent, tt.msg)
		})
	}
}

// A platform outage (HTTP 5xx, or a reply without errcode) is transient.
func TestSend_Outage_Transient(t *testing.T) {
	fake := wecomfake.New(t)
	c := connect(t, fake, nil, nil)
	fake.Down(503, -1)
	ct.WantError(t, c.Send(context.Background(), textTo("zhangsan")), false, "服务器错误(HTTP 503)")
	fake.Up()
	ct.WantError(t, c.Send(context.Background(), textTo("zhangsan")), false, "")
}

// A secret WeCom refuses is not tried again for every queued message (WeCom
// blocks an IP that keeps trying one for an hour): the refusal stands for a
// minute; 测试连接 always asks.
func TestToken_RefusedSecret_NotAskedAgainAtOnce(t *testing.T) {
	fake := wecomfake.New(t)
	clk := newClock()
	c := connect(t, fake, clk.Now, map[string]string{"corp_secret": "old-secret"})
	for range 5 {
		ct.WantError(t, c.Send(context.Background(), textTo("zhangsan")), true, "Secret 不正确（40001）")
	}
	count := func() int {
		n := 0
		for _, r := range fake.Requests() {
			if r == "GET /cgi-bin/gettoken" {
				n++
			}
		}
		return n
	}
	if n := count(); n != 1 {
		t.Fatalf("5 sends asked gettoken %d times, want 1", n)
	}
	ct.WantError(t, c.Test(context.Background()), true, "Secret 不正确")
	clk.Advance(61 * time.Second)
	ct.WantError(t, c.Send(context.Background(), textTo("zhangsan")), true, "Secret 不正确")
	if n := count(); n != 3 {
		t.Fatalf("gettoken asked %d times, want 3 (once more for the test, once after a minute)", n)
	}
}
