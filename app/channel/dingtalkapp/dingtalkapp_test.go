package dingtalkapp

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
	"botgate/app/channel/dingtalkapp/dingtalkfake"
	"botgate/model"
)

// newConn builds a connector for the fake at base with the fake's
// credentials, short waits, and vals on top.
func newConn(t *testing.T, base string, vals map[string]string) *Connector {
	t.Helper()
	v := map[string]string{"url": base, "client_id": dingtalkfake.ClientID, "client_secret": dingtalkfake.ClientSecret}
	for k, x := range vals {
		v[k] = x
	}
	ch, err := New(channel.Config{Name: "ding", Type: Type.Name, Values: v}, channel.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	c := ch.(*Connector)
	c.retryFirst, c.pingEvery, c.flowPause = 20*time.Millisecond, time.Second, 10*time.Millisecond
	return c
}

func TestNew_DefaultsAndRefusals(t *testing.T) {
	c := newConn(t, "", nil)
	if c.base != defaultURL || c.robotCode != dingtalkfake.ClientID || c.format != "text" {
		t.Errorf("defaults: url %q, robot_code %q, format %q", c.base, c.robotCode, c.format)
	}
	for _, tt := range []struct {
		vals map[string]string
		want string
	}{
		{map[string]string{"client_id": "x"}, "client_secret"},
		{map[string]string{"client_id": "x", "client_secret": "y", "format": "html"}, "format"},
		{map[string]string{"client_id": "x", "client_secret": "y", "url": "ftp://x"}, "http://"},
	} {
		_, err := New(channel.Config{Values: tt.vals}, channel.Deps{})
		ct.WantError(t, err, true, tt.want)
	}
}

// Access tokens: one fetch for many concurrent sends, kept while valid,
// fetched again once when DingTalk says the token expired.
func TestToken_FetchedOnceUnderConcurrency_RefetchedOnExpiry(t *testing.T) {
	s := dingtalkfake.New(t)
	c := newConn(t, s.URL, nil)
	s.SlowTokens(100 * time.Millisecond)
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- c.Send(context.Background(), channel.Message{Kind: channel.Private, To: "user" + string(rune('a'+i)), Content: "审批通过"})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := s.TokenCalls(); n != 1 {
		t.Fatalf("%d token fetches for 10 concurrent sends, want 1", n)
	}
	s.SlowTokens(0)
	if err := c.Send(context.Background(), channel.Message{Kind: channel.Private, To: "usera", Content: "again"}); err != nil || s.TokenCalls() != 1 {
		t.Fatalf("a valid token was fetched again (%d fetches, %v)", s.TokenCalls(), err)
	}
	s.ExpireTokens()
	if err := c.Send(context.Background(), channel.Message{Kind: channel.Private, To: "usera", Content: "after expiry"}); err != nil {
		t.Fatalf("send after the token expired: %v", err)
	}
	if n := s.TokenCalls(); n != 2 {
		t.Fatalf("%d token fetches, want 2 (one refetch after InvalidAuthentication)", n)
	}
	sent := s.Sent()
	if last := sent[len(sent)-1]; last.Token != "dt-token-2" || last.Param["content"] != "after expiry" {
		t.Fatalf("last send %+v, want it carried the new token", last)
	}
}

// A token refused again right after it was fetched is a configuration
// problem: reported, not fetched forever.
func TestToken_RefusedTwice_PermanentAfterOneRefetch(t *testing.T) {
	srv := ct.New(t, func(c ct.Call) ct.Reply {
		if c.Path == tokenPath {
			return ct.JSON(`{"accessToken":"t","expireIn":7200}`)
		}
		return ct.Reply{Status: 400, Body: `{"code":"InvalidAuthentication","message":"不合法的access_token","requestid":"r"}`}
	})
	c := newConn(t, srv.URL, nil)
	err := c.Send(context.Background(), channel.Message{Kind: channel.Private, To: "u1", Content: "x"})
	ct.WantError(t, err, true, "新取得的访问令牌")
	if n := len(srv.Calls()); n != 4 {
		t.Fatalf("%d calls, want token, send, token, send", n)
	}
}

func TestToken_WrongSecret_SaysWhereToFindIt(t *testing.T) {
	s := dingtalkfake.New(t)
	c := newConn(t, s.URL, map[string]string{"client_secret": "wrong"})
	err := c.Send(context.Background(), channel.Message{Kind: channel.Private, To: "u1", Content: "x"})
	ct.WantError(t, err, true, "钉钉拒绝了 Client ID / Client Secret（invalidClientIdOrSecret")
	ct.WantError(t, err, true, "凭证与基础信息")
	ct.WantError(t, c.Test(context.Background()), true, "Client Secret")
}

// The request bodies are the robot API's: robotCode (client_id by
// default), the userIds list in one call, msgKey and msgParam per format.
func TestSend_Bodies(t *testing.T) {
	img := model.Attachment{Kind: model.AttachImage, Name: "chart.png", URL: "https://erp.example.com/chart(1).png"}
	tests := []struct {
		name     string
		vals     map[string]string
		m        channel.Message
		path     string
		wantBody string
	}{
		{"one person, text", nil, channel.Message{Kind: channel.Private, To: "manager4585", Content: "报销已批准"}, otoPath,
			`{"robotCode":"dingbotgatetest0001","userIds":["manager4585"],"msgKey":"sampleText","msgParam":"{\"content\":\"报销已批准\"}"}`},
		{"a list is one call", nil, channel.Message{Kind: channel.Private, To: "u1|u2| u3", Content: "开会"}, otoPath,
			`{"robotCode":"dingbotgatetest0001","userIds":["u1","u2","u3"],"msgKey":"sampleText","msgParam":"{\"content\":\"开会\"}"}`},
		{"robot_code set", map[string]string{"robot_code": "dingrobot9"}, channel.Message{Kind: channel.Private, To: "u1", Content: "x"}, otoPath,
			`{"robotCode":"dingrobot9","userIds":["u1"],"msgKey":"sampleText","msgParam":"{\"content\":\"x\"}"}`},
		{"markdown takes the first line as title", map[string]string{"format": "markdown"}, channel.Message{Kind: channel.Group, To: "cidAbc==", Content: "## 日报\n- 销售 3 单"}, groupPath,
			`{"robotCode":"dingbotgatetest0001","openConversationId":"cidAbc==","msgKey":"sampleMarkdown","msgParam":"{\"text\":\"## 日报\\n- 销售 3 单\",\"title\":\"日报\"}"}`},
		{"an image alone is sampleImageMsg", nil, channel.Message{Kind: channel.Group, To: "cidAbc==", Attachments: []model.Attachment{img}}, groupPath,
			`{"robotCode":"dingbotgatetest0001","openConversationId":"cidAbc==","msgKey":"sampleImageMsg","msgParam":"{\"photoURL\":\"https://erp.example.com/chart(1).png\"}"}`},
		{"text with an image is markdown", nil, channel.Message{Kind: channel.Private, To: "u1", Content: "本月图表", Attachments: []model.Attachment{img}}, otoPath,
			`{"robotCode":"dingbotgatetest0001","userIds":["u1"],"msgKey":"sampleMarkdown","msgParam":"{\"text\":\"本月图表\\n\\n![chart.png](https://erp.example.com/chart%281%29.png)\",\"title\":\"本月图表\"}"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, func(c ct.Call) ct.Reply {
				if c.Path == tokenPath {
					return ct.JSON(`{"accessToken":"tok-1","expireIn":7200}`)
				}
				return ct.JSON(`{"processQueryKey":"pqk","invalidStaffIdList":[],"flowControlledStaffIdList":[]}`)
			})
			if err := newConn(t, srv.URL, tt.vals).Send(context.Background(), tt.m); err != nil {
				t.Fatal(err)
			}
			calls := srv.Calls()
			if len(calls) != 2 {
				t.Fatalf("%d calls, want token + send", len(calls))
			}
			calls[0].Expect(t, http.MethodPost, tokenPath, "application/json")
			ct.JSONEq(t, calls[0].Body, `{"appKey":"dingbotgatetest0001","appSecret":"fake-client-secret"}`)
			calls[1].Expect(t, http.MethodPost, tt.path, "application/json")
			if got := calls[1].Header.Get("x-acs-dingtalk-access-token"); got != "tok-1" {
				t.Errorf("token header %q", got)
			}
			ct.JSONEq(t, calls[1].Body, tt.wantBody)
		})
	}
}

// Unknown ids in a list: the others have the message (delivered, the
// refused ids named); all unknown is a failure; rate-limited ids are sent
// to again within the send.
func TestSend_RecipientLists(t *testing.T) {
	s := dingtalkfake.New(t)
	c := newConn(t, s.URL, nil)
	s.Unknown("ghost1", "ghost2")

	err := c.Send(context.Background(), channel.Message{Kind: channel.Private, To: "u1|ghost1|u2|ghost2", Content: "通知"})
	var pd *channel.PartlyDelivered
	if !errors.As(err, &pd) || !reflect.DeepEqual(pd.Invalid, []string{"ghost1", "ghost2"}) || !strings.Contains(pd.Msg, "可见范围") {
		t.Fatalf("partly unknown list: %v, want a PartlyDelivered naming ghost1 and ghost2", err)
	}
	if m := s.NextSent(t); !reflect.DeepEqual(m.To, []string{"u1", "u2"}) {
		t.Fatalf("delivered to %v", m.To)
	}

	err = c.Send(context.Background(), channel.Message{Kind: channel.Private, To: "ghost1|ghost2", Content: "通知"})
	ct.WantError(t, err, true, "没有送达任何接收者")
	if errors.As(err, &pd) {
		t.Fatal("all unknown must fail, not be partly delivered")
	}

	s.FlowControl("busy", 1)
	if err := c.Send(context.Background(), channel.Message{Kind: channel.Private, To: "u3|busy", Content: "限流"}); err != nil {
		t.Fatalf("rate-limited once: %v, want delivered after the resend", err)
	}
	if a, b := s.NextSent(t), s.NextSent(t); !reflect.DeepEqual(a.To, []string{"u3"}) || !reflect.DeepEqual(b.To, []string{"busy"}) {
		t.Fatalf("sends %v then %v: want u3, then busy alone", a.To, b.To)
	}

	s.FlowControl("busy", 10)
	err = c.Send(context.Background(), channel.Message{Kind: channel.Private, To: "busy", Content: "限流"})
	ct.WantError(t, err, false, "钉钉限流")
}

func TestValidateAndExtras_RefusedBeforeQueueing(t *testing.T) {
	c := newConn(t, "http://127.0.0.1:1", nil)
	many := strings.Repeat("u|", 20) + "u"
	for _, tt := range []struct {
		kind, to, want string
	}{
		{channel.Private, many, "最多发给 20 人"},
		{channel.Private, "a b", "无效"},
		{channel.Private, " | ", "为空"},
		{channel.Group, "cid1|cid2", "一次一个群"},
	} {
		if err := c.ValidateTarget(tt.kind, tt.to); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ValidateTarget(%s, %q) = %v, want %q", tt.kind, tt.to, err, tt.want)
		}
	}
	if err := c.ValidateTarget(channel.Private, "u1|u2"); err != nil {
		t.Errorf("a list: %v", err)
	}
	for _, tt := range []struct {
		name string
		m    channel.Message
		want string
	}{
		{"file", channel.Message{Attachments: []model.Attachment{{Kind: model.AttachFile, Name: "a.pdf", URL: "https://x/a.pdf"}}}, "不支持发送文件"},
		{"image bytes", channel.Message{Attachments: []model.Attachment{{Kind: model.AttachImage, Name: "a.png", Data: []byte("\x89PNG")}}}, "上传的图片数据"},
		{"mention", channel.Message{Kind: channel.Group, At: []model.Mention{{ID: "u1"}}}, "@成员"},
		{"too long with links", channel.Message{Content: strings.Repeat("汉", 4990), Attachments: []model.Attachment{{Kind: model.AttachImage, Name: "a.png", URL: "https://x/" + strings.Repeat("a", 100)}}}, "消息过长"},
	} {
		ct.WantError(t, c.CheckExtras(tt.m), true, tt.want)
	}
	ct.WantError(t, c.CheckContent(strings.Repeat("汉", MaxParam/3)), true, "消息过长")
	if err := c.CheckContent(strings.Repeat("汉", 4000)); err != nil {
		t.Errorf("4000 汉字: %v", err)
	}
}

// One row per documented v1.0 code in errors.go, carried in an HTTP 4xx/5xx body.
func TestClassify_DocumentedCodes(t *testing.T) {
	tests := []struct {
		status    int
		code      string
		permanent bool
		want      string
	}{
		{403, "Forbidden.AccessDenied.AccessTokenPermissionDenied", true, "企业内机器人发送消息权限"},
		{400, "invalidParameter.robotCode.auth", true, "robot_code 无效"},
		{400, "invalidParameter.robotCode.notExsit", true, "robot_code 无效"},
		{400, "invalidParameter.invalid", true, "找不到该机器人"},
		{400, "invalid.openConversationId", true, "openConversationId 无效"},
		{400, "invalidParameter.openConversationId.invalid", true, "openConversationId 无效"},
		{400, "openConversationId.notExisted", true, "openConversationId 无效"},
		{400, "resource.not.found", true, "找不到机器人或群"},
		{400, "bot.stopped", true, "已停用"},
		{400, "invalidParameter.userIds.overMax", true, "userId 无效"},
		{400, "invalidParameter.msgParam.invalid", true, "15000"},
		{400, "invalidParameter.msgKey.invalid", true, "format"},
		{429, "Throttling.Api", false, "限流"},
		{500, "systemError", false, "繁忙"},
		{503, "ServiceUnavailable", false, "暂时不可用"},
		{400, "someNewCode", true, "钉钉拒绝了该消息（someNewCode：说明）"},
		{502, "someNewCode", false, "暂时无法处理"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			srv := ct.New(t, func(c ct.Call) ct.Reply {
				if c.Path == tokenPath {
					return ct.JSON(`{"accessToken":"t","expireIn":7200}`)
				}
				return ct.Reply{Status: tt.status, Body: `{"code":"` + tt.code + `","message":"说明","requestid":"r"}`}
			})
			err := newConn(t, srv.URL, nil).Send(context.Background(), channel.Message{Kind: channel.Group, To: "cid1", Content: "x"})
			ct.WantError(t, err, tt.permanent, tt.want)
		})
	}
}

func TestTest_FetchesATokenAndOpensAStreamEndpoint(t *testing.T) {
	s := dingtalkfake.New(t)
	c := newConn(t, s.URL, nil)
	if err := c.Test(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.TokenCalls() != 1 || len(s.Opens()) != 1 {
		t.Fatalf("token fetches %d, gateway opens %d: want 1 and 1", s.TokenCalls(), len(s.Opens()))
	}
	if len(s.Sent()) != 0 {
		t.Fatal("测试连接 sent a message")
	}
	s.RefuseStream("Forbidden.AppNotPublished")
	ct.WantError(t, c.Test(context.Background()), true, "Stream 模式")
}
