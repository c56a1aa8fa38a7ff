package ui

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"botgate/app"
)

// The guide on an empty database: an API user (password shown once, with a
// copy button), the platform's form with 测试连接, the example table with a
// first template and its try-run, and an address the ERP can call at once.
func TestGuide_EmptyDatabase_ToAWorkingERPAddress(t *testing.T) {
	h := newHarness(t)
	if !h.u.NeedsGuide() {
		t.Fatal("an empty database does not need the guide")
	}
	bot := fakeOneBot(t, "tok")
	h.u.ShowGuide()
	g := h.u.guide
	if g == nil || g.step != 0 {
		t.Fatal("guide not open at its first step")
	}
	if g.uname.Text != "erp" || len(g.upass.Text) < 16 || g.upass.Password {
		t.Fatalf("user step: name %q, password %q (hidden %v)", g.uname.Text, g.upass.Text, g.upass.Password)
	}
	password := g.upass.Text
	tapButton(t, g.steps[0].content, T("复制"))
	if h.u.fa.Clipboard().Content() != password {
		t.Fatal("复制 does not copy the password")
	}
	test.Tap(g.next)
	if users, _ := h.a.ListUsers(context.Background()); g.step != 1 || len(users) != 1 || users[0].Name != "erp" {
		t.Fatalf("step %d, users %+v", g.step, users)
	}

	g.kind.SetSelected(g.kindTitle("onebot"))
	if g.cname.Text != "onebot" || g.cform == nil || g.cform.inputs["url"] == nil {
		t.Fatal("choosing OneBot shows no form")
	}
	g.cform.inputs["url"].entry.SetText(bot.URL)
	g.cform.inputs["access_token"].entry.SetText("tok")
	test.Tap(g.ctest)
	if g.cstatus.Text != T("连接成功") {
		t.Fatalf("测试连接: %q %q", g.cstatus.Text, g.cerrs.text("config"))
	}
	test.Tap(g.next)
	if g.step != 2 || h.a.Settings().DefaultChannel != "onebot" {
		t.Fatalf("step %d, default channel %q (%q)", g.step, h.a.Settings().DefaultChannel, g.cerrs.text(""))
	}

	if g.source() != srcExample || g.tsql.Text != app.ExampleSQL {
		t.Fatalf("template step starts with source %d, SQL %q", g.source(), g.tsql.Text)
	}
	test.Tap(g.tryBtn)
	if g.result == nil || len(g.result.Rows) != 3 {
		t.Fatalf("try-run on the example table: %+v %q", g.result, g.serr.text("")+g.serr.text("sql"))
	}
	test.Tap(g.next)
	if g.step != 3 {
		t.Fatalf("step %d: %q", g.step, g.serr.text("")+g.serr.text("sql")+g.serr.text("keyword"))
	}

	test.Tap(g.startBtn)
	addr := h.addr()
	if !strings.Contains(g.queryURL.Text, "http://"+addr+"/") || !strings.Contains(g.queryURL.Text, "Access_token="+password) {
		t.Fatalf("query address %q (server at %s)", g.queryURL.Text, addr)
	}
	_, body := h.get(addr, strings.TrimPrefix(g.queryURL.Text, "http://"+addr))
	if body["errcode"] != float64(0) {
		t.Fatalf("the guide's query address answers %v", body)
	}
	if b, _ := json.Marshal(body["data"]); !strings.Contains(string(b), "测试员01") {
		t.Fatalf("query rows %s", b)
	}
	send := strings.Replace(strings.TrimPrefix(g.sendURL.Text, "http://"+addr), T("接收QQ"), "10001", 1)
	if _, body := h.get(addr, send); body["errcode"] != float64(0) || body["msg_id"] == nil {
		t.Fatalf("the guide's send address answers %v", body)
	}
	test.Tap(g.done)
	if h.u.guide != nil || h.u.NeedsGuide() {
		t.Fatal("the guide is still open or the database still needs it")
	}
}

// The guide can be left at any step; it then no longer opens by itself,
// and 关于 and 服务 still open it.
func TestGuide_Skipped_RememberedAndReachableLater(t *testing.T) {
	h := newHarness(t)
	h.u.ShowGuideOnFirstRun()
	g := h.u.guide
	if g == nil {
		t.Fatal("not shown on first run")
	}
	test.Tap(g.skip)
	if g.step != 1 {
		t.Fatal("跳过这一步 does not move on")
	}
	if users, _ := h.a.ListUsers(context.Background()); len(users) != 0 {
		t.Fatal("a skipped step saved a user")
	}
	tapButton(t, h.u.win.Canvas().Overlays().Top(), T("退出向导"))
	if h.u.guide != nil {
		t.Fatal("退出向导 leaves it open")
	}
	h.u.ShowGuideOnFirstRun()
	if h.u.guide != nil {
		t.Fatal("shown again at start after the admin left it")
	}
	tapButton(t, h.u.about.content, T("首次使用向导"))
	if h.u.guide == nil {
		t.Fatal("关于 does not open the guide")
	}
}

// The ERP's own database is described field by field (no DSN to write) and
// tested before it is saved with the template.
func TestGuide_ERPDatabase_FromFieldsTestedAndSaved(t *testing.T) {
	h := newHarness(t)
	h.u.ShowGuide()
	g := h.u.guide
	g.goTo(2)
	g.srcMode.SetSelected(g.srcMode.Options[srcERP])
	for i, n := range g.drivers {
		if n == "sqlite" {
			g.driver.SetSelectedIndex(i)
		}
	}
	missing := filepath.Join(t.TempDir(), "无此文件.db")
	g.dbname.SetText(missing)
	test.Tap(g.dsTest)
	if got := g.serr.text("dsn"); !strings.Contains(got, "找不到") {
		t.Fatalf("a mistyped file: %q", got)
	}
	erp := filepath.Join(t.TempDir(), "erp.db")
	createSQLite(t, erp)
	g.dbname.SetText(erp)
	test.Tap(g.dsTest)
	if g.sstatus.Text != T("连接成功") {
		t.Fatalf("测试连接: %q %q", g.sstatus.Text, g.serr.text("dsn"))
	}
	g.tkeyword.SetText("库存")
	g.tsql.SetText("SELECT name, stock FROM goods WHERE code = {{1}}")
	g.targs.SetText("A-100")
	test.Tap(g.tryBtn)
	if g.result == nil || len(g.result.Columns) != 2 {
		t.Fatalf("try-run: %q", g.serr.text("")+g.serr.text("sql"))
	}
	test.Tap(g.next)
	srcs, _ := h.a.ListDataSources(context.Background())
	ts, _ := h.a.ListTemplates(context.Background())
	if g.step != 3 || len(srcs) != 1 || srcs[0].Name != "erp" || len(ts) != 1 || ts[0].DataSource != "erp" {
		t.Fatalf("step %d, sources %+v, templates %+v (%q)", g.step, srcs, ts, g.serr.text(""))
	}
}

// tapButton taps the visible button labelled label inside o.
func tapButton(t *testing.T, o fyne.CanvasObject, label string) {
	t.Helper()
	var found *widget.Button
	walkTree(o, func(x fyne.CanvasObject) {
		if b, ok := x.(*widget.Button); ok && found == nil && b.Visible() && b.Text == label {
			found = b
		}
	})
	if found == nil {
		t.Fatalf("no %q button", label)
	}
	test.Tap(found)
}
