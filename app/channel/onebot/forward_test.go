package onebot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
	"botgate/app/channel/onebot/onebottest"
)

// inbox is what a listener reports to and asks: it records the states and
// the messages, and answers each with reply.
type inbox struct {
	mu      sync.Mutex
	reply   string
	states  []channel.ListenerState
	asked   []channel.Incoming
	changed chan struct{}
}

func newInbox(reply string) *inbox { return &inbox{reply: reply, changed: make(chan struct{})} }

func (in *inbox) Answer(_ context.Context, m channel.Incoming) channel.Answer {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.asked = append(in.asked, m)
	in.poke()
	return channel.Answer{Reply: in.reply}
}

func (in *inbox) SetState(st channel.ListenerState) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.states = append(in.states, st)
	in.poke()
}

func (in *inbox) poke() { close(in.changed); in.changed = make(chan struct{}) }

func (in *inbox) state() channel.ListenerState {
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.states) == 0 {
		return channel.ListenerState{}
	}
	return in.states[len(in.states)-1]
}

func (in *inbox) everConnected() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, st := range in.states {
		if st.Connected {
			return true
		}
	}
	return false
}

// waitState waits until the last state satisfies ok.
func (in *inbox) waitState(t *testing.T, what string, ok func(channel.ListenerState) bool) channel.ListenerState {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		in.mu.Lock()
		ch := in.changed
		in.mu.Unlock()
		if st := in.state(); ok(st) {
			return st
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("state never became %s; states %+v", what, in.states)
		}
	}
}

func connected(st channel.ListenerState) bool { return st.Connected }

// listen runs c's Listen until the test ends, and checks it returns then.
func listen(t *testing.T, c channel.Listener, in *inbox) context.CancelFunc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Listen(ctx, in) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Listen did not return after its ctx ended")
		}
	})
	return cancel
}

func wsConn(t *testing.T, url, token string) *forward {
	t.Helper()
	ch, err := New(channel.Config{Name: "qq", Type: "onebot", Values: map[string]string{"transport": "ws", "url": url, "access_token": token}}, channel.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	f := ch.(*forward)
	f.retryMin, f.retryMax = 20*time.Millisecond, 100*time.Millisecond
	return f
}

func wsAddr(srv *httptest.Server) string { return "ws" + strings.TrimPrefix(srv.URL, "http") }

func params(t *testing.T, a onebottest.Action) map[string]any {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(a.Params, &p); err != nil {
		t.Fatalf("params of %s: %v", a.Action, err)
	}
	return p
}

func TestNew_Transports(t *testing.T) {
	tests := []struct {
		name    string
		vals    map[string]string
		want    any
		wantErr string
	}{
		{"no transport is http", map[string]string{"url": "http://127.0.0.1:3000"}, &Connector{}, ""},
		{"ws with a ws:// url", map[string]string{"transport": "ws", "url": "ws://127.0.0.1:3001"}, &forward{}, ""},
		{"ws with wss://", map[string]string{"transport": "WS", "url": "wss://bot.example.lan/ws"}, &forward{}, ""},
		{"ws-reverse needs no url", map[string]string{"transport": "ws-reverse"}, &reverse{}, ""},
		{"ws with an http url", map[string]string{"transport": "ws", "url": "http://127.0.0.1:3000"}, nil, "ws:// 或 wss://"},
		{"ws without url", map[string]string{"transport": "ws"}, nil, "缺少 url（正向 WebSocket 例如 ws://127.0.0.1:3001）"},
		{"unknown transport", map[string]string{"transport": "grpc", "url": "http://127.0.0.1:3000"}, nil, "只能是 http、ws 或 ws-reverse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := New(channel.Config{Name: "qq", Type: "onebot", Values: tt.vals}, channel.Deps{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || reflect.TypeOf(ch) != reflect.TypeOf(tt.want) {
				t.Fatalf("got %T, %v; want %T", ch, err, tt.want)
			}
		})
	}
}

