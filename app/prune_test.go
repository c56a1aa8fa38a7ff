package app

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"botgate/app/config"
	"botgate/model"
	"botgate/storage"
)

// The hourly pruning removes what is older than 日志保留天数: request log,
// chat log, and finished messages; a message still owed a delivery stays
// whatever its age, and recent rows stay.
func TestPrune_RetentionAppliesToLogsAndFinishedMessagesOnly(t *testing.T) {
	ctx := context.Background()
	a := openServeApp(t, filepath.Join(t.TempDir(), "botgate.db"), "")
	days := 7
	if _, err := a.Import(ctx, config.File{Settings: &config.SettingsPatch{LogRetentionDays: &days}}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	old, recent := now.AddDate(0, 0, -8), now.AddDate(0, 0, -6)
	if err := a.db.InsertRequestLogs(ctx, []model.RequestLog{{At: old, Path: "/old"}, {At: recent, Path: "/recent"}}); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{old, recent} {
		if _, err := a.db.InsertInbound(ctx, model.Inbound{At: at, Channel: "qq", Sender: "1", Text: "账号"}); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := a.db.Enqueue(ctx, []model.NewMessage{
		{Channel: "qq", TargetKind: "private", Target: "1", Content: "delivered"},
		{Channel: "qq", TargetKind: "private", Target: "2", Content: "failed"},
		{Channel: "qq", TargetKind: "private", Target: "3", Content: "still queued"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.db.RecordOutcomes(ctx, []storage.Outcome{{ID: msgs[0].ID, Status: model.StatusDelivered}, {ID: msgs[1].ID, Status: model.StatusFailed, LastError: "x"}}); err != nil {
		t.Fatal(err)
	}

	a.pruneOnce(ctx)
	reqs, _ := a.db.RequestLogs(ctx, "", 10)
	if len(reqs) != 1 || reqs[0].Path != "/recent" {
		t.Errorf("request log after pruning: %+v", reqs)
	}
	ins, _ := a.db.InboundLogs(ctx, model.InboundFilter{Limit: 10})
	if len(ins) != 1 || ins[0].At.UnixMilli() != recent.UnixMilli() {
		t.Errorf("chat log after pruning: %+v", ins)
	}
	checkKept := func(when string, want ...bool) {
		t.Helper()
		for i, w := range want {
			_, err := a.db.Message(ctx, msgs[i].ID)
			if kept := err == nil; kept != w {
				t.Errorf("%s: message %d kept=%v, want %v (err %v)", when, i, kept, w, err)
			}
		}
	}
	checkKept("today", true, true, true)

	// Eight days on, the messages queued today are past the retention.
	a.opts.Now = func() time.Time { return now.AddDate(0, 0, 8) }
	a.pruneOnce(ctx)
	checkKept("eight days on", false, false, true)
}
