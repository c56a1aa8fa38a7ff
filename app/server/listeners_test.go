package server

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"botgate/app/channel"
)

// echo answers every message with its channel and text.
type echo struct{}

func (echo) Answer(_ context.Context, in channel.Incoming) channel.Answer {
	return channel.Answer{Reply: in.Channel + ":" + in.Text}
}

// fakeListener reports itself connected, answers what arrives on hear, and
// counts how many of its Listen calls run at once.
type fakeListener struct {
	hear    chan string
	replies chan string
	running *atomic.Int32 // shared by the listeners of one channel
	overlap *atomic.Bool
	stopped chan struct{} // closed when Listen returned
	behave  func(ctx context.Context, in channel.Inbox) error
}

func newFake(running *atomic.Int32, overlap *atomic.Bool) *fakeListener {
	return &fakeListener{hear: make(chan string), replies: make(chan string, 8), running: running, overlap: overlap, stopped: make(chan struct{})}
}

func (f *fakeListener) Listen(ctx context.Context, in channel.Inbox) error {
	defer close(f.stopped)
	if f.running.Add(1) > 1 {
		f.overlap.Store(true)
	}
	defer f.running.Add(-1)
	if f.behave != nil {
		return f.behave(ctx, in)
	}
	in.SetState(channel.ListenerState{Connected: true})
	for {
		select {
		case <-ctx.Done():
			time.Sleep(20 * time.Millisecond) // a connection takes a moment to close
			return ctx.Err()
		case text := <-f.hear:
			// The connector names another channel: the inbox corrects it.
			f.replies <- in.Answer(ctx, channel.Incoming{Channel: "spoofed", Text: text}).Reply
		}
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 2s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func closed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func connected(ls *Listeners, name string) func() bool {
	return func() bool { return ls.States()[name].Connected }
}

func TestListeners_StartAnswerRestartStop(t *testing.T) {
	ls := NewListeners(echo{}, quiet(), nil)
	var running atomic.Int32
	var overlap atomic.Bool
	v1 := newFake(&running, &overlap)
	key1, key2 := new(int), new(int)

	ls.Sync([]ListenerSpec{{Channel: "qq", Listener: v1, Key: key1}})
	if st := ls.States()["qq"]; st.Connected || st.Err == "" || st.Since.IsZero() {
		t.Fatalf("state before the listener reported: %+v, want connecting", st)
	}
	waitUntil(t, "connected", connected(ls, "qq"))
	v1.hear <- "账号"
	if got := <-v1.replies; got != "qq:账号" {
		t.Fatalf("reply %q: want the answerer's, for channel qq", got)
	}

	// The same key again: nothing restarts.
	ls.Sync([]ListenerSpec{{Channel: "qq", Listener: v1, Key: key1}})
	if closed(v1.stopped) {
		t.Fatal("an unchanged channel's listener was restarted")
	}

	// Another key: the old one stops before the new one starts.
	v2 := newFake(&running, &overlap)
	ls.Sync([]ListenerSpec{{Channel: "qq", Listener: v2, Key: key2}})
	waitUntil(t, "restarted and connected", func() bool { return closed(v1.stopped) && connected(ls, "qq")() })
	if overlap.Load() {
		t.Fatal("the old and the new listener of one channel ran at once")
	}
	v2.hear <- "零件"
	if got := <-v2.replies; got != "qq:零件" {
		t.Fatalf("reply after restart %q", got)
	}

	// Removed: stopped, and its state gone.
	ls.Sync(nil)
	waitUntil(t, "removed listener stopped", func() bool { return closed(v2.stopped) })
	if _, ok := ls.States()["qq"]; ok {
		t.Fatal("state of a removed listener is still reported")
	}

	// Stop waits for every listener; Sync after it starts nothing.
	v3 := newFake(&running, &overlap)
	ls.Sync([]ListenerSpec{{Channel: "wx", Listener: v3, Key: key1}})
	waitUntil(t, "wx connected", connected(ls, "wx"))
	ls.Stop(context.Background())
	if !closed(v3.stopped) {
		t.Fatal("Stop returned before the listener did")
	}
	v4 := newFake(&running, &overlap)
	ls.Sync([]ListenerSpec{{Channel: "wx", Listener: v4, Key: key2}})
	time.Sleep(50 * time.Millisecond)
	if running.Load() != 0 || len(ls.States()) != 0 {
		t.Fatalf("after Stop: %d running, states %v", running.Load(), ls.States())
	}
}

// A listener that gives up (returns, or panics) before the server stops says
// why in its state; a stale run cannot overwrite its successor's state.
func TestListeners_GivingUpIsReported(t *testing.T) {
	tests := []struct {
		name   string
		behave func(ctx context.Context, in channel.Inbox) error
		want   string
	}{
		{"returns an error", func(context.Context, channel.Inbox) error {
			return channel.Permanentf(nil, "机器人的 WebSocket 地址无效")
		}, "接收消息的连接已停止：机器人的 WebSocket 地址无效"},
		{"returns nil", func(context.Context, channel.Inbox) error { return nil }, "连接意外结束"},
		{"panics", func(context.Context, channel.Inbox) error { panic("boom") }, "出错停止了（boom）"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ls := NewListeners(echo{}, quiet(), nil)
			defer ls.Stop(context.Background())
			var running atomic.Int32
			var overlap atomic.Bool
			f := newFake(&running, &overlap)
			f.behave = tt.behave
			ls.Sync([]ListenerSpec{{Channel: "qq", Listener: f, Key: 1}})
			waitUntil(t, "state reports the failure", func() bool { return strings.Contains(ls.States()["qq"].Err, tt.want) })
			if st := ls.States()["qq"]; st.Connected || !strings.Contains(st.Err, "修改通道配置或重启服务") {
				t.Fatalf("state %+v: the admin must read what to do", st)
			}
		})
	}

	t.Run("a replaced listener's late report is ignored", func(t *testing.T) {
		ls := NewListeners(echo{}, quiet(), nil)
		defer ls.Stop(context.Background())
		var inboxes sync.Map
		mk := func(key int) *fakeListener {
			var running atomic.Int32
			var overlap atomic.Bool
			f := newFake(&running, &overlap)
			f.behave = func(ctx context.Context, in channel.Inbox) error {
				inboxes.Store(key, in)
				<-ctx.Done()
				return ctx.Err()
			}
			return f
		}
		ls.Sync([]ListenerSpec{{Channel: "qq", Listener: mk(1), Key: 1}})
		waitUntil(t, "first running", func() bool { _, ok := inboxes.Load(1); return ok })
		ls.Sync([]ListenerSpec{{Channel: "qq", Listener: mk(2), Key: 2}})
		waitUntil(t, "second running", func() bool { _, ok := inboxes.Load(2); return ok })
		old, _ := inboxes.Load(1)
		old.(channel.Inbox).SetState(channel.ListenerState{Connected: true})
		if st := ls.States()["qq"]; st.Connected {
			t.Fatalf("state %+v: the stopped listener's report was taken", st)
		}
	})
}

// Stop is bounded: a listener that ignores its context does not hold the
// server's stop past the budget.
func TestListeners_StopIsBounded(t *testing.T) {
	ls := NewListeners(echo{}, quiet(), nil)
	release := make(chan struct{})
	defer close(release)
	var running atomic.Int32
	var overlap atomic.Bool
	f := newFake(&running, &overlap)
	f.behave = func(context.Context, channel.Inbox) error { <-release; return errors.New("late") }
	ls.Sync([]ListenerSpec{{Channel: "qq", Listener: f, Key: 1}})
	waitUntil(t, "running", func() bool { return running.Load() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	ls.Stop(ctx)
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Stop took %v with a 50ms budget", d)
	}
}

// OnConnected hears each time a channel's listener connects after it was
// not: the first connection and every one after a drop, not each report
// while it stays connected.
func TestListeners_OnConnected_AtEachNewConnection(t *testing.T) {
	var running atomic.Int32
	var overlap atomic.Bool
	states := make(chan channel.ListenerState)
	f := newFake(&running, &overlap)
	f.behave = func(ctx context.Context, in channel.Inbox) error {
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case st := <-states:
				in.SetState(st)
			}
		}
	}
	ls := NewListeners(echo{}, nil, nil)
	var mu sync.Mutex
	var heard []string
	ls.OnConnected(func(name string) { mu.Lock(); heard = append(heard, name); mu.Unlock() })
	ls.Sync([]ListenerSpec{{Channel: "qq", Listener: f, Key: 1}})
	defer ls.Stop(context.Background())
	for _, st := range []channel.ListenerState{{Connected: true}, {Connected: true}, {Err: "断开"}, {Connected: true}} {
		states <- st
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(heard) }
	waitUntil(t, "two connections heard", func() bool { return count() == 2 })
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(heard) != 2 || heard[0] != "qq" || heard[1] != "qq" {
		t.Fatalf("heard %v, want qq twice", heard)
	}
}
