// Package app is BotGate's core: settings, authorization, templates, the
// outbox and its dispatcher, channels and data sources. The HTTP handlers
// (apiserver) and the window (ui) call it; it knows neither.
package app

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"botgate/app/auth"
	"botgate/app/channel"
	"botgate/app/config"
	"botgate/app/datasource"
	"botgate/app/outbox"
	"botgate/app/schedule"
	"botgate/app/server"
	"botgate/app/sqltmpl"
	"botgate/model"
	"botgate/storage"
)

// DefaultSource is the name of the embedded SQLite data file beside the state DB.
const DefaultSource = config.DefaultSource

// Options configure an App. Zero values get sensible defaults.
type Options struct {
	DBPath     string
	MustExist  bool   // commands that only read: a missing database is a *storage.MissingError, not created
	Listen     string // overrides the saved listen address (command line --listen)
	Now        func() time.Time
	Log        *slog.Logger
	HTTPClient *http.Client    // for connectors
	Dispatch   outbox.Config   // retry tuning (tests shorten it)
	Schedule   schedule.Config // the scheduler's clock (tests pass a fake one); Now defaults to Options.Now
	Handler    HandlerFactory  // builds the HTTP API; wired by main
	Service    ServiceControl  // the system service of this database (the window); nil: none
	// ExtraChannelTypes are connector types besides the built-in ones, found
	// first (tests register a fake platform here).
	ExtraChannelTypes []channel.Type
}

// HandlerFactory builds the HTTP handler for a running App (apiserver.New).
type HandlerFactory func(*App) http.Handler

// App is one BotGate instance over one state database.
type App struct {
	db    *storage.DB
	opts  Options
	log   *slog.Logger
	auth  *auth.Authenticator
	queue *outbox.Queue
	disp  *outbox.Dispatcher
	sched *schedule.Scheduler // run by the server, so only by the process holding the database lock
	reqs  *requestLog

	reloadMu sync.Mutex
	state    atomic.Pointer[state]

	srvMu  sync.Mutex
	server *runningServer

	chatMu  sync.Mutex
	srvChat *Chat // the running server's answerer, see Answerer

	listeners atomic.Pointer[server.Listeners] // the running server's; nil when stopped
}

// state is an immutable snapshot of the configuration; a reload swaps it.
type state struct {
	rev       int64
	settings  config.Settings
	users     map[string]model.User
	templates map[string]*compiledTemplate
	channels  map[string]*liveChannel
	sources   map[string]*liveSource
	authSQL   *sqltmpl.Template
}

type compiledTemplate struct {
	model.Template
	stmt *sqltmpl.Template
}

type liveChannel struct {
	cfg     model.Channel
	ch      channel.Channel
	limiter *rate.Limiter
	err     error // configuration error (Chinese): sends are refused
}

type liveSource struct {
	cfg model.DataSource
	src datasource.Source
	err error
}

// Open opens the state database and loads the configuration.
func Open(ctx context.Context, opts Options) (*App, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.Dispatch.Now == nil {
		opts.Dispatch.Now = opts.Now
	}
	if opts.Dispatch.Log == nil {
		opts.Dispatch.Log = opts.Log
	}
	open := storage.Open
	if opts.MustExist {
		open = storage.OpenExisting
	}
	db, err := open(ctx, opts.DBPath)
	if err != nil {
		return nil, err
	}
	a := &App{db: db, opts: opts, log: opts.Log, auth: auth.New(opts.Now)}
	a.reqs = newRequestLog(db, opts.Log)
	if err := a.Reload(ctx); err != nil {
		db.Close()
		return nil, err
	}
	a.disp = outbox.NewDispatcher(db, a.route, opts.Dispatch)
	a.queue = outbox.NewQueue(db, a.disp.Handoff)
	a.sched = a.newScheduler()
	return a, nil
}

// Close stops the server if running (the same stop as Serve's) and
// releases everything.
func (a *App) Close() error {
	a.stopServer(true)
	a.queue.Close() // no server was running: the queue is still open
	a.reqs.close()
	st := a.state.Load()
	for _, s := range st.sources {
		if s.src != nil {
			s.src.Close()
		}
	}
	return a.db.Close()
}

// DB exposes the state database to the wiring code (GUI log views, tests).
func (a *App) DB() *storage.DB { return a.db }

// DataPath is the embedded SQLite data file used by the default data source.
func (a *App) DataPath() string {
	return filepath.Join(filepath.Dir(a.db.Path()), "data.db")
}

