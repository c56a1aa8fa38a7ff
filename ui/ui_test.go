package ui

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"botgate/apiserver"
	"botgate/app"
	"botgate/app/config"
	"botgate/model"
)

// harness is the window over a real App on a real SQLite file, with the real
// HTTP API; only the Fyne driver is the headless test one.
type harness struct {
	t *testing.T
	u *UI
	a *app.App
}

func newHarness(t *testing.T) *harness { t.Helper(); return newHarnessWith(t, nil) }

// newHarnessWith builds the window with the system service control svc makes
// for the database (nil: no service control, as on a system without one).
func newHarnessWith(t *testing.T, svc func(db string) app.ServiceControl) *harness {
	t.Helper()
	fa := test.NewTempApp(t)
	fa.Settings().SetTheme(newTheme())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db := filepath.Join(t.TempDir(), "botgate.db")
	opts := app.Options{DBPath: db, Log: log,
		Handler: func(a *app.App) http.Handler { return apiserver.New(apiserver.AppDeps(a), log, "test") }}
	if svc != nil {
		opts.Service = svc(db)
	}
	a, err := app.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	listen := "127.0.0.1:" + strconv.Itoa(freePort(t))
	if _, err := a.Import(context.Background(), config.File{Settings: &config.SettingsPatch{Listen: &listen}}); err != nil {
		t.Fatal(err)
	}
	// Fyne's test driver has no main loop: fyne.Do runs at once on the calling
	// goroutine, so work handed to a goroutine (an action, the poller) would
	// change widgets while the test reads them. Background work runs inline
	// here, and tests refresh by hand (h.sync, load) instead of polling.
	u := New(fa, a, Options{Version: "test", Log: log, Poll: time.Hour, inline: true})
	t.Cleanup(func() {
		u.Close()
		a.Close()
	})
	return &harness{t: t, u: u, a: a}
}

// sync reads the server state as the poller would.
func (h *harness) sync() { h.u.syncState() }

// freePort finds a port nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// get calls the running server and decodes its JSON envelope.
func (h *harness) get(addr, pathQuery string) (int, map[string]any) {
	h.t.Helper()
	resp, err := http.Get("http://" + addr + pathQuery)
	if err != nil {
		h.t.Fatalf("GET %s: %v", pathQuery, err)
	}
	defer resp.Body.Close()
	var body map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &body)
	return resp.StatusCode, body
}

func (h *harness) addr() string {
	h.t.Helper()
	r, addr := h.a.Running()
	if !r {
		h.t.Fatal("server is not running")
	}
	return addr
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func refused(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		c.Close()
		return false
	}
	return true
}

func TestServiceTab_StartAndStop_ServerAnswersOnLoopbackThenStops(t *testing.T) {
	h := newHarness(t)
	s := h.u.service
	if s.start.Disabled() || !s.stop.Disabled() {
		t.Fatal("before start: Start should be enabled and Stop disabled")
	}
	test.Tap(s.start)
	addr := h.addr()
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("server bound %s, want loopback", addr)
	}
	if code, _ := h.get(addr, "/healthz"); code != http.StatusOK {
		t.Fatalf("healthz answered %d", code)
	}
	if !strings.Contains(s.state.Text, addr) || !s.start.Disabled() || s.stop.Disabled() {
		t.Fatalf("state shows %q (start disabled %v, stop disabled %v)", s.state.Text, s.start.Disabled(), s.stop.Disabled())
	}
	if !strings.Contains(s.example.Text, "http://"+addr+"/?user=") {
		t.Fatalf("example URL %q does not point at %s", s.example.Text, addr)
	}
	test.Tap(s.stop)
	if !refused(addr) {
		t.Fatal("server still accepts connections after Stop")
	}
	if s.start.Disabled() {
		t.Fatal("Start stays disabled after Stop")
	}
}

