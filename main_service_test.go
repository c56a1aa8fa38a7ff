package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	kservice "github.com/kardianos/service"

	"botgate/app"
	"botgate/service"
)

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

// fakeManager is the OS service manager for the command tests.
type fakeManager struct {
	installed, running bool
	err                error
}

func (f *fakeManager) Install() error   { f.installed = true; return f.err }
func (f *fakeManager) Uninstall() error { f.installed = false; return f.err }
func (f *fakeManager) Start() error     { f.running = true; return f.err }
func (f *fakeManager) Stop() error      { f.running = false; return f.err }
func (f *fakeManager) Status() (kservice.Status, error) {
	switch {
	case !f.installed:
		return kservice.StatusUnknown, kservice.ErrNotInstalled
	case f.running:
		return kservice.StatusRunning, nil
	}
	return kservice.StatusStopped, nil
}

func TestServiceCommand_StatusEachState(t *testing.T) {
	tests := []struct {
		name      string
		installed bool
		running   bool
		serving   bool // a real server holds the database lock (and created it)
		created   bool // the database exists
		wantCode  int
		want      string // in stdout, or in stderr when wantCode != 0
	}{
		{"not installed", false, false, false, true, 0, "服务状态：未安装"},
		// Most likely a mistyped --db: "未安装" would send the admin the wrong way.
		{"not installed, no database", false, false, false, false, 1, "错误：数据库不存在："},
		// Installed without --start: the service creates the database when it starts.
		{"installed, stopped, no database yet", true, false, false, false, 0, "服务状态：已安装，已停止；启动后将监听 127.0.0.1:7789"},
		{"installed, stopped", true, false, false, true, 0, "服务状态：已安装，已停止；启动后将监听 127.0.0.1:7789"},
		{"installed, running", true, true, true, true, 0, "服务状态：已安装，正在运行，监听地址 http://127.0.0.1:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "botgate.db")
			if tc.created && !tc.serving {
				createDB(t, db)
			}
			if tc.serving {
				startServe(t, db)
			}
			m := &fakeManager{installed: tc.installed, running: tc.running}
			ctl := service.NewControl(m, db, false, service.Probe{})
			var stdout, stderr bytes.Buffer
			code := serviceCommand(context.Background(), ctl, "status", false, &stdout, &stderr)
			got := stdout.String()
			if tc.wantCode != 0 {
				got = stderr.String()
			}
			if code != tc.wantCode || !strings.Contains(got, tc.want) {
				t.Errorf("exit %d, stdout %q stderr %q; want %d and %q", code, stdout.String(), stderr.String(), tc.wantCode, tc.want)
			}
			if _, err := os.Stat(db); tc.created != (err == nil) {
				t.Errorf("database exists %v after status, want %v", err == nil, tc.created)
			}
		})
	}
}

func TestServiceCommand_InstallWithoutAdmin_AsksForAdmin(t *testing.T) {
	ctl := service.NewControl(&fakeManager{}, filepath.Join(t.TempDir(), "botgate.db"), false, service.Probe{})
	var stdout, stderr bytes.Buffer
	if code := serviceCommand(context.Background(), ctl, "install", false, &stdout, &stderr); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "请以管理员身份运行") {
		t.Errorf("stderr %q", stderr.String())
	}
}

func TestServiceCommand_BadUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no action", []string{"service"}, "用法：botgate [--db 路径] service"},
		{"unknown action", []string{"service", "restartx"}, "未知的 service 子命令"},
		{"--listen at install", []string{"--listen", "127.0.0.1:1", "service", "install"}, "安装服务时不能用 --listen"},
		{"--start but not install", []string{"service", "stop", "--start"}, "--start 只能和 service install 一起用"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"--db", filepath.Join(t.TempDir(), "x.db")}, tc.args...)
			if code := run(args, &stdout, &stderr); code == 0 {
				t.Errorf("exit 0 for %v", tc.args)
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.want)
			}
		})
	}
}

// The window runs service commands elevated, where it cannot read their
// output: --report puts the outcome, success or error, in a file instead.
func TestServiceCommand_Report_OutcomeGoesToTheFile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "botgate.db")
	createDB(t, db)
	tests := []struct {
		name     string
		db       string
		args     []string
		wantCode int
		want     string
	}{
		{"status", db, []string{"service", "status"}, 0, "服务状态："},
		{"unknown action", db, []string{"service", "restartx"}, 2, "未知的 service 子命令"},
		{"status, no database", filepath.Join(dir, "missing.db"), []string{"service", "status"}, 1, "错误：数据库不存在："},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			report := filepath.Join(dir, tc.name+".txt")
			if err := os.WriteFile(report, []byte("old"), 0o600); err != nil { // the window creates it
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			args := append([]string{"--db", tc.db}, tc.args...)
			code := run(append(args, "--report", report), &stdout, &stderr)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d", code, tc.wantCode)
			}
			if stdout.Len()+stderr.Len() > 0 {
				t.Errorf("printed %q / %q instead of writing the report", stdout.String(), stderr.String())
			}
			b, err := os.ReadFile(report)
			if err != nil || !strings.Contains(string(b), tc.want) {
				t.Errorf("report %q (%v), want %q", b, err, tc.want)
			}
		})
	}
}

// A report file that cannot be opened does not stop the action: its outcome
// is printed as usual.
func TestServiceCommand_ReportUnopenable_ActionStillRuns(t *testing.T) {
	db := filepath.Join(t.TempDir(), "botgate.db")
	createDB(t, db)
	var stdout, stderr bytes.Buffer
	code := run([]string{"--db", db, "service", "status", "--report", filepath.Join(t.TempDir(), "missing", "r.txt")}, &stdout, &stderr)
	if code != 0 || !strings.Contains(stdout.String(), "服务状态：") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

func TestServiceCommand_InstallStart_InstallsThenStartsAndWaitsForTheListener(t *testing.T) {
	db := filepath.Join(t.TempDir(), "botgate.db")
	m := &fakeManager{}
	ctl := service.NewControl(startingManager{m, t, db}, db, true, service.Probe{})
	var stdout, stderr bytes.Buffer
	if code := serviceCommand(context.Background(), ctl, "install", true, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	if !m.installed || !m.running {
		t.Fatalf("installed %v running %v, want both", m.installed, m.running)
	}
	if !strings.Contains(stdout.String(), "已安装并启动系统服务") || !strings.Contains(stdout.String(), "http://127.0.0.1:") {
		t.Fatalf("stdout %q", stdout.String())
	}
}

// startingManager starts a real `botgate serve` on the database when asked
// to start, as the service manager would.
type startingManager struct {
	*fakeManager
	t  *testing.T
	db string
}

func (s startingManager) Start() error {
	startServe(s.t, s.db)
	return s.fakeManager.Start()
}
