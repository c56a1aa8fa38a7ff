package chat

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"botgate/app/channel"
	"botgate/model"
)

// fakeApp stands in for app: one template per keyword, a runner that can be
// held back, and an outbox and inbound log that remember what they got and
// refuse writes once "closed" (as a closed database would).
type fakeApp struct {
	prefix    string
	templates map[string]model.Template
	limit     int
	release   chan struct{} // when not nil, RunKeyword waits for it

	mu      sync.Mutex
	runs    []model.Vars
	callers []model.Caller
	queued  []LateReply
	logged  []model.Inbound
	closed  bool
	written bool // a write came after closed
}

var (
	_ Settings   = (*fakeApp)(nil)
	_ Runner     = (*fakeApp)(nil)
	_ Outbox     = (*fakeApp)(nil)
	_ InboundLog = (*fakeApp)(nil)
)

func (f *fakeApp) ChatPrefix() string { return f.prefix }
func (f *fakeApp) ChatTemplate(kw string) (model.Template, bool) {
	t, ok := f.templates[kw]
	return t, ok
}
func (f *fakeApp) ReplyLimit(string) int { return f.limit }

func (f *fakeApp) RunKeyword(ctx context.Context, c model.Caller, kw string, vars model.Vars) (*model.KeywordResult, error) {
	if f.release != nil {
		<-f.release
	}
	f.mu.Lock()
	f.runs, f.callers = append(f.runs, vars), append(f.callers, c)
	f.mu.Unlock()
	if kw == "秘密" {
		return nil, &model.Error{Code: model.CodeForbidden, Msg: model.MsgForbidden}
	}
	return &model.KeywordResult{Kind: model.KindQuery, Columns: []string{"name"}, Rows: [][]any{{"零件A"}}}, nil
}

func (f *fakeApp) QueueReply(ctx context.Context, c model.Caller, r LateReply) (model.Enqueued, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		f.written = true
		return model.Enqueued{}, errors.New("sql: database is closed")
	}
	f.queued = append(f.queued, r)
	return model.Enqueued{ID: int64(len(f.queued))}, nil
}

func (f *fakeApp) InsertInbound(ctx context.Context, in model.Inbound) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		f.written = true
		return 0, errors.New("sql: database is closed")
	}
	f.logged = append(f.logged, in)
	return int64(len(f.logged)), nil
}

func (f *fakeApp) close() { f.mu.Lock(); f.closed = true; f.mu.Unlock() }

func (f *fakeApp) snapshot() (queued []LateReply, logged []model.Inbound, written bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]LateReply(nil), f.queued...), append([]model.Inbound(nil), f.logged...), f.written
}

func newFake() *fakeApp {
	return &fakeApp{limit: 100, templates: map[string]model.Template{
		"零件": {Keyword: "零件", Kind: model.KindQuery, Chat: true, Enabled: true, Reply: "{{name}} {{1}} {{来源QQ}}"},
		"秘密": {Keyword: "秘密", Kind: model.KindQuery, Chat: true, Enabled: true},
	}}
}

func newAnswerer(f *fakeApp, log *slog.Logger, cfg Config) *Answerer {
	return New(Deps{Settings: f, Runner: f, Outbox: f, Inbound: f, Log: log}, cfg)
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)) }