func TestServiceTab_PortInUse_ErrorShownAndStillStopped(t *testing.T) {
	h := newHarness(t)
	ln, err := net.Listen("tcp", h.a.ListenAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	test.Tap(h.u.service.start)
	if r, _ := h.a.Running(); r {
		t.Fatal("server runs although its port is taken")
	}
	if got := h.u.service.errs.text("listen"); !strings.Contains(got, "已被占用") {
		t.Fatalf("port-in-use message next to the port field = %q", got)
	}
}

func TestServiceTab_EditPort_SavesAndRunningServerMoves(t *testing.T) {
	h := newHarness(t)
	s := h.u.service
	test.Tap(s.start)
	old := h.addr()
	port := freePort(t)
	s.port.SetText("")
	test.Type(s.port, strconv.Itoa(port))
	s.saveListen()
	want := "127.0.0.1:" + strconv.Itoa(port)
	if got := h.a.Settings().Listen; got != want {
		t.Fatalf("saved listen = %q, want %q (error shown: %q)", got, want, s.errs.text("listen"))
	}
	if got := h.addr(); got != want {
		t.Fatalf("server runs on %s after the port change, want %s", got, want)
	}
	if code, _ := h.get(want, "/healthz"); code != http.StatusOK {
		t.Fatalf("new port answered %d", code)
	}
	if !refused(old) {
		t.Fatalf("old address %s still accepts connections", old)
	}
}

func TestServiceTab_BadPort_RefusedNextToFieldAndNothingSaved(t *testing.T) {
	for _, tc := range []struct{ name, port, want string }{
		{"above 65535", "70000", "65535"},
		{"zero", "0", "65535"},
		{"not a number", "abc", T("端口必须是 1 到 65535 之间的数字")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			before := h.a.Settings().Listen
			h.u.service.port.SetText(tc.port)
			h.u.service.saveListen()
			if got := h.u.service.errs.text("listen"); !strings.Contains(got, tc.want) {
				t.Fatalf("message next to the port = %q, want it to mention %q", got, tc.want)
			}
			if got := h.a.Settings().Listen; got != before {
				t.Fatalf("listen changed to %q although the port was refused", got)
			}
		})
	}
}

func TestServiceTab_LANSwitch_SavesAllInterfaces(t *testing.T) {
	h := newHarness(t)
	h.u.service.lan.SetChecked(true)
	h.u.service.saveListen()
	if got := h.a.Settings().Listen; !strings.HasPrefix(got, "0.0.0.0:") {
		t.Fatalf("listen = %q after 允许局域网访问, want 0.0.0.0:port", got)
	}
	h.u.service.refresh()
	if !h.u.service.lan.Checked {
		t.Fatal("LAN switch shows off after reload")
	}
}

// addUser creates an API user through the 授权 tab's form.
func (h *harness) addUser(name, password string) {
	h.t.Helper()
	au := h.u.auth
	au.blankForm() // a new user, whatever the form held
	test.Type(au.uname, name)
	test.Type(au.upass, password)
	test.Type(au.uroles, "admin, sales")
	au.saveUser()
	if msg := au.uerrs.text("") + au.uerrs.text("name") + au.uerrs.text("password"); msg != "" {
		h.t.Fatalf("saving user: %s", msg)
	}
}

func TestTemplatesTab_SavedTemplate_AnswersOverHTTP(t *testing.T) {
	h := newHarness(t)
	h.addUser("erp", "secret-pass")
	tt := h.u.templates
	tt.newTemplate()
	test.Type(tt.keyword, "ping")
	tt.sql.SetText("SELECT 'pong' AS answer, '{{来源QQ}}' AS who, {{1}} AS arg")
	tt.save()
	if msg := tt.errs.text("") + tt.errs.text("sql") + tt.errs.text("keyword"); msg != "" {
		t.Fatalf("saving template: %s", msg)
	}
	if len(tt.items) != 1 || tt.items[0].Keyword != "ping" {
		t.Fatalf("template list = %+v", tt.items)
	}
	test.Tap(h.u.service.start)
	q := url.Values{"user": {"erp"}, "Access_token": {"secret-pass"}, "keyword": {"ping"}, "QQ": {"10001"}, "data": {"7"}}
	_, body := h.get(h.addr(), "/?"+q.Encode())
	b, _ := json.Marshal(body)
	if !strings.Contains(string(b), "pong") || !strings.Contains(string(b), "10001") {
		t.Fatalf("keyword reply = %s, want the template's row", b)
	}
}

func TestTemplatesTab_Invalid_RefusedWithMessageAtField(t *testing.T) {
	for _, tc := range []struct {
		name, keyword, sql, maxRows, timeout string
		kind                                 int
		field, want                          string
	}{
		{"empty keyword", "", "SELECT 1", "", "", 0, "keyword", "关键字不能为空"},
		{"keyword with space", "a b", "SELECT 1", "", "", 0, "keyword", "空格"},
		{"query that writes", "k", "DELETE FROM staff", "", "", 0, "sql", "SELECT"},
		{"unknown placeholder", "k", "SELECT {{nosuch}}", "", "", 0, "sql", "nosuch"},
		{"row cap not a number", "k", "SELECT 1", "many", "", 0, "max_rows", T("最多行数必须是 1 到 10000 之间的整数")},
		{"row cap too large", "k", "SELECT 1", "20000", "", 0, "max_rows", "10000"},
		{"timeout too small", "k", "SELECT 1", "", "5", 0, "timeout_ms", "超时"},
		{"insert that selects", "k", "SELECT 1", "", "", 1, "sql", "INSERT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			tt := h.u.templates
			tt.newTemplate()
			tt.keyword.SetText(tc.keyword)
			tt.sql.SetText(tc.sql)
			tt.maxRows.SetText(tc.maxRows)
			tt.timeout.SetText(tc.timeout)
			tt.kind.SetSelectedIndex(tc.kind)
			tt.save()
			if got := tt.errs.text(tc.field); !strings.Contains(got, tc.want) {
				t.Fatalf("message at %s = %q, want it to contain %q (general: %q)", tc.field, got, tc.want, tt.errs.text(""))
			}
			if ts, _ := h.a.ListTemplates(context.Background()); len(ts) != 0 {
				t.Fatalf("refused template was saved: %+v", ts)
			}
		})
	}
}

