package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"botgate/app/auth"
	"botgate/app/config"
	"botgate/model"
	"botgate/storage"
)

// openAdminApp opens an App over a fresh state database at a fixed clock.
func openAdminApp(t *testing.T, now time.Time) *App {
	t.Helper()
	a, err := Open(context.Background(), Options{DBPath: filepath.Join(t.TempDir(), "botgate.db"),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func mustImport(t *testing.T, a *App, cf config.File) {
	t.Helper()
	if _, err := a.Import(context.Background(), cf); err != nil {
		t.Fatal(err)
	}
}

func TestAdmin_ListsHideSecrets(t *testing.T) {
	a := openAdminApp(t, time.Now())
	mustImport(t, a, config.File{
		Users:       []config.User{{Name: "erp", Password: "secret-pass", Roles: []string{"admin"}}},
		DataSources: []config.DataSource{{Name: "erp", Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "e.db")}},
		Channels:    []config.Channel{{Name: "qq", Type: "onebot", Config: config.Values{"url": "http://127.0.0.1:1", "access_token": "tok-123"}}},
	})
	ctx := context.Background()
	us, err := a.ListUsers(ctx)
	if err != nil || len(us) != 1 || us[0].PasswordHash != "" || us[0].Password != "" {
		t.Fatalf("ListUsers = %+v, %v; want one user without password or hash", us, err)
	}
	cs, err := a.ListChannels(ctx)
	if err != nil || len(cs) != 1 || cs[0].Config["access_token"] != config.Mask {
		t.Fatalf("ListChannels = %+v, %v; want the token masked", cs, err)
	}
	// Saving the masked form back keeps the stored secret.
	mustImport(t, a, config.File{Channels: cs})
	if got := a.state.Load().channels["qq"].cfg.Config["access_token"]; got != "tok-123" {
		t.Fatalf("token after saving the masked form = %q", got)
	}
	if names := a.DataSourceNames(); len(names) != 2 || names[0] != DefaultSource || names[1] != "erp" {
		t.Fatalf("DataSourceNames = %v", names)
	}
}

func TestAdmin_Delete_RefusesWhatIsStillInUse(t *testing.T) {
	ctx := context.Background()
	def := "log"
	tests := []struct {
		name    string
		del     func(a *App) error
		wantErr string
	}{
		{"default channel", func(a *App) error { return a.DeleteChannel(ctx, "log") }, "默认通道"},
		{"data source used by a template", func(a *App) error { return a.DeleteDataSource(ctx, "erp") }, "查询"},
		{"built-in data source", func(a *App) error { return a.DeleteDataSource(ctx, DefaultSource) }, "内置"},
		{"unknown template", func(a *App) error { return a.DeleteTemplate(ctx, "nosuch") }, "不存在"},
		{"unknown user", func(a *App) error { return a.DeleteUser(ctx, "nosuch") }, "不存在"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := openAdminApp(t, time.Now())
			mustImport(t, a, config.File{
				Settings:    &config.SettingsPatch{DefaultChannel: &def},
				Channels:    []config.Channel{{Name: "log", Type: "log"}},
				DataSources: []config.DataSource{{Name: "erp", Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "e.db")}},
				Templates:   []config.Template{{Keyword: "查询", DataSource: "erp", SQL: "SELECT 1"}},
			})
			err := tt.del(a)
			if err == nil || !strings.Contains(model.ErrorOf(err).Msg, tt.wantErr) {
				t.Fatalf("err = %v, want a message mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestAdmin_Delete_RemovesAndReloads(t *testing.T) {
	ctx := context.Background()
	a := openAdminApp(t, time.Now())
	mustImport(t, a, config.File{
		Users:     []config.User{{Name: "bob", Password: "secret-pass"}},
		Channels:  []config.Channel{{Name: "log", Type: "log"}},
		Templates: []config.Template{{Keyword: "k", SQL: "SELECT 1"}},
	})
	for _, err := range []error{a.DeleteUser(ctx, "bob"), a.DeleteChannel(ctx, "log"), a.DeleteTemplate(ctx, "k")} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if !a.IsEmpty() {
		t.Fatal("configuration still loaded after deleting everything")
	}
}

func TestAdmin_DryRunTemplate(t *testing.T) {
	ctx := context.Background()
	a := openAdminApp(t, time.Now())
	t.Run("query returns rows with sample arguments", func(t *testing.T) {
		res, err := a.DryRunTemplate(ctx, config.Template{Keyword: "k", SQL: "SELECT {{1}} AS a, '{{来源QQ}}' AS q"}, model.Vars{"1": "x", "qq": "42"}, false)
		if err != nil || len(res.Rows) != 1 || res.Rows[0][0] != "x" || res.Rows[0][1] != "42" {
			t.Fatalf("res = %+v, err %v", res, err)
		}
	})
	t.Run("invalid template names the field", func(t *testing.T) {
		_, err := a.DryRunTemplate(ctx, config.Template{Keyword: "k", SQL: "DELETE FROM x"}, model.Vars{}, false)
		if e := model.ErrorOf(err); e.Field != "sql" {
			t.Fatalf("err = %v, want field sql", err)
		}
	})
	t.Run("writing template needs confirmation", func(t *testing.T) {
		_, err := a.DryRunTemplate(ctx, config.Template{Keyword: "k", Kind: model.KindInsert, SQL: "INSERT INTO t VALUES (1)"}, model.Vars{}, false)
		if e := model.ErrorOf(err); e.Field != "kind" {
			t.Fatalf("err = %v, want a confirmation request", err)
		}
	})
	t.Run("database error shows the driver's reason", func(t *testing.T) {
		_, err := a.DryRunTemplate(ctx, config.Template{Keyword: "k", SQL: "SELECT * FROM no_such_table"}, model.Vars{}, false)
		if e := model.ErrorOf(err); e.Field != "sql" || !strings.Contains(e.Msg, "no_such_table") {
			t.Fatalf("err = %v, want the missing table named", err)
		}
	})
	if ts, _ := a.ListTemplates(ctx); len(ts) != 0 {
		t.Fatal("dry run saved a template")
	}
}

func TestAdmin_TestChannel(t *testing.T) {
	ctx := context.Background()
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok","retcode":0,"data":{"user_id":10001,"nickname":"bot"}}`)
	}))
	defer ok.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	tests := []struct {
		name      string
		cfg       config.Channel
		wantField string // "" = success
	}{
		{"reachable OneBot", config.Channel{Name: "qq", Type: "onebot", Config: config.Values{"url": ok.URL}}, ""},
		{"unreachable OneBot", config.Channel{Name: "qq", Type: "onebot", Config: config.Values{"url": down.URL}}, "config"},
		{"missing url", config.Channel{Name: "qq", Type: "onebot"}, "url"},
		{"type without a check", config.Channel{Name: "l", Type: "log"}, "type"},
	}
	a := openAdminApp(t, time.Now())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := a.TestChannel(ctx, tt.cfg)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if e := model.ErrorOf(err); err == nil || e.Field != tt.wantField {
				t.Fatalf("err = %v, want field %q", err, tt.wantField)
			}
		})
	}
}

