package ui

import (
	"fmt"
	"image/color"
	"net"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"botgate/app"
)

var (
	colorRunning = color.NRGBA{0x2e, 0xb8, 0x4c, 0xff}
	colorStopped = color.NRGBA{0x8a, 0x8f, 0x98, 0xff}
)

// serviceTab: state, listen address, start/stop, example URL and counts.
type serviceTab struct {
	u       *UI
	content fyne.CanvasObject

	dot       *canvas.Circle
	state     *widget.Label
	port      *widget.Entry
	lan       *widget.Check
	autoStart *widget.Check
	override  *widget.Label
	start     *widget.Button
	stop      *widget.Button
	example   *widget.Entry
	errs      *fieldErrors
	saved     *widget.Label

	sent, failed, queries, refused *widget.Label
	chart                          *barChart
}

func newServiceTab(u *UI) *serviceTab {
	s := &serviceTab{u: u, errs: newFieldErrors()}
	s.dot = canvas.NewCircle(colorStopped)
	dotBox := container.NewGridWrap(fyne.NewSize(16, 16), s.dot)
	s.state = widget.NewLabelWithStyle(T("已停止"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.start = widget.NewButtonWithIcon(T("启动"), theme.MediaPlayIcon(), func() { s.u.StartServer() })
	s.start.Importance = widget.HighImportance
	s.stop = widget.NewButtonWithIcon(T("停止"), theme.MediaStopIcon(), func() { s.u.StopServer() })
	s.stop.Disable()

	s.port = widget.NewEntry()
	s.port.SetPlaceHolder("7789")
	s.lan = widget.NewCheck(T("允许局域网访问（监听 0.0.0.0，其他电脑可以调用）"), nil)
	s.autoStart = widget.NewCheck(T("自动启动：打开 BotGate 时自动启动服务"), func(on bool) { s.saveAutoStart(on) })
	s.override = widget.NewLabel("")
	s.override.Importance = widget.WarningImportance
	s.override.Hide()
	s.saved = statusLabel()
	save := widget.NewButtonWithIcon(T("保存监听设置"), theme.DocumentSaveIcon(), func() { s.saveListen() })

	s.example = widget.NewEntry()
	copyBtn := widget.NewButtonWithIcon(T("复制"), theme.ContentCopyIcon(), func() {
		s.u.fa.Clipboard().SetContent(s.example.Text)
	})

	s.sent, s.failed, s.queries, s.refused = countLabel(), countLabel(), countLabel(), countLabel()
	s.chart = newBarChart()

	listen := widget.NewForm(
		widget.NewFormItem(T("端口"), s.errs.field(s.port, "listen")),
		widget.NewFormItem("", s.lan),
		widget.NewFormItem("", s.autoStart),
	)
	counts := container.NewGridWithColumns(4,
		countCard(T("今日已发送"), s.sent), countCard(T("今日发送失败"), s.failed),
		countCard(T("今日查询"), s.queries), countCard(T("今日拒绝"), s.refused))
	s.content = container.NewVScroll(container.NewVBox(
		container.NewHBox(container.NewCenter(dotBox), s.state, layout.NewSpacer(), s.start, s.stop),
		s.errs.general,
		widget.NewSeparator(),
		listen,
		container.NewHBox(save),
		s.saved, s.override,
		widget.NewSeparator(),
		widget.NewLabelWithStyle(T("示例地址（把“密码”换成 API 用户的密码）"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewBorder(nil, nil, nil, copyBtn, s.example),
		widget.NewSeparator(),
		counts,
		widget.NewLabel(T("最近 24 小时每小时的消息数")),
		s.chart,
	))
	u.running.AddListener(binding.NewDataListener(s.showState))
	return s
}

func countLabel() *widget.Label {
	return widget.NewLabelWithStyle("0", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
}

func countCard(title string, value *widget.Label) fyne.CanvasObject {
	return widget.NewCard("", "", container.NewVBox(widget.NewLabelWithStyle(title, fyne.TextAlignCenter, fyne.TextStyle{}), value))
}

// showState follows the running binding (called on the main goroutine).
func (s *serviceTab) showState() {
	r, _ := s.u.running.Get()
	addr, _ := s.u.addr.Get()
	if r {
		s.dot.FillColor = colorRunning
		s.state.SetText(T("运行中") + "  http://" + addr + "/")
		s.start.Disable()
		s.stop.Enable()
		s.errs.general.Hide()
	} else {
		s.dot.FillColor = colorStopped
		s.state.SetText(T("已停止"))
		s.start.Enable()
		s.stop.Disable()
	}
	s.dot.Refresh()
	if !r {
		addr = s.u.ctrl.ListenAddr()
	}
	s.example.SetText(app.ExampleURL(addr, s.firstUser()))
}

func (s *serviceTab) firstUser() string {
	us, err := s.u.ctrl.ListUsers(s.u.ctx)
	if err != nil || len(us) == 0 {
		return ""
	}
	return us[0].Name
}

func (s *serviceTab) showErr(err error) { s.errs.show(err) }

// refresh loads the saved settings into the fields.
func (s *serviceTab) refresh() {
	st := s.u.ctrl.Settings()
	host, port, err := net.SplitHostPort(st.Listen)
	if err != nil {
		host, port = "127.0.0.1", "7789"
	}
	s.port.SetText(port)
	s.lan.SetChecked(!app.IsLoopback(net.JoinHostPort(host, port)) && host != "localhost")
	s.autoStart.OnChanged = nil
	s.autoStart.SetChecked(st.AutoStart)
	s.autoStart.OnChanged = func(on bool) { s.saveAutoStart(on) }
	if eff := s.u.ctrl.ListenAddr(); eff != st.Listen {
		s.override.SetText(fmt.Sprintf(T("本次运行由命令行 --listen 指定监听 %s，保存的设置在下次启动时生效"), eff))
		s.override.Show()
	} else {
		s.override.Hide()
	}
	s.showState()
	s.applyStats(s.fetchStats())
}

// listenValue builds the listen address from the port field and the LAN switch.
func (s *serviceTab) listenValue() string {
	host := "127.0.0.1"
	if s.lan.Checked {
		host = "0.0.0.0"
	}
	return net.JoinHostPort(host, strings.TrimSpace(s.port.Text))
}

// saveListen saves the address; a running server moves to it at once.
func (s *serviceTab) saveListen() {
	s.saved.SetText("")
	if _, err := strconv.Atoi(strings.TrimSpace(s.port.Text)); err != nil {
		s.errs.show(&app.Error{Code: app.CodeInvalid, Field: "listen", Msg: T("端口必须是 1 到 65535 之间的数字")})
		return
	}
	listen := s.listenValue()
	if _, err := s.u.ctrl.Import(s.u.ctx, app.ConfigFile{Settings: &app.SettingsPatch{Listen: &listen}}); err != nil {
		s.errs.show(err)
		return
	}
	s.errs.clear()
	msg := T("已保存")
	if r, addr := s.u.ctrl.Running(); r && addr != s.u.ctrl.ListenAddr() {
		s.u.StopServer()
		if err := s.u.StartServer(); err != nil {
			return
		}
		msg = T("已保存，服务已在新地址重新启动")
	}
	setStatus(s.saved, nil, msg)
	s.refresh()
}

func (s *serviceTab) saveAutoStart(on bool) {
	if _, err := s.u.ctrl.Import(s.u.ctx, app.ConfigFile{Settings: &app.SettingsPatch{AutoStart: &on}}); err != nil {
		s.errs.show(err)
	}
}

func (s *serviceTab) fetchStats() *app.Stats {
	st, err := s.u.ctrl.Stats(s.u.ctx)
	if err != nil {
		s.u.log.Warn("reading counts failed", "err", err)
		return nil
	}
	return &st
}

// loadStats is called from the poller goroutine.
func (s *serviceTab) loadStats() {
	st := s.fetchStats()
	fyne.Do(func() { s.applyStats(st) })
}

func (s *serviceTab) applyStats(st *app.Stats) {
	if st == nil {
		return
	}
	s.sent.SetText(strconv.Itoa(st.Sent))
	s.failed.SetText(strconv.Itoa(st.Failed))
	q, r := strconv.Itoa(st.Queries), strconv.Itoa(st.Refused)
	if st.RequestsCapped {
		q, r = q+"+", r+"+"
	}
	s.queries.SetText(q)
	s.refused.SetText(r)
	s.chart.set(st.Hourly[:], st.HourlyStart.Hour())
}
