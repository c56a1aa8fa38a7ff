package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"botgate/app"
	"botgate/app/config"
	"botgate/app/schedule"
	"botgate/model"
)

// SchedulesController is what the 定时推送 tab calls (its admin_recipient
// row saves through SettingsController).
type SchedulesController interface {
	SettingsController
	ListSchedules(ctx context.Context) ([]app.ScheduleView, error)
	DeleteSchedule(ctx context.Context, name string) error
	// ScheduleTimes are the next n run times of a cron expression in zone tz.
	ScheduleTimes(cron, tz string, n int) ([]time.Time, error)
	// RunScheduleNow sends the form's schedule now, recording no slot.
	RunScheduleNow(ctx context.Context, s config.Schedule) (model.ScheduleRun, error)
	QueryTemplateNames() []string
	ChannelNames() []string
}

var _ SchedulesController = (*app.App)(nil)

// helperTimes is how many run times the cron helper shows.
const helperTimes = 5

// schedulesTab: scheduled pushes, their editor with a cron helper, 立即运行一次,
// and the last run of each.
type schedulesTab struct {
	u       *UI
	ctrl    SchedulesController
	content fyne.CanvasObject
	*listEditor[app.ScheduleView]

	name      *widget.Entry
	cron      *widget.Entry
	times     *widget.Label // the cron helper: the next run times, or why the expression is wrong
	tz        *widget.Entry
	template  *widget.Select
	args      *widget.Entry
	channel   *widget.Select
	to        *widget.Entry
	group     *widget.Entry
	at        *widget.Entry
	header    *widget.Entry
	skipEmpty *widget.Check
	catchUp   *widget.Entry
	enabled   *widget.Check
	errs      *fieldErrors
	status    *widget.Label
	lastRun   *widget.Label
	runBtn    *widget.Button

	admin *settingRow // admin_recipient: where a failed slot is reported
}

