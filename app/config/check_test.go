package config_test

import (
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"botgate/app/config"
	"botgate/model"
)

func stored() *config.Stored {
	return &config.Stored{
		Settings:    config.DefaultSettings(),
		Users:       map[string]model.User{"erp": {Name: "erp", PasswordHash: "$2a$10$stored", Roles: []string{"sales"}}},
		DataSources: map[string]model.DataSource{"erp": {Name: "erp", Driver: "postgres", DSN: "postgres://erp:pw@127.0.0.1:5432/erp"}},
		Channels: map[string]model.Channel{"qq": {Name: "qq", Type: "onebot", Enabled: false,
			Config: map[string]string{"url": "http://127.0.0.1:3000", "access_token": "tok-stored"}}},
		Templates: map[string]model.Template{},
	}
}

func parse(t *testing.T, js string) config.File {
	t.Helper()
	f, err := config.Parse(strings.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Check turns a file into the rows to write: masked secrets take the stored
// values, later entries may name earlier ones of the same file, and what the
// file leaves out keeps its stored value.
func TestCheck_RowsToWrite(t *testing.T) {
	cur := stored()
	before := stored()
	f := parse(t, `{
	  "settings": {"default_channel": "robot", "auth_mode": "sql", "auth_datasource": "mes", "auth_sql": "SELECT 1 FROM u WHERE n = {{user}} AND p = {{Access_token}}"},
	  "datasources": [{"name": "erp", "driver": "postgres", "dsn": "postgres://erp:******@127.0.0.1:5432/erp"},
	                  {"name": "mes", "driver": "SQLite", "dsn": " /data/mes.db "}],
	  "channels": [{"name": "qq", "type": "onebot", "config": {"url": "http://127.0.0.1:3000", "access_token": "******"}},
	               {"name": "robot", "type": "wecom", "rate_per_minute": 10, "config": {"url": "http://127.0.0.1:1/hook", "format": 1}}],
	  "users": [{"name": "erp", "roles": ["sales", " sales ", "boss"]}, {"name": "bob", "password": "secret-1"}],
	  "templates": [{"keyword": "库存", "datasource": "mes", "sql": "SELECT 1"}]
	}`)
	// format 1 is not text or markdown: the connector's own check speaks.
	if _, err := config.Check(f, cur, "/state/botgate.db"); model.ErrorOf(err).Field != "config" || !strings.Contains(err.Error(), "通道“robot”") {
		t.Fatalf("bad robot format: %v", err)
	}
	f.Channels[1].Config["format"] = "markdown"
	ch, err := config.Check(f, cur, "/state/botgate.db")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cur, before) {
		t.Errorf("Check changed the stored configuration it was given")
	}
	if got := ch.DataSources[0].DSN; got != "postgres://erp:pw@127.0.0.1:5432/erp" {
		t.Errorf("masked DSN = %q, want the stored password kept", got)
	}
	if d := ch.DataSources[1]; d.Driver != "sqlite" || d.DSN != "/data/mes.db" {
		t.Errorf("data source not cleaned: %+v", d)
	}
	if c := ch.Channels[0]; c.Config["access_token"] != "tok-stored" || c.Enabled {
		t.Errorf("channel qq = %+v, want the stored token and the stored enabled=false", c)
	}
	if c := ch.Channels[1]; !c.Enabled || c.RatePerMinute != 10 {
		t.Errorf("new channel = %+v", c)
	}
	if u := ch.Users[0]; u.PasswordHash != "" || !reflect.DeepEqual(u.Roles, []string{"sales", "boss"}) {
		t.Errorf("user erp = %+v, want no new hash and cleaned roles", u)
	}
	if u := ch.Users[1]; !strings.HasPrefix(u.PasswordHash, "$2") {
		t.Errorf("user bob's password not hashed: %q", u.PasswordHash)
	}
	if tp := ch.Templates[0]; tp.Kind != model.KindQuery || tp.MaxRows != 50 || tp.TimeoutMS != 5000 || !tp.Enabled {
		t.Errorf("template defaults not applied: %+v", tp)
	}
	if ch.Settings["default_channel"] != "robot" || ch.Settings["auth_mode"] != "sql" || ch.Settings["listen"] != config.DefaultListen {
		t.Errorf("settings rows = %v", ch.Settings)
	}
	want := config.Summary{Settings: 4, Users: 2, DataSources: 2, Channels: 2, Templates: 1}
	if ch.Summary != want {
		t.Errorf("summary = %+v, want %+v", ch.Summary, want)
	}
}

func TestCheck_NoSettingsNoSettingRows(t *testing.T) {
	ch, err := config.Check(parse(t, `{"users":[{"name":"bob","password":"secret-1"}]}`), stored(), "/state/botgate.db")
	if err != nil {
		t.Fatal(err)
	}
	if ch.Settings != nil || ch.Summary.Settings != 0 {
		t.Errorf("a file without settings writes settings: %v", ch.Settings)
	}
}

// The first bad entry is named with its kind and name (or position), and
// nothing is returned to write.
func TestCheck_NamesTheBadEntry(t *testing.T) {
	state := filepath.Join(t.TempDir(), "botgate.db")
	tests := []struct{ name, js, field, want string }{
		{"state database", `{"datasources":[{"name":"s","driver":"sqlite","dsn":"` + state + `"}]}`, "dsn", "数据源“s”：数据源不能指向 BotGate 自己的状态数据库"},
		{"unnamed channel", `{"channels":[{"type":"log"}]}`, "name", "通道名称"},
		{"hash and password", `{"users":[{"name":"x","password":"secret-1","password_hash":"$2a$x"}]}`, "password", "用户“x”：password 和 password_hash 只能填一个"},
		{"template names a missing source", `{"templates":[{"keyword":"k","datasource":"nope","sql":"SELECT 1"}]}`, "datasource", "模板“k”"},
		{"auth sql not a select", `{"settings":{"auth_mode":"sql","auth_datasource":"erp","auth_sql":"DELETE FROM u"}}`, "auth_sql", "设置：授权 SQL 必须是 SELECT 语句"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := config.Check(parse(t, tt.js), stored(), state)
			e := model.ErrorOf(err)
			if err == nil || e.Field != tt.field || !strings.Contains(e.Msg, tt.want) {
				t.Fatalf("got %v (field %q), want field %q with %q", err, e.Field, tt.field, tt.want)
			}
			if !reflect.DeepEqual(ch, config.Changes{}) {
				t.Errorf("a refused file still has rows to write: %+v", ch)
			}
		})
	}
}

