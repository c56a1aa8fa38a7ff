package service

import "unsafe"

// SHELLEXECUTEINFOW is 112 bytes on 64-bit Windows (see elevate_windows_amd64.go).
var _ = [1]struct{}{}[unsafe.Sizeof(shellExecuteInfo{})-112]
