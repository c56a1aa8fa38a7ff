package e2e_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"botgate/app"
	"botgate/app/channel/wecomapp/wecomfake"
	"botgate/model"
)

// wecomEnv is a running BotGate with a wecom_app channel "wx" on a fake WeCom
// whose app sees the demo's staff, and a chat template that looks the sender
// up in the ERP's own table by their WeCom userid.
func wecomEnv(t *testing.T) (*env, *wecomfake.Server, wecomfake.Callback) {
	t.Helper()
	e := start(t)
	fake := wecomfake.New(t)
	fake.Users = map[string]string{"cs01": "测试员01", "cs02": "测试员02", "admin": "管理员"}
	cb := wecomfake.Callback{Token: "QDG6eK", EncodingAESKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", CorpID: fake.CorpID}
	e.ImportJSON(fmt.Sprintf(`{
		"channels": [{"name": "wx", "type": "wecom_app", "config": {"url": %q, "corp_id": %q, "corp_secret": %q, "agent_id": "1000002",
			"callback_token": %q, "callback_aes_key": %q}}],
		"templates": [{"keyword": "我是谁", "kind": "query", "chat": true,
			"sql": "SELECT name, xtuser FROM staff WHERE xtuser = {{来源QQ}}", "reply": "{{name}}（{{xtuser}}）"}]
	}`, fake.URL, fake.CorpID, fake.Secret, cb.Token, cb.EncodingAESKey))
	return e, fake, cb
}

// push sends a member's text to the channel's callback URL as WeCom does.
func push(t *testing.T, e *env, cb wecomfake.Callback, from, text string, msgID int64) (int, string) {
	t.Helper()
	q, body := cb.Push(wecomfake.TextMessage(cb.CorpID, from, text, msgID, 1000002, time.Now()), 1000002, time.Now(), fmt.Sprint(msgID))
	return e.Request("POST", "/webhook/wx?"+q.Encode(), "text/xml", body)
}

// waitSent waits until the fake WeCom has accepted n messages.
func waitSent(t *testing.T, fake *wecomfake.Server, n int) []wecomfake.Sent {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		sent := fake.Sent()
		if len(sent) >= n {
			return sent
		}
		if time.Now().After(deadline) {
			t.Fatalf("WeCom got %d messages, want %d: %+v", len(sent), n, sent)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The whole way: WeCom checks the callback URL, a member asks in the app,
// the push is acknowledged at once and empty, the template finds the member
// by userid, and the answer reaches WeCom's message/send for that member.
// WeCom's retry of the same message is answered once.
func TestWeComApp_CallbackQuestion_AnsweredThroughMessageSend(t *testing.T) {
	e, fake, cb := wecomEnv(t)
	status, body := e.Request("GET", "/webhook/wx?"+cb.VerifyQuery("1616140317555161061", time.Now(), "42").Encode(), "", "")
	if status != 200 || body != "1616140317555161061" {
		t.Fatalf("URL check: %d %q", status, body)
	}
	start := time.Now()
	status, body = push(t, e, cb, "cs02", "我是谁", 4561255354251345929)
	if status != 200 || body != "" || time.Since(start) > 2*time.Second {
		t.Fatalf("push answered %d %q after %v, want an empty 200 at once", status, body, time.Since(start))
	}
	sent := waitSent(t, fake, 1)
	if s := sent[0]; s.Path != "/cgi-bin/message/send" || s.ToUser != "cs02" || s.AgentID != 1000002 || s.MsgType != "text" || s.Content != "测试员02（cs02）" {
		t.Fatalf("WeCom got %+v", s)
	}
	if status, _ := push(t, e, cb, "cs02", "我是谁", 4561255354251345929); status != 200 {
		t.Fatalf("WeCom's retry: %d", status)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(fake.Sent()); n != 1 {
		t.Fatalf("the retried message was answered again: %d answers", n)
	}
	logs, err := e.App.InboundLogs(t.Context(), model.InboundFilter{Limit: 5})
	if err != nil || len(logs) != 1 || logs[0].Sender != "cs02" || logs[0].Via != "outbox" || logs[0].Outcome != "answered" {
		t.Fatalf("chat log %+v %v", logs, err)
	}
	// A push that is not WeCom's (wrong signature) is refused and answers nothing.
	q, body2 := cb.Push(wecomfake.TextMessage(cb.CorpID, "cs01", "我是谁", 9, 1000002, time.Now()), 1000002, time.Now(), "n")
	q.Set("msg_signature", strings.Repeat("0", 40))
	if status, raw := e.Request("POST", "/webhook/wx?"+q.Encode(), "text/xml", body2); status != 403 || !strings.Contains(raw, "签名不匹配") {
		t.Fatalf("forged push: %d %s", status, raw)
	}
}

// While WeCom is down, an answer and an ERP's send are both kept and
// retried; when it is back, both arrive. A list with one unknown member is
// delivered to the other, and the status API names the refused one.
func TestWeComApp_PlatformDown_NothingAcknowledgedIsLost(t *testing.T) {
	e, fake, cb := wecomEnv(t)
	fake.Down(503, -1)
	if status, body := push(t, e, cb, "cs01", "我是谁", 77); status != 200 || body != "" {
		t.Fatalf("push while WeCom is down: %d %q", status, body)
	}
	q := e.Auth()
	q.Set("channel", "wx")
	q.Set("QQ", "cs02|nobody")
	q.Set("content", "报销单 17 已审批")
	env, raw := e.QQAP("GET", q.Encode(), "", "")
	if env.Errcode != 0 || env.MsgID == 0 {
		t.Fatalf("send while WeCom is down: %s", raw)
	}
	// Both wait in the outbox, retried with backoff, the outage in last_error.
	deadline := time.Now().Add(10 * time.Second)
	for {
		msgs, err := e.App.DB().Messages(t.Context(), model.MessageFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		retried := 0
		for _, m := range msgs {
			if m.Status == model.StatusQueued && m.Attempts >= 2 && strings.Contains(m.LastError, "HTTP 503") {
				retried++
			}
		}
		if len(msgs) == 2 && retried == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("during the outage: %+v", msgs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	fake.Up()
	sent := waitSent(t, fake, 2)
	var to []string
	for _, s := range sent {
		to = append(to, s.ToUser+"="+s.Content)
	}
	slices.Sort(to)
	if want := []string{"cs01=测试员01（cs01）", "cs02|nobody=报销单 17 已审批"}; !slices.Equal(to, want) {
		t.Fatalf("after the outage WeCom got %v, want %v", to, want)
	}
	e.WaitStatus(env.MsgID, model.StatusDelivered)
	status, body := e.Request("GET", fmt.Sprintf("/api/v1/messages/%d", env.MsgID), "", "", "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("demo:"+e.Password)))
	var view struct {
		Status  string   `json:"status"`
		Invalid []string `json:"invalid"`
	}
	if status != 200 || json.Unmarshal([]byte(body), &view) != nil || view.Status != "delivered" || !slices.Equal(view.Invalid, []string{"nobody"}) {
		t.Fatalf("status API: %d %s", status, body)
	}
}

// What the channel cannot take is refused before the reply: a mention, a
// malformed userid, an over-long text.
func TestWeComApp_ChecksBeforeTheReply(t *testing.T) {
	e, fake, _ := wecomEnv(t)
	tests := []struct {
		name string
		set  url.Values
		code int
		msg  string
	}{
		{"comma list", url.Values{"QQ": {"cs01,cs02"}, "content": {"x"}}, model.CodeBadTarget, "用 | 分隔"},
		{"too long", url.Values{"QQ": {"cs01"}, "content": {strings.Repeat("字", 700)}}, model.CodeTooLong, "最多 2048 字节"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := e.Auth()
			q.Set("channel", "wx")
			for k, v := range tt.set {
				q[k] = v
			}
			env, raw := e.QQAP("GET", q.Encode(), "", "")
			if env.Errcode != tt.code || !strings.Contains(env.Errmsg, tt.msg) || env.MsgID != 0 {
				t.Fatalf("got %s, want errcode %d with %q", raw, tt.code, tt.msg)
			}
		})
	}
	_, err := e.App.Send(t.Context(), model.Caller{Name: "demo"}, app.SendRequest{Channel: "wx", QQ: "cs01", Group: "wrchat0001", Content: "x",
		At: []model.Mention{{ID: "cs01"}}})
	if me := model.ErrorOf(err); me.Code != model.CodeUnsupported || !strings.Contains(me.Msg, "wx") {
		t.Fatalf("a mention: %v", err)
	}
	if r := fake.Requests(); len(r) != 0 {
		t.Fatalf("WeCom was called: %v", r)
	}
}
