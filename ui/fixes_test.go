package ui

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"botgate/app"
	"botgate/app/config"
	"botgate/model"
)

// saveLog saves a log channel (which takes mentions, images and files) called name.
func (h *harness) saveLog(name string) {
	h.t.Helper()
	c := h.u.channels
	c.blankForm()
	c.name.SetText(name)
	c.selectKind("log")
	c.save()
	if msg := c.errs.text("") + c.errs.text("name"); msg != "" {
		h.t.Fatalf("saving channel %s: %s", name, msg)
	}
}

// pngFile writes a small PNG and returns its path and size.
func pngFile(t *testing.T) (string, int) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "图表.png")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, b.Len()
}

// 测试连接's outcome is laid out in full where it appears (it was drawn at
// its old size, a fragment under the buttons, until the window was resized).
func TestChannelsTab_TestOutcome_LaidOutInFull(t *testing.T) {
	h := newHarness(t)
	h.u.win.Resize(fyne.NewSize(1024, 768))
	c := h.u.channels
	h.u.open(c.content)
	c.newChannel()
	c.name.SetText("qq")
	c.selectKind("onebot")
	c.key("url").SetText("http://127.0.0.1:" + strconv.Itoa(freePort(t)))
	c.test()
	l := c.errs.labels["config"]
	if !l.Visible() || l.Size().Width < 100 || l.Size().Height < l.MinSize().Height {
		t.Fatalf("failure shown at size %v (needs %v): %q", l.Size(), l.MinSize(), l.Text)
	}
	bot := fakeOneBot(t, "tok")
	c.key("url").SetText(bot.URL)
	c.key("access_token").SetText("tok")
	c.test()
	if c.status.Text != T("连接成功") || c.status.Size().Height < c.status.MinSize().Height || l.Visible() {
		t.Fatalf("success %q at %v (min %v); old failure visible %v", c.status.Text, c.status.Size(), c.status.MinSize(), l.Visible())
	}
}

// 发送测试消息: inputs wide enough to read, an image and mentions sent with
// the text, and the log showing the attachment by name and size.
func TestSendTestDialog_ImageAndMentions_QueuedAndShownInTheLog(t *testing.T) {
	h := newHarness(t)
	h.u.win.Resize(fyne.NewSize(1024, 768))
	h.saveLog("记录")
	c := h.u.channels
	c.sendTest()
	s := c.sender
	if s == nil || s.qq.Size().Width < 300 || s.at.Size().Width < 300 {
		t.Fatalf("dialog inputs %v wide, want ≥ 300 px", s.qq.Size())
	}
	path, size := pngFile(t)
	s.group.SetText("123456")
	s.qq.SetText("10001")
	s.at.SetText("289192968:张三，all")
	s.image.SetText(path)
	s.send()
	if top := h.u.win.Canvas().Overlays().Top(); top != nil {
		t.Fatalf("dialog still open; errors %q", s.errs.text("")+s.errs.text("image")+s.errs.text("at"))
	}
	if !strings.Contains(c.status.Text, "编号") {
		t.Fatalf("status %q", c.status.Text)
	}
	msgs, err := h.a.Messages(context.Background(), "", 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("outbox %v %+v", err, msgs)
	}
	m := msgs[0]
	if len(m.Attachments) != 1 || m.Attachments[0].Name != "图表.png" || m.Attachments[0].Size != size || m.Attachments[0].Kind != model.AttachImage {
		t.Fatalf("attachments %+v, want 图表.png of %d bytes", m.Attachments, size)
	}
	if len(m.At) != 2 || m.At[0] != (model.Mention{ID: "289192968", Name: "张三"}) || m.At[1].ID != model.MentionAll {
		t.Fatalf("mentions %+v", m.At)
	}
	l := h.u.logs
	l.load()
	if got := l.msgCell(0, 6); !strings.Contains(got, "图表.png") || !strings.Contains(got, sizeText(int64(size))) {
		t.Fatalf("log's attachment cell %q, want the name and size", got)
	}
}

