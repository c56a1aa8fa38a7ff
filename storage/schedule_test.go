package storage

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"botgate/model"
)

func daily(name string) model.Schedule {
	return model.Schedule{Name: name, Cron: "0 9 * * *", Template: "销售", Args: []string{"昨天"}, Channel: "qq",
		Groups: []string{"123456"}, At: "all", Header: "昨日销售", SkipEmpty: true, CatchUp: time.Hour, Enabled: true}
}

func upsertSchedule(t *testing.T, db *DB, s model.Schedule) {
	t.Helper()
	if err := db.Update(context.Background(), func(tx *Tx) error { return tx.UpsertSchedule(s) }); err != nil {
		t.Fatal(err)
	}
}

func TestSchedules_UpsertListDelete_RecordGoesWithTheSchedule(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	defer db.Close()
	ctx := context.Background()
	rev0, _ := db.Revision(ctx)
	upsertSchedule(t, db, daily("日报"))
	if rev, _ := db.Revision(ctx); rev != rev0+1 {
		t.Fatalf("revision %d after a schedule write, want %d: a running server must reload", rev, rev0+1)
	}
	got, err := db.Schedules(ctx)
	if err != nil || len(got) != 1 {
		t.Fatalf("Schedules = %v, %v", got, err)
	}
	s := got[0]
	want := daily("日报")
	if s.Name != want.Name || s.Cron != want.Cron || s.Template != want.Template || !slices.Equal(s.Args, want.Args) ||
		!slices.Equal(s.Groups, want.Groups) || len(s.To) != 0 || s.At != "all" || s.Header != want.Header ||
		!s.SkipEmpty || s.CatchUp != time.Hour || !s.Enabled || s.Since.IsZero() {
		t.Fatalf("stored schedule %+v", s)
	}
	slot := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if _, err := db.CommitScheduleRun(ctx, model.ScheduleRun{Schedule: "日报", Slot: slot, Outcome: model.RunSent, At: slot}, nil); err != nil {
		t.Fatal(err)
	}
	if rev, _ := db.Revision(ctx); rev != rev0+1 {
		t.Fatalf("recording a slot bumped the config revision to %d: every process would reload each slot", rev)
	}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.DeleteSchedule("日报") }); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.r.QueryRow(`SELECT COUNT(*) FROM schedule_runs`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("schedule_runs rows after delete: %d %v (want the record gone with its schedule)", n, err)
	}
	// A new schedule of that name starts without the old one's record.
	upsertSchedule(t, db, daily("日报"))
	if runs, err := db.ScheduleRuns(ctx); err != nil || len(runs) != 0 {
		t.Fatalf("runs of a re-created schedule: %v %v", runs, err)
	}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.DeleteSchedule("无此") }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting an unknown schedule: %v", err)
	}
}

func TestUpsertSchedule_SinceMovesOnlyWhenTimingChangesOrEnabled(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	defer db.Close()
	ctx := context.Background()
	clock := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	db.now = func() time.Time { return clock }
	upsertSchedule(t, db, daily("日报"))
	since := func() time.Time {
		t.Helper()
		s, err := db.Schedules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return s[0].Since
	}
	created := since()
	if !created.Equal(clock) {
		t.Fatalf("since %v, want the creation time %v", created, clock)
	}
	tests := []struct {
		name  string
		edit  func(*model.Schedule)
		moves bool
	}{
		{"header", func(s *model.Schedule) { s.Header = "新表头" }, false},
		{"recipients", func(s *model.Schedule) { s.Groups = []string{"999"} }, false},
		{"cron", func(s *model.Schedule) { s.Cron = "30 8 * * *" }, true},
		{"tz", func(s *model.Schedule) { s.Cron, s.TZ = "30 8 * * *", "Asia/Tokyo" }, true},
		{"disable", func(s *model.Schedule) { s.Cron, s.TZ, s.Enabled = "30 8 * * *", "Asia/Tokyo", false }, false},
		{"enable", func(s *model.Schedule) { s.Cron, s.TZ = "30 8 * * *", "Asia/Tokyo" }, true},
	}
	for _, tt := range tests {
		before := since()
		clock = clock.Add(time.Hour)
		s := daily("日报")
		tt.edit(&s)
		upsertSchedule(t, db, s)
		after := since()
		if moved := !after.Equal(before); moved != tt.moves {
			t.Errorf("%s: since %v -> %v, moved=%v want %v", tt.name, before, after, moved, tt.moves)
		}
	}
}