func TestAdmin_TestDataSource(t *testing.T) {
	ctx := context.Background()
	a := openAdminApp(t, time.Now())
	file := filepath.Join(t.TempDir(), "x.db")
	// A mistyped path is not a success, and the test leaves no file behind.
	if err := a.TestDataSource(ctx, config.DataSource{Name: "", Driver: "sqlite", DSN: file}); model.ErrorOf(err).Field != "dsn" {
		t.Fatalf("missing sqlite file: %v, want a refusal at the dsn", err)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("测试连接 created %s", file)
	}
	if err := os.WriteFile(file, nil, 0o600); err != nil { // an empty file is an empty SQLite database
		t.Fatal(err)
	}
	if err := a.TestDataSource(ctx, config.DataSource{Name: "", Driver: "sqlite", DSN: file}); err != nil {
		t.Fatalf("sqlite file: %v", err)
	}
	if err := a.TestDataSource(ctx, config.DataSource{Name: "x", Driver: "nosuch", DSN: "x"}); model.ErrorOf(err).Field != "driver" {
		t.Fatalf("unknown driver: %v", err)
	}
	if err := a.TestDataSource(ctx, config.DataSource{Name: "x", Driver: "sqlite", DSN: a.DBPath()}); err == nil || model.ErrorOf(err).Field != "dsn" {
		t.Fatalf("pointing at the state database must be refused at the dsn: %v", err)
	}
}