// The form's url is required except with ws-reverse.
func TestType_URLNeededExceptReverse(t *testing.T) {
	for transport, want := range map[string][]string{"": {"url"}, "http": {"url"}, "ws": {"url"}, "ws-reverse": nil} {
		if got := Type.Needed(map[string]string{"transport": transport}); !reflect.DeepEqual(got, want) {
			t.Errorf("transport %q: needed %v, want %v", transport, got, want)
		}
	}
}

// Actions carry an echo, and each reply goes to the call whose echo it
// carries, whatever order they come back in: the slow send's success and
// the quick send's failure reach the right callers.
func TestForward_RepliesMatchedByEcho(t *testing.T) {
	fake := onebottest.New()
	fake.Token = "s3cret"
	fake.Delay = func(a onebottest.Action) time.Duration {
		if strings.Contains(string(a.Params), `"user_id":1001`) {
			return 300 * time.Millisecond
		}
		return 0
	}
	fake.Answer = func(a onebottest.Action) (any, int, string) {
		if strings.Contains(string(a.Params), `"user_id":1002`) {
			return nil, 1200, "无法获取用户信息"
		}
		return map[string]any{"message_id": 1}, 0, ""
	}
	srv := fake.Server(t)
	in := newInbox("")
	f := wsConn(t, wsAddr(srv), "s3cret")
	listen(t, f, in)
	in.waitState(t, "connected", connected)

	errs := make(chan error, 2)
	go func() {
		errs <- f.Send(context.Background(), channel.Message{Kind: channel.Private, To: "1001", Content: "慢"})
	}()
	fake.Wait(t, 2*time.Second, "the slow send", func() bool { return len(fake.Actions()) == 1 })
	quick := f.Send(context.Background(), channel.Message{Kind: channel.Private, To: "1002", Content: "快"})
	ct.WantError(t, quick, true, "该 QQ 号不存在")
	if err := <-errs; err != nil {
		t.Fatalf("the slow send got %v, want its own success", err)
	}
	acts := fake.Actions()
	if len(acts) != 2 || acts[0].Action != "send_private_msg" {
		t.Fatalf("actions %+v", acts)
	}
	var e1, e2 string
	json.Unmarshal(acts[0].Echo, &e1)
	json.Unmarshal(acts[1].Echo, &e2)
	if e1 == "" || e2 == "" || e1 == e2 {
		t.Fatalf("echoes %q %q: want two different strings", e1, e2)
	}
	if got := params(t, acts[0]); !reflect.DeepEqual(got, map[string]any{"user_id": 1001.0, "message": "慢", "auto_escape": true}) {
		t.Fatalf("params %v", got)
	}
}

// NapCat accepts the upgrade, sends retcode 1403 and closes: that is a
// wrong token (a configuration error), never shown as connected, and a send
// meanwhile fails at once saying so.
func TestForward_WrongToken_1403FrameIsAConfigurationError(t *testing.T) {
	fake := onebottest.New()
	fake.Token = "right"
	srv := fake.Server(t)
	in := newInbox("")
	f := wsConn(t, wsAddr(srv), "wrong")
	listen(t, f, in)
	st := in.waitState(t, "refused", func(st channel.ListenerState) bool { return strings.Contains(st.Err, "拒绝了 access_token") })
	if !strings.Contains(st.Err, "retcode 1403：token验证失败") || !strings.Contains(st.Err, "WebSocket服务器") {
		t.Fatalf("state %q", st.Err)
	}
	err := f.Send(context.Background(), channel.Message{Kind: channel.Private, To: "1", Content: "x"})
	ct.WantError(t, err, true, "拒绝了 access_token")
	if in.everConnected() {
		t.Fatalf("a refused connection was shown as connected: %+v", in.states)
	}
	if n := len(fake.Actions()); n != 0 {
		t.Fatalf("the refused connection carried %d actions", n)
	}
	// 测试连接 gives the same reason.
	ct.WantError(t, wsConn(t, wsAddr(srv), "wrong").Test(context.Background()), true, "拒绝了 access_token")
}

