package ui

import (
	"context"
	"fmt"
	"image/color"
	"net"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"botgate/app"
	"botgate/app/config"
	"botgate/model"
)

var (
	colorRunning  = color.NRGBA{0x2e, 0xb8, 0x4c, 0xff}
	colorStopped  = color.NRGBA{0x8a, 0x8f, 0x98, 0xff}
	colorStarting = color.NRGBA{0xf0, 0xa0, 0x20, 0xff}
	colorOther    = color.NRGBA{0x3b, 0x82, 0xf6, 0xff}
)

// ServiceController is what the 服务 tab calls: the server and the system
// service, the listen settings, the counts, and the first user for the
// example address.
type ServiceController interface {
	ServerController
	SystemServiceController
	SettingsController
	Stats(ctx context.Context) (app.Stats, error)
	ListUsers(ctx context.Context) ([]config.User, error)
}

var _ ServiceController = (*app.App)(nil)

// serviceTab: state, listen address, start/stop, example URL and counts.
type serviceTab struct {
	u       *UI
	ctrl    ServiceController
	content fyne.CanvasObject

	dot       *canvas.Circle
	state     *widget.Label
	port      *widget.Entry
	lan       *widget.Check
	autoStart *widget.Check
	boot      *widget.Check // 开机自动启动: the system service is installed
	svcNote   *widget.Label // service name and log, or why the manager could not be asked
	override  *widget.Label
	start     *widget.Button
	stop      *widget.Button
	example   *widget.Entry
	copyBtn   *widget.Button
	errs      *fieldErrors
	saved     *widget.Label
	noUsers   *fyne.Container // the first-run hint: no API user, every call refused

	sent, failed, queries, refused *widget.Label
	chart                          *barChart
}

func newServiceTab(u *UI) *serviceTab {
	s := &serviceTab{u: u, ctrl: u.ctrl, errs: newFieldErrors(u)}
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
	s.boot = widget.NewCheck(T("开机自动启动（安装为系统服务：开机即运行，不用登录，关闭窗口也不停止）"), nil)
	s.boot.OnChanged = s.setBoot
	s.svcNote = widget.NewLabel("")
	s.svcNote.Wrapping = fyne.TextWrapWord
	s.svcNote.Hide()
	if !s.ctrl.HasService() {
		s.boot.Hide()
	}
	s.override = widget.NewLabel("")
	s.override.Importance = widget.WarningImportance
	s.override.Hide()
	s.saved = statusLabel()
	s.errs.status = s.saved
	save := widget.NewButtonWithIcon(T("保存监听设置"), theme.DocumentSaveIcon(), func() { s.saveListen() })
	unsaved := s.errs.track(func() string { return strings.TrimSpace(s.port.Text) + "|" + strconv.FormatBool(s.lan.Checked) })
	s.errs.watch(s.lan)
	hint := widget.NewLabel(T("还没有 API 用户：ERP 的每次调用都会被拒绝（errcode 4010）。用首次使用向导几步就能设置好用户、通道和第一个模板。"))
	hint.Wrapping = fyne.TextWrapWord
	hint.Importance = widget.WarningImportance
	s.noUsers = container.NewBorder(nil, nil, nil, widget.NewButtonWithIcon(T("首次使用向导"), theme.HelpIcon(), u.ShowGuide), hint)
	s.noUsers.Hide()

	s.example = widget.NewEntry()
	s.copyBtn = widget.NewButtonWithIcon(T("复制"), theme.ContentCopyIcon(), func() {
		s.u.fa.Clipboard().SetContent(s.example.Text)
	})

	s.sent, s.failed, s.queries, s.refused = countLabel(), countLabel(), countLabel(), countLabel()
	s.chart = newBarChart()

	listen := widget.NewForm(
		widget.NewFormItem(T("端口"), s.errs.field(s.port, "listen")),
		widget.NewFormItem("", s.lan),
		widget.NewFormItem("", s.autoStart),
		widget.NewFormItem("", s.boot),
		widget.NewFormItem("", s.svcNote),
	)
	counts := container.NewGridWithColumns(4,
		countCard(T("今日已发送"), s.sent), countCard(T("今日发送失败"), s.failed),
		countCard(T("今日查询"), s.queries), countCard(T("今日拒绝"), s.refused))
	guideBtn := widget.NewButtonWithIcon(T("首次使用向导"), theme.HelpIcon(), u.ShowGuide)
	s.content = scrollPage(container.NewVBox(
		container.NewHBox(container.NewCenter(dotBox), s.state, layout.NewSpacer(), s.start, s.stop),
		s.errs.general,
		s.noUsers,
		widget.NewSeparator(),
		listen,
		container.NewHBox(save, unsaved),
		s.saved, s.override,
		widget.NewSeparator(),
		heading(T("示例地址（把“密码”换成 API 用户的密码）")),
		container.NewBorder(nil, nil, nil, s.copyBtn, s.example),
		widget.NewSeparator(),
		counts,
		widget.NewLabel(T("最近 24 小时每小时的消息数")),
		s.chart,
		widget.NewSeparator(),
		container.NewBorder(nil, nil, guideBtn, nil, helpLabel(T("一步步设置 API 用户、通道、数据源和第一个模板"))),
	))
	u.listen(s.showState)
	return s
}

