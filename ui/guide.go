package ui

import (
	"context"
	"fmt"
	"net"
	"slices"
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
	"botgate/app/datasource"
	"botgate/model"
)

// GuideController is what the first-run guide (首次使用向导) calls.
type GuideController interface {
	SettingsController
	ListUsers(ctx context.Context) ([]config.User, error)
	GenerateToken() string
	ListChannels(ctx context.Context) ([]config.Channel, error)
	ChannelKinds() []channel.Type
	TestChannel(ctx context.Context, c config.Channel) error
	ListDataSources(ctx context.Context) ([]config.DataSource, error)
	Drivers() []string
	TestDataSource(ctx context.Context, d config.DataSource) error
	DryRunTemplate(ctx context.Context, t config.Template, vars model.Vars, write bool) (*model.KeywordResult, error)
	ListTemplates(ctx context.Context) ([]config.Template, error)
	CreateExampleTable(ctx context.Context) error
	ListenAddr() string
	DBPath() string
}

var _ GuideController = (*app.App)(nil)

// prefGuideDone marks, per state database, that the guide was finished or
// skipped: it then no longer opens by itself (关于 and 服务 still open it).
func prefGuideDone(db string) string { return "guide_done:" + db }

// NeedsGuide tells whether the database still lacks an API user or a channel.
func (u *UI) NeedsGuide() bool {
	users, err1 := u.ctrl.ListUsers(u.ctx)
	chans, err2 := u.ctrl.ListChannels(u.ctx)
	return err1 == nil && err2 == nil && (len(users) == 0 || len(chans) == 0)
}

// ShowGuideOnFirstRun opens the guide when the database needs one and the
// admin has not finished or skipped it before.
func (u *UI) ShowGuideOnFirstRun() {
	if u.NeedsGuide() && !u.fa.Preferences().Bool(prefGuideDone(u.ctrl.DBPath())) {
		u.ShowGuide()
	}
}

// ShowGuide opens the first-run guide.
func (u *UI) ShowGuide() {
	if u.guide != nil {
		return
	}
	u.guide = newGuide(u)
	u.guide.show()
}

// guide is the first-run guide: four steps, each saved by 下一步 and
// skippable, ending with the address the ERP calls.
type guide struct {
	u    *UI
	ctrl GuideController
	d    *dialog.CustomDialog

	step                   int
	steps                  []guideStep
	title                  *widget.Label
	body                   *fyne.Container
	scroll                 *container.Scroll
	back, skip, next, done *widget.Button

	// what the steps made, for the last one
	user, password, channelName, keyword string

	// 1: the API user
	uname, upass *widget.Entry
	uerrs        *fieldErrors
	usersNote    *widget.Label

	// 2: the platform
	kinds   []channel.Type
	kind    *widget.Select
	cname   *widget.Entry
	cform   *channelForm
	cbox    *fyne.Container
	cnote   *widget.Label
	cerrs   *fieldErrors
	cstatus *widget.Label
	ctest   *widget.Button

	// 3: the data source and the first template
	srcMode                            *widget.RadioGroup
	srcExisting                        *widget.Select
	drivers                            []string
	driver                             *widget.Select
	host, port, dbname, dbuser, dbpass *widget.Entry
	erpBox, existingBox, exampleBox    *fyne.Container
	dsTest                             *widget.Button
	tkeyword, tsql, targs, tqq         *widget.Entry
	tryBtn                             *widget.Button
	result                             *model.KeywordResult
	resultTable                        *widget.Table
	serr                               *fieldErrors
	sstatus                            *widget.Label
	serverRows, sqliteRows             []*widget.FormItem
	erpForm                            *widget.Form

	// 4: ready
	sendURL, queryURL *widget.Entry
	readyHelp         *widget.Label
	runNote           *widget.Label
	startBtn          *widget.Button
}

type guideStep struct {
	title   string
	content fyne.CanvasObject
	enter   func()      // before the step shows
	save    func() bool // 下一步: false keeps the step (a message says why)
}

// Where the data of step 3 comes from.
const (
	srcExample = iota
	srcERP
	srcSaved
)

