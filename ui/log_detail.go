package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"botgate/app/channel"
	"botgate/model"
)

// The log rows open in a dialog that shows everything the table cuts:
// the full message, its attempts and errors, its mentions and attachments.

// detail is a dialog's content: label and value rows, the values wrapped
// and selectable so that an admin can copy an error to a colleague.
type detail struct {
	form *widget.Form
	rows map[string]string // label → value, for tests
}

func newDetail() *detail { return &detail{form: widget.NewForm(), rows: map[string]string{}} }

func (d *detail) add(label, value string) {
	if value == "" {
		return
	}
	v := widget.NewLabel(value)
	v.Wrapping = fyne.TextWrapWord
	v.Selectable = true
	d.form.Append(label, v)
	d.rows[label] = value
}

const timeLayout = "2006-01-02 15:04:05"

func durationText(us int64) string {
	d := time.Duration(us) * time.Microsecond
	if d < time.Second {
		return fmt.Sprintf(T("%.1f 毫秒"), float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf(T("%.2f 秒"), d.Seconds())
}

// attachmentsText is the table's short form of a message's attachments.
func attachmentsText(as []model.AttachmentInfo) string {
	switch len(as) {
	case 0:
		return ""
	case 1:
		return attachmentLine(as[0])
	}
	return fmt.Sprintf(T("%d 个附件"), len(as))
}

// attachmentLine is one attachment by kind, name and size (or link).
func attachmentLine(a model.AttachmentInfo) string {
	kind := T("文件")
	if a.Kind == model.AttachImage {
		kind = T("图片")
	}
	name := a.Name
	if name == "" {
		name = T("（未命名）")
	}
	if a.URL != "" && a.Size == 0 {
		return fmt.Sprintf(T("%s %s（网址 %s，发送时下载）"), kind, name, a.URL)
	}
	return fmt.Sprintf("%s %s，%s", kind, name, sizeText(int64(a.Size)))
}

func mentionsText(ms []model.Mention) string {
	var parts []string
	for _, m := range ms {
		switch {
		case m.ID == model.MentionAll:
			parts = append(parts, T("所有人"))
		case m.Name != "":
			parts = append(parts, m.Name+"（"+m.ID+"）")
		default:
			parts = append(parts, m.ID)
		}
	}
	return strings.Join(parts, "、")
}

// messageDetail is everything the outbox knows of m.
func messageDetail(m model.Message) *detail {
	d := newDetail()
	d.add(T("编号"), strconv.FormatInt(m.ID, 10))
	d.add(T("状态"), fmt.Sprintf(T("%s（已尝试 %d 次）"), statusText(m.Status), m.Attempts))
	d.add(T("通道"), m.Channel)
	to := m.Target
	switch {
	case m.TargetKind == channel.Group && to == "":
		to = T("机器人所在的群")
	case m.TargetKind == channel.Group:
		to = T("群") + " " + to
	}
	d.add(T("接收者"), to)
	d.add(T("调用者"), m.APIUser)
	d.add(T("创建时间"), m.CreatedAt.Format(timeLayout))
	if !m.DeliveredAt.IsZero() {
		d.add(T("送达时间"), m.DeliveredAt.Format(timeLayout))
	}
	if m.Status == model.StatusQueued && m.Attempts > 0 && !m.NextAttemptAt.IsZero() {
		d.add(T("下次尝试"), m.NextAttemptAt.Format(timeLayout))
	}
	d.add(T("@成员"), mentionsText(m.At))
	var atts []string
	for _, a := range m.Attachments {
		line := attachmentLine(a)
		if a.SHA256 != "" {
			line += "，sha256 " + a.SHA256
		}
		atts = append(atts, line)
	}
	d.add(T("附件"), strings.Join(atts, "\n"))
	d.add(T("内容"), m.Content)
	if m.Status == model.StatusDelivered {
		d.add(T("送达前的错误"), m.LastError)
	} else {
		d.add(T("最后错误"), m.LastError)
	}
	return d
}

// requestDetail is everything the request log keeps of q.
func requestDetail(q model.RequestLog) *detail {
	d := newDetail()
	d.add(T("时间"), q.At.Format(timeLayout))
	d.add(T("来源 IP"), q.Remote)
	d.add(T("用户"), q.APIUser)
	d.add(T("动作"), actionText(q.Action))
	d.add(T("关键字"), q.Keyword)
	result := strconv.Itoa(q.Errcode)
	if q.Errcode == 0 {
		result += T("（成功）")
	}
	d.add(T("结果"), result)
	d.add(T("信息"), q.Errmsg)
	d.add(T("请求"), q.Method+" "+q.Path)
	d.add(T("耗时"), durationText(q.DurationUS))
	return d
}

// openDetail shows d in a dialog with extra buttons before 关闭.
func (l *logsTab) openDetail(title string, d *detail, buttons ...fyne.CanvasObject) dialog.Dialog {
	dlg := dialog.NewCustomWithoutButtons(title, container.NewVScroll(d.form), l.u.win)
	dlg.SetButtons(append(buttons, widget.NewButton(T("关闭"), dlg.Hide)))
	dlg.Resize(fyne.NewSize(680, 520))
	dlg.Show()
	l.detail = d
	return dlg
}

func (l *logsTab) showRequest(q model.RequestLog) {
	l.openDetail(T("请求详情"), requestDetail(q))
}

func (l *logsTab) showMessage(m model.Message) {
	var dlg dialog.Dialog
	var buttons []fyne.CanvasObject
	if m.Status == model.StatusFailed {
		buttons = append(buttons, widget.NewButtonWithIcon(T("重试"), theme.ViewRefreshIcon(), func() {
			dlg.Hide()
			l.actOn(m.ID, true)
		}))
	}
	if m.Status == model.StatusQueued || m.Status == model.StatusFailed {
		buttons = append(buttons, widget.NewButtonWithIcon(T("取消发送"), theme.CancelIcon(), func() {
			dlg.Hide()
			l.actOn(m.ID, false)
		}))
	}
	dlg = l.openDetail(fmt.Sprintf(T("消息 %d"), m.ID), messageDetail(m), buttons...)
}