func countLabel() *widget.Label {
	return widget.NewLabelWithStyle("0", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
}

func countCard(title string, value *widget.Label) fyne.CanvasObject {
	return widget.NewCard("", "", container.NewVBox(widget.NewLabelWithStyle(title, fyne.TextAlignCenter, fyne.TextStyle{}), value))
}

// showState follows the state binding (called on the main goroutine).
func (s *serviceTab) showState() {
	v := s.u.view()
	dot, text := colorStopped, T("已停止")
	switch v.where {
	case here:
		dot, text = colorRunning, T("运行中")+"  http://"+v.addr+"/"
	case asService:
		dot, text = colorRunning, T("以系统服务运行")+"  http://"+v.addr+"/"
	case serviceStarting:
		dot, text = colorStarting, T("系统服务正在启动…")
	case elsewhere:
		dot, text = colorOther, elsewhereText(v)
	default:
		if v.installed {
			text = T("已停止（已安装为系统服务，点“启动”由系统服务运行）")
		}
	}
	if v.busy != "" {
		dot, text = colorStarting, v.busy
	}
	s.dot.FillColor = dot
	s.dot.Refresh()
	s.state.SetText(text)
	enable(s.start, v.busy == "" && v.where == stopped)
	enable(s.stop, v.busy == "" && v.stoppable())
	if v.running() {
		// A start that failed (the port was taken) is history once it runs.
		s.errs.clear()
	}

	// The switch shows whether the service is installed; setting it must not
	// install or uninstall anything. While an action runs it keeps the
	// position the admin gave it; when the manager cannot be asked it is off
	// limits (its position would be a guess).
	if v.busy == "" {
		s.boot.OnChanged = nil
		s.boot.SetChecked(v.installed)
		s.boot.OnChanged = s.setBoot
	}
	enable(s.boot, v.busy == "" && v.svcErr == "")
	// With the service installed the system starts BotGate at boot; starting
	// it again when the window opens does not apply.
	enable(s.autoStart, !v.installed)
	switch {
	case v.svcErr != "":
		s.svcNote.SetText(T("无法读取系统服务的状态：") + v.svcErr)
		s.svcNote.Show()
	case v.installed:
		s.svcNote.SetText(fmt.Sprintf(T("系统服务 %s 运行这个数据库；日志 %s"), s.ctrl.ServiceName(), s.ctrl.ServiceLogPath()))
		s.svcNote.Show()
	default:
		s.svcNote.Hide()
	}

	addr := v.addr
	if addr == "" {
		addr = s.ctrl.ListenAddr()
	}
	user := s.firstUser()
	s.example.SetText(app.ExampleURL(addr, user))
	if user == "" && s.ctrl.Settings().AuthMode == "users" {
		s.noUsers.Show()
	} else {
		s.noUsers.Hide()
	}
}

func enable(w fyne.Disableable, on bool) {
	if on {
		w.Enable()
	} else {
		w.Disable()
	}
}

// setBoot installs or uninstalls the system service. What runs keeps running:
// a server started in the window moves into the service, and a running service
// moves back into the window when it is uninstalled.
func (s *serviceTab) setBoot(on bool) {
	v := s.u.readState() // not the last poll: act on what is true now
	if on == v.installed || v.busy != "" {
		return
	}
	if on {
		wasHere := v.where == here
		s.u.serviceAction(T("正在安装系统服务…"), func(ctx context.Context) error {
			if wasHere {
				s.ctrl.StopServer() // the service needs the database lock
			}
			err := s.ctrl.InstallService(ctx, wasHere)
			if err != nil && wasHere {
				if _, e := s.ctrl.StartServer(); e != nil {
					s.u.log.Warn("restarting the server in the window failed", "err", e)
				}
			}
			return err
		}, func(err error) {
			if err == nil {
				s.errs.ok(T("已安装为系统服务，开机时自动启动"))
			}
		})
		return
	}
	wasService := v.stoppable()
	s.u.serviceAction(T("正在卸载系统服务…"), func(ctx context.Context) error {
		if err := s.ctrl.UninstallService(ctx); err != nil {
			return err
		}
		if wasService {
			_, err := s.ctrl.StartServer()
			return err
		}
		return nil
	}, func(err error) {
		switch {
		case err == nil && wasService:
			s.errs.ok(T("已卸载系统服务；服务改在本窗口中运行，关闭 BotGate 后停止"))
		case err == nil:
			s.errs.ok(T("已卸载系统服务"))
		}
	})
}

func (s *serviceTab) firstUser() string {
	us, err := s.ctrl.ListUsers(s.u.ctx)
	if err != nil || len(us) == 0 {
		return ""
	}
	return us[0].Name
}

func (s *serviceTab) showErr(err error) { s.errs.show(err) }

// refresh loads the saved settings into the fields.
func (s *serviceTab) refresh() {
	st := s.ctrl.Settings()
	host, port, err := net.SplitHostPort(st.Listen)
	if err != nil {
		host, port = "127.0.0.1", "7789"
	}
	s.errs.filling(func() {
		s.port.SetText(port)
		s.lan.SetChecked(!config.IsLoopback(net.JoinHostPort(host, port)) && host != "localhost")
	})
	s.autoStart.OnChanged = nil
	s.autoStart.SetChecked(st.AutoStart)
	s.autoStart.OnChanged = func(on bool) { s.saveAutoStart(on) }
	if eff := s.ctrl.ListenAddr(); eff != st.Listen {
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
	if _, err := strconv.Atoi(strings.TrimSpace(s.port.Text)); err != nil {
		s.errs.show(&model.Error{Code: model.CodeInvalid, Field: "listen", Msg: T("端口必须是 1 到 65535 之间的数字")})
		return
	}
	listen := s.listenValue()
	if _, err := s.ctrl.Import(s.u.ctx, config.File{Settings: &config.SettingsPatch{Listen: &listen}}); err != nil {
		s.errs.show(err)
		return
	}
	s.errs.clear()
	s.errs.saved()
	msg := T("已保存")
	if r, addr := s.ctrl.Running(); r && addr != s.ctrl.ListenAddr() {
		s.u.StopServer()
		if err := s.u.StartServer(); err != nil {
			return
		}
		msg = T("已保存，服务已在新地址重新启动")
	} else if v := s.u.view(); v.where == asService || v.where == elsewhere {
		msg = T("已保存；正在运行的服务会在 2 秒内换到新地址")
	}
	s.refresh()
	s.errs.ok(msg)
}

// saveAutoStart saves the switch at once, and says so like every save.
func (s *serviceTab) saveAutoStart(on bool) {
	if _, err := s.ctrl.Import(s.u.ctx, config.File{Settings: &config.SettingsPatch{AutoStart: &on}}); err != nil {
		s.errs.show(err)
		return
	}
	if on {
		s.errs.ok(T("已保存：打开 BotGate 时自动启动服务"))
	} else {
		s.errs.ok(T("已保存：打开 BotGate 时不再自动启动服务"))
	}
}

func (s *serviceTab) fetchStats() *app.Stats {
	st, err := s.ctrl.Stats(s.u.ctx)
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