func TestTemplatesTab_DryRun_ShowsRowsWithoutSaving(t *testing.T) {
	h := newHarness(t)
	tt := h.u.templates
	tt.keyword.SetText("try")
	tt.sql.SetText("SELECT {{1}} AS a, {{2}} AS b UNION ALL SELECT 'x', '{{来源QQ}}'")
	tt.args.SetText("one two")
	tt.qq.SetText("42")
	tt.dryRun()
	waitFor(t, "dry run result", func() bool { return tt.result != nil })
	rows, cols := tt.tableSize()
	if rows != 2 || cols != 2 {
		t.Fatalf("result table %dx%d, want 2x2", rows, cols)
	}
	if got := cellText(tt.result.Rows[0][0]) + "," + cellText(tt.result.Rows[0][1]) + "," + cellText(tt.result.Rows[1][1]); got != "one,two,42" {
		t.Fatalf("rows = %q", got)
	}
	if !strings.Contains(tt.runInfo.Text, "2") {
		t.Fatalf("run info = %q", tt.runInfo.Text)
	}
	if ts, _ := h.a.ListTemplates(context.Background()); len(ts) != 0 {
		t.Fatal("dry run saved the template")
	}
}

func TestLogsTab_ShowsRequestMadeOverHTTP(t *testing.T) {
	h := newHarness(t)
	test.Tap(h.u.service.start)
	q := url.Values{"user": {"nobody"}, "Access_token": {"wrong-password"}, "keyword": {"查库存"}}
	h.get(h.addr(), "/?"+q.Encode())
	h.u.open(h.u.logs.content)
	waitFor(t, "the request in the log tab", func() bool {
		h.u.logs.load() // the request log is written in batches
		for i := range h.u.logs.reqs {
			if h.u.logs.reqCell(i, 4) == "查库存" {
				return true
			}
		}
		return false
	})
	l := h.u.logs
	row := -1
	for i := range l.reqs {
		if l.reqCell(i, 4) == "查库存" {
			row = i
		}
	}
	if l.reqCell(row, 2) != "nobody" || l.reqCell(row, 5) != strconv.Itoa(model.CodeUnauthorized) {
		t.Fatalf("log row user=%q code=%q", l.reqCell(row, 2), l.reqCell(row, 5))
	}
	for c := range reqCols {
		if strings.Contains(l.reqCell(row, c), "wrong-password") {
			t.Fatalf("the password shows in the log tab: %q", l.reqCell(row, c))
		}
	}
}

