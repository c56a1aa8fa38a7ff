package onebot

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
	"botgate/app/channel/onebot/onebottest"
	"botgate/model"
)

// reverseServer is BotGate's side of a ws-reverse channel named qq: an HTTP
// server that hands /onebot/v11/ws/qq[/sub] to the connector, as apiserver
// does, and encodes its refusals.
func reverseServer(t *testing.T, token string) (*reverse, string) {
	t.Helper()
	ch, err := New(channel.Config{Name: "qq", Type: "onebot", Values: map[string]string{"transport": "ws-reverse", "access_token": token}}, channel.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	r := ch.(*reverse)
	r.wait = 100 * time.Millisecond
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rest, ok := strings.CutPrefix(req.URL.Path, AcceptPath+"qq")
		if !ok {
			http.NotFound(w, req)
			return
		}
		if err := r.Accept(w, req, strings.TrimPrefix(rest, "/")); err != nil {
			var we *channel.WebhookError
			errors.As(err, &we)
			http.Error(w, we.Msg, we.Status)
		}
	}))
	t.Cleanup(srv.Close)
	return r, "ws" + strings.TrimPrefix(srv.URL, "http") + AcceptPath + "qq"
}

// connectFake connects fake to url as role until the test ends.
func connectFake(t *testing.T, fake *onebottest.Fake, url, token, role string) context.CancelFunc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); fake.Connect(ctx, url, token, role) }()
	t.Cleanup(func() { cancel(); <-done })
	fake.Wait(t, 3*time.Second, "connected", func() bool { return fake.Connections() == 1 })
	return cancel
}