func newGuide(u *UI) *guide {
	g := &guide{u: u, ctrl: u.ctrl, kinds: u.ctrl.ChannelKinds(), drivers: u.ctrl.Drivers()}
	g.uerrs, g.cerrs, g.serr = newFieldErrors(u), newFieldErrors(u), newFieldErrors(u)
	g.cstatus, g.sstatus = statusLabel(), statusLabel()
	g.cerrs.status, g.serr.status = g.cstatus, g.sstatus
	g.steps = []guideStep{
		{T("API 用户"), g.userStep(), g.enterUser, g.saveUser},
		{T("聊天平台"), g.channelStep(), nil, g.saveChannel},
		{T("数据源和第一个模板"), g.templateStep(), g.enterTemplate, g.saveTemplate},
		{T("完成"), g.readyStep(), g.enterReady, nil},
	}
	return g
}

func (g *guide) show() {
	g.title = heading("")
	g.body = container.NewStack()
	g.back = widget.NewButtonWithIcon(T("上一步"), theme.NavigateBackIcon(), func() { g.goTo(g.step - 1) })
	g.skip = widget.NewButton(T("跳过这一步"), func() { g.goTo(g.step + 1) })
	g.next = widget.NewButtonWithIcon(T("保存，下一步"), theme.NavigateNextIcon(), g.saveAndNext)
	g.next.Importance = widget.HighImportance
	g.done = widget.NewButtonWithIcon(T("完成"), theme.ConfirmIcon(), g.close)
	g.done.Importance = widget.HighImportance
	quit := widget.NewButton(T("退出向导"), g.close)
	intro := helpLabel(T("每一步保存后再进入下一步；不需要的步骤可以跳过。以后可以在“关于”或“服务”页重新打开向导。"))
	top := container.NewVBox(container.NewBorder(nil, nil, nil, quit, g.title), intro, widget.NewSeparator())
	bottom := container.NewVBox(widget.NewSeparator(), container.NewHBox(g.back, g.skip, g.next, g.done))
	g.scroll = scrollPage(g.body)
	content := container.NewBorder(top, bottom, nil, nil, g.scroll)
	g.d = dialog.NewCustomWithoutButtons(T("首次使用向导"), content, g.u.win)
	g.d.SetOnClosed(func() { g.u.guide = nil })
	g.d.Resize(fyne.NewSize(900, 700))
	g.goTo(0)
	g.d.Show()
}

// goTo shows step i (the last step has 完成 instead of 下一步).
func (g *guide) goTo(i int) {
	i = max(0, min(i, len(g.steps)-1))
	g.step = i
	s := g.steps[i]
	if s.enter != nil {
		s.enter()
	}
	g.title.SetText(fmt.Sprintf(T("第 %d 步（共 %d 步）：%s"), i+1, len(g.steps), s.title))
	g.body.Objects = []fyne.CanvasObject{s.content}
	g.body.Refresh()
	g.scroll.ScrollToTop()
	enable(g.back, i > 0)
	last := i == len(g.steps)-1
	for _, b := range []*widget.Button{g.skip, g.next} {
		if last {
			b.Hide()
		} else {
			b.Show()
		}
	}
	if last {
		g.done.Show()
	} else {
		g.done.Hide()
	}
	g.u.relayout()
}

func (g *guide) saveAndNext() {
	if s := g.steps[g.step]; s.save == nil || s.save() {
		g.goTo(g.step + 1)
	}
}

// close ends the guide; it does not open by itself again for this database.
func (g *guide) close() {
	g.u.fa.Preferences().SetBool(prefGuideDone(g.ctrl.DBPath()), true)
	g.d.Hide()
	g.u.guide = nil
	g.u.refreshAll()
}

// --- 1: the API user

