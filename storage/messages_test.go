package storage

import (
	"context"
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
