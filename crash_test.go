package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// fakeOneBot is a OneBot v11 HTTP API that can be switched down (503).
type fakeOneBot struct {
	delay    time.Duration // how long a send takes, so that some are in flight at the stop
	down     atomic.Bool
	inflight atomic.Int64 // sends being answered now
	mu       sync.Mutex
	got      map[string]int // message text -> times delivered
}

func newFakeOneBot(delay time.Duration) *fakeOneBot {
	return &fakeOneBot{delay: delay, got: map[string]int{}}
}

func (f *fakeOneBot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.down.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	var body struct {
		Message string `json:"message"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, "bad", http.StatusBadRequest)
		return
	}
	// The platform has the message now: a sender that gives up waiting
	// for the answer does not take it back.
	f.inflight.Add(1)
	time.Sleep(f.delay)
	f.mu.Lock()
	f.got[body.Message]++
	f.mu.Unlock()
	f.inflight.Add(-1)
	io.WriteString(w, `{"status":"ok","retcode":0,"data":{"message_id":1}}`)
}

func (f *fakeOneBot) count(msg string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.got[msg]
}

// duplicates counts the deliveries beyond the first of every message.
func (f *fakeOneBot) duplicates() (n int, examples []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for msg, c := range f.got {
		if c > 1 {
			n += c - 1
			if len(examples) < 5 {
				examples = append(examples, msg)
			}
		}
	}
	return n, examples
}

// platformDB is a state database whose default channel "qq" is a OneBot
// channel on platformURL, with an admin user erp.
func platformDB(t *testing.T, platformURL string) string {
	t.Helper()
	return configuredDB(t, fmt.Sprintf(`{"settings":{"default_channel":"qq"},
	  "users":[{"name":"erp","password":"erp-password","roles":["admin"]}],
	  "channels":[{"name":"qq","type":"onebot","rate_per_minute":100000,"config":{"url":%q}}]}`, platformURL))
}

// configuredDB is a state database with the config file cfg imported.
func configuredDB(t *testing.T, cfg string) string {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "botgate.db")
	cfgPath := filepath.Join(dir, "cfg.json")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := botgateCmd(t, "--db", db, "config", "import", cfgPath).CombinedOutput(); err != nil {
		t.Fatalf("config import: %v\n%s", err, out)
	}
	return db
}

// sendLoad is an ERP pouring sends into a server: one sender per recipient,
// each sending as fast as it is answered.
type sendLoad struct {
	acked  sync.Map // message text -> msg_id
	nAcked atomic.Int64
	nErr   atomic.Int64 // sends not answered (the stop): not acknowledged
	stop   chan struct{}
	wg     sync.WaitGroup
}

func startLoad(addr string, senders int) *sendLoad {
	return startLoadOf(senders, func(client *http.Client, w, i int) (string, int64, error) {
		text := fmt.Sprintf("w%d-%d", w, i)
		q := url.Values{"Access_token": {"erp-password"}, "user": {"erp"}, "QQ": {fmt.Sprint(10000 + w)}, "content": {text}}
		resp, err := client.Get("http://" + addr + "/?" + q.Encode())
		if err != nil {
			return text, 0, err
		}
		return text, qqapMsgID(resp), nil
	})
}

// qqapMsgID reads a QQAP reply: the msg_id of an acknowledged send, else 0.
func qqapMsgID(resp *http.Response) int64 {
	defer resp.Body.Close()
	var env struct {
		Errcode int   `json:"errcode"`
		MsgID   int64 `json:"msg_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || env.Errcode != 0 {
		return 0
	}
	return env.MsgID
}

// startLoadOf runs senders, each calling send (sender w, its i-th message)
// until halted: send returns the message's key (what the platform will
// show) and its id once acknowledged (0: refused), or the error of a send
// that was not answered.
func startLoadOf(senders int, send func(client *http.Client, w, i int) (key string, id int64, err error)) *sendLoad {
	l := &sendLoad{stop: make(chan struct{})}
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < senders; w++ {
		l.wg.Add(1)
		go func(w int) {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				key, id, err := send(client, w, i)
				switch {
				case err != nil:
					l.nErr.Add(1)
				case id != 0:
					l.acked.Store(key, id)
					l.nAcked.Add(1)
				}
			}
		}(w)
	}
	return l
}

// halt stops the senders and waits for them.
func (l *sendLoad) halt() {
	close(l.stop)
	l.wg.Wait()
}

// waitDelivered waits up to 60 s for every acknowledged message to reach
// the platform and returns those that did not.
func (l *sendLoad) waitDelivered(fake interface{ count(key string) int }) []string {
	var missing []string
	deadline := time.Now().Add(60 * time.Second)
	for {
		missing = missing[:0]
		l.acked.Range(func(k, _ any) bool {
			if fake.count(k.(string)) == 0 {
				missing = append(missing, k.(string))
			}
			return true
		})
		if len(missing) == 0 || time.Now().After(deadline) {
			return missing
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitAcked waits (at most 30 s) until the load has n acknowledged sends.
func waitAcked(t *testing.T, load *sendLoad, n int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for load.nAcked.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s only %d of %d sends acknowledged; the test did not load the server", load.nAcked.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestCrash_KillDashNineUnderLoad_LosesNoAcknowledgedMessage: sends pour in
// while the platform goes down, the server is killed with SIGKILL, restarted
// with the platform back, and every acknowledged message must arrive.
func TestCrash_KillDashNineUnderLoad_LosesNoAcknowledgedMessage(t *testing.T) {
	fake := newFakeOneBot(2 * time.Millisecond)
	platform := httptest.NewServer(fake)
	defer platform.Close()
	db := platformDB(t, platform.URL)

	cmd, addr := startServe(t, db)
	load := startLoad(addr, 8)
	// Counts, not fixed times: a busy machine acknowledges fewer sends per
	// second, and the kill must still find a backlog queued during an outage.
	waitAcked(t, load, 100)
	fake.down.Store(true) // the platform goes down while sends keep coming
	waitAcked(t, load, load.nAcked.Load()+50)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	load.halt()
	if load.nAcked.Load() < 100 {
		t.Fatalf("only %d sends acknowledged before the kill; the test did not load the server", load.nAcked.Load())
	}

	fake.down.Store(false)
	startServe(t, db)
	if missing := load.waitDelivered(fake); len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged messages never delivered, e.g. %v", len(missing), load.nAcked.Load(), missing[:min(5, len(missing))])
	}
	dups := 0
	load.acked.Range(func(k, _ any) bool {
		if n := fake.count(k.(string)); n > 1 {
			dups += n - 1
		}
		return true
	})
	t.Logf("acknowledged %d, unanswered at the kill %d, all acknowledged delivered after restart; duplicate deliveries: %d", load.nAcked.Load(), load.nErr.Load(), dups)
}