func newSchedulesTab(u *UI) *schedulesTab {
	s := &schedulesTab{u: u, ctrl: u.ctrl, errs: newFieldErrors(u), status: statusLabel(), lastRun: statusLabel()}
	s.errs.status = s.status
	s.listEditor = newListEditor(u, listSpec[app.ScheduleView]{
		errs: s.errs, what: T("定时推送"), nameField: "name", line: scheduleLine,
		name:  func(v app.ScheduleView) string { return v.Name },
		fetch: func() ([]app.ScheduleView, error) { return s.ctrl.ListSchedules(s.u.ctx) },
		fill:  s.fill, blank: s.blank, reload: s.refresh, save: s.ctrl.Import, del: s.ctrl.DeleteSchedule,
	})
	s.name = widget.NewEntry()
	s.name.SetPlaceHolder(T("例如 每日销售"))
	s.cron = widget.NewEntry()
	s.cron.SetPlaceHolder("0 9 * * *")
	s.times = widget.NewLabel("")
	s.times.Wrapping = fyne.TextWrapWord
	s.tz = widget.NewEntry()
	s.tz.SetPlaceHolder(T("留空 = 北京时间 Asia/Shanghai"))
	s.cron.OnChanged = func(string) { s.showTimes() }
	s.tz.OnChanged = func(string) { s.showTimes() }
	s.template = widget.NewSelect(nil, nil)
	s.template.PlaceHolder = T("请选择模板")
	s.args = widget.NewEntry()
	s.args.SetPlaceHolder(T("模板参数，用空格分隔（依次对应 SQL 中的 1、2…号参数）"))
	s.channel = widget.NewSelect(nil, nil)
	s.channel.PlaceHolder = T("请选择通道")
	s.to = widget.NewEntry()
	s.to.SetPlaceHolder(T("好友 QQ 或用户 ID，多个用逗号分开"))
	s.group = widget.NewEntry()
	s.group.SetPlaceHolder(T("群号，多个用逗号分开；群机器人通道不用填"))
	s.at = widget.NewEntry()
	s.at.SetPlaceHolder(T("群消息中要 @ 的成员，逗号分开；all = 所有人"))
	s.header = widget.NewEntry()
	s.header.SetPlaceHolder("{{日期}} 昨日销售")
	s.skipEmpty = widget.NewCheck(T("查询没有结果时不发送"), nil)
	s.catchUp = widget.NewEntry()
	s.catchUp.SetPlaceHolder("1h")
	s.enabled = widget.NewCheck(T("启用"), nil)
	s.enabled.SetChecked(true)

	form := widget.NewForm(
		widget.NewFormItem(T("名称"), s.errs.field(s.name, "name")),
		widget.NewFormItem(T("执行时间"), s.errs.field(container.NewVBox(s.cron, s.times), "cron")),
		widget.NewFormItem(T("时区"), s.errs.field(s.tz, "tz")),
		widget.NewFormItem(T("查询模板"), s.errs.field(s.template, "template")),
		widget.NewFormItem(T("参数"), s.errs.field(s.args, "args")),
		widget.NewFormItem(T("通道"), s.errs.field(s.channel, "channel")),
		widget.NewFormItem(T("好友"), s.errs.field(s.to, "to")),
		widget.NewFormItem(T("群"), s.errs.field(s.group, "group")),
		widget.NewFormItem("@", s.errs.field(s.at, "at")),
		widget.NewFormItem(T("表头"), s.errs.field(s.header, "header")),
		widget.NewFormItem("", s.skipEmpty),
		widget.NewFormItem(T("补发时限"), s.errs.field(s.catchUp, "catch_up")),
		widget.NewFormItem("", s.enabled),
	)
	s.runBtn = widget.NewButtonWithIcon(T("立即运行一次"), theme.MediaPlayIcon(), s.runNow)
	buttons := container.NewHBox(
		widget.NewButtonWithIcon(T("新建定时推送"), theme.ContentAddIcon(), s.reset),
		widget.NewButtonWithIcon(T("保存"), theme.DocumentSaveIcon(), s.save),
		widget.NewButtonWithIcon(T("删除"), theme.DeleteIcon(), s.delete),
		s.runBtn,
	)
	help := widget.NewLabel(T("执行时间是 5 段的 cron 表达式：分 时 日 月 周。例如 0 9 * * * 每天 9:00，30 8 * * 1-5 周一到周五 8:30，0 */2 * * * 每 2 小时。消息是表头加上模板按“回复格式”排好的结果；表头可用 日期、时间、星期、条数、名称 占位符（写在两对花括号中）。BotGate 没有运行时错过的推送，在补发时限内启动会补发一次，超过则跳过并记录。立即运行一次会马上发送，不影响下一次的定时推送。"))
	help.Wrapping = fyne.TextWrapWord

	right := container.NewVScroll(container.NewVBox(form, buttons, s.errs.general, s.status,
		widget.NewSeparator(), s.lastRun, help))
	s.admin = newSettingRow(u, "admin_recipient", T("失败通知"), T("通道名:QQ号，或 通道名:group:群号"),
		func(st config.Settings) string { return st.AdminRecipient },
		func(text string) (*config.SettingsPatch, error) {
			return &config.SettingsPatch{AdminRecipient: &text}, nil
		})
	adminHelp := widget.NewLabel(T("定时推送失败（模板出错、接收者无效）时，把原因发到这里；留空则只记录。"))
	adminHelp.Wrapping = fyne.TextWrapWord
	left := container.NewBorder(widget.NewLabel(T("定时推送列表")), container.NewVBox(widget.NewSeparator(), s.admin.box, adminHelp), nil, nil, s.list)
	split := container.NewHSplit(left, right)
	split.Offset = 0.25
	s.content = split
	s.showTimes()
	return s
}

func scheduleLine(v app.ScheduleView) string {
	line := v.Name + "  " + v.Cron
	switch {
	case v.Enabled != nil && !*v.Enabled:
		line += "  " + T("已停用")
	case v.Last != nil && v.Last.Outcome == model.RunFailed:
		line += "  " + T("上次失败")
	}
	return line
}

func (s *schedulesTab) refresh() {
	s.template.Options = s.ctrl.QueryTemplateNames()
	s.template.Refresh()
	s.channel.Options = append([]string{T("（默认通道）")}, s.ctrl.ChannelNames()...)
	if s.channel.Selected == "" {
		s.channel.SetSelectedIndex(0)
	}
	s.channel.Refresh()
	name := s.current()
	s.load()
	for i, v := range s.items {
		if name != "" && v.Name == name {
			s.selected = i
			s.showLast(v) // the scheduler may have run it meanwhile
		}
	}
}

func (s *schedulesTab) fill(v app.ScheduleView) {
	s.name.SetText(v.Name)
	s.cron.SetText(v.Cron)
	s.tz.SetText(v.TZ)
	s.template.SetSelected(v.Template)
	s.args.SetText(strings.Join(v.Args, " "))
	if v.Channel == "" {
		s.channel.SetSelectedIndex(0)
	} else {
		s.channel.SetSelected(v.Channel)
	}
	s.to.SetText(v.To)
	s.group.SetText(v.Group)
	s.at.SetText(v.At)
	s.header.SetText(v.Header)
	s.skipEmpty.SetChecked(v.SkipEmpty)
	s.catchUp.SetText(v.CatchUp)
	s.enabled.SetChecked(v.Enabled == nil || *v.Enabled)
	s.showLast(v)
}

