//go:build windows || darwin

package ui

import (
	"time"

	"github.com/go-gl/glfw/v3.3/glfw"
)

// waitForEvents: on Windows and macOS the tray icon's window lives on the
// main thread, so waiting inside GLFW wakes at once for a click on the tray
// and handles it as Fyne's own poll would. go-gl reports a GLFW error by
// panicking with a *glfw.Error: that one is returned, so the idler can leave
// the loop to Fyne; any other panic (a bug in an event handler) goes on, as
// it would from Fyne's own poll.
func waitForEvents(d time.Duration) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*glfw.Error)
			if !ok {
				panic(r)
			}
			err = e
		}
	}()
	glfw.WaitEventsTimeout(d.Seconds())
	return nil
}
