package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"botgate/app"
	"botgate/app/channel"
	"botgate/app/config"
	"botgate/model"
)

var messageStatuses = []struct{ status, label string }{
	{"", "全部"},
	{model.StatusQueued, "排队中"},
	{model.StatusSending, "发送中"},
	{model.StatusDelivered, "已送达"},
	{model.StatusFailed, "失败"},
}

func statusText(s string) string {
	for _, m := range messageStatuses[1:] {
		if m.status == s {
			return T(m.label)
		}
	}
	return s
}

// LogsController is what the 日志 tab calls (its retention row saves
// through SettingsController).
type LogsController interface {
	SettingsController
	RequestLogs(ctx context.Context, contains string, limit int) ([]model.RequestLog, error)
	Messages(ctx context.Context, status string, limit int) ([]model.Message, error)
	RetryMessage(ctx context.Context, id int64) error
	CancelMessage(ctx context.Context, id int64) error
}

var _ LogsController = (*app.App)(nil)

// logsTab: the live request log and the outbox, refreshed while shown.
type logsTab struct {
	u       *UI
	ctrl    LogsController
	content fyne.CanvasObject
	shown   atomic.Bool

	// filters are copied here on change: the poller reads them off the main goroutine.
	mu           sync.Mutex
	filterText   string
	filterStatus string

	reqs     []model.RequestLog
	msgs     []model.Message
	reqTable *widget.Table
	msgTable *widget.Table
	selMsg   int64
	status   *widget.Label
	detail   *detail // the last row opened (tests read it)
	inner    *container.AppTabs

	retention *settingRow // 日志保留天数 (settings.log_retention_days)
}

// The last column is the long one (信息, 最后错误), so it gets what is left
// at 1024 pixels; a row opens in full with a click.
var (
	reqCols = []string{"时间", "来源 IP", "用户", "动作", "关键字", "结果", "耗时", "信息"}
	reqW    = []float32{125, 105, 80, 85, 80, 55, 75, 380}
	msgCols = []string{"编号", "时间", "通道", "接收者", "状态", "次数", "附件", "最后错误"}
	msgW    = []float32{55, 125, 90, 120, 70, 45, 120, 360}
)

// actions are the request log's actions as the admin reads them.
var actions = map[string]string{
	"send": "发送", "keyword": "查询", "send+keyword": "发送+查询", "webhook": "聊天上报",
}

func actionText(a string) string {
	if v, ok := actions[a]; ok {
		return T(v)
	}
	return a
}

func newLogsTab(u *UI) *logsTab {
	l := &logsTab{u: u, ctrl: u.ctrl, selMsg: -1}
	filter := widget.NewEntry()
	filter.SetPlaceHolder(T("按路径、用户或关键字筛选"))
	filter.OnChanged = func(s string) {
		l.mu.Lock()
		l.filterText = s
		l.mu.Unlock()
		l.load()
	}
	l.reqTable = newGrid(reqCols, reqW, func() int { return len(l.reqs) }, func(r, c int) string { return l.reqCell(r, c) })
	l.reqTable.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(l.reqs) {
			l.showRequest(l.reqs[id.Row])
		}
		l.reqTable.UnselectAll() // a second click on the row opens it again
	}

	var labels []string
	for _, s := range messageStatuses {
		labels = append(labels, T(s.label))
	}
	statusSel := newSelect(labels, func(string) {})
	statusSel.OnChanged = func(string) {
		l.mu.Lock()
		l.filterStatus = messageStatuses[max(statusSel.SelectedIndex(), 0)].status
		l.mu.Unlock()
		l.load()
	}
	l.msgTable = newGrid(msgCols, msgW, func() int { return len(l.msgs) }, func(r, c int) string { return l.msgCell(r, c) })
	statusSel.SetSelectedIndex(0)
	l.msgTable.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(l.msgs) {
			l.selMsg = l.msgs[id.Row].ID
			l.showMessage(l.msgs[id.Row])
		}
		l.msgTable.UnselectAll()
	}
	l.status = statusLabel()
	retry := widget.NewButtonWithIcon(T("重试所选消息"), theme.ViewRefreshIcon(), func() { l.act(true) })
	cancel := widget.NewButtonWithIcon(T("取消所选消息"), theme.CancelIcon(), func() { l.act(false) })

	l.retention = newSettingRow(u, "log_retention_days", T("日志保留天数"), "30",
		func(s config.Settings) string { return strconv.Itoa(s.LogRetentionDays) },
		func(text string) (*config.SettingsPatch, error) {
			n, err := strconv.Atoi(strings.TrimSpace(text))
			if err != nil {
				return nil, &model.Error{Code: model.CodeInvalid, Field: "log_retention_days", Msg: T("日志保留天数必须是 1 到 3650 之间的整数")}
			}
			return &config.SettingsPatch{LogRetentionDays: &n}, nil
		})
	retentionHelp := helpLabel(T("请求日志、聊天记录和已送达/失败的消息超过这个天数后自动删除。点一行查看完整内容。"))
	reqPane := container.NewBorder(filter, container.NewVBox(widget.NewSeparator(), l.retention.box, retentionHelp), nil, nil, l.reqTable)
	msgPane := container.NewBorder(
		container.NewBorder(nil, nil, widget.NewLabel(T("状态")), container.NewHBox(retry, cancel), statusSel),
		l.status, nil, nil, l.msgTable)
	l.inner = container.NewAppTabs(
		container.NewTabItem(T("请求日志"), reqPane),
		container.NewTabItem(T("消息队列"), msgPane),
	)
	l.content = l.inner
	return l
}

