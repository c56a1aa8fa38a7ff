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
	down atomic.Bool
	mu   sync.Mutex
	got  map[string]int // message text -> times delivered
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
	time.Sleep(2 * time.Millisecond) // a platform takes a moment; some sends are in flight at the kill
	f.mu.Lock()
	f.got[body.Message]++
	f.mu.Unlock()
	io.WriteString(w, `{"status":"ok","retcode":0,"data":{"message_id":1}}`)
}

func (f *fakeOneBot) count(msg string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.got[msg]
}

// TestCrash_KillDashNineUnderLoad_LosesNoAcknowledgedMessage: sends pour in
// while the platform goes down, the server is killed with SIGKILL, restarted
// with the platform back, and every acknowledged message must arrive.
func TestCrash_KillDashNineUnderLoad_LosesNoAcknowledgedMessage(t *testing.T) {
	fake := &fakeOneBot{got: map[string]int{}}
	platform := httptest.NewServer(fake)
	defer platform.Close()

	dir := t.TempDir()
	db := filepath.Join(dir, "botgate.db")
	cfg := fmt.Sprintf(`{"settings":{"default_channel":"qq"},
	  "users":[{"name":"erp","password":"erp-password","roles":["admin"]}],
	  "channels":[{"name":"qq","type":"onebot","rate_per_minute":100000,"config":{"url":%q}}]}`, platform.URL)
	cfgPath := filepath.Join(dir, "cfg.json")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := botgateCmd(t, "--db", db, "config", "import", cfgPath).CombinedOutput(); err != nil {
		t.Fatalf("config import: %v\n%s", err, out)
	}

	cmd, addr := startServe(t, db)
	var acked sync.Map // message text -> msg_id
	var nAcked, nErr atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				text := fmt.Sprintf("w%d-%d", w, i)
				q := url.Values{"Access_token": {"erp-password"}, "user": {"erp"}, "QQ": {fmt.Sprint(10000 + w)}, "content": {text}}
				resp, err := client.Get("http://" + addr + "/?" + q.Encode())
				if err != nil {
					nErr.Add(1) // the kill: no answer, so not acknowledged
					continue
				}
				var env struct {
					Errcode int   `json:"errcode"`
					MsgID   int64 `json:"msg_id"`
				}
				err = json.NewDecoder(resp.Body).Decode(&env)
				resp.Body.Close()
				if err == nil && env.Errcode == 0 {
					acked.Store(text, env.MsgID)
					nAcked.Add(1)
				}
			}
		}(w)
	}
	time.Sleep(700 * time.Millisecond)
	fake.down.Store(true) // the platform goes down while sends keep coming
	time.Sleep(700 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	close(stop)
	wg.Wait()
	if nAcked.Load() < 100 {
		t.Fatalf("only %d sends acknowledged before the kill; the test did not load the server", nAcked.Load())
	}

	fake.down.Store(false)
	startServe(t, db)
	var missing []string
	deadline := time.Now().Add(60 * time.Second)
	for {
		missing = missing[:0]
		acked.Range(func(k, _ any) bool {
			if fake.count(k.(string)) == 0 {
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
		t.Fatalf("%d of %d acknowledged messages never delivered, e.g. %v", len(missing), nAcked.Load(), missing[:min(5, len(missing))])
	}
	dups := 0
	acked.Range(func(k, _ any) bool {
		if n := fake.count(k.(string)); n > 1 {
			dups += n - 1
		}
		return true
	})
	t.Logf("acknowledged %d, unanswered at the kill %d, all acknowledged delivered after restart; duplicate deliveries: %d", nAcked.Load(), nErr.Load(), dups)
}
