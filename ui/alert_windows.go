package ui

import "golang.org/x/sys/windows"

// Alert shows a system message box: a double-clicked program has no console
// to print to, and no window of its own when this is needed.
func Alert(title, msg string) {
	t, _ := windows.UTF16PtrFromString(title)
	m, _ := windows.UTF16PtrFromString(msg)
	windows.MessageBox(0, m, t, windows.MB_OK|windows.MB_ICONERROR)
}
