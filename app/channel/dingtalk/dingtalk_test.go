package dingtalk

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
	ok = `{"errcode":0,"errmsg":"ok"}`
	// wantSign is base64(HMAC-SHA256("SECabc123", "1700000000000\nSECabc123")), computed independently.
	wantSign = "N5P09a4+p1AMJIJWnIvQd2Yxw9+fu/oEBnPrjCcsLXk="
)

var fixed = time.UnixMilli(1700000000000)

func newConn(t *testing.T, srv *ct.Server, vals map[string]string) *Connector {
	t.Helper()
	v := map[string]string{"url": srv.URL + "/robot/send?access_token=abc123"}
	for k, x := range vals {
		v[k] = x
	}
	deps := srv.Deps()
	deps.Now = func() time.Time { return fixed }
	c, err := New(channel.Config{Name: "ding", Type: "dingtalk", Values: v}, deps)
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Connector)
}

func TestSign_MatchesDocumentedAlgorithm(t *testing.T) {
	if got := Sign("1700000000000", "SECabc123"); got != wantSign {
		t.Errorf("Sign = %s, want %s", got, wantSign)
	}
}

func TestSend_BuildsDocumentedRequest(t *testing.T) {
	tests := []struct {
		name      string
		vals      map[string]string
		content   string
		wantQuery map[string]string
		wantBody  string
	}{
		{"unsigned text keeps the webhook query", nil, "我就是我, 是不一样的烟火",
			map[string]string{"access_token": "abc123"},
			`{"msgtype":"text","text":{"content":"我就是我, 是不一样的烟火"}}`},
		{"signed text adds timestamp and sign to the URL", map[string]string{"secret": "SECabc123"}, "库存预警",
			map[string]string{"access_token": "abc123", "timestamp": "1700000000000", "sign": wantSign},
			`{"msgtype":"text","text":{"content":"库存预警"}}`},
		{"text with @ mobiles and @all", map[string]string{"at_mobiles": "150XXXXXXXX, 189XXXXXXXX", "at_all": "true"}, "请处理",
			map[string]string{"access_token": "abc123"},
			`{"msgtype":"text","text":{"content":"请处理"},"at":{"atMobiles":["150XXXXXXXX","189XXXXXXXX"],"isAtAll":true}}`},
		{"markdown takes its title from the first line", map[string]string{"format": "markdown"}, "#### 杭州天气\n> 9度，西北风1级",
			map[string]string{"access_token": "abc123"},
			`{"msgtype":"markdown","markdown":{"title":"杭州天气","text":"#### 杭州天气\n> 9度，西北风1级"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(ct.JSON(ok)))
			ct.WantError(t, newConn(t, srv, tt.vals).Send(context.Background(), channel.Message{Kind: channel.Group, To: "x", Content: tt.content}), false, "")
			c := srv.Only(t)
			c.Expect(t, http.MethodPost, "/robot/send", "application/json")
			if len(c.Query) != len(tt.wantQuery) {
				t.Errorf("query = %v, want %v", c.Query, tt.wantQuery)
			}
			for k, v := range tt.wantQuery {
				if got := c.Query.Get(k); got != v {
					t.Errorf("query %s = %q, want %q", k, got, v)
				}
			}
			ct.JSONEq(t, c.Body, tt.wantBody)
		})
	}
}

func TestSend_OverSizeLimit_Refused(t *testing.T) {
	srv := ct.New(t, ct.Always(ct.JSON(ok)))
	err := newConn(t, srv, nil).Send(context.Background(), channel.Message{Content: strings.Repeat("汉", MaxContent/3+1)})
	ct.WantError(t, err, true, "消息过长")
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
		{"wrong sign is permanent", ct.JSON(`{"errcode":310000,"errmsg":"sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"}`), true, "加签"},
		{"missing keyword is permanent", ct.JSON(`{"errcode":310000,"errmsg":"keywords not in content, more: []"}`), true, "自定义关键词"},
		{"IP not allowed is permanent", ct.JSON(`{"errcode":310000,"errmsg":"ip X.X.X.X not in whitelist"}`), true, "白名单"},
		{"unknown token is permanent", ct.JSON(`{"errcode":300001,"errmsg":"token is not exist"}`), true, "access_token 无效"},
		{"too fast (130101) is retried", ct.JSON(`{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`), false, "每分钟最多 20 条"},
		{"system busy (-1) is retried", ct.JSON(`{"errcode":-1,"errmsg":"系统繁忙"}`), false, "繁忙"},
		{"HTTP 503 is retried", ct.Reply{Status: 503}, false, "HTTP 503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(tt.reply))
			ct.WantError(t, newConn(t, srv, map[string]string{"secret": "SECabc123"}).Send(context.Background(), channel.Message{Content: "hi"}), tt.permanent, tt.wantMsg)
		})
	}
}

// TestSend_DocumentedCodes_Classified has one row per DingTalk errcode (and
// 310000 reason) in errors.go, plus the same reply carried by an HTTP 4xx body.
func TestSend_DocumentedCodes_Classified(t *testing.T) {
	tests := []struct {
		code      int
		errmsg    string
		permanent bool
		wantMsg   string
	}{
		{-1, "系统繁忙", false, "钉钉系统繁忙（-1），稍后重试"},
		{410100, "发送速度太快而限流", false, "每分钟最多 20 条，超出后会被限流 10 分钟），稍后重试"},
		{130101, "send too fast, exceed 20 times per minute", false, "稍后重试"},
		{310000, "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]", true, "签名校验失败（310000），请核对通道的 secret"},
		{310000, "keywords not in content, more: []", true, "自定义关键词（310000）"},
		{310000, "ip X.X.X.X not in whitelist", true, "IP 白名单中（310000）"},
		{310000, "invalid timestamp", true, "时间戳无效（310000），请确认本机时间准确"},
		{310000, "消息校验未通过", true, "安全设置校验未通过（310000），请查看机器人的安全设置"},
		{400101, "access_token不存在", true, "access_token 不存在（400101），请重新复制机器人的 webhook 地址"},
		{300001, "token is not exist", true, "access_token 无效或机器人已被移除（300001）"},
		{300005, "token is not exist", true, "access_token 无效"},
		{400013, "群已被解散", true, "钉钉群已被解散（400013）"},
		{400102, "机器人已停用", true, "钉钉机器人已停用（400102），请联系群管理员启用机器人"},
		{400105, "不支持的消息类型", true, "不支持该消息类型（400105），请检查通道的 format 设置"},
		{400106, "机器人不存在", true, "钉钉机器人不存在（400106）"},
		{430101, "含有不安全的外链", true, "不安全的外链（430101），请修改消息内容"},
		{430102, "含有不合适的文本", true, "不合适的文本（430102）"},
		{430103, "含有不合适的图片", true, "不合适的图片（430103）"},
		{430104, "含有不合适的内容", true, "不合适的内容（430104）"},
		{88, "ding talk error", true, "钉钉拒绝了该消息（88：ding talk error），请检查消息内容和通道设置"},
	}
	for _, tt := range tests {
		body := fmt.Sprintf(`{"errcode":%d,"errmsg":%q}`, tt.code, tt.errmsg)
		for _, rep := range []ct.Reply{ct.JSON(body), {Status: http.StatusBadRequest, Body: body}} {
			t.Run(fmt.Sprintf("%d %s/HTTP%d", tt.code, tt.errmsg, max(rep.Status, 200)), func(t *testing.T) {
				srv := ct.New(t, ct.Always(rep))
				ct.WantError(t, newConn(t, srv, nil).Send(context.Background(), channel.Message{Content: "hi"}), tt.permanent, tt.wantMsg)
			})
		}
	}
}

func TestTest_PostsVisibleSignedTestText(t *testing.T) {
	srv := ct.New(t, ct.Always(ct.JSON(ok)))
	if err := newConn(t, srv, map[string]string{"secret": "SECabc123"}).Test(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := srv.Only(t)
	if c.Query.Get("sign") != wantSign {
		t.Errorf("sign = %q", c.Query.Get("sign"))
	}
	ct.JSONEq(t, c.Body, `{"msgtype":"text","text":{"content":"`+TestText+`"}}`)
}