func (g *guide) userStep() fyne.CanvasObject {
	g.uname = widget.NewEntry()
	g.uname.SetPlaceHolder(T("例如 erp"))
	g.upass = widget.NewEntry()
	g.upass.TextStyle = fyne.TextStyle{Monospace: true}
	regen := widget.NewButtonWithIcon(T("重新生成"), theme.ViewRefreshIcon(), func() { g.upass.SetText(g.newPassword()) })
	cp := widget.NewButtonWithIcon(T("复制"), theme.ContentCopyIcon(), func() {
		g.u.fa.Clipboard().SetContent(g.upass.Text)
		g.uerrs.ok(T("密码已复制"))
	})
	g.usersNote = helpLabel("")
	status := statusLabel()
	g.uerrs.status = status
	form := widget.NewForm(
		widget.NewFormItem(T("用户名")+" *", g.uerrs.field(g.uname, "name")),
		widget.NewFormItem(T("密码")+" *", g.uerrs.field(container.NewBorder(nil, nil, nil, container.NewHBox(regen, cp), g.upass), "password")),
	)
	return container.NewVBox(
		widget.NewLabel(T("ERP 调用 BotGate 时用这个用户名和密码（请求里的 user 和 Access_token）。")),
		g.usersNote, form,
		helpLabel(T("密码只在这里显示这一次（BotGate 只保存它的哈希）：请现在点“复制”，填到 ERP 的调用里。以后忘了可以在“授权”页给这个用户设新密码。")),
		g.uerrs.general, status)
}

func (g *guide) newPassword() string { return g.ctrl.GenerateToken()[:20] }

func (g *guide) enterUser() {
	users, _ := g.ctrl.ListUsers(g.u.ctx)
	var names []string
	for _, u := range users {
		names = append(names, u.Name)
	}
	if len(names) > 0 {
		g.usersNote.SetText(fmt.Sprintf(T("已有 API 用户：%s。可以跳过这一步，也可以再建一个专给 ERP 用的用户。"), strings.Join(names, "、")))
		g.usersNote.Show()
	} else {
		g.usersNote.Hide()
	}
	if g.uname.Text == "" {
		name := "erp"
		for i := 2; slices.Contains(names, name); i++ {
			name = "erp" + strconv.Itoa(i)
		}
		g.uname.SetText(name)
	}
	if g.upass.Text == "" {
		g.upass.SetText(g.newPassword())
	}
}

func (g *guide) saveUser() bool {
	name := strings.TrimSpace(g.uname.Text)
	users, err := g.ctrl.ListUsers(g.u.ctx)
	if err != nil {
		g.uerrs.show(err)
		return false
	}
	for _, u := range users {
		if u.Name == name {
			g.uerrs.show(fieldNotice("name", fmt.Sprintf(T("用户“%s”已存在：请换一个用户名，或跳过这一步"), name)))
			return false
		}
	}
	if _, err := g.ctrl.Import(g.u.ctx, config.File{Users: []config.User{{Name: name, Password: g.upass.Text}}}); err != nil {
		g.uerrs.show(err)
		return false
	}
	g.user, g.password = name, g.upass.Text
	g.uerrs.clear()
	return true
}

// --- 2: the platform

func (g *guide) channelStep() fyne.CanvasObject {
	var titles []string
	for _, k := range g.kinds {
		titles = append(titles, k.Title)
	}
	g.cname = widget.NewEntry()
	g.cname.SetPlaceHolder(T("例如 qq、企业微信群"))
	g.cbox = container.NewVBox()
	g.cnote = helpLabel("")
	g.kind = newSelect(titles, func(string) { g.buildChannelForm() })
	g.ctest = widget.NewButtonWithIcon(T("测试连接"), theme.ConfirmIcon(), g.testChannel)
	g.ctest.Disable()
	form := widget.NewForm(
		widget.NewFormItem(T("平台")+" *", g.cerrs.field(g.kind, "type")),
		widget.NewFormItem(T("通道名称")+" *", g.cerrs.field(g.cname, "name")),
	)
	return container.NewVBox(
		widget.NewLabel(T("选择 BotGate 用来发消息的聊天平台，按说明填写它的设置。这个通道会设为默认通道。")),
		form, g.cnote, g.cbox, g.cerrs.field(container.NewVBox(), "config"),
		container.NewHBox(g.ctest), g.cerrs.general, g.cstatus)
}

