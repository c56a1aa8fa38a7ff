package server

import (
	"context"
	"log/slog"
	"time"
)

// Pruner deletes rows older than a time and says how many (storage.DB).
type Pruner interface {
	PruneRequestLog(ctx context.Context, before time.Time) (int64, error)
	PruneInbound(ctx context.Context, before time.Time) (int64, error)
	PruneFinished(ctx context.Context, before time.Time) (int64, error)
}

// Retention deletes what is older than the retention setting: the request
// log, the chat log, and delivered or failed messages (a message still owed
// a delivery stays whatever its age).
type Retention struct {
	DB   Pruner
	Days func() int // the setting, read at each pass
	Now  func() time.Time
	Log  *slog.Logger
}

// Run prunes at start and then every hour until ctx ends.
func (r Retention) Run(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		r.Once(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once is one pass.
func (r Retention) Once(ctx context.Context) {
	days := r.Days()
	before := r.Now().AddDate(0, 0, -days)
	for _, p := range []struct {
		what  string
		prune func(context.Context, time.Time) (int64, error)
	}{
		{"request log", r.DB.PruneRequestLog},
		{"chat log", r.DB.PruneInbound},
		{"finished messages", r.DB.PruneFinished},
	} {
		n, err := p.prune(ctx, before)
		switch {
		case err != nil && ctx.Err() == nil:
			r.Log.Warn("pruning failed", "what", p.what, "err", err)
		case n > 0:
			r.Log.Info("pruned", "what", p.what, "rows", n, "older_than_days", days)
		}
	}
}
