package app

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"botgate/model"
	"botgate/storage"
)

// openAnsweringApp is openChatApp with a server whose handler stands in for a
// webhook: it takes the App's Answerer when the server builds it, and answers
// each request's ?text= as the platform had hung up already (the answer can
// only go through the outbox).
func openAnsweringApp(t *testing.T, log *slog.Logger) *App {
	t.Helper()
	a := openChatAppLog(t, log)
	a.opts.Listen = "127.0.0.1:0"
	a.opts.Handler = func(a *App) http.Handler {
		ans := a.Answerer()
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			gone, cancel := context.WithCancel(r.Context())
			cancel()
			res := ans.Handle(gone, ChatMessage{Channel: "qq", Sender: "10001", SenderName: "小明", Group: "123456", Text: r.URL.Query().Get("text")})
			io.WriteString(w, res.Outcome)
		})
	}
	return a
}

// A late chat answer still running when the server stops: the stop waits for
// it, it is queued before the queue closes, its log row is written before the
// database closes, and nothing is written afterwards. The window's stop
// keeps the database open; Close closes the queue and the database after.
func TestStop_LateChatAnswerInFlight_QueuedBeforeTheStopEnds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stop  func(a *App)
		close bool // the stop closes the database: read it again afterwards
	}{
		{"window stop", func(a *App) { a.StopServer() }, false},
		{"Close (serve, service)", func(a *App) { a.Close() }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := &syncLog{}
			a := openAnsweringApp(t, slog.New(slog.NewTextHandler(logs, nil)))
			addr, err := a.StartServer()
			if err != nil {
				t.Fatal(err)
			}
			// Hold the data file's write lock: the 请假 insert waits for it
			// (busy_timeout), which keeps the answer in flight.
			release := holdWriteLock(t, a.DataPath())
			resp, err := quick.Get("http://" + addr + "/?text=" + "请假+3+家里有事")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != ChatPending {
				t.Fatalf("handler outcome %q, want %q", b, ChatPending)
			}
			stopped := make(chan struct{})
			go func() { tc.stop(a); close(stopped) }()
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
			db := a.DB()
			if tc.close {
				db, err = storage.Open(context.Background(), a.DB().Path())
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
			}
			msgs, err := db.Messages(context.Background(), model.MessageFilter{})
			if err != nil || len(msgs) != 1 || msgs[0].Content != "@小明 已登记 1 条" || msgs[0].Target != "123456" {
				t.Fatalf("outbox after the stop: %+v %v", msgs, err)
			}
			rows, err := db.InboundLogs(context.Background(), model.InboundFilter{})
			if err != nil || len(rows) != 1 || rows[0].Via != ViaOutbox || rows[0].MsgID != msgs[0].ID || rows[0].Outcome != ChatAnswered {
				t.Fatalf("inbound log after the stop: %+v %v", rows, err)
			}
			for _, bad := range []string{"not queued", "not sent", "writing inbound log failed", "database is closed"} {
				if strings.Contains(logs.String(), bad) {
					t.Errorf("log has %q:\n%s", bad, logs)
				}
			}
		})
	}
}

// The server's answerer is the one the handler got, and only while it runs.
func TestAnswerer_IsTheRunningServers(t *testing.T) {
	a := openAnsweringApp(t, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if a.Answerer() == a.Answerer() {
		t.Fatal("with no server each caller must get its own answerer")
	}
	if _, err := a.StartServer(); err != nil {
		t.Fatal(err)
	}
	a.srvMu.Lock()
	running := a.server.chat
	a.srvMu.Unlock()
	if got := a.Answerer(); got != running {
		t.Fatal("Answerer is not the running server's")
	}
	a.StopServer()
	if a.Answerer() == running {
		t.Fatal("the stopped server's answerer is still handed out")
	}
}

// holdWriteLock takes the write lock of the SQLite file at path until the
// returned func is called.
func holdWriteLock(t *testing.T, path string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	done := false
	release = func() {
		if done {
			return
		}
		done = true
		conn.ExecContext(context.Background(), "ROLLBACK")
		conn.Close()
		db.Close()
	}
	t.Cleanup(release)
	return release
}

// syncLog collects an App's log lines, which come from several goroutines.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
