package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"botgate/app"
	"botgate/app/config"
	"botgate/model"
)

var templateKinds = []struct{ kind, label, short string }{
	{model.KindQuery, "查询（SELECT）", "查询"},
	{model.KindInsert, "填报（INSERT）", "填报"},
	{model.KindUpdate, "修改（UPDATE/DELETE）", "修改"},
}

// kindText is a template kind as the list shows it.
func kindText(kind string) string {
	for _, k := range templateKinds {
		if k.kind == kind {
			return T(k.short)
		}
	}
	return kind
}

// sourceLabel is a data source as the dropdowns show it: the built-in one
// says what it is.
func sourceLabel(name string) string {
	if name == app.DefaultSource {
		return name + T("（内置 data.db）")
	}
	return name
}

// sourceName is the data source a dropdown label stands for.
func sourceName(label string) string {
	if label == sourceLabel(app.DefaultSource) {
		return app.DefaultSource
	}
	return label
}

// TemplatesController is what the 交互查询 tab calls (its chat prefix row
// saves through SettingsController).
type TemplatesController interface {
	SettingsController
	DataSourceNames() []string
	ListTemplates(ctx context.Context) ([]config.Template, error)
	DeleteTemplate(ctx context.Context, keyword string) error
	DryRunTemplate(ctx context.Context, t config.Template, vars model.Vars, write bool) (*model.KeywordResult, error)
}

var _ TemplatesController = (*app.App)(nil)

// templatesTab: keyword templates, their editor and 试运行.
type templatesTab struct {
	u       *UI
	ctrl    TemplatesController
	content fyne.CanvasObject
	*listEditor[config.Template]

	keyword *widget.Entry
	kind    *widget.Select
	ds      *widget.Select
	sql     *widget.Entry
	roles   *widget.Entry
	users   *widget.Entry
	chat    *widget.Check
	reply   *widget.Entry
	maxRows *widget.Entry
	timeout *widget.Entry
	enabled *widget.Check
	errs    *fieldErrors
	status  *widget.Label

	args    *widget.Entry
	qq      *widget.Entry
	runBtn  *widget.Button
	result  *model.KeywordResult
	table   *widget.Table
	runInfo *widget.Label

	prefix *settingRow // 聊天前缀 (settings.chat_prefix)
}

// exampleSQL runs on any data source, a new data.db too: it names no table.
const exampleSQL = "SELECT {{1}} AS 参数, '{{来源QQ}}' AS 来源QQ"

