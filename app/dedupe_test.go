package app

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestChat_RepeatedMessageID_AnsweredOnce(t *testing.T) {
	var logBuf bytes.Buffer
	a := openChatAppLog(t, slog.New(slog.NewTextHandler(&logBuf, nil)))
	clock := &fakeClock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.Local)}
	c := a.NewChat(ChatConfig{Now: clock.Now})
	ctx := context.Background()
	ask := func(channel, id string) ChatAnswer {
		return c.Handle(ctx, ChatMessage{Channel: channel, ID: id, Sender: "289192968", Text: "账号 cs02"})
	}
	steps := []struct {
		name          string
		channel, id   string
		wait          time.Duration
		wantDuplicate bool
	}{
		{"first delivery is answered", "qq", "7", 0, false},
		{"the same id again is not", "qq", "7", 0, true},
		{"a retry minutes later is not", "qq", "7", 9 * time.Minute, true},
		{"another id is answered", "qq", "8", 0, false},
		{"the same id on another channel is another message", "qq2", "7", 0, false},
		{"a message without an id is never deduplicated", "qq", "", 0, false},
		{"nor the second time", "qq", "", 0, false},
		{"after the TTL the id is forgotten", "qq", "7", dedupeTTL, false},
	}
	for _, st := range steps {
		clock.Add(st.wait)
		before := len(inbound(t, a))
		got := ask(st.channel, st.id)
		after := len(inbound(t, a))
		if st.wantDuplicate {
			if !got.Duplicate || got.Reply != "" || got.Outcome != "" || after != before {
				t.Fatalf("%s: got %+v, inbound rows %d → %d; want a silent duplicate", st.name, got, before, after)
			}
			continue
		}
		if got.Duplicate || got.Outcome != ChatAnswered || got.Reply == "" || after != before+1 {
			t.Fatalf("%s: got %+v, inbound rows %d → %d; want an answer", st.name, got, before, after)
		}
	}
	if n := strings.Count(logBuf.String(), `msg="duplicate incoming message ignored" channel=qq id=7`); n != 2 {
		t.Fatalf("want 2 duplicate log lines naming channel and id, got %d in:\n%s", n, logBuf.String())
	}
}

func TestRecentIDs_BoundedPerChannel(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	r := newRecentIDs(3, time.Minute)
	for _, id := range []string{"a", "b", "c", "d"} {
		if r.seen("qq", id, t0) {
			t.Fatalf("%s is new", id)
		}
	}
	// "a" fell out of the ring of 3 when "d" came; "a" is recorded again and
	// pushes out "b".
	for _, tt := range []struct {
		id   string
		want bool
	}{{"a", false}, {"c", true}, {"d", true}, {"a", true}, {"b", false}} {
		if got := r.seen("qq", tt.id, t0); got != tt.want {
			t.Fatalf("seen(%s) = %v, want %v", tt.id, got, tt.want)
		}
	}
	if n := len(r.chans["qq"].at); n != 3 {
		t.Fatalf("%d ids remembered, want at most the ring's 3", n)
	}

	// An expired id recorded again survives the eviction of its old entry.
	r = newRecentIDs(2, time.Minute)
	r.seen("qq", "a", t0)
	t1 := t0.Add(2 * time.Minute)
	if r.seen("qq", "a", t1) {
		t.Fatal("a expired: new again")
	}
	r.seen("qq", "b", t1) // evicts a's first entry
	if !r.seen("qq", "a", t1.Add(time.Second)) {
		t.Fatal("a's second entry was forgotten with its first")
	}
}
