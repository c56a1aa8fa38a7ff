package outbox

import (
	"context"
	"strconv"
	"testing"

	"botgate/model"
	"botgate/storage"
)

// rowStore serves pending rows from a slice, in id order.
type rowStore struct{ rows []model.Message }

func (s *rowStore) PendingMessages(_ context.Context, afterID int64, limit int) ([]model.Message, error) {
	var out []model.Message
	for _, m := range s.rows {
		if m.ID > afterID && len(out) < limit {
			out = append(out, m)
		}
	}
	return out, nil
}

func (s *rowStore) PendingFor(_ context.Context, ch, kind, target string, afterID, throughID int64, limit int) ([]model.Message, error) {
	var out []model.Message
	for _, m := range s.rows {
		if m.ID > afterID && m.ID <= throughID && m.Channel == ch && m.TargetKind == kind && m.Target == target && len(out) < limit {
			out = append(out, m)
		}
	}
	return out, nil
}

func (s *rowStore) NewestMessageID() int64 {
	if len(s.rows) == 0 {
		return 0
	}
	return s.rows[len(s.rows)-1].ID
}

func (s *rowStore) RecordOutcomes(context.Context, []storage.Outcome) error { return nil }
func (s *rowStore) Attachments(context.Context, int64) ([]model.Attachment, error) {
	return nil, nil
}

func (s *rowStore) add(to string, n int) {
	for range n {
		s.rows = append(s.rows, model.Message{ID: int64(len(s.rows) + 1), Channel: "qq", TargetKind: "private", Target: to})
	}
}

func noWorker(int64) bool { return false }

// A recipient's backlog past holdPerRecipient stays in the database and
// comes back in parts, in order, none twice, none missed.
func TestPending_LongBacklogHeldInParts(t *testing.T) {
	s := &rowStore{}
	n := 2*holdPerRecipient + 50
	s.add("a", n)
	s.add("b", 1)
	p := newPending()
	if left, err := p.readNew(context.Background(), s, noWorker); err != nil || left {
		t.Fatalf("readNew: left %v, %v", left, err)
	}
	a := recipient(s.rows[0])
	if q := p.queues[a]; len(q.msgs) != holdPerRecipient || !q.more || p.held != holdPerRecipient+1 || p.cursor != int64(n+1) {
		t.Fatalf("after the read: a holds %d (more %v), held %d, cursor %d", len(q.msgs), q.more, p.held, p.cursor)
	}
	var got []int64
	for range n/50 + 2 {
		q := p.queues[a]
		if len(q.msgs) == 0 && q.more {
			if err := p.reload(context.Background(), s, a); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range p.take(a, 50) {
			got = append(got, m.ID)
		}
	}
	if len(got) != n {
		t.Fatalf("got %d of a's %d messages", len(got), n)
	}
	for i, id := range got {
		if id != int64(i+1) {
			t.Fatalf("message %d is id %d: order lost or a repeat", i, id)
		}
	}
	if q := p.queues[a]; q.more || len(q.msgs) != 0 || p.held != 1 {
		t.Fatalf("after the backlog: more %v, holds %d, held %d", q.more, len(q.msgs), p.held)
	}
}

// Many recipients at once: no more than maxHeld messages are held; the
// cursor waits there and the rest is read once some are sent.
func TestPending_HoldsAtMostMaxHeld(t *testing.T) {
	s := &rowStore{}
	for i := range maxHeld + 700 {
		s.add(strconv.Itoa(i), 1)
	}
	p := newPending()
	for left := true; left; {
		var err error
		if left, err = p.readNew(context.Background(), s, noWorker); err != nil {
			t.Fatal(err)
		}
		if left && p.held >= maxHeld {
			break
		}
	}
	if p.held != maxHeld || p.cursor != maxHeld {
		t.Fatalf("held %d, cursor %d; want both %d", p.held, p.cursor, maxHeld)
	}
	p.take(recipient(s.rows[0]), 1)
	p.drop(recipient(s.rows[0]), false)
	if _, err := p.readNew(context.Background(), s, noWorker); err != nil {
		t.Fatal(err)
	}
	if p.held != maxHeld || p.cursor <= maxHeld {
		t.Fatalf("after one was sent: held %d, cursor %d", p.held, p.cursor)
	}
}
