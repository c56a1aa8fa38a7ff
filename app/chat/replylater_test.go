package chat

import (
	"context"
	"testing"
	"time"

	"botgate/app/channel"
	"botgate/model"
)

// A platform that takes no answer in its push's reply (ReplyLater): Handle
// returns at once, without waiting for the template however fast it is, and
// every answer (rows, the 5010 text, the rate-limit notice) goes through the
// outbox to the sender or the group, logged as sent that way.
func TestHandle_ReplyLater_EveryAnswerGoesThroughTheOutbox(t *testing.T) {
	tests := []struct {
		name    string
		in      channel.Incoming
		asks    int // how many times the sender asks
		want    []LateReply
		outcome []string
	}{
		{"private question: answer to the sender",
			channel.Incoming{Channel: "wx", Sender: "zhangsan", Text: "零件 A1", ReplyLater: true}, 1,
			[]LateReply{{Channel: "wx", QQ: "zhangsan", Content: "零件A A1 zhangsan"}}, []string{Answered}},
		{"group question: answer to the group naming the sender",
			channel.Incoming{Channel: "wx", Sender: "zhangsan", Group: "chat1", Text: "零件 A1", ReplyLater: true}, 1,
			[]LateReply{{Channel: "wx", QQ: "zhangsan", Group: "chat1", Content: "@zhangsan 零件A A1 zhangsan"}}, []string{Answered}},
		{"refused sender: the 5010 text through the outbox",
			channel.Incoming{Channel: "wx", Sender: "zhangsan", Text: "秘密", ReplyLater: true}, 1,
			[]LateReply{{Channel: "wx", QQ: "zhangsan", Content: model.MsgForbidden}}, []string{Refused}},
		{"over the rate limit: the notice once, through the outbox",
			channel.Incoming{Channel: "wx", Sender: "zhangsan", Text: "零件", ReplyLater: true}, 4,
			[]LateReply{{Channel: "wx", QQ: "zhangsan", Content: "零件A  zhangsan"}, {Channel: "wx", QQ: "zhangsan", Content: "零件A  zhangsan"},
				{Channel: "wx", QQ: "zhangsan", Content: "查询太频繁了，请稍等一会儿再发（每人每分钟最多 1 次）"}},
			[]string{Answered, Answered, Limited, Limited}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			// A quick timeout that would let a fast template answer in the
			// reply: ReplyLater must not wait for it even so.
			c := newAnswerer(f, discard(), Config{QuickTimeout: time.Hour, PerMinute: 1, Burst: 2})
			for i := range tt.asks {
				start := time.Now()
				ans := c.Answer(context.Background(), tt.in)
				if ans.Reply != "" {
					t.Fatalf("ask %d: reply %q in the push's answer", i+1, ans.Reply)
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Fatalf("ask %d took %v", i+1, d)
				}
				c.Wait() // the answers in order, so the queue can be compared
			}
			queued, logged, _ := f.snapshot()
			if len(queued) != len(tt.want) {
				t.Fatalf("queued %+v, want %+v", queued, tt.want)
			}
			for i := range tt.want {
				if queued[i] != tt.want[i] {
					t.Errorf("queued[%d] = %+v, want %+v", i, queued[i], tt.want[i])
				}
			}
			if len(logged) != len(tt.outcome) {
				t.Fatalf("logged %+v, want outcomes %v", logged, tt.outcome)
			}
			for i, l := range logged {
				wantVia := ViaOutbox
				if i == 3 {
					wantVia = "" // the limited sender heard the notice once; the next ask is silent
				}
				if l.Outcome != tt.outcome[i] || l.Via != wantVia {
					t.Errorf("log[%d] = %s via %q, want %s via %q", i, l.Outcome, l.Via, tt.outcome[i], wantVia)
				}
			}
		})
	}
}