func newTemplatesTab(u *UI) *templatesTab {
	t := &templatesTab{u: u, ctrl: u.ctrl, errs: newFieldErrors(u), status: statusLabel()}
	t.errs.status = t.status
	t.listEditor = newListEditor(u, listSpec[config.Template]{
		errs: t.errs, what: T("模板"), nameField: "keyword", line: templateLine,
		name:  func(it config.Template) string { return it.Keyword },
		fetch: func() ([]config.Template, error) { return t.ctrl.ListTemplates(t.u.ctx) },
		fill:  t.fill, blank: t.blank, reload: t.refresh, save: t.ctrl.Import, del: t.ctrl.DeleteTemplate,
	})

	var kinds []string
	for _, k := range templateKinds {
		kinds = append(kinds, T(k.label))
	}
	t.keyword = widget.NewEntry()
	t.keyword.SetPlaceHolder(T("例如 账号、库存（ERP 调用时 keyword 填它，聊天里发它）"))
	t.kind = newSelect(kinds, nil)
	t.kind.SetSelectedIndex(0)
	t.ds = newSelect(nil, nil)
	t.sql = widget.NewMultiLineEntry()
	t.sql.TextStyle = fyne.TextStyle{Monospace: true}
	t.sql.Wrapping = fyne.TextWrapWord
	t.sql.SetMinRowsVisible(4)
	t.sql.SetPlaceHolder(exampleSQL)
	t.roles = widget.NewEntry()
	t.roles.SetPlaceHolder(T("可使用的角色，逗号分隔；角色和用户都留空表示所有用户"))
	t.users = widget.NewEntry()
	t.users.SetPlaceHolder(T("可使用的 API 用户，逗号分隔"))
	t.chat = widget.NewCheck(T("允许在聊天中用关键字触发"), nil)
	t.reply = widget.NewEntry()
	t.reply.SetPlaceHolder(T("例如 {{name}}：{{qq}}（留空 = 按列逐行列出）"))
	t.maxRows = widget.NewEntry()
	t.maxRows.SetPlaceHolder("50")
	t.timeout = widget.NewEntry()
	t.timeout.SetPlaceHolder("5000")
	t.enabled = widget.NewCheck(T("启用"), nil)
	t.enabled.SetChecked(true)
	t.errs.watch(t.chat, t.enabled)

	sqlHelp := helpLabel(T("{{1}}、{{2}}… 是调用时按顺序给的参数，{{来源QQ}} 是发起者的 QQ；占位符都作为参数绑定，不会拼进 SQL。查 ERP 的例子：SELECT 名称, 库存 FROM 商品 WHERE 编号 = {{1}}（表名和列名换成 ERP 数据库里的）。"))
	form := widget.NewForm(
		widget.NewFormItem(T("关键字")+" *", t.errs.field(t.keyword, "keyword")),
		widget.NewFormItem(T("类型"), t.errs.field(t.kind, "kind")),
		widget.NewFormItem(T("数据源"), t.errs.field(t.ds, "datasource")),
		widget.NewFormItem("SQL *", container.NewVBox(t.errs.field(t.sql, "sql"), sqlHelp)),
		widget.NewFormItem(T("角色"), t.errs.field(t.roles, "roles")),
		widget.NewFormItem(T("用户"), t.errs.field(t.users, "users")),
		widget.NewFormItem(T("聊天"), t.chat),
		widget.NewFormItem(T("回复格式"), t.errs.field(t.reply, "reply")),
		widget.NewFormItem(T("最多行数"), t.errs.field(t.maxRows, "max_rows")),
		widget.NewFormItem(T("超时（毫秒）"), t.errs.field(t.timeout, "timeout_ms")),
		widget.NewFormItem("", t.enabled),
	)
	unsaved := t.errs.track(t.snapshot)
	save := widget.NewButtonWithIcon(T("保存"), theme.DocumentSaveIcon(), t.save)
	save.Importance = widget.HighImportance
	buttons := container.NewVBox(
		container.NewHBox(
			widget.NewButtonWithIcon(T("新建模板"), theme.ContentAddIcon(), t.newTemplate), save,
			widget.NewButtonWithIcon(T("删除"), theme.DeleteIcon(), t.delete), unsaved),
		t.errs.general, t.status)

	t.prefix = newSettingRow(u, "chat_prefix", T("聊天前缀"), T("留空 = 不需要前缀；例如 #"),
		func(s config.Settings) string { return s.ChatPrefix },
		func(text string) (*config.SettingsPatch, error) { return &config.SettingsPatch{ChatPrefix: &text}, nil })
	prefixHelp := helpLabel(T("所有模板共用。聊天中只有以前缀开头的消息才当作关键字，例如前缀 # 时发“#账号 admin”。"))
	editor := container.NewBorder(nil, buttons, nil, nil, scrollPage(container.NewVBox(form,
		widget.NewSeparator(), heading(T("聊天设置")), t.prefix.box, prefixHelp)))

	t.args = widget.NewEntry()
	t.args.SetPlaceHolder(T("示例参数，用空格分隔（依次对应 SQL 中的 {{1}}、{{2}}…）"))
	t.qq = widget.NewEntry()
	t.qq.SetPlaceHolder(T("来源QQ"))
	t.runBtn = widget.NewButtonWithIcon(T("试运行"), theme.MediaPlayIcon(), t.dryRun)
	t.runInfo = statusLabel()
	t.table = widget.NewTableWithHeaders(t.tableSize,
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			o.(*widget.Label).SetText(cellText(t.result.Rows[id.Row][id.Col]))
		})
	t.table.ShowHeaderColumn = false
	t.table.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	t.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if t.result != nil && id.Col >= 0 && id.Col < len(t.result.Columns) {
			o.(*widget.Label).SetText(t.result.Columns[id.Col])
		}
	}
	run := container.NewBorder(
		container.NewVBox(
			heading(T("试运行（不保存，用示例参数执行上面的 SQL）")),
			container.NewBorder(nil, nil, nil, container.NewHBox(container.NewGridWrap(fyne.NewSize(150, t.args.MinSize().Height), t.qq), t.runBtn), t.args),
			t.runInfo),
		nil, nil, nil, t.table)

	right := container.NewVSplit(editor, run)
	right.Offset = 0.5
	left := container.NewBorder(heading(T("模板列表")), nil, nil, nil, t.list)
	split := container.NewHSplit(left, right)
	split.Offset = 0.2
	t.content = split
	return t
}

