package service

import (
	"context"
	"errors"
	"fmt"

	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	kservice "github.com/kardianos/service"
)

// osManager is kardianos' service with fixes to Status. Under SysV init it
// treats the init script's "Stopped" (exit status 1) as a failure, and a
// missing script as an unexplained error: read the script's answer instead.
// Under systemd it reports a unit in the "failed" state (after crashes) as
// an error and one "deactivating" as not installed: while the unit file is
// there it is installed and not running, so it can be started or removed.
type osManager struct {
	kservice.Service
	name string
}

func (m osManager) Status() (kservice.Status, error) {
	switch kservice.Platform() {
	case "unix-systemv":
		return m.sysvStatus()
	case "linux-systemd":
		st, err := m.Service.Status()
		if err != nil && (errors.Is(err, kservice.ErrNotInstalled) || strings.Contains(err.Error(), "failed state")) {
			if _, e := os.Stat("/etc/systemd/system/" + m.name + ".service"); e == nil {
				return kservice.StatusStopped, nil
			}
		}
		return st, err
	}
	return m.Service.Status()
}

// sysvStatus asks the init script, whose answer kardianos misreads.
func (m osManager) sysvStatus() (kservice.Status, error) {
	script := "/etc/init.d/" + m.name
	if _, err := os.Stat(script); errors.Is(err, fs.ErrNotExist) {
		return kservice.StatusUnknown, kservice.ErrNotInstalled
	}
	out, err := exec.Command(script, "status").Output()
	switch s := strings.TrimSpace(string(out)); {
	case strings.HasPrefix(s, "Running"):
		return kservice.StatusRunning, nil
	case strings.HasPrefix(s, "Stopped"):
		return kservice.StatusStopped, nil
	case err != nil:
		return kservice.StatusUnknown, fmt.Errorf("%s status: %w", script, err)
	}
	return kservice.StatusUnknown, fmt.Errorf("%s status: unexpected answer %q", script, out)
}

// Uninstall also removes the /etc/rcN.d links kardianos' SysV installer
// made and its uninstaller leaves dangling.
func (m osManager) Uninstall() error {
	if err := m.Service.Uninstall(); err != nil {
		return err
	}
	if kservice.Platform() == "unix-systemv" {
		links, _ := filepath.Glob("/etc/rc?.d/[SK][0-9][0-9]" + m.name)
		for _, l := range links {
			os.Remove(l)
		}
	}
	return nil
}

// executable is the absolute path of this program, links resolved, so the
// service still starts after the shortcut it was installed from is gone.
func executable() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	return filepath.Abs(exe)
}

// ForDatabase is the Control of the real service manager for the database
// at db (made absolute), running this executable.
func ForDatabase(db string) (*Control, error) {
	db, err := filepath.Abs(db)
	if err != nil {
		return nil, err
	}
	exe, err := executable()
	if err != nil {
		return nil, fmt.Errorf("找不到程序自身的路径：%w", err)
	}
	s, err := kservice.New(&Program{}, Config(db, exe, runAs(db)))
	if err != nil {
		return nil, fmt.Errorf("此系统不支持安装系统服务（%v）：请用 botgate serve 在前台运行", err)
	}
	return NewControl(osManager{s, Name(db)}, db, isAdmin(), Probe{}), nil
}

// Run serves the database at db under the service manager until it says
// stop. Logs go to the system log (Windows event log, syslog/journal) and to
// a rotating file beside the database. open builds the server with the
// logger. A server that cannot start or dies exits the process with status 1
// so that the service manager restarts it.
func Run(db string, open func(ctx context.Context, log *slog.Logger) (Server, error)) error {
	db, err := filepath.Abs(db)
	if err != nil {
		return err
	}
	// The log opens before the database, which would create the folder:
	// a service installed without --db on Windows starts on a fresh
	// %ProgramData%\BotGate (DefaultDB).
	if err := os.MkdirAll(filepath.Dir(db), 0o755); err != nil {
		return fmt.Errorf("无法创建数据库文件夹 %s：%w", filepath.Dir(db), err)
	}
	file, err := OpenRotating(LogPath(db), 10<<20, 5)
	if err != nil {
		return err
	}
	defer file.Close()
	prg := &Program{}
	exe, err := executable()
	if err != nil {
		return err
	}
	s, err := kservice.New(prg, Config(db, exe, ""))
	if err != nil {
		return err
	}
	handlers := []slog.Handler{slog.NewTextHandler(file, &slog.HandlerOptions{Level: slog.LevelInfo})}
	if sys, err := systemLogger(s); err == nil {
		handlers = append(handlers, NewSystemHandler(sys, slog.LevelInfo))
	} else {
		// No syslog socket: under systemd stderr reaches the journal anyway.
		handlers = append(handlers, slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	log := slog.New(slog.NewMultiHandler(handlers...))
	slog.SetDefault(log)
	prg.Log = log
	prg.Open = func(ctx context.Context) (Server, error) { return open(ctx, log) }
	prg.Fail = func(error) {
		file.Close()
		os.Exit(1)
	}
	log.Info("BotGate service starting", "db", db, "log", LogPath(db), "platform", Platform())
	return dispatch(s, Name(db))
}
