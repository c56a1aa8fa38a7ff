package storage

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"botgate/model"
)

func openInboundDB(tb testing.TB) *DB {
	tb.Helper()
	db, err := Open(context.Background(), filepath.Join(tb.TempDir(), "state.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestInbound_InsertFilterPrune(t *testing.T) {
	db := openInboundDB(t)
	ctx := context.Background()
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.Local)
	rows := []model.Inbound{
		{At: now.Add(-48 * time.Hour), Channel: "qq", Sender: "1", Keyword: "账号", Text: "账号", Outcome: "answered", Via: "quick", Rows: 2},
		{At: now.Add(-time.Hour), Channel: "qq", Sender: "2", SenderName: "小明", Group: "9", Keyword: "密码", Text: "密码", Outcome: "refused", Detail: "无权限"},
		{At: now, Channel: "webqq", Sender: "1", Keyword: "慢", Text: "慢 100%_x", Outcome: "answered", Via: "outbox", MsgID: 7},
	}
	for _, r := range rows {
		if _, err := db.InsertInbound(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		f    model.InboundFilter
		want []string // keywords, newest first
	}{
		{"everything newest first", model.InboundFilter{}, []string{"慢", "密码", "账号"}},
		{"by channel", model.InboundFilter{Channel: "qq"}, []string{"密码", "账号"}},
		{"by sender", model.InboundFilter{Sender: "1"}, []string{"慢", "账号"}},
		{"by outcome", model.InboundFilter{Outcome: "refused"}, []string{"密码"}},
		{"since", model.InboundFilter{Since: now.Add(-2 * time.Hour)}, []string{"慢", "密码"}},
		{"contains matches sender name", model.InboundFilter{Contains: "小明"}, []string{"密码"}},
		{"contains treats % and _ literally", model.InboundFilter{Contains: "0%_"}, []string{"慢"}},
		{"limit", model.InboundFilter{Limit: 1}, []string{"慢"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.InboundLogs(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var kws []string
			for _, g := range got {
				kws = append(kws, g.Keyword)
			}
			if strings.Join(kws, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("got %v, want %v", kws, tt.want)
			}
		})
	}
	all, _ := db.InboundLogs(ctx, model.InboundFilter{})
	if all[0].MsgID != 7 || all[0].Via != "outbox" || all[1].MsgID != 0 || all[1].Group != "9" || all[2].Rows != 2 || !all[2].At.Equal(rows[0].At) {
		t.Fatalf("fields not kept: %+v", all)
	}
	n, err := db.PruneInbound(ctx, now.Add(-24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("prune removed %d rows (%v), want 1", n, err)
	}
	if left, _ := db.InboundLogs(ctx, model.InboundFilter{}); len(left) != 2 {
		t.Fatalf("%d rows left, want 2", len(left))
	}
}

func TestInbound_LongTextIsCapped(t *testing.T) {
	db := openInboundDB(t)
	ctx := context.Background()
	if _, err := db.InsertInbound(ctx, model.Inbound{At: time.Now(), Channel: "qq", Sender: "1", Keyword: "账号", Text: strings.Repeat("长", 5000), Outcome: "answered"}); err != nil {
		t.Fatal(err)
	}
	got, _ := db.InboundLogs(ctx, model.InboundFilter{})
	if n := utf8.RuneCountInString(got[0].Text); n != maxInboundText || !strings.HasSuffix(got[0].Text, "…") {
		t.Fatalf("stored %d characters", n)
	}
}
