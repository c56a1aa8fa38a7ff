package app

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"botgate/app/channel"
	"botgate/app/config"
	"botgate/model"
	"botgate/storage"
)

// platform is a fake chat platform reached through a connection the
// connector keeps open (type "testlisten", registered only here). Each
// Listen call reports its start and end with the channel's config value "v".
type platform struct {
	events chan string           // "start 1", "stop 1", ...
	ask    chan platformQuestion // a message the platform pushes
}

type platformQuestion struct {
	in    channel.Incoming
	reply chan channel.Answer
}

// testConn is one connector built from a channel's configuration.
type testConn struct {
	p *platform
	v string
}

func (c *testConn) Send(context.Context, channel.Message) error { return nil }

func (c *testConn) Listen(ctx context.Context, in channel.Inbox) error {
	c.p.events <- "start " + c.v
	in.SetState(channel.ListenerState{Connected: true})
	for {
		select {
		case <-ctx.Done():
			c.p.events <- "stop " + c.v
			return ctx.Err()
		case q := <-c.p.ask:
			q.reply <- in.Answer(ctx, q.in)
		}
	}
}

func (p *platform) channelType() channel.Type {
	return channel.Type{Name: "testlisten", Title: "测试监听", Keys: []string{"v"},
		New: func(cfg channel.Config, _ channel.Deps) (channel.Channel, error) {
			return &testConn{p: p, v: cfg.Values["v"]}, nil
		}}
}

