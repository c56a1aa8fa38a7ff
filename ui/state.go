package ui

import (
	"context"
	"fmt"
	"sync"

	"fyne.io/fyne/v2/driver"

	"botgate/app"
)

// ServerController runs the API server in this process and tells who
// serves the database; the 服务 tab, the tray and the state poller use it.
type ServerController interface {
	StartServer() (string, error)
	StopServer()
	Running() (bool, string)
	// FindServer tells whether any process serves this database, and where.
	FindServer() (app.ServerInfo, bool, error)
	ListenAddr() string
}

// SystemServiceController is the system service of this database (see
// app.ServiceControl); HasService is false where the system has none, and
// the window then only runs the server itself.
type SystemServiceController interface {
	HasService() bool
	ServiceStatus(ctx context.Context) (app.ServiceState, error)
	InstallService(ctx context.Context, start bool) error
	UninstallService(ctx context.Context) error
	StartService(ctx context.Context) (app.ServiceState, error)
	StopService(ctx context.Context) error
	SetServiceOwner(hwnd uintptr)
	ServiceName() string
	ServiceLogPath() string
}

var (
	_ ServerController        = (*app.App)(nil)
	_ SystemServiceController = (*app.App)(nil)
)

// where the API server of this database runs, as far as the window can tell.
type where int

const (
	stopped         where = iota
	here                  // in this process: the window started it
	asService             // as the system service installed for this database
	serviceStarting       // the service manager started it; not listening yet
	elsewhere             // another BotGate (a `botgate serve`, another window)
)

// serverView is what the 服务 tab and the tray show.
type serverView struct {
	where     where
	addr      string
	pid       int
	installed bool   // a system service is installed for this database
	busy      string // a service action in progress ("正在启动系统服务…")
	svcErr    string // the service manager could not be asked
}

// running says whether the API runs where the window controls it (here or
// as the service).
func (v serverView) running() bool { return v.where == here || v.where == asService }

// stoppable says whether Stop applies: what running says, and a service that
// was started but does not listen (it may be failing and restarting).
func (v serverView) stoppable() bool { return v.running() || v.where == serviceStarting }

// key changes whenever anything shown changes; the state binding carries it.
func (v serverView) key() string { return fmt.Sprintf("%+v", v) }

// stateBox holds the current view for readers on any goroutine.
type stateBox struct {
	mu sync.Mutex
	v  serverView // v.busy is set by setBusy and kept across reads
	// gen counts actions begun and ended; a poll that began before the last
	// one must not overwrite what the action's end read.
	gen uint64
}

// readState asks the app, the lock file and the service manager where the
// server runs. It may run a service manager query, so the poller calls it
// off the main goroutine; actions call it after they changed something.
func (u *UI) readState() serverView {
	v, _ := u.readStateSince(0, false)
	return v
}

// readStateSince reads the state; with poll, the result is dropped (ok false)
// when an action began or ended since generation gen.
func (u *UI) readStateSince(gen uint64, poll bool) (serverView, bool) {
	var v serverView
	if r, addr := u.ctrl.Running(); r {
		v.where, v.addr = here, addr
	}
	var info app.ServerInfo
	serving := false
	hasService := u.ctrl.HasService()
	if hasService {
		st, err := u.ctrl.ServiceStatus(u.ctx)
		if err != nil {
			v.svcErr = errText(err)
		}
		v.installed = st.Installed
		info, serving = st.Server, st.Serving
		if v.where == stopped && st.Installed && st.Running {
			v.where = serviceStarting
			if serving {
				v.where = asService
			}
		}
	}
	if !hasService || v.svcErr != "" {
		var err error
		if info, serving, err = u.ctrl.FindServer(); err != nil {
			u.log.Warn("reading the database lock failed", "err", err)
		}
	}
	if v.where == stopped && serving {
		v.where = elsewhere
	}
	if v.where == asService || v.where == elsewhere {
		v.addr, v.pid = info.Addr, info.PID
	}
	u.state.mu.Lock()
	defer u.state.mu.Unlock()
	if poll && u.state.gen != gen {
		return u.state.v, false
	}
	v.busy = u.state.v.busy
	u.state.v = v
	return v, true
}