// What the channel's platform cannot carry cannot be typed in; a bad image
// path is refused at the field without queueing anything.
func TestSendTestDialog_FollowsWhatThePlatformCarries(t *testing.T) {
	h := newHarness(t)
	c := h.u.channels
	if _, err := h.a.Import(context.Background(), config.File{Channels: []config.Channel{
		{Name: "qq", Type: "openqq", Config: config.Values{"url": "http://127.0.0.1:1"}}, // Mojo-Webqq sends text only
		{Name: "钉钉", Type: "dingtalk", Config: config.Values{"url": "https://oapi.dingtalk.com/robot/send?access_token=x"}},
	}}); err != nil {
		t.Fatal(err)
	}
	c.refresh()
	c.selectName("qq")
	c.sendTest()
	if s := c.sender; !s.at.Disabled() || !s.image.Disabled() || !s.pick.Disabled() {
		t.Fatal("mentions or images can be entered for a channel that sends text only")
	}
	c.sender.d.Hide()
	c.selectName("钉钉")
	c.sendTest()
	s := c.sender
	if s.at.Disabled() || s.image.Disabled() || !s.pick.Disabled() {
		t.Fatal("DingTalk takes mentions and image links, not image files")
	}
	if texts := strings.Join(visibleTexts(h.u.win.Canvas().Overlays().Top()), "|"); strings.Contains(texts, T("私聊：好友的 QQ 号 / 用户 ID")) {
		t.Fatalf("a group robot's dialog asks for a receiver: %s", texts)
	}
	s.image.SetText(filepath.Join(t.TempDir(), "无此文件.png"))
	s.send()
	if got := s.errs.text("image"); !strings.Contains(got, "找不到图片文件") {
		t.Fatalf("message at image %q", got)
	}
	if msgs, _ := h.a.Messages(context.Background(), "", 10); len(msgs) != 0 {
		t.Fatalf("queued although refused: %+v", msgs)
	}
}

// 新建用户 with a name that exists is refused, and that user's password
// (which the ERP uses) is not replaced.
func TestAuthTab_NewUserWithExistingName_RefusedAndPasswordKept(t *testing.T) {
	h := newHarness(t)
	h.addUser("erp", "erp-old-secret")
	a := h.u.auth
	a.newUser()
	a.uname.SetText("erp")
	a.upass.SetText("erp-new-secret")
	a.saveUser()
	if got := a.uerrs.text("name"); !strings.Contains(got, "已存在") || !strings.Contains(got, "选中它") {
		t.Fatalf("message at name %q", got)
	}
	test.Tap(h.u.service.start)
	for _, tc := range []struct {
		pass string
		ok   bool
	}{{"erp-old-secret", true}, {"erp-new-secret", false}} {
		_, body := h.get(h.addr(), "/?"+url.Values{"user": {"erp"}, "Access_token": {tc.pass}, "QQ": {"10001"}, "content": {"hi"}}.Encode())
		if refused := body["errcode"] == float64(model.CodeUnauthorized); refused == tc.ok {
			t.Errorf("password %s: %v", tc.pass, body)
		}
	}
}

