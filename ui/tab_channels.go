package ui

import (
	"context"
	"fmt"
	"maps"
	"net"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"botgate/app"
	"botgate/app/channel"
	"botgate/app/config"
)

// ChannelsController is what the 通道 tab calls.
type ChannelsController interface {
	SettingsController
	ListChannels(ctx context.Context) ([]config.Channel, error)
	DeleteChannel(ctx context.Context, name string) error
	ChannelKinds() []channel.Type
	TestChannel(ctx context.Context, c config.Channel) error
	ChannelFeatures(typ string) (test, contacts bool)
	ChannelContacts(ctx context.Context, c config.Channel) ([]channel.Contact, error)
	SendTest(ctx context.Context, r app.SendRequest) (int64, error)
	// Running says whether a test message will go out now.
	Running() (bool, string)
	ListenAddr() string
	// ListenerStates is the live state of the connections BotGate keeps to
	// platforms (OneBot WebSocket, DingTalk Stream, Feishu), by channel.
	ListenerStates() map[string]channel.ListenerState
}

var _ ChannelsController = (*app.App)(nil)

// channelsTab: the channel list and a form per connector type.
type channelsTab struct {
	u       *UI
	ctrl    ChannelsController
	content fyne.CanvasObject

	kinds []channel.Type
	*listEditor[config.Channel]

	name    *widget.Entry
	kind    *widget.Select
	rate    *widget.Entry
	enabled *widget.Check
	isDef   *widget.Check
	keysBox *fyne.Container
	form    *channelForm  // the selected type's settings
	about   *widget.Label // what the type carries, where its chat reports go
	errs    *fieldErrors
	status  *widget.Label
	testBtn *widget.Button
	bookBtn *widget.Button // 通讯录
	book    *contactBook   // the last one shown (tests read it)
	sender  *testSender    // the last 发送测试消息 dialog (tests read it)
}

func newChannelsTab(u *UI) *channelsTab {
	c := &channelsTab{u: u, ctrl: u.ctrl, kinds: u.ctrl.ChannelKinds(), errs: newFieldErrors(u), status: statusLabel()}
	c.errs.status = c.status
	c.listEditor = newListEditor(u, listSpec[config.Channel]{
		errs: c.errs, what: T("通道"), nameField: "name", name: channelName, line: c.line,
		fetch: func() ([]config.Channel, error) { return c.ctrl.ListChannels(c.u.ctx) },
		fill:  c.fill, blank: c.blank, save: c.ctrl.Import, del: c.ctrl.DeleteChannel,
	})

	var titles []string
	for _, k := range c.kinds {
		titles = append(titles, k.Title)
	}
	c.name = widget.NewEntry()
	c.name.SetPlaceHolder(T("例如 qq、企业微信群（调用时 channel 参数填这个名称）"))
	c.name.OnChanged = func(string) {
		if k, ok := c.kindByTitle(c.kind.Selected); ok {
			c.about.SetText(channelNote(k, c.name.Text, c.ctrl.ListenAddr())) // the webhook address names the channel
		}
	}
	c.kind = newSelect(titles, func(string) { c.buildKeys(nil) })
	c.rate = widget.NewEntry()
	c.rate.SetPlaceHolder(T("0 = 使用平台默认限速"))
	c.enabled = widget.NewCheck(T("启用"), nil)
	c.enabled.SetChecked(true)
	c.isDef = widget.NewCheck(T("设为默认通道（请求中不指定通道时使用）"), nil)
	c.keysBox = container.NewVBox()
	c.about = helpLabel("")
	c.testBtn = widget.NewButtonWithIcon(T("测试连接"), theme.ConfirmIcon(), c.test)
	c.bookBtn = widget.NewButtonWithIcon(T("通讯录"), theme.AccountIcon(), c.contacts)
	save := widget.NewButtonWithIcon(T("保存"), theme.DocumentSaveIcon(), c.save)
	save.Importance = widget.HighImportance

	basics := widget.NewForm(
		widget.NewFormItem(T("名称")+" *", c.errs.field(c.name, "name")),
		widget.NewFormItem(T("平台")+" *", c.errs.field(c.kind, "type")),
	)
	more := widget.NewForm(
		widget.NewFormItem(T("每分钟限速"), c.errs.field(c.rate, "rate_per_minute")),
		widget.NewFormItem("", c.enabled),
		widget.NewFormItem("", c.isDef),
	)
	c.errs.watch(c.enabled, c.isDef)
	unsaved := c.errs.track(c.snapshot)
	form := scrollPage(container.NewVBox(basics, c.about,
		heading(T("平台设置")), c.keysBox, c.errs.field(container.NewVBox(), "config"),
		heading(T("其他")), more))
	buttons := container.NewVBox(widget.NewSeparator(),
		container.NewHBox(
			widget.NewButtonWithIcon(T("新建通道"), theme.ContentAddIcon(), c.newChannel), save,
			widget.NewButtonWithIcon(T("删除"), theme.DeleteIcon(), c.delete), unsaved),
		container.NewHBox(c.testBtn, widget.NewButtonWithIcon(T("发送测试消息"), theme.MailSendIcon(), c.sendTest), c.bookBtn),
		c.errs.general, c.status)
	right := container.NewBorder(nil, buttons, nil, nil, form)
	split := container.NewHSplit(container.NewBorder(heading(T("通道列表")), nil, nil, nil, c.list), right)
	split.Offset = 0.22
	c.content = split
	c.errs.filling(func() { c.kind.SetSelectedIndex(0) })
	return c
}

