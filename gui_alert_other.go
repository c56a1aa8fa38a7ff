//go:build !nogui && !windows

package main

// alert: outside Windows the message on standard error is what there is.
func alert(title, msg string) {}