func templateLine(it config.Template) string {
	s := it.Keyword + " · " + kindText(it.Kind)
	if it.Enabled != nil && !*it.Enabled {
		s += " · " + T("已停用")
	}
	return s
}

func (t *templatesTab) tableSize() (int, int) {
	if t.result == nil || t.result.Kind != model.KindQuery {
		return 0, 0
	}
	return len(t.result.Rows), len(t.result.Columns)
}

func cellText(v any) string {
	if v == nil {
		return "NULL"
	}
	return fmt.Sprint(v)
}

func (t *templatesTab) refresh() {
	var labels []string
	for _, n := range t.ctrl.DataSourceNames() {
		labels = append(labels, sourceLabel(n))
	}
	t.ds.Options = labels
	if t.ds.Selected == "" {
		t.errs.filling(func() { t.ds.SetSelected(sourceLabel(app.DefaultSource)) })
	}
	t.ds.Refresh()
	t.load()
}

func (t *templatesTab) fill(it config.Template) {
	t.keyword.SetText(it.Keyword)
	for j, k := range templateKinds {
		if k.kind == it.Kind {
			t.kind.SetSelectedIndex(j)
		}
	}
	ds := it.DataSource
	if ds == "" {
		ds = app.DefaultSource
	}
	t.ds.SetSelected(sourceLabel(ds))
	t.sql.SetText(it.SQL)
	t.roles.SetText(strings.Join(it.Roles, ", "))
	t.users.SetText(strings.Join(it.Users, ", "))
	t.chat.SetChecked(it.Chat)
	t.reply.SetText(it.Reply)
	t.maxRows.SetText(strconv.Itoa(it.MaxRows))
	t.timeout.SetText(strconv.Itoa(it.TimeoutMS))
	t.enabled.SetChecked(it.Enabled == nil || *it.Enabled)
	t.clearRun()
}

func (t *templatesTab) newTemplate() { t.reset() }

func (t *templatesTab) blank() {
	for _, e := range []*widget.Entry{t.keyword, t.sql, t.roles, t.users, t.reply, t.maxRows, t.timeout} {
		e.SetText("")
	}
	t.kind.SetSelectedIndex(0)
	t.ds.SetSelected(sourceLabel(app.DefaultSource))
	t.chat.SetChecked(false)
	t.enabled.SetChecked(true)
	t.clearRun()
}

// clearRun empties the try-run result: rows of one template must not show
// under another.
func (t *templatesTab) clearRun() {
	t.result = nil
	clearStatus(t.runInfo)
	t.table.Refresh()
}

// snapshot is the editor's content, for the unsaved-changes mark.
func (t *templatesTab) snapshot() string {
	return fmt.Sprintf("%q|%d|%q|%q|%q|%q|%v|%q|%q|%q|%v", t.keyword.Text, t.kind.SelectedIndex(), t.ds.Selected, t.sql.Text,
		t.roles.Text, t.users.Text, t.chat.Checked, t.reply.Text, t.maxRows.Text, t.timeout.Text, t.enabled.Checked)
}

