package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"botgate/app/auth"
	"botgate/model"
)

// runningServer is the HTTP listener and the background work that goes with
// it. Its fields are guarded by App.srvMu, except those noted.
type runningServer struct {
	srv       *http.Server
	lock      *serverLock // one server per database; released at stop
	ln        *servedListener
	addr      string // bound address of ln
	want      string // configured address ln was bound for; a rebind compares against it
	listenErr error  // why the configured address could not be taken (old one still served)
	cancel    context.CancelFunc
	wg        sync.WaitGroup // dispatcher, watchers
	serving   sync.WaitGroup // one srv.Serve per listener, old ones included
	done      chan struct{}  // closed when the active listener fails unexpectedly
	failOnce  sync.Once
	err       error // set before done is closed; read only after <-done
}

// servedListener marks a listener closed on purpose by a rebind, so that its
// Serve returning is not taken for a failure.
type servedListener struct {
	net.Listener
	retired atomic.Bool
}

// ShutdownTimeout bounds how long in-flight requests may take at stop.
const ShutdownTimeout = 10 * time.Second

// listenPoll is how often the running server checks whether the saved listen
// address changed. It only reads the in-memory settings, so it is cheap; with
// the 1 s configuration watch a change takes effect within 1.5 s.
const listenPoll = 500 * time.Millisecond

// ListenAddr is the address the server binds: --listen if given, else the setting.
func (a *App) ListenAddr() string {
	if a.opts.Listen != "" {
		return a.opts.Listen
	}
	return a.Settings().Listen
}

// MaxHeaderBytes bounds the request line and headers. Past it net/http
// answers a plain-text 431 before any handler runs, so it leaves room for
// what BotGate should answer itself: a QQAP GET carries the message in its
// URL, and the longest allowed content (MaxContentBytes of Chinese) is 60 KB
// percent-encoded. The old 64 KB left almost nothing for data arguments and
// gave a slightly over-long message a plain 431 instead of errcode 4005.
const MaxHeaderBytes = 256 << 10

// StartServer binds the API and starts delivering the outbox. It returns once
// the listener is bound (so a port in use is reported at once), with the bound
// address. It refuses to start when another process serves the same database.
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
	if err := a.checkListen(addr); err != nil {
		return "", err
	}
	// The lock comes before the bind: a second server on the same database
	// would otherwise report the port in use, which hides the real cause.
	lock, err := acquireLock(a.db.Path(), a.opts.Now())
	if err != nil {
		return "", err
	}
	ln, err := listen(addr)
	if err != nil {
		lock.release()
		return "", err
	}
	ctx, cancel := context.WithCancel(context.Background())
	rs := &runningServer{lock: lock, want: addr, cancel: cancel, done: make(chan struct{})}
	rs.srv = &http.Server{
		Handler:           a.opts.Handler(a),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
	a.serveOn(rs, ln)
	if err := lock.setAddr(rs.addr); err != nil {
		a.log.Warn("could not record the listen address in the lock file", "err", err)
	}
	rs.wg.Add(4)
	go func() { defer rs.wg.Done(); a.disp.Run(ctx) }()
	go func() { defer rs.wg.Done(); a.watch(ctx, time.Second) }()
	go func() { defer rs.wg.Done(); a.prune(ctx) }()
	go func() { defer rs.wg.Done(); a.followListen(ctx, rs, listenPoll) }()
	a.server = rs
	a.log.Info("BotGate listening", "addr", rs.addr, "auth_mode", a.Settings().AuthMode)
	return rs.addr, nil
}

// checkListen refuses addresses that are malformed or that would open an
// unauthenticated API to the LAN.
func (a *App) checkListen(addr string) error {
	if err := validateListen(addr, true); err != nil {
		return err
	}
	if a.Settings().AuthMode == auth.ModeNone && !IsLoopback(addr) {
		return model.Invalid("auth_mode", "授权方式为“无”时只能监听本机(127.0.0.1)；开放局域网访问前请先设置授权方式")
	}
	return nil
}

