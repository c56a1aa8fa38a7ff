package service

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"botgate/app"
	"botgate/internal/cli"
	"botgate/storage"
)

// createDB creates an empty state database at path, as serve or the window would.
func createDB(t *testing.T, path string) {
	t.Helper()
	db, err := storage.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}

// serveInProcess runs a real server on db, as `botgate serve` or the
// service process would (it creates the database), and returns its address.
func serveInProcess(t *testing.T, db string) string {
	t.Helper()
	a, err := app.Open(context.Background(), app.Options{DBPath: db, Listen: "127.0.0.1:0", Log: quiet, Handler: okHandler})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := a.StartServer()
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return addr
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
				serveInProcess(t, db)
			}
			m := &fakeManager{installed: tc.installed, running: tc.running}
			ctl := NewControl(m, db, false, Probe{})
			var stdout, stderr bytes.Buffer
			code := command(context.Background(), ctl, "status", false, &stdout, &stderr)
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
	ctl := NewControl(&fakeManager{}, filepath.Join(t.TempDir(), "botgate.db"), false, Probe{})
	var stdout, stderr bytes.Buffer
	if code := command(context.Background(), ctl, "install", false, &stdout, &stderr); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "请以管理员身份运行") {
		t.Errorf("stderr %q", stderr.String())
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
		{"status", db, []string{"status"}, 0, "服务状态："},
		{"unknown action", db, []string{"restartx"}, 2, "未知的 service 子命令"},
		{"status, no database", filepath.Join(dir, "missing.db"), []string{"status"}, 1, "错误：数据库不存在："},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			report := filepath.Join(dir, tc.name+".txt")
			if err := os.WriteFile(report, []byte("old"), 0o600); err != nil { // the window creates it
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			code := Command(cli.Globals{DB: tc.db}, append(tc.args, "--report", report), &stdout, &stderr)
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
	code := Command(cli.Globals{DB: db}, []string{"status", "--report", filepath.Join(t.TempDir(), "missing", "r.txt")}, &stdout, &stderr)
	if code != 0 || !strings.Contains(stdout.String(), "服务状态：") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

func TestServiceCommand_InstallStart_InstallsThenStartsAndWaitsForTheListener(t *testing.T) {
	db := filepath.Join(t.TempDir(), "botgate.db")
	// The manager starts a real server on the database when asked to start,
	// as the service manager would.
	m := &fakeManager{}
	m.onStart = func() { serveInProcess(t, db) }
	ctl := NewControl(m, db, true, Probe{})
	var stdout, stderr bytes.Buffer
	if code := command(context.Background(), ctl, "install", true, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	if !m.installed || !m.running {
		t.Fatalf("installed %v running %v, want both", m.installed, m.running)
	}
	if !strings.Contains(stdout.String(), "已安装并启动系统服务") || !strings.Contains(stdout.String(), "http://127.0.0.1:") {
		t.Fatalf("stdout %q", stdout.String())
	}
}

// `service -h` names the database the service commands use without --db
// (DefaultDB), which on Windows is not the one other commands use.
func TestHelp_NamesTheServiceDefaultDatabase(t *testing.T) {
	t.Setenv("BOTGATE_DB", "")
	want := "默认 " + DefaultDB(cli.DefaultDB()) + "，"
	if h := help(); !strings.Contains(h, want) {
		t.Fatalf("service help does not name %q:\n%s", want, h)
	}
}
