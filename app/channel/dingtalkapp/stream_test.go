package dingtalkapp

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-dingtalk/dingtalk-stream-sdk-go/payload"

	"botgate/app/channel"
	"botgate/app/channel/dingtalkapp/dingtalkfake"
)

// inbox answers "答：<text>" and records what it heard and the states.
type inbox struct {
	mu     sync.Mutex
	heard  []channel.Incoming
	states []channel.ListenerState
	stateC chan channel.ListenerState
}

var _ channel.Inbox = (*inbox)(nil)

func newInbox() *inbox { return &inbox{stateC: make(chan channel.ListenerState, 64)} }

func (b *inbox) Answer(_ context.Context, in channel.Incoming) channel.Answer {
	b.mu.Lock()
	b.heard = append(b.heard, in)
	b.mu.Unlock()
	return channel.Answer{Reply: "答：" + in.Text, Keyword: "答"}
}

func (b *inbox) SetState(st channel.ListenerState) {
	b.mu.Lock()
	b.states = append(b.states, st)
	b.mu.Unlock()
	select {
	case b.stateC <- st:
	default: // nobody is waiting for states this far back
	}
}

func (b *inbox) last() channel.Incoming {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.heard[len(b.heard)-1]
}

// waitState waits for a state that ok accepts.
func (b *inbox) waitState(t *testing.T, what string, ok func(channel.ListenerState) bool) channel.ListenerState {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case st := <-b.stateC:
			if ok(st) {
				return st
			}
		case <-deadline:
			t.Fatalf("no %s state", what)
		}
	}
}

func connected(st channel.ListenerState) bool { return st.Connected }

// listen runs c.Listen until the test ends and checks it returns on cancel.
func listen(t *testing.T, c *Connector, in *inbox) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Listen(ctx, in) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			t.Error("Listen did not return after its context ended")
		}
	})
}

// A chat message from the Stream connection reaches the answerer with the
// bot's mention space gone and the staffId as sender, and the answer goes
// back through the message's sessionWebhook, @-ing the asker in a group.
func TestListen_AnswersThroughTheSessionWebhook(t *testing.T) {
	s := dingtalkfake.New(t)
	c := newConn(t, s.URL, nil)
	in := newInbox()
	listen(t, c, in)
	conn := s.NextConn(t)
	in.waitState(t, "connected", connected)

	opens := s.Opens()
	if len(opens) != 1 || !slices.ContainsFunc(opens[0].Subscriptions, func(m *payload.SubscriptionModel) bool {
		return m.Type == "CALLBACK" && m.Topic == payload.BotMessageCallbackTopic
	}) {
		t.Fatalf("gateway request %+v: want the bot message topic", opens)
	}

	msg := s.Text("manager4585", "张三", "cidGroup==", "账号 cs02")
	ack, err := conn.Push(msg)
	if err != nil || ack.Code != 200 {
		t.Fatalf("ack %+v, %v", ack, err)
	}
	got := s.NextSent(t)
	if got.Via != "session" || got.Param["content"] != "@manager4585 答：账号 cs02" || !reflect.DeepEqual(got.AtUserIDs, []string{"manager4585"}) {
		t.Fatalf("answer %+v: want the session webhook, @ the asker", got)
	}
	want := channel.Incoming{ID: msg.MsgId, Sender: "manager4585", SenderName: "张三", Group: "cidGroup==", Text: "账号 cs02"}
	if heard := in.last(); heard != want {
		t.Fatalf("heard %+v, want %+v", heard, want)
	}

	// One to one: no @, no group.
	if _, err := conn.Push(s.Text("u2", "李四", "", "账号 cs03")); err != nil {
		t.Fatal(err)
	}
	if got := s.NextSent(t); got.Via != "session" || got.Param["content"] != "答：账号 cs03" || got.AtUserIDs != nil {
		t.Fatalf("private answer %+v", got)
	}
	if heard := in.last(); heard.Group != "" || heard.Sender != "u2" {
		t.Fatalf("private message heard as %+v", heard)
	}

	// The platform's SYSTEM ping is answered with its data.
	pong, err := conn.Ping("o1")
	if err != nil || pong.Code != 200 || pong.Data != `{"opaque":"o1"}` {
		t.Fatalf("pong %+v, %v", pong, err)
	}
	// A picture has no keyword: acknowledged, not answered.
	pic := s.Text("u2", "李四", "", "")
	pic.Msgtype = "picture"
	if ack, err := conn.Push(pic); err != nil || ack.Code != 200 {
		t.Fatalf("picture ack %+v, %v", ack, err)
	}
}