func (s *schedulesTab) blank() {
	for _, e := range []*widget.Entry{s.name, s.cron, s.tz, s.args, s.to, s.group, s.at, s.header, s.catchUp} {
		e.SetText("")
	}
	s.template.ClearSelected()
	s.channel.SetSelectedIndex(0)
	s.skipEmpty.SetChecked(false)
	s.enabled.SetChecked(true)
	s.lastRun.SetText("")
}

// showTimes is the cron helper: the next run times of the expression being
// typed, in its zone, or in red why it cannot run.
func (s *schedulesTab) showTimes() {
	if strings.TrimSpace(s.cron.Text) == "" {
		s.times.Importance = widget.LowImportance
		s.times.SetText(T("输入 cron 表达式后，这里显示接下来 5 次的执行时间"))
		return
	}
	ts, err := s.ctrl.ScheduleTimes(s.cron.Text, s.tz.Text, helperTimes)
	if err != nil {
		s.times.Importance = widget.DangerImportance
		s.times.SetText(errText(err))
		return
	}
	lines := make([]string, len(ts))
	for i, t := range ts {
		lines[i] = schedule.FormatTime(t)
	}
	s.times.Importance = widget.MediumImportance
	s.times.SetText(T("接下来的执行时间：") + "\n" + strings.Join(lines, "\n"))
}

// showLast says how the schedule's last slot went and when it runs next.
func (s *schedulesTab) showLast(v app.ScheduleView) {
	var b strings.Builder
	switch l := v.Last; {
	case v.Problem != "":
		b.WriteString(T("无法运行：") + v.Problem)
	case l == nil:
		b.WriteString(T("上次运行：还没有运行过"))
	default:
		b.WriteString(T("上次运行：") + schedule.FormatTime(l.Slot) + "  ")
		switch l.Outcome {
		case model.RunSent:
			b.WriteString(fmt.Sprintf(T("已发送（消息 %s）"), joinIDs(l.MsgIDs)))
		case model.RunEmpty:
			b.WriteString(T("查询没有结果，未发送"))
		case model.RunSkipped:
			b.WriteString(T("已跳过：") + l.Error)
		case model.RunFailed:
			b.WriteString(T("失败：") + l.Error)
		}
	}
	if !v.Next.IsZero() {
		b.WriteString("\n" + T("下次运行：") + schedule.FormatTime(v.Next))
	}
	s.lastRun.Importance = widget.MediumImportance
	if v.Problem != "" || (v.Last != nil && v.Last.Outcome == model.RunFailed) {
		s.lastRun.Importance = widget.DangerImportance
	}
	s.lastRun.SetText(b.String())
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, "、")
}

// config reads the editor.
func (s *schedulesTab) config() config.Schedule {
	sc := config.Schedule{Name: strings.TrimSpace(s.name.Text), Cron: s.cron.Text, TZ: s.tz.Text, Template: s.template.Selected,
		Args: strings.Fields(s.args.Text), To: s.to.Text, Group: s.group.Text, At: s.at.Text, Header: s.header.Text,
		SkipEmpty: s.skipEmpty.Checked, CatchUp: s.catchUp.Text}
	if s.channel.SelectedIndex() > 0 {
		sc.Channel = s.channel.Selected
	}
	on := s.enabled.Checked
	sc.Enabled = &on
	return sc
}

func (s *schedulesTab) save() {
	s.status.SetText("")
	sc := s.config()
	s.saveItem(config.File{Schedules: []config.Schedule{sc}}, sc.Name, T("定时推送 %s 已保存"))
}

func (s *schedulesTab) delete() {
	s.remove(deletion{pick: T("请先在左侧列表中选择一个定时推送"), title: T("删除定时推送"),
		question: T("确定删除定时推送 %s？以后不再发送。"), done: T("定时推送 %s 已删除")})
}

// runNow sends the form's schedule at once (立即运行一次), off the main
// goroutine: the template may take up to its timeout.
func (s *schedulesTab) runNow() {
	sc := s.config()
	s.errs.clear()
	s.status.Importance = widget.MediumImportance
	s.status.SetText(T("正在运行…"))
	s.runBtn.Disable()
	var run model.ScheduleRun
	s.u.background(func(ctx context.Context) error {
		var err error
		run, err = s.ctrl.RunScheduleNow(ctx, sc)
		return err
	}, func(err error) {
		s.runBtn.Enable()
		if err != nil {
			s.status.SetText("")
			s.errs.show(err)
			return
		}
		if run.Outcome == model.RunEmpty {
			setStatus(s.status, nil, T("查询没有结果，按设置不发送"))
			return
		}
		setStatus(s.status, nil, fmt.Sprintf(T("已发送（消息 %s），可在“日志”的消息队列中查看投递状态；定时推送记录不变"), joinIDs(run.MsgIDs)))
	})
}
