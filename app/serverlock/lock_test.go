package serverlock

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestFindServer_States(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		prepare func(t *testing.T, db string)
		running bool
	}{
		{"no lock file: none", func(t *testing.T, db string) {}, false},
		{"lock file left with content by a dead server: none", func(t *testing.T, db string) {
			os.WriteFile(Path(db), []byte(`{"pid":99999,"addr":"127.0.0.1:7789"}`), 0o600)
		}, false},
		{"lock held: running", func(t *testing.T, db string) {
			l, err := Acquire(db, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			l.SetAddr("127.0.0.1:7789")
			t.Cleanup(l.Release)
		}, true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(dir, fmt.Sprintf("%d.db", i))
			tc.prepare(t, db)
			info, ok, err := Find(db)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tc.running {
				t.Fatalf("running = %v, want %v", ok, tc.running)
			}
			if ok && (info.Addr != "127.0.0.1:7789" || info.PID != os.Getpid()) {
				t.Errorf("info = %+v", info)
			}
		})
	}
}
