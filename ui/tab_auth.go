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
	{"users", "API 用户名和密码（推荐）"},
	{"sql", "用 ERP 数据库中的账号验证（填写授权 SQL）"},
	{"token", "所有调用方共用一个令牌"},
	{"none", "不验证，只允许本机调用"},
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

	mode     *widget.RadioGroup
	token    *widget.Entry
	authDS   *widget.Select
	authSQL  *widget.Entry
	tokenBox *fyne.Container // shown in token mode
	sqlBox   *fyne.Container // shown in sql mode
	errs     *fieldErrors
	saved    *widget.Label
	*listEditor[config.User]
	uname     *widget.Entry
	upass     *widget.Entry
	uroles    *widget.Entry
	udisabled *widget.Check
	uerrs     *fieldErrors
	usaved    *widget.Label
	noUsers   *fyne.Container // the first-run hint
}

func newAuthTab(u *UI) *authTab {
	a := &authTab{u: u, ctrl: u.ctrl, errs: newFieldErrors(u), uerrs: newFieldErrors(u), saved: statusLabel(), usaved: statusLabel()}
	a.errs.status, a.uerrs.status = a.saved, a.usaved
	a.listEditor = newListEditor(u, listSpec[config.User]{
		errs: a.uerrs, what: T("用户"), nameField: "name", name: userName, line: userLine,
		fetch: func() ([]config.User, error) { return a.ctrl.ListUsers(a.u.ctx) },
		fill:  a.fill, blank: a.blank, save: a.ctrl.Import, del: a.ctrl.DeleteUser,
	})
	var labels []string
	for _, m := range authModes {
		labels = append(labels, T(m.label))
	}
	a.mode = widget.NewRadioGroup(labels, func(string) { a.showMode() })
	a.token = widget.NewPasswordEntry()
	gen := widget.NewButtonWithIcon(T("生成"), theme.ViewRefreshIcon(), func() { a.token.SetText(a.ctrl.GenerateToken()) })
	cp := widget.NewButtonWithIcon(T("复制"), theme.ContentCopyIcon(), func() { u.fa.Clipboard().SetContent(a.token.Text) })
	a.authDS = newSelect(nil, nil)
	a.authSQL = widget.NewMultiLineEntry()
	a.authSQL.TextStyle = fyne.TextStyle{Monospace: true}
	a.authSQL.SetPlaceHolder("SELECT 1 FROM users WHERE name = {{user}} AND pwd = {{Access_token}}")
	a.authSQL.SetMinRowsVisible(2)
	save := widget.NewButtonWithIcon(T("保存授权设置"), theme.DocumentSaveIcon(), a.save)
	save.Importance = widget.HighImportance
	a.tokenBox = container.NewVBox(widget.NewForm(
		widget.NewFormItem(T("令牌"), a.errs.field(container.NewBorder(nil, nil, nil, container.NewHBox(gen, cp), a.token), "auth_token"))),
		helpLabel(T("调用时 Access_token 填这个令牌，user 可以任意填写（用于按用户名匹配模板权限）。至少 16 个字符。")))
	a.sqlBox = container.NewVBox(widget.NewForm(
		widget.NewFormItem(T("授权数据源"), a.errs.field(a.authDS, "auth_datasource")),
		widget.NewFormItem(T("授权 SQL"), a.errs.field(a.authSQL, "auth_sql"))),
		helpLabel(T("调用时的 user 和 Access_token 代入 {{user}} 和 {{Access_token}}；SQL 返回至少一行即通过。")))
	modeForm := widget.NewForm(widget.NewFormItem(T("授权方式"), a.errs.field(a.mode, "auth_mode")))
	settingsUnsaved := a.errs.track(a.settingsSnapshot)

	a.uname = widget.NewEntry()
	a.uname.SetPlaceHolder(T("例如 erp（调用时 user 填它）"))
	a.upass = widget.NewPasswordEntry()
	a.upass.SetPlaceHolder(T("新用户必填；修改时留空表示不改密码"))
	genPass := widget.NewButtonWithIcon(T("生成"), theme.ViewRefreshIcon(), a.generatePassword)
	copyPass := widget.NewButtonWithIcon(T("复制"), theme.ContentCopyIcon(), func() { u.fa.Clipboard().SetContent(a.upass.Text) })
	a.uroles = widget.NewEntry()
	a.uroles.SetPlaceHolder(T("用逗号分隔，例如 admin, sales"))
	a.udisabled = widget.NewCheck(T("停用（该用户的请求会被拒绝）"), nil)
	a.uerrs.watch(a.udisabled)
	userForm := widget.NewForm(
		widget.NewFormItem(T("用户名")+" *", a.uerrs.field(a.uname, "name")),
		widget.NewFormItem(T("密码"), a.uerrs.field(container.NewBorder(nil, nil, nil, container.NewHBox(genPass, copyPass), a.upass), "password", "password_hash")),
		widget.NewFormItem(T("角色"), a.uerrs.field(a.uroles, "roles")),
		widget.NewFormItem("", a.udisabled),
	)
	userUnsaved := a.uerrs.track(a.userSnapshot)
	saveUser := widget.NewButtonWithIcon(T("保存用户"), theme.DocumentSaveIcon(), a.saveUser)
	saveUser.Importance = widget.HighImportance
	userButtons := container.NewHBox(
		widget.NewButtonWithIcon(T("新建用户"), theme.ContentAddIcon(), a.newUser), saveUser,
		widget.NewButtonWithIcon(T("重命名"), theme.DocumentCreateIcon(), a.renameUser),
		widget.NewButtonWithIcon(T("删除用户"), theme.DeleteIcon(), a.deleteUser), userUnsaved)
	users := container.NewBorder(nil, nil, container.NewGridWrap(fyne.NewSize(220, 240), a.list), nil,
		container.NewVBox(userForm, userButtons, a.uerrs.general, a.usaved))
	hint := widget.NewLabel(T("还没有 API 用户：ERP 的每次调用都会被拒绝（errcode 4010）。请在下面新建一个用户，或用首次使用向导一步步设置。"))
	hint.Wrapping = fyne.TextWrapWord
	hint.Importance = widget.WarningImportance
	a.noUsers = container.NewBorder(nil, nil, nil, widget.NewButtonWithIcon(T("首次使用向导"), theme.HelpIcon(), u.ShowGuide), hint)
	a.noUsers.Hide()

	a.content = scrollPage(container.NewVBox(
		modeForm, a.tokenBox, a.sqlBox,
		container.NewHBox(save, settingsUnsaved), a.errs.general, a.saved,
		widget.NewSeparator(),
		heading(T("API 用户")),
		a.noUsers,
		users,
	))
	a.showMode()
	return a
}

