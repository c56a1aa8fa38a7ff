package ui

import (
	"os"
	"os/signal"
	"syscall"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"botgate/assets"
)

// AppID identifies BotGate to the OS (preferences, notifications).
const AppID = "io.botgate.desktop"

// NewApp creates the Fyne app with BotGate's metadata, icon and CJK theme.
// Metadata is set in code because a plain `go build` binary does not carry
// FyneApp.toml; fyneDo is on because every background update goes through fyne.Do.
func NewApp(version string) fyne.App {
	fyneapp.SetMetadata(fyne.AppMetadata{ID: AppID, Name: "BotGate", Version: version, Build: 1, Icon: assets.AppIcon,
		Release: true, Migrations: map[string]bool{"fyneDo": true}})
	fa := fyneapp.NewWithID(AppID)
	fa.SetIcon(assets.AppIcon)
	fa.Settings().SetTheme(newTheme())
	return fa
}

// Run opens the window and the tray and blocks until the admin quits; the
// server (started here when 自动启动 is on) is stopped gracefully on the way out.
func Run(ctrl Controller, opts Options) int {
	fa := NewApp(opts.Version)
	u := New(fa, ctrl, opts)
	tray := setupTray(fa, u)
	idle := newWindowIdler(u.hidden.Load, u.log)
	u.win.SetCloseIntercept(func() {
		if !tray {
			fa.Quit()
			return
		}
		u.win.Hide()
		u.hidden.Store(true)
		idle.park() // Fyne's loop would otherwise poll the hidden window 60 times a second
		// Say once where the window went, so the admin knows the service keeps running.
		if !fa.Preferences().Bool("told_tray") {
			fa.Preferences().SetBool("told_tray", true)
			fa.SendNotification(fyne.NewNotification(T(Title), T("BotGate 仍在托盘中运行；右键托盘图标可打开主窗口或退出。")))
		}
	})
	// 自动启动 starts the server in the window. With a system service
	// installed the system starts it instead, and a server already running
	// elsewhere on this database is shown, not doubled.
	if v := u.view(); ctrl.Settings().AutoStart && !v.installed && v.where == stopped {
		if err := u.StartServer(); err == nil {
			u.log.Info("server started automatically (自动启动)")
		}
	}
	// Ctrl-C or a logout signal quits like the tray's 退出: the server stops gracefully.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	go func() {
		if _, ok := <-sig; ok {
			fyne.Do(fa.Quit)
		}
	}()
	// An empty database gets the first-run guide (once: skipping it is
	// remembered), over the window once it is up.
	fa.Lifecycle().SetOnStarted(u.ShowGuideOnFirstRun)
	u.win.ShowAndRun()
	u.Close()
	ctrl.StopServer()
	u.log.Info("BotGate window closed")
	return 0
}