// listen binds addr, with the admin-facing message for the usual failures.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	_, port, _ := net.SplitHostPort(addr)
	if isAddrInUse(err) {
		return nil, &model.Error{Code: model.CodeInvalid, Field: "listen", Msg: fmt.Sprintf("端口 %s 已被占用：可能 BotGate 已在运行，或其他程序占用了它；请关闭该程序或换一个端口", port), Err: err}
	}
	return nil, &model.Error{Code: model.CodeInvalid, Field: "listen", Msg: fmt.Sprintf("无法监听 %s：%v。请检查监听地址是否为本机的 IP", addr, err), Err: err}
}

// wsaeAddrInUse is Windows' WSAEADDRINUSE; syscall.EADDRINUSE there is a Go
// invention that the socket calls never return.
const wsaeAddrInUse = syscall.Errno(10048)

func isAddrInUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE) || errors.Is(err, wsaeAddrInUse)
}

// serveOn starts serving ln and makes it the active listener. Called with
// srvMu held (or before rs is published).
func (a *App) serveOn(rs *runningServer, ln net.Listener) {
	sl := &servedListener{Listener: ln}
	rs.ln, rs.addr = sl, ln.Addr().String()
	rs.serving.Add(1)
	go func() {
		defer rs.serving.Done()
		err := rs.srv.Serve(sl)
		if err == nil || errors.Is(err, http.ErrServerClosed) || sl.retired.Load() {
			return
		}
		a.log.Error("HTTP server stopped", "err", err)
		rs.failOnce.Do(func() { rs.err = err; close(rs.done) })
	}()
}

// followListen moves the server when the saved listen address changes (GUI,
// config import). It skips a tick while StartServer/StopServer hold srvMu,
// which also keeps StopServer from waiting on it while holding the lock.
func (a *App) followListen(ctx context.Context, rs *runningServer, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !a.srvMu.TryLock() {
			continue
		}
		if a.server == rs && ctx.Err() == nil {
			a.rebind(rs)
		}
		a.srvMu.Unlock()
	}
}

// rebind binds the configured address if it differs from the served one. The
// old listener is closed only once the new one is bound, so a port in use
// leaves the server reachable where it was; the failure is logged once and
// shown by ListenProblem, and retried every tick (the port may be freed).
// Connections already open on the old listener finish normally.
func (a *App) rebind(rs *runningServer) {
	want := a.ListenAddr()
	if want == rs.want {
		rs.listenErr = nil
		return
	}
	old, oldAddr := rs.ln, rs.addr
	ln, err := a.bindNext(rs, want)
	if err != nil {
		if rs.listenErr == nil || rs.listenErr.Error() != err.Error() {
			a.log.Error("cannot listen on the new address; still serving the old one",
				"new", want, "serving", rs.addr, "reason", model.ErrorOf(err).Msg)
		}
		rs.listenErr = err
		return
	}
	if ln == nil { // bindNext already swapped (same-port move)
		old = nil
	} else {
		a.serveOn(rs, ln)
	}
	rs.want, rs.listenErr = want, nil
	if old != nil {
		old.retired.Store(true)
		old.Close()
	}
	// Idle keep-alive connections accepted on the old address would go on
	// answering there; closing idle ones (on every listener: the only way
	// net/http offers) makes clients reconnect to the new address.
	// Requests in flight finish and get "Connection: close".
	rs.srv.SetKeepAlivesEnabled(false)
	rs.srv.SetKeepAlivesEnabled(true)
	if err := rs.lock.setAddr(rs.addr); err != nil {
		a.log.Warn("could not record the listen address in the lock file", "err", err)
	}
	a.log.Info("BotGate moved to the new listen address", "addr", rs.addr, "old", oldAddr)
}

