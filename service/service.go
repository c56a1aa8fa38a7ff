// Package service runs BotGate under the operating system's service manager
// (Windows services, systemd, SysV init) through github.com/kardianos/service,
// and controls that service: install, uninstall, start, stop, status.
//
// One service serves one state database: its name is derived from the
// database's absolute path, so "the service installed for this database" is
// well defined, and status, the GUI and the CLI agree on it.
package service

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"runtime"
	"strings"

	kservice "github.com/kardianos/service"
)

// Interactive tells a run from a terminal (or the GUI) apart from a run
// started by the service manager.
func Interactive() bool { return kservice.Interactive() }

// Platform names the service manager in use ("windows-service",
// "linux-systemd", "unix-systemv", ...).
func Platform() string { return kservice.Platform() }

// Name is the service name for the database at dbPath (absolute):
// "botgate-" and 8 hex digits of its path, so that each database may have
// its own service and the name never needs quoting.
func Name(dbPath string) string {
	p := filepath.Clean(dbPath)
	if runtime.GOOS == "windows" {
		p = strings.ToLower(p) // paths are case-insensitive there
	}
	sum := sha256.Sum256([]byte(p))
	return "botgate-" + hex.EncodeToString(sum[:4])
}

// LogPath is the rotating log file of the service, beside the database:
// botgate.db -> botgate.log.
func LogPath(dbPath string) string {
	return strings.TrimSuffix(dbPath, filepath.Ext(dbPath)) + ".log"
}

func dirOf(p string) string { return filepath.Dir(p) }

// AsServiceFlag is the flag of `botgate serve` that says "the service
// manager started me". The Windows service is registered with it: kardianos
// guesses from the parent process and the session (svc.IsWindowsService),
// and a wrong guess means serving without ever answering the service
// control manager, which then gives up ("Service request timeout."). Wine
// puts every process in session 1, where the guess is always wrong.
const AsServiceFlag = "as-service"

// serveArgs is the command line the service manager runs. Only Windows
// carries AsServiceFlag: systemd and SysV init keep the arguments they had,
// so units installed earlier and new ones are alike.
func serveArgs(goos, dbPath string) []string {
	args := []string{"serve", "--db", dbPath}
	if goos == "windows" {
		args = append(args, "--"+AsServiceFlag)
	}
	return args
}

// DisplayName is what services.msc and systemctl show.
const DisplayName = "BotGate 机器人 API 服务"

// Config is the service definition for the database at dbPath, run by exe.
// user is the account to run as ("" = the system account).
func Config(dbPath, exe, user string) *kservice.Config {
	return &kservice.Config{
		Name:        Name(dbPath),
		DisplayName: DisplayName + " (" + filepath.Base(dbPath) + ")",
		Description: "BotGate 机器人 API 服务，状态数据库 " + dbPath + "；日志 " + LogPath(dbPath),
		Executable:  exe,
		// serve reads the listen address and everything else from the
		// database, so the GUI and `config import` change a running service.
		Arguments:        serveArgs(runtime.GOOS, dbPath),
		WorkingDirectory: filepath.Dir(dbPath),
		UserName:         user,
		Option: kservice.KeyValue{
			// systemd: restart after any exit but a clean stop, 5 s later.
			"Restart":       "on-failure",
			"SystemdScript": systemdScript,
			// Windows: the SCM restarts the service 5 s after a crash or a
			// non-zero exit; the failure count resets after a day.
			"OnFailure":              "restart",
			"OnFailureDelayDuration": "5s",
			"OnFailureResetPeriod":   86400,
			"StartType":              "automatic",
		},
	}
}

// systemdScript is kardianos' unit with a 5 s restart delay (its default is
// 120 s) and ordering after the network, which a LAN listen address needs.
const systemdScript = `[Unit]
Description={{Description}}
ConditionFileIsExecutable={{Path | cmdEscape}}
Wants=network-online.target
After=network-online.target

[Service]
StartLimitInterval=60
StartLimitBurst=10
ExecStart={{Path | cmdEscape}}{{range Arguments}} {{. | cmd}}{{end}}
{{if WorkingDirectory}}WorkingDirectory={{WorkingDirectory | cmdEscape}}
{{end}}{{if UserName}}User={{UserName}}
{{end}}{{if Restart}}Restart={{Restart}}
{{end}}RestartSec=5
TimeoutStopSec=20
EnvironmentFile=-/etc/sysconfig/{{Name}}

[Install]
WantedBy=multi-user.target
`