func channelName(ch config.Channel) string { return ch.Name }

// line is a channel's row: its name, platform, and whether it is the default or off.
func (c *channelsTab) line(ch config.Channel) string {
	s := ch.Name
	if k, ok := c.kindByName(ch.Type); ok {
		s += " · " + k.Title
	}
	if ch.Name == c.ctrl.Settings().DefaultChannel {
		s += " · " + T("默认")
	}
	if ch.Enabled != nil && !*ch.Enabled {
		s += " · " + T("已停用")
	}
	return s
}

func (c *channelsTab) kindByTitle(title string) (channel.Type, bool) {
	for _, k := range c.kinds {
		if k.Title == title {
			return k, true
		}
	}
	return channel.Type{}, false
}

func (c *channelsTab) kindByName(name string) (channel.Type, bool) {
	for _, k := range c.kinds {
		if k.Name == name {
			return k, true
		}
	}
	return channel.Type{}, false
}

// buildKeys shows the selected type's settings form.
func (c *channelsTab) buildKeys(values map[string]string) {
	k, ok := c.kindByTitle(c.kind.Selected)
	c.keysBox.RemoveAll()
	if c.form != nil {
		for _, f := range c.form.fields {
			delete(c.errs.bound, c.errs.labels[f.Key])
			delete(c.errs.labels, f.Key)
		}
	}
	c.form = nil
	if !ok {
		c.about.SetText("")
		return
	}
	c.form = newChannelForm(k, values, c.errs)
	if len(c.form.fields) == 0 {
		c.keysBox.Add(widget.NewLabel(T("此类型没有配置项")))
	} else {
		c.keysBox.Add(c.form.box)
	}
	note := channelNote(k, c.name.Text, c.ctrl.ListenAddr())
	if k.Caps.Listener {
		note += listenerNote(c.ctrl.ListenerStates(), strings.TrimSpace(c.name.Text))
	}
	c.about.SetText(note)
	c.enableFeatures(k.Name)
	c.errs.layout()
}

// channelNote says what a channel of type k called name sends, whether it
// needs targets, and where its platform reports chat (listen: BotGate's address).
func channelNote(k channel.Type, name, listen string) string {
	note := T(k.Extras.Describe()) + "。"
	if k.Caps.FixedTarget {
		note += T("群机器人：消息发到机器人所在的群，调用时不用填 QQ 和 group。")
	}
	if k.Caps.Webhook {
		if name = strings.TrimSpace(name); name == "" {
			name = T("通道名称")
		}
		note += fmt.Sprintf(T("要在聊天里用关键字查询，把平台的上报地址设为 http://%s/webhook/%s。"), webhookHost(listen), name)
	}
	return note
}

// listenerNote is the live state of a listening channel's connection, for
// the note under its platform (已连接 / 重连中：原因).
func listenerNote(states map[string]channel.ListenerState, name string) string {
	st, ok := states[name]
	switch {
	case !ok:
		return T("连接状态：未连接（服务运行时 BotGate 会连接平台接收聊天消息）")
	case st.Connected:
		return T("连接状态：已连接")
	}
	return fmt.Sprintf(T("连接状态：重连中：%s"), st.Err)
}