// A message goes away when its cause does, or when the form it spoke of
// shows something else.
func TestMessages_GoneWhenTheirCauseIs(t *testing.T) {
	t.Run("port in use, then running", func(t *testing.T) {
		h := newHarness(t)
		ln, err := net.Listen("tcp", h.a.ListenAddr())
		if err != nil {
			t.Fatal(err)
		}
		test.Tap(h.u.service.start)
		if h.u.service.errs.text("listen") == "" {
			t.Fatal("no port-in-use message")
		}
		ln.Close()
		test.Tap(h.u.service.start)
		if got := h.u.service.errs.text("listen"); got != "" {
			t.Fatalf("%q still shown next to 运行中", got)
		}
	})
	t.Run("OneBot error, then DingTalk chosen", func(t *testing.T) {
		h := newHarness(t)
		c := h.u.channels
		c.newChannel()
		c.name.SetText("qq")
		c.selectKind("onebot")
		c.key("url").SetText("http://127.0.0.1:" + strconv.Itoa(freePort(t)))
		c.test()
		if c.errs.text("config") == "" {
			t.Fatal("no OneBot error")
		}
		c.selectKind("dingtalk")
		if got := c.errs.text("config") + c.errs.text(""); got != "" {
			t.Fatalf("OneBot's error shown for DingTalk: %q", got)
		}
	})
	t.Run("unknown placeholder, then the SQL fixed", func(t *testing.T) {
		h := newHarness(t)
		tt := h.u.templates
		tt.newTemplate()
		tt.keyword.SetText("k")
		tt.sql.SetText("SELECT {{nosuch}}")
		tt.save()
		if !strings.Contains(tt.errs.text("sql"), "nosuch") {
			t.Fatalf("no placeholder error: %q", tt.errs.text("sql"))
		}
		test.Type(tt.sql, " ")
		tt.sql.SetText("SELECT {{1}}")
		if got := tt.errs.text("sql"); got != "" {
			t.Fatalf("%q stays after the SQL changed", got)
		}
	})
	t.Run("delivered message, old error", func(t *testing.T) {
		h := newHarness(t)
		l := h.u.logs
		l.msgs = []model.Message{{ID: 7, Status: model.StatusDelivered, Attempts: 2, LastError: "连接失败：机器人离线"}}
		if got := l.msgCell(0, 7); got != "" {
			t.Fatalf("a delivered message shows %q as its last error", got)
		}
		l.showMessage(l.msgs[0])
		if got := l.detail.rows[T("送达前的错误")]; got != "连接失败：机器人离线" {
			t.Fatalf("the detail view loses the error before delivery: %v", l.detail.rows)
		}
	})
	t.Run("try-run rows, then another template", func(t *testing.T) {
		h := newHarness(t)
		if _, err := h.a.Import(context.Background(), config.File{Templates: []config.Template{
			{Keyword: "甲", SQL: "SELECT 1 AS a"}, {Keyword: "乙", SQL: "SELECT 2 AS b"}}}); err != nil {
			t.Fatal(err)
		}
		tt := h.u.templates
		tt.refresh()
		tt.selectName("甲")
		tt.dryRun()
		if tt.result == nil {
			t.Fatalf("no result: %q", tt.runInfo.Text)
		}
		tt.list.Select(1 - tt.selected)
		if tt.result != nil || tt.runInfo.Visible() {
			t.Fatalf("甲's rows shown under %s: %+v %q", tt.keyword.Text, tt.result, tt.runInfo.Text)
		}
	})
}

// No English or machine words where an admin reads: dropdown placeholders,
// the chart, the log's actions, the lists, the driver names, delete
// confirmations and the file dialog's places.
func TestWindow_NoEnglishOrMachineWords(t *testing.T) {
	h := newHarness(t)
	h.u.win.Resize(fyne.NewSize(1024, 768))
	if _, err := h.a.Import(context.Background(), config.File{
		Channels:    []config.Channel{{Name: "qq", Type: "onebot", Config: config.Values{"url": "http://127.0.0.1:1"}}},
		DataSources: []config.DataSource{{Name: "erp", Driver: "mysql", DSN: "u:p@tcp(127.0.0.1:1)/erp"}},
		Templates:   []config.Template{{Keyword: "库存", SQL: "SELECT 1"}},
	}); err != nil {
		t.Fatal(err)
	}
	h.u.refreshAll()
	var all []string
	for _, p := range h.u.pages {
		h.u.open(p.content)
		all = append(all, visibleTexts(p.content)...)
	}
	for _, s := range all {
		for _, bad := range []string{"(Select one)", "max ", "(query)", "(onebot)", "(mysql)"} {
			if strings.Contains(s, bad) {
				t.Errorf("%q shows %q", s, bad)
			}
		}
	}
	for _, o := range h.u.sources.driver.Options {
		if !hasHan(o) && strings.ToLower(o) == o {
			t.Errorf("driver shown as %q", o)
		}
	}
	for _, tc := range []struct{ action, want string }{{"send", "发送"}, {"keyword", "查询"}, {"send+keyword", "发送+查询"}} {
		if got := actionText(tc.action); got != T(tc.want) {
			t.Errorf("action %s shown as %q", tc.action, got)
		}
	}
	// 删除 asks with 取消 / 删除.
	h.u.channels.selectName("qq")
	h.u.channels.delete()
	buttons := overlayButtons(h)
	if strings.Join(buttons, "/") != T("取消")+"/"+T("删除") {
		t.Fatalf("delete confirmation buttons %q", buttons)
	}
	tapOverlayButton(t, h, T("取消"))
	// The file dialog names its places in Chinese.
	h.u.about.export()
	places := strings.Join(visibleTexts(h.u.win.Canvas().Overlays().Top()), "|")
	for _, en := range []string{"|Home|", "|Computer|"} {
		if strings.Contains("|"+places+"|", en) {
			t.Errorf("file dialog shows %s: %s", en, places)
		}
	}
	if !strings.Contains(places, "主目录") {
		t.Errorf("file dialog has no 主目录: %s", places)
	}
}

