package schedule

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"botgate/model"
	"botgate/storage"
)

// testStore is the real state database, with two things a test sets: the
// time every schedule was created (Since; storage stamps the real clock),
// and, to play a crash, what a commit does.
type testStore struct {
	*storage.DB
	since  time.Time
	commit func(ctx context.Context, run model.ScheduleRun, msgs []model.NewMessage) ([]int64, error)
}

var _ Store = (*testStore)(nil)

func (s *testStore) Schedules(ctx context.Context) ([]model.Schedule, error) {
	list, err := s.DB.Schedules(ctx)
	for i := range list {
		list[i].Since = s.since
	}
	return list, err
}

func (s *testStore) CommitScheduleRun(ctx context.Context, run model.ScheduleRun, msgs []model.NewMessage) ([]int64, error) {
	if s.commit != nil {
		return s.commit(ctx, run, msgs)
	}
	return s.DB.CommitScheduleRun(ctx, run, msgs)
}

// fakeTemplate is what a keyword answers.
type fakeTemplate struct {
	t     model.Template
	res   *model.KeywordResult
	err   error
	block bool // wait for the context to end (a slow query at the stop)
}

// fakeBackend stands for app: templates answer what the test says, and
// sends are checked as a OneBot channel "qq" would (numbers only) and as
// a group robot "robot" (no recipient).
type fakeBackend struct {
	db        *storage.DB
	mu        sync.Mutex
	templates map[string]fakeTemplate
	admin     *Send
	wakes     int
}

var _ Backend = (*fakeBackend)(nil)

func (b *fakeBackend) RunTemplate(ctx context.Context, keyword string, vars model.Vars) (model.Template, *model.KeywordResult, error) {
	b.mu.Lock()
	ft, ok := b.templates[keyword]
	b.mu.Unlock()
	if !ok {
		return model.Template{}, nil, model.Errorf(model.CodeNoKeyword, "模板“%s”不存在或未启用", keyword)
	}
	if ft.block {
		<-ctx.Done()
		return model.Template{}, nil, ctx.Err()
	}
	return ft.t, ft.res, ft.err
}

func (b *fakeBackend) ReplyLimit(string) int { return 1500 }

func (b *fakeBackend) Prepare(apiUser string, s Send) (model.NewMessage, error) {
	if s.Channel == "" {
		s.Channel = "qq"
	}
	if s.To == "" && s.Channel != "robot" {
		return model.NewMessage{}, model.Errorf(model.CodeNoTarget, "缺少接收者")
	}
	if strings.Trim(s.To, "0123456789") != "" {
		return model.NewMessage{}, model.Errorf(model.CodeBadTarget, "接收者无效：QQ 号和群号只能是数字")
	}
	return model.NewMessage{Channel: s.Channel, TargetKind: s.Kind, Target: s.To, Content: s.Content, APIUser: apiUser, At: s.At}, nil
}

func (b *fakeBackend) AdminRecipient() (Send, bool) {
	if b.admin == nil {
		return Send{}, false
	}
	return *b.admin, true
}

func (b *fakeBackend) Queue(ctx context.Context, msgs []model.NewMessage) ([]int64, error) {
	es, err := b.db.Enqueue(ctx, msgs)
	ids := make([]int64, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	return ids, err
}

func (b *fakeBackend) Wake() { b.mu.Lock(); b.wakes++; b.mu.Unlock() }

// fakeClock is the scheduler's clock: Now is what the test sets, and each
// After is handed to the test, which fires it.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits chan fakeWait
}

type fakeWait struct {
	d time.Duration
	c chan time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.waits <- fakeWait{d: d, c: ch}
	return ch
}

type env struct {
	t     *testing.T
	path  string
	store *testStore
	be    *fakeBackend
	clock *fakeClock
	s     *Scheduler
}

