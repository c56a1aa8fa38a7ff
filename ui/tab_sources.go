package ui

import (
	"context"
	"fmt"
	"runtime"
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

// drivers are the data source types as the form names them, with the DSN
// an admin writes for each (placeholder) and how it is formed (help).
var drivers = []struct{ name, label, example, help string }{
	{"sqlite", "SQLite（本机数据库文件）", sqliteExample(), "填数据库文件的完整路径。测试连接不会新建文件：路径写错时会提示找不到文件。"},
	{"mysql", "MySQL / MariaDB", "用户名:密码@tcp(192.168.1.10:3306)/erp", "写法：用户名:密码@tcp(服务器IP:端口)/数据库名，默认端口 3306；选项接在后面，例如 ?tls=true。"},
	{"postgres", "PostgreSQL", "postgres://用户名:密码@192.168.1.10:5432/erp?sslmode=disable", "写法：postgres://用户名:密码@服务器IP:端口/数据库名，默认端口 5432；没有启用 SSL 的服务器加 ?sslmode=disable。"},
	{"sqlserver", "SQL Server", "sqlserver://用户名:密码@192.168.1.10:1433?database=erp", "写法：sqlserver://用户名:密码@服务器IP:端口?database=数据库名，默认端口 1433；命名实例写 服务器IP/实例名。"},
}

func sqliteExample() string {
	if runtime.GOOS == "windows" {
		return `D:\ERP\erp.db`
	}
	return "/home/erp/erp.db"
}

// driverLabel is a driver as the form and the list show it.
func driverLabel(name string) string {
	for _, d := range drivers {
		if d.name == name {
			return T(d.label)
		}
	}
	return name
}

// sourcesTab: the databases templates and SQL authorization read.
type sourcesTab struct {
	u       *UI
	ctrl    SourcesController
	content fyne.CanvasObject
	*listEditor[config.DataSource]

	names   []string // driver names, in the order of the dropdown
	name    *widget.Entry
	driver  *widget.Select
	dsn     *widget.Entry
	dsnHelp *widget.Label
	errs    *fieldErrors
	status  *widget.Label
	testBtn *widget.Button
}

func newSourcesTab(u *UI) *sourcesTab {
	s := &sourcesTab{u: u, ctrl: u.ctrl, errs: newFieldErrors(u), status: statusLabel()}
	s.errs.status = s.status
	s.listEditor = newListEditor(u, listSpec[config.DataSource]{
		errs: s.errs, what: T("数据源"), nameField: "name",
		name:  func(d config.DataSource) string { return d.Name },
		line:  func(d config.DataSource) string { return d.Name + " · " + driverLabel(d.Driver) },
		fetch: func() ([]config.DataSource, error) { return s.ctrl.ListDataSources(s.u.ctx) },
		fill:  s.fill, blank: s.blank, save: s.ctrl.Import, del: s.ctrl.DeleteDataSource,
	})
	s.names = s.ctrl.Drivers()
	var labels []string
	for _, n := range s.names {
		labels = append(labels, driverLabel(n))
	}
	s.name = widget.NewEntry()
	s.name.SetPlaceHolder(T("例如 erp（模板里选数据源时用这个名称）"))
	s.dsn = widget.NewMultiLineEntry()
	s.dsn.Wrapping = fyne.TextWrapBreak
	s.dsn.TextStyle = fyne.TextStyle{Monospace: true}
	s.dsn.SetMinRowsVisible(2)
	s.dsnHelp = helpLabel(T("先选数据库类型，这里会显示连接字符串的写法。"))
	s.driver = newSelect(labels, func(string) { s.showDriver() })
	s.testBtn = widget.NewButtonWithIcon(T("测试连接"), theme.ConfirmIcon(), s.test)
	form := widget.NewForm(
		widget.NewFormItem(T("名称")+" *", s.errs.field(s.name, "name")),
		widget.NewFormItem(T("数据库类型")+" *", s.errs.field(s.driver, "driver")),
		widget.NewFormItem(T("连接字符串")+" *", container.NewVBox(s.errs.field(s.dsn, "dsn"), s.dsnHelp)),
	)
	help := helpLabel(T("内置数据源 default 是状态数据库旁的 data.db（SQLite），无需添加。连接字符串中的密码在列表和导出中显示为 ******，保存时保持不变。"))
	unsaved := s.errs.track(s.snapshot)
	save := widget.NewButtonWithIcon(T("保存"), theme.DocumentSaveIcon(), s.save)
	save.Importance = widget.HighImportance
	buttons := container.NewVBox(widget.NewSeparator(),
		container.NewHBox(
			widget.NewButtonWithIcon(T("新建数据源"), theme.ContentAddIcon(), s.newSource), save,
			widget.NewButtonWithIcon(T("删除"), theme.DeleteIcon(), s.delete), s.testBtn, unsaved),
		s.errs.general, s.status)
	right := container.NewBorder(nil, buttons, nil, nil, scrollPage(container.NewVBox(form, widget.NewSeparator(), help)))
	split := container.NewHSplit(container.NewBorder(heading(T("数据源列表")), nil, nil, nil, s.list), right)
	split.Offset = 0.22
	s.content = split
	s.showDriver()
	return s
}

// driverName is the driver selected in the form ("" for none).
func (s *sourcesTab) driverName() string {
	if i := s.driver.SelectedIndex(); i >= 0 && i < len(s.names) {
		return s.names[i]
	}
	return ""
}

// showDriver puts the selected driver's DSN example in the placeholder and
// its form under the field.
func (s *sourcesTab) showDriver() {
	for _, d := range drivers {
		if d.name == s.driverName() {
			s.dsn.SetPlaceHolder(T("例如 ") + d.example)
			s.dsnHelp.SetText(T(d.help))
			s.errs.layout()
			return
		}
	}
	s.dsn.SetPlaceHolder("")
	s.dsnHelp.SetText(T("先选数据库类型，这里会显示连接字符串的写法。"))
}

func (s *sourcesTab) selectDriver(name string) {
	for i, n := range s.names {
		if n == name {
			s.driver.SetSelectedIndex(i)
			return
		}
	}
	s.driver.ClearSelected()
}

func (s *sourcesTab) refresh() { s.load() }

func (s *sourcesTab) fill(d config.DataSource) {
	s.name.SetText(d.Name)
	s.selectDriver(d.Driver)
	s.dsn.SetText(d.DSN)
}

func (s *sourcesTab) blank() {
	s.name.SetText("")
	s.driver.ClearSelected()
	s.dsn.SetText("")
	s.showDriver()
}

func (s *sourcesTab) snapshot() string {
	return fmt.Sprintf("%q|%q|%q", s.name.Text, s.driverName(), strings.TrimSpace(s.dsn.Text))
}

func (s *sourcesTab) newSource() { s.reset() }

func (s *sourcesTab) config() config.DataSource {
	return config.DataSource{Name: strings.TrimSpace(s.name.Text), Driver: s.driverName(), DSN: strings.TrimSpace(s.dsn.Text)}
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
	if d.Driver == "" {
		s.errs.show(fieldNotice("driver", T("请先选择数据库类型")))
		return
	}
	asked := s.snapshot()
	s.errs.busy(T("正在测试连接…"))
	s.testBtn.Disable()
	s.u.background(func(ctx context.Context) error { return s.ctrl.TestDataSource(ctx, d) }, func(err error) {
		s.testBtn.Enable()
		clearStatus(s.status)
		switch {
		case s.snapshot() != asked:
			s.errs.layout() // the form changed meanwhile: the outcome is about something else
		case err != nil:
			s.errs.show(err)
		default:
			s.errs.ok(T("连接成功"))
		}
	})
}