// kindTitle is the dropdown entry of the platform called name.
func (g *guide) kindTitle(name string) string {
	for _, k := range g.kinds {
		if k.Name == name {
			return k.Title
		}
	}
	return ""
}

func (g *guide) kindSelected() (channel.Type, bool) {
	i := g.kind.SelectedIndex()
	if i < 0 || i >= len(g.kinds) {
		return channel.Type{}, false
	}
	return g.kinds[i], true
}

// buildChannelForm shows the chosen platform's fields; the channel name
// follows the platform until the admin types one.
func (g *guide) buildChannelForm() {
	if g.cform != nil {
		for _, f := range g.cform.fields {
			delete(g.cerrs.bound, g.cerrs.labels[f.Key])
			delete(g.cerrs.labels, f.Key)
		}
	}
	g.cbox.RemoveAll()
	g.cform = nil
	k, ok := g.kindSelected()
	if !ok {
		return
	}
	if n := strings.TrimSpace(g.cname.Text); n == "" || slices.ContainsFunc(g.kinds, func(t channel.Type) bool { return t.Name == n }) {
		g.cname.SetText(k.Name)
	}
	g.cform = newChannelForm(k, nil, g.cerrs)
	if len(g.cform.fields) > 0 {
		g.cbox.Add(g.cform.box)
	} else {
		g.cbox.Add(widget.NewLabel(T("此类型没有配置项")))
	}
	g.cnote.SetText(channelNote(k, g.cname.Text, g.ctrl.ListenAddr()))
	enable(g.ctest, k.Caps.Test)
	g.cerrs.clear()
	clearStatus(g.cstatus)
}

// channelConfig reads step 2; a mistake is reported at its field.
func (g *guide) channelConfig() (config.Channel, error) {
	k, ok := g.kindSelected()
	if !ok {
		return config.Channel{}, fieldNotice("type", T("请选择平台"))
	}
	cc := config.Channel{Name: strings.TrimSpace(g.cname.Text), Type: k.Name, Config: config.Values{}}
	if err := g.cform.check(); err != nil {
		return cc, err
	}
	for key, v := range g.cform.values() {
		cc.Config[key] = v
	}
	return cc, nil
}

func (g *guide) testChannel() {
	cc, err := g.channelConfig()
	if err != nil {
		g.cerrs.show(err)
		return
	}
	g.cerrs.busy(T("正在测试连接…"))
	g.ctest.Disable()
	g.u.background(func(ctx context.Context) error { return g.ctrl.TestChannel(ctx, cc) }, func(err error) {
		k, _ := g.kindSelected()
		enable(g.ctest, k.Caps.Test)
		clearStatus(g.cstatus)
		switch {
		case k.Name != cc.Type:
		case err != nil:
			g.cerrs.show(err)
		default:
			g.cerrs.ok(T("连接成功"))
		}
	})
}

func (g *guide) saveChannel() bool {
	cc, err := g.channelConfig()
	if err != nil {
		g.cerrs.show(err)
		return false
	}
	if chans, _ := g.ctrl.ListChannels(g.u.ctx); slices.ContainsFunc(chans, func(c config.Channel) bool { return c.Name == cc.Name }) {
		g.cerrs.show(fieldNotice("name", fmt.Sprintf(T("通道“%s”已存在：请换一个名称，或跳过这一步"), cc.Name)))
		return false
	}
	if _, err := g.ctrl.Import(g.u.ctx, config.File{Channels: []config.Channel{cc}, Settings: &config.SettingsPatch{DefaultChannel: &cc.Name}}); err != nil {
		g.cerrs.show(err)
		return false
	}
	g.channelName = cc.Name
	return true
}

// --- 3: the data source and the first template