// overlayButtons are the texts of the open dialog's buttons.
func overlayButtons(h *harness) []string {
	var out []string
	walkTree(h.u.win.Canvas().Overlays().Top(), func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Visible() {
			out = append(out, b.Text)
		}
	})
	return out
}

// 试运行's error names the problem in Chinese, not "try-run the template",
// and the SQL placeholder's example runs on a new data.db.
func TestTemplatesTab_DryRunError_ChineseAndExampleRunsOnANewDatabase(t *testing.T) {
	h := newHarness(t)
	tt := h.u.templates
	tt.keyword.SetText("k")
	tt.sql.SetText("SELECT name FROM staff")
	tt.dryRun()
	if got := tt.runInfo.Text; !strings.Contains(got, "数据库中没有表“staff”") || strings.Contains(got, "试运行该模板") {
		t.Fatalf("try-run error %q", got)
	}
	tt.sql.SetText(tt.sql.PlaceHolder)
	tt.args.SetText("7")
	tt.dryRun()
	if tt.result == nil || len(tt.result.Rows) != 1 {
		t.Fatalf("the placeholder's SQL does not run on a new data.db: %q", tt.runInfo.Text)
	}
}

// At 1024×768 every tab fits, the buttons at the right edge are clear of the
// scroll bar, the try-run shows rows, and the chat prefix hint is whole.
func TestLayout_1024x768_NothingClippedOrCramped(t *testing.T) {
	h := newHarness(t)
	h.u.win.Resize(fyne.NewSize(1024, 768))
	for _, p := range h.u.pages {
		h.u.open(p.content)
		if m := p.content.MinSize(); m.Width > 1024 || m.Height > 700 {
			t.Errorf("tab %s needs %v", p.title, m)
		}
	}
	h.u.open(h.u.service.content)
	s := h.u.service
	page := s.content.(*container.Scroll)
	for _, b := range []*widget.Button{s.stop, s.copyBtn} {
		pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(b)
		right := pos.X + b.Size().Width
		if limit := page.Position().X + page.Size().Width - theme.ScrollBarSize(); right > limit {
			t.Errorf("%s ends at %.0f, under the scroll bar from %.0f", b.Text, right, limit)
		}
	}
	h.u.open(h.u.templates.content)
	tt := h.u.templates
	tt.keyword.SetText("k")
	tt.sql.SetText("SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5")
	tt.dryRun()
	if tt.table.Size().Height < 6*36 { // the header and 5 rows
		t.Errorf("try-run table %v tall: fewer than 5 rows show", tt.table.Size())
	}
	var hint *widget.Label
	walkTree(tt.content, func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok && strings.HasPrefix(l.Text, T("所有模板共用。")) {
			hint = l
		}
	})
	if hint == nil || hint.Size().Height < hint.MinSize().Height || hint.Size().Width < 300 {
		t.Fatalf("chat prefix hint cut: %+v", hint)
	}
}

// The data source form shows the DSN of the chosen driver, and 测试连接 on
// a mistyped SQLite path says it is missing and creates nothing.
func TestSourcesTab_DSNExamplePerDriver_AndMistypedSQLitePath(t *testing.T) {
	h := newHarness(t)
	s := h.u.sources
	for _, tc := range []struct{ driver, want string }{
		{"sqlite", sqliteExample()}, {"mysql", "@tcp("}, {"postgres", "postgres://"}, {"sqlserver", "sqlserver://"},
	} {
		s.selectDriver(tc.driver)
		if !strings.Contains(s.dsn.PlaceHolder, tc.want) || !hasHan(s.dsnHelp.Text) {
			t.Errorf("%s: placeholder %q, help %q", tc.driver, s.dsn.PlaceHolder, s.dsnHelp.Text)
		}
	}
	path := filepath.Join(t.TempDir(), "erp-错字.db")
	s.name.SetText("erp")
	s.selectDriver("sqlite")
	s.dsn.SetText(path)
	s.test()
	if got := s.errs.text("dsn"); !strings.Contains(got, "找不到") || s.status.Text == T("连接成功") {
		t.Fatalf("mistyped path: message %q, status %q", got, s.status.Text)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("测试连接 created %s", path)
	}
}