func TestCommitScheduleRun_MessagesAndRecordTogether_OnceEachSlot(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	defer db.Close()
	ctx := context.Background()
	upsertSchedule(t, db, daily("日报"))
	slot := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	msgs := []model.NewMessage{
		{Channel: "qq", TargetKind: "group", Target: "123456", Content: "昨日销售\n42", APIUser: "定时推送:日报", At: []model.Mention{{ID: "all"}}},
		{Channel: "qq", TargetKind: "private", Target: "10001", Content: "昨日销售\n42", APIUser: "定时推送:日报"},
	}
	run := model.ScheduleRun{Schedule: "日报", Slot: slot, Outcome: model.RunSent, At: slot.Add(time.Second)}
	ids, err := db.CommitScheduleRun(ctx, run, msgs)
	if err != nil || len(ids) != 2 {
		t.Fatalf("commit: %v %v", ids, err)
	}
	m, err := db.Message(ctx, ids[0])
	if err != nil || m.Target != "123456" || m.Status != model.StatusQueued || len(m.At) != 1 || m.APIUser != "定时推送:日报" {
		t.Fatalf("queued message %+v %v", m, err)
	}
	runs, err := db.ScheduleRuns(ctx)
	r := runs["日报"]
	if err != nil || !r.Slot.Equal(slot) || r.Outcome != model.RunSent || !slices.Equal(r.MsgIDs, ids) || !r.At.Equal(run.At) {
		t.Fatalf("record %+v %v", r, err)
	}

	for _, tt := range []struct {
		name string
		slot time.Time
	}{{"same slot again", slot}, {"an older slot", slot.Add(-24 * time.Hour)}} {
		again := run
		again.Slot = tt.slot
		if _, err := db.CommitScheduleRun(ctx, again, msgs); !errors.Is(err, ErrSlotDone) {
			t.Errorf("%s: err %v, want ErrSlotDone", tt.name, err)
		}
	}
	if n := rowCount(t, db, "outbox"); n != 2 {
		t.Fatalf("%d outbox rows after the repeats, want 2", n)
	}
	next := run
	next.Slot, next.Outcome, next.Error = slot.Add(24*time.Hour), model.RunFailed, "模板出错"
	if _, err := db.CommitScheduleRun(ctx, next, nil); err != nil {
		t.Fatal(err)
	}
	runs, _ = db.ScheduleRuns(ctx)
	if r := runs["日报"]; r.Outcome != model.RunFailed || r.Error != "模板出错" || len(r.MsgIDs) != 0 {
		t.Fatalf("record after the next slot %+v", r)
	}
	if _, err := db.CommitScheduleRun(ctx, model.ScheduleRun{Schedule: "无此", Slot: slot}, msgs); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown schedule: %v", err)
	}
}

// A commit that fails after the rows were written (the process killed
// between render and commit) leaves neither the messages nor the record; the
// slot, tried again after the restart, is queued once.
func TestCommitScheduleRun_CommitFails_NeitherMessagesNorRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db := openTest(t, path)
	upsertSchedule(t, db, daily("日报"))
	slot := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	msgs := []model.NewMessage{{Channel: "qq", TargetKind: "group", Target: "123456", Content: "42"}}
	run := model.ScheduleRun{Schedule: "日报", Slot: slot, Outcome: model.RunSent, At: slot}
	ctx, cancel := context.WithCancel(context.Background())
	testHookBeforeRunCommit = cancel
	_, err := db.CommitScheduleRun(ctx, run, msgs)
	testHookBeforeRunCommit = nil
	if err == nil {
		t.Fatal("commit with the context cancelled before COMMIT succeeded")
	}
	db.Close()

	db = openTest(t, path) // the restart
	defer db.Close()
	if n := rowCount(t, db, "outbox"); n != 0 {
		t.Fatalf("%d outbox rows after the failed commit, want 0", n)
	}
	if runs, _ := db.ScheduleRuns(context.Background()); len(runs) != 0 {
		t.Fatalf("record after the failed commit: %v", runs)
	}
	if _, err := db.CommitScheduleRun(context.Background(), run, msgs); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CommitScheduleRun(context.Background(), run, msgs); !errors.Is(err, ErrSlotDone) {
		t.Fatalf("second try: %v", err)
	}
	if n := rowCount(t, db, "outbox"); n != 1 {
		t.Fatalf("%d outbox rows, want the slot once", n)
	}
}
