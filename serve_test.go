package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestServe_DemoThenSIGTERM_StopsGracefully runs the real command line: serve
// --demo prints a working curl line, answers it, and exits 0 on SIGTERM with
// the message it had acknowledged delivered.
func TestServe_DemoThenSIGTERM_StopsGracefully(t *testing.T) {
	db := filepath.Join(t.TempDir(), "botgate.db")
	cmd := botgateCmd(t, "--db", db, "serve", "--demo", "--listen", "127.0.0.1:0")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	curl := regexp.MustCompile(`curl '(http://[^']+content=[^']+)'`)
	var sendURL string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := curl.FindStringSubmatch(out.String()); m != nil {
			sendURL = m[1]
			break
		}
	}
	if sendURL == "" {
		cmd.Process.Kill()
		t.Fatalf("no curl line printed:\n%s", out.String())
	}
	resp, err := http.Get(sendURL)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Errcode int   `json:"errcode"`
		MsgID   int64 `json:"msg_id"`
	}
	json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	if env.Errcode != 0 || env.MsgID == 0 {
		t.Fatalf("demo send: %+v", env)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "BotGate 已停止") {
		t.Fatalf("no stop message:\n%s", out.String())
	}
	// The message is in the outbox, delivered through the log channel.
	u, _ := url.Parse(sendURL)
	pw := u.Query().Get("Access_token")
	exp := botgateCmd(t, "--db", db, "config", "export")
	b, err := exp.Output()
	if err != nil || !strings.Contains(string(b), `"name": "demo"`) || strings.Contains(string(b), pw) {
		t.Fatalf("export after stop: %v\n%s", err, b)
	}
}

// syncBuffer collects a subprocess's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
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
