//go:build !nogui

package main

import (
	"context"
	"io"
	"log/slog"

	"botgate/service"
	"botgate/ui"
)

// runGUI opens the window and the tray over the state database.
func runGUI(g *globals, stdout, stderr io.Writer) int {
	log := newLogger(stderr)
	slog.SetDefault(log)
	a, err := openApp(context.Background(), g, log)
	if err != nil {
		fail(stderr, err)
		return ui.ShowStartupError(version, g.db, errMsg(err))
	}
	defer a.Close()
	opts := ui.Options{Version: version, Log: log}
	// The window controls the system service of this database when the
	// system has a service manager; without one it runs the server itself.
	if p, err := service.PanelForDatabase(a.DBPath()); err == nil {
		opts.Service = p
	} else {
		log.Info("no system service control here", "err", err)
	}
	return ui.Run(a, opts)
}
