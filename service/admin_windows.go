//go:build windows

package service

import "golang.org/x/sys/windows"

// isAdmin: creating and starting services needs an elevated process.
func isAdmin() bool { return windows.GetCurrentProcessToken().IsElevated() }

// runAs: the service runs as LocalSystem, which can read and write the
// database wherever the admin keeps it.
func runAs(db string) string { return "" }
