package service

import "unsafe"

// SHELLEXECUTEINFOW is 60 bytes on 32-bit Windows (see elevate_windows_amd64.go).
var _ = [1]struct{}{}[unsafe.Sizeof(shellExecuteInfo{})-60]
