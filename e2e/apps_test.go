package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"botgate/app/channel/dingtalkapp/dingtalkfake"
	"botgate/app/channel/feishuapp/feishufake"
	"botgate/model"
)

// The DingTalk and Feishu app channels end to end: a running BotGate (real
// App, real SQLite, the server's listeners) connected to a fake platform
// that speaks the platform's protocol (checked against the platform's SDK
// in dingtalkfake and feishufake).

// waitListener waits until channel name's listener reports connected.
func waitListener(t *testing.T, e *env, name string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !e.App.ListenerStates()[name].Connected {
		if time.Now().After(deadline) {
			t.Fatalf("listener %s not connected: %+v", name, e.App.ListenerStates()[name])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// queueNative posts a message to /api/v1/messages and returns its id.
func queueNative(t *testing.T, e *env, body string) int64 {
	t.Helper()
	req, _ := http.NewRequest("POST", e.Base+"/api/v1/messages", strings.NewReader(body))
	req.SetBasicAuth("demo", e.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		ID int64 `json:"id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != http.StatusAccepted || v.ID == 0 {
		t.Fatalf("send %s: HTTP %d %+v (%v)", body, resp.StatusCode, v, err)
	}
	return v.ID
}

// status is GET /api/v1/messages/{id}.
type status struct {
	Status    string   `json:"status"`
	LastError string   `json:"last_error"`
	Invalid   []string `json:"invalid"`
}

func messageStatus(t *testing.T, e *env, id int64) status {
	t.Helper()
	req, _ := http.NewRequest("GET", e.Base+"/api/v1/messages/"+itoa(id), nil)
	req.SetBasicAuth("demo", e.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s status
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// A colleague asks the DingTalk bot; the 账号 template answers through the
// message's sessionWebhook. After the connection drops, BotGate opens it
// again and the next question is answered too.
func TestDingTalkApp_ChatAnsweredOverStream_AndAfterADrop(t *testing.T) {
	e := start(t)
	ding := dingtalkfake.New(t)
	e.ImportJSON(`{"channels":[{"name":"钉钉","type":"dingtalk_app","config":{"url":"` + ding.URL + `","client_id":"` + dingtalkfake.ClientID +
		`","client_secret":"` + dingtalkfake.ClientSecret + `"}}]}`)
	conn := ding.NextConn(t)
	waitListener(t, e, "钉钉")

	for i, drop := range []bool{false, true} {
		if drop {
			conn.Drop()
			conn = ding.NextConn(t)
			waitListener(t, e, "钉钉")
		}
		msg := ding.Text("manager4585", "张三", "cidGroupFake==", "账号 cs02")
		if ack, err := conn.Push(msg); err != nil || ack.Code != 200 {
			t.Fatalf("question %d: ack %+v, %v", i, ack, err)
		}
		got := ding.NextSent(t)
		if got.Via != "session" || !strings.Contains(got.Param["content"], "测试员02(cs02)") || !strings.HasPrefix(got.Param["content"], "@manager4585 ") {
			t.Fatalf("answer %d %+v: want the 账号 row for cs02, @ the asker, through the sessionWebhook", i, got)
		}
	}
	rows, err := e.App.InboundLogs(context.Background(), model.InboundFilter{})
	if err != nil || len(rows) != 2 || rows[0].Channel != "钉钉" || rows[0].Sender != "manager4585" || rows[0].Group != "cidGroupFake==" {
		t.Fatalf("inbound log %+v %v", rows, err)
	}
}

// The ERP tells a list of employees; the one DingTalk does not know is
// listed under "invalid" and the others get it once. While DingTalk is
// down the message waits in the outbox and is delivered when it is back.
func TestDingTalkApp_SendToAList_RefusedListed_NothingLostWhileDown(t *testing.T) {
	e := start(t)
	ding := dingtalkfake.New(t)
	ding.Unknown("ghost")
	e.ImportJSON(`{"channels":[{"name":"钉钉","type":"dingtalk_app","config":{"url":"` + ding.URL + `","client_id":"` + dingtalkfake.ClientID +
		`","client_secret":"` + dingtalkfake.ClientSecret + `"}}]}`)
	ding.NextConn(t)

	id := queueNative(t, e, `{"channel":"钉钉","to":"manager4585|ghost|u2","type":"private","content":"报销已批准"}`)
	e.WaitStatus(id, model.StatusDelivered)
	st := messageStatus(t, e, id)
	if !reflect.DeepEqual(st.Invalid, []string{"ghost"}) || !strings.Contains(st.LastError, "可见范围") {
		t.Fatalf("status %+v: want invalid [ghost] and why", st)
	}
	if got := ding.NextSent(t); got.Via != "oto" || !reflect.DeepEqual(got.To, []string{"manager4585", "u2"}) || got.Param["content"] != "报销已批准" {
		t.Fatalf("sent %+v", got)
	}

	ding.Down(true)
	id = queueNative(t, e, `{"channel":"钉钉","to":"cidGroupFake==","type":"group","content":"停机期间的通知"}`)
	deadline := time.Now().Add(5 * time.Second)
	for st := messageStatus(t, e, id); st.LastError == ""; st = messageStatus(t, e, id) {
		if time.Now().After(deadline) {
			t.Fatal("no failed attempt while DingTalk is down")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Still owed a delivery: queued for the next retry, or in that retry
	// already (the tests' backoff is 20 ms).
	if st := messageStatus(t, e, id); st.Status != model.StatusQueued && st.Status != model.StatusSending {
		t.Fatalf("while down: %+v, want queued for a retry (or sending it)", st)
	}
	ding.Down(false)
	e.WaitStatus(id, model.StatusDelivered)
	if got := ding.NextSent(t); got.Via != "group" || got.Param["content"] != "停机期间的通知" {
		t.Fatalf("sent after the outage %+v", got)
	}
	if st := messageStatus(t, e, id); st.Invalid != nil {
		t.Fatalf("a group send lists no invalid: %+v", st)
	}
}

// A colleague @s the Feishu bot in a group; the answer is a reply to that
// message. After the long connection drops it is opened again and answers.
func TestFeishuApp_ChatAnsweredOverTheLongConnection_AndAfterADrop(t *testing.T) {
	e := start(t)
	fs := feishufake.New(t)
	e.ImportJSON(`{"channels":[{"name":"飞书","type":"feishu_app","config":{"url":"` + fs.URL + `","app_id":"` + feishufake.AppID +
		`","app_secret":"` + feishufake.AppSecret + `"}}]}`)
	conn := fs.NextConn(t)
	waitListener(t, e, "飞书")

	for i, drop := range []bool{false, true} {
		if drop {
			conn.Drop()
			conn = fs.NextConn(t)
			waitListener(t, e, "飞书")
		}
		resp, err := conn.Push(fs.Text("ou_asker0001", "oc_fakegroup0001", "@_user_1 账号 cs02", feishufake.BotMention), 1)
		if err != nil || !strings.HasPrefix(string(resp), `{"code":200`) {
			t.Fatalf("question %d: %s %v", i, resp, err)
		}
		got := fs.NextSent(t)
		if !strings.HasPrefix(got.ReplyTo, "om_fakein") || !strings.Contains(got.Content["text"].(string), "测试员02(cs02)") {
			t.Fatalf("answer %d %+v: want a reply with the 账号 row for cs02", i, got)
		}
	}
	rows, err := e.App.InboundLogs(context.Background(), model.InboundFilter{})
	if err != nil || len(rows) != 2 || rows[0].Sender != "ou_asker0001" || rows[0].Text != "账号 cs02" {
		t.Fatalf("inbound log %+v %v", rows, err)
	}
}

// The ERP tells two people and a group on Feishu: the one outside the
// app's range is listed under "invalid"; the group message waits out an
// outage in the outbox.
func TestFeishuApp_SendToAList_RefusedListed_NothingLostWhileDown(t *testing.T) {
	e := start(t)
	fs := feishufake.New(t)
	fs.Unknown("ou_outside")
	e.ImportJSON(`{"channels":[{"name":"飞书","type":"feishu_app","config":{"url":"` + fs.URL + `","app_id":"` + feishufake.AppID +
		`","app_secret":"` + feishufake.AppSecret + `"}}]}`)
	fs.NextConn(t)

	id := queueNative(t, e, `{"channel":"飞书","to":"ou_a|ou_outside|zhang@example.com","type":"private","content":"审批通过"}`)
	e.WaitStatus(id, model.StatusDelivered)
	if st := messageStatus(t, e, id); !reflect.DeepEqual(st.Invalid, []string{"ou_outside"}) || !strings.Contains(st.LastError, "可用范围") {
		t.Fatalf("status %+v", st)
	}
	a, b := fs.NextSent(t), fs.NextSent(t)
	if a.ReceiveID != "ou_a" || b.ReceiveIDType != "email" || b.Content["text"] != "审批通过" {
		t.Fatalf("sent %+v, %+v", a, b)
	}

	fs.Down(true)
	id = queueNative(t, e, `{"channel":"飞书","to":"oc_fakegroup0001","type":"group","content":"停机期间的通知"}`)
	deadline := time.Now().Add(5 * time.Second)
	for st := messageStatus(t, e, id); st.LastError == ""; st = messageStatus(t, e, id) {
		if time.Now().After(deadline) {
			t.Fatal("no failed attempt while Feishu is down")
		}
		time.Sleep(10 * time.Millisecond)
	}
	fs.Down(false)
	e.WaitStatus(id, model.StatusDelivered)
	if got := fs.NextSent(t); got.ReceiveIDType != "chat_id" || got.Content["text"] != "停机期间的通知" {
		t.Fatalf("sent after the outage %+v", got)
	}
}

// The listeners follow the channel: a changed secret restarts the
// connection and the window sees why it fails; a disabled channel closes
// it; the server's stop closes it before the stop returns.
func TestAppChannels_ListenerFollowsTheChannel(t *testing.T) {
	type platform struct {
		typ, cfg, wrong string
		next            func(t *testing.T) <-chan struct{} // waits for a connection, returns its end
		refusal         string
	}
	ding := dingtalkfake.New(t)
	fs := feishufake.New(t)
	platforms := []platform{
		{"dingtalk_app", `"url":"` + ding.URL + `","client_id":"` + dingtalkfake.ClientID + `","client_secret":"%s"`, "wrong",
			func(t *testing.T) <-chan struct{} { return ding.NextConn(t).Done() }, "钉钉拒绝了 Stream 连接"},
		{"feishu_app", `"url":"` + fs.URL + `","app_id":"` + feishufake.AppID + `","app_secret":"%s"`, "wrong",
			func(t *testing.T) <-chan struct{} { return fs.NextConn(t).Done() }, "飞书拒绝了长连接"},
	}
	secrets := map[string]string{"dingtalk_app": dingtalkfake.ClientSecret, "feishu_app": feishufake.AppSecret}
	for _, p := range platforms {
		t.Run(p.typ, func(t *testing.T) {
			e := start(t)
			imp := func(secret string, enabled bool) {
				e.ImportJSON(`{"channels":[{"name":"app","type":"` + p.typ + `","enabled":` + map[bool]string{true: "true", false: "false"}[enabled] +
					`,"config":{` + strings.Replace(p.cfg, "%s", secret, 1) + `}}]}`)
			}
			closed := func(done <-chan struct{}, why string) {
				t.Helper()
				select {
				case <-done:
				case <-time.After(5 * time.Second):
					t.Fatalf("%s: the connection stayed open", why)
				}
			}
			imp(secrets[p.typ], true)
			done := p.next(t)
			waitListener(t, e, "app")

			imp(p.wrong, true)
			closed(done, "changed secret")
			deadline := time.Now().Add(5 * time.Second)
			for st := e.App.ListenerStates()["app"]; !strings.Contains(st.Err, p.refusal); st = e.App.ListenerStates()["app"] {
				if time.Now().After(deadline) {
					t.Fatalf("state %+v: want 重连中 with %q", st, p.refusal)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if st := e.App.ListenerStates()["app"]; !strings.HasPrefix(st.Err, "重连中：") || st.Connected {
				t.Fatalf("state %+v", st)
			}

			imp(secrets[p.typ], true)
			done = p.next(t)
			waitListener(t, e, "app")
			imp(secrets[p.typ], false)
			closed(done, "disabled channel")
			if _, listed := e.App.ListenerStates()["app"]; listed {
				t.Fatal("a disabled channel still has a listener state")
			}

			imp(secrets[p.typ], true)
			done = p.next(t)
			waitListener(t, e, "app")
			e.App.StopServer()
			select {
			case <-done:
			case <-time.After(time.Second):
				t.Fatal("the server stopped with the connection still open")
			}
		})
	}
}