// modeName is the mode selected in the radio group.
func (a *authTab) modeName() string {
	for i, o := range a.mode.Options {
		if o == a.mode.Selected {
			return authModes[i].mode
		}
	}
	return ""
}

// showMode shows the settings the selected mode uses, and only those.
func (a *authTab) showMode() {
	show := func(o fyne.CanvasObject, on bool) {
		if on {
			o.Show()
		} else {
			o.Hide()
		}
	}
	show(a.tokenBox, a.modeName() == "token")
	show(a.sqlBox, a.modeName() == "sql")
	a.showNoUsers()
	a.errs.layout()
}

// showNoUsers shows the first-run hint while users mode has no user.
func (a *authTab) showNoUsers() {
	if a.modeName() == "users" && len(a.items) == 0 {
		a.noUsers.Show()
	} else {
		a.noUsers.Hide()
	}
}

func (a *authTab) settingsSnapshot() string {
	return fmt.Sprintf("%q|%q|%q|%q", a.mode.Selected, a.token.Text, a.authDS.Selected, a.authSQL.Text)
}

func (a *authTab) userSnapshot() string {
	return fmt.Sprintf("%q|%q|%q|%v", a.uname.Text, a.upass.Text, a.uroles.Text, a.udisabled.Checked)
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
	a.errs.filling(func() {
		for i, m := range authModes {
			if m.mode == st.AuthMode {
				a.mode.SetSelected(a.mode.Options[i])
			}
		}
		a.token.SetText(st.AuthToken)
		a.authDS.Options = a.ctrl.DataSourceNames()
		a.authDS.SetSelected(st.AuthDataSource)
		a.authSQL.SetText(st.AuthSQL)
	})
	a.loadUsers()
}

