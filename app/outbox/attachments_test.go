package outbox_test

import (
	"botgate/model"
	"bytes"
	"context"
	"errors"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"botgate/app/channel"
	"botgate/app/outbox"
	"botgate/storage"
)

// countingStore is the state database, counting attachment reads (and
// failing them while told to).
type countingStore struct {
	*storage.DB
	reads atomic.Int64
	fail  atomic.Bool
}

var _ outbox.Store = (*countingStore)(nil)

func (s *countingStore) Attachments(ctx context.Context, id int64) ([]model.Attachment, error) {
	s.reads.Add(1)
	if s.fail.Load() {
		return nil, errors.New("disk I/O error")
	}
	return s.DB.Attachments(ctx, id)
}

// A message with attachments reaches the connector with its bytes and its
// mentions, read right before the send; plain messages never cause a read;
// a failed read is a transient failure that the next attempt recovers from.
func TestDispatch_LoadsAttachmentsRightBeforeSend(t *testing.T) {
	db := openDB(t)
	store := &countingStore{DB: db}
	store.fail.Store(true)
	ch := &fakeChannel{}
	d := outbox.NewDispatcher(store, func(string) (outbox.Route, error) { return outbox.Route{Channel: ch}, nil },
		outbox.Config{BackoffBase: 20 * time.Millisecond, BackoffMax: 40 * time.Millisecond, Log: quiet()})
	img := []byte("\x89PNG\r\n\x1a\n....")
	at := []model.Mention{{ID: "10001", Name: "张三"}}
	res, err := db.Enqueue(context.Background(), []model.NewMessage{
		{Channel: "qq", TargetKind: channel.Group, Target: "1", Content: "plain"},
		{Channel: "qq", TargetKind: channel.Group, Target: "2", Content: "plain too"},
		{Channel: "qq", TargetKind: channel.Group, Target: "3", Content: "请看图", At: at,
			Attachments: []model.Attachment{{Kind: "image", Name: "a.png", Data: img}, {Kind: "file", Name: "b.pdf", URL: "http://127.0.0.1:1/b.pdf"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	waitFor(t, "the plain messages delivered and the other one tried", func() bool { return len(ch.delivered()) == 2 && store.reads.Load() >= 1 })
	waitFor(t, "the failed read recorded", func() bool {
		m, _ := db.Message(context.Background(), res[2].ID)
		return m.Attempts >= 1
	})
	m, _ := db.Message(context.Background(), res[2].ID)
	if m.Status != model.StatusQueued || m.LastError == "" {
		t.Fatalf("after a failed attachment read: %+v, want queued with the error", m)
	}
	store.fail.Store(false)
	waitFor(t, "the message with attachments delivered", func() bool { return len(ch.delivered()) == 3 })
	var got channel.Message
	for _, g := range ch.delivered() {
		if g.ID == res[2].ID {
			got = g
		} else if g.Attachments != nil || g.At != nil {
			t.Errorf("plain message %d delivered with extras: %+v", g.ID, g)
		}
	}
	if !reflect.DeepEqual(got.At, at) || len(got.Attachments) != 2 || !bytes.Equal(got.Attachments[0].Data, img) ||
		got.Attachments[1].URL != "http://127.0.0.1:1/b.pdf" || got.Attachments[1].Data != nil || got.Content != "请看图" {
		t.Fatalf("delivered %+v", got)
	}
	waitFor(t, "the delivery recorded", func() bool {
		m, _ = db.Message(context.Background(), res[2].ID)
		return m.Status == model.StatusDelivered
	})
	if n := store.reads.Load(); n != int64(m.Attempts) || n < 2 {
		t.Fatalf("%d attachment reads for %d attempts: want one per attempt of the message with attachments, none for plain ones", n, m.Attempts)
	}
}
