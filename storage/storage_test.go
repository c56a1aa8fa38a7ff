package storage

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"botgate/model"
)

func openTest(tb testing.TB, path string) *DB {
	tb.Helper()
	db, err := Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

// rowCount counts the rows of table (a constant of the test).
func rowCount(t *testing.T, db *DB, table string) int {
	t.Helper()
	var n int
	if err := db.r.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOpen_MigratesOnceAndReopens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "state.db")
	db := openTest(t, path)
	if err := db.Update(context.Background(), func(tx *Tx) error { return tx.SetSetting("listen", "127.0.0.1:7789") }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openTest(t, path)
	defer db.Close()
	var n int
	if err := db.r.QueryRow(`SELECT COUNT(*) FROM migrations`).Scan(&n); err != nil || n < 1 {
		t.Fatalf("migrations rows %d, %v", n, err)
	}
	files, _ := migrationFS.ReadDir("migrations")
	if n != len(files) {
		t.Fatalf("%d migrations recorded, %d files", n, len(files))
	}
	m, err := db.Settings(context.Background())
	if err != nil || m["listen"] != "127.0.0.1:7789" {
		t.Fatalf("settings after reopen: %v %v", m, err)
	}
	var mode string
	if err := db.w.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q %v", mode, err)
	}
}

func TestOpenExisting_MissingDatabase_CreatesNothing(t *testing.T) {
	tests := []struct {
		name      string
		dirExists bool
	}{{"missing folder", false}, {"empty folder", true}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "sub")
			if tc.dirExists {
				if err := os.Mkdir(dir, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(dir, "state.db")
			for what, err := range map[string]error{"CheckExists": CheckExists(path), "OpenExisting": openErr(OpenExisting(context.Background(), path))} {
				var missing *MissingError
				if !errors.As(err, &missing) || missing.Path != path || err.Error() != "数据库不存在："+path {
					t.Errorf("%s: %v, want a *MissingError for %s", what, err, path)
				}
			}
			entries, err := os.ReadDir(dir)
			if tc.dirExists && (err != nil || len(entries) > 0) || !tc.dirExists && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("after OpenExisting: entries %v, err %v", entries, err)
			}
		})
	}
}

