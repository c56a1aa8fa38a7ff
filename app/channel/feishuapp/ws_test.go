package feishuapp

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"botgate/app/channel"
	"botgate/app/channel/feishuapp/feishufake"
	"botgate/app/channel/feishuapp/wsframe"
)

type inbox struct {
	mu     sync.Mutex
	heard  []channel.Incoming
	stateC chan channel.ListenerState
}

var _ channel.Inbox = (*inbox)(nil)

func newInbox() *inbox { return &inbox{stateC: make(chan channel.ListenerState, 64)} }

func (b *inbox) Answer(_ context.Context, in channel.Incoming) channel.Answer {
	b.mu.Lock()
	b.heard = append(b.heard, in)
	b.mu.Unlock()
	return channel.Answer{Reply: "答：" + in.Text}
}

func (b *inbox) SetState(st channel.ListenerState) {
	select {
	case b.stateC <- st:
	default:
	}
}

func (b *inbox) heardAll() []channel.Incoming {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]channel.Incoming(nil), b.heard...)
}

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
func down(st channel.ListenerState) bool      { return !st.Connected }

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

func ack(t *testing.T, c *feishufake.Conn, event []byte, parts int) {
	t.Helper()
	resp, err := c.Push(event, parts)
	if err != nil || !strings.HasPrefix(string(resp), `{"code":200`) {
		t.Fatalf("response %s, %v: want code 200", resp, err)
	}
}

// A message to the bot arrives over the long connection (whole, or split
// in parts), reaches the answerer with the bot's @ gone and the sender's
// open_id, and the answer is a reply to that message.
func TestListen_AnswersByReplying(t *testing.T) {
	s := feishufake.New(t)
	c := newConn(t, s.URL, nil)
	in := newInbox()
	listen(t, c, in)
	conn := s.NextConn(t)
	in.waitState(t, "connected", connected)
	if p := conn.NextPing(t); p.Service != feishufake.ServiceID || p.Get(wsframe.HeaderType) != "ping" {
		t.Fatalf("ping %+v", p)
	}

	ev := s.Text("ou_asker", "oc_fakegroup0001", "@_user_1 账号 @_user_2 cs02", feishufake.BotMention, feishufake.Mention{Key: "@_user_2", OpenID: "ou_x", Name: "王五"})
	ack(t, conn, ev, 3)
	got := s.NextSent(t)
	if !strings.HasPrefix(got.ReplyTo, "om_fakein") || got.MsgType != "text" || got.Content["text"] != "答：账号 @王五 cs02" || got.UUID != "r-"+got.ReplyTo {
		t.Fatalf("reply %+v", got)
	}
	heard := in.heardAll()[0]
	if heard.Sender != "ou_asker" || heard.Group != "oc_fakegroup0001" || heard.Text != "账号 @王五 cs02" || heard.ID != got.ReplyTo {
		t.Fatalf("heard %+v", heard)
	}

	// One to one: no group; the text is as typed.
	ack(t, conn, s.Text("ou_asker", "", "账号 cs03"), 1)
	if got := s.NextSent(t); got.Content["text"] != "答：账号 cs03" {
		t.Fatalf("p2p reply %+v", got)
	}
	if h := in.heardAll()[1]; h.Group != "" || h.Text != "账号 cs03" {
		t.Fatalf("p2p heard %+v", h)
	}

	// Another app's event and a picture are acknowledged and not answered.
	other := strings.Replace(string(s.Text("ou_asker", "", "账号 x")), feishufake.AppID, "cli_other", 1)
	ack(t, conn, []byte(other), 1)
	pic := strings.Replace(string(s.Text("ou_asker", "", "x")), `"message_type":"text"`, `"message_type":"image"`, 1)
	ack(t, conn, []byte(pic), 1)
	time.Sleep(50 * time.Millisecond)
	if n := len(in.heardAll()); n != 2 {
		t.Fatalf("heard %d messages, want 2", n)
	}
}

// A reply Feishu refuses (the message was recalled) becomes a message to
// the chat.
func TestListen_ReplyRefused_SentToTheChat(t *testing.T) {
	s := feishufake.New(t)
	c := newConn(t, s.URL, nil)
	in := newInbox()
	listen(t, c, in)
	conn := s.NextConn(t)
	ev := strings.Replace(string(s.Text("ou_asker", "oc_fakegroup0001", "@_user_1 账号", feishufake.BotMention)), `"message_id":"om_`, `"message_id":"gone_`, 1)
	ack(t, conn, []byte(ev), 1)
	got := s.NextSent(t)
	if got.ReplyTo != "" || got.ReceiveID != "oc_fakegroup0001" || got.Content["text"] != "答：账号" {
		t.Fatalf("fallback %+v: want a message to the chat", got)
	}
}

// A dropped connection, or one whose pings go unanswered, is opened again
// (a new endpoint), and messages after it are answered.
func TestListen_DroppedOrSilent_Reopened(t *testing.T) {
	s := feishufake.New(t)
	s.PingInterval(1)
	c := newConn(t, s.URL, nil)
	in := newInbox()
	listen(t, c, in)
	conn := s.NextConn(t)
	in.waitState(t, "connected", connected)

	for i, end := range []func(*feishufake.Conn){(*feishufake.Conn).Drop, (*feishufake.Conn).Mute} {
		end(conn)
		st := in.waitState(t, "reconnecting", down)
		if !strings.HasPrefix(st.Err, "重连中：") {
			t.Fatalf("state %+v", st)
		}
		if i == 1 && !strings.Contains(st.Err, "心跳超时") {
			t.Fatalf("silent connection: state %+v, want the heartbeat timeout", st)
		}
		conn = s.NextConn(t)
		in.waitState(t, "connected again", connected)
		ack(t, conn, s.Text("ou_a", "", "账号 again"), 1)
		if got := s.NextSent(t); got.Content["text"] != "答：账号 again" {
			t.Fatalf("after reconnect: %+v", got)
		}
	}
	if n := s.Endpoints(); n != 3 {
		t.Fatalf("%d endpoint requests, want 3", n)
	}
}

// Refusals say what to do: the endpoint's code (app not published, event
// not subscribed), or the upgrade's Handshake-* headers.
func TestListen_Refused_StateSaysWhatToDo(t *testing.T) {
	s := feishufake.New(t)
	s.RefuseStream(1000040346, "app not subscribe event")
	c := newConn(t, s.URL, nil)
	in := newInbox()
	listen(t, c, in)
	st := in.waitState(t, "refused", down)
	if !strings.Contains(st.Err, "1000040346") || !strings.Contains(st.Err, "使用长连接接收事件") || !strings.Contains(st.Err, "im.message.receive_v1") {
		t.Fatalf("state %+v", st)
	}
	s.RefuseStream(0, "")
	s.RefuseHandshake(514, "exceed connection limit", 1000040350)
	st = in.waitState(t, "too many connections", func(st channel.ListenerState) bool {
		return !st.Connected && strings.Contains(st.Err, "长连接数已达上限")
	})
	s.RefuseHandshake(0, "", 0)
	s.NextConn(t)
	in.waitState(t, "connected once allowed", connected)
}

func TestListen_Stop_ReturnsPromptly(t *testing.T) {
	s := feishufake.New(t)
	c := newConn(t, s.URL, nil)
	in := newInbox()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Listen(ctx, in) }()
	conn := s.NextConn(t)
	in.waitState(t, "connected", connected)
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
	select {
	case <-conn.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("the connection stayed open")
	}
}
