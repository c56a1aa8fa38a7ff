package wecomapp

import (
	"context"
	"sync"

	"golang.org/x/time/rate"

	"botgate/app/channel"
)

// WeCom holds what one app sends one member to 30 messages a minute and
// drops the rest without an error ("每应用对同一个成员不可超过30次/分，超过部分
// 会被丢弃不下发"): a message it accepted that way would be marked delivered
// and never arrive. So the connector paces each member itself: a bucket of
// paceBurst that refills at paceRate keeps any minute under 30 (10 + 20).
// A send that would wait past its deadline fails as transient, and the
// outbox sends it again later.
var (
	paceRate  = rate.Limit(20.0 / 60)
	paceBurst = 10
)

// paceKeep bounds the members remembered; idle ones (full buckets) are
// forgotten first, since a fresh bucket behaves the same.
const paceKeep = 5000

type pacer struct {
	mu    sync.Mutex
	per   map[string]*rate.Limiter
	limit rate.Limit
	burst int
}

func (p *pacer) init() {
	p.per, p.limit, p.burst = map[string]*rate.Limiter{}, paceRate, paceBurst
}

// wait takes one message's turn for each of ids.
func (p *pacer) wait(ctx context.Context, ids []string) error {
	for _, id := range ids {
		if err := p.limiter(id).Wait(ctx); err != nil {
			return channel.Transientf(err, "发给 %s 的消息太频繁：企业微信每个成员每分钟最多收 30 条，超过的会被丢弃，BotGate 稍后再发", id)
		}
	}
	return nil
}

func (p *pacer) limiter(id string) *rate.Limiter {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.per[id]
	if l == nil {
		if len(p.per) >= paceKeep {
			for k, v := range p.per {
				if v.Tokens() >= float64(p.burst) {
					delete(p.per, k)
				}
			}
		}
		l = rate.NewLimiter(p.limit, p.burst)
		p.per[id] = l
	}
	return l
}
