//go:build linux

package ui

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/godbus/dbus/v5"
)

// trayUnavailable says why the tray cannot work here, or "". Fyne's tray
// talks to the StatusNotifier host over the DBus session bus; without a bus
// (servers, CI, Xvfb) it fails to register and Fyne v2.7.1 then panics in
// systray's nativeEnd at Quit, so BotGate runs window-only instead.
func trayUnavailable() string {
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		// The same fallback godbus uses, minus autolaunch: starting a private
		// dbus-daemon would give a bus no tray host listens on.
		rt := os.Getenv("XDG_RUNTIME_DIR")
		if rt == "" {
			rt = fmt.Sprintf("/run/user/%d", os.Getuid())
		}
		sock := filepath.Join(rt, "bus")
		if _, err := os.Stat(sock); err != nil {
			return "no DBus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
		}
		addr = "unix:path=" + sock
	}
	conn, err := dbus.Dial(addr)
	if err != nil {
		return "cannot reach the DBus session bus: " + err.Error()
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return "DBus session bus refused us: " + err.Error()
	}
	return ""
}
