package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"botgate/app"
	"botgate/app/config"
)

// SourcesController is what the 数据源 tab calls.
type SourcesController interface {
	Import(ctx context.Context, cf config.File) (config.Summary, error)
	ListDataSources(ctx context.Context) ([]config.DataSource, error)
	DeleteDataSource(ctx context.Context, name string) error
	Drivers() []string
	TestDataSource(ctx context.Context, d config.DataSource) error
}

var _ SourcesController = (*app.App)(nil)

// sourcesTab: the databases templates and SQL authorization read.
type sourcesTab struct {
	u       *UI
	ctrl    SourcesController
	content fyne.CanvasObject
	*listEditor[config.DataSource]

	name    *widget.Entry
	driver  *widget.Select
	dsn     *widget.Entry
	errs    *fieldErrors
	status  *widget.Label
	testBtn *widget.Button
}

func newSourcesTab(u *UI) *sourcesTab {
	s := &sourcesTab{u: u, ctrl: u.ctrl, errs: newFieldErrors(), status: statusLabel()}
	s.listEditor = newListEditor(u, listSpec[config.DataSource]{
		errs: s.errs, status: s.status,
		name:  func(d config.DataSource) string { return d.Name },
		line:  func(d config.DataSource) string { return d.Name + "  (" + d.Driver + ")" },
		fetch: func() ([]config.DataSource, error) { return s.ctrl.ListDataSources(s.u.ctx) },
		fill:  s.fill, blank: s.blank, save: s.ctrl.Import, del: s.ctrl.DeleteDataSource,
	})
	s.name = widget.NewEntry()
	s.name.SetPlaceHolder(T("例如 erp"))
	s.driver = widget.NewSelect(s.ctrl.Drivers(), nil)
	s.dsn = widget.NewMultiLineEntry()
	s.dsn.Wrapping = fyne.TextWrapBreak
	s.dsn.TextStyle = fyne.TextStyle{Monospace: true}
	s.dsn.SetMinRowsVisible(2)
	s.dsn.SetPlaceHolder("user:password@tcp(192.168.1.10:3306)/erp")
	s.testBtn = widget.NewButtonWithIcon(T("测试连接"), theme.ConfirmIcon(), s.test)
	form := widget.NewForm(
		widget.NewFormItem(T("名称"), s.errs.field(s.name, "name")),
		widget.NewFormItem(T("数据库类型"), s.errs.field(s.driver, "driver")),
		widget.NewFormItem(T("连接字符串"), s.errs.field(s.dsn, "dsn")),
	)
	help := widget.NewLabel(T("内置数据源 default 是状态数据库旁的 data.db（SQLite），无需添加。连接字符串中的密码在列表和导出中显示为 ******，保存时保持不变。"))
	help.Wrapping = fyne.TextWrapWord
	buttons := container.NewHBox(
		widget.NewButtonWithIcon(T("新建数据源"), theme.ContentAddIcon(), s.newSource),
		widget.NewButtonWithIcon(T("保存"), theme.DocumentSaveIcon(), s.save),
		widget.NewButtonWithIcon(T("删除"), theme.DeleteIcon(), s.delete),
		s.testBtn,
	)
	right := container.NewVScroll(container.NewVBox(form, buttons, s.errs.general, s.status, widget.NewSeparator(), help))
	split := container.NewHSplit(container.NewBorder(widget.NewLabel(T("数据源列表")), nil, nil, nil, s.list), right)
	split.Offset = 0.25
	s.content = split
	return s
}

func (s *sourcesTab) refresh() { s.load() }

func (s *sourcesTab) fill(d config.DataSource) {
	s.name.SetText(d.Name)
	s.driver.SetSelected(d.Driver)
	s.dsn.SetText(d.DSN)
}

func (s *sourcesTab) blank() {
	s.name.SetText("")
	s.driver.ClearSelected()
	s.dsn.SetText("")
}

func (s *sourcesTab) newSource() { s.reset() }

func (s *sourcesTab) config() config.DataSource {
	return config.DataSource{Name: strings.TrimSpace(s.name.Text), Driver: s.driver.Selected, DSN: strings.TrimSpace(s.dsn.Text)}
}

func (s *sourcesTab) save() {
	d := s.config()
	if s.saveItem(config.File{DataSources: []config.DataSource{d}}, d.Name, T("数据源 %s 已保存")) {
		s.u.templates.refresh() // the template editor lists data sources
	}
}

func (s *sourcesTab) delete() {
	s.remove(deletion{pick: T("请先在左侧列表中选择一个数据源"), title: T("删除数据源"),
		question: T("确定删除数据源 %s？"), done: T("数据源 %s 已删除")})
}

func (s *sourcesTab) test() {
	d := s.config()
	s.errs.clear()
	s.status.Importance = widget.MediumImportance
	s.status.SetText(T("正在测试连接…"))
	s.testBtn.Disable()
	s.u.background(func(ctx context.Context) error { return s.ctrl.TestDataSource(ctx, d) }, func(err error) {
		s.testBtn.Enable()
		if err != nil {
			s.status.SetText("")
			s.errs.show(err)
			return
		}
		setStatus(s.status, nil, T("连接成功"))
	})
}
