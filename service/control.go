package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	kservice "github.com/kardianos/service"

	"botgate/app"
	"botgate/model"
)

// Manager is the part of the OS service manager that Control uses;
// kardianos' service.Service is one, tests use a fake.
type Manager interface {
	Install() error
	Uninstall() error
	Start() error
	Stop() error
	Status() (kservice.Status, error)
}

// Probe tells whether a server runs on a database (app.FindServer) and where
// a stopped one would listen (app.SavedListen).
type Probe struct {
	Find   func(db string) (app.ServerInfo, bool, error)
	Listen func(ctx context.Context, db string) (string, error)
}

// Control manages the service of one database.
type Control struct {
	m     Manager
	db    string
	admin bool // this process may install/start services (root / elevated)
	probe Probe
	// Wait bounds how long Start and Stop watch for the server to come up or
	// go away; the manager's own calls return before that.
	Wait time.Duration
	// poll is how often Start/Stop look (tests shorten it).
	poll time.Duration
}

// NewControl controls the service for the absolute database path db through m.
// admin says whether this process has administrator rights.
func NewControl(m Manager, db string, admin bool, probe Probe) *Control {
	if probe.Find == nil {
		probe.Find = app.FindServer
	}
	if probe.Listen == nil {
		probe.Listen = app.SavedListen
	}
	return &Control{m: m, db: db, admin: admin, probe: probe, Wait: 10 * time.Second, poll: 100 * time.Millisecond}
}

// State is what `service status` and the GUI show.
type State struct {
	Name      string
	DB        string
	Installed bool
	Running   bool           // the service manager reports it running
	Server    app.ServerInfo // who holds the database, when Serving
	Serving   bool           // some BotGate (the service or another) holds the database
	Listen    string         // saved listen address: where a stopped service will listen
}

// forWindow is the part of the state the window shows.
func (s State) forWindow() app.ServiceState {
	return app.ServiceState{Installed: s.Installed, Running: s.Running, Serving: s.Serving, Server: s.Server}
}

// String says the state in plain words, one or two lines.
func (s State) String() string {
	var b strings.Builder
	switch {
	case !s.Installed:
		fmt.Fprintf(&b, "未安装：数据库 %s 还没有安装为系统服务（安装：botgate --db %s service install）", s.DB, QuoteArg(s.DB))
		if s.Serving {
			fmt.Fprintf(&b, "\n另有一个 BotGate 正在前台运行%s", where(s.Server))
		}
	case s.Running && s.Serving:
		fmt.Fprintf(&b, "已安装，正在运行%s", where(s.Server))
	case s.Running:
		fmt.Fprintf(&b, "已安装，正在启动（还没有开始监听；若一直如此，请查看日志 %s）", LogPath(s.DB))
	default:
		fmt.Fprintf(&b, "已安装，已停止；启动后将监听 %s（启动：botgate service start）", s.Listen)
		if s.Serving {
			fmt.Fprintf(&b, "\n注意：另有一个 BotGate 正在前台使用这个数据库%s；服务要等它关闭后才能启动", where(s.Server))
		}
	}
	fmt.Fprintf(&b, "\n服务名 %s，数据库 %s，日志 %s", s.Name, s.DB, LogPath(s.DB))
	return b.String()
}

func where(info app.ServerInfo) string {
	s := ""
	if info.Addr != "" {
		s = "，监听地址 http://" + info.Addr + "/"
	}
	if info.PID > 0 {
		s += fmt.Sprintf("（进程 %d）", info.PID)
	}
	return s
}

// QuoteArg quotes a path with spaces for a command line the admin copies.
func QuoteArg(s string) string {
	if strings.ContainsAny(s, " \t") {
		return `"` + s + `"`
	}
	return s
}

// Status reads the service manager and the database lock.
func (c *Control) Status(ctx context.Context) (State, error) { return c.status(ctx, true) }

// status is Status; without listen it leaves out the saved listen address,
// which costs opening the database (the window, polling each second, knows it).
func (c *Control) status(ctx context.Context, listen bool) (State, error) {
	st := State{Name: Name(c.db), DB: c.db}
	status, err := c.m.Status()
	switch {
	case errors.Is(err, kservice.ErrNotInstalled):
	case err != nil:
		return st, c.explain("查询", err)
	default:
		st.Installed = true
		st.Running = status == kservice.StatusRunning
	}
	info, ok, err := c.probe.Find(c.db)
	if errors.Is(err, fs.ErrPermission) {
		return st, &model.Error{Code: model.CodeInvalid, Msg: fmt.Sprintf("无法读取锁文件 %s：没有权限（服务可能以另一个账户运行）。请%s后再查看", app.LockPath(c.db), NeedAdminWhere), Err: err}
	}
	if err != nil {
		return st, fmt.Errorf("读取锁文件 %s 失败：%w", app.LockPath(c.db), err)
	}
	st.Server, st.Serving = info, ok
	if listen && st.Installed && !st.Running {
		if st.Listen, err = c.probe.Listen(ctx, c.db); err != nil {
			st.Listen = "（无法读取：" + model.ErrorOf(err).Msg + "）"
		}
	}
	return st, nil
}

// Install registers the service (started at boot). It does not start it.
func (c *Control) Install(ctx context.Context) error {
	if !c.admin {
		return &model.Error{Code: model.CodeInvalid, Msg: "安装系统服务" + NeedAdmin}
	}
	if _, err := c.m.Status(); err == nil {
		return &model.Error{Code: model.CodeInvalid, Msg: fmt.Sprintf("数据库 %s 的系统服务已经安装过了（服务名 %s）。要重新安装，请先运行 botgate service uninstall", c.db, Name(c.db))}
	}
	shareDatabaseDir(c.db)
	return c.explain("安装", c.m.Install())
}

