//go:build windows

package service

import (
	"errors"
	"os"
	"path/filepath"

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
