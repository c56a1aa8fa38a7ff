//go:build !windows

package ui

// Alert: outside Windows the message on standard error is what there is.
func Alert(title, msg string) {}
