//go:build unix

package service

import (
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// isAdmin: installing a unit or init script needs root.
func isAdmin() bool { return os.Geteuid() == 0 }

// runAs is the account the service runs as: the owner of the database's
// folder when that is not root (the usual `sudo botgate --db ~/... service
// install`), so files SQLite creates beside the database (-wal, -shm) stay
// writable for the window the same user opens. "" runs it as root.
func runAs(db string) string {
	st, err := os.Stat(dirOf(db))
	if err != nil {
		return ""
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || sys.Uid == 0 {
		return ""
	}
	u, err := user.LookupId(strconv.FormatUint(uint64(sys.Uid), 10))
	if err != nil {
		return ""
	}
	return u.Username
}
