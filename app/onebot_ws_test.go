package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"botgate/app/channel/onebot/onebottest"
	"botgate/app/config"
	"botgate/app/outbox"
	"botgate/model"
)

// A OneBot channel over forward WebSocket, with the outbox running: what a
// send meets when the socket is not there, or goes away in the middle.

// napcat is a NapCat WebSocket server that can be down (it answers the
// handshake with 503, as a proxy in front of a stopped NapCat does).
type napcat struct {
	*onebottest.Fake
	up atomic.Bool
}

func (n *napcat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !n.up.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	n.Fake.ServeHTTP(w, r)
}

// wsApp runs a server whose channel qq is OneBot over ws to n. Retries are
// an hour apart: a message delivered within the test was sent again because
// the connection came back, not because its retry fell due.
func wsApp(t *testing.T, n *napcat) *App {
	t.Helper()
	srv := httptest.NewServer(n)
	t.Cleanup(func() { n.CloseAll(); srv.Close() })
	a, err := Open(context.Background(), Options{DBPath: filepath.Join(t.TempDir(), "botgate.db"), Listen: "127.0.0.1:0",
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Dispatch: outbox.Config{BackoffBase: time.Hour, BackoffMax: time.Hour},
		Handler:  func(*App) http.Handler { return http.NotFoundHandler() }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	mustImport(t, a, config.File{Channels: []config.Channel{{Name: "qq", Type: "onebot",
		Config: config.Values{"transport": "ws", "url": "ws" + strings.TrimPrefix(srv.URL, "http"), "access_token": "s3cret"}}}})
	if _, err := a.StartServer(); err != nil {
		t.Fatal(err)
	}
	return a
}

func waitMessage(t *testing.T, a *App, id int64, what string, ok func(model.Message) bool) model.Message {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		m, err := a.db.Message(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %d never %s: %+v", id, what, m)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A send while NapCat is down waits in the outbox (a transient failure
// that names the cause), and goes as soon as the connection is made.
func TestOneBotWS_QueuedWhileDown_SentWhenItConnects(t *testing.T) {
	n := &napcat{Fake: onebottest.New()}
	n.Token = "s3cret"
	a := wsApp(t, n)
	e, err := a.Send(context.Background(), model.Caller{Name: "erp"}, SendRequest{Channel: "qq", QQ: "10001", Content: "等连上再发"})
	if err != nil {
		t.Fatal(err)
	}
	m := waitMessage(t, a, e.ID, "tried", func(m model.Message) bool { return m.Attempts >= 1 })
	if m.Status != model.StatusQueued || !strings.Contains(m.LastError, "OneBot 实现尚未连接") {
		t.Fatalf("while down: %+v", m)
	}
	n.up.Store(true)
	waitMessage(t, a, e.ID, "delivered", func(m model.Message) bool { return m.Status == model.StatusDelivered })
	if d := n.Delivered(); len(d) != 1 || d[0].Message() != "等连上再发" {
		t.Fatalf("NapCat got %+v", d)
	}
	if st := a.ListenerStates()["qq"]; !st.Connected {
		t.Fatalf("state %+v", st)
	}
}

// The socket drops while NapCat has the send and has not answered: the
// outcome is unknown, the message stays queued, and it is sent again over
// the new connection. Nothing is lost.
func TestOneBotWS_DroppedMidSend_ResentAfterReconnect(t *testing.T) {
	n := &napcat{Fake: onebottest.New()}
	n.Token = "s3cret"
	n.up.Store(true)
	n.DropNext("send_private_msg", 1)
	a := wsApp(t, n)
	n.Wait(t, 5*time.Second, "connected", func() bool { return a.ListenerStates()["qq"].Connected })
	e, err := a.Send(context.Background(), model.Caller{Name: "erp"}, SendRequest{Channel: "qq", QQ: "10001", Content: "别丢"})
	if err != nil {
		t.Fatal(err)
	}
	m := waitMessage(t, a, e.ID, "delivered", func(m model.Message) bool { return m.Status == model.StatusDelivered })
	if m.Attempts < 2 || !strings.Contains(m.LastError, "断开") {
		t.Fatalf("delivered after %d attempts, last error %q; want a retry after the cut", m.Attempts, m.LastError)
	}
	acts := n.Actions()
	if len(acts) != 2 || !acts[0].Dropped || acts[1].Dropped || acts[1].Message() != "别丢" {
		t.Fatalf("NapCat saw %+v", acts)
	}
}
