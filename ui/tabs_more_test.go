package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"botgate/app/config"
	"botgate/model"
)

// fakeOneBot answers get_login_info, get_friend_list, get_group_list and
// send_private_msg as the OneBot v11 API document shows (numbers as JSON
// numbers), on 127.0.0.1 only.
func fakeOneBot(t *testing.T, token string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		var data any
		switch r.URL.Path {
		case "/get_friend_list":
			data = []map[string]any{
				{"user_id": 289192968, "nickname": "张三", "remark": ""},
				{"user_id": 350310976, "nickname": "lisi", "remark": "仓库李四"},
			}
		case "/get_group_list":
			data = []map[string]any{{"group_id": 123456, "group_name": "销售部", "member_count": 12, "max_member_count": 200}}
		case "/get_login_info":
			data = map[string]any{"user_id": 10001, "nickname": "BotGate 机器人"}
		case "/send_private_msg", "/send_group_msg":
			data = map[string]any{"message_id": 42}
		default:
			w.WriteHeader(http.StatusNotFound)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"status": "ok", "retcode": 0, "data": data})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (c *channelsTab) selectKind(name string) {
	for _, k := range c.kinds {
		if k.Name == name {
			c.kind.SetSelected(k.Title)
		}
	}
}

func TestChannelsTab_Contacts_ListedFilteredAndCopied(t *testing.T) {
	h := newHarness(t)
	bot := fakeOneBot(t, "tok-123")
	c := h.u.channels
	c.newChannel()
	c.name.SetText("qq")
	c.selectKind("onebot")
	if c.bookBtn.Disabled() {
		t.Fatal("通讯录 is disabled for OneBot, which lists friends and groups")
	}
	c.key("url").SetText(bot.URL)
	c.key("access_token").SetText("tok-123")
	test.Tap(c.bookBtn)
	if msg := c.errs.text("") + c.errs.text("config"); msg != "" {
		t.Fatalf("error shown: %s", msg)
	}
	b := c.book
	if b == nil || len(b.shown) != 3 {
		t.Fatalf("contact book %+v, want 2 friends and 1 group", b)
	}
	want := []string{T("好友") + "  289192968  张三", T("好友") + "  350310976  仓库李四", T("群") + "  123456  销售部"}
	for i, w := range want {
		if got := contactLine(b.shown[i]); got != w {
			t.Errorf("line %d = %q, want %q", i, got, w)
		}
	}
	test.Type(b.filter, "仓库")
	if len(b.shown) != 1 || b.shown[0].ID != "350310976" {
		t.Fatalf("filter 仓库 shows %+v", b.shown)
	}
	b.list.Select(0)
	if got := h.u.fa.Clipboard().Content(); got != "350310976" {
		t.Fatalf("clipboard holds %q after clicking the row", got)
	}
	b.filter.SetText("")
	if len(b.shown) != 3 {
		t.Fatalf("clearing the filter shows %d", len(b.shown))
	}
}

func TestChannelsTab_Contacts_WrongTokenExplainedAndNoTypeWithoutListing(t *testing.T) {
	h := newHarness(t)
	bot := fakeOneBot(t, "right")
	c := h.u.channels
	c.newChannel()
	c.name.SetText("qq")
	c.selectKind("onebot")
	c.key("url").SetText(bot.URL)
	c.key("access_token").SetText("wrong")
	test.Tap(c.bookBtn)
	if got := c.errs.text("config"); !strings.Contains(got, "读取通讯录失败") {
		t.Fatalf("message at config = %q (general %q)", got, c.errs.text(""))
	}
	c.selectKind("wecom") // a group robot webhook: no listing
	if !c.bookBtn.Disabled() {
		t.Fatal("通讯录 enabled for a channel type whose platform cannot list contacts")
	}
}

func TestSettingRows_ChatPrefixAndRetention_SavedOrRefusedAtTheField(t *testing.T) {
	tests := []struct {
		name    string
		row     func(h *harness) *settingRow
		input   string
		wantErr string // "" = saved
		check   func(h *harness) bool
	}{
		{"prefix #", func(h *harness) *settingRow { return h.u.templates.prefix }, " # ", "",
			func(h *harness) bool { return h.a.Settings().ChatPrefix == "#" }},
		{"prefix with a space", func(h *harness) *settingRow { return h.u.templates.prefix }, "# 查", "不能有空格",
			func(h *harness) bool { return h.a.Settings().ChatPrefix == "" }},
		{"retention 90", func(h *harness) *settingRow { return h.u.logs.retention }, "90", "",
			func(h *harness) bool { return h.a.Settings().LogRetentionDays == 90 }},
		{"retention not a number", func(h *harness) *settingRow { return h.u.logs.retention }, "三十", T("日志保留天数必须是 1 到 3650 之间的整数"),
			func(h *harness) bool { return h.a.Settings().LogRetentionDays == 30 }},
		{"retention out of range", func(h *harness) *settingRow { return h.u.logs.retention }, "0", "1 到 3650",
			func(h *harness) bool { return h.a.Settings().LogRetentionDays == 30 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			r := tt.row(h)
			r.entry.SetText(tt.input)
			r.save()
			got := r.errs.text(r.field)
			switch {
			case tt.wantErr == "" && (got != "" || r.saved.Text != T("已保存")):
				t.Fatalf("not saved: error %q, status %q", got, r.saved.Text)
			case tt.wantErr != "" && !strings.Contains(got, tt.wantErr):
				t.Fatalf("message at the field = %q, want %q", got, tt.wantErr)
			}
			if !tt.check(h) {
				t.Fatalf("saved settings %+v", h.a.Settings())
			}
		})
	}
}

