package app

import (
	"context"
	"errors"
	"time"

	"botgate/app/auth"
	"botgate/app/server"
	"botgate/app/serverlock"
	"botgate/model"
	"botgate/storage"
)

// The HTTP listener, the database lock, the listen-address follower, the
// channel listeners and the pruning live in app/server and app/serverlock; this file wires the App into
// them and keeps the names main, service and ui use.

// ShutdownTimeout bounds how long a stop waits for in-flight requests, the
// channel listeners and the late chat answers, together; the outbox's stop
// grace comes after it.
const ShutdownTimeout = server.ShutdownTimeout

// MaxHeaderBytes bounds the request line and headers (see server.MaxHeaderBytes).
const MaxHeaderBytes = server.MaxHeaderBytes

// ErrServerRunning is wrapped by the error StartServer returns when another
// process already serves the database (errors.Is works on it).
var ErrServerRunning = serverlock.ErrRunning

// ServerInfo describes the server holding a database's lock.
type ServerInfo = serverlock.Info

// LockPath is the lock file that guards dbPath.
func LockPath(dbPath string) string { return serverlock.Path(dbPath) }

// FindServer tells whether a BotGate server (in any process, this one
// included) is running on the database at dbPath, and where it listens.
func FindServer(dbPath string) (ServerInfo, bool, error) { return serverlock.Find(dbPath) }

// runningServer is the HTTP server and what the App runs with it. Guarded by
// App.srvMu.
type runningServer struct {
	srv       *server.Server
	chat      *Chat // answers the webhooks and listeners; waited for at stop
	listeners *server.Listeners
}

// ListenAddr is the address the server binds: --listen if given, else the setting.
func (a *App) ListenAddr() string {
	if a.opts.Listen != "" {
		return a.opts.Listen
	}
	return a.Settings().Listen
}

// StartServer binds the API, starts delivering the outbox and starts the
// listeners of the channels that keep a connection open. It returns once
// the listener is bound (so a port in use is reported at once), with the bound
// address. It refuses to start when another process serves the same database.
func (a *App) StartServer() (string, error) {
	a.srvMu.Lock()
	defer a.srvMu.Unlock()
	if a.server != nil {
		return a.server.srv.Addr(), nil
	}
	if a.opts.Handler == nil {
		return "", errors.New("no HTTP handler wired")
	}
	addr := a.ListenAddr()
	if err := a.checkListen(addr); err != nil {
		return "", err
	}
	// The answerer exists before the handler, which takes it (Answerer), so
	// that the stop waits for the late answers of every webhook.
	ans := a.NewChat(DefaultChatConfig())
	a.setServerChat(ans)
	srv, err := server.Start(server.Config{
		DBPath: a.db.Path(), Now: a.opts.Now, Log: a.log,
		Handler: a.opts.Handler(a),
		Addr:    addr, Want: a.ListenAddr, Check: a.checkListen,
		Tasks: []func(context.Context){
			a.disp.Run,
			func(ctx context.Context) { a.watch(ctx, time.Second) },
			a.retention().Run,
			// Only here: the server holds the database lock, so two
			// BotGates on one database never both run the schedules.
			a.sched.Run,
		},
	})
	if err != nil {
		a.setServerChat(nil)
		return "", err
	}
	a.server = &runningServer{srv: srv, chat: ans, listeners: a.startListeners(ans)}
	a.log.Info("BotGate listening", "addr", srv.Addr(), "auth_mode", a.Settings().AuthMode)
	return srv.Addr(), nil
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

// ListenProblem says why the server does not listen on the saved address
// (for instance "端口 7789 已被占用"), or nil. The server keeps answering on
// its previous address meanwhile.
func (a *App) ListenProblem() error {
	a.srvMu.Lock()
	defer a.srvMu.Unlock()
	if a.server == nil {
		return nil
	}
	return a.server.srv.ListenProblem()
}

// StopServer stops accepting, lets in-flight requests finish, then stops the
// dispatcher and releases the database lock. Queued messages stay in the
// outbox for the next start; the queue stays open (the window can still
// queue a test message, and start the server again).
func (a *App) StopServer() { a.stopServer(false) }

// stopServer is every stop: the window's, Serve's (Ctrl-C, SIGTERM, the
// service manager) and Close's. The order is what makes a clean stop send
// nothing twice: no new request (Shutdown, which lets the ones being
// answered finish), the channel listeners stopped, the chat answers that missed the quick reply queued
// (within what is left of the shutdown budget; later ones are logged as not
// sent, never written), with closeQueue no new message, the dispatcher starts
// no new send and gives those in flight outbox.Config.StopGrace to finish
// and records their outcomes; the caller closes the database after.
func (a *App) stopServer(closeQueue bool) {
	a.srvMu.Lock()
	defer a.srvMu.Unlock()
	rs := a.server
	if rs == nil {
		return
	}
	rs.srv.Stop(func(ctx context.Context) {
		a.stopListeners(ctx, rs.listeners)
		rs.chat.Shutdown(ctx)
		if closeQueue {
			a.queue.Close()
		}
	})
	a.setServerChat(nil)
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
	return true, a.server.srv.Addr()
}

// FindServer is FindServer for this App's database. When this process runs
// the server it answers from memory.
func (a *App) FindServer() (ServerInfo, bool, error) {
	a.srvMu.Lock()
	if a.server != nil {
		info := a.server.srv.Info()
		a.srvMu.Unlock()
		return info, true, nil
	}
	a.srvMu.Unlock()
	return FindServer(a.db.Path())
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
	case <-rs.srv.Done():
		serr = rs.srv.Err() // written before done was closed
	}
	a.stopServer(true)
	return serr
}

// retention is the hourly pruning over this App's database and settings.
func (a *App) retention() server.Retention {
	return server.Retention{DB: a.db, Log: a.log,
		Days: func() int { return a.Settings().LogRetentionDays },
		Now:  func() time.Time { return a.opts.Now() }}
}

// pruneOnce is one pruning pass.
func (a *App) pruneOnce(ctx context.Context) { a.retention().Once(ctx) }

// SavedListen is the listen address saved in the database at dbPath, which is
// where a stopped service will listen when started. It opens only the state
// database (no data sources), and does not create one that is missing.
func SavedListen(ctx context.Context, dbPath string) (string, error) {
	db, err := storage.OpenExisting(ctx, dbPath)
	var missing *storage.MissingError
	if errors.As(err, &missing) {
		return DefaultListen, nil
	}
	if err != nil {
		return "", err
	}
	defer db.Close()
	m, err := db.Settings(ctx)
	if err != nil {
		return "", err
	}
	return settingsFromMap(m).Listen, nil
}