// webhookHost is the address a platform on another computer reaches, as far
// as the window knows: the listen address, with 本机IP for "all interfaces".
func webhookHost(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = T("本机IP")
	}
	return net.JoinHostPort(host, port)
}

// enableFeatures enables 测试连接 and 通讯录 as the channel type offers them.
func (c *channelsTab) enableFeatures(typ string) {
	test, book := c.ctrl.ChannelFeatures(typ)
	enable(c.testBtn, test)
	enable(c.bookBtn, book)
}

// currentType is the type selected in the form now.
func (c *channelsTab) currentType() string {
	k, _ := c.kindByTitle(c.kind.Selected)
	return k.Name
}

func (c *channelsTab) refresh() { c.load() }

func (c *channelsTab) fill(ch config.Channel) {
	c.name.SetText(ch.Name)
	if k, ok := c.kindByName(ch.Type); ok {
		c.kind.Selected = k.Title
		c.kind.Refresh()
	}
	c.buildKeys(ch.Config)
	c.rate.SetText(strconv.Itoa(ch.RatePerMinute))
	c.enabled.SetChecked(ch.Enabled == nil || *ch.Enabled)
	c.isDef.SetChecked(ch.Name == c.ctrl.Settings().DefaultChannel)
}

func (c *channelsTab) blank() {
	c.name.SetText("")
	c.rate.SetText("")
	c.enabled.SetChecked(true)
	c.isDef.SetChecked(false)
	c.buildKeys(nil)
}

// snapshot is the form's content, for the unsaved-changes mark.
func (c *channelsTab) snapshot() string {
	s := fmt.Sprintf("%q|%q|%q|%v|%v|", c.name.Text, c.kind.Selected, strings.TrimSpace(c.rate.Text), c.enabled.Checked, c.isDef.Checked)
	if c.form != nil {
		s += c.form.snapshot()
	}
	return s
}

func (c *channelsTab) newChannel() { c.reset() }

// config reads the form; a field filled in wrongly is reported next to it.
func (c *channelsTab) config() (config.Channel, error) {
	k, _ := c.kindByTitle(c.kind.Selected)
	cc := config.Channel{Name: strings.TrimSpace(c.name.Text), Type: k.Name, Config: config.Values{}}
	if cc.Type == "" {
		return cc, fieldNotice("type", T("请选择平台"))
	}
	if r := strings.TrimSpace(c.rate.Text); r != "" {
		n, err := strconv.Atoi(r)
		if err != nil {
			return cc, fieldNotice("rate_per_minute", T("每分钟限速必须是整数（0 = 平台默认）"))
		}
		cc.RatePerMinute = n
	}
	on := c.enabled.Checked
	cc.Enabled = &on
	if c.form != nil {
		if err := c.form.check(); err != nil {
			return cc, err
		}
		maps.Copy(cc.Config, c.form.values())
	}
	return cc, nil
}

func (c *channelsTab) save() {
	cc, err := c.config()
	if err != nil {
		c.errs.show(err)
		return
	}
	cf := config.File{Channels: []config.Channel{cc}}
	st := c.ctrl.Settings()
	if c.isDef.Checked && st.DefaultChannel != cc.Name {
		cf.Settings = &config.SettingsPatch{DefaultChannel: &cc.Name}
	} else if !c.isDef.Checked && st.DefaultChannel == cc.Name && cc.Name != "" {
		none := ""
		cf.Settings = &config.SettingsPatch{DefaultChannel: &none}
	}
	c.saveItem(cf, cc.Name, T("通道 %s 已保存"))
}

func (c *channelsTab) delete() {
	c.remove(deletion{pick: T("请先在左侧列表中选择一个通道"), title: T("删除通道"),
		question: T("确定删除通道 %s？队列中发往它的消息会失败。"), done: T("通道 %s 已删除")})
}

// test runs the connector's check on the form as shown.
func (c *channelsTab) test() {
	c.askPlatform(c.testBtn, T("正在测试连接…"), func(ctx context.Context, cc config.Channel) error {
		return c.ctrl.TestChannel(ctx, cc)
	}, func(config.Channel) { c.errs.ok(T("连接成功")) })
}