func TestAdmin_Stats_CountsTodayAndHourly(t *testing.T) {
	// The outbox stamps rows with the wall clock, so the App's clock is the wall clock too.
	now := time.Now()
	a := openAdminApp(t, now)
	ctx := context.Background()
	if _, err := a.db.Enqueue(ctx, []model.NewMessage{
		{Channel: "log", TargetKind: "private", Target: "1", Content: "a"},
		{Channel: "log", TargetKind: "private", Target: "2", Content: "b"},
	}); err != nil {
		t.Fatal(err)
	}
	a.reqs.add(model.RequestLog{At: now, Path: "/", Keyword: "账号", Errcode: 0})
	a.reqs.add(model.RequestLog{At: now.AddDate(0, 0, -1), Path: "/", Keyword: "昨天", Errcode: model.CodeForbidden})
	a.reqs.add(model.RequestLog{At: now, Path: "/", Errcode: model.CodeUnauthorized})
	time.Sleep(700 * time.Millisecond) // the request log flushes every 500ms
	st, err := a.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending != 2 || st.Sent != 0 || st.Queries != 1 || st.Refused != 1 || st.RequestsCapped {
		t.Fatalf("stats = %+v", st)
	}
	total := 0
	for _, n := range st.Hourly {
		total += n
	}
	if total != 2 || st.Hourly[23] != 2 || st.HourlyStart.Hour() != (now.Hour()+1)%24 {
		t.Fatalf("hourly = %v starting %v; want both messages in the current (last) hour", st.Hourly, st.HourlyStart)
	}
}

func TestExampleURL(t *testing.T) {
	tests := []struct{ addr, user, want string }{
		{"127.0.0.1:7789", "erp", "http://127.0.0.1:7789/?user=erp&"},
		{"0.0.0.0:7789", "", "http://127.0.0.1:7789/?user=用户名&"},
		{"[::]:8080", "a", "http://127.0.0.1:8080/?user=a&"},
		{"192.168.1.5:7789", "a", "http://192.168.1.5:7789/"},
	}
	for _, tt := range tests {
		if got := ExampleURL(tt.addr, tt.user); !strings.HasPrefix(got, tt.want) {
			t.Errorf("ExampleURL(%q, %q) = %q, want prefix %q", tt.addr, tt.user, got, tt.want)
		}
	}
}