// InstallAndStart installs the service and starts it. If it does not come
// up, the install is undone: a service left installed would be restarted by
// the manager again and again, failing each time, while the admin goes back
// to running BotGate some other way.
func (c *Control) InstallAndStart(ctx context.Context) (State, error) {
	if err := c.Install(ctx); err != nil {
		return State{}, err
	}
	st, err := c.Start(ctx)
	if err == nil {
		return st, nil
	}
	if uerr := c.Uninstall(context.WithoutCancel(ctx)); uerr != nil {
		return st, &model.Error{Code: model.CodeInternal, Msg: model.ErrorOf(err).Msg + "；撤销安装也失败了：" + model.ErrorOf(uerr).Msg + "。请运行 botgate service uninstall", Err: err}
	}
	return st, &model.Error{Code: model.ErrorOf(err).Code, Msg: model.ErrorOf(err).Msg + "；已撤销安装", Err: err}
}

// Uninstall stops the service if it runs, then removes it. The database and
// logs stay.
func (c *Control) Uninstall(ctx context.Context) error {
	if !c.admin {
		return &model.Error{Code: model.CodeInvalid, Msg: "卸载系统服务" + NeedAdmin}
	}
	status, err := c.m.Status()
	if err != nil {
		return c.explain("卸载", err)
	}
	if status == kservice.StatusRunning {
		if err := c.Stop(ctx); err != nil {
			return err
		}
	}
	return c.explain("卸载", c.m.Uninstall())
}

// Start starts the service and waits until it listens; the returned state
// carries the address.
func (c *Control) Start(ctx context.Context) (State, error) {
	st, err := c.Status(ctx)
	if err != nil {
		return st, err
	}
	if !st.Installed {
		return st, notInstalled(c.db)
	}
	if st.Running && st.Serving {
		return st, nil
	}
	if !st.Running && st.Serving {
		return st, &model.Error{Code: model.CodeInvalid, Msg: fmt.Sprintf("数据库 %s 正被另一个 BotGate 使用%s。同一个数据库只能运行一个服务：请先关闭它（关闭窗口或按 Ctrl-C），再启动系统服务", c.db, where(st.Server))}
	}
	if err := c.m.Start(); err != nil {
		return st, c.explain("启动", err)
	}
	err = c.waitFor(ctx, func(s State) bool { return s.Serving && s.Server.Addr != "" }, &st)
	if err != nil {
		return st, &model.Error{Code: model.CodeInternal, Msg: fmt.Sprintf("服务已启动，但 %v 内没有开始监听：请运行 botgate service status 查看，或查看日志 %s", c.Wait, LogPath(c.db)), Err: err}
	}
	return st, nil
}

// Stop stops the service and waits until it released the database.
func (c *Control) Stop(ctx context.Context) error {
	status, err := c.m.Status()
	if err != nil {
		return c.explain("停止", err)
	}
	if status != kservice.StatusRunning {
		return nil
	}
	if err := c.m.Stop(); err != nil {
		return c.explain("停止", err)
	}
	var st State
	if err := c.waitFor(ctx, func(s State) bool { return !s.Serving }, &st); err != nil {
		return &model.Error{Code: model.CodeInternal, Msg: fmt.Sprintf("已请求停止服务，但 %v 内它仍在使用数据库%s：请稍后运行 botgate service status 再看", c.Wait, where(st.Server)), Err: err}
	}
	return nil
}

// waitFor polls the lock until cond holds or Wait passes.
func (c *Control) waitFor(ctx context.Context, cond func(State) bool, st *State) error {
	deadline := time.Now().Add(c.Wait)
	for {
		info, ok, err := c.probe.Find(c.db)
		if err != nil {
			return err
		}
		st.Server, st.Serving = info, ok
		if cond(*st) {
			if ok {
				st.Running = true
			}
			return nil
		}
		if time.Now().After(deadline) {
			return context.DeadlineExceeded
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(c.poll):
		}
	}
}

func notInstalled(db string) error {
	return &model.Error{Code: model.CodeInvalid, Msg: fmt.Sprintf("数据库 %s 还没有安装为系统服务：请先运行 botgate --db %s service install", db, QuoteArg(db))}
}

// NeedAdmin is the message for an action that needs administrator rights.
const NeedAdmin = "需要管理员权限：请以管理员身份运行（Windows：右键“命令提示符”，选“以管理员身份运行”，再执行同一命令；Linux：在命令前加 sudo）"

// explain turns a service manager error into a message an admin can act on.
// Managers word their errors freely (systemctl only gives an exit status), so
// besides the typed errors it also reads their text; and a failure in a
// process without admin rights is almost always that.
func (c *Control) explain(action string, err error) error {
	if err == nil {
		return nil
	}
	text := strings.ToLower(err.Error())
	switch {
	case errors.Is(err, kservice.ErrNotInstalled), strings.Contains(text, "not installed"), strings.Contains(text, "does not exist"):
		return notInstalled(c.db)
	case strings.Contains(text, "already exists"):
		return &model.Error{Code: model.CodeInvalid, Msg: fmt.Sprintf("系统服务 %s 已经存在。要重新安装，请先运行 botgate service uninstall", Name(c.db)), Err: err}
	case errors.Is(err, fs.ErrPermission), strings.Contains(text, "access is denied"), strings.Contains(text, "access denied"),
		strings.Contains(text, "permission denied"), !c.admin && action != "查询":
		return &model.Error{Code: model.CodeInvalid, Msg: action + "系统服务" + NeedAdmin, Err: err}
	}
	return &model.Error{Code: model.CodeInternal, Msg: fmt.Sprintf("%s系统服务失败（%v）：请查看系统日志和 %s", action, err, LogPath(c.db)), Err: err}
}
