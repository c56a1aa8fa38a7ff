//go:build !nogui

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"botgate/app"
	"botgate/internal/cli"
	"botgate/service"
	"botgate/ui"
)

// runGUI opens the window and the tray over the state database.
func runGUI(g *cli.Globals, stdout, stderr io.Writer) (code int) {
	if why := ui.NoDisplay(); why != "" {
		fmt.Fprintln(stderr, "错误："+why)
		return 1
	}
	log := newLogger(stderr)
	slog.SetDefault(log)
	// Fyne panics when the window cannot be created (no usable OpenGL: a
	// remote desktop or a VM without a graphics driver). Say so, in Chinese
	// and in a system message box where the platform has one, and exit.
	defer func() {
		if r := recover(); r != nil {
			log.Error("the window could not open", "panic", r)
			msg := fmt.Sprintf("无法打开窗口（%v）。这台电脑的图形驱动可能不支持 OpenGL 2.1（远程桌面、没有显卡的虚拟机里常见）：请更新显卡驱动；"+
				"或者不用窗口：用 botgate config import 导入配置，再用 botgate service install 把 BotGate 安装为系统服务运行。", r)
			fmt.Fprintln(stderr, "错误："+msg)
			ui.Alert("BotGate 无法启动", msg)
			code = 1
		}
	}()
	opts := appOptions(g, log)
	// The window controls the system service of this database when the
	// system has a service manager; without one it runs the server itself.
	if p, err := service.PanelForDatabase(g.DB); err == nil {
		opts.Service = p
	} else {
		log.Info("no system service control here", "err", err)
	}
	a, err := app.Open(context.Background(), opts)
	if err != nil {
		cli.Fail(stderr, err)
		return ui.ShowStartupError(version, g.DB, cli.ErrMsg(err))
	}
	defer a.Close()
	defer startCPUProfile(stderr)() // BOTGATE_CPUPROFILE / BOTGATE_TRACE, as for serve
	return ui.Run(a, ui.Options{Version: version, Log: log})
}
