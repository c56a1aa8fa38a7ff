package service

import "unsafe"

// SHELLEXECUTEINFOW is 112 bytes on 64-bit Windows; this fails to compile if
// shellExecuteInfo ever differs (the Windows build runs in CI).
var _ = [1]struct{}{}[unsafe.Sizeof(shellExecuteInfo{})-112]
