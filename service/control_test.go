package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	kservice "github.com/kardianos/service"

	"botgate/app"
	"botgate/model"
)

// fakeManager stands in for the OS service manager: it records calls and
// answers with the state and errors the test sets.
type fakeManager struct {
	mu        sync.Mutex
	installed bool
	running   bool
	statusErr error
	actionErr error // returned by Install/Uninstall/Start/Stop when set
	calls     []string
	onStart   func() // what the "service" does when started (takes the lock)
	onStop    func()
}

var _ Manager = (*fakeManager)(nil)

func (f *fakeManager) record(c string) { f.mu.Lock(); f.calls = append(f.calls, c); f.mu.Unlock() }

func (f *fakeManager) Install() error {
	f.record("install")
	if f.actionErr != nil {
		return f.actionErr
	}
	f.installed = true
	return nil
}

func (f *fakeManager) Uninstall() error {
	f.record("uninstall")
	if f.actionErr != nil {
		return f.actionErr
	}
	f.installed = false
	return nil
}

func (f *fakeManager) Start() error {
	f.record("start")
	if f.actionErr != nil {
		return f.actionErr
	}
	f.running = true
	if f.onStart != nil {
		f.onStart()
	}
	return nil
}

func (f *fakeManager) Stop() error {
	f.record("stop")
	if f.actionErr != nil {
		return f.actionErr
	}
	f.running = false
	if f.onStop != nil {
		f.onStop()
	}
	return nil
}

func (f *fakeManager) Status() (kservice.Status, error) {
	switch {
	case f.statusErr != nil:
		return kservice.StatusUnknown, f.statusErr
	case !f.installed:
		return kservice.StatusUnknown, kservice.ErrNotInstalled
	case f.running:
		return kservice.StatusRunning, nil
	}
	return kservice.StatusStopped, nil
}

func (f *fakeManager) Calls() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.calls, ",")
}

// fakeLock is the database lock as Probe sees it.
type fakeLock struct {
	mu   sync.Mutex
	info app.ServerInfo
	held bool
}

func (l *fakeLock) set(held bool, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.held, l.info = held, app.ServerInfo{PID: 4242, Addr: addr}
}

func (l *fakeLock) probe() Probe {
	return Probe{
		Find: func(string) (app.ServerInfo, bool, error) {
			l.mu.Lock()
			defer l.mu.Unlock()
			return l.info, l.held, nil
		},
		Listen: func(context.Context, string) (string, error) { return "127.0.0.1:7789", nil },
	}
}

const testDB = "/srv/botgate/botgate.db"

func newTestControl(m *fakeManager, l *fakeLock, admin bool) *Control {
	c := NewControl(m, testDB, admin, l.probe())
	c.Wait, c.poll = 300*time.Millisecond, 5*time.Millisecond
	return c
}

func TestStatus_EachState_PlainWords(t *testing.T) {
	tests := []struct {
		name      string
		installed bool
		running   bool
		lockAddr  string // "" = lock free
		want      []string
		not       []string
	}{
		{name: "not installed", want: []string{"未安装", "service install"}, not: []string{"前台"}},
		{name: "not installed, a foreground serve holds the database", lockAddr: "127.0.0.1:7790",
			want: []string{"未安装", "另有一个 BotGate 正在前台运行", "http://127.0.0.1:7790/", "进程 4242"}},
		{name: "installed and stopped: shows where it will listen", installed: true,
			want: []string{"已安装，已停止", "启动后将监听 127.0.0.1:7789", "service start"}},
		{name: "installed, stopped, but a foreground serve holds the database", installed: true, lockAddr: "127.0.0.1:7790",
			want: []string{"已安装，已停止", "服务要等它关闭后才能启动"}},
		{name: "installed and running: shows the bound address", installed: true, running: true, lockAddr: "0.0.0.0:7789",
			want: []string{"已安装，正在运行", "监听地址 http://0.0.0.0:7789/", "进程 4242"}},
		{name: "installed, running, not listening yet", installed: true, running: true,
			want: []string{"已安装，正在启动", LogPath(testDB)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &fakeManager{installed: tc.installed, running: tc.running}
			l := &fakeLock{}
			if tc.lockAddr != "" {
				l.set(true, tc.lockAddr)
			}
			st, err := newTestControl(m, l, false).Status(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if st.Installed != tc.installed || st.Running != tc.running {
				t.Errorf("state = %+v", st)
			}
			text := st.String()
			for _, w := range append(tc.want, Name(testDB), testDB) {
				if !strings.Contains(text, w) {
					t.Errorf("status %q lacks %q", text, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(text, n) {
					t.Errorf("status %q should not contain %q", text, n)
				}
			}
		})
	}
}

func TestStatus_ManagerError_ChineseMessage(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"access denied", fmt.Errorf("open service: %w", os.ErrPermission), "请以管理员身份运行"},
		{"other failure keeps the detail and points at the logs", errors.New("dbus gone"), "查询系统服务失败（dbus gone）"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &fakeManager{statusErr: tc.err}
			_, err := newTestControl(m, &fakeLock{}, false).Status(context.Background())
			if err == nil || !strings.Contains(model.ErrorOf(err).Msg, tc.want) {
				t.Fatalf("err = %v, want a message containing %q", err, tc.want)
			}
		})
	}
}