// After about 90 minutes a sessionWebhook no longer works: the answer goes
// through the send APIs, to the person or to the group.
func TestListen_ExpiredSessionWebhook_AnswersThroughTheSendAPIs(t *testing.T) {
	s := dingtalkfake.New(t)
	c := newConn(t, s.URL, nil)
	in := newInbox()
	listen(t, c, in)
	conn := s.NextConn(t)

	for _, tt := range []struct {
		group, via string
		to         []string
	}{
		{"", "oto", []string{"u9"}},
		{"cidGroup==", "group", []string{"cidGroup=="}},
	} {
		msg := s.Text("u9", "王五", tt.group, "账号 cs09")
		msg.SessionWebhookExpiredTime = time.Now().Add(-time.Minute).UnixMilli()
		if _, err := conn.Push(msg); err != nil {
			t.Fatal(err)
		}
		got := s.NextSent(t)
		if got.Via != tt.via || !reflect.DeepEqual(got.To, tt.to) || got.Param["content"] != "答：账号 cs09" {
			t.Fatalf("answer %+v: want %s to %v", got, tt.via, tt.to)
		}
	}
}

// A dropped connection, or the platform's "disconnect", is opened again
// (new endpoint, new ticket), and messages after it are answered.
func TestListen_DroppedConnection_ReopenedAndAnswering(t *testing.T) {
	s := dingtalkfake.New(t)
	c := newConn(t, s.URL, nil)
	in := newInbox()
	listen(t, c, in)
	conn := s.NextConn(t)
	in.waitState(t, "connected", connected)

	for i, end := range []func(*dingtalkfake.Conn){(*dingtalkfake.Conn).Drop, (*dingtalkfake.Conn).Disconnect} {
		end(conn)
		st := in.waitState(t, "reconnecting", func(st channel.ListenerState) bool { return !st.Connected })
		if !strings.HasPrefix(st.Err, "重连中：") {
			t.Fatalf("state while reconnecting: %+v", st)
		}
		next := s.NextConn(t)
		if next.Ticket == conn.Ticket {
			t.Fatal("reconnected with the old ticket")
		}
		conn = next
		in.waitState(t, "connected again", connected)
		if _, err := conn.Push(s.Text("u1", "张三", "", "账号 after"+string(rune('0'+i)))); err != nil {
			t.Fatal(err)
		}
		if got := s.NextSent(t); got.Param["content"] != "答：账号 after"+string(rune('0'+i)) {
			t.Fatalf("answer after reconnect: %+v", got)
		}
	}
	if n := len(s.Opens()); n != 3 {
		t.Fatalf("%d gateway requests, want 3 (one per connection)", n)
	}
}

// A gateway that refuses the app (not published, Stream not chosen) shows
// why in the listener's state, and BotGate keeps trying with backoff.
func TestListen_StreamRefused_StateSaysWhatToDo(t *testing.T) {
	s := dingtalkfake.New(t)
	s.RefuseStream("Forbidden.AppNotPublished")
	c := newConn(t, s.URL, nil)
	in := newInbox()
	listen(t, c, in)
	st := in.waitState(t, "refused", func(st channel.ListenerState) bool { return !st.Connected })
	if !strings.Contains(st.Err, "Stream 模式") || !strings.Contains(st.Err, "应用已发布") {
		t.Fatalf("state %+v: want the reason and the next step", st)
	}
	in.waitState(t, "refused again", func(st channel.ListenerState) bool { return !st.Connected })
	s.RefuseStream("")
	s.NextConn(t)
	in.waitState(t, "connected once allowed", connected)
}

// Listen returns promptly when its context ends, with the connection open
// or while waiting to reconnect.
func TestListen_Stop_ReturnsPromptly(t *testing.T) {
	s := dingtalkfake.New(t)
	c := newConn(t, s.URL, nil)
	c.retryFirst = time.Hour
	in := newInbox()
	for _, drop := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.Listen(ctx, in) }()
		conn := s.NextConn(t)
		in.waitState(t, "connected", connected)
		if drop {
			conn.Drop()
			in.waitState(t, "waiting to reconnect", func(st channel.ListenerState) bool { return !st.Connected })
		}
		start := time.Now()
		cancel()
		select {
		case err := <-done:
			if err != context.Canceled || time.Since(start) > time.Second {
				t.Fatalf("Listen returned %v after %v", err, time.Since(start))
			}
		case <-time.After(3 * time.Second):
			t.Fatal("Listen did not return")
		}
		if !drop {
			select {
			case <-conn.Done():
			case <-time.After(2 * time.Second):
				t.Fatal("the connection stayed open after Listen returned")
			}
		}
	}
}
