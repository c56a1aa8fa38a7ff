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
		u.hidden.Store(false)
		u.syncState() // hidden, it was read only every few seconds
		u.mu.Lock()
		service := u.service
		u.mu.Unlock()
		go service.loadStats() // not read at all while hidden
		u.win.RequestFocus()
	})
	quit := fyne.NewMenuItem(T("退出"), func() { fa.Quit() })
	quit.IsQuit = true
	menu := fyne.NewMenu("BotGate", show, toggle, fyne.NewMenuItemSeparator(), quit)
	toggle.Action = func() {
		if u.view().stoppable() {
			u.StopServer()
		} else {
			u.StartServer()
		}
	}
	apply := func(v serverView) {
		show.Label, quit.Label = T("打开主窗口"), T("退出") // the language may have changed
		toggle.Label, toggle.Disabled = trayToggle(v)
		if v.where != stopped {
			desk.SetSystemTrayIcon(assets.TrayRunning)
		} else {
			desk.SetSystemTrayIcon(assets.TrayStopped)
		}
		desk.SetSystemTrayMenu(menu)
	}
	desk.SetSystemTrayMenu(menu)
	apply(u.view())
	u.OnStateChange(apply)
	return true
}

// trayToggle is the tray's start/stop item for v: the same choice as the 服务
// tab (the service when one is installed; a server run elsewhere is only
// shown, it cannot be stopped from here).
func trayToggle(v serverView) (label string, disabled bool) {
	switch {
	case v.where == elsewhere:
		return T("启动服务"), true
	case v.stoppable():
		return T("停止服务"), v.busy != ""
	}
	return T("启动服务"), v.busy != ""
}
