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

	tabs      *container.AppTabs
	service   *serviceTab
	auth      *authTab
	channels  *channelsTab
	templates *templatesTab
	sources   *sourcesTab
	logs      *logsTab
	schedules *schedulesTab
	about     *aboutTab
}

// New builds the window over ctrl; Show or ShowAndRun it.
func New(fa fyne.App, ctrl Controller, opts Options) *UI {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	u := &UI{ctrl: ctrl, fa: fa, opts: opts, log: opts.Log, stateKey: binding.NewString()}
	u.ctx, u.cancel = context.WithCancel(context.Background())
	u.win = fa.NewWindow(T(Title))
	u.win.SetIcon(assets.AppIcon)

	u.service = newServiceTab(u)
	u.auth = newAuthTab(u)
	u.channels = newChannelsTab(u)
	u.templates = newTemplatesTab(u)
	u.sources = newSourcesTab(u)
	u.logs = newLogsTab(u)
	u.schedules = newSchedulesTab(u)
	u.about = newAboutTab(u)
	u.tabs = container.NewAppTabs(
		container.NewTabItem(T("服务"), u.service.content),
		container.NewTabItem(T("授权"), u.auth.content),
		container.NewTabItem(T("通道"), u.channels.content),
		container.NewTabItem(T("交互查询"), u.templates.content),
		container.NewTabItem(T("数据源"), u.sources.content),
		container.NewTabItem(T("日志"), u.logs.content),
		container.NewTabItem(T("定时推送"), u.schedules.content),
		container.NewTabItem(T("关于"), u.about.content),
	)
	u.tabs.OnSelected = func(*container.TabItem) { u.refreshSelected() }
	u.win.SetContent(u.tabs)
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

// Window is the main window.
func (u *UI) Window() fyne.Window { return u.win }

// SelectTab shows the tab at index i (0 = 服务 ... 6 = 定时推送, 7 = 关于).
func (u *UI) SelectTab(i int) { u.tabs.SelectIndex(i) }

// Close stops the background refresh; it does not stop the server.
func (u *UI) Close() {
	u.cancel()
	u.wg.Wait()
}

// OnStateChange registers f to run (on the main goroutine) when the server
// starts or stops, here or as the service.
func (u *UI) OnStateChange(f func(v serverView)) { u.onState = append(u.onState, f) }

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
		if n%5 == 0 {
			u.service.loadStats()
		}
		if u.logs.visible() && !u.hidden.Load() {
			u.logs.loadAsync()
		}
	}
}

func (u *UI) refreshAll() {
	u.service.refresh()
	u.auth.refresh()
	u.channels.refresh()
	u.templates.refresh()
	u.sources.refresh()
	u.logs.load()
	u.schedules.refresh()
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
	u.logs.shown.Store(u.tabs.SelectedIndex() == 5)
	switch u.tabs.SelectedIndex() {
	case 0:
		u.service.refresh()
	case 1:
		u.auth.refresh()
	case 2:
		u.channels.refresh()
	case 3:
		u.templates.refresh()
		u.templates.prefix.refresh()
	case 4:
		u.sources.refresh()
	case 5:
		u.logs.load()
		u.logs.retention.refresh()
	case 6:
		u.schedules.refresh()
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

// fieldErrors shows validation messages under the field they belong to.
type fieldErrors struct {
	labels  map[string]*widget.Label
	general *widget.Label
}

func newFieldErrors() *fieldErrors {
	return &fieldErrors{labels: map[string]*widget.Label{}, general: errLabel()}
}

func errLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

// field wraps w with the error label for the given app field name(s).
func (f *fieldErrors) field(w fyne.CanvasObject, names ...string) fyne.CanvasObject {
	l := errLabel()
	for _, n := range names {
		f.labels[n] = l
	}
	return container.NewVBox(w, l)
}

// show clears old messages and puts err next to its field (or at the bottom).
func (f *fieldErrors) show(err error) {
	f.clear()
	if err == nil {
		return
	}
	var e *model.Error
	l := f.general
	if errors.As(err, &e) {
		if fl, ok := f.labels[e.Field]; ok {
			l = fl
		}
	}
	l.SetText(errText(err))
	l.Show()
}

func (f *fieldErrors) clear() {
	for _, l := range f.labels {
		l.SetText("")
		l.Hide()
	}
	f.general.SetText("")
	f.general.Hide()
}

// text returns the message shown for field ("" for the general one).
func (f *fieldErrors) text(field string) string {
	l := f.general
	if field != "" {
		l = f.labels[field]
	}
	if l == nil || !l.Visible() {
		return ""
	}
	return l.Text
}

// info shows a short notice in a dialog.
func (u *UI) info(title, msg string) {
	dialog.ShowInformation(title, msg, u.win)
}

// confirm asks before a destructive action.
func (u *UI) confirm(title, msg string, yes func()) {
	dialog.ShowConfirm(title, msg, func(ok bool) {
		if ok {
			yes()
		}
	}, u.win)
}

// status is a one-line outcome label under a button row.
func statusLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	return l
}

func setStatus(l *widget.Label, err error, ok string) {
	if err != nil {
		l.Importance = widget.DangerImportance
		l.SetText(errText(err))
		return
	}
	l.Importance = widget.SuccessImportance
	l.SetText(ok)
}

// notice is a message from the window itself, shown like a validation error.
func notice(msg string) error { return &model.Error{Code: model.CodeInvalid, Msg: msg} }

// deletion is what a list tab's 删除 button needs; the messages are passed
// translated, question and done with a %s for the name.
type deletion struct {
	name                        string // the selected item; "" when none is
	pick, title, question, done string
	errs                        *fieldErrors
	status                      *widget.Label
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
	u.confirm(d.title, fmt.Sprintf(d.question, d.name), func() {
		if err := d.del(u.ctx, d.name); err != nil {
			d.errs.show(err)
			return
		}
		d.after()
		setStatus(d.status, nil, fmt.Sprintf(d.done, d.name))
	})
}

// selectedName is the name of items[i], or "" when i selects nothing.
func selectedName[T any](items []T, i int, name func(T) string) string {
	if i < 0 || i >= len(items) {
		return ""
	}
	return name(items[i])
}