// bindNext binds want. Moving between hosts on the same port (127.0.0.1:7789
// to 0.0.0.0:7789, the "allow LAN" switch) conflicts with our own listener, so
// in that case the old listener is closed first and, if the new bind still
// fails, taken back. It returns (nil, nil) when it already made the swap.
func (a *App) bindNext(rs *runningServer, want string) (net.Listener, error) {
	if err := a.checkListen(want); err != nil {
		return nil, err
	}
	ln, err := listen(want)
	if err == nil || !isAddrInUse(err) || !samePort(rs.addr, want) {
		return ln, err
	}
	old := rs.ln
	old.retired.Store(true)
	old.Close()
	ln, err = listen(want)
	if err == nil {
		a.serveOn(rs, ln)
		return nil, nil
	}
	back, berr := listen(old.Addr().String())
	if berr != nil {
		// Nothing listens now; make Serve return so the service manager or
		// the window can restart and report it.
		a.log.Error("lost the listener while moving it", "err", berr)
		rs.failOnce.Do(func() { rs.err = berr; close(rs.done) })
		return nil, err
	}
	a.serveOn(rs, back)
	return nil, err
}

func samePort(a, b string) bool {
	_, pa, err1 := net.SplitHostPort(a)
	_, pb, err2 := net.SplitHostPort(b)
	return err1 == nil && err2 == nil && pa == pb
}

// ListenProblem says why the server does not listen on the saved address
// (for instance "端口 7789 已被占用"), or nil. The server keeps answering on
// its previous address meanwhile.
func (a *App) ListenProblem() error {
	a.srvMu.Lock()
	defer a.srvMu.Unlock()
	if a.server == nil {
		return nil
	}
	return a.server.listenErr
}

// StopServer stops accepting, lets in-flight requests finish, then stops the
// dispatcher and releases the database lock. Queued messages stay in the
// outbox for the next start; the queue stays open (the window can still
// queue a test message, and start the server again).
func (a *App) StopServer() { a.stopServer(false) }

// stopServer is every stop: the window's, Serve's (Ctrl-C, SIGTERM, the
// service manager) and Close's. The order is what makes a clean stop send
// nothing twice: no new request (Shutdown, which lets the ones being
// answered finish), with closeQueue no new message, the dispatcher starts
// no new send and gives those in flight outbox.Config.StopGrace to finish
// and records their outcomes; the caller closes the database after.
func (a *App) stopServer(closeQueue bool) {
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
	rs.serving.Wait()
	if closeQueue {
		a.queue.Close()
	}
	rs.cancel()
	rs.wg.Wait() // the dispatcher returns once the sends in flight are recorded
	rs.lock.release()
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

// Serve runs the server until ctx is cancelled, then stops it gracefully:
// it is the whole life of `botgate serve` and of the service, so the stop
// also closes the queue, as Close does. ready, if not nil, is called with
// the bound address.
func (a *App) Serve(ctx context.Context, ready func(addr string)) error {
	addr, err := a.StartServer()
	if err != nil {
		return err
	}
	if ready != nil {
		ready(addr)
	}
	a.srvMu.Lock()
	rs := a.server
	a.srvMu.Unlock()
	if rs == nil { // stopped from elsewhere (the window) before we looked
		return nil
	}
	var serr error
	select {
	case <-ctx.Done():
	case <-rs.done:
		serr = rs.err // written before done was closed
	}
	a.stopServer(true)
	return serr
}

// prune deletes old request log rows, at start and then hourly.
func (a *App) prune(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		a.pruneOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pruneOnce deletes what is older than the retention setting: the request
// log, the chat log, and delivered or failed messages.
func (a *App) pruneOnce(ctx context.Context) {
	days := a.Settings().LogRetentionDays
	before := a.opts.Now().AddDate(0, 0, -days)
	for _, p := range []struct {
		what  string
		prune func(context.Context, time.Time) (int64, error)
	}{
		{"request log", a.db.PruneRequestLog},
		{"chat log", a.db.PruneInbound},
		{"finished messages", a.db.PruneFinished},
	} {
		n, err := p.prune(ctx, before)
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.Warn("pruning failed", "what", p.what, "err", err)
		case n > 0:
			a.log.Info("pruned", "what", p.what, "rows", n, "older_than_days", days)
		}
	}
}