func TestMaskChannel_HidesTheTypesSecretKeys(t *testing.T) {
	in := map[string]string{"url": "http://127.0.0.1:3000", "access_token": "tok", "secret": ""}
	got := config.MaskChannel("onebot", in)
	want := map[string]string{"url": "http://127.0.0.1:3000", "access_token": config.Mask, "secret": ""}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("masked = %v, want %v", got, want)
	}
	if in["access_token"] != "tok" {
		t.Error("MaskChannel changed its argument")
	}
}

// CheckName accepts exactly what the pattern it replaced accepted:
// ^[\p{L}\p{N}_.\-]{1,64}$, counted in characters, not bytes.
func TestCheckName_SameAsThePattern(t *testing.T) {
	pattern := regexp.MustCompile(`^[\p{L}\p{N}_.\-]{1,64}$`)
	for _, name := range []string{
		"", "a", "erp", "ERP_1.prod-2", "财务部", "通道一", "٣٤", "Ⅻ", "a b", "a\n", "\na", "a/b", "a@b", "名\x00",
		"\xff", "a\xffb", "\uFFFD", strings.Repeat("a", 64), strings.Repeat("a", 65), strings.Repeat("财", 64),
		strings.Repeat("财", 65), "emoji😀", "tab\t", "中-文_名.1",
	} {
		err := config.CheckName("name", "通道", name)
		if ok := pattern.MatchString(name); ok != (err == nil) {
			t.Errorf("%q: pattern says %v, CheckName says %v", name, ok, err)
		}
	}
}
