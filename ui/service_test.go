package ui

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2/test"
	kservice "github.com/kardianos/service"

	"botgate/apiserver"
	"botgate/app"
	"botgate/service"
)

// osFake is the OS service manager for the window tests. Starting "the
// service" opens a second App on the same database file and serves it, as
// the real service process does, so the window learns of it only the way it
// would in the field: through the manager's answers and the database lock.
type osFake struct {
	t  *testing.T
	db string

	mu        sync.Mutex
	installed bool
	statusErr error
	srv       *app.App
	calls     []string
}

func newOSFake(t *testing.T, db string, installed bool) *osFake {
	f := &osFake{t: t, db: db, installed: installed}
	t.Cleanup(func() { _ = f.Stop() })
	return f
}

func (f *osFake) record(c string) { f.calls = append(f.calls, c) }

func (f *osFake) Calls() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.calls, ",")
}

func (f *osFake) Install() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("install")
	f.installed = true
	return nil
}

func (f *osFake) Uninstall() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("uninstall")
	f.installed = false
	return nil
}

func (f *osFake) Start() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("start")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.Open(context.Background(), app.Options{DBPath: f.db, Log: log,
		Handler: func(a *app.App) http.Handler { return apiserver.New(apiserver.AppDeps(a), log, "service") }})
	if err != nil {
		return err
	}
	if _, err := a.StartServer(); err != nil {
		a.Close()
		return err
	}
	f.srv = a
	return nil
}

func (f *osFake) Stop() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.srv != nil {
		f.record("stop")
		f.srv.StopServer()
		f.srv.Close()
		f.srv = nil
	}
	return nil
}

func (f *osFake) Status() (kservice.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.statusErr != nil:
		return kservice.StatusUnknown, f.statusErr
	case !f.installed:
		return kservice.StatusUnknown, kservice.ErrNotInstalled
	case f.srv != nil:
		return kservice.StatusRunning, nil
	}
	return kservice.StatusStopped, nil
}

// serviceAddr is where "the service" listens ("" when it does not run).
func (f *osFake) serviceAddr() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.srv == nil {
		return ""
	}
	_, addr := f.srv.Running()
	return addr
}

// withService builds the window with a service control over m; admin says
// whether the window has administrator rights, elevate how it asks for them.
func withService(m *osFake, admin bool, elevate service.Elevator) func(db string) app.ServiceControl {
	return func(db string) app.ServiceControl {
		m.db = db
		return service.NewPanel(service.NewControl(m, db, admin, service.Probe{}), "botgate", elevate)
	}
}

func TestServiceTab_InstalledService_StartAndStopControlTheService(t *testing.T) {
	m := newOSFake(t, "", true)
	h := newHarnessWith(t, withService(m, true, nil))
	s := h.u.service
	if !s.boot.Checked || s.state.Text != T("已停止（已安装为系统服务，点“启动”由系统服务运行）") {
		t.Fatalf("installed service not shown: switch %v, state %q", s.boot.Checked, s.state.Text)
	}
	test.Tap(s.start)
	h.u.actions.Wait()
	if !strings.HasPrefix(s.state.Text, T("以系统服务运行")) || s.stop.Disabled() {
		t.Fatalf("after Start: state %q, stop disabled %v", s.state.Text, s.stop.Disabled())
	}
	addr := m.serviceAddr()
	if addr == "" || !strings.Contains(s.state.Text, "http://"+addr+"/") {
		t.Fatalf("state %q, service listens on %q", s.state.Text, addr)
	}
	if r, _ := h.a.Running(); r {
		t.Fatal("the window started its own server as well as the service")
	}
	if code, _ := h.get(addr, "/healthz"); code != http.StatusOK {
		t.Fatalf("the service's API answered %d", code)
	}
	if !s.start.Disabled() {
		t.Fatal("Start stays enabled while the service runs")
	}

	test.Tap(s.stop)
	h.u.actions.Wait()
	if s.start.Disabled() || s.state.Text != T("已停止（已安装为系统服务，点“启动”由系统服务运行）") {
		t.Fatalf("after Stop: state %q, start disabled %v", s.state.Text, s.start.Disabled())
	}
	if !refused(addr) {
		t.Fatalf("the service still answers on %s after Stop", addr)
	}
	if got := m.Calls(); got != "start,stop" {
		t.Fatalf("manager calls %q, want start,stop", got)
	}
}

func TestServiceTab_BootSwitch_MovesTheRunningServerIntoTheServiceAndBack(t *testing.T) {
	m := newOSFake(t, "", false)
	h := newHarnessWith(t, withService(m, true, nil))
	s := h.u.service
	if s.boot.Checked || s.boot.Hidden {
		t.Fatalf("switch checked %v hidden %v before install", s.boot.Checked, s.boot.Hidden)
	}
	test.Tap(s.start)
	inWindow := h.addr()

	test.Tap(s.boot) // on: install, and the running server moves into the service
	h.u.actions.Wait()
	if !strings.HasPrefix(s.state.Text, T("以系统服务运行")) {
		t.Fatalf("after switching on: state %q, error %q", s.state.Text, s.errs.text(""))
	}
	if r, _ := h.a.Running(); r {
		t.Fatal("the window's own server still runs")
	}
	if addr := m.serviceAddr(); addr != inWindow {
		t.Fatalf("service listens on %s, want the saved %s the window used", addr, inWindow)
	}
	if code, _ := h.get(inWindow, "/healthz"); code != http.StatusOK {
		t.Fatalf("API answered %d after the move", code)
	}
	if !s.boot.Checked || !s.autoStart.Disabled() || s.saved.Text != T("已安装为系统服务，开机时自动启动") {
		t.Fatalf("switch %v, 自动启动 disabled %v, message %q", s.boot.Checked, s.autoStart.Disabled(), s.saved.Text)
	}

	test.Tap(s.boot) // off: uninstall, and the server moves back into the window
	h.u.actions.Wait()
	if r, _ := h.a.Running(); !r || s.boot.Checked {
		t.Fatalf("after switching off: window server running %v, switch %v, error %q", r, s.boot.Checked, s.errs.text(""))
	}
	if code, _ := h.get(inWindow, "/healthz"); code != http.StatusOK {
		t.Fatalf("API answered %d after moving back", code)
	}
	if got := m.Calls(); got != "install,start,stop,uninstall" {
		t.Fatalf("manager calls %q", got)
	}
	if !strings.HasPrefix(s.state.Text, T("运行中")) || s.saved.Text != T("已卸载系统服务；服务改在本窗口中运行，关闭 BotGate 后停止") {
		t.Fatalf("state %q, message %q", s.state.Text, s.saved.Text)
	}
}

