package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"botgate/app/auth"
)

// runningServer is the HTTP listener and the background work that goes with it.
type runningServer struct {
	srv    *http.Server
	addr   string
	cancel context.CancelFunc
	wg     sync.WaitGroup
	done   chan struct{} // closed when Serve returns
	err    error
}

// ShutdownTimeout bounds how long in-flight requests may take at stop.
const ShutdownTimeout = 10 * time.Second

// ListenAddr is the address the server binds: --listen if given, else the setting.
func (a *App) ListenAddr() string {
	if a.opts.Listen != "" {
		return a.opts.Listen
	}
	return a.Settings().Listen
}

// StartServer binds the API and starts delivering the outbox. It returns once
// the listener is bound (so a port in use is reported at once), with the bound address.
func (a *App) StartServer() (string, error) {
	a.srvMu.Lock()
	defer a.srvMu.Unlock()
	if a.server != nil {
		return a.server.addr, nil
	}
	if a.opts.Handler == nil {
		return "", errors.New("no HTTP handler wired")
	}
	addr := a.ListenAddr()
	if err := validateListen(addr, true); err != nil {
		return "", err
	}
	if a.Settings().AuthMode == auth.ModeNone && !IsLoopback(addr) {
		return "", invalid("auth_mode", "授权方式为“无”时只能监听本机(127.0.0.1)；开放局域网访问前请先设置授权方式")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_, port, _ := net.SplitHostPort(addr)
		if errors.Is(err, syscall.EADDRINUSE) {
			return "", &Error{Code: CodeInvalid, Field: "listen", Msg: fmt.Sprintf("端口 %s 已被占用：可能 BotGate 已在运行，或其他程序占用了它；请关闭该程序或换一个端口", port), Err: err}
		}
		return "", &Error{Code: CodeInvalid, Field: "listen", Msg: fmt.Sprintf("无法监听 %s：%v", addr, err), Err: err}
	}
	ctx, cancel := context.WithCancel(context.Background())
	rs := &runningServer{addr: ln.Addr().String(), cancel: cancel, done: make(chan struct{})}
	rs.srv = &http.Server{
		Handler:           a.opts.Handler(a),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
	rs.wg.Add(3)
	go func() { defer rs.wg.Done(); a.disp.Run(ctx) }()
	go func() { defer rs.wg.Done(); a.watch(ctx, time.Second) }()
	go func() { defer rs.wg.Done(); a.prune(ctx) }()
	go func() {
		defer close(rs.done)
		if err := rs.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			rs.err = err
			a.log.Error("HTTP server stopped", "err", err)
		}
	}()
	a.server = rs
	a.log.Info("BotGate listening", "addr", rs.addr, "auth_mode", a.Settings().AuthMode)
	return rs.addr, nil
}

// StopServer stops accepting, lets in-flight requests finish, then stops the
// dispatcher. Queued messages stay in the outbox for the next start.
func (a *App) StopServer() {
	a.srvMu.Lock()
	defer a.srvMu.Unlock()
	rs := a.server
	if rs == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := rs.srv.Shutdown(ctx); err != nil {
		a.log.Warn("HTTP shutdown timed out; closing connections", "err", err)
		rs.srv.Close()
	}
	<-rs.done
	rs.cancel()
	rs.wg.Wait()
	a.server = nil
	a.log.Info("BotGate stopped")
}

// Running tells whether the server is up, and its address.
func (a *App) Running() (bool, string) {
	a.srvMu.Lock()
	defer a.srvMu.Unlock()
	if a.server == nil {
		return false, ""
	}
	return true, a.server.addr
}

// Serve runs the server until ctx is cancelled, then stops it gracefully.
// ready, if not nil, is called with the bound address.
func (a *App) Serve(ctx context.Context, ready func(addr string)) error {
	addr, err := a.StartServer()
	if err != nil {
		return err
	}
	if ready != nil {
		ready(addr)
	}
	a.srvMu.Lock()
	done := a.server.done
	a.srvMu.Unlock()
	select {
	case <-ctx.Done():
	case <-done:
	}
	a.srvMu.Lock()
	var serr error
	if a.server != nil {
		serr = a.server.err
	}
	a.srvMu.Unlock()
	a.StopServer()
	return serr
}

// prune deletes old request log rows, at start and then hourly.
func (a *App) prune(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		days := a.Settings().LogRetentionDays
		if n, err := a.db.PruneRequestLog(ctx, a.opts.Now().AddDate(0, 0, -days)); err != nil && ctx.Err() == nil {
			a.log.Warn("pruning request log failed", "err", err)
		} else if n > 0 {
			a.log.Info("request log pruned", "rows", n, "older_than_days", days)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