// next is the platform's next event, or a failure after 3 s.
func (p *platform) next(t *testing.T, want string) {
	t.Helper()
	select {
	case got := <-p.events:
		if got != want {
			t.Fatalf("platform event %q, want %q", got, want)
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("no platform event, want %q", want)
	}
}

// quiet fails if the platform hears from BotGate within d.
func (p *platform) quiet(t *testing.T, d time.Duration, why string) {
	t.Helper()
	select {
	case got := <-p.events:
		t.Fatalf("%s: unexpected platform event %q", why, got)
	case <-time.After(d):
	}
}

// openListenApp is a demo App (the 账号 chat template) that knows the
// "testlisten" type; its server answers "ok" over HTTP.
func openListenApp(t *testing.T, p *platform) *App {
	t.Helper()
	ctx := context.Background()
	a, err := Open(ctx, Options{DBPath: filepath.Join(t.TempDir(), "botgate.db"), Listen: "127.0.0.1:0",
		Log:               slog.New(slog.NewTextHandler(io.Discard, nil)),
		ExtraChannelTypes: []channel.Type{p.channelType()},
		Handler: func(*App) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := a.SetupDemo(ctx); err != nil {
		t.Fatal(err)
	}
	return a
}

// saveChannel writes the channel's row as the GUI would and reloads.
func saveChannel(t *testing.T, a *App, c model.Channel) {
	t.Helper()
	ctx := context.Background()
	if err := a.DB().Update(ctx, func(tx *storage.Tx) error { return tx.UpsertChannel(c) }); err != nil {
		t.Fatal(err)
	}
	if err := a.Reload(ctx); err != nil {
		t.Fatal(err)
	}
}

func deleteChannel(t *testing.T, a *App, name string) {
	t.Helper()
	ctx := context.Background()
	if err := a.DB().Update(ctx, func(tx *storage.Tx) error { return tx.DeleteChannel(name) }); err != nil {
		t.Fatal(err)
	}
	if err := a.Reload(ctx); err != nil {
		t.Fatal(err)
	}
}

func listenChannel(v string, enabled bool) model.Channel {
	return model.Channel{Name: "tl", Type: "testlisten", Enabled: enabled, Config: map[string]string{"v": v}}
}

// The server runs a channel's listener for its whole life: started with the
// server, what it hears answered by the server's answerer (the template run,
// the reply handed back), its state shown, restarted when the channel
// changes, stopped when it is disabled or removed, and with the server.
func TestListener_LifecycleFollowsServerAndChannel(t *testing.T) {
	p := &platform{events: make(chan string, 16), ask: make(chan platformQuestion)}
	a := openListenApp(t, p)
	saveChannel(t, a, listenChannel("1", true))
	p.quiet(t, 100*time.Millisecond, "the server is not running")
	if st := a.ListenerStates(); len(st) != 0 {
		t.Fatalf("states while stopped: %v", st)
	}

	if _, err := a.StartServer(); err != nil {
		t.Fatal(err)
	}
	p.next(t, "start 1")
	waitFor(t, 2*time.Second, "state connected", func() bool { return a.ListenerStates()["tl"].Connected })
	if st := a.ListenerStates()["tl"]; st.Err != "" || st.Since.IsZero() {
		t.Fatalf("connected state %+v", st)
	}

	// A message it hears is answered through the template.
	q := platformQuestion{in: channel.Incoming{Sender: "289192968", SenderName: "测试员01", Text: "账号 cs02"}, reply: make(chan channel.Answer, 1)}
	p.ask <- q
	ans := <-q.reply
	if ans.Keyword != "账号" || !strings.Contains(ans.Reply, "cs02") {
		t.Fatalf("answer %+v, want the 账号 rows for cs02", ans)
	}
	rows, err := a.InboundLogs(context.Background(), model.InboundFilter{})
	if err != nil || len(rows) != 1 || rows[0].Channel != "tl" || rows[0].Outcome != ChatAnswered || rows[0].Via != ViaQuick {
		t.Fatalf("inbound log %+v %v: want the listener's channel, answered quickly", rows, err)
	}

	steps := []struct {
		name   string
		change func()
		events []string
		listed bool
	}{
		{"a reload without change restarts nothing", func() { saveChannel(t, a, listenChannel("1", true)) }, nil, true},
		{"a changed channel restarts its listener", func() { saveChannel(t, a, listenChannel("2", true)) }, []string{"stop 1", "start 2"}, true},
		{"a disabled channel stops listening", func() { saveChannel(t, a, listenChannel("2", false)) }, []string{"stop 2"}, false},
		{"enabled again, it listens again", func() { saveChannel(t, a, listenChannel("3", true)) }, []string{"start 3"}, true},
		{"a removed channel stops listening", func() { deleteChannel(t, a, "tl") }, []string{"stop 3"}, false},
		{"added again, it listens again", func() { saveChannel(t, a, listenChannel("4", true)) }, []string{"start 4"}, true},
	}
	for _, st := range steps {
		st.change()
		for _, e := range st.events {
			p.next(t, e)
		}
		p.quiet(t, 100*time.Millisecond, st.name)
		if _, listed := a.ListenerStates()["tl"]; listed != st.listed {
			t.Fatalf("%s: state listed = %v, want %v", st.name, listed, st.listed)
		}
	}

	a.StopServer()
	select {
	case got := <-p.events:
		if got != "stop 4" {
			t.Fatalf("event %q at stop", got)
		}
	default:
		t.Fatal("StopServer returned before the listener's Listen did")
	}
	if st := a.ListenerStates(); len(st) != 0 {
		t.Fatalf("states after stop: %v", st)
	}
	saveChannel(t, a, listenChannel("5", true))
	p.quiet(t, 100*time.Millisecond, "a reload after the stop")

	// Started again, the server starts the listener again.
	if _, err := a.StartServer(); err != nil {
		t.Fatal(err)
	}
	p.next(t, "start 5")
	a.StopServer()
	p.next(t, "stop 5")
}

// The watch notices another process's change (config import from the
// command line) and restarts the listener by itself.
func TestListener_ChangeByAnotherProcess_RestartedByTheWatch(t *testing.T) {
	p := &platform{events: make(chan string, 16), ask: make(chan platformQuestion)}
	a := openListenApp(t, p)
	saveChannel(t, a, listenChannel("1", true))
	if _, err := a.StartServer(); err != nil {
		t.Fatal(err)
	}
	p.next(t, "start 1")
	other, err := storage.Open(context.Background(), a.DB().Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	c := listenChannel("2", true)
	if err := other.Update(context.Background(), func(tx *storage.Tx) error { return tx.UpsertChannel(c) }); err != nil {
		t.Fatal(err)
	}
	p.next(t, "stop 1")
	p.next(t, "start 2")
}

// A listener's question still being answered when the server stops: the
// listener is stopped first (its question goes the outbox way), then the
// stop waits for the answer and queues it before the queue closes.
func TestListener_LateAnswerAtStop_QueuedBeforeTheStopEnds(t *testing.T) {
	p := &platform{events: make(chan string, 16), ask: make(chan platformQuestion)}
	a := openListenApp(t, p)
	ctx := context.Background()
	execSQL(t, a.DataPath(), `CREATE TABLE leave (qq TEXT, days TEXT, reason TEXT)`)
	if _, err := a.Import(ctx, config.File{Templates: []config.Template{{Keyword: "请假", Kind: model.KindInsert, Chat: true,
		SQL: "INSERT INTO leave (qq, days, reason) VALUES ({{来源QQ}}, {{1}}, {{2}})"}}}); err != nil {
		t.Fatal(err)
	}
	saveChannel(t, a, listenChannel("1", true))
	if _, err := a.StartServer(); err != nil {
		t.Fatal(err)
	}
	p.next(t, "start 1")
	release := holdWriteLock(t, a.DataPath())
	q := platformQuestion{in: channel.Incoming{Sender: "10001", Text: "请假 3 家里有事"}, reply: make(chan channel.Answer, 1)}
	p.ask <- q
	stopped := make(chan struct{})
	go func() { a.StopServer(); close(stopped) }()
	p.next(t, "stop 1")
	if ans := <-q.reply; ans.Reply != "" || ans.Keyword != "请假" {
		t.Fatalf("answer at stop %+v: the listener's context ended, the answer must go the outbox way", ans)
	}
	select {
	case <-stopped:
		t.Fatal("the stop did not wait for the late answer")
	case <-time.After(300 * time.Millisecond):
	}
	release()
	select {
	case <-stopped:
	case <-time.After(ShutdownTimeout):
		t.Fatal("the stop did not end once the answer was queued")
	}
	msgs, err := a.DB().Messages(ctx, model.MessageFilter{})
	if err != nil || len(msgs) != 1 || msgs[0].Channel != "tl" || msgs[0].Target != "10001" || msgs[0].Content != "已登记 1 条" {
		t.Fatalf("outbox after the stop: %+v %v", msgs, err)
	}
}

func execSQL(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}
