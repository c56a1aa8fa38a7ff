package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"botgate/app/channel/onebot/onebottest"
)

// OneBot over reverse WebSocket through the whole server: NapCat (the fake)
// connects to ws://BotGate/onebot/v11/ws/{channel}; the route, the
// connector, the outbox and the answerer do the rest.

func reverseEnv(t *testing.T) (*env, string) {
	t.Helper()
	e := start(t)
	e.ImportJSON(`{"channels":[
	  {"name":"qq","type":"onebot","config":{"transport":"ws-reverse","access_token":"s3cret"}},
	  {"name":"qqhttp","type":"onebot","config":{"url":"http://127.0.0.1:1"}}]}`)
	return e, "ws" + strings.TrimPrefix(e.Base, "http") + "/onebot/v11/ws/"
}

// keep connects fake to url until the test ends (or cancel).
func keep(t *testing.T, fake *onebottest.Fake, url, role string) context.CancelFunc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); fake.Connect(ctx, url, "s3cret", role) }()
	t.Cleanup(func() { cancel(); <-done })
	fake.Wait(t, 5*time.Second, "connected", func() bool { return fake.Connections() == 1 })
	return cancel
}

func TestOneBotReverse_RefusedBeforeTheUpgrade(t *testing.T) {
	e, base := reverseEnv(t)
	fake := onebottest.New()
	tests := []struct {
		name, path, token string
		status            int
	}{
		{"missing token", "qq", "", http.StatusUnauthorized},
		{"wrong token", "qq", "bad", http.StatusForbidden},
		{"unknown channel", "nosuch", "s3cret", http.StatusNotFound},
		{"a channel over http", "qqhttp", "s3cret", http.StatusNotFound},
		{"an unknown sub-path", "qq/universal", "s3cret", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, err := fake.Connect(context.Background(), base+tt.path, tt.token, "Universal")
			if err == nil || status != tt.status {
				t.Fatalf("status %d, %v; want %d", status, err, tt.status)
			}
		})
	}
	// The refusal is explained in the channel's envelope, for NapCat's log.
	status, body := e.Request(http.MethodGet, "/onebot/v11/ws/qqhttp", "", "")
	if status != http.StatusNotFound || !strings.Contains(body, "transport 改为 ws-reverse") {
		t.Fatalf("plain GET: %d %s", status, body)
	}
	if len(fake.Actions()) != 0 {
		t.Fatal("a refused implementation got actions")
	}
}

// A send queued while no implementation is connected waits (transient,
// named), and is delivered once NapCat connects; chat messages it reports
// are answered through send_msg.
func TestOneBotReverse_QueuedSendDeliveredAndChatAnswered(t *testing.T) {
	e, base := reverseEnv(t)
	q := e.Auth()
	q.Set("channel", "qq")
	q.Set("QQ", seedQQ)
	q.Set("content", "连上之前")
	env, raw := e.QQAP(http.MethodGet, q.Encode(), "", "")
	if env.Errcode != 0 {
		t.Fatalf("send: %s", raw)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		m, err := e.App.DB().Message(context.Background(), env.MsgID)
		if err != nil {
			t.Fatal(err)
		}
		if m.Attempts > 0 {
			if m.Status != "queued" || !strings.Contains(m.LastError, "OneBot 实现尚未连接") || !strings.Contains(m.LastError, "/onebot/v11/ws/qq") {
				t.Fatalf("before NapCat connects: %+v", m)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the send was never tried")
		}
		time.Sleep(10 * time.Millisecond)
	}

	fake := onebottest.New()
	keep(t, fake, base+"qq", "Universal")
	e.WaitStatus(env.MsgID, "delivered")
	if d := fake.Delivered(); len(d) != 1 || d[0].Action != "send_private_msg" || d[0].Message() != "连上之前" {
		t.Fatalf("NapCat got %+v", d)
	}
	if st := e.App.ListenerStates()["qq"]; !st.Connected {
		t.Fatalf("state %+v", st)
	}

	fake.Push(context.Background(), onebottest.Group(41, 552603, 10001, "账号 cs02"))
	fake.Wait(t, 5*time.Second, "the answer", func() bool { return len(fake.Actions()) == 2 })
	a := fake.Actions()[1]
	var p map[string]any
	json.Unmarshal(a.Params, &p)
	want := map[string]any{"message_type": "group", "group_id": 552603.0, "message": []any{
		map[string]any{"type": "at", "data": map[string]any{"qq": "10001"}},
		map[string]any{"type": "text", "data": map[string]any{"text": " 测试员02(cs02) QQ 2303831209"}}}}
	if a.Action != "send_msg" || !reflect.DeepEqual(p, want) {
		t.Fatalf("answer %s %s", a.Action, a.Params)
	}
}

// Implementations that split the roles connect at …/api and …/event.
func TestOneBotReverse_APIAndEventPaths(t *testing.T) {
	e, base := reverseEnv(t)
	events, api := onebottest.New(), onebottest.New()
	keep(t, events, base+"qq/event", "")
	keep(t, api, base+"qq/api", "")
	q := url.Values{"channel": {"qq"}, "QQ": {seedQQ}, "content": {"走 API"}}
	for k, v := range e.Auth() {
		q[k] = v
	}
	env, raw := e.QQAP(http.MethodGet, q.Encode(), "", "")
	if env.Errcode != 0 {
		t.Fatalf("send: %s", raw)
	}
	e.WaitStatus(env.MsgID, "delivered")
	if len(api.Delivered()) != 1 || len(events.Actions()) != 0 {
		t.Fatalf("API got %+v, Event got %+v", api.Actions(), events.Actions())
	}
}
