//go:build !nogui && !(linux || freebsd || openbsd || netbsd)

package main

// noDisplay: Windows and macOS always have a desktop to open the window on.
func noDisplay() string { return "" }
