// Package winconsole gives the Windows release, a GUI-subsystem program, the
// console it was typed in (see console_windows.go). Elsewhere it does nothing.
// main imports it for that side effect only.
package winconsole
