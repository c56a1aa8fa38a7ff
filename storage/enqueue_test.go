package storage

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"botgate/model"
)

// A batch of plain messages, committed with multi-row INSERTs, gives each
// message the id of its own row, across chunk boundaries; a batch with an
// idempotency key still takes the row-by-row path, and both leave the
// rows queued for the dispatcher.
func TestEnqueue_BatchIDsAreTheirOwnRows(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	ctx := context.Background()
	for _, n := range []int{2, rowsPerInsert - 1, rowsPerInsert, rowsPerInsert + 1, 3*rowsPerInsert + 7} {
		msgs := make([]model.NewMessage, n)
		for i := range msgs {
			msgs[i] = model.NewMessage{Channel: "qq", TargetKind: "private", Target: fmt.Sprint(i % 7), Content: fmt.Sprintf("batch %d #%d", n, i), APIUser: "erp"}
		}
		if n == 2 {
			msgs[1].At = []model.Mention{{ID: "10001", Name: "张三"}}
		}
		res, err := db.Enqueue(ctx, msgs)
		if err != nil {
			t.Fatalf("batch of %d: %v", n, err)
		}
		for i, e := range res {
			m, err := db.Message(ctx, e.ID)
			if err != nil || m.Content != msgs[i].Content || m.Target != msgs[i].Target || m.Status != model.StatusQueued || m.APIUser != "erp" {
				t.Fatalf("batch of %d, message %d: id %d holds %+v (%v)", n, i, e.ID, m, err)
			}
			if len(msgs[i].At) > 0 && (len(m.At) != 1 || m.At[0].Name != "张三") {
				t.Fatalf("mentions lost: %+v", m.At)
			}
		}
	}
	res, err := db.Enqueue(ctx, []model.NewMessage{{Channel: "qq", TargetKind: "private", Target: "1", Content: "keyed", IdemKey: "k1"}, {Channel: "qq", TargetKind: "private", Target: "1", Content: "plain"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"keyed", "plain"} {
		if m, err := db.Message(ctx, res[i].ID); err != nil || m.Content != want {
			t.Fatalf("keyed batch, message %d: %+v (%v)", i, m, err)
		}
	}
}

// Each new row comes back from Enqueue as the dispatcher would read it
// (it hands the rows on instead of reading them back): the same fields,
// for a lone send, a plain batch, a batch with a key, mentions and
// attachments; a repeated key gives no row.
func TestEnqueue_RowIsWhatIsRead(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	ctx := context.Background()
	plain := func(i int) model.NewMessage {
		return model.NewMessage{Channel: "qq", TargetKind: "group", Target: fmt.Sprint(100 + i), Content: fmt.Sprint("m", i), APIUser: "erp"}
	}
	mentioned := plain(9)
	mentioned.At = []model.Mention{{ID: "10001", Name: "张三"}, {ID: model.MentionAll}}
	withFiles := plain(8)
	withFiles.IdemKey = "k"
	withFiles.Attachments = []model.Attachment{{Kind: "file", Name: "a.txt", Data: []byte("abc")}, {Kind: "image", Name: "b.png", URL: "http://127.0.0.1/b.png"}}
	for _, tt := range []struct {
		name string
		msgs []model.NewMessage
	}{
		{"lone plain send", []model.NewMessage{plain(1)}},
		{"lone send with mentions", []model.NewMessage{mentioned}},
		{"plain batch", []model.NewMessage{plain(2), mentioned, plain(3)}},
		{"batch with a key and attachments", []model.NewMessage{plain(4), withFiles}},
		{"the key again", []model.NewMessage{withFiles, plain(5)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := db.Enqueue(ctx, tt.msgs)
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range res {
				if e.Existing {
					if e.Row.ID != 0 {
						t.Fatalf("message %d repeats a key, yet has a row %+v", i, e.Row)
					}
					continue
				}
				read, err := db.Message(ctx, e.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := fmt.Sprintf("%+v", e.Row), fmt.Sprintf("%+v", read); got != want {
					t.Fatalf("message %d:\nEnqueue gave %s\nthe table has %s", i, got, want)
				}
			}
		})
	}
}

// NewestMessageID follows every way a row enters the outbox: a lone send, a
// batch, a batch with an idempotency key, a schedule's run. A repeated key
// gives back its first row's id, older than the newest, which stays.
func TestNewestMessageID_FollowsEveryInsert(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	ctx := context.Background()
	if got := db.NewestMessageID(); got != 0 {
		t.Fatalf("a new database: newest %d, want 0", got)
	}
	upsertSchedule(t, db, daily("日报"))
	msg := func(text, key string) model.NewMessage {
		return model.NewMessage{Channel: "qq", TargetKind: "private", Target: "1", Content: text, IdemKey: key}
	}
	var slot int
	for _, tt := range []struct {
		name  string
		msgs  []model.NewMessage
		sched bool
	}{
		{"a lone send", []model.NewMessage{msg("one", "")}, false},
		{"a batch", []model.NewMessage{msg("a", ""), msg("b", ""), msg("c", "")}, false},
		{"a batch with a key", []model.NewMessage{msg("keyed", "k1"), msg("plain", "")}, false},
		{"a schedule's run", []model.NewMessage{msg("日报 1", ""), msg("日报 2", "")}, true},
		{"the key again", []model.NewMessage{msg("keyed again", "k1")}, false},
	} {
		before := db.NewestMessageID()
		var ids []int64
		if tt.sched {
			slot++
			at := time.Date(2026, 3, slot, 1, 0, 0, 0, time.UTC)
			var err error
			if ids, err = db.CommitScheduleRun(ctx, model.ScheduleRun{Schedule: "日报", Slot: at, Outcome: model.RunSent, At: at}, tt.msgs); err != nil {
				t.Fatal(err)
			}
		} else {
			res, err := db.Enqueue(ctx, tt.msgs)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range res {
				ids = append(ids, e.ID)
			}
		}
		want := max(before, slices.Max(ids))
		var inTable int64
		if err := db.r.QueryRowContext(ctx, `SELECT max(id) FROM outbox`).Scan(&inTable); err != nil {
			t.Fatal(err)
		}
		if got := db.NewestMessageID(); got != want || got != inTable {
			t.Errorf("after %s (ids %v): newest %d, want %d (the table's highest %d)", tt.name, ids, got, want, inTable)
		}
	}
}

// HourlyCounts puts each row in the hour it was created in: an hour's
// first millisecond is its own, its last is still the hour's, rows before
// start are left out and rows after the last hour are counted in it.
func TestHourlyCounts_BucketsByCreationHour(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	defer db.Close()
	ctx := context.Background()
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, at := range []time.Duration{
		-time.Millisecond,               // before start: not counted
		0, time.Hour - time.Millisecond, // hour 0
		time.Hour,                    // hour 1
		23*time.Hour + 5*time.Minute, // the last hour
		25 * time.Hour,               // later than the last hour: in it
	} {
		db.now = func() time.Time { return start.Add(at) }
		if _, err := db.Enqueue(ctx, []model.NewMessage{{Channel: "log", TargetKind: "user", Target: "1", Content: "x"}}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.HourlyCounts(ctx, start, 24)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]int, 24)
	want[0], want[1], want[23] = 2, 1, 2
	if !slices.Equal(got, want) {
		t.Fatalf("HourlyCounts = %v, want %v", got, want)
	}
}
