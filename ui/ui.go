// Package ui is BotGate's window and tray: tabs for the service,
// authorization, channels, templates, data sources, logs and about. It talks
// to BotGate only through Controller; background work reaches widgets through
// data bindings or fyne.Do.
package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"botgate/assets"
	"botgate/model"
)

// Title is the window title.
const Title = "BotGate 机器人 API 服务"

// Options configure the window.
type Options struct {
	Version string
	Log     *slog.Logger
	// Poll is how often the service state and counts are refreshed (tests shorten it).
	Poll time.Duration
	// inline runs background work at once on the caller's goroutine. Fyne's
	// test driver has no main loop (fyne.Do runs on the calling goroutine), so
	// tests that start actions set it to keep widgets on one goroutine.
	inline bool
}

// UI is the main window and its tabs.
type UI struct {
	ctrl Controller
	fa   fyne.App
	win  fyne.Window
	opts Options
	log  *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// actions counts service actions under way (tests wait for them).
	actions sync.WaitGroup
	// hidden: the window is closed to the tray. The state is then read every
	// fifth tick only (the tray icon still follows it): on Linux each read
	// runs systemctl or an init script.
	hidden atomic.Bool

	// state is where the server runs; stateKey changes with it so that
	// widgets (the 服务 tab, the tray) follow, and a poller keeps it current.
	state    stateBox
	stateKey binding.String
	// onState hooks (the tray) run on the main goroutine when the state changes.
	onState []func(v serverView)
	// tabListeners are the tabs' own state listeners, dropped when the tabs
	// are built again (a change of language).
	tabListeners []binding.DataListener

	// mu guards the tab pointers the poller reads off the main goroutine.
	mu        sync.Mutex
	tabs      *container.AppTabs
	pages     []page
	service   *serviceTab
	auth      *authTab
	channels  *channelsTab
	templates *templatesTab
	sources   *sourcesTab
	logs      *logsTab
	schedules *schedulesTab
	about     *aboutTab
	guide     *guide // the first-run guide while it is open
}

// page is one tab: its title, content, what to reload when it is shown, and
// the name of its screenshot (docs/screenshots/<shot>.png).
type page struct {
	title   string
	content fyne.CanvasObject
	refresh func()
	shot    string
}

// New builds the window over ctrl; Show or ShowAndRun it.
func New(fa fyne.App, ctrl Controller, opts Options) *UI {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	languageFromPrefs(fa)
	u := &UI{ctrl: ctrl, fa: fa, opts: opts, log: opts.Log, stateKey: binding.NewString()}
	u.ctx, u.cancel = context.WithCancel(context.Background())
	u.win = fa.NewWindow(T(Title))
	u.win.SetIcon(assets.AppIcon)
	u.build()
	u.win.Resize(fyne.NewSize(1024, 720))

	u.stateKey.AddListener(binding.NewDataListener(func() {
		v := u.view()
		for _, f := range u.onState {
			f(v)
		}
	}))
	u.syncState()
	u.refreshAll()
	u.wg.Add(1)
	go u.poll()
	return u
}

// build makes the tabs in the current language and shows them.
func (u *UI) build() {
	for _, l := range u.tabListeners {
		u.stateKey.RemoveListener(l)
	}
	u.tabListeners = nil
	service, auth, channels := newServiceTab(u), newAuthTab(u), newChannelsTab(u)
	templates, sources, logs, about := newTemplatesTab(u), newSourcesTab(u), newLogsTab(u), newAboutTab(u)
	schedules := newSchedulesTab(u)
	pages := []page{
		{T("服务"), service.content, service.refresh, "service"},
		{T("授权"), auth.content, auth.refresh, "auth"},
		{T("通道"), channels.content, channels.refresh, "channels"},
		{T("交互查询"), templates.content, func() { templates.refresh(); templates.prefix.refresh() }, "templates"},
		{T("数据源"), sources.content, sources.refresh, "datasources"},
		// One line per further tab, here, in the order the window shows them.
		{T("日志"), logs.content, func() { logs.load(); logs.retention.refresh() }, "logs"},
		{T("定时推送"), schedules.content, schedules.refresh, "schedules"},
		{T("关于"), about.content, nil, "about"},
	}
	tabs := container.NewAppTabs()
	for _, p := range pages {
		tabs.Append(container.NewTabItem(p.title, p.content))
	}
	u.mu.Lock()
	u.service, u.auth, u.channels, u.templates, u.sources, u.logs, u.about = service, auth, channels, templates, sources, logs, about
	u.schedules = schedules
	u.tabs, u.pages = tabs, pages
	u.mu.Unlock()
	tabs.OnSelected = func(*container.TabItem) { u.refreshSelected() }
	u.win.SetContent(tabs)
}

// listen follows the server state for a tab (on the main goroutine).
func (u *UI) listen(f func()) {
	l := binding.NewDataListener(f)
	u.tabListeners = append(u.tabListeners, l)
	u.stateKey.AddListener(l)
}

// Window is the main window.
func (u *UI) Window() fyne.Window { return u.win }

// SelectTab shows the tab at index i (0 = 服务, in the order of build).
func (u *UI) SelectTab(i int) { u.tabs.SelectIndex(i) }

// open shows the tab whose content is content.
func (u *UI) open(content fyne.CanvasObject) {
	for i, p := range u.pages {
		if p.content == content {
			u.tabs.SelectIndex(i)
		}
	}
}