// Every save says so the same way, on the line under its buttons; new items too.
func TestSaveFeedback_SamePatternOnEveryTab(t *testing.T) {
	h := newHarness(t)
	port := strconv.Itoa(freePort(t))
	tests := []struct {
		name   string
		save   func()
		status *widget.Label
	}{
		{"new channel", func() { h.saveLog("记录") }, h.u.channels.status},
		{"new template", func() {
			tt := h.u.templates
			tt.newTemplate()
			tt.keyword.SetText("k")
			tt.sql.SetText("SELECT 1")
			tt.save()
		}, h.u.templates.status},
		{"new data source", func() {
			s := h.u.sources
			s.newSource()
			s.name.SetText("erp")
			s.selectDriver("sqlite")
			s.dsn.SetText(filepath.Join(t.TempDir(), "erp.db"))
			s.save()
		}, h.u.sources.status},
		{"new user", func() { h.addUser("erp", "erp-secret-1") }, h.u.auth.usaved},
		{"authorization", h.u.auth.save, h.u.auth.saved},
		{"listen", func() { h.u.service.port.SetText(port); h.u.service.saveListen() }, h.u.service.saved},
		{"auto start", func() { h.u.service.autoStart.SetChecked(false) }, h.u.service.saved},
		{"chat prefix", func() { h.u.templates.prefix.entry.SetText("#"); h.u.templates.prefix.save() }, h.u.templates.prefix.saved},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.save()
			if !tc.status.Visible() || !strings.Contains(tc.status.Text, T("已保存")) && !strings.Contains(tc.status.Text, "已保存") || tc.status.Importance != widget.SuccessImportance {
				t.Fatalf("status after saving: %q (visible %v)", tc.status.Text, tc.status.Visible())
			}
		})
	}
}

// An edit is marked until it is saved, and picking another item does not
// drop it without asking.
func TestUnsavedChanges_MarkedAndNotDroppedSilently(t *testing.T) {
	h := newHarness(t)
	h.saveLog("甲")
	h.saveLog("乙")
	c := h.u.channels
	c.selectName("甲")
	if c.errs.unsaved.Visible() {
		t.Fatal("a form just loaded is marked unsaved")
	}
	test.Type(c.rate, "5")
	edited := c.rate.Text
	if !c.errs.unsaved.Visible() {
		t.Fatal("an edit is not marked")
	}
	c.list.Select(c.indexOf("乙"))
	if c.name.Text != "甲" {
		t.Fatalf("picking 乙 dropped the edit of 甲 without asking (form shows %q)", c.name.Text)
	}
	tapOverlayButton(t, h, T("取消"))
	if c.name.Text != "甲" || c.rate.Text != edited || !c.errs.unsaved.Visible() {
		t.Fatalf("after 取消 the form shows %q rate %q", c.name.Text, c.rate.Text)
	}
	c.save()
	if c.errs.unsaved.Visible() {
		t.Fatal("still marked after 保存")
	}
	c.rate.SetText("9")
	c.list.Select(c.indexOf("乙"))
	tapOverlayButton(t, h, T("放弃修改"))
	if c.name.Text != "乙" || c.errs.unsaved.Visible() {
		t.Fatalf("after 放弃修改: form %q, marked %v", c.name.Text, c.errs.unsaved.Visible())
	}
}

func (c *channelsTab) indexOf(name string) int {
	for i, it := range c.items {
		if it.Name == name {
			return i
		}
	}
	return -1
}

// A config import while the window is open: the template in the editor
// stays the highlighted one, and shows what was imported.
func TestConfigImport_WhileOpen_ListAndEditorAgree(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if _, err := h.a.Import(ctx, config.File{Templates: []config.Template{{Keyword: "b", SQL: "SELECT 1"}, {Keyword: "c", SQL: "SELECT 2"}}}); err != nil {
		t.Fatal(err)
	}
	tt := h.u.templates
	tt.refresh()
	tt.selectName("c")
	if _, err := h.a.Import(ctx, config.File{Templates: []config.Template{{Keyword: "a", SQL: "SELECT 0"}, {Keyword: "c", SQL: "SELECT 3"}}}); err != nil {
		t.Fatal(err)
	}
	h.u.open(h.u.templates.content)
	if tt.selected < 0 || tt.items[tt.selected].Keyword != "c" || tt.keyword.Text != "c" || tt.sql.Text != "SELECT 3" {
		t.Fatalf("highlighted %d of %+v, editor shows %q %q", tt.selected, tt.items, tt.keyword.Text, tt.sql.Text)
	}
}

