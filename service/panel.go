package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"botgate/app"
	"botgate/model"
)

// Elevator runs exe with args with administrator rights and waits for it to
// end, returning its exit status. It returns ErrElevationCancelled when the
// admin declined the system's prompt. owner is the native window the prompt
// belongs to (a Windows HWND; 0 = none): without one, Windows shows the UAC
// prompt only as a blinking taskbar button.
type Elevator func(ctx context.Context, owner uintptr, exe string, args []string) (exitCode int, err error)

// ErrElevationCancelled: the admin closed the UAC / password prompt.
var ErrElevationCancelled = errors.New("elevation cancelled")

// ErrElevationDenied: the system refused this account administrator rights.
var ErrElevationDenied = errors.New("elevation denied")

// Panel is the service control behind the window (app.ServiceControl). Status is read directly;
// install, uninstall, start and stop need administrator rights, so when the
// window runs without them it runs `botgate service ACTION` through the
// system's prompt for rights (UAC on Windows, pkexec on Linux) instead of
// sending an office admin to look for a command prompt.
type Panel struct {
	c       *Control
	exe     string
	elevate Elevator // nil: act directly (already admin, or no way to ask)
	owner   uintptr
}

var _ app.ServiceControl = (*Panel)(nil)

// SetOwner names the window the rights prompt belongs to (see Elevator).
// Call it before an action, from the goroutine that starts it.
func (p *Panel) SetOwner(hwnd uintptr) { p.owner = hwnd }

// NewPanel controls c; exe is this program, elevate the way to get rights
// (nil to act directly and report "请以管理员身份运行" when rights are missing).
func NewPanel(c *Control, exe string, elevate Elevator) *Panel {
	if c.admin {
		elevate = nil
	}
	return &Panel{c: c, exe: exe, elevate: elevate}
}

// PanelForDatabase is the Panel of the real service manager for db.
func PanelForDatabase(db string) (*Panel, error) {
	c, err := ForDatabase(db)
	if err != nil {
		return nil, err
	}
	exe, err := executable()
	if err != nil {
		return nil, err
	}
	return NewPanel(c, exe, systemElevator()), nil
}

// DB is the absolute database path the panel controls.
func (p *Panel) DB() string { return p.c.db }

// Name is the service name of the database.
func (p *Panel) Name() string { return Name(p.c.db) }

// LogPath is the service's log file.
func (p *Panel) LogPath() string { return LogPath(p.c.db) }

// Status is the service's state and who serves the database. It does not
// read the saved listen address: the window, which asks each second, knows it.
func (p *Panel) Status(ctx context.Context) (app.ServiceState, error) {
	st, err := p.c.status(ctx, false)
	return st.forWindow(), err
}

// Install registers the service, to start at boot; with start it also
// starts it now, under the same prompt for rights, and undoes the install
// if it does not come up.
func (p *Panel) Install(ctx context.Context, start bool) error {
	if p.elevate == nil {
		if !start {
			return p.c.Install(ctx)
		}
		_, err := p.c.InstallAndStart(ctx)
		return err
	}
	if start {
		return p.run(ctx, "install", "--start")
	}
	return p.run(ctx, "install")
}

// Uninstall stops and removes the service.
func (p *Panel) Uninstall(ctx context.Context) error {
	if p.elevate == nil {
		return p.c.Uninstall(ctx)
	}
	return p.run(ctx, "uninstall")
}

// Start starts the service and waits until it listens.
func (p *Panel) Start(ctx context.Context) (app.ServiceState, error) {
	if p.elevate == nil {
		st, err := p.c.Start(ctx)
		return st.forWindow(), err
	}
	if err := p.run(ctx, "start"); err != nil {
		st, _ := p.Status(ctx)
		return st, err
	}
	return p.Status(ctx)
}

// Stop stops the service and waits until it released the database.
func (p *Panel) Stop(ctx context.Context) error {
	if p.elevate == nil {
		return p.c.Stop(ctx)
	}
	return p.run(ctx, "stop")
}

// run carries out `botgate service action` with administrator rights. The
// elevated process has no console the window could read, so it writes its
// outcome to a report file (beside the database, which that process can
// write) and the message there, already in Chinese, is what the admin sees.
func (p *Panel) run(ctx context.Context, action string, flags ...string) error {
	report, err := os.CreateTemp(filepath.Dir(p.c.db), ".botgate-service-*.txt")
	if err != nil {
		report, err = os.CreateTemp("", "botgate-service-*.txt")
		if err != nil {
			return fmt.Errorf("无法创建临时文件：%w", err)
		}
	}
	path := report.Name()
	report.Close()
	defer os.Remove(path)

	args := append([]string{"service", action, "--db", p.c.db, "--report", path}, flags...)
	code, err := p.elevate(ctx, p.owner, p.exe, args)
	switch {
	case errors.Is(err, ErrElevationCancelled):
		return &model.Error{Code: model.CodeInvalid, Msg: "已取消：没有获得管理员权限，系统服务没有改变"}
	case errors.Is(err, ErrElevationDenied):
		return &model.Error{Code: model.CodeInvalid, Msg: "系统拒绝了管理员权限（密码不对，或这个账户不是管理员），系统服务没有改变。" + manualHint(p.c.db, action)}
	case err != nil:
		return &model.Error{Code: model.CodeInvalid, Msg: fmt.Sprintf("无法获得管理员权限（%v）。%s", err, manualHint(p.c.db, action)), Err: err}
	case code == 0:
		return nil
	}
	out, _ := os.ReadFile(path)
	if msg := lastError(string(out)); msg != "" {
		return &model.Error{Code: model.CodeInvalid, Msg: msg}
	}
	return &model.Error{Code: model.CodeInternal, Msg: fmt.Sprintf("系统服务操作没有完成（退出码 %d）。%s", code, manualHint(p.c.db, action))}
}

// lastError is the "错误：" line a failed command printed, without the prefix.
func lastError(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if msg, ok := strings.CutPrefix(strings.TrimSpace(lines[i]), "错误："); ok {
			return msg
		}
	}
	return strings.TrimSpace(out)
}

func manualHint(db, action string) string {
	return fmt.Sprintf("也可以%s后执行 botgate --db %s service %s", NeedAdminWhere, QuoteArg(db), action)
}

// NeedAdminWhere says how to open a command line with administrator rights.
const NeedAdminWhere = "以管理员身份打开命令行（Windows：右键“命令提示符”，选“以管理员身份运行”；Linux：在命令前加 sudo）"
