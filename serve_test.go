package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"botgate/app"
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

// importConfig runs `botgate config import` in its own process, as an admin
// would while the server runs.
func importConfig(t *testing.T, db string, cfg any) {
	t.Helper()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cfg.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := botgateCmd(t, "--db", db, "config", "import", path).CombinedOutput(); err != nil {
		t.Fatalf("config import: %v\n%s", err, out)
	}
}

func freeLoopback(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startSavedServe runs `botgate --db db serve` with no --listen, so it listens
// on the saved address and follows changes to it. stderr collects its log.
func startSavedServe(t *testing.T, db string) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	return startBotgate(t, "--db", db, "serve")
}

// qqapKeyword calls the QQAP endpoint with a keyword and returns the rows.
func qqapKeyword(addr, user, password, keyword string) ([]map[string]any, error) {
	q := url.Values{"Access_token": {password}, "user": {user}, "QQ": {"10001"}, "keyword": {keyword}}
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + addr + "/?" + q.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Errcode int              `json:"errcode"`
		Errmsg  string           `json:"errmsg"`
		Data    []map[string]any `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	if r.Errcode != 0 {
		return nil, fmt.Errorf("errcode %d %s", r.Errcode, r.Errmsg)
	}
	return r.Data, nil
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("not within %v: %s", d, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
	return time.Since(start)
}

func TestReload_RunningServe_ConfigImportTemplateAndPort(t *testing.T) {
	db := filepath.Join(t.TempDir(), "botgate.db")
	first := freeLoopback(t)
	tmpl := func(sql string) map[string]any {
		return map[string]any{"keyword": "版本", "kind": "query", "datasource": "default", "sql": sql}
	}
	importConfig(t, db, map[string]any{
		"settings":  map[string]any{"listen": first},
		"users":     []any{map[string]any{"name": "erp", "password": "erp-secret-1"}},
		"templates": []any{tmpl("SELECT 'old' AS v")},
	})
	_, addr, stderr := startSavedServe(t, db)
	if addr != first {
		t.Fatalf("serving on %s, want the saved %s", addr, first)
	}
	rows, err := qqapKeyword(first, "erp", "erp-secret-1", "版本")
	if err != nil || len(rows) != 1 || rows[0]["v"] != "old" {
		t.Fatalf("before import: rows %v err %v", rows, err)
	}

	// A template changed by config import in another process: the next
	// requests use the new SQL, with no restart.
	importConfig(t, db, map[string]any{"templates": []any{tmpl("SELECT 'new' AS v, 2 AS n")}})
	took := waitUntil(t, 2*time.Second, "template reloaded", func() bool {
		rows, err := qqapKeyword(first, "erp", "erp-secret-1", "版本")
		return err == nil && len(rows) == 1 && rows[0]["v"] == "new"
	})
	t.Logf("template change took effect after %v", took.Round(time.Millisecond))

	// A port change moves the listener.
	second := freeLoopback(t)
	importConfig(t, db, map[string]any{"settings": map[string]any{"listen": second}})
	took = waitUntil(t, 2*time.Second, "listening on the new port", func() bool {
		_, err := qqapKeyword(second, "erp", "erp-secret-1", "版本")
		return err == nil
	})
	t.Logf("port change took effect after %v", took.Round(time.Millisecond))
	if _, err := qqapKeyword(first, "erp", "erp-secret-1", "版本"); err == nil {
		t.Errorf("old address %s still answers", first)
	}

	// A port in use is reported clearly and the server stays where it is.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, port, _ := net.SplitHostPort(busy.Addr().String())
	importConfig(t, db, map[string]any{"settings": map[string]any{"listen": busy.Addr().String()}})
	waitUntil(t, 3*time.Second, "port-in-use logged", func() bool { return strings.Contains(stderr.String(), "端口 "+port+" 已被占用") })
	if _, err := qqapKeyword(second, "erp", "erp-secret-1", "版本"); err != nil {
		t.Errorf("server stopped answering on %s when the new port was busy: %v", second, err)
	}
	info, ok, err := app.FindServer(db)
	if err != nil || !ok || info.Addr != second {
		t.Errorf("FindServer = %+v %v %v, want running at %s", info, ok, err, second)
	}
}

func TestServe_SecondOnSameDatabase_ExitsWithMessage(t *testing.T) {
	db := filepath.Join(t.TempDir(), "botgate.db")
	first, addr := startServe(t, db)
	out, err := botgateCmd(t, "--db", db, "serve", "--listen", "127.0.0.1:0").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("second serve: err %v, want exit status 1; output:\n%s", err, out)
	}
	for _, want := range []string{"同一个数据库只能运行一个服务", fmt.Sprintf("进程 %d", first.Process.Pid), "http://" + addr + "/"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("second serve output lacks %q:\n%s", want, out)
		}
	}
}

func TestServe_AfterKill9_NextStartIsNotBlocked(t *testing.T) {
	db := filepath.Join(t.TempDir(), "botgate.db")
	first, _ := startServe(t, db)
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	if _, ok, _ := app.FindServer(db); ok {
		t.Fatal("lock still held after the server was killed")
	}
	startServe(t, db) // fails the test if it cannot start
}