// An implementation that refuses the handshake itself (go-cqhttp, the spec)
// answers 401 without a token and 403 with a wrong one.
func TestForward_HandshakeRefused(t *testing.T) {
	for status, want := range map[int]string{401: "要求 access_token（HTTP 401）", 403: "拒绝了 access_token（HTTP 403）", 404: "不是 WebSocket 服务（HTTP 404）"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) }))
		in := newInbox("")
		f := wsConn(t, wsAddr(srv), "t")
		cancel := listen(t, f, in)
		in.waitState(t, want, func(st channel.ListenerState) bool { return strings.Contains(st.Err, want) })
		err := f.Send(context.Background(), channel.Message{Kind: channel.Private, To: "1", Content: "x"})
		ct.WantError(t, err, status != 404, want)
		cancel()
		srv.Close()
	}
}

func TestForward_NotConnected_SendWaitsInTheQueue(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := wsAddr(srv)
	srv.Close() // nothing listens there now
	f := wsConn(t, url, "")
	err := f.Send(context.Background(), channel.Message{Kind: channel.Private, To: "1", Content: "x"})
	ct.WantError(t, err, false, "OneBot 实现尚未连接")
	in := newInbox("")
	listen(t, f, in)
	in.waitState(t, "cannot connect", func(st channel.ListenerState) bool { return strings.Contains(st.Err, "无法连接") })
	err = f.Send(context.Background(), channel.Message{Kind: channel.Private, To: "1", Content: "x"})
	ct.WantError(t, err, false, "OneBot 实现尚未连接（无法连接 "+url)
}

