//go:build !unix && !windows

package serverlock

import "os"

// Platforms without file locks (wasm, plan9) do not run the server as a
// service; the lock always succeeds there.
func lockFile(f *os.File) error   { return nil }
func unlockFile(f *os.File) error { return nil }