func TestServiceTab_RightsPromptDismissed_NothingChangesAndTheSwitchGoesBack(t *testing.T) {
	m := newOSFake(t, "", false)
	cancelled := func(context.Context, uintptr, string, []string) (int, error) {
		return -1, service.ErrElevationCancelled
	}
	h := newHarnessWith(t, withService(m, false, cancelled))
	s := h.u.service
	test.Tap(s.start)
	addr := h.addr()
	test.Tap(s.boot)
	h.u.actions.Wait()
	if !strings.Contains(s.errs.text(""), "已取消：没有获得管理员权限") || s.boot.Checked || s.boot.Disabled() {
		t.Fatalf("message %q, switch checked %v disabled %v", s.errs.text(""), s.boot.Checked, s.boot.Disabled())
	}
	if r, got := h.a.Running(); !r || got != addr {
		t.Fatalf("the window's server is not back on %s (running %v on %s)", addr, r, got)
	}
	if m.Calls() != "" {
		t.Fatalf("the manager was called without rights: %s", m.Calls())
	}
}

func TestServiceTab_ServerRunningElsewhere_ShownAndNotStartedTwice(t *testing.T) {
	m := newOSFake(t, "", false)
	h := newHarnessWith(t, withService(m, true, nil))
	// Another BotGate on the same database (a `botgate serve`): the fake's
	// server, started without installing anything.
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	other := m.serviceAddr()
	s := h.u.service
	h.sync()
	if !strings.HasPrefix(s.state.Text, T("另一个 BotGate 正在使用这个数据库")+"，http://"+other+"/") {
		t.Fatalf("state %q", s.state.Text)
	}
	if !s.start.Disabled() || !s.stop.Disabled() {
		t.Fatalf("start disabled %v, stop disabled %v: neither applies to another process", s.start.Disabled(), s.stop.Disabled())
	}
	if err := h.u.StartServer(); err == nil || !strings.Contains(errText(err), T("。同一个数据库只能运行一个服务，所以这里不再启动；要在这里控制，请先关闭那个 BotGate。")) {
		t.Fatalf("StartServer = %v", err)
	}
	if r, _ := h.a.Running(); r {
		t.Fatal("the window started a second server")
	}
	if !strings.Contains(s.example.Text, "http://"+other+"/") {
		t.Fatalf("example URL %q does not point at the running server", s.example.Text)
	}
}

func TestServiceTab_ManagerCannotBeAsked_SwitchOffLimitsAndReasonShown(t *testing.T) {
	m := newOSFake(t, "", true)
	m.statusErr = errors.New("exit status 3")
	h := newHarnessWith(t, withService(m, true, nil))
	s := h.u.service
	if !s.boot.Disabled() || !s.svcNote.Visible() || !strings.HasPrefix(s.svcNote.Text, T("无法读取系统服务的状态：")) {
		t.Fatalf("switch disabled %v, note %q", s.boot.Disabled(), s.svcNote.Text)
	}
	// The window may still run the server itself.
	test.Tap(s.start)
	if r, _ := h.a.Running(); !r {
		t.Fatalf("the window's server did not start: %q", s.errs.text(""))
	}
}

// A poll that began before an action ended must not overwrite what the
// action's end read.
func TestPollState_OvertakenByAnAction_Dropped(t *testing.T) {
	h := newHarnessWith(t, withService(newOSFake(t, "", false), true, nil))
	h.u.state.mu.Lock()
	gen := h.u.state.gen
	h.u.state.mu.Unlock()
	h.u.setBusy("x")
	h.u.setBusy("")
	if _, ok := h.u.readStateSince(gen, true); ok {
		t.Fatal("a poll begun before the action was kept")
	}
	if _, ok := h.u.readStateSince(gen+2, true); !ok {
		t.Fatal("a current poll was dropped")
	}
}

func TestTrayToggle_FollowsWhatRuns(t *testing.T) {
	tests := []struct {
		v        serverView
		label    string
		disabled bool
	}{
		{serverView{}, "启动服务", false},
		{serverView{where: here}, "停止服务", false},
		{serverView{where: asService}, "停止服务", false},
		{serverView{where: asService, busy: "正在停止系统服务…"}, "停止服务", true},
		{serverView{where: serviceStarting}, "停止服务", false},
		{serverView{where: elsewhere}, "启动服务", true},
	}
	for _, tt := range tests {
		label, disabled := trayToggle(tt.v)
		if label != T(tt.label) || disabled != tt.disabled {
			t.Errorf("%+v: %q disabled %v, want %q %v", tt.v, label, disabled, tt.label, tt.disabled)
		}
	}
}