func TestRenameUser_KeepsPasswordRolesAndTemplatePermissions(t *testing.T) {
	ctx := context.Background()
	a := openServeApp(t, filepath.Join(t.TempDir(), "botgate.db"), "")
	if _, err := a.Import(ctx, config.File{
		Users: []config.User{{Name: "erp", Password: "erp-secret-1", Roles: []string{"sales"}}, {Name: "boss", Password: "boss-secret-1"}},
		Templates: []config.Template{{Keyword: "库存", Kind: model.KindQuery, SQL: "SELECT 1 AS n", Users: []string{"erp", "boss"}},
			{Keyword: "工资", Kind: model.KindQuery, SQL: "SELECT 2 AS n", Users: []string{"boss"}}},
	}); err != nil {
		t.Fatal(err)
	}
	creds := func(user string) auth.Credentials {
		return auth.Credentials{User: user, Password: "erp-secret-1", Remote: "127.0.0.1"}
	}
	if _, err := a.Authenticate(ctx, creds("erp")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Import(ctx, config.File{Channels: []config.Channel{{Name: "记录", Type: "log"}}}); err != nil {
		t.Fatal(err)
	}
	sent, err := a.Send(ctx, model.Caller{Name: "erp", Roles: []string{"sales"}}, SendRequest{Channel: "记录", QQ: "10001", Content: "hi", IdemKey: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.RenameUser(ctx, "erp", "erp2"); err != nil {
		t.Fatal(err)
	}
	c, err := a.Authenticate(ctx, creds("erp2"))
	if err != nil || c.Name != "erp2" || strings.Join(c.Roles, ",") != "sales" {
		t.Fatalf("renamed user: caller %+v err %v", c, err)
	}
	if _, err := a.Authenticate(ctx, creds("erp")); err == nil {
		t.Fatal("the old name still authenticates")
	}
	// Its messages follow: still its own, and the idempotency key still holds.
	if _, err := a.Message(ctx, c, sent.ID); err != nil {
		t.Fatalf("erp2 cannot see the message it sent as erp: %v", err)
	}
	again, err := a.Send(ctx, c, SendRequest{Channel: "记录", QQ: "10001", Content: "hi", IdemKey: "k1"})
	if err != nil || again.ID != sent.ID || !again.Existing {
		t.Fatalf("retry after rename: %+v %v, want the existing message %d", again, err, sent.ID)
	}
	ts, _ := a.ListTemplates(ctx)
	for _, tp := range ts {
		if tp.Keyword == "库存" && strings.Join(tp.Users, ",") != "erp2,boss" {
			t.Fatalf("template 库存 users %v, want erp2,boss", tp.Users)
		}
		if tp.Keyword == "工资" && strings.Join(tp.Users, ",") != "boss" {
			t.Fatalf("template 工资 users %v changed", tp.Users)
		}
	}

	for _, tc := range []struct{ from, to, want string }{
		{"erp2", "boss", "已存在"},
		{"nobody", "x", "不存在"},
		{"erp2", "a b", "无效"},
	} {
		err := a.RenameUser(ctx, tc.from, tc.to)
		if e := model.ErrorOf(err); err == nil || e.Field != "name" || !strings.Contains(e.Msg, tc.want) {
			t.Errorf("rename %s→%s: %v, want %q at name", tc.from, tc.to, err, tc.want)
		}
	}
}

// 测试连接 and 通讯录 on a form: a type without the call is explained at the
// type, an unknown type is refused.
func TestChannelFormCalls_UnsupportedOrUnknownType(t *testing.T) {
	ctx := context.Background()
	a := openServeApp(t, filepath.Join(t.TempDir(), "botgate.db"), "")
	_, err := a.ChannelContacts(ctx, config.Channel{Name: "w", Type: "wecom", Config: config.Values{"url": "http://127.0.0.1:1/x"}})
	if e := model.ErrorOf(err); err == nil || e.Field != "type" || !strings.Contains(e.Msg, "不提供通讯录列表") {
		t.Errorf("contacts of a wecom robot: %v", err)
	}
	if err := a.TestChannel(ctx, config.Channel{Name: "x", Type: "nope"}); err == nil || model.ErrorOf(err).Field != "type" {
		t.Errorf("unknown type: %v", err)
	}
}

// The channel form shows 测试连接 and 通讯录 from the type's declared
// capabilities; an unknown type offers neither.
func TestChannelFeatures_FollowDeclaredCaps(t *testing.T) {
	a := openAdminApp(t, time.Now())
	for _, tc := range []struct {
		typ            string
		test, contacts bool
	}{
		{"onebot", true, true},
		{"wxmp", true, false},
		{"dingtalk", true, false},
		{"gewe", true, true},
		{"log", false, false},
		{"nope", false, false},
	} {
		if test, contacts := a.ChannelFeatures(tc.typ); test != tc.test || contacts != tc.contacts {
			t.Errorf("%s: features = %v %v, want %v %v", tc.typ, test, contacts, tc.test, tc.contacts)
		}
	}
}

// unsafeTemplates has a template for each kind of SQL the template checks
// refuse, and words the refusal must contain. "erp" is an added SQLite source.
var unsafeTemplates = []struct {
	name string
	tc   config.Template
	want string
}{
	{"table from a placeholder", config.Template{Keyword: "k", SQL: "SELECT * FROM {{1}}"}, "FROM 后面"},
	{"sort key from a placeholder", config.Template{Keyword: "k", SQL: "SELECT name FROM staff ORDER BY {{1}}"}, "排序"},
	{"column from a placeholder in an insert", config.Template{Keyword: "k", Kind: model.KindInsert, SQL: "INSERT INTO staff ({{1}}) VALUES (1)"}, "列名"},
	{"query that deletes after a CTE", config.Template{Keyword: "k", SQL: "WITH x AS (SELECT 1) DELETE FROM staff"}, "DELETE"},
	{"query that inserts and returns", config.Template{Keyword: "k", SQL: "INSERT INTO staff (name) VALUES ({{1}}) RETURNING name"}, "INSERT"},
	{"query that locks", config.Template{Keyword: "k", SQL: "SELECT name FROM staff FOR UPDATE"}, "加锁"},
	{"query that creates a table", config.Template{Keyword: "k", SQL: "SELECT * INTO copy FROM staff"}, "INTO"},
	{"sqlite schema on the built-in source", config.Template{Keyword: "k", SQL: "SELECT sql FROM sqlite_master"}, "sqlite_master"},
	{"pragma function on an added sqlite source", config.Template{Keyword: "k", DataSource: "erp", SQL: "SELECT file FROM pragma_database_list"}, "pragma_database_list"},
	{"insert template copying the sqlite schema", config.Template{Keyword: "k", Kind: model.KindInsert, DataSource: "erp",
		SQL: "INSERT INTO staff (name) SELECT sql FROM sqlite_schema"}, "sqlite_schema"},
}

func TestTemplateChecks_EverySavePathRefusesEachClass(t *testing.T) {
	ctx := context.Background()
	a := openAdminApp(t, time.Now())
	mustImport(t, a, config.File{DataSources: []config.DataSource{{Name: "erp", Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "erp.db")}}})
	for _, tt := range unsafeTemplates {
		t.Run(tt.name, func(t *testing.T) {
			file, err := json.Marshal(config.File{Templates: []config.Template{tt.tc}})
			if err != nil {
				t.Fatal(err)
			}
			saves := []struct {
				name string
				save func() error
			}{
				{"botgate config import", func() error {
					cf, err := config.Parse(bytes.NewReader(file))
					if err != nil {
						return err
					}
					_, err = a.Import(ctx, cf)
					return err
				}},
				{"window save", func() error {
					_, err := a.Import(ctx, config.File{Templates: []config.Template{tt.tc}})
					return err
				}},
				{"check next to the field", func() error { return a.ValidateTemplate(tt.tc) }},
				// write=true: only the checks may stop it, not the confirmation.
				{"try-run", func() error { _, err := a.DryRunTemplate(ctx, tt.tc, model.Vars{"1": "name"}, true); return err }},
			}
			for _, s := range saves {
				err := s.save()
				if e := model.ErrorOf(err); err == nil || e.Code != model.CodeInvalid || e.Field != "sql" || !strings.Contains(e.Msg, tt.want) {
					t.Errorf("%s: err = %v, want a refusal of field sql naming %q", s.name, err, tt.want)
				}
			}
		})
	}
	if ts, _ := a.ListTemplates(ctx); len(ts) != 0 {
		t.Fatalf("a refused template was saved: %+v", ts)
	}
}

func TestTemplateChecks_SafeTemplatesAreSaved(t *testing.T) {
	ctx := context.Background()
	a := openAdminApp(t, time.Now())
	mustImport(t, a, config.File{DataSources: []config.DataSource{
		{Name: "erp", Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "erp.db")},
		// Not opened until used: the check only needs the driver.
		{Name: "pg", Driver: "postgres", DSN: "postgres://u:p@127.0.0.1:1/erp?sslmode=disable"},
	}})
	tcs := []config.Template{
		{Keyword: "名字", DataSource: "erp", SQL: "SELECT name FROM staff WHERE name = {{1}}"},
		{Keyword: "账号", SQL: "SELECT xtuser FROM staff WHERE qq='{{来源QQ}}'"},
		{Keyword: "模糊", SQL: "SELECT name FROM staff WHERE name LIKE '%' || {{1}} || '%'"},
		{Keyword: "日期", SQL: "SELECT from_date, update_time FROM leave WHERE from_date >= {{1}} ORDER BY from_date"},
		{Keyword: "字面", SQL: "SELECT 'DELETE' AS word FROM staff -- DELETE FROM staff"},
		{Keyword: "CTE", SQL: "WITH t AS (SELECT name FROM staff WHERE qq = {{来源QQ}}) SELECT name FROM t"},
		{Keyword: "请假", Kind: model.KindInsert, SQL: "INSERT INTO t(a) VALUES ({{1}})"},
		{Keyword: "改名", Kind: model.KindUpdate, SQL: "UPDATE staff SET name = {{1}} WHERE qq = '{{来源QQ}}'"},
		// sqlite_master is only SQLite's: on PostgreSQL it is just a name.
		{Keyword: "pg", DataSource: "pg", SQL: "SELECT name FROM sqlite_master"},
	}
	for _, tc := range tcs {
		if err := a.ValidateTemplate(tc); err != nil {
			t.Errorf("ValidateTemplate(%q): %v", tc.SQL, err)
		}
	}
	mustImport(t, a, config.File{Templates: tcs})
	if ts, _ := a.ListTemplates(ctx); len(ts) != len(tcs) {
		t.Fatalf("saved %d templates, want %d", len(ts), len(tcs))
	}
}

func TestLoad_StoredTemplateFailingTheChecks_IsDisabledAndWarned(t *testing.T) {
	ctx := context.Background()
	var logs strings.Builder
	a, err := Open(ctx, Options{DBPath: filepath.Join(t.TempDir(), "botgate.db"), Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	// A template on PostgreSQL may name sqlite_master; once its data source
	// becomes SQLite, the same template fails the check at load.
	mustImport(t, a, config.File{
		DataSources: []config.DataSource{{Name: "erp", Driver: "postgres", DSN: "postgres://u:p@127.0.0.1:1/erp?sslmode=disable"}},
		Templates:   []config.Template{{Keyword: "换库", DataSource: "erp", SQL: "SELECT name FROM sqlite_master"}},
	})
	mustImport(t, a, config.File{DataSources: []config.DataSource{{Name: "erp", Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "erp.db")}}})
	// Templates written past the checks: a hand edit, or saved by a version without them.
	bad := map[string]string{"表名": "SELECT * FROM {{1}}", "偷删": "WITH x AS (SELECT 1) DELETE FROM staff", "结构": "SELECT sql FROM sqlite_master"}
	err = a.db.Update(ctx, func(tx *storage.Tx) error {
		for kw, q := range bad {
			if err := tx.UpsertTemplate(model.Template{Keyword: kw, Kind: model.KindQuery, SQL: q, MaxRows: 50, TimeoutMS: 5000, Enabled: true}); err != nil {
				return err
			}
		}
		return tx.UpsertTemplate(model.Template{Keyword: "好", Kind: model.KindQuery, SQL: "SELECT {{1}} AS n", MaxRows: 50, TimeoutMS: 5000, Enabled: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	bad["换库"] = ""
	for kw := range bad {
		if tp := a.state.Load().templates[kw]; tp == nil || tp.Enabled || tp.stmt != nil {
			t.Errorf("%s: loaded as %+v, want disabled with no statement", kw, tp)
		}
		if _, err := a.RunKeyword(ctx, model.Caller{Name: "admin"}, kw, model.Vars{"1": "staff"}); model.ErrorOf(err).Code != model.CodeNoKeyword {
			t.Errorf("%s: RunKeyword err = %v, want code %d (not enabled)", kw, err, model.CodeNoKeyword)
		}
		if !strings.Contains(logs.String(), "keyword="+kw) {
			t.Errorf("%s: no warning logged:\n%s", kw, logs.String())
		}
	}
	if res, err := a.RunKeyword(ctx, model.Caller{Name: "admin"}, "好", model.Vars{"1": "7"}); err != nil || len(res.Rows) != 1 {
		t.Fatalf("the good template: %+v, %v", res, err)
	}
}