// A log row opens in full: the request's whole message, the message's text,
// attempts, error and attachments.
func TestLogsTab_RowOpensDetail(t *testing.T) {
	h := newHarness(t)
	h.saveLog("记录")
	path, size := pngFile(t)
	data, _ := os.ReadFile(path)
	long := strings.Repeat("今日订单明细", 40)
	if _, err := h.a.SendTest(context.Background(), app.SendRequest{Channel: "记录", QQ: "10001", Content: long,
		Attachments: []model.Attachment{{Kind: model.AttachImage, Name: "图表.png", Data: data}}}); err != nil {
		t.Fatal(err)
	}
	test.Tap(h.u.service.start)
	h.get(h.addr(), "/?"+url.Values{"user": {"nobody"}, "Access_token": {"x"}, "keyword": {"库存"}}.Encode())
	l := h.u.logs
	h.u.open(l.content)
	waitFor(t, "the request in the log", func() bool { l.load(); return len(l.reqs) > 0 })
	l.reqTable.OnSelected(widget.TableCellID{Row: 0, Col: 0})
	if got := l.detail.rows[T("信息")]; got != l.reqs[0].Errmsg || got == "" {
		t.Fatalf("request detail 信息 %q, want the whole %q", got, l.reqs[0].Errmsg)
	}
	tapOverlayButton(t, h, T("关闭"))
	l.msgTable.OnSelected(widget.TableCellID{Row: 0, Col: 7})
	d := l.detail.rows
	if d[T("内容")] != long || !strings.Contains(d[T("附件")], "图表.png") || !strings.Contains(d[T("附件")], sizeText(int64(size))) ||
		!strings.Contains(d[T("状态")], fmt.Sprint(l.msgs[0].Attempts)) {
		t.Fatalf("message detail %v", d)
	}
}

// An empty database says, where the admin starts, that no API user exists
// and every call is refused; the hint goes once there is one.
func TestFirstRunHint_NoAPIUser(t *testing.T) {
	h := newHarness(t)
	if !h.u.service.noUsers.Visible() || !h.u.auth.noUsers.Visible() {
		t.Fatal("no hint on an empty database")
	}
	h.addUser("erp", "erp-secret-1")
	h.u.refreshAll()
	h.sync()
	if h.u.service.noUsers.Visible() || h.u.auth.noUsers.Visible() {
		t.Fatal("hint stays once a user exists")
	}
}

// Saving a new item (or one renamed in the form) under the name of another
// saved one is refused instead of replacing it, on every list tab.
func TestSave_UnderAnotherItemsName_Refused(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if _, err := h.a.Import(ctx, config.File{
		Channels:    []config.Channel{{Name: "qq", Type: "onebot", Config: config.Values{"url": "http://127.0.0.1:1"}}},
		Templates:   []config.Template{{Keyword: "库存", SQL: "SELECT 1 AS kept"}},
		DataSources: []config.DataSource{{Name: "erp", Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "erp.db")}},
	}); err != nil {
		t.Fatal(err)
	}
	h.u.refreshAll()
	t.Run("channel", func(t *testing.T) {
		c := h.u.channels
		c.newChannel()
		c.name.SetText("qq")
		c.selectKind("log")
		c.save()
		if got := c.errs.text("name"); !strings.Contains(got, "已存在") {
			t.Fatalf("message at name %q", got)
		}
		if cs, _ := h.a.ListChannels(ctx); cs[0].Type != "onebot" {
			t.Fatalf("channel replaced: %+v", cs)
		}
	})
	t.Run("template renamed onto another", func(t *testing.T) {
		tt := h.u.templates
		tt.newTemplate()
		tt.keyword.SetText("新的")
		tt.sql.SetText("SELECT 2")
		tt.save()
		tt.keyword.SetText("库存")
		tt.save()
		if got := tt.errs.text("keyword"); !strings.Contains(got, "已存在") {
			t.Fatalf("message at keyword %q", got)
		}
		if ts, _ := h.a.ListTemplates(ctx); len(ts) != 2 || ts[0].SQL != "SELECT 1 AS kept" && ts[1].SQL != "SELECT 1 AS kept" {
			t.Fatalf("template replaced: %+v", ts)
		}
	})
	t.Run("data source", func(t *testing.T) {
		s := h.u.sources
		s.newSource()
		s.name.SetText("erp")
		s.selectDriver("mysql")
		s.dsn.SetText("u:p@tcp(127.0.0.1:1)/x")
		s.save()
		if got := s.errs.text("name"); !strings.Contains(got, "已存在") {
			t.Fatalf("message at name %q", got)
		}
	})
}
