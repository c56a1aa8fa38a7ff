//go:build windows || darwin

package ui

import (
	"time"

	"github.com/go-gl/glfw/v3.3/glfw"
)

// waitForEvents: on Windows and macOS the tray icon's window lives on the
// main thread, so waiting inside GLFW wakes at once for a click on the tray
// and handles it as Fyne's own poll would.
func waitForEvents(d time.Duration) { glfw.WaitEventsTimeout(d.Seconds()) }
