//go:build linux && cgo

// Command xclose closes a window as its title bar's close button would, on
// an X display with no window manager (Xvfb), and waits until it is hidden
// or gone: scripts/test-windows.sh closes BotGate's window to the tray with it.
//
//	go run ./internal/xwin/xclose BotGate
package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"botgate/internal/xwin"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: xclose TITLE-PREFIX")
		os.Exit(2)
	}
	x, err := xwin.Open()
	if err != nil {
		fmt.Fprintln(os.Stderr, "xclose:", err)
		os.Exit(1)
	}
	defer x.Close()
	w, err := x.Find(os.Args[1], 10*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, "xclose:", err)
		os.Exit(1)
	}
	x.AskClose(w)
	took, err := x.WaitViewable(w, false, 10*time.Second)
	if err != nil && !errors.Is(err, xwin.ErrGone) {
		fmt.Fprintln(os.Stderr, "xclose:", err)
		os.Exit(1)
	}
	fmt.Printf("hidden after %v\n", took.Round(time.Millisecond))
}
