package storage

import (
	"botgate/model"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// A message's mentions and attachments come back as they were queued: the
// row's summary (no bytes) in status views, the bytes from Attachments; a
// URL attachment keeps no bytes; an idempotent repeat adds no second copy;
// a lone plain message (the single-INSERT path) keeps its mentions.
func TestEnqueue_MentionsAndAttachments_StoredWithRow(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	defer db.Close()
	ctx := context.Background()
	png := []byte("\x89PNG\r\n\x1a\nfake image bytes")
	pdf := []byte("%PDF-1.4 invoice")
	at := []model.Mention{{ID: "13800001111", Name: "张三"}, {ID: model.MentionAll}}
	withFiles := model.NewMessage{Channel: "bot", TargetKind: "group", Content: "请审批", APIUser: "erp", IdemKey: "k1", At: at,
		Attachments: []model.Attachment{
			{Kind: model.AttachImage, Name: "chart.png", Data: png},
			{Kind: model.AttachFile, Name: "发票.pdf", Data: pdf},
			{Kind: model.AttachImage, Name: "photo.jpg", URL: "https://example.com/photo.jpg"},
		}}
	res, err := db.Enqueue(ctx, []model.NewMessage{{Channel: "bot", TargetKind: "group", Content: "plain"}, withFiles})
	if err != nil {
		t.Fatal(err)
	}
	lone, err := db.Enqueue(ctx, []model.NewMessage{{Channel: "bot", TargetKind: "group", Content: "@you", At: at[:1]}})
	if err != nil {
		t.Fatal(err)
	}
	again, err := db.Enqueue(ctx, []model.NewMessage{withFiles})
	if err != nil || !again[0].Existing || again[0].ID != res[1].ID {
		t.Fatalf("idempotent repeat: %+v %v, want existing %d", again, err, res[1].ID)
	}

	m, err := db.Message(ctx, res[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.At, at) {
		t.Errorf("At = %+v, want %+v", m.At, at)
	}
	wantInfo := []model.AttachmentInfo{
		{Kind: "image", Name: "chart.png", Size: len(png), SHA256: sum(png)},
		{Kind: "file", Name: "发票.pdf", Size: len(pdf), SHA256: sum(pdf)},
		{Kind: "image", Name: "photo.jpg", URL: "https://example.com/photo.jpg"},
	}
	if !reflect.DeepEqual(m.Attachments, wantInfo) {
		t.Errorf("summary = %+v\nwant %+v", m.Attachments, wantInfo)
	}
	got, err := db.Attachments(ctx, res[1].ID)
	if err != nil || len(got) != 3 {
		t.Fatalf("Attachments = %v, %v", got, err)
	}
	if !bytes.Equal(got[0].Data, png) || !bytes.Equal(got[1].Data, pdf) || got[2].Data != nil || got[2].URL != "https://example.com/photo.jpg" || got[1].Name != "发票.pdf" {
		t.Errorf("attachments read back: %v", got)
	}
	if n := rowCount(t, db, "outbox_attachment"); n != 3 {
		t.Errorf("%d attachment rows, want 3 (the repeat must not add any)", n)
	}

	plain, _ := db.Message(ctx, res[0].ID)
	if plain.At != nil || plain.Attachments != nil {
		t.Errorf("plain message has extras: %+v", plain)
	}
	if as, err := db.Attachments(ctx, res[0].ID); err != nil || len(as) != 0 {
		t.Errorf("plain message attachments: %v %v", as, err)
	}
	l, _ := db.Message(ctx, lone[0].ID)
	if !reflect.DeepEqual(l.At, at[:1]) {
		t.Errorf("lone message At = %+v", l.At)
	}
	pending, err := db.PendingMessages(ctx, 0, 10)
	if err != nil || len(pending) != 3 || len(pending[1].Attachments) != 3 {
		t.Fatalf("pending = %+v, %v", pending, err)
	}
}

// Retention drops a finished message's attachments with it, through the
// foreign key's ON DELETE CASCADE, across several prune batches; a queued
// message keeps its own whatever its age.
func TestPruneFinished_CascadesToAttachments(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
	defer db.Close()
	ctx := context.Background()
	var on int
	if err := db.w.QueryRow(`PRAGMA foreign_keys`).Scan(&on); err != nil || on != 1 {
		t.Fatalf("foreign_keys = %d (%v), want 1: the cascade would not fire", on, err)
	}
	old := time.Now().AddDate(0, 0, -40)
	db.now = func() time.Time { return old }
	n := 2*pruneBatch + 7
	msgs := make([]model.NewMessage, n+1)
	for i := range msgs {
		msgs[i] = model.NewMessage{Channel: "bot", TargetKind: "group", Content: "x",
			Attachments: []model.Attachment{{Kind: "file", Name: "a.txt", Data: []byte{byte(i), 1}}, {Kind: "image", Name: "b", URL: "http://127.0.0.1/b.png"}}}
	}
	res, err := db.Enqueue(ctx, msgs)
	if err != nil {
		t.Fatal(err)
	}
	var outs []Outcome
	for _, r := range res[:n] {
		st := model.StatusDelivered
		if r.ID%2 == 0 {
			st = model.StatusFailed
		}
		outs = append(outs, Outcome{ID: r.ID, Status: st, NextAttemptAt: old})
	}
	if err := db.RecordOutcomes(ctx, outs); err != nil {
		t.Fatal(err)
	}
	if got := rowCount(t, db, "outbox_attachment"); got != 2*(n+1) {
		t.Fatalf("%d attachment rows before pruning, want %d", got, 2*(n+1))
	}
	pruned, err := db.PruneFinished(ctx, time.Now().AddDate(0, 0, -30))
	if err != nil || pruned != int64(n) {
		t.Fatalf("pruned %d (%v), want %d", pruned, err, n)
	}
	if got := rowCount(t, db, "outbox_attachment"); got != 2 {
		t.Fatalf("%d attachment rows after pruning, want the queued message's 2", got)
	}
	kept, err := db.Attachments(ctx, res[n].ID)
	if err != nil || len(kept) != 2 || !bytes.Equal(kept[0].Data, []byte{byte(n), 1}) {
		t.Fatalf("queued message's attachments: %v %v", kept, err)
	}
}

// The outbox's ids are never given out twice: a new row takes the highest
// id plus one, so pruning the newest rows would hand their ids to the next
// sends. An ERP would then read another message under a msg_id it keeps,
// and the dispatcher, which reads only ids above the last it has seen,
// would not send the new message until a restart.
func TestPruneFinished_NeverFreesTheNewestID(t *testing.T) {
	for _, tt := range []struct {
		name   string
		queued int // how many of the oldest stay queued (not pruned)
	}{
		{"every message finished", 0},
		{"the oldest still queued", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := openTest(t, filepath.Join(t.TempDir(), "state.db"))
			defer db.Close()
			ctx := context.Background()
			old := time.Now().AddDate(0, 0, -40)
			db.now = func() time.Time { return old }
			res, err := db.Enqueue(ctx, []model.NewMessage{{Channel: "bot", TargetKind: "group", Target: "1", Content: "a"}, {Channel: "bot", TargetKind: "group", Target: "1", Content: "b"}, {Channel: "bot", TargetKind: "group", Target: "1", Content: "c"}})
			if err != nil {
				t.Fatal(err)
			}
			var outs []Outcome
			for _, r := range res[tt.queued:] {
				outs = append(outs, Outcome{ID: r.ID, Status: model.StatusDelivered, NextAttemptAt: old})
			}
			if err := db.RecordOutcomes(ctx, outs); err != nil {
				t.Fatal(err)
			}
			newest := res[len(res)-1].ID
			pruned, err := db.PruneFinished(ctx, time.Now().AddDate(0, 0, -30))
			if want := int64(len(outs) - 1); err != nil || pruned != want {
				t.Fatalf("pruned %d (%v), want %d: all finished but the newest", pruned, err, want)
			}
			db.now = time.Now
			next, err := db.Enqueue(ctx, []model.NewMessage{{Channel: "bot", TargetKind: "group", Target: "1", Content: "new"}})
			if err != nil {
				t.Fatal(err)
			}
			if next[0].ID <= newest {
				t.Fatalf("new message got id %d, already given to a message before the prune (newest %d)", next[0].ID, newest)
			}
		})
	}
}
