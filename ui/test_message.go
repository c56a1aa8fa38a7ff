package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"botgate/app"
	"botgate/app/channel"
	"botgate/model"
)

// testSender is the 发送测试消息 dialog: receiver, text, members to mention
// and an image (a file on this computer or a link), as the channel's type
// can carry them.
type testSender struct {
	c    *channelsTab
	name string
	typ  channel.Type

	qq, group, content, at, image *widget.Entry
	pick                          *widget.Button
	errs                          *fieldErrors
	d                             *dialog.CustomDialog
}

func newTestSender(c *channelsTab, name string, typ channel.Type) *testSender {
	s := &testSender{c: c, name: name, typ: typ, errs: newFieldErrors(c.u)}
	s.qq, s.group, s.at, s.image = widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	s.content = widget.NewMultiLineEntry()
	s.content.Wrapping = fyne.TextWrapWord
	s.content.SetMinRowsVisible(3)
	s.content.SetText(T("BotGate 测试消息"))
	s.qq.SetPlaceHolder(T("私聊：好友的 QQ 号 / 用户 ID"))
	s.group.SetPlaceHolder(T("发群消息时填写群号（填了就发到群里）"))
	s.at.SetPlaceHolder(T("要 @ 的成员 ID，逗号分隔；all = 所有人"))
	s.image.SetPlaceHolder(T("图片文件的路径，或 http(s):// 开头的图片网址"))
	s.pick = widget.NewButtonWithIcon(T("选择图片…"), theme.FileImageIcon(), s.choose)
	switch {
	case !typ.Extras.Mention:
		s.at.SetPlaceHolder(T("该通道不能 @成员"))
		s.at.Disable()
	}
	switch {
	case !typ.Extras.Image:
		s.image.SetPlaceHolder(T("该通道不能发送图片"))
		s.image.Disable()
		s.pick.Disable()
	case typ.Extras.ImageURLOnly:
		s.image.SetPlaceHolder(T("图片网址，以 http:// 或 https:// 开头（该平台只能按网址发图片）"))
		s.pick.Disable()
	}
	return s
}

func (s *testSender) show() {
	u := s.c.u
	items := []*widget.FormItem{}
	if !s.typ.Caps.FixedTarget {
		items = append(items,
			widget.NewFormItem(T("接收者"), s.errs.field(s.qq, "qq")),
			widget.NewFormItem(T("群号"), s.errs.field(s.group, "group")))
	}
	items = append(items,
		widget.NewFormItem(T("内容"), s.errs.field(s.content, "content")),
		widget.NewFormItem(T("@成员"), s.errs.field(s.at, "at")),
		widget.NewFormItem(T("图片"), s.errs.field(container.NewBorder(nil, nil, nil, s.pick, s.image), "image")))
	note := T(s.typ.Extras.Describe()) + "。"
	if s.typ.Caps.FixedTarget {
		note += T("群机器人发到它所在的群，不用填接收者。")
	}
	if s.c.errs.dirty() {
		note += T("表单里有未保存的修改：测试消息按已保存的设置发送。")
	}
	body := container.NewVBox(widget.NewForm(items...), helpLabel(note), s.errs.general)
	send := widget.NewButtonWithIcon(T("发送"), theme.MailSendIcon(), s.send)
	send.Importance = widget.HighImportance
	s.d = dialog.NewCustomWithoutButtons(fmt.Sprintf(T("发送测试消息（通道 %s）"), s.name), body, u.win)
	s.d.SetButtons([]fyne.CanvasObject{widget.NewButton(T("取消"), s.d.Hide), send})
	s.d.Resize(fyne.NewSize(600, 0))
	s.d.Show()
}

// choose picks an image file for the test message.
func (s *testSender) choose() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		r.Close()
		s.image.SetText(r.URI().Path())
	}, s.c.u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".png", ".jpg", ".jpeg", ".gif", ".webp"}))
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
	localizeFileDialog(s.c.u.win)
}

// request reads the dialog; a mistake is reported at its field.
func (s *testSender) request() (app.SendRequest, error) {
	r := app.SendRequest{Channel: s.name, QQ: strings.TrimSpace(s.qq.Text), Group: strings.TrimSpace(s.group.Text), Content: s.content.Text}
	at, err := model.ParseMentions(s.at.Text)
	if err != nil {
		return r, fieldNotice("at", errText(err))
	}
	r.At = at
	img := strings.TrimSpace(s.image.Text)
	switch {
	case img == "":
	case strings.HasPrefix(img, "http://") || strings.HasPrefix(img, "https://"):
		r.Attachments = []model.Attachment{{Kind: model.AttachImage, URL: img}}
	default:
		st, err := os.Stat(img)
		switch {
		case err != nil:
			return r, fieldNotice("image", fmt.Sprintf(T("找不到图片文件 %s：请检查路径，或点“选择图片…”"), img))
		case st.Size() > model.MaxAttachmentBytes:
			return r, fieldNotice("image", fmt.Sprintf(T("图片有 %s，超过一条消息最多 %d MiB"), sizeText(st.Size()), model.MaxAttachmentBytes>>20))
		}
		data, err := os.ReadFile(img)
		if err != nil {
			return r, fieldNotice("image", fmt.Sprintf(T("无法读取图片文件 %s：%v"), img, err))
		}
		r.Attachments = []model.Attachment{{Kind: model.AttachImage, Name: filepath.Base(img), Data: data}}
	}
	return r, nil
}

func (s *testSender) send() {
	r, err := s.request()
	if err != nil {
		s.errs.show(err)
		return
	}
	c := s.c
	id, err := c.ctrl.SendTest(c.u.ctx, r)
	if err != nil {
		s.errs.show(err)
		return
	}
	s.d.Hide()
	msg := fmt.Sprintf(T("测试消息已进入队列（编号 %d），可在“日志”中查看结果"), id)
	if run, _ := c.ctrl.Running(); !run {
		msg += T("；服务未启动，启动后才会发送")
	}
	c.errs.ok(msg)
}

// sizeText is a byte count as an admin reads it: 532 字节, 12.5 KB, 2.0 MB.
func sizeText(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf(T("%d 字节"), n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// localizeFileDialog names the favourite places of the file dialog just
// shown in win in the window's language (Fyne shows "Home", "Computer").
func localizeFileDialog(win fyne.Window) {
	top := win.Canvas().Overlays().Top()
	if top == nil {
		return
	}
	walkObjects(top, func(o fyne.CanvasObject) {
		l, ok := o.(*widget.List)
		if !ok || l.UpdateItem == nil {
			return
		}
		update := l.UpdateItem
		l.UpdateItem = func(id widget.ListItemID, item fyne.CanvasObject) {
			update(id, item)
			walkObjects(item, func(o fyne.CanvasObject) {
				if lb, ok := o.(*widget.Label); ok {
					if name := placeName(lb.Text); name != lb.Text {
						lb.SetText(name)
					}
				}
			})
		}
		l.Refresh()
	})
}

// walkObjects calls visit for o and what it holds: container children and
// the content of pop-ups, splits and scrolls (what Fyne's dialogs are made of).
func walkObjects(o fyne.CanvasObject, visit func(fyne.CanvasObject)) {
	if o == nil {
		return
	}
	visit(o)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			walkObjects(c, visit)
		}
	case *widget.PopUp:
		walkObjects(x.Content, visit)
	case *container.Split:
		walkObjects(x.Leading, visit)
		walkObjects(x.Trailing, visit)
	case *container.Scroll:
		walkObjects(x.Content, visit)
	}
}
