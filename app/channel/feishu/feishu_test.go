package feishu

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
)

const (
	ok = `{"code":0,"data":{},"msg":"success"}`
	// wantSign is base64(HMAC-SHA256 keyed "1700000000\nSECabc123" over ""), computed independently.
	wantSign = "UqhI0v4zAkSwI4hNYBuHQvnrAqshA0UaeBGHCUMPX70="
)

func newConn(t *testing.T, srv *ct.Server, secret string) *Connector {
	t.Helper()
	deps := srv.Deps()
	deps.Now = func() time.Time { return time.Unix(1700000000, 0) }
	c, err := New(channel.Config{Name: "fs", Type: "feishu", Values: map[string]string{
		"url": srv.URL + "/open-apis/bot/v2/hook/xxxxxxxxxxxxxxxxx", "secret": secret}}, deps)
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Connector)
}

func TestSign_MatchesDocumentedAlgorithm(t *testing.T) {
	if got := Sign("1700000000", "SECabc123"); got != wantSign {
		t.Errorf("Sign = %s, want %s", got, wantSign)
	}
}

func TestSend_BuildsDocumentedRequest(t *testing.T) {
	tests := []struct {
		name, secret, wantBody string
	}{
		{"unsigned text", "", `{"msg_type":"text","content":{"text":"request example"}}`},
		{"signed text carries timestamp and sign in the body", "SECabc123",
			`{"timestamp":"1700000000","sign":"` + wantSign + `","msg_type":"text","content":{"text":"request example"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(ct.JSON(ok)))
			ct.WantError(t, newConn(t, srv, tt.secret).Send(context.Background(), channel.Message{Kind: channel.Group, To: "x", Content: "request example"}), false, "")
			c := srv.Only(t)
			c.Expect(t, http.MethodPost, "/open-apis/bot/v2/hook/xxxxxxxxxxxxxxxxx", "application/json")
			ct.JSONEq(t, c.Body, tt.wantBody)
		})
	}
}

func TestSend_OlderStatusCodeReply_IsUnderstood(t *testing.T) {
	srv := ct.New(t, ct.Always(ct.JSON(`{"Extra":null,"StatusCode":0,"StatusMessage":"success"}`)))
	ct.WantError(t, newConn(t, srv, "").Send(context.Background(), channel.Message{Content: "x"}), false, "")
}

func TestSend_BodyOver20KB_Refused(t *testing.T) {
	srv := ct.New(t, ct.Always(ct.JSON(ok)))
	err := newConn(t, srv, "").Send(context.Background(), channel.Message{Content: strings.Repeat("汉", 7000)})
	ct.WantError(t, err, true, "20 KB")
	if len(srv.Calls()) != 0 {
		t.Error("over-long message was sent")
	}
}

func TestSend_ClassifiesFailures(t *testing.T) {
	tests := []struct {
		name      string
		reply     ct.Reply
		permanent bool
		wantMsg   string
	}{
		{"sign mismatch (19021) is permanent", ct.JSON(`{"code":19021,"data":{},"msg":"sign match fail or timestamp is not within one hour from current time"}`), true, "签名校验失败"},
		{"keyword check (19024) is permanent", ct.JSON(`{"code":19024,"data":{},"msg":"Key Words Not Found"}`), true, "自定义关键词"},
		{"bad webhook (19001) is permanent", ct.JSON(`{"code":19001,"data":{},"msg":"param invalid: incoming webhook access token invalid"}`), true, "重新复制"},
		{"rate limited (11232) is retried", ct.JSON(`{"code":11232,"data":{},"msg":"frequency limited psm"}`), false, "每分钟最多 100 条"},
		{"HTTP 500 is retried", ct.Reply{Status: 500}, false, "HTTP 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(tt.reply))
			ct.WantError(t, newConn(t, srv, "SECabc123").Send(context.Background(), channel.Message{Content: "hi"}), tt.permanent, tt.wantMsg)
		})
	}
}

// TestSend_DocumentedCodes_Classified has one row per Feishu code in
// errors.go, in the current reply, the older StatusCode reply and an HTTP 400
// body.
func TestSend_DocumentedCodes_Classified(t *testing.T) {
	tests := []struct {
		code      int
		msg       string
		permanent bool
		wantMsg   string
	}{
		{11232, "frequency limited psm", false, "发送太频繁（11232，每分钟最多 100 条、每秒 5 条），稍后重试"},
		{9499, "Bad Request", true, "飞书不接受该请求（9499：请求体格式错误或超过 20 KB）"},
		{19001, "param invalid: incoming webhook access token invalid", true, "webhook 地址无效或机器人已被移除（19001）"},
		{19021, "sign match fail or timestamp is not within one hour from current time", true, "签名校验失败（19021），请核对通道的 secret"},
		{19022, "ip not allowed", true, "IP 白名单中（19022）"},
		{19024, "Key Words Not Found", true, "自定义关键词（19024）"},
		{19002, "params error", true, "飞书拒绝了该消息（19002：params error），请检查消息内容和通道设置"},
	}
	for _, tt := range tests {
		current := fmt.Sprintf(`{"code":%d,"data":{},"msg":%q}`, tt.code, tt.msg)
		for shape, rep := range map[string]ct.Reply{
			"code":       ct.JSON(current),
			"StatusCode": ct.JSON(fmt.Sprintf(`{"Extra":null,"StatusCode":%d,"StatusMessage":%q}`, tt.code, tt.msg)),
			"HTTP 400":   {Status: http.StatusBadRequest, Body: current},
		} {
			t.Run(fmt.Sprintf("%d/%s", tt.code, shape), func(t *testing.T) {
				srv := ct.New(t, ct.Always(rep))
				ct.WantError(t, newConn(t, srv, "SECabc123").Send(context.Background(), channel.Message{Content: "hi"}), tt.permanent, tt.wantMsg)
			})
		}
	}
}

func TestTest_PostsVisibleTestText(t *testing.T) {
	srv := ct.New(t, ct.Always(ct.JSON(ok)))
	if err := newConn(t, srv, "").Test(context.Background()); err != nil {
		t.Fatal(err)
	}
	ct.JSONEq(t, srv.Only(t).Body, `{"msg_type":"text","content":{"text":"`+TestText+`"}}`)
}