// Settings returns the current settings.
func (a *App) Settings() config.Settings { return a.state.Load().settings }

// Reload re-reads the configuration when another writer (config import, the
// GUI, another process) changed it. Unchanged channels and data sources are
// kept open; removed or changed ones are closed.
func (a *App) Reload(ctx context.Context) error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	rev, err := a.db.Revision(ctx)
	if err != nil {
		return err
	}
	old := a.state.Load()
	if old != nil && old.rev == rev {
		return nil
	}
	st, err := a.load(ctx, rev, old)
	if err != nil {
		return err
	}
	a.state.Store(st)
	a.auth.Invalidate()
	a.syncListeners(st)
	if a.sched != nil {
		a.sched.Kick() // a schedule may have been added or changed
	}
	if old != nil {
		for name, s := range old.sources {
			if ns := st.sources[name]; (ns == nil || ns.src != s.src) && s.src != nil {
				s.src.Close()
			}
		}
	}
	return nil
}

func (a *App) load(ctx context.Context, rev int64, old *state) (*state, error) {
	if old == nil {
		old = &state{}
	}
	cur, err := a.current(ctx)
	if err != nil {
		return nil, err
	}
	st := &state{rev: rev, settings: cur.Settings, users: cur.Users,
		templates: map[string]*compiledTemplate{}, channels: map[string]*liveChannel{}, sources: map[string]*liveSource{}}
	// The built-in source first: an added one of its name (a hand edit) wins, as a save would refuse it.
	dss := append([]model.DataSource{{Name: DefaultSource, Driver: "sqlite", DSN: a.DataPath()}}, slices.Collect(maps.Values(cur.DataSources))...)
	for _, d := range dss {
		if o := old.sources[d.Name]; o != nil && o.cfg == d && o.err == nil {
			st.sources[d.Name] = o
			continue
		}
		src, err := a.openSource(ctx, d)
		st.sources[d.Name] = &liveSource{cfg: d, src: src, err: err}
		if err != nil {
			a.log.Warn("data source unavailable", "name", d.Name, "driver", d.Driver, "err", err)
		}
	}
	for _, c := range cur.Channels {
		if o := old.channels[c.Name]; o != nil && reflect.DeepEqual(o.cfg, c) {
			st.channels[c.Name] = o
			continue
		}
		st.channels[c.Name] = a.buildChannel(c)
	}
	for _, t := range cur.Templates {
		driver := ""
		if ls := st.sources[cmp.Or(t.DataSource, DefaultSource)]; ls != nil {
			driver = ls.cfg.Driver
		}
		stmt, e := config.CompileTemplate(t.Kind, driver, t.SQL)
		if e != nil {
			// Saved templates were validated; this happens after a hand edit, a
			// template saved before a check was added, or a data source whose
			// driver changed. Without a statement it can never run.
			a.log.Warn("template fails the template checks; it is disabled", "keyword", t.Keyword, "err", e)
			t.Enabled = false
		}
		st.templates[t.Keyword] = &compiledTemplate{Template: t, stmt: stmt}
	}
	if st.settings.AuthMode == auth.ModeSQL && st.settings.AuthSQL != "" {
		st.authSQL, _ = config.CompileAuth(st.settings.AuthSQL)
	}
	return st, nil
}

// openSource opens a data source with the driver registered for it; the state
// database is passed so that no data source may point at it.
func (a *App) openSource(ctx context.Context, d model.DataSource) (datasource.Source, error) {
	return datasource.Open(ctx, d.Driver, d.DSN, a.db.Path())
}

// route resolves a channel name for the dispatcher.
func (a *App) route(name string) (outbox.Route, error) {
	lc := a.state.Load().channels[name]
	switch {
	case lc == nil:
		return outbox.Route{}, channel.Transientf(nil, "通道 %q 不存在，请在“通道”中添加或恢复它", name)
	case !lc.cfg.Enabled:
		return outbox.Route{}, channel.Transientf(nil, "通道 %q 已停用，启用后消息会继续发送", name)
	case lc.err != nil:
		return outbox.Route{}, channel.Transientf(lc.err, "通道 %q 配置有误，修正后消息会继续发送", name)
	}
	r := outbox.Route{Channel: lc.ch}
	if lc.limiter != nil {
		r.Limiter = lc.limiter
	}
	return r, nil
}

// watch reloads the configuration when another process changes it.
func (a *App) watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.Reload(ctx); err != nil && !errors.Is(err, context.Canceled) {
				a.log.Error("reloading configuration failed", "err", err)
			}
		}
	}
}