// The channel.Answerer face: what a webhook or listener gets back, and what
// the template is run with.
func TestAnswer_ChannelAnswerer_ReplyKeywordAndVars(t *testing.T) {
	tests := []struct {
		name    string
		prefix  string
		in      channel.Incoming
		want    channel.Answer
		ran     bool
		outcome string
	}{
		{"keyword answered with the sender's variables",
			"", channel.Incoming{Channel: "qq", Sender: "10001", Group: "555", Text: "零件 A1 其他"},
			channel.Answer{Reply: "零件A A1 10001", Keyword: "零件"}, true, Answered},
		{"prefix stripped before the keyword",
			"#", channel.Incoming{Channel: "qq", Sender: "10001", Text: "＃零件 B2"},
			channel.Answer{Reply: "零件A B2 10001", Keyword: "零件"}, true, Answered},
		{"chatter gets nothing and runs nothing",
			"", channel.Incoming{Channel: "qq", Sender: "10001", Text: "今天吃什么"},
			channel.Answer{}, false, ""},
		{"refused sender gets the 5010 text",
			"", channel.Incoming{Channel: "qq", Sender: "10001", Text: "秘密"},
			channel.Answer{Reply: model.MsgForbidden, Keyword: "秘密"}, true, Refused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.prefix = tt.prefix
			var c channel.Answerer = newAnswerer(f, discard(), Config{})
			got := c.Answer(context.Background(), tt.in)
			if got != tt.want {
				t.Fatalf("Answer = %+v, want %+v", got, tt.want)
			}
			_, logged, _ := f.snapshot()
			if ran := len(f.runs) == 1; ran != tt.ran {
				t.Fatalf("template ran %d times, want ran=%v", len(f.runs), tt.ran)
			}
			if !tt.ran {
				if len(logged) != 0 {
					t.Fatalf("chatter logged: %+v", logged)
				}
				return
			}
			if c := f.callers[0]; !c.Chat || c.Sender != tt.in.Sender || c.Name != "" {
				t.Fatalf("caller %+v: want a chat caller for the sender", c)
			}
			if v := f.runs[0]; v["qq"] != tt.in.Sender || v["group"] != tt.in.Group {
				t.Fatalf("vars %v", v)
			}
			if len(logged) != 1 || logged[0].Outcome != tt.outcome || logged[0].Via != ViaQuick || logged[0].Channel != "qq" {
				t.Fatalf("inbound log %+v", logged)
			}
		})
	}
}

// A late answer still being computed when the server stops: Shutdown waits
// for it, and it is queued and logged before Shutdown returns.
func TestShutdown_WaitsForLateAnswer_QueuedBeforeItReturns(t *testing.T) {
	f := newFake()
	f.release = make(chan struct{})
	c := newAnswerer(f, discard(), Config{QuickTimeout: time.Millisecond})
	r := c.Handle(context.Background(), channel.Incoming{Channel: "qq", Sender: "10001", SenderName: "小明", Group: "555", Text: "零件 A1"})
	if r.Outcome != Pending || r.Reply != "" {
		t.Fatalf("Handle = %+v, want pending", r)
	}
	stopped := make(chan struct{})
	go func() {
		c.Shutdown(context.Background())
		close(stopped)
	}()
	select {
	case <-stopped:
		t.Fatal("Shutdown returned while the answer was still being computed")
	case <-time.After(100 * time.Millisecond):
	}
	close(f.release)
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown did not return once the answer was queued")
	}
	f.close() // what the server does next: the queue and the database close
	queued, logged, written := f.snapshot()
	if len(queued) != 1 || queued[0] != (LateReply{Channel: "qq", QQ: "10001", Group: "555", Content: "@小明 零件A A1 10001"}) {
		t.Fatalf("queued %+v", queued)
	}
	if len(logged) != 1 || logged[0].Via != ViaOutbox || logged[0].MsgID != 1 || logged[0].Outcome != Answered {
		t.Fatalf("logged %+v", logged)
	}
	if written {
		t.Fatal("written after close")
	}
}

// Past the stop's budget the answerer closes anyway; the answer that comes
// later writes nothing (the database is closed by then) and says so in the log.
func TestShutdown_BudgetSpent_LateAnswerNotWrittenAndLogged(t *testing.T) {
	f := newFake()
	f.release = make(chan struct{})
	var logBuf syncBuffer
	c := newAnswerer(f, slog.New(slog.NewTextHandler(&logBuf, nil)), Config{QuickTimeout: time.Millisecond})
	if r := c.Handle(context.Background(), channel.Incoming{Channel: "qq", Sender: "10001", Text: "零件"}); r.Outcome != Pending {
		t.Fatalf("Handle = %+v, want pending", r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	c.Shutdown(ctx)
	f.close()
	close(f.release)
	c.Wait()
	// A question that still reaches the closed answerer is not logged either.
	c.Handle(context.Background(), channel.Incoming{Channel: "qq", Sender: "10002", Text: "零件"})
	queued, logged, written := f.snapshot()
	if written || len(queued) != 0 || len(logged) != 0 {
		t.Fatalf("after Shutdown: queued %+v, logged %+v, write after close %v", queued, logged, written)
	}
	for _, want := range []string{"chat answers are still being computed", "pending=1",
		`late chat answer not sent: the server stopped before it was ready" channel=qq keyword=零件`,
		`chat log row not written: the server has stopped" channel=qq keyword=零件`} {
		if !strings.Contains(logBuf.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logBuf.String())
		}
	}
}

// syncBuffer is a log sink for several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
