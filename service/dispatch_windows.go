//go:build windows

package service

import (
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	kservice "github.com/kardianos/service"
	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
)

// dispatch connects to the service control manager and runs the service
// program under it until it says stop. It does not ask kardianos' Run,
// which connects only when svc.IsWindowsService() guesses this process is a
// service (a services.exe parent in session 0; never true under Wine): Run
// is called only when the service manager started us (AsServiceFlag), so
// there is nothing to guess. kardianos' service is the svc.Handler: its
// Execute reports StartPending, Running and StopPending around Program's
// Start and Stop.
func dispatch(s kservice.Service, name string) error {
	h, ok := s.(svc.Handler)
	if !ok {
		return s.Run()
	}
	err := svc.Run(name, h)
	if errors.Is(err, windows.ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
		return errors.New("--" + AsServiceFlag + " 只供 Windows 服务管理器使用：要在前台运行，请去掉这个选项；要作为服务运行，请用 botgate service install --start")
	}
	return err
}

// systemLogger is the Windows event log (Application, source = the service
// name). kardianos' Logger would give the console when its guess says
// "interactive".
func systemLogger(s kservice.Service) (kservice.Logger, error) { return s.SystemLogger(nil) }

// DefaultDB is the database `botgate service ...` uses without --db (and
// BOTGATE_DB): %ProgramData%\BotGate\botgate.db. The service runs as
// LocalSystem, whose %APPDATA% is not the admin's, and the installer's
// 开机自动启动 gives no --db: one machine-wide place that every admin's
// window and the service agree on. userDB is the default of other commands
// (%APPDATA%\botgate\botgate.db), kept when BOTGATE_DB chose it.
func DefaultDB(userDB string) string {
	if os.Getenv("BOTGATE_DB") != "" {
		return userDB
	}
	dir, err := windows.KnownFolderPath(windows.FOLDERID_ProgramData, 0)
	if err != nil || dir == "" {
		if dir = os.Getenv("ProgramData"); dir == "" {
			dir = `C:\ProgramData`
		}
	}
	return filepath.Join(dir, "BotGate", "botgate.db")
}

// WindowDB is the database the window opens when it is given none: the
// machine-wide one (DefaultDB) once it exists, because a service installed by
// the installer or by `botgate service install` runs there and the window is
// its control panel; the user's own (userDB) until then.
func WindowDB(userDB string) string {
	shared := DefaultDB(userDB)
	if shared == userDB {
		return userDB
	}
	if _, err := os.Stat(shared); err == nil {
		return shared
	}
	return userDB
}

// shareDatabaseDir lets the window, which runs without elevation, edit the
// machine-wide database that a service (LocalSystem) runs on: %ProgramData%
// gives ordinary users no write access to a folder an administrator
// created. Install calls it; a failure is logged, not fatal (the window then
// says the database cannot be written, and how to fix it).
func shareDatabaseDir(db string) {
	dir := filepath.Dir(db)
	if !strings.EqualFold(dir, filepath.Dir(DefaultDB(""))) {
		return // the admin's own folder: already writable by the admin
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		slog.Warn("creating the shared database folder failed", "dir", dir, "err", err)
		return
	}
	// *S-1-5-32-545 is BUILTIN\Users in every Windows language.
	out, err := exec.Command("icacls", dir, "/grant", "*S-1-5-32-545:(OI)(CI)M", "/T", "/Q").CombinedOutput()
	if err != nil {
		slog.Warn("granting users write access to the shared database folder failed", "dir", dir, "err", err, "output", string(out))
	}
}
