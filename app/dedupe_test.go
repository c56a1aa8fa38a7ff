package app

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"botgate/app/chat"
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
		{"after the TTL the id is forgotten", "qq", "7", chat.DedupeTTL, false},
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
