package onebot

import (
	"context"
	"fmt"
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

// napcat is the reply shape of NapCat's OB11Response.error (and LLBot's): the
// text is in message and wording, and the HTTP status is 200.
func napcat(retcode int, text string) ct.Reply {
	return ct.JSON(fmt.Sprintf(`{"status":"failed","retcode":%d,"data":null,"message":%q,"wording":%q,"echo":null,"stream":"normal-action"}`, retcode, text, text))
}

// gocq is the reply shape of go-cqhttp's Failed(code, msg, wording).
func gocq(retcode int, msg, wording string) ct.Reply {
	return ct.JSON(fmt.Sprintf(`{"data":null,"retcode":%d,"msg":%q,"wording":%q,"message":%q,"status":"failed"}`, retcode, msg, wording, wording))
}

// TestSend_DocumentedFailures_Classified has one row per documented OneBot
// failure (retcode table and implementation wordings in errors.go): permanent
// ones fail at once saying what to fix, the others are retried.
func TestSend_DocumentedFailures_Classified(t *testing.T) {
	tests := []struct {
		name      string
		reply     ct.Reply
		permanent bool
		wantMsg   string
	}{
		// NapCat / LLBot, HTTP 200.
		{"NapCat unknown QQ number", napcat(200, "无法获取用户信息"), true, "该 QQ 号不存在或机器人查不到此人，请检查 QQ 号（retcode 200：无法获取用户信息）"},
		{"NapCat no target", napcat(200, "请指定正确的 group_id 或 user_id"), true, "没有收到有效的接收者"},
		{"NapCat param validation (retcode 400)", napcat(400, "Key: user_id, Message: Expected number"), true, "不接受请求参数，请检查接收者 QQ 号/群号是否为数字（retcode 400"},
		{"NapCat unknown action", napcat(200, "不支持的Api send_privat_msg"), true, "不支持该接口"},
		{"NapCat/LLBot unparsable message", napcat(200, "消息体无法解析, 请检查是否发送了不支持的消息类型"), true, "消息为空或无法解析"},
		{"NapCat send timeout", napcat(200, "Timeout: NTEvent serviceAndMethod:NodeIKernelMsgService/sendMsg ListenerName:NodeIKernelMsgListener/onMsgInfoListUpdate EventRet:"), false, "发送超时"},
		{"NapCat unknown error, maybe timeout", napcat(200, "未知错误，可能操作超时"), false, "稍后重试"},
		{"NapCat HTTP server switched off", napcat(200, "Server is closed"), false, "在 NapCat 网络配置中启用"},
		{"NapCat other thrown error is retried", napcat(200, "EventChecker Failed: NTEvent serviceAndMethod:NodeIKernelMsgService/sendMsg"), false, "OneBot 发送失败，稍后重试（retcode 200"},
		{"LLBot muted in the group", napcat(200, "当前处于被禁言状态"), true, "被禁言，请联系群管理员解除禁言"},
		{"LLBot bad request body (retcode 400)", napcat(400, "请求体解析失败: Unexpected token"), true, "不接受请求参数"},
		{"LLBot QQ send failure is retried", napcat(200, "发送消息失败 (code=1): 未知"), false, "稍后重试"},
		// go-cqhttp.
		{"go-cqhttp group not found", gocq(100, "GROUP_NOT_FOUND", "群聊不存在"), true, "机器人不在该群中"},
		{"go-cqhttp friend not found", gocq(100, "FRIEND_NOT_FOUND", "好友不存在"), true, "对方不是机器人 QQ 的好友"},
		{"go-cqhttp empty message", gocq(100, "EMPTY_MSG_ERROR", "消息为空"), true, "消息为空或无法解析"},
		{"go-cqhttp send refused", gocq(100, "SEND_MSG_API_ERROR", "请参考 go-cqhttp 端输出"), true, "私聊需要对方是好友"},
		{"go-cqhttp group send blocked", gocq(100, "SEND_MSG_API_ERROR", "send group message failed: blocked by server"), true, "账号被风控"},
		{"go-cqhttp unknown API (retcode 404)", gocq(404, "API_NOT_FOUND", "API不存在"), true, "不支持该接口"},
		// CQHTTP retcode table.
		{"retcode 100 bad parameters", gocq(100, "", ""), true, "参数缺失或无效，请检查接收者 QQ 号/群号和消息内容（retcode 100）"},
		{"retcode 102 no permission", gocq(102, "", ""), true, "没有权限完成发送"},
		{"retcode 103 operation failed", gocq(103, "", ""), true, "权限不足或文件系统异常"},
		{"retcode 104 credentials expired", gocq(104, "", ""), true, "重新登录 QQ"},
		{"retcode 201 worker pool is retried", gocq(201, "", ""), false, "请重启 NapCat/LLBot；消息会自动重试"},
		// OneBot v11 WebSocket-style codes.
		{"retcode 1400 bad request", gocq(1400, "", ""), true, "不接受请求参数"},
		{"retcode 1401 token missing", gocq(1401, "", ""), true, "要求 access_token"},
		{"retcode 1403 token wrong", gocq(1403, "", ""), true, "拒绝了 access_token"},
		{"retcode 1404 unknown action", gocq(1404, "", ""), true, "没有该接口"},
		{"retcode 1200 thrown error is retried", gocq(1200, "", ""), false, "稍后重试"},
		{"undocumented retcode is retried", gocq(-5, "", ""), false, "OneBot 发送失败，稍后重试（retcode -5）"},
		// HTTP statuses (NapCat answers a wrong token with 403 and a JSON message).
		{"NapCat wrong token (HTTP 403)", ct.Reply{Status: 403, Body: `{"message":"token verify failed!"}`}, true, "access_token 是否与"},
		{"LLBot unknown action (HTTP 404)", ct.Reply{Status: 404, Body: `{"status":"failed","retcode":404,"data":null,"message":"send_privat_msg API 不存在"}`}, true, "默认端口 3000"},
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