// config reads the editor; numbers that are not numbers are reported at their field.
func (t *templatesTab) config() (config.Template, error) {
	tc := config.Template{Keyword: strings.TrimSpace(t.keyword.Text), Kind: templateKinds[max(t.kind.SelectedIndex(), 0)].kind,
		DataSource: sourceName(t.ds.Selected), SQL: t.sql.Text, Roles: splitList(t.roles.Text), Users: splitList(t.users.Text),
		Chat: t.chat.Checked, Reply: t.reply.Text}
	on := t.enabled.Checked
	tc.Enabled = &on
	num := func(e *widget.Entry, field, msg string) (int, error) {
		s := strings.TrimSpace(e.Text)
		if s == "" {
			return 0, nil // the default
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, fieldNotice(field, msg)
		}
		return n, nil
	}
	var err error
	if tc.MaxRows, err = num(t.maxRows, "max_rows", T("最多行数必须是 1 到 10000 之间的整数")); err != nil {
		return tc, err
	}
	if tc.TimeoutMS, err = num(t.timeout, "timeout_ms", T("超时必须是 100 到 120000 之间的整数（毫秒）")); err != nil {
		return tc, err
	}
	return tc, nil
}

func (t *templatesTab) save() {
	tc, err := t.config()
	if err != nil {
		t.errs.show(err)
		return
	}
	t.saveItem(config.File{Templates: []config.Template{tc}}, tc.Keyword, T("模板 %s 已保存"))
}

func (t *templatesTab) delete() {
	t.remove(deletion{pick: T("请先在左侧列表中选择一个模板"), title: T("删除模板"),
		question: T("确定删除模板 %s？调用该关键字的请求将失败。"), done: T("模板 %s 已删除")})
}

// dryRun runs the editor's SQL with the sample arguments, off the main
// goroutine (a template may take up to its timeout). Writing templates ask first.
func (t *templatesTab) dryRun() {
	tc, err := t.config()
	if err != nil {
		t.errs.show(err)
		return
	}
	if tc.Kind != model.KindQuery {
		t.u.confirm(T("试运行"), T("填报/修改模板试运行会真的修改数据库中的数据。确定执行吗？"), T("执行"), func() { t.runNow(tc, true) })
		return
	}
	t.runNow(tc, false)
}

func (t *templatesTab) runNow(tc config.Template, write bool) {
	vars := model.Vars{"qq": strings.TrimSpace(t.qq.Text), "user": "", "content": t.args.Text}
	vars.SetArgs(strings.Fields(t.args.Text))
	t.errs.clear()
	t.result = nil
	t.table.Refresh()
	t.runInfo.Importance = widget.MediumImportance
	t.runInfo.SetText(T("正在执行…"))
	t.runInfo.Show()
	t.runBtn.Disable()
	asked := t.snapshot()
	var res *model.KeywordResult
	t.u.background(func(ctx context.Context) error {
		var err error
		res, err = t.ctrl.DryRunTemplate(ctx, tc, vars, write)
		return err
	}, func(err error) {
		t.runBtn.Enable()
		switch {
		case t.snapshot() != asked && t.current() != tc.Keyword:
			clearStatus(t.runInfo) // another template is shown now
		case err != nil:
			// The outcome shows where the admin looks (under 试运行), and at
			// the field it concerns when there is one.
			setStatus(t.runInfo, err, "")
			t.errs.show(err)
		default:
			t.showResult(res)
		}
		t.u.relayout()
	})
}

func (t *templatesTab) showResult(res *model.KeywordResult) {
	t.result = res
	switch {
	case res.Kind != model.KindQuery:
		setStatus(t.runInfo, nil, fmt.Sprintf(T("执行成功，影响 %d 行"), res.Affected))
	case res.Truncated:
		setStatus(t.runInfo, nil, fmt.Sprintf(T("返回 %d 行（已达最多行数，其余未显示）"), len(res.Rows)))
	default:
		setStatus(t.runInfo, nil, fmt.Sprintf(T("返回 %d 行"), len(res.Rows)))
	}
	for i := range res.Columns {
		t.table.SetColumnWidth(i, 160)
	}
	t.table.Refresh()
}