func TestOpenExisting_ExistingDatabase_Opens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db := openTest(t, path)
	if err := db.Update(context.Background(), func(tx *Tx) error { return tx.SetSetting("listen", "127.0.0.1:7790") }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := CheckExists(path); err != nil {
		t.Fatalf("CheckExists: %v", err)
	}
	db, err := OpenExisting(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if m, err := db.Settings(context.Background()); err != nil || m["listen"] != "127.0.0.1:7790" {
		t.Fatalf("settings %v %v", m, err)
	}
}

// openErr is the error of an open, closing the database if it opened.
func openErr(db *DB, err error) error {
	if db != nil {
		db.Close()
	}
	return err
}

func TestUpdate_BumpsRevisionAndRollsBackOnError(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	defer db.Close()
	ctx := context.Background()
	r0, _ := db.Revision(ctx)
	if err := db.Update(ctx, func(tx *Tx) error {
		return tx.UpsertChannel(model.Channel{Name: "qq", Type: "log", Config: map[string]string{}, Enabled: true})
	}); err != nil {
		t.Fatal(err)
	}
	r1, _ := db.Revision(ctx)
	if r1 != r0+1 {
		t.Fatalf("revision %d -> %d", r0, r1)
	}
	boom := errors.New("boom")
	err := db.Update(ctx, func(tx *Tx) error {
		if err := tx.UpsertChannel(model.Channel{Name: "wx", Type: "log", Config: map[string]string{}, Enabled: true}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	chans, _ := db.Channels(ctx)
	r2, _ := db.Revision(ctx)
	if len(chans) != 1 || r2 != r1 {
		t.Fatalf("failed update left %d channels, revision %d", len(chans), r2)
	}
}

func TestOutbox_EnqueueAndOutcomes(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	defer db.Close()
	ctx := context.Background()
	res, err := db.Enqueue(ctx, []model.NewMessage{{Channel: "qq", TargetKind: "private", Target: "1", Content: "a"}, {Channel: "qq", TargetKind: "group", Target: "2", Content: "b"}})
	if err != nil || len(res) != 2 || res[1].ID != res[0].ID+1 {
		t.Fatalf("enqueue %v %v", res, err)
	}
	pend, _ := db.PendingMessages(ctx, 0, 10)
	if len(pend) != 2 || pend[0].Status != model.StatusQueued {
		t.Fatalf("pending %+v", pend)
	}
	next := time.Now().Add(time.Minute)
	if err := db.RecordOutcomes(ctx, []Outcome{{ID: res[0].ID, Status: model.StatusDelivered}, {ID: res[1].ID, Status: model.StatusQueued, LastError: "超时", NextAttemptAt: next}}); err != nil {
		t.Fatal(err)
	}
	a, _ := db.Message(ctx, res[0].ID)
	b, _ := db.Message(ctx, res[1].ID)
	if a.Status != model.StatusDelivered || a.DeliveredAt.IsZero() || a.Attempts != 1 {
		t.Fatalf("delivered row %+v", a)
	}
	if b.Status != model.StatusQueued || b.LastError != "超时" || b.Attempts != 1 || b.NextAttemptAt.UnixMilli() != next.UnixMilli() {
		t.Fatalf("retry row %+v", b)
	}
	if _, err := db.Message(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing id: %v", err)
	}
	if err := db.RetryMessage(ctx, res[1].ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("retry of a queued message must be refused: %v", err)
	}
}

// A delivery to part of a list stores the refused ids and why; a plain
// delivery after retries keeps the last retry's error and stores none.
func TestOutbox_PartialDelivery_InvalidStored(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	defer db.Close()
	ctx := context.Background()
	res, err := db.Enqueue(ctx, []model.NewMessage{{Channel: "d", TargetKind: "private", Target: "u1|x|y", Content: "a"}, {Channel: "d", TargetKind: "private", Target: "u2", Content: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.RecordOutcomes(ctx, []Outcome{{ID: res[0].ID, Status: model.StatusDelivered, LastError: "不存在（未送达：x、y）", Invalid: []string{"x", "y"}},
		{ID: res[1].ID, Status: model.StatusQueued, LastError: "超时"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordOutcomes(ctx, []Outcome{{ID: res[1].ID, Status: model.StatusDelivered}}); err != nil {
		t.Fatal(err)
	}
	a, _ := db.Message(ctx, res[0].ID)
	b, _ := db.Message(ctx, res[1].ID)
	if a.Status != model.StatusDelivered || !slices.Equal(a.Invalid, []string{"x", "y"}) || a.LastError != "不存在（未送达：x、y）" {
		t.Fatalf("partly delivered row %+v", a)
	}
	if b.Invalid != nil || b.LastError != "超时" {
		t.Fatalf("delivered after a retry %+v: keeps the retry's error, no invalid", b)
	}
}

func TestRequestLog_InsertListPrune(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	defer db.Close()
	ctx := context.Background()
	old := time.Now().AddDate(0, 0, -40)
	if err := db.InsertRequestLogs(ctx, []model.RequestLog{{At: old, Remote: "127.0.0.1", Method: "GET", Path: "/?user=a"}, {At: time.Now(), Remote: "127.0.0.1", Method: "GET", Path: "/?user=b_1", Keyword: "账号"}}); err != nil {
		t.Fatal(err)
	}
	got, _ := db.RequestLogs(ctx, "b_1", 10)
	if len(got) != 1 || got[0].Keyword != "账号" {
		t.Fatalf("filter: %+v", got)
	}
	if n, err := db.PruneRequestLog(ctx, time.Now().AddDate(0, 0, -30)); err != nil || n != 1 {
		t.Fatalf("pruned %d, %v", n, err)
	}
}

// DueNow brings forward the queued messages of one channel only; delivered,
// failed and other channels' messages keep their times.
func TestOutbox_DueNow_OneChannelsQueuedMessages(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	defer db.Close()
	ctx := context.Background()
	res, err := db.Enqueue(ctx, []model.NewMessage{
		{Channel: "qq", TargetKind: "private", Target: "1", Content: "waiting"},
		{Channel: "qq", TargetKind: "private", Target: "1", Content: "delivered"},
		{Channel: "qq", TargetKind: "private", Target: "1", Content: "failed"},
		{Channel: "wx", TargetKind: "private", Target: "1", Content: "other channel"},
	})
	if err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	// Message 1 is delivered after a retry: a delivery leaves the retry's
	// time in the row.
	if err := db.RecordOutcomes(ctx, []Outcome{{ID: res[1].ID, Status: model.StatusQueued, NextAttemptAt: later}}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordOutcomes(ctx, []Outcome{
		{ID: res[0].ID, Status: model.StatusQueued, LastError: "尚未连接", NextAttemptAt: later},
		{ID: res[1].ID, Status: model.StatusDelivered},
		{ID: res[2].ID, Status: model.StatusFailed, NextAttemptAt: later},
		{ID: res[3].ID, Status: model.StatusQueued, NextAttemptAt: later},
	}); err != nil {
		t.Fatal(err)
	}
	before, _ := db.Message(ctx, res[0].ID)
	n, err := db.DueNow(ctx, "qq")
	if err != nil || n != 1 {
		t.Fatalf("moved %d, %v; want 1", n, err)
	}
	for i, wantLater := range []bool{false, true, true, true} {
		m, _ := db.Message(ctx, res[i].ID)
		if got := m.NextAttemptAt.After(time.Now().Add(30 * time.Minute)); got != wantLater {
			t.Errorf("message %d (%s): next attempt %v", i, m.Content, m.NextAttemptAt)
		}
		if i == 0 && (!m.CreatedAt.Equal(before.CreatedAt) || m.Attempts != before.Attempts) {
			t.Errorf("DueNow changed more than the next attempt: %+v, was %+v", m, before)
		}
	}
}

// A round's plain deliveries are marked by multi-row UPDATEs, in chunks of
// rowsPerInsert: every row of a batch that crosses chunks gets its own
// outcome, whatever else the batch holds, and rows outside it stay queued.
func TestRecordOutcomes_ManyPlainDeliveriesAmongOthers(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	defer db.Close()
	ctx := context.Background()
	const n = 2*rowsPerInsert + 12
	msgs := make([]model.NewMessage, n+1)
	for i := range msgs {
		msgs[i] = model.NewMessage{Channel: "qq", TargetKind: "private", Target: strconv.Itoa(i), Content: "m"}
	}
	res, err := db.Enqueue(ctx, msgs)
	if err != nil {
		t.Fatal(err)
	}
	// An earlier failed attempt on row 5: its delivery keeps that error.
	if err := db.RecordOutcomes(ctx, []Outcome{{ID: res[5].ID, Status: model.StatusQueued, LastError: "超时", NextAttemptAt: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	retry := time.Now().Add(time.Hour)
	special := map[int]Outcome{
		7:  {Status: model.StatusQueued, LastError: "平台没有响应", NextAttemptAt: retry},
		70: {Status: model.StatusFailed, LastError: "接收人不存在"},
		99: {Status: model.StatusDelivered, LastError: "不存在（未送达：x）", Invalid: []string{"x"}},
	}
	var outs []Outcome
	for i := 0; i < n; i++ { // row n is left out of the round
		o, ok := special[i]
		if !ok {
			o = Outcome{Status: model.StatusDelivered}
		}
		o.ID = res[i].ID
		outs = append(outs, o)
	}
	if err := db.RecordOutcomes(ctx, outs); err != nil {
		t.Fatal(err)
	}
	for i := 0; i <= n; i++ {
		m, err := db.Message(ctx, res[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		o, isSpecial := special[i]
		switch {
		case i == n:
			if m.Status != model.StatusQueued || m.Attempts != 0 {
				t.Errorf("row outside the round: %+v", m)
			}
		case isSpecial && o.Status == model.StatusQueued:
			if m.Status != model.StatusQueued || m.LastError != o.LastError || m.NextAttemptAt.UnixMilli() != retry.UnixMilli() || m.Attempts != 1 {
				t.Errorf("retried row %d: %+v", i, m)
			}
		case isSpecial && o.Status == model.StatusFailed:
			if m.Status != model.StatusFailed || m.LastError != o.LastError || !m.DeliveredAt.IsZero() {
				t.Errorf("failed row %d: %+v", i, m)
			}
		case isSpecial:
			if m.Status != model.StatusDelivered || !slices.Equal(m.Invalid, []string{"x"}) || m.LastError != o.LastError || m.DeliveredAt.IsZero() {
				t.Errorf("partly delivered row %d: %+v", i, m)
			}
		default:
			want := ""
			attempts := 1
			if i == 5 {
				want, attempts = "超时", 2
			}
			if m.Status != model.StatusDelivered || m.DeliveredAt.IsZero() || m.Invalid != nil || m.Attempts != attempts || m.LastError != want {
				t.Errorf("delivered row %d: %+v", i, m)
			}
		}
	}
	pend, err := db.PendingMessages(ctx, 0, 10)
	if err != nil || len(pend) != 2 || pend[0].ID != res[7].ID || pend[1].ID != res[n].ID {
		t.Fatalf("pending after the round: %+v, %v; want rows 7 and %d", pend, err, n)
	}
}
