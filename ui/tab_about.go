package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"botgate/app"
	"botgate/app/config"
	"botgate/assets"
)

// AboutController is what the 关于 tab calls: where the database is, and
// the configuration as a whole for backup and restore.
type AboutController interface {
	DBPath() string
	Export(ctx context.Context) (config.File, error)
	Import(ctx context.Context, cf config.File) (config.Summary, error)
}

var _ AboutController = (*app.App)(nil)

// aboutTab: version, database location, backup and restore.
type aboutTab struct {
	u       *UI
	ctrl    AboutController
	content fyne.CanvasObject
	status  *widget.Label
	lang    *widget.Select // 语言
}

func newAboutTab(u *UI) *aboutTab {
	a := &aboutTab{u: u, ctrl: u.ctrl, status: statusLabel()}
	icon := widget.NewIcon(assets.AppIcon)
	dbPath := a.ctrl.DBPath()
	path := widget.NewLabel(dbPath)
	path.Wrapping = fyne.TextWrapBreak
	open := widget.NewButtonWithIcon(T("打开所在文件夹"), theme.FolderOpenIcon(), func() {
		dir := &url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Dir(dbPath))}
		if err := u.fa.OpenURL(dir); err != nil {
			setStatus(a.status, notice(T("无法打开文件夹：")+err.Error()), "")
		}
	})
	exp := widget.NewButtonWithIcon(T("导出配置（备份）"), theme.DocumentSaveIcon(), a.export)
	imp := widget.NewButtonWithIcon(T("导入配置（恢复）"), theme.FolderOpenIcon(), a.importFile)
	note := widget.NewLabel(T("导出的文件只含密码哈希，令牌和通道密钥显示为 ******；导入时 ****** 保持原值不变。导入会先检查整个文件，有错误时不做任何修改。"))
	note.Wrapping = fyne.TextWrapWord
	langs := []string{"中文", "English"}
	a.lang = newSelect(langs, nil)
	if Language() == LangEnglish {
		a.lang.SetSelectedIndex(1)
	} else {
		a.lang.SetSelectedIndex(0)
	}
	a.lang.OnChanged = func(string) {
		l := LangChinese
		if a.lang.SelectedIndex() == 1 {
			l = LangEnglish
		}
		// Rebuilt in the new language after this callback returns: the
		// select being changed is part of what is replaced.
		fyne.Do(func() { u.SetLanguage(l) })
	}
	langHelp := helpLabel(T("界面默认是中文；选 English 后界面改为英文，下次打开时保持。"))
	guideBtn := widget.NewButtonWithIcon(T("首次使用向导"), theme.HelpIcon(), u.ShowGuide)
	a.content = scrollPage(container.NewVBox(
		container.NewHBox(container.NewGridWrap(fyne.NewSize(64, 64), icon),
			container.NewVBox(widget.NewLabelWithStyle(T(Title), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
				widget.NewLabel(T("版本")+" "+u.opts.Version))),
		widget.NewSeparator(),
		widget.NewLabelWithStyle(T("状态数据库"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		path, container.NewHBox(open),
		widget.NewSeparator(),
		widget.NewLabelWithStyle(T("备份与恢复"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewHBox(exp, imp), note, a.status,
		widget.NewSeparator(),
		heading(T("语言")),
		container.NewBorder(nil, nil, nil, nil, container.NewHBox(container.NewGridWrap(fyne.NewSize(200, a.lang.MinSize().Height), a.lang))),
		langHelp,
		widget.NewSeparator(),
		heading(T("首次使用向导")),
		container.NewHBox(guideBtn),
		helpLabel(T("一步步设置 API 用户、聊天平台、数据源和第一个模板，最后给出 ERP 调用的地址。")),
	))
	return a
}

func (a *aboutTab) export() {
	cf, err := a.ctrl.Export(a.u.ctx)
	if err != nil {
		setStatus(a.status, err, "")
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		defer w.Close()
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(cf); err != nil {
			setStatus(a.status, notice(T("写入文件失败：")+err.Error()), "")
			return
		}
		setStatus(a.status, nil, T("配置已导出到 ")+w.URI().Path())
	}, a.u.win)
	d.SetFileName("botgate-config.json")
	d.SetFilter(storage.NewExtensionFileFilter([]string{".json"}))
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
	localizeFileDialog(a.u.win)
}

func (a *aboutTab) importFile() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		defer r.Close()
		cf, err := config.Parse(r)
		if err != nil {
			setStatus(a.status, err, "")
			return
		}
		sum, err := a.ctrl.Import(a.u.ctx, cf)
		if err != nil {
			setStatus(a.status, err, "")
			return
		}
		a.u.refreshAll()
		setStatus(a.status, nil, fmt.Sprintf("%s%s", T("导入完成："), sum))
		a.u.relayout()
	}, a.u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".json"}))
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
	localizeFileDialog(a.u.win)
}