// view is the last state read.
func (u *UI) view() serverView {
	u.state.mu.Lock()
	defer u.state.mu.Unlock()
	return u.state.v
}

// syncState reads the state and hands it to the bindings (any goroutine).
func (u *UI) syncState() { u.show(u.readState()) }

// pollState is syncState for the poller: a read overtaken by an action is dropped.
func (u *UI) pollState() {
	u.state.mu.Lock()
	gen := u.state.gen
	u.state.mu.Unlock()
	if v, ok := u.readStateSince(gen, true); ok {
		u.show(v)
	}
}

func (u *UI) show(v serverView) { _ = u.stateKey.Set(v.key()) }

// setBusy marks a service action in progress ("" when done).
func (u *UI) setBusy(what string) {
	u.state.mu.Lock()
	u.state.gen++
	u.state.v.busy = what
	v := u.state.v
	u.state.mu.Unlock()
	_ = u.stateKey.Set(v.key())
}

// StartServer starts the API: through the service manager when a service is
// installed for this database, else in this process. It does nothing but
// explain when another BotGate already serves the database. It returns the
// error of an in-process start (a service start reports in the window when
// it finishes).
func (u *UI) StartServer() error {
	v := u.readState()
	switch {
	case v.busy != "":
		return nil
	case v.running():
		return nil
	case v.where == elsewhere:
		err := notice(elsewhereText(v) + T("。同一个数据库只能运行一个服务，所以这里不再启动；要在这里控制，请先关闭那个 BotGate。"))
		u.service.showErr(err)
		return err
	case v.installed:
		u.serviceAction(T("正在启动系统服务…"), func(ctx context.Context) error {
			_, err := u.ctrl.StartService(ctx)
			return err
		}, nil)
		return nil
	}
	_, err := u.ctrl.StartServer()
	u.syncState()
	if err != nil {
		u.service.showErr(err)
		u.log.Warn("server did not start", "err", err)
	}
	return err
}

// StopServer stops what the window controls: the server in this process
// (in-flight requests finish first), or the system service.
func (u *UI) StopServer() {
	v := u.readState()
	switch {
	case v.busy != "":
	case v.where == here:
		u.ctrl.StopServer()
		u.syncState()
	case v.stoppable():
		u.serviceAction(T("正在停止系统服务…"), u.ctrl.StopService, nil)
	}
}

// serviceAction runs a service manager action off the main goroutine (it may
// wait for a UAC or password prompt and for the server to come up), showing
// what happens meanwhile; done, if set, runs on the main goroutine after.
func (u *UI) serviceAction(what string, act func(ctx context.Context) error, done func(error)) {
	u.ownPrompt()
	u.setBusy(what)
	u.service.errs.clear()
	u.actions.Add(1)
	u.background(act, func(err error) {
		defer u.actions.Done()
		u.setBusy("")
		u.syncState()
		if err != nil {
			u.service.showErr(err)
			u.log.Warn("service action failed", "action", what, "err", err)
		}
		if done != nil {
			done(err)
		}
	})
}

// elsewhereText describes a server the window did not start.
func elsewhereText(v serverView) string {
	s := T("另一个 BotGate 正在使用这个数据库")
	if v.addr != "" {
		s += "，http://" + v.addr + "/"
	}
	if v.pid > 0 {
		s += fmt.Sprintf(T("（进程 %d）"), v.pid)
	}
	return s
}

// ownPrompt tells the service control which window a rights prompt belongs
// to, so that Windows puts its UAC prompt in front instead of flashing a
// taskbar button. Runs on the main goroutine, where the native handle is valid.
func (u *UI) ownPrompt() {
	nw, native := u.win.(driver.NativeWindow)
	if !native {
		return
	}
	nw.RunNative(func(ctx any) {
		if w, ok := ctx.(driver.WindowsWindowContext); ok {
			u.ctrl.SetServiceOwner(w.HWND)
		}
	})
}
