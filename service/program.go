package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	kservice "github.com/kardianos/service"
)

// Server is what the service runs; *app.App is one. Serve blocks until ctx
// is cancelled (then stops gracefully) or the server fails.
type Server interface {
	Serve(ctx context.Context, ready func(addr string)) error
	Close() error
}

// DefaultStopTimeout bounds Stop: above app.ShutdownTimeout (10 s for
// in-flight requests) plus the outbox's stop grace (5 s for sends in flight,
// then the database is closed) and below the service managers' own limits
// (Windows waits about 20 s, our systemd unit 20 s) so we report before
// being killed.
const DefaultStopTimeout = 17 * time.Second

// Program is the kardianos service program: Start returns at once and runs
// the server in a goroutine; Stop cancels it and waits for the graceful stop.
type Program struct {
	// Open opens the server (the state database, data sources).
	Open func(ctx context.Context) (Server, error)
	Log  *slog.Logger
	// StopTimeout bounds Stop; 0 means DefaultStopTimeout.
	StopTimeout time.Duration
	// Fail is called when the server cannot start or stops by itself. The
	// service wiring exits non-zero there so the service manager restarts it.
	Fail func(error)

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

var _ kservice.Interface = (*Program)(nil)

// Start begins serving without waiting: service managers expect a prompt answer.
func (p *Program) Start(kservice.Service) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	go p.run(ctx, p.done)
	return nil
}

func (p *Program) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	log := p.logger()
	srv, err := p.Open(ctx)
	if err != nil {
		p.fail(fmt.Errorf("打开 BotGate 失败：%w", err))
		return
	}
	err = srv.Serve(ctx, func(addr string) { log.Info("BotGate service started", "addr", addr) })
	// Close before reporting: Fail may exit the process, and the database
	// must be closed cleanly first.
	if cerr := srv.Close(); cerr != nil {
		log.Warn("closing BotGate", "err", cerr)
	}
	switch {
	case ctx.Err() != nil:
		log.Info("BotGate service stopped")
	case err != nil:
		p.fail(err)
	default:
		p.fail(errors.New("服务意外停止"))
	}
}

func (p *Program) fail(err error) {
	p.logger().Error("BotGate service cannot run", "err", err)
	if p.Fail != nil {
		p.Fail(err)
	}
}

// Stop cancels the server and waits for it to finish in-flight requests and
// put the dispatcher to rest (queued messages stay in the outbox).
func (p *Program) Stop(kservice.Service) error {
	p.mu.Lock()
	cancel, done := p.cancel, p.done
	p.cancel, p.done = nil, nil
	p.mu.Unlock()
	if done == nil {
		return nil
	}
	cancel()
	timeout := p.StopTimeout
	if timeout <= 0 {
		timeout = DefaultStopTimeout
	}
	select {
	case <-done:
		return nil
	case <-time.After(timeout):
		p.logger().Error("BotGate did not stop in time", "timeout", timeout)
		return fmt.Errorf("BotGate 未能在 %v 内停止", timeout)
	}
}

func (p *Program) logger() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}
