package app

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"botgate/model"
	"botgate/storage"
)

// requestLog writes API request rows in batches off the request path: a log
// row must not cost a request an fsync. When the buffer is full, rows are
// dropped and counted rather than slowing the API down.
type requestLog struct {
	db      *storage.DB
	log     *slog.Logger
	ch      chan model.RequestLog
	dropped atomic.Int64
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

func newRequestLog(db *storage.DB, log *slog.Logger) *requestLog {
	r := &requestLog{db: db, log: log, ch: make(chan model.RequestLog, 4096), stop: make(chan struct{}), done: make(chan struct{})}
	go r.loop()
	return r
}

func (r *requestLog) add(l model.RequestLog) {
	select {
	case r.ch <- l:
	default:
		r.dropped.Add(1)
	}
}

func (r *requestLog) loop() {
	defer close(r.done)
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	var batch []model.RequestLog
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if err := r.db.InsertRequestLogs(context.Background(), batch); err != nil {
			r.log.Error("writing request log failed", "err", err, "rows", len(batch))
		}
		batch = batch[:0]
	}
	for {
		select {
		case l := <-r.ch:
			batch = append(batch, l)
			if len(batch) >= 512 {
				flush()
			}
		case <-t.C:
			flush()
		case <-r.stop:
			for {
				select {
				case l := <-r.ch:
					batch = append(batch, l)
				default:
					flush()
					return
				}
			}
		}
	}
}

func (r *requestLog) close() {
	r.once.Do(func() { close(r.stop) })
	<-r.done
}

// LogRequest records one API request; the caller has redacted secrets.
func (a *App) LogRequest(l model.RequestLog) { a.reqs.add(l) }

// RequestLogs lists recent requests for the GUI's log tab.
func (a *App) RequestLogs(ctx context.Context, contains string, limit int) ([]model.RequestLog, error) {
	return a.db.RequestLogs(ctx, contains, limit)
}