func TestChannelsTab_AddDefaultChannel_TestMessageQueuedAndShownInOutbox(t *testing.T) {
	h := newHarness(t)
	c := h.u.channels
	c.newChannel()
	c.name.SetText("记录")
	for _, k := range c.kinds {
		if k.Name == "log" {
			c.kind.SetSelected(k.Title)
		}
	}
	c.isDef.SetChecked(true)
	c.save()
	if msg := c.errs.text(""); msg != "" {
		t.Fatalf("saving channel: %s", msg)
	}
	if got := h.a.Settings().DefaultChannel; got != "记录" {
		t.Fatalf("default channel = %q", got)
	}
	id, err := h.a.SendTest(context.Background(), app.SendRequest{Channel: "记录", QQ: "10001", Content: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	test.Tap(h.u.service.start)
	h.u.open(h.u.logs.content)
	waitFor(t, "the delivered message in the outbox table", func() bool {
		h.u.logs.load()
		for i, m := range h.u.logs.msgs {
			if m.ID == id && h.u.logs.msgCell(i, 4) == statusText("delivered") {
				return true
			}
		}
		return false
	})
	// The default channel cannot be deleted from under the senders.
	c.refresh()
	c.list.Select(0)
	if err := h.a.DeleteChannel(context.Background(), "记录"); err == nil {
		t.Fatal("deleting the default channel was allowed")
	}
}

func TestChannelsTab_MissingRequiredKey_ShownAtThatKey(t *testing.T) {
	h := newHarness(t)
	c := h.u.channels
	c.newChannel()
	c.name.SetText("qq")
	for _, k := range c.kinds {
		if k.Name == "onebot" {
			c.kind.SetSelected(k.Title)
		}
	}
	if c.key("url") == nil {
		t.Fatalf("onebot form has no url field")
	}
	c.save()
	// The message names the field as the form labels it, not by its config key.
	if got, label := c.errs.text("url"), c.label("url"); !strings.Contains(got, label) || strings.Contains(got, "url") {
		t.Fatalf("message at url = %q, want it to name %q (general %q)", got, label, c.errs.text(""))
	}
	if cs, _ := h.a.ListChannels(context.Background()); len(cs) != 0 {
		t.Fatal("channel saved without its required key")
	}
	c.rate.SetText("fast")
	c.save()
	if got := c.errs.text("rate_per_minute"); got == "" {
		t.Fatal("a rate that is not a number was not flagged")
	}
}

func TestChannelsTab_TestConnection_ReportsUnreachableAtConfig(t *testing.T) {
	h := newHarness(t)
	c := h.u.channels
	c.newChannel()
	c.name.SetText("qq")
	for _, k := range c.kinds {
		if k.Name == "onebot" {
			c.kind.SetSelected(k.Title)
		}
	}
	c.key("url").SetText("http://127.0.0.1:" + strconv.Itoa(freePort(t)))
	c.test()
	waitFor(t, "the test outcome", func() bool { return !c.testBtn.Disabled() })
	if got := c.errs.text("config"); !strings.Contains(got, "连接失败") {
		t.Fatalf("message at config = %q (general %q)", got, c.errs.text(""))
	}
}

func TestSourcesTab_BadDriverRefused_SQLiteTestSucceeds(t *testing.T) {
	h := newHarness(t)
	s := h.u.sources
	s.name.SetText("erp")
	s.dsn.SetText(filepath.Join(t.TempDir(), "erp.db"))
	s.save()
	if got := s.errs.text("driver"); got == "" {
		t.Fatalf("no driver chosen but no message at the driver (general %q)", s.errs.text(""))
	}
	s.selectDriver("sqlite")
	createSQLite(t, s.dsn.Text)
	s.test()
	waitFor(t, "the test outcome", func() bool { return !s.testBtn.Disabled() })
	if s.status.Text != T("连接成功") {
		t.Fatalf("test outcome %q, errors %q", s.status.Text, s.errs.text("dsn"))
	}
	s.save()
	if len(s.items) != 1 || s.items[0].Name != "erp" {
		t.Fatalf("data source list = %+v", s.items)
	}
	found := false
	for _, n := range h.u.templates.ds.Options {
		found = found || n == "erp"
	}
	if !found {
		t.Fatalf("template editor does not offer the new data source: %v", h.u.templates.ds.Options)
	}
}

func TestAuthTab_TokenMode_ShortTokenRefusedGeneratedAccepted(t *testing.T) {
	h := newHarness(t)
	a := h.u.auth
	for i, m := range authModes {
		if m.mode == "token" {
			a.mode.SetSelected(a.mode.Options[i])
		}
	}
	a.token.SetText("short")
	a.save()
	if got := a.errs.text("auth_token"); !strings.Contains(got, "16") {
		t.Fatalf("message at token = %q (general %q)", got, a.errs.text(""))
	}
	if h.a.Settings().AuthMode != "users" {
		t.Fatal("mode changed although the token was refused")
	}
	a.token.SetText(h.a.GenerateToken())
	a.save()
	if st := h.a.Settings(); st.AuthMode != "token" || st.AuthToken != a.token.Text {
		t.Fatalf("settings after save: mode %q", st.AuthMode)
	}
}

func TestAuthTab_NewUserWithoutPassword_RefusedAtPassword(t *testing.T) {
	h := newHarness(t)
	a := h.u.auth
	a.newUser()
	a.uname.SetText("bob")
	a.saveUser()
	if got := a.uerrs.text("password"); !strings.Contains(got, "密码") {
		t.Fatalf("message at password = %q", got)
	}
	h.addUser("bob", "long-enough")
	a.loadUsers()
	if len(a.items) != 1 || a.items[0].Name != "bob" || len(a.items[0].Roles) != 2 {
		t.Fatalf("users = %+v", a.items)
	}
}

func TestTheme_ChineseFontHasNoLatin_SoLatinKeepsFyneFont(t *testing.T) {
	th := newTheme()
	if th.Font(fyneTextStyle(false)).Name() != "cjk.ttf" {
		t.Fatal("regular text does not use the embedded CJK font")
	}
	if th.Font(fyneTextStyle(true)).Name() == "cjk.ttf" {
		t.Fatal("symbol text must keep the theme's symbol font")
	}
}
