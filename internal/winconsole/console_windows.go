//go:build windows

package winconsole

import (
	"os"

	"golang.org/x/sys/windows"
)

// The Windows release is a GUI-subsystem program, so double-clicking it opens
// no console window. Run from cmd.exe or PowerShell with a subcommand
// (`botgate.exe service status`), such a program has no standard output and
// would print nothing; attach to the console it was typed in instead. Output
// that is already redirected (`> log.txt`, `| more`) is left alone, and a run
// by the service manager has no parent console, so nothing changes there.
// It runs in init, as it did in package main: before main reads a flag or
// prints a word.
func init() {
	if len(os.Args) < 2 {
		return // the window
	}
	attach := windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")
	const attachParentProcess = ^uintptr(0) // ATTACH_PARENT_PROCESS = (DWORD)-1
	if ok, _, _ := attach.Call(attachParentProcess); ok == 0 {
		return // no parent console, or we already have one (console build)
	}
	reopen := func(std uint32, name string, flag int, f **os.File) {
		if usable(std) {
			return
		}
		if c, err := os.OpenFile(name, flag, 0); err == nil {
			*f = c
		}
	}
	reopen(windows.STD_OUTPUT_HANDLE, "CONOUT$", os.O_WRONLY, &os.Stdout)
	reopen(windows.STD_ERROR_HANDLE, "CONOUT$", os.O_WRONLY, &os.Stderr)
	reopen(windows.STD_INPUT_HANDLE, "CONIN$", os.O_RDONLY, &os.Stdin)
}

// usable tells whether a standard handle points somewhere (a file, a pipe).
func usable(std uint32) bool {
	h, err := windows.GetStdHandle(std)
	if err != nil || h == 0 || h == windows.InvalidHandle {
		return false
	}
	_, err = windows.GetFileType(h)
	return err == nil
}