// sales is the template every test runs: yesterday's sales per shop.
var sales = fakeTemplate{
	t:   model.Template{Keyword: "销售", Kind: model.KindQuery, Reply: "{{门店}}：{{金额}} 元", MaxRows: 50},
	res: &model.KeywordResult{Kind: model.KindQuery, Columns: []string{"门店", "金额"}, Rows: [][]any{{"一店", int64(1200)}, {"二店", int64(800)}}},
}

// newEnv opens a state database holding schedules, created at since.
func newEnv(t *testing.T, since time.Time, schedules ...model.Schedule) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "botgate.db"), clock: &fakeClock{now: since, waits: make(chan fakeWait)}}
	e.open(since)
	if err := e.store.Update(context.Background(), func(tx *storage.Tx) error {
		for _, s := range schedules {
			if err := tx.UpsertSchedule(s); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return e
}

// open opens (or, after close, reopens: a restart) the database and a new scheduler over it.
func (e *env) open(since time.Time) {
	e.t.Helper()
	db, err := storage.Open(context.Background(), e.path)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	e.store = &testStore{DB: db, since: since}
	e.be = &fakeBackend{db: db, templates: map[string]fakeTemplate{"销售": sales}}
	e.s = New(e.store, e.be, Config{Now: e.clock.Now, After: e.clock.After, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// restart closes the database and opens it again with a new scheduler, as a new process would.
func (e *env) restart() {
	e.t.Helper()
	since, templates, admin := e.store.since, e.be.templates, e.be.admin
	e.store.Close()
	e.open(since)
	e.be.templates, e.be.admin = templates, admin
}

// once runs the scheduler at now and returns the next time it asked for.
func (e *env) once(now time.Time) time.Time {
	e.t.Helper()
	e.clock.Set(now)
	return e.s.Once(context.Background())
}

func (e *env) messages() []model.Message {
	e.t.Helper()
	ms, err := e.store.Messages(context.Background(), model.MessageFilter{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	// oldest first
	for i, j := 0, len(ms)-1; i < j; i, j = i+1, j-1 {
		ms[i], ms[j] = ms[j], ms[i]
	}
	return ms
}

func (e *env) run(name string) model.ScheduleRun {
	e.t.Helper()
	runs, err := e.store.ScheduleRuns(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return runs[name]
}

func dailySales() model.Schedule {
	return model.Schedule{Name: "日报", Cron: "0 9 * * *", Template: "销售", Args: []string{"昨天"}, Channel: "qq",
		Groups: []string{"123456"}, Header: "{{日期}} 昨日销售", CatchUp: time.Hour, Enabled: true}
}

func TestOnce_DailyAt0900Shanghai_QueuedOnceAtTheSlot(t *testing.T) {
	e := newEnv(t, at(2026, 3, 1, 20, 0, 0), dailySales())
	// 08:59:59 Beijing time is 00:59:59 UTC: nothing yet, and the next
	// look is asked for at 09:00 Beijing time.
	next := e.once(at(2026, 3, 2, 8, 59, 59).UTC())
	if n := len(e.messages()); n != 0 {
		t.Fatalf("%d messages before 09:00", n)
	}
	if want := at(2026, 3, 2, 9, 0, 0); !next.Equal(want) {
		t.Fatalf("next = %v, want %v", next, want)
	}
	next = e.once(at(2026, 3, 2, 9, 0, 0).Add(300 * time.Millisecond))
	ms := e.messages()
	if len(ms) != 1 {
		t.Fatalf("%d messages at 09:00, want 1", len(ms))
	}
	m := ms[0]
	want := "2026-03-02 昨日销售\n查到 2 条：\n一店：1200 元\n二店：800 元"
	if m.Channel != "qq" || m.TargetKind != "group" || m.Target != "123456" || m.Content != want || m.APIUser != "定时推送:日报" {
		t.Fatalf("message %+v\nwant content %q", m, want)
	}
	r := e.run("日报")
	if !r.Slot.Equal(at(2026, 3, 2, 9, 0, 0)) || r.Outcome != model.RunSent || len(r.MsgIDs) != 1 || r.MsgIDs[0] != m.ID {
		t.Fatalf("record %+v", r)
	}
	if e.be.wakes != 1 {
		t.Errorf("dispatcher woken %d times, want 1", e.be.wakes)
	}
	if want := at(2026, 3, 3, 9, 0, 0); !next.Equal(want) {
		t.Fatalf("next after the slot = %v, want %v", next, want)
	}
	// Looking again in the same minute, or later that day, sends nothing more.
	for _, now := range []time.Time{at(2026, 3, 2, 9, 0, 30), at(2026, 3, 2, 9, 59, 0), at(2026, 3, 2, 23, 0, 0)} {
		e.once(now)
	}
	if n := len(e.messages()); n != 1 {
		t.Fatalf("%d messages after more looks the same day, want 1", n)
	}
	e.once(at(2026, 3, 3, 9, 0, 1))
	if ms := e.messages(); len(ms) != 2 || !strings.HasPrefix(ms[1].Content, "2026-03-03 ") {
		t.Fatalf("next day: %d messages", len(ms))
	}
}

func TestOnce_CreatedAfterTodaysSlot_NotSentUntilTomorrow(t *testing.T) {
	e := newEnv(t, at(2026, 3, 2, 9, 30, 0), dailySales())
	if next := e.once(at(2026, 3, 2, 9, 31, 0)); !next.Equal(at(2026, 3, 3, 9, 0, 0)) {
		t.Fatalf("next = %v", next)
	}
	if n := len(e.messages()); n != 0 {
		t.Fatalf("a schedule created at 09:30 sent today's 09:00 slot (%d messages)", n)
	}
}

func TestOnce_RecipientsAndMentions_OneMessageEachInOneSlot(t *testing.T) {
	s := dailySales()
	s.To, s.Groups, s.At = []string{"10001", "10002"}, []string{"123456"}, "all"
	e := newEnv(t, at(2026, 3, 1, 20, 0, 0), s)
	e.once(at(2026, 3, 2, 9, 0, 0))
	ms := e.messages()
	if len(ms) != 3 {
		t.Fatalf("%d messages, want 3", len(ms))
	}
	for i, want := range []struct{ kind, to string }{{"private", "10001"}, {"private", "10002"}, {"group", "123456"}} {
		if ms[i].TargetKind != want.kind || ms[i].Target != want.to {
			t.Errorf("message %d to %s %s, want %s %s", i, ms[i].TargetKind, ms[i].Target, want.kind, want.to)
		}
		if mentions := len(ms[i].At); (want.kind == "group") != (mentions == 1) {
			t.Errorf("message %d to %s has %d mentions", i, want.to, mentions)
		}
	}
	if r := e.run("日报"); len(r.MsgIDs) != 3 {
		t.Fatalf("record lists %v", r.MsgIDs)
	}
}

// The process dies between rendering the slot and committing it: nothing
// of the slot is on disk, and after the restart it is sent, once.
func TestRestart_KilledBeforeTheCommit_SlotSentOnceAfterRestart(t *testing.T) {
	e := newEnv(t, at(2026, 3, 1, 20, 0, 0), dailySales())
	rendered := 0
	e.store.commit = func(ctx context.Context, run model.ScheduleRun, msgs []model.NewMessage) ([]int64, error) {
		rendered = len(msgs)
		dead, cancel := context.WithCancel(ctx)
		cancel() // the process is gone before anything reaches the disk
		return e.store.DB.CommitScheduleRun(dead, run, msgs)
	}
	e.once(at(2026, 3, 2, 9, 0, 0))
	if rendered != 1 {
		t.Fatalf("rendered %d messages before the crash, want 1", rendered)
	}
	if n := len(e.messages()); n != 0 {
		t.Fatalf("%d messages on disk after the crash", n)
	}
	e.restart()
	e.once(at(2026, 3, 2, 9, 0, 5))
	e.once(at(2026, 3, 2, 9, 0, 10))
	if ms := e.messages(); len(ms) != 1 || !strings.HasPrefix(ms[0].Content, "2026-03-02 ") {
		t.Fatalf("after the restart: %d messages, want the 09:00 slot once", len(ms))
	}
}

// The commit reached the disk but the process died before it heard so:
// the restart finds the slot recorded and sends nothing again.
func TestRestart_KilledAfterTheCommit_SlotNotSentAgain(t *testing.T) {
	e := newEnv(t, at(2026, 3, 1, 20, 0, 0), dailySales())
	e.store.commit = func(ctx context.Context, run model.ScheduleRun, msgs []model.NewMessage) ([]int64, error) {
		if _, err := e.store.DB.CommitScheduleRun(ctx, run, msgs); err != nil {
			t.Fatal(err)
		}
		return nil, errors.New("process killed before the commit returned")
	}
	e.once(at(2026, 3, 2, 9, 0, 0))
	e.restart()
	e.once(at(2026, 3, 2, 9, 0, 5))
	if ms := e.messages(); len(ms) != 1 {
		t.Fatalf("%d messages, want 1", len(ms))
	}
}

// BotGate was stopped over the 09:00 slot and started again later.
func TestCatchUp_DowntimeShorterAndLongerThanCatchUp(t *testing.T) {
	tests := []struct {
		name     string
		catchUp  time.Duration
		start    time.Time
		outcome  string
		messages int
		reason   string
	}{
		{"back at 09:40, catch-up 1h: sent", time.Hour, at(2026, 3, 2, 9, 40, 0), model.RunSent, 1, ""},
		{"back at 09:59:59: still sent", time.Hour, at(2026, 3, 2, 9, 59, 59), model.RunSent, 1, ""},
		{"back at 10:00: skipped", time.Hour, at(2026, 3, 2, 10, 0, 0), model.RunSkipped, 0, "晚了 1 小时，超过补发时限 1 小时"},
		{"back at 10:30: skipped", time.Hour, at(2026, 3, 2, 10, 30, 0), model.RunSkipped, 0, "错过了 2026-03-02 星期一 09:00 的推送"},
		{"back at 10:30, catch-up 2h: sent", 2 * time.Hour, at(2026, 3, 2, 10, 30, 0), model.RunSent, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := dailySales()
			s.CatchUp = tt.catchUp
			e := newEnv(t, at(2026, 3, 1, 8, 0, 0), s)
			e.once(at(2026, 3, 1, 9, 0, 0)) // yesterday's slot, sent on time
			e.restart()                     // stopped until tt.start
			e.once(tt.start)
			e.once(tt.start.Add(time.Minute))
			if n := len(e.messages()) - 1; n != tt.messages {
				t.Fatalf("%d messages for today's slot, want %d", n, tt.messages)
			}
			r := e.run("日报")
			if !r.Slot.Equal(at(2026, 3, 2, 9, 0, 0)) || r.Outcome != tt.outcome || !strings.Contains(r.Error, tt.reason) {
				t.Fatalf("record %+v, want outcome %s and %q", r, tt.outcome, tt.reason)
			}
			// Either way tomorrow's slot is on time.
			e.once(at(2026, 3, 3, 9, 0, 0))
			if n := len(e.messages()) - 1; n != tt.messages+1 {
				t.Fatalf("tomorrow: %d messages", n)
			}
		})
	}
}

func TestCatchUp_SeveralSlotsMissed_OnlyTheLatestSent(t *testing.T) {
	s := dailySales()
	s.Cron, s.Header = "*/15 * * * *", "{{时间}} 销售"
	e := newEnv(t, at(2026, 3, 2, 8, 50, 0), s)
	e.once(at(2026, 3, 2, 9, 50, 0)) // 09:00, 09:15, 09:30 and 09:45 were missed
	ms := e.messages()
	if len(ms) != 1 || !strings.HasPrefix(ms[0].Content, "09:45 销售") {
		t.Fatalf("messages %v, want only the 09:45 slot", ms)
	}
}

func TestTemplateFails_FailureRecordedAndAdminTold(t *testing.T) {
	broken := fakeTemplate{err: &model.Error{Code: model.CodeQueryFailed, Msg: "模板“销售”执行出错，请管理员在“交互查询”中试运行该模板查看原因"}}
	for _, admin := range []*Send{nil, {Channel: "qq", Target: Target{Kind: "private", To: "350310976"}}} {
		t.Run("admin set="+map[bool]string{true: "yes", false: "no"}[admin != nil], func(t *testing.T) {
			e := newEnv(t, at(2026, 3, 1, 20, 0, 0), dailySales())
			e.be.templates["销售"] = broken
			e.be.admin = admin
			e.once(at(2026, 3, 2, 9, 0, 0))
			r := e.run("日报")
			if r.Outcome != model.RunFailed || !strings.Contains(r.Error, "执行出错") {
				t.Fatalf("record %+v", r)
			}
			ms := e.messages()
			if admin == nil {
				if len(ms) != 0 {
					t.Fatalf("%d messages with no admin recipient", len(ms))
				}
				return
			}
			if len(ms) != 1 || ms[0].Target != "350310976" || ms[0].TargetKind != "private" ||
				!strings.Contains(ms[0].Content, "定时推送“日报”（2026-03-02 星期一 09:00）失败：模板“销售”执行出错") {
				t.Fatalf("admin note %+v", ms)
			}
			if len(r.MsgIDs) != 1 || r.MsgIDs[0] != ms[0].ID {
				t.Fatalf("record does not list the note: %v", r.MsgIDs)
			}
			// A failed slot is not retried: the next look sends nothing more.
			e.once(at(2026, 3, 2, 9, 5, 0))
			if n := len(e.messages()); n != 1 {
				t.Fatalf("%d messages after another look", n)
			}
		})
	}
}

func TestBadRecipient_SlotFailsWholeWithTheReason(t *testing.T) {
	s := dailySales()
	s.Groups = []string{"123456", "群abc"}
	e := newEnv(t, at(2026, 3, 1, 20, 0, 0), s)
	e.once(at(2026, 3, 2, 9, 0, 0))
	if n := len(e.messages()); n != 0 {
		t.Fatalf("%d messages: a slot is sent to all its recipients or none", n)
	}
	if r := e.run("日报"); r.Outcome != model.RunFailed || !strings.Contains(r.Error, "发送给 群abc 失败：接收者无效") {
		t.Fatalf("record %+v", r)
	}
}

func TestNoRows_SkipEmptyOrSayNoResult(t *testing.T) {
	empty := sales
	empty.res = &model.KeywordResult{Kind: model.KindQuery, Columns: []string{"门店", "金额"}}
	for _, skip := range []bool{true, false} {
		s := dailySales()
		s.SkipEmpty = skip
		e := newEnv(t, at(2026, 3, 1, 20, 0, 0), s)
		e.be.templates["销售"] = empty
		e.once(at(2026, 3, 2, 9, 0, 0))
		ms, r := e.messages(), e.run("日报")
		if skip {
			if len(ms) != 0 || r.Outcome != model.RunEmpty {
				t.Fatalf("skip_empty: %d messages, record %+v", len(ms), r)
			}
			continue
		}
		if len(ms) != 1 || ms[0].Content != "2026-03-02 昨日销售\n没有查到结果" || r.Outcome != model.RunSent {
			t.Fatalf("without skip_empty: %v, record %+v", ms, r)
		}
	}
}

func TestDisabled_NeverRuns(t *testing.T) {
	s := dailySales()
	s.Enabled = false
	e := newEnv(t, at(2026, 3, 1, 20, 0, 0), s)
	if next := e.once(at(2026, 3, 2, 9, 0, 0)); !next.IsZero() {
		t.Fatalf("next %v for a disabled schedule only", next)
	}
	if n := len(e.messages()); n != 0 {
		t.Fatalf("%d messages", n)
	}
}

// A stop while the template runs records nothing: the slot is still owed
// and sent by the next start.
func TestStopDuringTheQuery_SlotStaysOwed(t *testing.T) {
	e := newEnv(t, at(2026, 3, 1, 20, 0, 0), dailySales())
	slow := sales
	slow.block = true
	e.be.templates["销售"] = slow
	ctx, cancel := context.WithCancel(context.Background())
	e.clock.Set(at(2026, 3, 2, 9, 0, 0))
	done := make(chan struct{})
	go func() { e.s.Once(ctx); close(done) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	<-done
	if r := e.run("日报"); !r.Slot.IsZero() {
		t.Fatalf("a stopped slot was recorded: %+v", r)
	}
	e.restart()
	e.be.templates["销售"] = sales
	e.once(at(2026, 3, 2, 9, 1, 0))
	if n := len(e.messages()); n != 1 {
		t.Fatalf("%d messages after the restart, want 1", n)
	}
}

// Run sleeps until the next slot (never longer than MaxWait) and looks
// again at once when kicked.
func TestRun_SleepsUntilTheSlotAndWakesOnKick(t *testing.T) {
	e := newEnv(t, at(2026, 3, 1, 20, 0, 0), dailySales())
	e.clock.Set(at(2026, 3, 2, 8, 59, 30))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	w := <-e.clock.waits
	if w.d != 30*time.Second {
		t.Fatalf("first sleep %v, want 30s (until 09:00)", w.d)
	}
	e.clock.Set(at(2026, 3, 2, 9, 0, 0))
	w.c <- e.clock.Now()
	w = <-e.clock.waits // the look at 09:00 is done
	if n := len(e.messages()); n != 1 {
		t.Fatalf("%d messages at 09:00", n)
	}
	if w.d != time.Minute {
		t.Fatalf("sleep after the slot %v, want the 1 min cap", w.d)
	}
	// A schedule added meanwhile (the configuration changed): Kick looks now.
	s := dailySales()
	s.Name, s.Cron = "午报", "0 9 * * *" // due at once: created before 09:00, slot 09:00 not sent yet
	if err := e.store.Update(context.Background(), func(tx *storage.Tx) error { return tx.UpsertSchedule(s) }); err != nil {
		t.Fatal(err)
	}
	e.s.Kick()
	<-e.clock.waits
	if n := len(e.messages()); n != 2 {
		t.Fatalf("%d messages after the kick, want the new schedule's too", n)
	}
}

func TestRunNow_SendsWithoutTouchingTheSlotRecord(t *testing.T) {
	e := newEnv(t, at(2026, 3, 1, 20, 0, 0), dailySales())
	e.once(at(2026, 3, 2, 9, 0, 0))
	before := e.run("日报")
	e.clock.Set(at(2026, 3, 2, 15, 4, 0))
	run, err := e.s.RunNow(context.Background(), dailySales())
	if err != nil || run.Outcome != model.RunSent || len(run.MsgIDs) != 1 {
		t.Fatalf("RunNow = %+v, %v", run, err)
	}
	if after := e.run("日报"); !after.Slot.Equal(before.Slot) || after.MsgIDs[0] != before.MsgIDs[0] {
		t.Fatalf("record changed by RunNow: %+v -> %+v", before, after)
	}
	if ms := e.messages(); len(ms) != 2 || ms[1].ID != run.MsgIDs[0] {
		t.Fatalf("messages %v", ms)
	}
	// Tomorrow's slot still comes.
	e.once(at(2026, 3, 3, 9, 0, 0))
	if n := len(e.messages()); n != 3 {
		t.Fatalf("%d messages after tomorrow's slot", n)
	}
	// A failure is returned to the one who clicked, not recorded.
	e.be.templates["销售"] = fakeTemplate{err: model.Errorf(model.CodeQueryFailed, "模板“销售”执行出错")}
	if _, err := e.s.RunNow(context.Background(), dailySales()); err == nil || !strings.Contains(err.Error(), "执行出错") {
		t.Fatalf("RunNow with a broken template: %v", err)
	}
	if r := e.run("日报"); r.Outcome != model.RunSent {
		t.Fatalf("record after a failed RunNow: %+v", r)
	}
}