func TestAuthTab_RenameUser_NewNameWorksOverHTTPAndTakenNameRefused(t *testing.T) {
	h := newHarness(t)
	h.addUser("erp", "erp-secret-1")
	h.addUser("boss", "boss-secret-1")
	a := h.u.auth
	a.loadUsers()
	a.selectName("erp")
	a.rename("erp", "boss")
	if got := a.uerrs.text("name"); !strings.Contains(got, "已存在") {
		t.Fatalf("renaming onto boss: message at name %q", got)
	}
	a.rename("erp", " erp2 ")
	if got := a.uerrs.text("name") + a.uerrs.text(""); got != "" {
		t.Fatalf("rename refused: %s", got)
	}
	if a.selected < 0 || a.items[a.selected].Name != "erp2" {
		t.Fatalf("selection after rename: %d %+v", a.selected, a.items)
	}
	test.Tap(h.u.service.start)
	for _, tc := range []struct {
		user       string
		authorized bool
	}{{"erp2", true}, {"erp", false}} {
		_, body := h.get(h.addr(), "/?user="+tc.user+"&Access_token=erp-secret-1&QQ=10001&content=hi")
		if refused := body["errcode"] == float64(model.CodeUnauthorized); refused == tc.authorized {
			t.Errorf("sending as %s: %v, want authorized=%v", tc.user, body, tc.authorized)
		}
	}
}

// Every list tab's 删除 without a selection says what to do and deletes nothing.
func TestDelete_NothingSelected_AsksToPickFirst(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name string
		del  func()
		errs *fieldErrors
		want string
	}{
		{"channel", h.u.channels.delete, h.u.channels.errs, T("请先在左侧列表中选择一个通道")},
		{"template", h.u.templates.delete, h.u.templates.errs, T("请先在左侧列表中选择一个模板")},
		{"data source", h.u.sources.delete, h.u.sources.errs, T("请先在左侧列表中选择一个数据源")},
		{"user", h.u.auth.deleteUser, h.u.auth.uerrs, T("请先在左侧列表中选择一个用户")},
		{"user rename", h.u.auth.renameUser, h.u.auth.uerrs, T("请先在左侧列表中选择一个用户")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.del()
			if got := tt.errs.text(""); got != tt.want {
				t.Fatalf("message %q, want %q", got, tt.want)
			}
		})
	}
}

// walkTree calls visit for o and everything drawn inside it: container
// children and the objects of widget renderers.
func walkTree(o fyne.CanvasObject, visit func(fyne.CanvasObject)) {
	visit(o)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			walkTree(c, visit)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			walkTree(c, visit)
		}
	}
}

// tapOverlayButton taps the button labelled label in the window's top
// overlay (an open dialog).
func tapOverlayButton(t *testing.T, h *harness, label string) {
	t.Helper()
	top := h.u.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog is open")
	}
	var found *widget.Button
	walkTree(top, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == label {
			found = b
		}
	})
	if found == nil {
		t.Fatalf("no %q button in the dialog", label)
	}
	test.Tap(found)
}

func TestDelete_Confirmed_RemovedAndReported(t *testing.T) {
	h := newHarness(t)
	c := h.u.channels
	c.newChannel()
	c.name.SetText("记录")
	c.selectKind("log")
	c.save()
	c.list.Select(0)
	c.delete()
	tapOverlayButton(t, h, T("删除"))
	if items, _ := h.a.ListChannels(context.Background()); len(items) != 0 {
		t.Fatalf("channels after delete: %+v", items)
	}
	if want := fmt.Sprintf(T("通道 %s 已删除"), "记录"); c.status.Text != want {
		t.Fatalf("status %q, want %q", c.status.Text, want)
	}
}

// The setting rows show what is saved (set here by config import, as an
// admin might while the window is open) when their tab is shown.
func TestSettingRows_ShowTheSavedValues(t *testing.T) {
	h := newHarness(t)
	if got := h.u.logs.retention.entry.Text; got != "30" {
		t.Fatalf("retention shows %q at start, want the default 30", got)
	}
	days, prefix := 90, "#"
	if _, err := h.a.Import(context.Background(), config.File{Settings: &config.SettingsPatch{LogRetentionDays: &days, ChatPrefix: &prefix}}); err != nil {
		t.Fatal(err)
	}
	h.u.open(h.u.templates.content)
	h.u.open(h.u.logs.content)
	if got := h.u.logs.retention.entry.Text; got != "90" {
		t.Fatalf("retention shows %q, want 90", got)
	}
	if got := h.u.templates.prefix.entry.Text; got != "#" {
		t.Fatalf("prefix shows %q, want #", got)
	}
}

func TestStartupError_SaysWhatFailedWhereAndWhatToTry(t *testing.T) {
	fa := test.NewTempApp(t)
	quit := false
	w := fa.NewWindow("x")
	w.SetContent(startupErrorContent("/srv/botgate/botgate.db", "打开状态数据库 /srv/botgate/botgate.db 失败: file is not a database", func() { quit = true }))
	var texts []string
	var closeBtn *widget.Button
	walkTree(w.Content(), func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Label:
			texts = append(texts, x.Text)
		case *widget.Button:
			closeBtn = x
		}
	})
	all := strings.Join(texts, "\n")
	hint := T("请确认这个文件夹可以写入、磁盘没有满。如果数据库文件损坏，可以先把它改名（保留备份），再打开 BotGate，会新建一个空数据库，然后在“关于”页用“导入配置”恢复。")
	for _, want := range []string{"file is not a database", T("状态数据库：") + "/srv/botgate/botgate.db", hint} {
		if !strings.Contains(all, want) {
			t.Errorf("window lacks %q:\n%s", want, all)
		}
	}
	if closeBtn == nil {
		t.Fatal("no close button")
	}
	test.Tap(closeBtn)
	if !quit {
		t.Fatal("关闭 does not quit")
	}
}
