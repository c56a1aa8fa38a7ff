package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"botgate/app"
	"botgate/app/config"
)

// authModes are the radio options, one line each.
var authModes = []struct{ mode, label string }{
	{"users", "users：API 用户名和密码（推荐）"},
	{"sql", "sql：用 ERP 数据库中的账号验证（填写授权 SQL）"},
	{"token", "token：所有调用方共用一个令牌"},
	{"none", "none：不验证，只允许本机调用"},
}

// AuthController is what the 授权 tab calls.
type AuthController interface {
	SettingsController
	DataSourceNames() []string
	ListUsers(ctx context.Context) ([]config.User, error)
	DeleteUser(ctx context.Context, name string) error
	RenameUser(ctx context.Context, from, to string) error
	GenerateToken() string
}

var _ AuthController = (*app.App)(nil)

// authTab: authorization mode, token, SQL check and the API users.
type authTab struct {
	u       *UI
	ctrl    AuthController
	content fyne.CanvasObject

	mode    *widget.RadioGroup
	token   *widget.Entry
	authDS  *widget.Select
	authSQL *widget.Entry
	errs    *fieldErrors
	saved   *widget.Label
	*listEditor[config.User]
	uname     *widget.Entry
	upass     *widget.Entry
	uroles    *widget.Entry
	udisabled *widget.Check
	uerrs     *fieldErrors
	usaved    *widget.Label
}