// askPlatform runs work against the platform of the form as shown, off the
// main goroutine (it waits on the network), with btn disabled and busy in
// the status line; ok runs on success. The admin may pick another type or
// edit the form meanwhile: the buttons then follow the form, and an outcome
// for a form no longer shown is dropped.
func (c *channelsTab) askPlatform(btn *widget.Button, busy string, work func(context.Context, config.Channel) error, ok func(config.Channel)) {
	cc, err := c.config()
	if err != nil {
		c.errs.show(err)
		return
	}
	asked := c.snapshot()
	c.errs.busy(busy)
	btn.Disable()
	c.u.background(func(ctx context.Context) error { return work(ctx, cc) }, func(err error) {
		c.enableFeatures(c.currentType())
		clearStatus(c.status)
		switch {
		case c.snapshot() != asked:
			c.errs.layout()
		case err != nil:
			c.errs.show(err)
		default:
			ok(cc)
		}
	})
}

// sendTest asks for a receiver, mentions and an image, and queues a test
// message on the saved channel.
func (c *channelsTab) sendTest() {
	name := c.current()
	if name == "" {
		c.errs.show(notice(T("请先保存通道，再发送测试消息")))
		return
	}
	k, _ := c.kindByName(c.items[c.selected].Type)
	c.sender = newTestSender(c, name, k)
	c.sender.show()
}

// contacts lists the friends and groups of the platform behind the form as
// shown; a click copies the number the ERP needs as QQ or group.
func (c *channelsTab) contacts() {
	var list []channel.Contact
	c.askPlatform(c.bookBtn, T("正在读取通讯录…"), func(ctx context.Context, cc config.Channel) error {
		var err error
		list, err = c.ctrl.ChannelContacts(ctx, cc)
		return err
	}, func(cc config.Channel) {
		c.book = newContactBook(c.u, cc.Name, list)
		c.book.show()
	})
}

// contactBook is the 通讯录 dialog: a filter and the list.
type contactBook struct {
	u      *UI
	all    []channel.Contact
	shown  []channel.Contact
	filter *widget.Entry
	list   *widget.List
	copied *widget.Label
	title  string
}

func newContactBook(u *UI, name string, all []channel.Contact) *contactBook {
	b := &contactBook{u: u, all: all, shown: all, title: fmt.Sprintf(T("通道 %s 的通讯录（%d 个）"), name, len(all))}
	b.filter = widget.NewEntry()
	b.filter.SetPlaceHolder(T("按号码或名称筛选"))
	b.filter.OnChanged = b.apply
	b.copied = widget.NewLabel(T("点一行复制号码，填到 ERP 的 QQ 或 group 参数里"))
	b.list = widget.NewList(func() int { return len(b.shown) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(contactLine(b.shown[i])) })
	b.list.OnSelected = func(i widget.ListItemID) { b.copy(i) }
	return b
}

func contactLine(ct channel.Contact) string {
	kind := T("好友")
	if ct.Kind == channel.Group {
		kind = T("群")
	}
	return kind + "  " + ct.ID + "  " + ct.Name
}

// apply keeps the contacts whose number or name contains the filter text.
func (b *contactBook) apply(text string) {
	text = strings.ToLower(strings.TrimSpace(text))
	b.shown = b.shown[:0:0]
	for _, ct := range b.all {
		if text == "" || strings.Contains(strings.ToLower(ct.ID), text) || strings.Contains(strings.ToLower(ct.Name), text) {
			b.shown = append(b.shown, ct)
		}
	}
	b.list.UnselectAll()
	b.list.Refresh()
}

func (b *contactBook) copy(i int) {
	if i < 0 || i >= len(b.shown) {
		return
	}
	id := b.shown[i].ID
	b.u.fa.Clipboard().SetContent(id)
	b.copied.SetText(fmt.Sprintf(T("已复制 %s"), id))
	b.list.Unselect(i) // so that a second click on the row copies again
}

func (b *contactBook) show() {
	body := container.NewBorder(b.filter, b.copied, nil, nil, b.list)
	if len(b.all) == 0 {
		body = container.NewBorder(nil, nil, nil, nil, widget.NewLabel(T("平台返回的通讯录是空的：机器人还没有好友或群")))
	}
	d := dialog.NewCustom(b.title, T("关闭"), body, b.u.win)
	d.Resize(fyne.NewSize(520, 480))
	d.Show()
}
