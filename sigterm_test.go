//go:build !windows

// Windows has no SIGTERM to send a process; its clean stops (Ctrl-C, the
// service manager, the window) end in the same App stop.

package main

import (
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERM_UnderLoad_NoDuplicateNoLoss: a clean stop (SIGTERM, as
// systemd or kill sends) while sends are in flight lets them finish and
// records them, so the restarted server sends nothing twice; every
// acknowledged message still arrives (exactly once).
func TestSIGTERM_UnderLoad_NoDuplicateNoLoss(t *testing.T) {
	fake := newFakeOneBot(5 * time.Millisecond)
	platform := httptest.NewServer(fake)
	defer platform.Close()
	db := platformDB(t, platform.URL)

	cmd, addr, stderr := startBotgate(t, "--db", db, "serve", "--listen", "127.0.0.1:0")
	load := startLoad(addr, 8)
	waitUnderLoad(t, load, fake)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("botgate did not exit cleanly after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("botgate did not exit within 20 s of SIGTERM\n%s", stderr.String())
	}
	load.halt()
	if strings.Contains(stderr.String(), "cancelling them") {
		t.Fatalf("sends of a few ms outlived the stop grace:\n%s", stderr.String())
	}

	startServe(t, db)
	if missing := load.waitDelivered(fake); len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged messages never delivered, e.g. %v", len(missing), load.nAcked.Load(), missing[:min(5, len(missing))])
	}
	time.Sleep(300 * time.Millisecond) // room for a wrong re-send still on its way
	if n, examples := fake.duplicates(); n > 0 {
		t.Fatalf("%d duplicate deliveries across a clean stop, e.g. %v", n, examples)
	}
	t.Logf("acknowledged %d, refused or unanswered from the stop on %d; all acknowledged delivered, none twice", load.nAcked.Load(), load.nErr.Load())
}

// waitUnderLoad waits until the server has acknowledged 100 sends (a slow
// disk takes longer) and the platform is answering one now, so that the stop
// finds deliveries in flight and a backlog behind them.
func waitUnderLoad(t *testing.T, load *sendLoad, fake *fakeOneBot) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for load.nAcked.Load() < 100 || fake.inflight.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s, %d sends acknowledged and %d in flight to the platform; the test did not load the server", load.nAcked.Load(), fake.inflight.Load())
		}
		time.Sleep(time.Millisecond)
	}
}