func TestInstall(t *testing.T) {
	tests := []struct {
		name      string
		admin     bool
		installed bool
		actionErr error
		wantErr   string // "" = success
		wantCalls string
	}{
		{name: "without admin rights: refused before touching the system", admin: false, wantErr: "请以管理员身份运行", wantCalls: ""},
		{name: "already installed", admin: true, installed: true, wantErr: "已经安装过了", wantCalls: ""},
		{name: "manager says access denied", admin: true, actionErr: syscall.EACCES, wantErr: "请以管理员身份运行", wantCalls: "install"},
		{name: "manager says the unit exists", admin: true, actionErr: errors.New("Init already exists: /etc/systemd/system/x.service"), wantErr: "service uninstall", wantCalls: "install"},
		{name: "installs", admin: true, wantCalls: "install"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &fakeManager{installed: tc.installed, actionErr: tc.actionErr}
			err := newTestControl(m, &fakeLock{}, tc.admin).Install(context.Background())
			checkErr(t, err, tc.wantErr)
			if got := m.Calls(); got != tc.wantCalls {
				t.Errorf("calls = %q, want %q", got, tc.wantCalls)
			}
		})
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil || !strings.Contains(model.ErrorOf(err).Msg, want) {
		t.Fatalf("err = %v, want message containing %q", err, want)
	}
}

func TestStart(t *testing.T) {
	tests := []struct {
		name      string
		installed bool
		running   bool
		foreign   bool // a foreground serve holds the database
		listens   bool // the started service takes the lock
		actionErr error
		wantErr   string
		wantCalls string
	}{
		{name: "not installed", wantErr: "还没有安装为系统服务", wantCalls: ""},
		{name: "a foreground server holds the database: refused", installed: true, foreign: true, wantErr: "请先关闭它", wantCalls: ""},
		{name: "already running: nothing to do", installed: true, running: true, foreign: true, wantCalls: ""},
		{name: "no rights", installed: true, actionErr: errors.New("exit status 4"), wantErr: "启动系统服务需要管理员权限", wantCalls: "start"},
		{name: "starts and waits for the address", installed: true, listens: true, wantCalls: "start"},
		{name: "starts but never listens: points at the log", installed: true, wantErr: LogPath(testDB), wantCalls: "start"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := &fakeLock{}
			if tc.foreign {
				l.set(true, "127.0.0.1:7789")
			}
			m := &fakeManager{installed: tc.installed, running: tc.running, actionErr: tc.actionErr}
			if tc.listens {
				m.onStart = func() { go func() { time.Sleep(30 * time.Millisecond); l.set(true, "127.0.0.1:7789") }() }
			}
			st, err := newTestControl(m, l, false).Start(context.Background())
			checkErr(t, err, tc.wantErr)
			if got := m.Calls(); got != tc.wantCalls {
				t.Errorf("calls = %q, want %q", got, tc.wantCalls)
			}
			if tc.wantErr == "" && (!st.Serving || st.Server.Addr != "127.0.0.1:7789") {
				t.Errorf("state after start = %+v, want serving at 127.0.0.1:7789", st)
			}
		})
	}
}