func (g *guide) templateStep() fyne.CanvasObject {
	g.srcMode = widget.NewRadioGroup([]string{
		T("先用内置数据库的示例表试一试（会创建示例表 staff，4 行演示数据）"),
		T("连接 ERP 的数据库"),
		T("用已添加的数据源"),
	}, func(string) { g.showSource() })
	g.srcExisting = newSelect(nil, nil)
	var labels []string
	for _, n := range g.drivers {
		labels = append(labels, driverLabel(n))
	}
	g.host, g.port, g.dbname, g.dbuser, g.dbpass = widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewPasswordEntry()
	g.host.SetPlaceHolder(T("例如 192.168.1.10"))
	g.port.SetPlaceHolder(T("留空 = 默认端口"))
	g.driver = newSelect(labels, func(string) { g.showDriverRows() })
	g.dsTest = widget.NewButtonWithIcon(T("测试连接"), theme.ConfirmIcon(), g.testSource)
	// One box for the database name or file: only one of the two row sets shows.
	dbname := g.serr.field(g.dbname, "database")
	g.serverRows = []*widget.FormItem{
		widget.NewFormItem(T("服务器")+" *", g.serr.field(g.host, "host")),
		widget.NewFormItem(T("端口"), g.serr.field(g.port, "port")),
		widget.NewFormItem(T("数据库名")+" *", dbname),
		widget.NewFormItem(T("用户名"), g.serr.field(g.dbuser, "user")),
		widget.NewFormItem(T("密码"), g.serr.field(g.dbpass, "password")),
	}
	g.sqliteRows = []*widget.FormItem{widget.NewFormItem(T("数据库文件")+" *", dbname)}
	g.erpForm = widget.NewForm()
	g.erpBox = container.NewVBox(widget.NewForm(widget.NewFormItem(T("数据库类型")+" *", g.serr.field(g.driver, "driver"))),
		g.erpForm, container.NewHBox(g.dsTest), g.serr.field(container.NewVBox(), "dsn"))
	g.existingBox = container.NewVBox(widget.NewForm(widget.NewFormItem(T("数据源"), g.serr.field(g.srcExisting, "datasource"))))
	g.exampleBox = container.NewVBox(helpLabel(T("示例表 staff 有 xtuser（账号）、name（姓名）、qq 三列；模板“账号”按来源 QQ 或账号查人。接上 ERP 后，在“数据源”和“交互查询”页改成 ERP 的表即可。")))

	g.tkeyword, g.tsql, g.targs, g.tqq = widget.NewEntry(), widget.NewMultiLineEntry(), widget.NewEntry(), widget.NewEntry()
	g.tkeyword.SetPlaceHolder(T("例如 账号、库存"))
	g.tsql.TextStyle = fyne.TextStyle{Monospace: true}
	g.tsql.Wrapping = fyne.TextWrapWord
	g.tsql.SetMinRowsVisible(3)
	g.tsql.SetPlaceHolder(T("例如 SELECT 名称, 库存 FROM 商品 WHERE 编号 = {{1}}"))
	g.targs.SetPlaceHolder(T("示例参数，空格分隔"))
	g.tqq.SetPlaceHolder(T("来源QQ"))
	g.tryBtn = widget.NewButtonWithIcon(T("试运行"), theme.MediaPlayIcon(), g.tryTemplate)
	g.resultTable = widget.NewTableWithHeaders(func() (int, int) {
		if g.result == nil {
			return 0, 0
		}
		return len(g.result.Rows), len(g.result.Columns)
	}, func() fyne.CanvasObject { return widget.NewLabel("") },
		func(id widget.TableCellID, o fyne.CanvasObject) {
			o.(*widget.Label).SetText(cellText(g.result.Rows[id.Row][id.Col]))
		})
	g.resultTable.ShowHeaderColumn = false
	g.resultTable.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if g.result != nil && id.Col >= 0 && id.Col < len(g.result.Columns) {
			o.(*widget.Label).SetText(g.result.Columns[id.Col])
		}
	}
	tmpl := widget.NewForm(
		widget.NewFormItem(T("关键字")+" *", g.serr.field(g.tkeyword, "keyword")),
		widget.NewFormItem("SQL *", g.serr.field(g.tsql, "sql")),
		widget.NewFormItem(T("试运行"), container.NewBorder(nil, nil, nil, container.NewHBox(container.NewGridWrap(fyne.NewSize(140, g.targs.MinSize().Height), g.tqq), g.tryBtn), g.targs)),
	)
	return container.NewVBox(
		widget.NewLabel(T("模板把一个关键字和一条 SQL 绑在一起：ERP 用 keyword 调用，或同事在聊天里发这个关键字，就得到查询结果。")),
		heading(T("数据从哪里来")), g.srcMode, g.exampleBox, g.erpBox, g.existingBox,
		heading(T("第一个模板")), tmpl, g.serr.general, g.sstatus,
		container.NewGridWrap(fyne.NewSize(780, 150), g.resultTable))
}

