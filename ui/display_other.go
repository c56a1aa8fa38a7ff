//go:build !(linux || freebsd || openbsd || netbsd)

package ui

// NoDisplay: Windows and macOS always have a desktop to open the window on.
func NoDisplay() string { return "" }
