//go:build !linux

package ui

// trayUnavailable: Windows and macOS always have a tray.
func trayUnavailable() string { return "" }