func (g *guide) enterTemplate() {
	srcs, _ := g.ctrl.ListDataSources(g.u.ctx)
	var names []string
	for _, s := range srcs {
		names = append(names, s.Name)
	}
	g.srcExisting.Options = names
	if g.srcMode.Selected == "" {
		g.srcMode.SetSelected(g.srcMode.Options[srcExample])
	}
	g.srcMode.Refresh()
	g.showSource()
}

func (g *guide) source() int { return max(0, slices.Index(g.srcMode.Options, g.srcMode.Selected)) }

// showSource shows the settings of where the data comes from, and puts the
// example template in when the example table is chosen.
func (g *guide) showSource() {
	show := func(o fyne.CanvasObject, on bool) {
		if on {
			o.Show()
		} else {
			o.Hide()
		}
	}
	src := g.source()
	show(g.exampleBox, src == srcExample)
	show(g.erpBox, src == srcERP)
	show(g.existingBox, src == srcSaved)
	switch {
	case src == srcExample && strings.TrimSpace(g.tsql.Text) == "":
		g.tkeyword.SetText("账号")
		g.tsql.SetText(app.ExampleSQL)
		g.targs.SetText("admin")
		g.tqq.SetText("289192968")
	case src != srcExample && g.tsql.Text == app.ExampleSQL:
		g.tsql.SetText("")
		g.targs.SetText("")
		g.tqq.SetText("")
	}
	g.showDriverRows()
	g.serr.clear()
	clearStatus(g.sstatus)
}

// showDriverRows shows a file path for SQLite and the server's address,
// database and login for the others.
func (g *guide) showDriverRows() {
	rows := g.serverRows
	g.dbname.SetPlaceHolder(T("例如 erp"))
	if g.driverName() == "sqlite" {
		rows = g.sqliteRows
		g.dbname.SetPlaceHolder(T("例如 ") + sqliteExample())
	}
	g.erpForm.Items = rows
	g.erpForm.Refresh()
	g.u.relayout()
}

func (g *guide) driverName() string {
	if i := g.driver.SelectedIndex(); i >= 0 && i < len(g.drivers) {
		return g.drivers[i]
	}
	return ""
}

// erpSource is the ERP data source as step 3 describes it.
func (g *guide) erpSource() (config.DataSource, error) {
	drv := g.driverName()
	if drv == "" {
		return config.DataSource{}, fieldNotice("driver", T("请选择数据库类型"))
	}
	f := datasource.Fields{Host: g.host.Text, Database: g.dbname.Text, User: g.dbuser.Text, Password: g.dbpass.Text}
	if p := strings.TrimSpace(g.port.Text); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return config.DataSource{}, fieldNotice("port", T("端口必须是 1 到 65535 之间的数字，留空表示默认端口"))
		}
		f.Port = n
	}
	if strings.TrimSpace(f.Database) == "" {
		return config.DataSource{}, fieldNotice("database", T("请填写数据库名（SQLite 填数据库文件的路径）"))
	}
	dsn, err := datasource.BuildDSN(drv, f)
	if err != nil {
		field := "host"
		if drv == "sqlite" {
			field = "database"
		}
		return config.DataSource{}, fieldNotice(field, err.Error())
	}
	return config.DataSource{Name: g.erpName(), Driver: drv, DSN: dsn}, nil
}

