package service

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"botgate/app"
)

// TestMain lets the test binary act as the service process: with
// BOTGATE_SERVICE_RUN=<db> it runs Run on that database, as `botgate serve`
// does when the service manager starts it.
func TestMain(m *testing.M) {
	if db := os.Getenv("BOTGATE_SERVICE_RUN"); db != "" {
		err := Run(db, func(ctx context.Context, log *slog.Logger) (Server, error) {
			return app.Open(ctx, app.Options{DBPath: db, Log: log, Handler: okHandler})
		})
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestRun_ServesThenStopsOnSIGTERM_LogsToFileBesideDB(t *testing.T) {
	db := filepath.Join(t.TempDir(), "botgate.db")
	addr := freeAddr(t)
	importListen(t, db, addr)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "BOTGATE_SERVICE_RUN="+db)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	eventually(t, 10*time.Second, "service process answers", func() bool { return get(addr) })
	if info, ok, _ := app.FindServer(db); !ok || info.PID != cmd.Process.Pid {
		t.Errorf("FindServer = %+v %v, want the service process %d", info, ok, cmd.Process.Pid)
	}

	t0 := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("service exited with %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("service did not stop within 5 s of SIGTERM")
	}
	t.Logf("graceful stop took %v", time.Since(t0).Round(time.Millisecond))
	if _, ok, _ := app.FindServer(db); ok {
		t.Error("database still locked after the service stopped")
	}
	b, err := os.ReadFile(LogPath(db))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"BotGate service starting", "BotGate service started", "addr=" + addr, "BotGate service stopped"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("log file lacks %q:\n%s", want, b)
		}
	}
}
