// Package server runs BotGate's HTTP listener and the background work that
// goes with it: the database lock (one server per database), the move to a
// new listen address when the setting changes, the channel listeners, the
// hourly pruning, and the stop in the order that sends nothing twice. It
// knows neither the outbox nor the chat answerer: app hands it the handler,
// the background tasks and what to drain at stop.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"botgate/app/serverlock"
)

// ShutdownTimeout bounds how long a stop waits for in-flight requests, the
// listeners and the late chat answers, together.
const ShutdownTimeout = 10 * time.Second

// ListenPoll is how often the running server checks whether the saved listen
// address changed. It only reads the in-memory settings, so it is cheap; with
// the 1 s configuration watch a change takes effect within 1.5 s.
const ListenPoll = 500 * time.Millisecond

// MaxHeaderBytes bounds the request line and headers. Past it net/http
// answers a plain-text 431 before any handler runs, so it leaves room for
// what BotGate should answer itself: a QQAP GET carries the message in its
// URL, and the longest allowed content (MaxContentBytes of Chinese) is 60 KB
// percent-encoded; it may carry images too (image=base64://…), and the
// 10 MiB of decoded bytes a message may have are ~14.2 MiB of percent-encoded
// base64. So the limit for a GET is the message's own (errcode 4001 from
// app.Send), as for a POST (apiserver.MaxSendBody), not this one. The old
// 64 KB gave a slightly over-long message a plain 431 instead of errcode
// 4005; 256 KB, an image over ~190 KB.
const MaxHeaderBytes = 16 << 20

// Config is what Start needs.
type Config struct {
	DBPath  string // the state database the lock guards
	Now     func() time.Time
	Log     *slog.Logger
	Handler http.Handler
	// Addr is the address to bind now; Want is the configured address, read
	// every Poll (0: ListenPoll) to follow a change. Check refuses an address
	// (malformed, or the LAN without authorization) before any bind.
	Addr  string
	Want  func() string
	Check func(addr string) error
	Poll  time.Duration
	// Tasks run until the server's context ends: the dispatcher, the
	// configuration watch, the pruning, the scheduled pushes (which must
	// run only under the lock). Stop cancels them after the drain.
	Tasks []func(ctx context.Context)
}

// Server is a running HTTP listener with its lock and background tasks.
type Server struct {
	cfg    Config
	lock   *serverlock.Lock
	srv    *http.Server
	cancel context.CancelFunc
	tasks  sync.WaitGroup // cfg.Tasks and the listen-address follower

	mu        sync.Mutex // guards the fields below
	ln        *servedListener
	addr      string // bound address of ln
	want      string // configured address ln was bound for; a rebind compares against it
	listenErr error  // why the configured address could not be taken (old one still served)
	stopping  bool   // Stop began: no more rebinds

	serving  sync.WaitGroup // one srv.Serve per listener, old ones included
	done     chan struct{}  // closed when the active listener fails unexpectedly
	failOnce sync.Once
	err      error // set before done is closed; read only after <-done
}

// servedListener marks a listener closed on purpose by a rebind, so that its
// Serve returning is not taken for a failure.
type servedListener struct {
	net.Listener
	retired atomic.Bool
}

// Start takes the database lock, binds cfg.Addr and serves, and starts the
// tasks. It returns once the listener is bound, so a port in use is reported
// at once. It refuses to start when another process serves the same database.
func Start(cfg Config) (*Server, error) {
	if cfg.Handler == nil {
		return nil, errors.New("no HTTP handler wired")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Poll <= 0 {
		cfg.Poll = ListenPoll
	}
	// The lock comes before the bind: a second server on the same database
	// would otherwise report the port in use, which hides the real cause.
	lock, err := serverlock.Acquire(cfg.DBPath, cfg.Now())
	if err != nil {
		return nil, err
	}
	ln, err := Listen(cfg.Addr)
	if err != nil {
		lock.Release()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, lock: lock, want: cfg.Addr, cancel: cancel, done: make(chan struct{})}
	s.srv = &http.Server{
		Handler:           cfg.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
	s.mu.Lock()
	s.serveOn(ln)
	s.mu.Unlock()
	if err := lock.SetAddr(s.Addr()); err != nil {
		cfg.Log.Warn("could not record the listen address in the lock file", "err", err)
	}
	for _, task := range cfg.Tasks {
		s.tasks.Add(1)
		go func() { defer s.tasks.Done(); task(ctx) }()
	}
	s.tasks.Add(1)
	go func() { defer s.tasks.Done(); s.follow(ctx) }()
	return s, nil
}

// Addr is the bound address.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Configured is the configured address the listener was bound for.
func (s *Server) Configured() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.want
}

// ListenProblem says why the server does not listen on the configured
// address (for instance "端口 7789 已被占用"), or nil. The server keeps
// answering on its previous address meanwhile.
func (s *Server) ListenProblem() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listenErr
}

// Info is what the lock file says about this server.
func (s *Server) Info() serverlock.Info { return s.lock.Info() }

// Done is closed when the server stopped listening by itself; Err says why.
func (s *Server) Done() <-chan struct{} { return s.done }

// Err is why the server failed; read it only after Done is closed.
func (s *Server) Err() error { return s.err }

func (s *Server) fail(err error) {
	s.failOnce.Do(func() { s.err = err; close(s.done) })
}

// serveOn starts serving ln and makes it the active listener. Called with mu held.
func (s *Server) serveOn(ln net.Listener) {
	sl := &servedListener{Listener: ln}
	s.ln, s.addr = sl, ln.Addr().String()
	s.serving.Add(1)
	go func() {
		defer s.serving.Done()
		err := s.srv.Serve(sl)
		if err == nil || errors.Is(err, http.ErrServerClosed) || sl.retired.Load() {
			return
		}
		s.cfg.Log.Error("HTTP server stopped", "err", err)
		s.fail(err)
	}()
}

// Stop stops accepting and lets in-flight requests finish, then calls drain
// with what is left of the ShutdownTimeout budget (app stops the listeners,
// waits for late chat answers and closes the queue there), then cancels the
// tasks and waits for them (the dispatcher returns once the sends in flight
// are recorded), and releases the database lock last.
func (s *Server) Stop(drain func(ctx context.Context)) {
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	if err := s.srv.Shutdown(ctx); err != nil {
		s.cfg.Log.Warn("HTTP shutdown timed out; closing connections", "err", err)
		s.srv.Close()
	}
	s.serving.Wait()
	if drain != nil {
		drain(ctx)
	}
	s.cancel()
	s.tasks.Wait()
	s.lock.Release()
}