// erpName is a name for the new data source that is not taken yet.
func (g *guide) erpName() string {
	name := "erp"
	for i := 2; slices.Contains(g.srcExisting.Options, name); i++ {
		name = "erp" + strconv.Itoa(i)
	}
	return name
}

func (g *guide) testSource() {
	d, err := g.erpSource()
	if err != nil {
		g.serr.show(err)
		return
	}
	g.serr.busy(T("正在测试连接…"))
	g.dsTest.Disable()
	g.u.background(func(ctx context.Context) error { return g.ctrl.TestDataSource(ctx, d) }, func(err error) {
		g.dsTest.Enable()
		clearStatus(g.sstatus)
		if err != nil {
			g.serr.show(err)
			return
		}
		g.serr.ok(T("连接成功"))
	})
}

// templateConfig is the template of step 3, on the data source dataSource.
func (g *guide) templateConfig(dataSource string) config.Template {
	t := config.Template{Keyword: strings.TrimSpace(g.tkeyword.Text), Kind: model.KindQuery, DataSource: dataSource, SQL: g.tsql.Text, Chat: true}
	if g.tsql.Text == app.ExampleSQL {
		t.Reply = app.ExampleReply
	}
	return t
}

// prepareSource makes the data source of step 3 usable and names it: the
// example table is created, the ERP source checked (it is saved with the
// template, not before).
func (g *guide) prepareSource() (name string, add []config.DataSource, err error) {
	switch g.source() {
	case srcExample:
		return app.DefaultSource, nil, g.ctrl.CreateExampleTable(g.u.ctx)
	case srcSaved:
		if len(g.srcExisting.Options) == 0 {
			return "", nil, fieldNotice("datasource", T("还没有添加过数据源：请选“连接 ERP 的数据库”"))
		}
		if g.srcExisting.Selected == "" {
			return "", nil, fieldNotice("datasource", T("请选择一个数据源"))
		}
		return g.srcExisting.Selected, nil, nil
	}
	d, err := g.erpSource()
	return d.Name, []config.DataSource{d}, err
}

func (g *guide) tryTemplate() {
	name, add, err := g.prepareSource()
	if err != nil {
		g.serr.show(err)
		return
	}
	if len(add) > 0 {
		// A template can only be tried on a saved data source.
		if _, err := g.ctrl.Import(g.u.ctx, config.File{DataSources: add}); err != nil {
			g.serr.show(err)
			return
		}
		// From now on it is a saved one: 下一步 must not add it twice.
		g.srcExisting.Options = append(g.srcExisting.Options, name)
		g.srcExisting.SetSelected(name)
		g.srcMode.SetSelected(g.srcMode.Options[srcSaved])
	}
	t := g.templateConfig(name)
	vars := model.Vars{"qq": strings.TrimSpace(g.tqq.Text), "user": "", "content": g.targs.Text}
	vars.SetArgs(strings.Fields(g.targs.Text))
	g.result = nil
	g.resultTable.Refresh()
	g.serr.busy(T("正在执行…"))
	g.tryBtn.Disable()
	var res *model.KeywordResult
	g.u.background(func(ctx context.Context) error {
		var err error
		res, err = g.ctrl.DryRunTemplate(ctx, t, vars, false)
		return err
	}, func(err error) {
		g.tryBtn.Enable()
		clearStatus(g.sstatus)
		if err != nil {
			g.serr.show(err)
			return
		}
		g.result = res
		for i := range res.Columns {
			g.resultTable.SetColumnWidth(i, 150)
		}
		g.resultTable.Refresh()
		g.serr.ok(fmt.Sprintf(T("返回 %d 行"), len(res.Rows)))
	})
}

func (g *guide) saveTemplate() bool {
	name, add, err := g.prepareSource()
	if err != nil {
		g.serr.show(err)
		return false
	}
	t := g.templateConfig(name)
	if ts, _ := g.ctrl.ListTemplates(g.u.ctx); slices.ContainsFunc(ts, func(x config.Template) bool { return x.Keyword == t.Keyword }) {
		g.serr.show(fieldNotice("keyword", fmt.Sprintf(T("模板“%s”已存在：请换一个关键字，或跳过这一步"), t.Keyword)))
		return false
	}
	if _, err := g.ctrl.Import(g.u.ctx, config.File{DataSources: add, Templates: []config.Template{t}}); err != nil {
		g.serr.show(err)
		return false
	}
	g.keyword = t.Keyword
	return true
}