func (a *authTab) loadUsers() {
	a.load()
	a.showNoUsers()
}

func (a *authTab) save() {
	mode := a.modeName()
	token, ds, sql := a.token.Text, a.authDS.Selected, a.authSQL.Text
	p := &config.SettingsPatch{AuthMode: &mode, AuthToken: &token, AuthDataSource: &ds, AuthSQL: &sql}
	if _, err := a.ctrl.Import(a.u.ctx, config.File{Settings: p}); err != nil {
		a.errs.show(err)
		return
	}
	a.errs.saved()
	a.errs.ok(T("已保存"))
	a.showNoUsers()
}

func (a *authTab) fill(u config.User) {
	a.uname.SetText(u.Name)
	a.uname.Disable() // saving upserts by name; 重命名 renames
	a.upass.SetText("")
	a.upass.SetPlaceHolder(T("留空表示不改密码；填写新密码并保存即重设"))
	a.uroles.SetText(strings.Join(u.Roles, ", "))
	a.udisabled.SetChecked(u.Disabled)
}

func (a *authTab) blank() {
	a.uname.Enable()
	a.uname.SetText("")
	a.upass.SetText("")
	a.upass.SetPlaceHolder(T("新用户必填；可点“生成”"))
	a.uroles.SetText("")
	a.udisabled.SetChecked(false)
}

func (a *authTab) newUser() { a.reset() }

// generatePassword fills in a random password and shows it, to be copied
// for the ERP before it is saved (only its hash is kept).
func (a *authTab) generatePassword() {
	a.upass.SetText(a.ctrl.GenerateToken()[:20])
	a.upass.Password = false // shown, to be copied
	a.upass.Refresh()
	a.uerrs.ok(T("已生成新密码：请先复制给 ERP，保存后不会再显示"))
}

func (a *authTab) saveUser() {
	uc := config.User{Name: strings.TrimSpace(a.uname.Text), Password: a.upass.Text,
		Roles: splitList(a.uroles.Text), Disabled: a.udisabled.Checked}
	if a.selected < 0 {
		// Saving upserts by name: a "new" user named like an existing one
		// would silently replace its password and break the ERP's calls.
		if a.nameTaken(uc.Name) {
			a.uerrs.show(fieldNotice("name", fmt.Sprintf(T("用户“%s”已存在，没有保存。要给它设新密码，请在左侧列表中选中它，填写新密码后保存；要新建用户，请换一个用户名。"), uc.Name)))
			return
		}
	}
	if a.saveItem(config.File{Users: []config.User{uc}}, uc.Name, T("用户 %s 已保存")) {
		a.uerrs.filling(func() { a.upass.SetText("") })
		a.upass.Password = true
		a.upass.Refresh()
		a.showNoUsers()
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
	d := dialog.NewForm(fmt.Sprintf(T("重命名用户 %s"), from), T("重命名"), T("取消"), items, func(ok bool) {
		if ok {
			a.rename(from, to.Text)
		}
	}, a.u.win)
	d.Resize(fyne.NewSize(420, 0))
	d.Show()
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
	a.loadUsers()
	a.selectName(to)
	a.uerrs.ok(fmt.Sprintf(T("用户 %s 已改名为 %s；调用 API 的程序也要改用新用户名"), from, to))
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
