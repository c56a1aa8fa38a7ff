package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"botgate/assets"
)

// setupTray adds the tray icon and menu when the desktop has a tray; it
// reports whether it did. Without one, closing the window quits.
func setupTray(fa fyne.App, u *UI) bool {
	desk, ok := fa.(desktop.App)
	if !ok {
		return false
	}
	if why := trayUnavailable(); why != "" {
		u.log.Warn("running without a tray icon; closing the window quits", "reason", why)
		return false
	}
	toggle := fyne.NewMenuItem(T("启动服务"), nil)
	show := fyne.NewMenuItem(T("打开主窗口"), func() {
		u.win.Show()
		u.win.RequestFocus()
	})
	quit := fyne.NewMenuItem(T("退出"), func() { fa.Quit() })
	quit.IsQuit = true
	menu := fyne.NewMenu("BotGate", show, toggle, fyne.NewMenuItemSeparator(), quit)
	toggle.Action = func() {
		if r, _ := u.running.Get(); r {
			u.StopServer()
		} else {
			u.StartServer()
		}
	}
	apply := func(running bool) {
		if running {
			toggle.Label = T("停止服务")
			desk.SetSystemTrayIcon(assets.TrayRunning)
		} else {
			toggle.Label = T("启动服务")
			desk.SetSystemTrayIcon(assets.TrayStopped)
		}
		desk.SetSystemTrayMenu(menu)
	}
	desk.SetSystemTrayMenu(menu)
	apply(false)
	u.OnStateChange(apply)
	return true
}
