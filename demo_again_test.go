package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"botgate/app"
)

// Running the demo again cannot show the password (only its hash is kept):
// it says how to set a new one, and the config it gives for that works.
func TestServe_DemoAgain_SaysHowToResetThePassword(t *testing.T) {
	db := filepath.Join(t.TempDir(), "botgate.db")
	run := func() string {
		cmd := botgateCmd(t, "--db", db, "serve", "--demo", "--listen", "127.0.0.1:0")
		out := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && !strings.Contains(out.String(), "已启动"); {
			time.Sleep(20 * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		return out.String()
	}
	run()
	again := run()
	m := regexp.MustCompile(`导入 (\{.*?\}\]\})`).FindStringSubmatch(again)
	if !strings.Contains(again, "授权") || m == nil {
		t.Fatalf("second demo run does not say how to reset the password:\n%s", again)
	}
	cfg := filepath.Join(t.TempDir(), "reset.json")
	if err := os.WriteFile(cfg, []byte(strings.Replace(m[1], "新密码", "demo-new-secret", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := botgateCmd(t, "--db", db, "config", "import", cfg).CombinedOutput(); err != nil {
		t.Fatalf("importing the printed config: %v\n%s", err, out)
	}
	_, addr := startServe(t, db)
	resp, err := http.Get("http://" + addr + "/?" + url.Values{"user": {app.DemoUser}, "Access_token": {"demo-new-secret"}, "keyword": {"账号"}, "QQ": {"289192968"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct{ Errcode int }
	json.NewDecoder(resp.Body).Decode(&env)
	if env.Errcode != 0 {
		t.Fatalf("the reset password is refused: errcode %d", env.Errcode)
	}
}
