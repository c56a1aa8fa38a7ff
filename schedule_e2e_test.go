package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// texts lists what the platform received, each text once.
func (f *fakeOneBot) texts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, 0, len(f.got))
	for k := range f.got {
		out = append(out, k)
	}
	return out
}

// lastRun asks the running server's /api/v1/schedules for a schedule's last slot.
func lastRun(t *testing.T, addr, name string) (slot, outcome string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/schedules", nil)
	req.SetBasicAuth("erp", "erp-password")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Schedules []struct {
			Name    string `json:"name"`
			LastRun *struct {
				Slot    string `json:"slot"`
				Outcome string `json:"outcome"`
			} `json:"last_run"`
		} `json:"schedules"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	for _, s := range r.Schedules {
		if s.Name == name && s.LastRun != nil {
			return s.LastRun.Slot, s.LastRun.Outcome
		}
	}
	return "", ""
}

// TestScheduledPush_RealBinary_EveryMinute_SentOnceAcrossKill9: the real
// `botgate serve` with a schedule every minute posts the template's rows to a
// OneBot group at the next minute (the test waits up to 70 s of real time);
// killed with SIGKILL right after and started again within the same minute,
// well inside the 1 h catch-up, it does not send that slot a second time.
func TestScheduledPush_RealBinary_EveryMinute_SentOnceAcrossKill9(t *testing.T) {
	fake := newFakeOneBot(0)
	platform := httptest.NewServer(fake)
	defer platform.Close()
	db := platformDB(t, platform.URL)
	importConfig(t, db, map[string]any{
		"templates": []any{map[string]any{"keyword": "销售", "kind": "query", "datasource": "default",
			"sql": "SELECT '一店' AS shop, 1200 AS amount UNION ALL SELECT '二店', 800", "reply": "{{shop}}：{{amount}} 元"}},
		"schedules": []any{map[string]any{"name": "快报", "cron": "* * * * *", "template": "销售", "channel": "qq",
			"group": "123456", "header": "{{时间}} 销售快报"}},
	})
	cmd, addr := startServe(t, db)

	var text string
	waitUntil(t, 70*time.Second, "the first slot's push", func() bool {
		for _, s := range fake.texts() {
			if strings.Contains(s, " 销售快报\n") {
				text = s
				return true
			}
		}
		return false
	})
	minute := strings.SplitN(text, " ", 2)[0] // "HH:MM", Beijing time
	want := minute + " 销售快报\n查到 2 条：\n一店：1200 元\n二店：800 元"
	if text != want {
		t.Fatalf("pushed %q\nwant %q", text, want)
	}
	slot, outcome := lastRun(t, addr, "快报")
	if outcome != "sent" || !strings.Contains(slot, "T"+minute+":00+08:00") {
		t.Fatalf("last_run %s %s, want sent at %s Beijing time", slot, outcome, minute)
	}
	// Let the dispatcher record the delivery (at-least-once delivery is the
	// outbox's own promise; what is tested here is the slot).
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	_, addr = startServe(t, db)
	time.Sleep(3 * time.Second)
	if n := fake.count(want); n != 1 {
		t.Fatalf("the %s slot was delivered %d times, want once", minute, n)
	}
	if _, outcome := lastRun(t, addr, "快报"); outcome != "sent" {
		t.Fatalf("after the restart last_run outcome %q", outcome)
	}
}
