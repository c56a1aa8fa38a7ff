package service

import (
	"strings"
	"testing"
)

// The Windows service says on its command line that the service manager
// started it; systemd and SysV units keep their arguments.
func TestServeArgs_MarkerOnlyOnWindows(t *testing.T) {
	for _, tc := range []struct{ goos, db, want string }{
		{"windows", `C:\ProgramData\BotGate\botgate.db`, `serve --db C:\ProgramData\BotGate\botgate.db --as-service`},
		{"linux", "/srv/botgate/botgate.db", "serve --db /srv/botgate/botgate.db"},
		{"freebsd", "/var/db/botgate.db", "serve --db /var/db/botgate.db"},
	} {
		if got := strings.Join(serveArgs(tc.goos, tc.db), " "); got != tc.want {
			t.Errorf("%s: arguments = %q, want %q", tc.goos, got, tc.want)
		}
	}
}

// Outside Windows a service follows the database's owner, so commands
// without --db keep the user's default database.
func TestDefaultDB_OtherSystemsKeepTheUserDefault(t *testing.T) {
	for _, db := range []string{"/home/office/.config/botgate/botgate.db", "/srv/x.db"} {
		if got := DefaultDB(db); got != db {
			t.Errorf("DefaultDB(%q) = %q", db, got)
		}
	}
}
