package ui

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"botgate/app/config"
	"botgate/model"
)

// tapLastButton taps the last button labelled label inside root: the tab's
// own 保存 comes after the failure-notice row's.
func tapLastButton(t *testing.T, root fyne.CanvasObject, label string) {
	t.Helper()
	var found *widget.Button
	walkTree(root, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == label {
			found = b
		}
	})
	if found == nil {
		t.Fatalf("no %q button", label)
	}
	test.Tap(found)
}

// scheduleHarness is the window over an App with a log channel (the
// default) and a query template 销售 over the built-in data file.
func scheduleHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t)
	def := "log"
	if _, err := h.a.Import(context.Background(), config.File{
		Settings:  &config.SettingsPatch{DefaultChannel: &def},
		Channels:  []config.Channel{{Name: "log", Type: "log"}},
		Templates: []config.Template{{Keyword: "销售", SQL: "SELECT '一店' AS shop, 1200 AS amount", Reply: "{{shop}}：{{amount}} 元"}},
	}); err != nil {
		t.Fatal(err)
	}
	h.u.SelectTab(6)
	return h
}

func TestSchedulesTab_IsTheTabBeforeAbout(t *testing.T) {
	h := newHarness(t)
	items := h.u.tabs.Items
	if len(items) != 8 || items[6].Text != T("定时推送") || items[7].Text != T("关于") || items[5].Text != T("日志") {
		t.Fatalf("tabs %v", func() (names []string) {
			for _, it := range items {
				names = append(names, it.Text)
			}
			return
		}())
	}
	if len(h.u.pages) != len(items) || h.u.pages[6].shot != "schedules" {
		t.Fatalf("screenshot names do not follow the tabs: %d pages, 7th is %q", len(h.u.pages), h.u.pages[6].shot)
	}
}

func TestSchedulesTab_CronHelper_NextFiveTimesInChineseOrWhyNot(t *testing.T) {
	h := scheduleHarness(t)
	s := h.u.schedules
	if s.times.Text != T("输入 cron 表达式后，这里显示接下来 5 次的执行时间") {
		t.Fatalf("empty cron helper %q", s.times.Text)
	}
	test.Type(s.cron, "30 8 * * 1-5")
	lines := strings.Split(s.times.Text, "\n")
	if len(lines) != 6 || lines[0] != T("接下来的执行时间：") {
		t.Fatalf("helper %q", s.times.Text)
	}
	weekday := regexp.MustCompile(`^\d{4}-\d{2}-\d{2} 星期[一二三四五] 08:30$`)
	var prev string
	for _, l := range lines[1:] {
		if !weekday.MatchString(l) || l <= prev {
			t.Fatalf("run time %q (after %q) is not a later weekday at 08:30: %q", l, prev, s.times.Text)
		}
		prev = l
	}
	for _, r := range "      " { // the expression typed so far is wrong: the helper says why, in red
		_ = r
		s.cron.TypedKey(&fyne.KeyEvent{Name: fyne.KeyBackspace})
	}
	if s.cron.Text != "30 8 *" || s.times.Importance != widget.DangerImportance || !strings.Contains(s.times.Text, "有 3 段，应为 5 段") {
		t.Fatalf("cron %q helper %q (importance %v)", s.cron.Text, s.times.Text, s.times.Importance)
	}
	s.cron.SetText("0 9 * * *")
	test.Type(s.tz, "Mars")
	if !strings.Contains(s.times.Text, "时区 \"Mars\" 无效") {
		t.Fatalf("bad zone: helper %q", s.times.Text)
	}
}

func TestSchedulesTab_SaveRunNowAndLastRun(t *testing.T) {
	h := scheduleHarness(t)
	s := h.u.schedules
	ctx := context.Background()

	// A wrong hour is refused at the field, in Chinese, and nothing is saved.
	test.Type(s.name, "日报")
	test.Type(s.cron, "0 25 * * *")
	s.template.SetSelected("销售")
	test.Type(s.group, "123456")
	test.Type(s.header, "早报")
	tapLastButton(t, s.content, T("保存"))
	if got := s.errs.text("cron"); !strings.Contains(got, "超出范围") {
		t.Fatalf("error at the cron field %q (form: %q, status %q)", got, s.errs.text(""), s.status.Text)
	}
	if views, _ := h.a.ListSchedules(ctx); len(views) != 0 {
		t.Fatalf("a refused schedule was saved: %v", views)
	}

	s.cron.SetText("0 9 * * *")
	tapLastButton(t, s.content, T("保存"))
	// (The "saved" line is not checked: listEditor clears it when it
	// selects a new item after its save, in every tab.)
	if len(s.items) != 1 || s.current() != "日报" || s.errs.text("cron") != "" {
		t.Fatalf("after save: items %v, selected %q", s.items, s.current())
	}
	if !strings.HasPrefix(s.lastRun.Text, T("上次运行：还没有运行过")+"\n"+T("下次运行：")) || !strings.HasSuffix(s.lastRun.Text, " 09:00") {
		t.Fatalf("last run %q", s.lastRun.Text)
	}

	// 立即运行一次: queued now, the slot record untouched.
	tapLastButton(t, s.content, T("立即运行一次"))
	if s.status.Text != fmt.Sprintf(T("已发送（消息 %s），可在“日志”的消息队列中查看投递状态；定时推送记录不变"), "1") {
		t.Fatalf("run now: status %q, error %q", s.status.Text, s.errs.text(""))
	}
	m, err := h.a.DB().Message(ctx, 1)
	if err != nil || m.Target != "123456" || m.Content != "早报\n一店：1200 元" {
		t.Fatalf("queued %+v %v", m, err)
	}
	if views, _ := h.a.ListSchedules(ctx); views[0].Last != nil {
		t.Fatalf("run now recorded a slot: %+v", views[0].Last)
	}

	// The scheduler's record of a failed slot shows on the next refresh.
	slot := time.Now().Add(-time.Hour).Truncate(time.Minute)
	if _, err := h.a.DB().CommitScheduleRun(ctx, model.ScheduleRun{Schedule: "日报", Slot: slot, Outcome: model.RunFailed,
		Error: "模板“销售”执行出错", At: slot}, nil); err != nil {
		t.Fatal(err)
	}
	s.refresh()
	if !strings.Contains(s.lastRun.Text, T("失败：")+"模板“销售”执行出错") || s.lastRun.Importance != widget.DangerImportance {
		t.Fatalf("last run %q", s.lastRun.Text)
	}
	if line := scheduleLine(s.items[0]); line != "日报  0 9 * * *  "+T("上次失败") {
		t.Fatalf("list line %q", line)
	}

	// Where failures go: saved through the row, a wrong one refused there.
	for _, tt := range []struct{ value, want string }{{"nosuch:1", "通道“nosuch”不存在"}, {"log:10001", ""}} {
		s.admin.entry.SetText(tt.value)
		s.admin.save()
		if got := s.admin.errs.text("admin_recipient"); !strings.Contains(got, tt.want) || (tt.want == "") != (got == "") {
			t.Fatalf("admin_recipient %q: error %q", tt.value, got)
		}
	}
	if got := h.a.Settings().AdminRecipient; got != "log:10001" {
		t.Fatalf("admin_recipient saved as %q", got)
	}
}
