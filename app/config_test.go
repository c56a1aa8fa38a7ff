package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"botgate/app"
	"botgate/app/config"
	"botgate/model"
)

func openApp(t *testing.T) (*app.App, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "botgate.db")
	a, err := app.Open(context.Background(), app.Options{DBPath: path, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, path
}

func importString(t *testing.T, a *app.App, js string) (config.Summary, error) {
	t.Helper()
	cf, err := config.Parse(strings.NewReader(js))
	if err != nil {
		return config.Summary{}, err
	}
	return a.Import(context.Background(), cf)
}

const fullConfig = `{
  "settings": {"listen": "127.0.0.1:7789", "auth_mode": "users", "default_channel": "qq", "auto_start": true},
  "users": [{"name": "admin", "password": "plain-secret-1", "roles": ["admin"]}],
  "channels": [{"name": "qq", "type": "onebot", "rate_per_minute": 0,
                "config": {"url": "http://127.0.0.1:5700", "access_token": "tok-secret", "secret": "sig-secret"}}],
  "templates": [{"keyword": "账号", "kind": "query", "datasource": "default",
                 "sql": "SELECT 1 AS x WHERE '{{来源QQ}}' = {{1}}", "roles": ["admin"], "users": [], "chat": true,
                 "reply": "{{x}}", "max_rows": 50, "timeout_ms": 5000}]
}`

func TestExport_MasksSecretsAndRoundTripsWithoutLosingThem(t *testing.T) {
	a, _ := openApp(t)
	if _, err := importString(t, a, fullConfig); err != nil {
		t.Fatal(err)
	}
	if _, err := importString(t, a, `{"settings":{"auth_mode":"token","auth_token":"0123456789abcdef-token"}}`); err != nil {
		t.Fatal(err)
	}
	cf, err := a.Export(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(cf)
	out := string(b)
	for _, secret := range []string{"plain-secret-1", "tok-secret", "sig-secret", "0123456789abcdef-token"} {
		if strings.Contains(out, secret) {
			t.Fatalf("export contains secret %q: %s", secret, out)
		}
	}
	if !strings.Contains(out, `"password_hash":"$2`) || !strings.Contains(out, `"access_token":"******"`) {
		t.Fatalf("export lacks hash or mask: %s", out)
	}
	// Importing the export back keeps every secret working.
	if _, err := a.Import(context.Background(), cf); err != nil {
		t.Fatal(err)
	}
	again, _ := a.Export(context.Background())
	b2, _ := json.Marshal(again)
	if string(b2) != out {
		t.Fatalf("round trip changed the config:\n%s\n%s", out, b2)
	}
	if a.Settings().AuthToken != "0123456789abcdef-token" {
		t.Fatalf("token lost in round trip: %q", a.Settings().AuthToken)
	}
}

func TestImport_IsAllOrNothing(t *testing.T) {
	a, _ := openApp(t)
	bad := strings.Replace(fullConfig, `"sql": "SELECT 1 AS x WHERE '{{来源QQ}}' = {{1}}"`, `"sql": "SELECT {{密码}}"`, 1)
	_, err := importString(t, a, bad)
	var ae *model.Error
	if !errors.As(err, &ae) || ae.Code != model.CodeInvalid || ae.Field != "sql" || !strings.Contains(ae.Msg, "模板“账号”") {
		t.Fatalf("want a field error naming the template, got %v", err)
	}
	if !a.IsEmpty() {
		t.Fatal("a rejected import left users, channels or templates behind")
	}
}

func TestImport_RejectsBadEntriesWithChineseReasons(t *testing.T) {
	a, statePath := openApp(t)
	tests := []struct{ name, js, field, want string }{
		{"unknown channel type", `{"channels":[{"name":"x","type":"msn","config":{}}]}`, "type", "未知的通道类型"},
		{"missing required key", `{"channels":[{"name":"x","type":"onebot","config":{}}]}`, "url", "缺少必填配置项"},
		{"unknown config key", `{"channels":[{"name":"x","type":"onebot","config":{"url":"http://127.0.0.1:1","tokn":"x"}}]}`, "tokn", "没有配置项"},
		{"new user without password", `{"users":[{"name":"bob","roles":[]}]}`, "password", "必须设置密码"},
		{"short password", `{"users":[{"name":"bob","password":"123"}]}`, "password", "至少 6 个字符"},
		{"bad listen port", `{"settings":{"listen":"127.0.0.1:70000"}}`, "listen", "1 到 65535"},
		{"none on LAN", `{"settings":{"listen":"0.0.0.0:7789","auth_mode":"none"}}`, "auth_mode", "只能"},
		{"short token", `{"settings":{"auth_mode":"token","auth_token":"abc"}}`, "auth_token", "16"},
		{"unknown default channel", `{"settings":{"default_channel":"nope"}}`, "default_channel", "不存在"},
		{"chat prefix with a space", `{"settings":{"chat_prefix":"# 查"}}`, "chat_prefix", "不能有空格"},
		{"chat prefix too long", `{"settings":{"chat_prefix":"123456789"}}`, "chat_prefix", "最多 8 个字符"},
		{"retention zero", `{"settings":{"log_retention_days":0}}`, "log_retention_days", "1 到 3650"},
		{"template keyword with space", `{"templates":[{"keyword":"a b","sql":"SELECT 1"}]}`, "keyword", "空格"},
		{"update in a query template", `{"templates":[{"keyword":"k","kind":"query","sql":"UPDATE t SET a=1"}]}`, "sql", "SELECT"},
		{"select in an insert template", `{"templates":[{"keyword":"k","kind":"insert","sql":"SELECT 1"}]}`, "sql", "INSERT"},
		{"placeholder as a table name", `{"templates":[{"keyword":"k","sql":"SELECT * FROM {{1}}"}]}`, "sql", "不能代替表名或列名"},
		{"query that writes after WITH", `{"templates":[{"keyword":"k","sql":"WITH x AS (SELECT 1) DELETE FROM t"}]}`, "sql", "只能读取数据"},
		{"sqlite schema table", `{"templates":[{"keyword":"k","sql":"SELECT sql FROM sqlite_master"}]}`, "sql", "sqlite_master"},
		{"missing data source", `{"templates":[{"keyword":"k","datasource":"erp","sql":"SELECT 1"}]}`, "datasource", "不存在"},
		{"state database as data source", `{"datasources":[{"name":"s","driver":"sqlite","dsn":"` + statePath + `"}]}`, "dsn", "状态数据库"},
		{"unknown driver", `{"datasources":[{"name":"s","driver":"oracle","dsn":"x"}]}`, "driver", "不支持"},
		{"reserved data source name", `{"datasources":[{"name":"default","driver":"sqlite","dsn":"/tmp/x.db"}]}`, "name", "内置"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := importString(t, a, tc.js)
			var ae *model.Error
			if !errors.As(err, &ae) || ae.Field != tc.field || !strings.Contains(ae.Msg, tc.want) {
				t.Fatalf("got %v (field %q), want field %q with %q", err, fieldOf(err), tc.field, tc.want)
			}
		})
	}
}

func fieldOf(err error) string {
	var ae *model.Error
	if errors.As(err, &ae) {
		return ae.Field
	}
	return ""
}

func TestImport_IsIdempotent(t *testing.T) {
	a, _ := openApp(t)
	for i := 0; i < 2; i++ {
		sum, err := importString(t, a, fullConfig)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Users != 1 || sum.Channels != 1 || sum.Templates != 1 {
			t.Fatalf("summary %+v", sum)
		}
	}
	cf, _ := a.Export(context.Background())
	if len(cf.Users) != 1 || len(cf.Channels) != 1 || len(cf.Templates) != 1 {
		t.Fatalf("duplicates after re-import: %+v", cf)
	}
}
