package storage

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"botgate/model"
)

// The status filter returns the newest rows of that status only, and finds
// the rare statuses through their partial index instead of walking the
// outbox from the top (the log tab asks for them every second).
func TestMessages_StatusFilter(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	defer db.Close()
	ctx := context.Background()
	msgs := make([]model.NewMessage, 9)
	for i := range msgs {
		msgs[i] = model.NewMessage{Channel: "bot", TargetKind: "group", Target: "1", Content: "x"}
	}
	res, err := db.Enqueue(ctx, msgs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]int64{}
	var outs []Outcome
	for i, r := range res {
		st := []string{model.StatusDelivered, model.StatusFailed, model.StatusQueued}[i%3]
		want[st] = append([]int64{r.ID}, want[st]...) // newest first
		want[""] = append([]int64{r.ID}, want[""]...)
		if st != model.StatusQueued {
			outs = append(outs, Outcome{ID: r.ID, Status: st, NextAttemptAt: time.Now()})
		}
	}
	if err := db.RecordOutcomes(ctx, outs); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		status string
		index  string // "" for a walk of the table itself
	}{
		{"", ""},
		{model.StatusDelivered, ""},
		{model.StatusFailed, "outbox_failed"},
		{model.StatusQueued, "outbox_pending"},
		{model.StatusSending, "outbox_pending"},
		{"nonsense", ""},
	}
	for _, tt := range tests {
		t.Run("status="+tt.status, func(t *testing.T) {
			got, err := db.Messages(ctx, model.MessageFilter{Status: tt.status, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, m := range got {
				if tt.status != "" && m.Status != tt.status {
					t.Errorf("message %d has status %q", m.ID, m.Status)
				}
				ids = append(ids, m.ID)
			}
			w := want[tt.status]
			if len(w) > 2 {
				w = w[:2]
			}
			if !slices.Equal(ids, w) {
				t.Fatalf("ids %v, want %v", ids, w)
			}
			q, args := messagesQuery(model.MessageFilter{Status: tt.status, Limit: 2})
			plan := strings.Join(queryPlan(t, db, q, args...), "; ")
			if tt.index != "" && !strings.Contains(plan, "INDEX "+tt.index) {
				t.Fatalf("plan %q: want index %s", plan, tt.index)
			}
		})
	}
}

// StatusCounts counts the messages created since a time by status, as a
// GROUP BY over the whole table would, and never walks the outbox itself:
// on a day of millions of messages, grouping every row took seconds a
// poll. (INDEXED BY makes SQLite refuse any other plan; the plan check is
// for a statement that loses it.)
func TestStatusCounts_MatchesGroupByThroughIndexes(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	defer db.Close()
	ctx := context.Background()
	start := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	var outs []Outcome
	for i := range 40 {
		db.now = func() time.Time { return start.Add(time.Duration(i) * time.Hour) }
		res, err := db.Enqueue(ctx, []model.NewMessage{{Channel: "bot", TargetKind: "group", Target: "1", Content: "x"}})
		if err != nil {
			t.Fatal(err)
		}
		switch i % 5 {
		case 0, 1:
			outs = append(outs, Outcome{ID: res[0].ID, Status: model.StatusDelivered})
		case 2:
			outs = append(outs, Outcome{ID: res[0].ID, Status: model.StatusFailed, NextAttemptAt: db.now()})
		case 3:
			if _, err := db.w.ExecContext(ctx, `UPDATE outbox SET status = 'sending' WHERE id = ?`, res[0].ID); err != nil {
				t.Fatal(err)
			}
		} // 4: stays queued
	}
	if err := db.RecordOutcomes(ctx, outs); err != nil {
		t.Fatal(err)
	}
	for _, since := range []time.Time{start.Add(-time.Hour), start, start.Add(17 * time.Hour), start.Add(39 * time.Hour), start.Add(40 * time.Hour)} {
		got, err := db.StatusCounts(ctx, since)
		if err != nil {
			t.Fatal(err)
		}
		type statusCount struct {
			status string
			n      int
		}
		grouped, err := queryAll(ctx, db.r, `SELECT status, COUNT(*) FROM outbox WHERE created_at >= ? GROUP BY status`, func(s interface{ Scan(...any) error }) (statusCount, error) {
			var c statusCount
			return c, s.Scan(&c.status, &c.n)
		}, since.UnixMilli())
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{model.StatusQueued: 0, model.StatusSending: 0, model.StatusDelivered: 0, model.StatusFailed: 0}
		for _, c := range grouped {
			want[c.status] = c.n
		}
		if !maps.Equal(got, want) {
			t.Errorf("since %s: %v, want %v", since.Format(time.DateTime), got, want)
		}
	}
	for _, step := range queryPlan(t, db, statusCountsSQL, 0) {
		if strings.Contains(step, "outbox") && !strings.Contains(step, "INDEX") {
			t.Errorf("plan step %q reads the outbox without an index", step)
		}
	}
}
