//go:build windows

package serverlock

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockOffset is far past the file's content: LockFileEx locks are mandatory
// on Windows, so locking byte 0 would stop FindServer from reading the
// address. Locking beyond the end of a file is allowed.
const lockOffset = 1 << 30

// lockFile takes an exclusive lock without waiting; Windows releases it when
// the handle is closed or the process ends.
func lockFile(f *os.File) error {
	ol := &windows.Overlapped{Offset: lockOffset}
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) || errors.Is(err, windows.ERROR_IO_PENDING) {
		return errLockBusy
	}
	return err
}

func unlockFile(f *os.File) error {
	ol := &windows.Overlapped{Offset: lockOffset}
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, ol)
}
