package main

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

// TestMain lets the test binary act as botgate itself: with BOTGATE_TEST_MAIN=1
// it runs the command line instead of the tests. Process-level tests (crash,
// reload, second instance) start real subprocesses this way, with no separate build.
func TestMain(m *testing.M) {
	if os.Getenv("BOTGATE_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// botgateCmd returns a command that runs botgate with args.
func botgateCmd(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "BOTGATE_TEST_MAIN=1")
	return cmd
}

var listeningLine = regexp.MustCompile(`已启动：http://([0-9.:]+)/`)

// startServe runs `botgate --db db serve --listen 127.0.0.1:0 extra...` and
// returns the process and the address it listens on, once it listens.
func startServe(t *testing.T, db string, extra ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd, addr, _ := startBotgate(t, append([]string{"--db", db, "serve", "--listen", "127.0.0.1:0"}, extra...)...)
	return cmd, addr
}

// startBotgate runs botgate with args and waits for its first "已启动" line.
// It returns the process, that address, and the process's stderr (its log).
// Stdout keeps being read, so a server that rebinds never blocks on it.
func startBotgate(t *testing.T, args ...string) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	cmd := botgateCmd(t, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := listeningLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default: // a later line (a rebind); the caller only waits for the first
				}
			}
		}
	}()
	select {
	case a := <-addr:
		return cmd, a, stderr
	case <-time.After(15 * time.Second):
		t.Fatalf("botgate %v did not start listening; stderr:\n%s", args, stderr.String())
	}
	return nil, "", nil
}