// NapCat's “WebSocket客户端” connects as Universal: sends go over that
// connection, and the events it brings are answered through it.
func TestReverse_Universal_SendsAndAnswers(t *testing.T) {
	r, url := reverseServer(t, "s3cret")
	in := newInbox("答")
	listen(t, r, in)
	st := in.waitState(t, "waiting", func(st channel.ListenerState) bool { return strings.Contains(st.Err, "等待 NapCat/LLBot") })
	if !strings.Contains(st.Err, "/onebot/v11/ws/qq") {
		t.Fatalf("the waiting state should give the address: %q", st.Err)
	}
	ct.WantError(t, r.Send(context.Background(), channel.Message{Kind: channel.Private, To: "1", Content: "早"}), false, "OneBot 实现尚未连接")

	fake := onebottest.New()
	connectFake(t, fake, url, "s3cret", "Universal")
	in.waitState(t, "connected", connected)
	if err := r.Send(context.Background(), channel.Message{Kind: channel.Group, To: "552603", Content: "到货通知"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Test(context.Background()); err != nil {
		t.Fatal(err)
	}
	fake.Push(context.Background(), onebottest.Private(3, 1001, "账号"))
	fake.Wait(t, 3*time.Second, "the answer", func() bool { return len(fake.Actions()) == 3 })
	acts := fake.Actions()
	if acts[0].Action != "send_group_msg" || acts[0].Message() != "到货通知" || acts[1].Action != "get_login_info" || acts[2].Action != "send_msg" {
		t.Fatalf("actions %+v", acts)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	// X-Self-ID tells the bot's QQ; the message is from someone else.
	if len(in.asked) != 1 || in.asked[0].Sender != "1001" || in.asked[0].Text != "账号" {
		t.Fatalf("asked %+v", in.asked)
	}
}

// The token is checked before the upgrade, in the header (Bearer, or
// CQHTTP's Token) or the query; a channel without one takes only this
// computer.
func TestReverse_Authorization(t *testing.T) {
	tests := []struct {
		name, token, auth, query, remote string
		status                           int // 0: accepted
		word                             string
	}{
		{"Bearer token", "s3cret", "Bearer s3cret", "", "127.0.0.1:5000", 0, ""},
		{"Token scheme", "s3cret", "Token s3cret", "", "127.0.0.1:5000", 0, ""},
		{"query access_token", "s3cret", "", "access_token=s3cret", "172.17.0.2:5000", 0, ""},
		{"NapCat's empty Bearer with a token in the query", "s3cret", "Bearer ", "access_token=s3cret", "172.17.0.2:5000", 0, ""},
		{"missing token", "s3cret", "Bearer ", "", "127.0.0.1:5000", 401, "缺少 access_token"},
		{"wrong token", "s3cret", "Bearer s3cre", "", "127.0.0.1:5000", 403, "access_token 不对"},
		{"wrong query token", "s3cret", "", "access_token=x", "127.0.0.1:5000", 403, "access_token 不对"},
		{"no channel token: this computer", "", "Bearer ", "", "127.0.0.1:5000", 0, ""},
		{"no channel token: another computer", "", "Bearer anything", "", "192.168.1.23:5000", 403, "只接受本机"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := reverseServer(t, tt.token)
			req := httptest.NewRequest(http.MethodGet, "/onebot/v11/ws/qq?"+tt.query, nil)
			req.Header.Set("Authorization", tt.auth)
			req.RemoteAddr = tt.remote
			err := r.authorize(req, strings.Split(tt.remote, ":")[0])
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var we *channel.WebhookError
			if !errors.As(err, &we) || we.Status != tt.status || we.Code != model.CodeUnauthorized || !strings.Contains(we.Msg, tt.word) {
				t.Fatalf("got %v, want %d mentioning %q", err, tt.status, tt.word)
			}
		})
	}
}

// Over the wire: a refused implementation gets the HTTP status at the
// handshake (NapCat logs it and retries), and the window says why the
// channel still waits.
func TestReverse_WrongOrMissingToken_RefusedAtHandshake(t *testing.T) {
	r, url := reverseServer(t, "s3cret")
	in := newInbox("")
	listen(t, r, in)
	fake := onebottest.New()
	for _, tt := range []struct {
		token  string
		status int
	}{{"", 401}, {"nope", 403}} { // the wrong one last: the state shows it
		got, err := fake.Connect(context.Background(), url, tt.token, "Universal")
		if err == nil || got != tt.status {
			t.Fatalf("token %q: status %d, %v; want %d", tt.token, got, err, tt.status)
		}
	}
	st := in.waitState(t, "refusal shown", func(st channel.ListenerState) bool { return strings.Contains(st.Err, "最近一次连接被拒绝") })
	if !strings.Contains(st.Err, "access_token 不对") {
		t.Fatalf("state %q", st.Err)
	}
	if len(fake.Actions()) != 0 || in.everConnected() {
		t.Fatal("a refused implementation got a connection")
	}
}

// Implementations that split the roles connect twice: API (actions) and
// Event (events), told apart by X-Client-Role or, without it, by the path.
func TestReverse_APIAndEventPair(t *testing.T) {
	for _, byHeader := range []bool{true, false} {
		name := "by X-Client-Role"
		if !byHeader {
			name = "by path"
		}
		t.Run(name, func(t *testing.T) {
			r, url := reverseServer(t, "")
			in := newInbox("答")
			listen(t, r, in)
			role := func(h string) string {
				if byHeader {
					return h
				}
				return ""
			}
			events, api := onebottest.New(), onebottest.New()
			connectFake(t, events, url+"/event", "", role("Event"))
			st := in.waitState(t, "event only", func(st channel.ListenerState) bool { return strings.Contains(st.Err, "还缺 API 连接") })
			if st.Connected {
				t.Fatal("connected without an API connection")
			}
			ct.WantError(t, r.Send(context.Background(), channel.Message{Kind: channel.Private, To: "1", Content: "x"}), false, "尚未连接")
			connectFake(t, api, url+"/api", "", role("API"))
			in.waitState(t, "connected", connected)
			if err := r.Send(context.Background(), channel.Message{Kind: channel.Private, To: "1", Content: "走 API"}); err != nil {
				t.Fatal(err)
			}
			events.Push(context.Background(), onebottest.Group(5, 552603, 1001, "账号"))
			api.Wait(t, 3*time.Second, "the answer on the API connection", func() bool { return len(api.Actions()) == 2 })
			if acts := api.Actions(); acts[0].Message() != "走 API" || acts[1].Action != "send_msg" {
				t.Fatalf("API connection got %+v", acts)
			}
			if n := len(events.Actions()); n != 0 {
				t.Fatalf("the Event connection got %d actions", n)
			}
		})
	}
}

// A new connection of a role replaces the old one, which is closed: NapCat
// restarted before BotGate noticed the old socket was gone.
func TestReverse_NewConnectionReplacesOld(t *testing.T) {
	r, url := reverseServer(t, "")
	in := newInbox("")
	listen(t, r, in)
	old, newer := onebottest.New(), onebottest.New()
	connectFake(t, old, url, "", "Universal")
	in.waitState(t, "connected", connected)
	connectFake(t, newer, url, "", "Universal")
	old.Wait(t, 3*time.Second, "the old connection closed", func() bool { return old.Connections() == 0 })
	if err := r.Send(context.Background(), channel.Message{Kind: channel.Private, To: "1", Content: "新"}); err != nil {
		t.Fatal(err)
	}
	if len(old.Actions()) != 0 || len(newer.Delivered()) != 1 {
		t.Fatalf("old got %+v, new got %+v", old.Actions(), newer.Actions())
	}
	if !connected(in.state()) {
		t.Fatalf("state after the replacement: %+v", in.state())
	}
}

// When the listener stops (server stop, channel changed) the connections
// close; one arriving while no listener runs is asked to come back later.
func TestReverse_ListenerStop_ClosesAndRefuses(t *testing.T) {
	r, url := reverseServer(t, "")
	in := newInbox("")
	cancel := listen(t, r, in)
	fake := onebottest.New()
	connectFake(t, fake, url, "", "Universal")
	cancel()
	fake.Wait(t, 3*time.Second, "closed at the stop", func() bool { return fake.Connections() == 0 })
	status, err := fake.Connect(context.Background(), url, "", "Universal")
	if err == nil || status != http.StatusServiceUnavailable {
		t.Fatalf("connecting with no listener: %d %v, want 503", status, err)
	}
	ct.WantError(t, r.Send(context.Background(), channel.Message{Kind: channel.Private, To: "1", Content: "x"}), false, "尚未连接")
}

func TestReverse_UnknownSubPathOrRole_Refused(t *testing.T) {
	for _, tt := range []struct {
		header, sub string
		status      int
	}{{"", "universal", 404}, {"", "api/x", 404}, {"Master", "", 400}} {
		_, err := clientRole(tt.header, tt.sub)
		var we *channel.WebhookError
		if !errors.As(err, &we) || we.Status != tt.status {
			t.Errorf("role %q at %q: %v, want %d", tt.header, tt.sub, err, tt.status)
		}
	}
	for _, tt := range []struct{ header, sub, want string }{
		{"Universal", "api", roleUniversal}, // NapCat sends Universal whatever the path
		{"", "api", roleAPI}, {"", "event/", roleEvent}, {"", "", roleUniversal}, {"API", "", roleAPI},
	} {
		if got, err := clientRole(tt.header, tt.sub); err != nil || got != tt.want {
			t.Errorf("role %q at %q: %q %v, want %q", tt.header, tt.sub, got, err, tt.want)
		}
	}
}

// Over http and ws the connector refuses reverse connections, saying which
// setting to change.
func TestAccept_OtherTransportsRefuse(t *testing.T) {
	c, err := New(channel.Config{Name: "qq", Type: "onebot", Values: map[string]string{"url": "http://127.0.0.1:3000"}}, channel.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	err = c.(channel.Acceptor).Accept(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/onebot/v11/ws/qq", nil), "")
	var we *channel.WebhookError
	if !errors.As(err, &we) || we.Status != 404 || !strings.Contains(we.Msg, "transport 改为 ws-reverse") {
		t.Fatalf("got %v", err)
	}
}
