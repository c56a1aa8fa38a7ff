package xuanxuan

import (
	"context"
	"net/http"
	"reflect"
	"testing"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
)

// Tokens computed independently: md5(md5("m=im&f=<f>&code=myAppCode") + "k3y").
const (
	tokenNotification = "236614b9400044de477a210343f53748"
	tokenChatMessage  = "e181da4bf1c546a5b1cb73fcc1d2299e"
	tokenGroupChats   = "395d812a36363daa8bbe64929ecf84db"
	tokenChatUsers    = "8d6ab4a1fc9d66eeb0dbb4ad521affce"
)

func newConn(t *testing.T, srv *ct.Server, title string) *Connector {
	t.Helper()
	c, err := New(channel.Config{Name: "xxb", Type: "xuanxuan", Values: map[string]string{
		"url": srv.URL + "/x.php", "code": "myAppCode", "key": "k3y", "title": title}}, srv.Deps())
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Connector)
}

func TestSign_MatchesDocumentedRule(t *testing.T) {
	if got := Sign("m=im&f=sendNotification&code=myAppCode", "k3y"); got != tokenNotification {
		t.Errorf("Sign = %s, want %s", got, tokenNotification)
	}
}

func TestSend_BuildsSignedSeedRequest(t *testing.T) {
	tests := []struct {
		name      string
		msg       channel.Message
		title     string
		wantQuery string
		wantBody  string
	}{
		{"users get a notification with ids as numbers and accounts as strings",
			channel.Message{Kind: channel.Private, To: "1, 3,zhangsan", Content: "**测试消息**内容"}, "测试通知消息",
			"m=im&f=sendNotification&code=myAppCode&token=" + tokenNotification,
			`{"users":[1,3,"zhangsan"],"title":"测试通知消息","content":"**测试消息**内容","contentType":"plain"}`},
		{"a chat group gets sendChatMessage with its gid and the default title",
			channel.Message{Kind: channel.Group, To: "f3de9ff9-dcb4-49de-915b-377ee9143418", Content: "库存预警"}, "",
			"m=im&f=sendChatMessage&code=myAppCode&token=" + tokenChatMessage,
			`{"gid":"f3de9ff9-dcb4-49de-915b-377ee9143418","title":"BotGate 通知","content":"库存预警","contentType":"plain"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(ct.JSON(`{ "result": "success" }`)))
			ct.WantError(t, newConn(t, srv, tt.title).Send(context.Background(), tt.msg), false, "")
			c := srv.Only(t)
			c.Expect(t, http.MethodPost, "/x.php", "application/json")
			if c.RawQuery != tt.wantQuery {
				t.Errorf("query = %s\nwant    %s", c.RawQuery, tt.wantQuery)
			}
			ct.JSONEq(t, c.Body, tt.wantBody)
		})
	}
}

func TestSend_NotificationWithoutUsers_RefusedBeforeSending(t *testing.T) {
	srv := ct.New(t, ct.Always(ct.JSON(`{"result":"fail","message":"应当设置接收者用户列表。"}`)))
	err := newConn(t, srv, "").Send(context.Background(), channel.Message{Kind: channel.Private, To: " , ", Content: "x"})
	ct.WantError(t, err, true, "必须指定接收者")
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("%d requests sent, want 0", n)
	}
}

func TestSend_ClassifiesFailures(t *testing.T) {
	tests := []struct {
		name      string
		reply     ct.Reply
		permanent bool
		wantMsg   string
	}{
		{"seed's missing-users failure is permanent", ct.JSON(`{"result":"fail","message":"应当设置接收者用户列表。"}`), true, "应当设置接收者用户列表"},
		{"bad signature is permanent and names code and key", ct.JSON(`{"result":"fail","message":"token验证失败"}`), true, "code 和 key"},
		{"unexplained failure is retried", ct.JSON(`{"result":"fail","message":"服务器繁忙"}`), false, "稍后重试"},
		{"missing x.php (404) is permanent", ct.Reply{Status: 404}, true, "x.php"},
		{"server error is retried", ct.Reply{Status: 503}, false, "HTTP 503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(tt.reply))
			err := newConn(t, srv, "").Send(context.Background(), channel.Message{Kind: channel.Private, To: "1", Content: "hi"})
			ct.WantError(t, err, tt.permanent, tt.wantMsg)
		})
	}
}

// TestSend_EntryCheckFailures_Classified has one row per answer of the
// server's entry check (errors.go), in every shape it can take: each
// documented one fails at once with what to fix instead of being retried as an
// unexplained failure.
func TestSend_EntryCheckFailures_Classified(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		permanent bool
		wantMsg   string
	}{
		{"reason phrase in errmsg", `{"errcode":401,"errmsg":"INVALID_TOKEN"}`, true, "喧喧拒绝了签名（INVALID_TOKEN），请核对通道设置中的 key"},
		{"Chinese errmsg", `{"errcode":401,"errmsg":"无效的token参数"}`, true, "喧喧拒绝了签名（INVALID_TOKEN）"},
		{"bare error phrase", `{"error":"INVALID_TOKEN"}`, true, "喧喧拒绝了签名（INVALID_TOKEN）"},
		{"errcode as a string", `{"errcode":"404","errmsg":"应用不存在"}`, true, "喧喧找不到该应用（EMPTY_ENTRY），请核对通道设置中的 code"},
		{"PARAM_CODE_MISSING", `{"errcode":401,"errmsg":"缺少code参数"}`, true, "请在通道设置中填写 code"},
		{"PARAM_TOKEN_MISSING", `{"errcode":401,"errmsg":"缺少token参数"}`, true, "没有收到签名（PARAM_TOKEN_MISSING）"},
		{"SESSION_CODE_MISSING", `{"errcode":401,"errmsg":"缺少session code"}`, true, "SESSION_CODE_MISSING"},
		{"SESSION_VERIFY_FAILED", `{"errcode":401,"errmsg":"session验证失败"}`, true, "会话校验失败（SESSION_VERIFY_FAILED）"},
		{"EMPTY_KEY", `{"errcode":401,"errmsg":"应用未设置密钥"}`, true, "为应用生成密钥并填入通道设置的 key"},
		{"IP_DENIED", `{"errcode":403,"errmsg":"该IP被限制访问"}`, true, "在“应用集成”中添加本机 IP"},
		{"ACCOUNT_UNBOUND", `{"errcode":403,"errmsg":"未绑定用户"}`, true, "为应用绑定账号或开启免密"},
		{"EMPTY_ENTRY", `{"errcode":404,"errmsg":"EMPTY_ENTRY"}`, true, "喧喧找不到该应用"},
		{"CALLED_TIME", `{"errcode":405,"errmsg":"Token已失效"}`, true, "签名已失效（CALLED_TIME），请检查本机时间"},
		{"INVALID_ACCOUNT", `{"errcode":406,"errmsg":"用户不存在"}`, true, "绑定的账号不存在（INVALID_ACCOUNT）"},
		{"ERROR_TIMESTAMP", `{"errcode":407,"errmsg":"错误的时间戳。"}`, true, "拒绝了时间戳（ERROR_TIMESTAMP）"},
		{"errcode 401 with another text", `{"errcode":401,"errmsg":"Invalid token."}`, true, "喧喧拒绝了应用凭据（401），请核对通道设置中的 code 和 key"},
		{"errcode 403 with another text", `{"errcode":403,"errmsg":"IP is denied."}`, true, "喧喧拒绝了本机的访问（403"},
		{"undocumented 4xx errcode", `{"errcode":408,"errmsg":"?"}`, true, "喧喧拒绝了请求（408：?），请核对通道设置中的 url、code 和 key"},
		{"other errcode is retried", `{"errcode":500,"errmsg":"?"}`, false, "喧喧返回错误（500：?），稍后重试"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(ct.JSON(tt.body)))
			err := newConn(t, srv, "").Send(context.Background(), channel.Message{Kind: channel.Group, To: "30683aea-7a1f-4ec8-a6d6-834e0310fd7d", Content: "hi"})
			ct.WantError(t, err, tt.permanent, tt.wantMsg)
		})
	}
}

func TestTest_CallsSignedGetGroupChats(t *testing.T) {
	srv := ct.New(t, ct.Always(ct.JSON(`{"result":"success","data":{}}`)))
	if err := newConn(t, srv, "").Test(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := srv.Only(t)
	c.Expect(t, http.MethodGet, "/x.php", "")
	if want := "m=im&f=getGroupChats&code=myAppCode&token=" + tokenGroupChats; c.RawQuery != want {
		t.Errorf("query = %s, want %s", c.RawQuery, want)
	}
}

func TestContacts_ListsChatGroupsAndUsers(t *testing.T) {
	srv := ct.New(t, func(c ct.Call) ct.Reply {
		switch c.RawQuery {
		case "m=im&f=getGroupChats&code=myAppCode&token=" + tokenGroupChats:
			return ct.JSON(`{ "result": "success", "data": { "30683aea-7a1f-4ec8-a6d6-834e0310fd7d": "第四期项目讨论", "81c6ba89-00ab-4431-8e47-063556ae4886": "研发部", "64da14c3-c07a-45af-9c61-4e638de4af26": "公司总群" } }`)
		case "m=im&f=getChatUsers&code=myAppCode&token=" + tokenChatUsers:
			return ct.JSON(`{ "result": "success", "data": { "1": "管理员", "3": "张三", "4": "李四" } }`)
		}
		return ct.JSON(`{"result":"fail","message":"token错误"}`)
	})
	got, err := newConn(t, srv, "").Contacts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []channel.Contact{
		{Kind: channel.Group, ID: "30683aea-7a1f-4ec8-a6d6-834e0310fd7d", Name: "第四期项目讨论"},
		{Kind: channel.Group, ID: "64da14c3-c07a-45af-9c61-4e638de4af26", Name: "公司总群"},
		{Kind: channel.Group, ID: "81c6ba89-00ab-4431-8e47-063556ae4886", Name: "研发部"},
		{Kind: channel.Private, ID: "1", Name: "管理员"},
		{Kind: channel.Private, ID: "3", Name: "张三"},
		{Kind: channel.Private, ID: "4", Name: "李四"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("contacts = %+v\nwant %+v", got, want)
	}
}

func TestContacts_EmptyPHPArray_IsNoContacts(t *testing.T) {
	srv := ct.New(t, ct.Always(ct.JSON(`{"result":"success","data":[]}`)))
	got, err := newConn(t, srv, "").Contacts(context.Background())
	if err != nil || len(got) != 0 {
		t.Errorf("contacts = %v, %v; want none", got, err)
	}
}