// newGrid is a read-only table with a header row.
func newGrid(cols []string, widths []float32, rows func() int, cell func(r, c int) string) *widget.Table {
	t := widget.NewTableWithHeaders(func() (int, int) { return rows(), len(cols) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) { o.(*widget.Label).SetText(cell(id.Row, id.Col)) })
	t.ShowHeaderColumn = false
	t.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 && id.Col < len(cols) {
			o.(*widget.Label).SetText(T(cols[id.Col]))
		}
	}
	for i, w := range widths {
		t.SetColumnWidth(i, w)
	}
	return t
}

func (l *logsTab) reqCell(r, c int) string {
	if r >= len(l.reqs) {
		return ""
	}
	q := l.reqs[r]
	switch c {
	case 0:
		return q.At.Format("01-02 15:04:05")
	case 1:
		return q.Remote
	case 2:
		return q.APIUser
	case 3:
		return actionText(q.Action)
	case 4:
		return q.Keyword
	case 5:
		return strconv.Itoa(q.Errcode)
	case 6:
		return durationText(q.DurationUS)
	case 7:
		if q.Errmsg == "" {
			return q.Method + " " + q.Path
		}
		return q.Errmsg
	}
	return ""
}

func (l *logsTab) msgCell(r, c int) string {
	if r >= len(l.msgs) {
		return ""
	}
	m := l.msgs[r]
	switch c {
	case 0:
		return strconv.FormatInt(m.ID, 10)
	case 1:
		return m.CreatedAt.Format("01-02 15:04:05")
	case 2:
		return m.Channel
	case 3:
		switch {
		case m.TargetKind == channel.Group && m.Target == "":
			return T("机器人所在的群")
		case m.TargetKind == channel.Group:
			return T("群") + " " + m.Target
		}
		return m.Target
	case 4:
		return statusText(m.Status)
	case 5:
		return strconv.Itoa(m.Attempts)
	case 6:
		return attachmentsText(m.Attachments)
	case 7:
		// A delivered message keeps the error of its last failed attempt
		// (the detail view shows it as history); in the table it would
		// read as if the message had failed.
		if m.Status == model.StatusDelivered {
			return ""
		}
		return m.LastError
	}
	return ""
}

func (l *logsTab) visible() bool { return l.shown.Load() }

type logData struct {
	reqs []model.RequestLog
	msgs []model.Message
	err  error
}

func (l *logsTab) fetch() logData {
	l.mu.Lock()
	text, status := l.filterText, l.filterStatus
	l.mu.Unlock()
	var d logData
	if d.reqs, d.err = l.ctrl.RequestLogs(l.u.ctx, text, 200); d.err != nil {
		return d
	}
	d.msgs, d.err = l.ctrl.Messages(l.u.ctx, status, 200)
	return d
}

func (l *logsTab) apply(d logData) {
	if d.err != nil {
		l.u.log.Warn("reading logs failed", "err", d.err)
		return
	}
	l.reqs, l.msgs = d.reqs, d.msgs
	l.reqTable.Refresh()
	l.msgTable.Refresh()
}

// load refreshes now, on the main goroutine.
func (l *logsTab) load() { l.apply(l.fetch()) }

// loadAsync is the poller's refresh: read here, show on the main goroutine.
func (l *logsTab) loadAsync() {
	d := l.fetch()
	fyne.Do(func() { l.apply(d) })
}

func (l *logsTab) act(retry bool) {
	if l.selMsg < 0 {
		setStatus(l.status, notice(T("请先在表格中点一条消息")), "")
		l.u.relayout()
		return
	}
	l.actOn(l.selMsg, retry)
}

// actOn retries or cancels message id and reports on the status line.
func (l *logsTab) actOn(id int64, retry bool) {
	var err error
	if retry {
		err = l.ctrl.RetryMessage(l.u.ctx, id)
	} else {
		err = l.ctrl.CancelMessage(l.u.ctx, id)
	}
	switch {
	case err != nil:
		setStatus(l.status, err, "")
	case retry:
		setStatus(l.status, nil, fmt.Sprintf(T("消息 %d 已重新排队"), id))
	default:
		setStatus(l.status, nil, fmt.Sprintf(T("消息 %d 已取消"), id))
	}
	l.u.relayout()
	if err == nil {
		l.load()
	}
}
