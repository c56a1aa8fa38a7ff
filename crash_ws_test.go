package main

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"botgate/app/channel/onebot/onebottest"
)

// reverseDB is a state database whose default channel "qq" is OneBot over
// reverse WebSocket (NapCat connects to BotGate), with an admin user erp.
func reverseDB(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "botgate.db")
	cfg := `{"settings":{"default_channel":"qq"},
	  "users":[{"name":"erp","password":"erp-password","roles":["admin"]}],
	  "channels":[{"name":"qq","type":"onebot","rate_per_minute":100000,"config":{"transport":"ws-reverse","access_token":"s3cret"}}]}`
	cfgPath := filepath.Join(dir, "cfg.json")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := botgateCmd(t, "--db", db, "config", "import", cfgPath).CombinedOutput(); err != nil {
		t.Fatalf("config import: %v\n%s", err, out)
	}
	return db
}

// napcatKeeps connects fake to the server at addr as NapCat's “WebSocket客户端”
// does, again after every drop, until the returned stop is called.
func napcatKeeps(fake *onebottest.Fake, addr string) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		fake.Keep(ctx, "ws://"+addr+"/onebot/v11/ws/qq", "s3cret", 100*time.Millisecond)
	}()
	return func() { cancel(); <-done }
}

// deliveredTexts counts what the fake NapCat answered, by message text.
func deliveredTexts(fake *onebottest.Fake) map[string]int {
	got := map[string]int{}
	for _, a := range fake.Delivered() {
		got[a.Message()]++
	}
	return got
}

// TestCrash_KillDashNineWithReverseWebSocket_LosesNothing: NapCat is
// connected over reverse WebSocket and sends pour in; the server is killed
// with SIGKILL mid-load (sends in flight on the socket, unanswered), started
// again, NapCat connects again, and every acknowledged message arrives.
func TestCrash_KillDashNineWithReverseWebSocket_LosesNothing(t *testing.T) {
	fake := onebottest.New()
	fake.Delay = func(onebottest.Action) time.Duration { return 2 * time.Millisecond }
	db := reverseDB(t)

	cmd, addr := startServe(t, db)
	stop := napcatKeeps(fake, addr)
	fake.Wait(t, 5*time.Second, "NapCat connected", func() bool { return fake.Connections() == 1 })
	load := startLoad(addr, 8)
	// Kill it in full flow: the first sends wait for a password check each
	// (bcrypt, slow on a busy machine), so count acknowledgements, not time.
	for deadline := time.Now().Add(15 * time.Second); load.nAcked.Load() < 300 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	load.halt()
	stop()
	if load.nAcked.Load() < 100 {
		t.Fatalf("only %d sends acknowledged before the kill; the test did not load the server", load.nAcked.Load())
	}
	before := len(fake.Delivered())

	_, addr = startServe(t, db)
	defer napcatKeeps(fake, addr)()
	var missing []string
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := deliveredTexts(fake)
		missing = missing[:0]
		load.acked.Range(func(k, _ any) bool {
			if got[k.(string)] == 0 {
				missing = append(missing, k.(string))
			}
			return true
		})
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged messages never delivered, e.g. %v", len(missing), load.nAcked.Load(), missing[:min(5, len(missing))])
	}
	dups := 0
	for _, n := range deliveredTexts(fake) {
		dups += max(n-1, 0)
	}
	t.Logf("acknowledged %d (unanswered at the kill %d); NapCat had %d before the kill, all acknowledged delivered after the restart; duplicate deliveries: %d",
		load.nAcked.Load(), load.nErr.Load(), before, dups)
}
