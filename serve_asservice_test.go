package main

import (
	"botgate/internal/cli"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"botgate/app"
	"botgate/service"
)

// `serve --as-service` is the command line the Windows service is
// registered with: it takes the service path (the rotating log beside the
// database, the manager's stop protocol) whatever kardianos guesses, and
// creates the database's folder, which a fresh %ProgramData%\BotGate lacks.
// Here (Linux) the manager's protocol is SIGTERM.
func TestServe_AsServiceFlag_RunsTheServicePath(t *testing.T) {
	db := filepath.Join(t.TempDir(), "fresh", "botgate.db")
	cmd := botgateCmd(t, "--db", db, "serve", "--listen", "127.0.0.1:0", "--"+service.AsServiceFlag)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	var addr string
	for deadline := time.Now().Add(15 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if info, ok, _ := app.FindServer(db); ok && info.Addr != "" {
			addr = info.Addr
		}
	}
	if addr == "" {
		t.Fatalf("no server on %s; output:\n%s", db, out.String())
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz: %s", resp.Status)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, out.String())
	}
	b, err := os.ReadFile(service.LogPath(db))
	if err != nil {
		t.Fatalf("no service log beside the database: %v", err)
	}
	for _, want := range []string{"BotGate service starting", "BotGate service started", "BotGate service stopped"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("service log lacks %q:\n%s", want, b)
		}
	}
	if strings.Contains(out.String(), "已启动：") {
		t.Errorf("took the foreground path:\n%s", out.String())
	}
}

// Only a --db before the subcommand is seen by the global flags; one after
// `service` is parsed by the service command itself and overrides the default.
func TestDBGiven(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"--db", `C:\x.db`, "service", "status"}, true},
		{[]string{"-db=/x.db", "service", "status"}, true},
		{[]string{"--listen", "127.0.0.1:1", "service", "status"}, false},
		{[]string{"service", "status", "--db", "/x.db"}, false},
	} {
		g := &cli.Globals{DB: "default.db"}
		fs := flag.NewFlagSet("botgate", flag.ContinueOnError)
		g.Register(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if got := dbGiven(fs); got != tc.want {
			t.Errorf("dbGiven(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}
