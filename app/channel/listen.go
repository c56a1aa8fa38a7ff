package channel

import (
	"context"
	"log/slog"
	"time"
)

// MaxListenBackoff is the longest wait between a listener's connection
// attempts (DESIGN.md: BotGate owns the reconnect backoff, at most 30 s).
const MaxListenBackoff = 30 * time.Second

// stableAfter is how long a connection must have stayed up for the next
// attempt to start again from the shortest wait: a platform that accepts and
// at once drops the connection is not hammered every second.
const stableAfter = 30 * time.Second

// KeepListening is the loop of a Listener: it runs session until ctx ends.
// Each session opens one connection, calls up once it is established, and
// returns when the connection ends (its error says why, in Chinese where the
// admin can act on it). Between sessions it reports the reason to in and
// waits, from first (≥ 1 ms) doubling up to MaxListenBackoff. It returns
// ctx.Err() once ctx ends.
func KeepListening(ctx context.Context, in Inbox, log *slog.Logger, first time.Duration, session func(ctx context.Context, up func()) error) error {
	if log == nil {
		log = slog.Default()
	}
	first = max(first, time.Millisecond)
	wait := first
	for {
		var upAt time.Time
		err := session(ctx, func() {
			upAt = time.Now()
			in.SetState(ListenerState{Connected: true})
		})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !upAt.IsZero() && time.Since(upAt) >= stableAfter {
			wait = first
		}
		why := "连接意外结束"
		if err != nil {
			why = Explain(err)
		}
		log.Warn("channel listener disconnected; reconnecting", "err", Describe(err), "retry_in", wait)
		in.SetState(ListenerState{Err: "重连中：" + why})
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(wait*2, MaxListenBackoff)
	}
}