func newAuthTab(u *UI) *authTab {
	a := &authTab{u: u, ctrl: u.ctrl, errs: newFieldErrors(), uerrs: newFieldErrors(), usaved: statusLabel()}
	a.listEditor = newListEditor(u, listSpec[config.User]{
		errs: a.uerrs, status: a.usaved, name: userName, line: userLine,
		fetch: func() ([]config.User, error) { return a.ctrl.ListUsers(a.u.ctx) },
		fill:  a.fill, blank: a.blank, save: a.ctrl.Import, del: a.ctrl.DeleteUser,
	})
	var labels []string
	for _, m := range authModes {
		labels = append(labels, T(m.label))
	}
	a.mode = widget.NewRadioGroup(labels, nil)
	a.token = widget.NewPasswordEntry()
	gen := widget.NewButtonWithIcon(T("生成"), theme.ViewRefreshIcon(), func() { a.token.SetText(a.ctrl.GenerateToken()) })
	cp := widget.NewButtonWithIcon(T("复制"), theme.ContentCopyIcon(), func() { u.fa.Clipboard().SetContent(a.token.Text) })
	a.authDS = widget.NewSelect(nil, nil)
	a.authSQL = widget.NewMultiLineEntry()
	a.authSQL.TextStyle = fyne.TextStyle{Monospace: true}
	a.authSQL.SetPlaceHolder("SELECT 1 FROM users WHERE name = {{user}} AND pwd = {{Access_token}}")
	a.authSQL.SetMinRowsVisible(2)
	a.saved = statusLabel()
	save := widget.NewButtonWithIcon(T("保存授权设置"), theme.DocumentSaveIcon(), a.save)
	save.Importance = widget.HighImportance
	settings := widget.NewForm(
		widget.NewFormItem(T("授权方式"), a.errs.field(a.mode, "auth_mode")),
		widget.NewFormItem(T("令牌"), a.errs.field(container.NewBorder(nil, nil, nil, container.NewHBox(gen, cp), a.token), "auth_token")),
		widget.NewFormItem(T("授权数据源"), a.errs.field(a.authDS, "auth_datasource")),
		widget.NewFormItem(T("授权 SQL"), a.errs.field(a.authSQL, "auth_sql")),
	)

	a.uname = widget.NewEntry()
	a.upass = widget.NewPasswordEntry()
	a.upass.SetPlaceHolder(T("新用户必填；修改时留空表示不改密码"))
	a.uroles = widget.NewEntry()
	a.uroles.SetPlaceHolder(T("用逗号分隔，例如 admin, sales"))
	a.udisabled = widget.NewCheck(T("停用（该用户的请求会被拒绝）"), nil)
	userForm := widget.NewForm(
		widget.NewFormItem(T("用户名"), a.uerrs.field(a.uname, "name")),
		widget.NewFormItem(T("密码"), a.uerrs.field(a.upass, "password", "password_hash")),
		widget.NewFormItem(T("角色"), a.uerrs.field(a.uroles, "roles")),
		widget.NewFormItem("", a.udisabled),
	)
	userButtons := container.NewHBox(
		widget.NewButtonWithIcon(T("新建用户"), theme.ContentAddIcon(), a.newUser),
		widget.NewButtonWithIcon(T("保存用户"), theme.DocumentSaveIcon(), a.saveUser),
		widget.NewButtonWithIcon(T("重命名"), theme.DocumentCreateIcon(), a.renameUser),
		widget.NewButtonWithIcon(T("删除用户"), theme.DeleteIcon(), a.deleteUser),
	)
	users := container.NewBorder(nil, nil, container.NewGridWrap(fyne.NewSize(220, 260), a.list), nil,
		container.NewVBox(userForm, userButtons, a.uerrs.general, a.usaved))

	a.content = container.NewVScroll(container.NewVBox(
		settings, container.NewHBox(save), a.errs.general, a.saved,
		widget.NewSeparator(),
		widget.NewLabelWithStyle(T("API 用户"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		users,
	))
	return a
}

func userName(u config.User) string { return u.Name }

func userLine(u config.User) string {
	s := u.Name
	if len(u.Roles) > 0 {
		s += "  [" + strings.Join(u.Roles, ", ") + "]"
	}
	if u.Disabled {
		s += "  " + T("（已停用）")
	}
	return s
}

func (a *authTab) refresh() {
	st := a.ctrl.Settings()
	for i, m := range authModes {
		if m.mode == st.AuthMode {
			a.mode.SetSelected(a.mode.Options[i])
		}
	}
	a.token.SetText(st.AuthToken)
	a.authDS.Options = a.ctrl.DataSourceNames()
	a.authDS.SetSelected(st.AuthDataSource)
	a.authSQL.SetText(st.AuthSQL)
	a.loadUsers()
}

func (a *authTab) loadUsers() { a.load() }

func (a *authTab) save() {
	a.saved.SetText("")
	mode := ""
	for i, o := range a.mode.Options {
		if o == a.mode.Selected {
			mode = authModes[i].mode
		}
	}
	token, ds, sql := a.token.Text, a.authDS.Selected, a.authSQL.Text
	p := &config.SettingsPatch{AuthMode: &mode, AuthToken: &token, AuthDataSource: &ds, AuthSQL: &sql}
	if _, err := a.ctrl.Import(a.u.ctx, config.File{Settings: p}); err != nil {
		a.errs.show(err)
		return
	}
	a.errs.clear()
	setStatus(a.saved, nil, T("已保存"))
}

func (a *authTab) fill(u config.User) {
	a.uname.SetText(u.Name)
	a.uname.Disable() // saving upserts by name; 重命名 renames
	a.upass.SetText("")
	a.uroles.SetText(strings.Join(u.Roles, ", "))
	a.udisabled.SetChecked(u.Disabled)
}

func (a *authTab) blank() {
	a.uname.Enable()
	a.uname.SetText("")
	a.upass.SetText("")
	a.uroles.SetText("")
	a.udisabled.SetChecked(false)
}

func (a *authTab) newUser() { a.reset() }

func (a *authTab) saveUser() {
	uc := config.User{Name: strings.TrimSpace(a.uname.Text), Password: a.upass.Text,
		Roles: splitList(a.uroles.Text), Disabled: a.udisabled.Checked}
	if a.saveItem(config.File{Users: []config.User{uc}}, uc.Name, T("用户 %s 已保存")) {
		a.upass.SetText("")
	}
}

// renameUser asks for the new name of the selected user; password, roles
// and the templates naming the user stay with it.
func (a *authTab) renameUser() {
	from := a.current()
	if from == "" {
		a.uerrs.show(notice(T("请先在左侧列表中选择一个用户")))
		return
	}
	to := widget.NewEntry()
	to.SetText(from)
	items := []*widget.FormItem{widget.NewFormItem(T("新用户名"), to)}
	dialog.ShowForm(fmt.Sprintf(T("重命名用户 %s"), from), T("重命名"), T("取消"), items, func(ok bool) {
		if ok {
			a.rename(from, to.Text)
		}
	}, a.u.win)
}

func (a *authTab) rename(from, to string) {
	if err := a.ctrl.RenameUser(a.u.ctx, from, to); err != nil {
		a.uerrs.show(err)
		return
	}
	to = strings.TrimSpace(to)
	if to == from {
		a.uerrs.clear()
		return
	}
	a.uerrs.clear()
	a.loadUsers()
	a.selectName(to)
	setStatus(a.usaved, nil, fmt.Sprintf(T("用户 %s 已改名为 %s；调用 API 的程序也要改用新用户名"), from, to))
}

func (a *authTab) deleteUser() {
	a.remove(deletion{pick: T("请先在左侧列表中选择一个用户"), title: T("删除用户"),
		question: T("确定删除用户 %s？使用该用户的程序将无法再调用。"), done: T("用户 %s 已删除")})
}

// splitList reads "a, b，c" (ASCII or Chinese commas) as a list.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == ';' || r == '、' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