// A message event on the socket goes to the answerer; the answer goes back
// as send_msg (no quick operation on a socket), in a group mentioning the
// sender.
func TestForward_EventAnsweredThroughSendMsg(t *testing.T) {
	tests := []struct {
		name, event string
		want        channel.Incoming
		params      map[string]any
	}{
		{"private", onebottest.Private(7, 289192968, "账号 cs02"),
			channel.Incoming{Channel: "qq", ID: "7", Sender: "289192968", SenderName: "测试员", Text: "账号 cs02"},
			map[string]any{"message_type": "private", "user_id": 289192968.0, "message": []any{map[string]any{"type": "text", "data": map[string]any{"text": "答[CQ:at,qq=all]"}}}}},
		{"group, with the bot mentioned", onebottest.Group(8, 552603, 10001, "账号"),
			channel.Incoming{Channel: "qq", ID: "8", Sender: "10001", SenderName: "销售-小明", Group: "552603", Text: "  账号"},
			map[string]any{"message_type": "group", "group_id": 552603.0, "message": []any{
				map[string]any{"type": "at", "data": map[string]any{"qq": "10001"}},
				map[string]any{"type": "text", "data": map[string]any{"text": " 答[CQ:at,qq=all]"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := onebottest.New()
			srv := fake.Server(t)
			in := newInbox("答[CQ:at,qq=all]")
			f := wsConn(t, wsAddr(srv), "")
			listen(t, f, in)
			in.waitState(t, "connected", connected)
			fake.Push(context.Background(), tt.event)
			fake.Wait(t, 3*time.Second, "send_msg", func() bool { return len(fake.Actions()) == 1 })
			a := fake.Actions()[0]
			if a.Action != "send_msg" || !reflect.DeepEqual(params(t, a), tt.params) {
				t.Fatalf("answered with %s %s", a.Action, a.Params)
			}
			in.mu.Lock()
			defer in.mu.Unlock()
			if len(in.asked) != 1 || !reflect.DeepEqual(in.asked[0], tt.want) {
				t.Fatalf("asked %+v, want %+v", in.asked, tt.want)
			}
		})
	}
}

// The bot's own messages (self_id from the events, as forward WebSocket has
// no X-Self-ID) and meta events are not questions.
func TestForward_OwnMessagesAndMetaEventsAreNotAsked(t *testing.T) {
	fake := onebottest.New()
	srv := fake.Server(t)
	in := newInbox("答")
	f := wsConn(t, wsAddr(srv), "")
	listen(t, f, in)
	in.waitState(t, "connected", connected)
	fake.Push(context.Background(), onebottest.Private(9, onebottest.SelfID, "账号"))
	fake.Push(context.Background(), `{"time":1,"self_id":10000,"post_type":"notice","notice_type":"group_increase","group_id":1,"user_id":2}`)
	fake.Push(context.Background(), onebottest.Private(10, 1, "账号"))
	fake.Wait(t, 3*time.Second, "the one answer", func() bool { return len(fake.Actions()) == 1 })
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.asked) != 1 || in.asked[0].ID != "10" {
		t.Fatalf("asked %+v, want only message 10", in.asked)
	}
}

// Heartbeats keep the state: QQ logged out (online=false) is shown.
func TestForward_HeartbeatOffline_Shown(t *testing.T) {
	fake := onebottest.New()
	fake.Heartbeat, fake.Online = 20*time.Millisecond, false
	srv := fake.Server(t)
	in := newInbox("")
	listen(t, wsConn(t, wsAddr(srv), ""), in)
	in.waitState(t, "offline", func(st channel.ListenerState) bool { return !st.Connected && st.Err == offline })
}

// The socket drops while a send waits for its reply: that send fails
// transiently (the outbox sends it again), the connection is made again,
// and the next attempt is delivered.
func TestForward_DroppedMidSend_ReconnectsAndDelivers(t *testing.T) {
	fake := onebottest.New()
	fake.DropNext("send_group_msg", 1)
	srv := fake.Server(t)
	in := newInbox("")
	f := wsConn(t, wsAddr(srv), "")
	listen(t, f, in)
	in.waitState(t, "connected", connected)
	m := channel.Message{Kind: channel.Group, To: "552603", Content: "第一条"}
	ct.WantError(t, f.Send(context.Background(), m), false, "断开")
	fake.Wait(t, 3*time.Second, "reconnected", func() bool { return fake.Connections() == 1 && connected(in.state()) })
	deadline := time.Now().Add(3 * time.Second)
	for {
		err := f.Send(context.Background(), m)
		if err == nil {
			break
		}
		if channel.IsPermanent(err) || time.Now().After(deadline) {
			t.Fatalf("resend: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if d := fake.Delivered(); len(d) != 1 || d[0].Message() != "第一条" {
		t.Fatalf("delivered %+v", d)
	}
}

// 测试连接 and 通讯录 work before the channel is saved (no listener runs):
// they make a connection of their own.
func TestForward_TestAndContacts_WithoutListener(t *testing.T) {
	fake := onebottest.New()
	fake.Token = "tok"
	srv := fake.Server(t)
	f := wsConn(t, wsAddr(srv), "tok")
	if err := f.Test(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Contacts(context.Background()); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range fake.Actions() {
		names = append(names, a.Action)
	}
	if !reflect.DeepEqual(names, []string{"get_login_info", "get_friend_list", "get_group_list"}) {
		t.Fatalf("actions %v", names)
	}
	fake.Wait(t, 3*time.Second, "the test connections closed", func() bool { return fake.Connections() == 0 })
}

// A peer that stops answering pings (a computer switched off, a NAT entry
// dropped) is cut off and dialled again: without the pings BotGate would
// wait on a dead socket and every send would time out.
func TestForward_SilentPeer_Redialled(t *testing.T) {
	var mu sync.Mutex
	accepted := 0
	hold := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		mu.Lock()
		accepted++
		mu.Unlock()
		c.Write(context.Background(), websocket.MessageText, []byte(`{"post_type":"meta_event","meta_event_type":"lifecycle","sub_type":"connect","self_id":10000}`))
		<-hold // never reads again: pings go unanswered
	}))
	t.Cleanup(func() { close(hold); srv.Close() })
	in := newInbox("")
	f := wsConn(t, wsAddr(srv), "")
	f.ping, f.pingWait = 50*time.Millisecond, 100*time.Millisecond
	listen(t, f, in)
	in.waitState(t, "connected", connected)
	in.waitState(t, "cut off", func(st channel.ListenerState) bool { return !st.Connected })
	in.waitState(t, "connected again", connected)
	mu.Lock()
	defer mu.Unlock()
	if accepted < 2 {
		t.Fatalf("accepted %d connections, want a second after the silent one", accepted)
	}
}
