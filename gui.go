//go:build !nogui

package main

import (
	"context"
	"io"
	"log/slog"

	"botgate/ui"
)

// runGUI opens the window and the tray over the state database.
func runGUI(g *globals, stdout, stderr io.Writer) int {
	log := newLogger(stderr)
	slog.SetDefault(log)
	a, err := openApp(context.Background(), g, log)
	if err != nil {
		return fail(stderr, err)
	}
	defer a.Close()
	return ui.Run(a, ui.Options{Version: version, Log: log})
}