func TestStop_WaitsUntilTheDatabaseIsReleased(t *testing.T) {
	l := &fakeLock{}
	l.set(true, "127.0.0.1:7789")
	released := make(chan time.Time, 1)
	m := &fakeManager{installed: true, running: true, onStop: func() {
		go func() { time.Sleep(50 * time.Millisecond); l.set(false, ""); released <- time.Now() }()
	}}
	if err := newTestControl(m, l, true).Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-released:
	default:
		t.Fatal("Stop returned before the service released the database")
	}
	if m.Calls() != "stop" {
		t.Errorf("calls = %q", m.Calls())
	}
}

func TestStop_NotRunning_NoCall(t *testing.T) {
	m := &fakeManager{installed: true}
	if err := newTestControl(m, &fakeLock{}, true).Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m.Calls() != "" {
		t.Errorf("calls = %q, want none", m.Calls())
	}
}

func TestUninstall_RunningService_StoppedFirst(t *testing.T) {
	l := &fakeLock{}
	l.set(true, "127.0.0.1:7789")
	m := &fakeManager{installed: true, running: true, onStop: func() { l.set(false, "") }}
	if err := newTestControl(m, l, true).Uninstall(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m.Calls() != "stop,uninstall" || m.installed {
		t.Errorf("calls = %q installed = %v", m.Calls(), m.installed)
	}
}

func TestUninstall_NotInstalled_SaysSo(t *testing.T) {
	m := &fakeManager{}
	err := newTestControl(m, &fakeLock{}, true).Uninstall(context.Background())
	checkErr(t, err, "还没有安装为系统服务")
}

func TestName_PerDatabase(t *testing.T) {
	a, b := Name("/srv/a/botgate.db"), Name("/srv/b/botgate.db")
	if a == b {
		t.Errorf("two databases share the service name %s", a)
	}
	if a != Name("/srv/a/../a/botgate.db") {
		t.Error("the same database gives two names")
	}
	if !strings.HasPrefix(a, "botgate-") || len(a) != len("botgate-")+8 {
		t.Errorf("name %q", a)
	}
}

func TestConfig_RunsServeWithTheAbsoluteDatabase(t *testing.T) {
	c := Config("/srv/botgate/botgate.db", "/usr/local/bin/botgate", "office")
	if got := strings.Join(c.Arguments, " "); got != "serve --db /srv/botgate/botgate.db" {
		t.Errorf("arguments = %q", got)
	}
	if c.Executable != "/usr/local/bin/botgate" || c.UserName != "office" || c.Name != Name("/srv/botgate/botgate.db") {
		t.Errorf("config = %+v", c)
	}
	if c.Option["OnFailure"] != "restart" || !strings.Contains(c.Option["SystemdScript"].(string), "RestartSec=5") {
		t.Errorf("restart on failure not configured: %v", c.Option)
	}
	if LogPath("/srv/botgate/botgate.db") != "/srv/botgate/botgate.log" {
		t.Errorf("log path %q", LogPath("/srv/botgate/botgate.db"))
	}
}

// A service that never comes up is not left installed, where the manager
// would restart it again and again while the admin runs BotGate otherwise.
func TestInstallAndStart_NotListening_InstallUndone(t *testing.T) {
	m := &fakeManager{} // starts, but never takes the lock
	c := newTestControl(m, &fakeLock{}, true)
	_, err := c.InstallAndStart(context.Background())
	checkErr(t, err, "已撤销安装")
	if got := m.Calls(); got != "install,start,stop,uninstall" {
		t.Fatalf("manager calls %q", got)
	}
	if m.installed {
		t.Fatal("the service is still installed")
	}
}

func TestInstallAndStart_Listening_StaysInstalled(t *testing.T) {
	m := &fakeManager{}
	l := &fakeLock{}
	m.onStart = func() { l.set(true, "127.0.0.1:7789") }
	st, err := newTestControl(m, l, true).InstallAndStart(context.Background())
	if err != nil || st.Server.Addr != "127.0.0.1:7789" || m.Calls() != "install,start" {
		t.Fatalf("state %+v, err %v, calls %s", st, err, m.Calls())
	}
}
