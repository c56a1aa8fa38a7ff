package outbox_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"botgate/app/channel"
	"botgate/app/outbox"
	"botgate/model"
)

// listChannel answers each send with what its table says for the target,
// as a platform that takes a recipient list answers: some ids refused.
type listChannel struct {
	mu      sync.Mutex
	answers map[string][]error // target -> results of its attempts, in order
}

func (l *listChannel) Send(ctx context.Context, m channel.Message) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	as := l.answers[m.To]
	if len(as) == 0 {
		return nil
	}
	l.answers[m.To] = as[1:]
	return as[0]
}

// A message the platform delivered to only some of its recipient list is
// delivered, not retried, and its row lists the refused ids and why; a
// failed attempt before it keeps no list from anything else.
func TestPartlyDelivered_IsDeliveredWithTheRefusedIDs(t *testing.T) {
	partly := &channel.PartlyDelivered{Invalid: []string{"lisi", "wangwu"}, Msg: "企业微信拒绝了 lisi、wangwu"}
	tests := []struct {
		name        string
		to          string
		answers     []error
		wantStatus  string
		wantInvalid []string
		attempts    int
	}{
		{"some refused: delivered once, refused ids kept", "zhangsan|lisi|wangwu", []error{partly}, model.StatusDelivered, []string{"lisi", "wangwu"}, 1},
		{"after a transient failure, then partly", "a|lisi|wangwu", []error{channel.Transientf(errors.New("503"), "繁忙"), partly}, model.StatusDelivered, []string{"lisi", "wangwu"}, 2},
		{"all delivered: no list", "zhangsan|lisi", []error{nil}, model.StatusDelivered, nil, 1},
		{"all refused: an ordinary permanent failure", "lisi", []error{channel.Permanentf(nil, "接收者全部无效")}, model.StatusFailed, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t)
			ch := &listChannel{answers: map[string][]error{tt.to: tt.answers}}
			q, stop := run(t, db, ch, outbox.Config{BackoffBase: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond})
			defer stop()
			e, err := q.Add(context.Background(), model.NewMessage{Channel: "qq", TargetKind: channel.Private, Target: tt.to, Content: "审批通过"})
			if err != nil {
				t.Fatal(err)
			}
			var m model.Message
			waitFor(t, "the outcome recorded", func() bool {
				m, _ = db.Message(context.Background(), e.ID)
				return m.Status == tt.wantStatus
			})
			if !slices.Equal(m.Invalid, tt.wantInvalid) || m.Attempts != tt.attempts {
				t.Fatalf("row %+v: invalid %v after %d attempts, want %v after %d", m, m.Invalid, m.Attempts, tt.wantInvalid, tt.attempts)
			}
			// A partly delivered row keeps why the rest were refused (the
			// log tab shows it); a fully delivered one has nothing to say.
			if got := strings.Contains(m.LastError, "拒绝了"); tt.wantStatus == model.StatusDelivered && got != (len(tt.wantInvalid) > 0) {
				t.Fatalf("last_error %q: the refusal note should be there only when some were refused", m.LastError)
			}
		})
	}
}
