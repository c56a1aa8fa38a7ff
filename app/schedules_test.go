package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"botgate/app/config"
	"botgate/app/schedule"
	"botgate/model"
)

// schedClock is the schedulers' clock in these tests: Now is what the
// test sets, and each timer fires when the test moves the clock past it.
type schedClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []schedTimer
}

type schedTimer struct {
	at time.Time
	c  chan time.Time
}

func (c *schedClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *schedClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.timers = append(c.timers, schedTimer{at: c.now.Add(d), c: ch})
	return ch
}

// sleeping is how many timers wait: a scheduler that is between two looks has one.
func (c *schedClock) sleeping() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.timers) }

// set moves the clock to t and fires the timers due by then.
func (c *schedClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	kept := c.timers[:0]
	for _, tm := range c.timers {
		if tm.at.After(t) {
			kept = append(kept, tm)
			continue
		}
		tm.c <- t
	}
	c.timers = kept
}

// fakeQQ is a OneBot v11 HTTP API on 127.0.0.1 that records each message.
type fakeQQ struct {
	mu   sync.Mutex
	got  []string // "action target: text"
	srv  *httptest.Server
	fail bool
}

func newFakeQQ(t *testing.T) *fakeQQ {
	f := &fakeQQ{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			UserID  json.Number `json:"user_id"`
			GroupID json.Number `json:"group_id"`
			Message string      `json:"message"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		f.mu.Lock()
		f.got = append(f.got, strings.TrimPrefix(r.URL.Path, "/")+" "+string(body.UserID)+string(body.GroupID)+": "+body.Message)
		f.mu.Unlock()
		io.WriteString(w, `{"status":"ok","retcode":0,"data":{"message_id":1}}`)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeQQ) messages() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.got...)
}

// nextNineAM is 09:00 Beijing time on a day after today: a slot no schedule
// created now has had yet (storage stamps a new schedule with the real clock).
func nextNineAM() time.Time {
	now := time.Now().In(mustLoad("Asia/Shanghai"))
	return time.Date(now.Year(), now.Month(), now.Day()+1, 9, 0, 0, 0, now.Location())
}

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// openScheduleApp opens an App on db whose scheduler runs on clock, with
// the server's handler a stub: what is tested is what the server runs.
func openScheduleApp(t *testing.T, db string, clock *schedClock) *App {
	t.Helper()
	a, err := Open(context.Background(), Options{DBPath: db, Listen: "127.0.0.1:0",
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Schedule: schedule.Config{Now: clock.Now, After: clock.After},
		Handler:  func(*App) http.Handler { return http.NotFoundHandler() }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// salesConfig is a sales table in the built-in data file, a query
// template over it, the OneBot channel qq on url, and the daily 09:00 push to group 123456.
func salesConfig(t *testing.T, a *App, url string) {
	t.Helper()
	execData(t, a.DataPath(), `CREATE TABLE IF NOT EXISTS sales (shop TEXT, amount INTEGER)`,
		`INSERT INTO sales VALUES ('一店', 1200), ('二店', 800)`)
	def := "qq"
	mustImport(t, a, config.File{
		Settings: &config.SettingsPatch{DefaultChannel: &def},
		Channels: []config.Channel{{Name: "qq", Type: "onebot", Config: config.Values{"url": url}}},
		Templates: []config.Template{{Keyword: "销售", SQL: "SELECT shop, amount FROM sales WHERE amount > {{1}} ORDER BY shop",
			Reply: "{{shop}}：{{amount}} 元", Roles: []string{"boss"}}},
		Schedules: []config.Schedule{{Name: "日报", Cron: "0 9 * * *", Template: "销售", Args: []string{"0"}, Channel: "qq", Group: "123456", Header: "{{日期}} 昨日销售"}},
	})
}

// execData runs statements on the built-in data file (the ERP's tables, in these tests).
func execData(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The whole path in one process: the server's scheduler wakes at 09:00
// Beijing time, runs the template (restricted to role boss: a schedule is
// not an API user), and the dispatcher delivers the rows to the group.
func TestScheduledPush_At0900_DeliveredToTheGroup(t *testing.T) {
	qq := newFakeQQ(t)
	slot := nextNineAM()
	clock := &schedClock{now: slot.Add(-10 * time.Second)}
	a := openScheduleApp(t, filepath.Join(t.TempDir(), "botgate.db"), clock)
	salesConfig(t, a, qq.srv.URL)
	if _, err := a.StartServer(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the scheduler to sleep until 09:00", func() bool { return clock.sleeping() > 0 })
	if got := qq.messages(); len(got) != 0 {
		t.Fatalf("sent before 09:00: %v", got)
	}
	clock.set(slot)
	want := "send_group_msg 123456: " + slot.Format("2006-01-02") + " 昨日销售\n查到 2 条：\n一店：1200 元\n二店：800 元"
	waitUntil(t, "the push delivered", func() bool { return len(qq.messages()) == 1 })
	if got := qq.messages()[0]; got != want {
		t.Fatalf("delivered %q\nwant %q", got, want)
	}
	views, err := a.ListSchedules(context.Background())
	if err != nil || len(views) != 1 || views[0].Last == nil || views[0].Last.Outcome != model.RunSent || !views[0].Last.Slot.Equal(slot) {
		t.Fatalf("ListSchedules = %+v, %v", views, err)
	}
}

// Two BotGates on one database: only the one holding the server lock runs
// the scheduler, so the slot is sent once; the other, started after the
// first stops, finds the slot recorded and sends it no second time.
func TestScheduledPush_TwoServersOneDatabase_OnlyTheLockHolderSends(t *testing.T) {
	qq := newFakeQQ(t)
	slot := nextNineAM()
	db := filepath.Join(t.TempDir(), "botgate.db")
	clockA, clockB := &schedClock{now: slot.Add(-time.Minute)}, &schedClock{now: slot.Add(-time.Minute)}
	a := openScheduleApp(t, db, clockA)
	b := openScheduleApp(t, db, clockB)
	salesConfig(t, a, qq.srv.URL)
	if err := b.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.StartServer(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.StartServer(); !errors.Is(err, ErrServerRunning) {
		t.Fatalf("second server on the database: %v, want ErrServerRunning", err)
	}
	waitUntil(t, "A's scheduler to sleep", func() bool { return clockA.sleeping() > 0 })
	clockA.set(slot)
	clockB.set(slot)
	waitUntil(t, "the push delivered", func() bool { return len(qq.messages()) == 1 })
	time.Sleep(100 * time.Millisecond)
	if clockB.sleeping() != 0 {
		t.Fatal("B's scheduler ran without the server lock")
	}
	a.StopServer()
	if _, err := b.StartServer(); err != nil {
		t.Fatalf("B after A stopped: %v", err)
	}
	clockB.set(slot.Add(2 * time.Minute))
	waitUntil(t, "B's scheduler to look and sleep", func() bool { return clockB.sleeping() > 0 })
	time.Sleep(100 * time.Millisecond)
	if got := qq.messages(); len(got) != 1 {
		t.Fatalf("%d deliveries, want the slot once: %v", len(got), got)
	}
}

func TestScheduledPush_TemplateFails_AdminTold(t *testing.T) {
	qq := newFakeQQ(t)
	slot := nextNineAM()
	clock := &schedClock{now: slot.Add(-time.Minute)}
	a := openScheduleApp(t, filepath.Join(t.TempDir(), "botgate.db"), clock)
	salesConfig(t, a, qq.srv.URL)
	admin := "qq:350310976"
	mustImport(t, a, config.File{Settings: &config.SettingsPatch{AdminRecipient: &admin}})
	execData(t, a.DataPath(), `DROP TABLE sales`) // the ERP changed under the template
	if _, err := a.StartServer(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the scheduler to sleep", func() bool { return clock.sleeping() > 0 })
	clock.set(slot)
	waitUntil(t, "the note to the admin", func() bool { return len(qq.messages()) == 1 })
	got := qq.messages()[0]
	if !strings.HasPrefix(got, "send_private_msg 350310976: 定时推送“日报”（"+schedule.FormatTime(slot)+"）失败：模板“销售”执行出错") {
		t.Fatalf("admin note %q", got)
	}
	views, _ := a.ListSchedules(context.Background())
	if l := views[0].Last; l == nil || l.Outcome != model.RunFailed || !strings.Contains(l.Error, "执行出错") {
		t.Fatalf("last run %+v", l)
	}
}

func TestSchedules_ImportExportAndDeletes(t *testing.T) {
	ctx := context.Background()
	a := openAdminApp(t, time.Now())
	salesConfig(t, a, "http://127.0.0.1:1")
	cf, err := a.Export(ctx)
	if err != nil || len(cf.Schedules) != 1 || cf.Schedules[0].Name != "日报" || cf.Schedules[0].CatchUp != "1h" {
		t.Fatalf("export %+v %v", cf.Schedules, err)
	}
	// A file with a bad schedule changes nothing, not even its good parts.
	_, err = a.Import(ctx, config.File{
		Templates: []config.Template{{Keyword: "新模板", SQL: "SELECT 1"}},
		Schedules: []config.Schedule{{Name: "周报", Cron: "0 9 * * 1", Template: "新模板", Group: "1"}, {Name: "坏", Cron: "every day", Template: "销售", Group: "1"}},
	})
	if e := model.ErrorOf(err); err == nil || e.Field != "cron" || !strings.Contains(e.Msg, "定时推送“坏”") {
		t.Fatalf("import: %v", err)
	}
	if views, _ := a.ListSchedules(ctx); len(views) != 1 {
		t.Fatalf("%d schedules after a refused import", len(views))
	}
	if names := a.QueryTemplateNames(); len(names) != 1 || names[0] != "销售" {
		t.Fatalf("QueryTemplateNames = %v (the refused file's template must not be there)", names)
	}
	def := "log" // qq is no longer the default channel: only the schedule holds it
	mustImport(t, a, config.File{Channels: []config.Channel{{Name: "log", Type: "log"}}, Settings: &config.SettingsPatch{DefaultChannel: &def}})
	for _, tt := range []struct {
		what string
		del  func() error
	}{{"template", func() error { return a.DeleteTemplate(ctx, "销售") }}, {"channel", func() error { return a.DeleteChannel(ctx, "qq") }}} {
		if err := tt.del(); err == nil || !strings.Contains(err.Error(), "仍被定时推送 日报 使用") {
			t.Errorf("deleting the %s a schedule uses: %v", tt.what, err)
		}
	}
	if err := a.DeleteSchedule(ctx, "日报"); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteTemplate(ctx, "销售"); err != nil {
		t.Fatalf("deleting the template once no schedule uses it: %v", err)
	}
}

func TestSchedules_ViewsTimesAndRunNow(t *testing.T) {
	ctx := context.Background()
	qq := newFakeQQ(t)
	now := time.Date(2026, 3, 2, 8, 30, 0, 0, mustLoad("Asia/Shanghai"))
	a := openAdminApp(t, now)
	salesConfig(t, a, qq.srv.URL)
	views, err := a.ListSchedules(ctx)
	if err != nil || len(views) != 1 || views[0].Last != nil || !views[0].Next.Equal(time.Date(2026, 3, 2, 9, 0, 0, 0, now.Location())) {
		t.Fatalf("views %+v %v", views, err)
	}
	times, err := a.ScheduleTimes("0 9 * * 1-5", "", 5)
	if err != nil || len(times) != 5 || times[4].Day() != 6 {
		t.Fatalf("ScheduleTimes = %v, %v (want Mon 2 .. Fri 6 March)", times, err)
	}
	if _, err := a.ScheduleTimes("0 9 * *", "", 5); model.ErrorOf(err).Field != "cron" {
		t.Fatalf("bad cron: %v", err)
	}
	// 立即运行一次 on the form as edited (not saved): queued, no slot recorded.
	s := views[0].Schedule
	s.Header = "试发"
	run, err := a.RunScheduleNow(ctx, s)
	if err != nil || run.Outcome != model.RunSent || len(run.MsgIDs) != 1 {
		t.Fatalf("RunScheduleNow = %+v, %v", run, err)
	}
	m, err := a.DB().Message(ctx, run.MsgIDs[0])
	if err != nil || m.Target != "123456" || !strings.HasPrefix(m.Content, "试发\n查到 2 条") || m.APIUser != "定时推送:日报" {
		t.Fatalf("queued %+v %v", m, err)
	}
	if views, _ := a.ListSchedules(ctx); views[0].Last != nil {
		t.Fatalf("RunScheduleNow recorded a slot: %+v", views[0].Last)
	}
	s.Template = "无此"
	if _, err := a.RunScheduleNow(ctx, s); model.ErrorOf(err).Field != "template" {
		t.Fatalf("RunScheduleNow with an unknown template: %v", err)
	}
	// The API view is for admins only.
	if _, err := a.SchedulesFor(ctx, model.Caller{Name: "erp", Roles: []string{"boss"}}); model.ErrorOf(err).Code != model.CodeForbidden {
		t.Fatalf("SchedulesFor a non-admin: %v", err)
	}
	if v, err := a.SchedulesFor(ctx, model.Caller{Name: "root", Roles: []string{"admin"}}); err != nil || len(v) != 1 {
		t.Fatalf("SchedulesFor an admin: %v %v", v, err)
	}
}