// Close stops the background refresh; it does not stop the server.
func (u *UI) Close() {
	u.cancel()
	u.wg.Wait()
}

// OnStateChange registers f to run (on the main goroutine) when the server
// starts or stops, here or as the service.
func (u *UI) OnStateChange(f func(v serverView)) { u.onState = append(u.onState, f) }

// SetLanguage switches the window to l (LangChinese or LangEnglish), keeps
// the choice in the preferences, and builds the tabs again in it.
func (u *UI) SetLanguage(l string) {
	if l == Language() {
		return
	}
	u.fa.Preferences().SetString(prefLanguage, l)
	setLanguage(l)
	sel := u.tabs.SelectedIndex()
	u.win.SetTitle(T(Title))
	u.build()
	u.refreshAll()
	u.tabs.SelectIndex(sel)
	v := u.view()
	for _, f := range u.onState {
		f(v) // the tray's words
	}
}

// poll keeps state and counts current; the server can also be stopped from
// elsewhere (a failed listener), so the window does not rely on its own clicks.
func (u *UI) poll() {
	defer u.wg.Done()
	t := time.NewTicker(u.opts.Poll)
	defer t.Stop()
	n := 0
	for {
		select {
		case <-u.ctx.Done():
			return
		case <-t.C:
		}
		n++
		if !u.hidden.Load() || n%5 == 0 {
			u.pollState()
		}
		u.mu.Lock()
		service, logs := u.service, u.logs
		u.mu.Unlock()
		// Hidden in the tray nobody sees the counts: not reading them (25
		// queries over the outbox) keeps the tray near idle; showing the
		// window reads them at once.
		if n%5 == 0 && !u.hidden.Load() {
			service.loadStats()
		}
		if logs.visible() && !u.hidden.Load() {
			logs.loadAsync()
		}
	}
}

func (u *UI) refreshAll() {
	for _, p := range u.pages {
		if p.refresh != nil {
			p.refresh()
		}
	}
	u.loadSettingRows()
}

// loadSettingRows shows the saved chat prefix and log retention. Not part of
// the tabs' refresh, which runs after every save in them and on each poll,
// and would overwrite what the admin is typing.
func (u *UI) loadSettingRows() {
	u.templates.prefix.refresh()
	u.logs.retention.refresh()
	u.schedules.admin.refresh()
}

func (u *UI) refreshSelected() {
	i := u.tabs.SelectedIndex()
	u.logs.shown.Store(i >= 0 && i < len(u.pages) && u.pages[i].content == u.logs.content)
	if i >= 0 && i < len(u.pages) && u.pages[i].refresh != nil {
		u.pages[i].refresh()
	}
	u.relayout()
}

// relayout lays out the tab shown and any dialog again. Fyne measures a
// wrapped label only when its container is laid out, so a message that
// appears, grows or goes would otherwise be drawn at its old size (a
// 测试连接 result cut to a fragment until the window was resized).
func (u *UI) relayout() {
	if u.tabs != nil {
		if it := u.tabs.Selected(); it != nil {
			it.Content.Refresh()
		}
	}
	if top := u.win.Canvas().Overlays().Top(); top != nil {
		top.Refresh()
	}
}

// background runs work off the main goroutine (network checks, queries with
// timeouts) and hands the result to done on the main goroutine.
func (u *UI) background(work func(ctx context.Context) error, done func(error)) {
	if u.opts.inline {
		done(work(u.ctx))
		return
	}
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		err := work(u.ctx)
		fyne.Do(func() { done(err) })
	}()
}

// errText is the Chinese message an admin may see for err.
func errText(err error) string {
	if err == nil {
		return ""
	}
	var e *model.Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return model.ErrorOf(err).Msg
}

// info shows a short notice in a dialog.
func (u *UI) info(title, msg string) {
	dialog.ShowInformation(title, msg, u.win)
}

// confirm asks before an action that cannot be undone; the buttons say
// 取消 and what the action is (删除), never a bare yes or no.
func (u *UI) confirm(title, msg, action string, yes func()) {
	d := dialog.NewCustomConfirm(title, action, T("取消"), widget.NewLabel(msg), func(ok bool) {
		if ok {
			yes()
		}
	}, u.win)
	d.Show()
}

// deletion is what a list tab's 删除 button needs; the messages are passed
// translated, question and done with a %s for the name.
type deletion struct {
	name                        string // the selected item; "" when none is
	pick, title, question, done string
	errs                        *fieldErrors
	del                         func(ctx context.Context, name string) error
	after                       func() // clear the form, reload the list
}

// deleteSelected refuses without a selection, asks, deletes, then runs after
// and reports; a failure shows in the form's error label.
func (u *UI) deleteSelected(d deletion) {
	if d.name == "" {
		d.errs.show(notice(d.pick))
		return
	}
	u.confirm(d.title, fmt.Sprintf(d.question, d.name), T("删除"), func() {
		if err := d.del(u.ctx, d.name); err != nil {
			d.errs.show(err)
			return
		}
		d.after()
		d.errs.ok(fmt.Sprintf(d.done, d.name))
	})
}

// selectedName is the name of items[i], or "" when i selects nothing.
func selectedName[T any](items []T, i int, name func(T) string) string {
	if i < 0 || i >= len(items) {
		return ""
	}
	return name(items[i])
}
