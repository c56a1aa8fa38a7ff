// Package apitest starts a real BotGate (an App on a temp database with the
// demo, serving the HTTP API on 127.0.0.1) for the tests of the HTTP API and
// of the whole path from a platform to an answer.
package apitest

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"botgate/apiserver"
	"botgate/app"
	"botgate/app/config"
	"botgate/app/outbox"
)

// Env is a running BotGate on a temp database, listening on 127.0.0.1.
type Env struct {
	t        testing.TB
	App      *app.App
	Base     string // http://127.0.0.1:port
	Password string // the demo user's
	// Handler is the API handler the server runs, for benchmarks that
	// call it without the network.
	Handler http.Handler
}

// Start opens an app on a fresh database with the demo set up and starts its server.
func Start(t testing.TB) *Env {
	t.Helper()
	dir := t.TempDir()
	var h http.Handler
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.Open(context.Background(), app.Options{
		DBPath: filepath.Join(dir, "botgate.db"), Listen: "127.0.0.1:0", Log: log,
		Dispatch: outbox.Config{BackoffBase: 20 * time.Millisecond, BackoffMax: 100 * time.Millisecond},
		Handler: func(a *app.App) http.Handler {
			h = apiserver.New(apiserver.AppDeps(a), log, "test")
			return h
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	pw, err := a.SetupDemo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	addr, err := a.StartServer()
	if err != nil {
		t.Fatal(err)
	}
	return &Env{t: t, App: a, Base: "http://" + addr, Password: pw, Handler: h}
}

// ImportJSON applies a config file snippet.
func (e *Env) ImportJSON(js string) {
	e.t.Helper()
	cf, err := config.Parse(strings.NewReader(js))
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.App.Import(context.Background(), cf); err != nil {
		e.t.Fatal(err)
	}
}

// Auth returns the demo user's QQAP credentials as query parameters.
func (e *Env) Auth() url.Values {
	return url.Values{"Access_token": {e.Password}, "user": {"demo"}}
}

// Request sends one HTTP request and returns the status and the raw body.
func (e *Env) Request(method, path, ctype, body string, header ...string) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.Base+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// Envelope is the QQAP reply.
type Envelope struct {
	Errcode   int               `json:"errcode"`
	Errmsg    string            `json:"errmsg"`
	Data      []json.RawMessage `json:"data"`
	MsgID     int64             `json:"msg_id"`
	Affected  *int64            `json:"affected"`
	Truncated bool              `json:"truncated"`
	Sent      bool              `json:"sent"`
}

// QQAP calls the QQAP endpoint and decodes the envelope; it must be HTTP 200.
func (e *Env) QQAP(method, query, ctype, body string) (Envelope, string) {
	e.t.Helper()
	status, raw := e.Request(method, "/?"+query, ctype, body)
	if status != http.StatusOK {
		e.t.Fatalf("HTTP %d for %s /?%s: %s", status, method, query, raw)
	}
	var env Envelope
	if err := json.Unmarshal([]byte(raw), &env); err != nil {
		e.t.Fatalf("reply is not JSON: %v: %q", err, raw)
	}
	return env, raw
}

// WaitStatus polls a message until it reaches want.
func (e *Env) WaitStatus(id int64, want string) {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		m, err := e.App.DB().Message(context.Background(), id)
		if err != nil {
			e.t.Fatal(err)
		}
		if m.Status == want {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("message %d is %s (last error %q), want %s", id, m.Status, m.LastError, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