// --- 4: ready

// queryText escapes what would end or change a query parameter, and leaves
// Chinese as it is, so the address stays readable for the admin.
func queryText(s string) string {
	return strings.NewReplacer("%", "%25", "&", "%26", "#", "%23", "+", "%2B", " ", "%20", "=", "%3D", "?", "%3F").Replace(s)
}

func (g *guide) readyStep() fyne.CanvasObject {
	g.sendURL, g.queryURL = widget.NewMultiLineEntry(), widget.NewMultiLineEntry()
	for _, e := range []*widget.Entry{g.sendURL, g.queryURL} {
		e.Wrapping = fyne.TextWrapBreak // the whole address in view
		e.SetMinRowsVisible(2)
	}
	g.readyHelp = helpLabel("")
	g.runNote = widget.NewLabel("")
	g.runNote.Wrapping = fyne.TextWrapWord
	g.startBtn = widget.NewButtonWithIcon(T("启动服务"), theme.MediaPlayIcon(), func() {
		_ = g.u.StartServer()
		g.enterReady()
	})
	copyOf := func(e *widget.Entry) *widget.Button {
		return widget.NewButtonWithIcon(T("复制"), theme.ContentCopyIcon(), func() { g.u.fa.Clipboard().SetContent(e.Text) })
	}
	return container.NewVBox(
		widget.NewLabel(T("设置好了。ERP 这样调用 BotGate（浏览器里打开也可以试）：")),
		heading(T("发送消息")), container.NewBorder(nil, nil, nil, copyOf(g.sendURL), g.sendURL),
		heading(T("按关键字查询")), container.NewBorder(nil, nil, nil, copyOf(g.queryURL), g.queryURL),
		g.readyHelp, g.runNote, container.NewHBox(g.startBtn))
}

// fixedTarget tells whether the channel of step 2 is a group robot, which
// needs no receiver.
func (g *guide) fixedTarget() bool {
	k, ok := g.kindSelected()
	return ok && g.channelName != "" && k.Caps.FixedTarget
}

func (g *guide) enterReady() {
	addr := g.ctrl.ListenAddr()
	if r, a := g.u.ctrl.Running(); r {
		addr = a
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = "127.0.0.1", "7789"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	user, pass := g.user, g.password
	if user == "" {
		user, pass = T("用户名"), T("密码")
		if users, _ := g.ctrl.ListUsers(g.u.ctx); len(users) > 0 {
			user = users[0].Name
		}
	}
	base := "http://" + net.JoinHostPort(host, port) + "/?user=" + queryText(user) + "&Access_token=" + queryText(pass)
	send := base
	if g.fixedTarget() {
		g.readyHelp.SetText(T("群机器人把消息发到它所在的群，调用时不用填 QQ 和 group。错误码和全部参数见 README。"))
	} else {
		send += "&QQ=" + T("接收QQ")
		g.readyHelp.SetText(T("把“接收QQ”换成接收者；加上 group=群号 就发到群里。错误码和全部参数见 README。"))
	}
	send += "&content=" + T("测试消息")
	if g.channelName != "" {
		send += "&channel=" + queryText(g.channelName)
	}
	g.sendURL.SetText(send)
	keyword := g.keyword
	if keyword == "" {
		keyword = T("关键字")
	}
	g.queryURL.SetText(base + "&keyword=" + queryText(keyword) + "&QQ=289192968")
	if v := g.u.view(); v.running() || v.where == elsewhere {
		g.runNote.SetText(T("服务正在运行，现在就可以调用。"))
		g.startBtn.Hide()
	} else {
		g.runNote.SetText(T("服务还没有启动：点“启动服务”，或在“服务”页打开“自动启动”。"))
		g.startBtn.Show()
	}
}
