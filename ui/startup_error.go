package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// ShowStartupError is the window BotGate opens instead of the main one when
// it cannot start (the state database cannot be opened: a folder that is not
// writable, a full disk, a damaged file). A double-clicked Windows program
// has no console, so without it the admin would see nothing at all. It
// blocks until the window is closed and returns the exit status.
func ShowStartupError(version, dbPath, msg string) int {
	fa := NewApp(version)
	w := fa.NewWindow(T(Title))
	w.SetContent(startupErrorContent(dbPath, msg, fa.Quit))
	w.Resize(fyne.NewSize(620, 300))
	w.ShowAndRun()
	return 1
}

// startupErrorContent says what failed and what to try, with a close button.
func startupErrorContent(dbPath, msg string, quit func()) fyne.CanvasObject {
	head := widget.NewLabelWithStyle(T("BotGate 无法启动"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	what := widget.NewLabel(msg)
	what.Wrapping = fyne.TextWrapWord
	what.Importance = widget.DangerImportance
	where := widget.NewLabel(T("状态数据库：") + dbPath)
	where.Wrapping = fyne.TextWrapWord
	hint := widget.NewLabel(T("请确认这个文件夹可以写入、磁盘没有满。如果数据库文件损坏，可以先把它改名（保留备份），再打开 BotGate，会新建一个空数据库，然后在“关于”页用“导入配置”恢复。"))
	hint.Wrapping = fyne.TextWrapWord
	closeBtn := widget.NewButtonWithIcon(T("关闭"), theme.CancelIcon(), quit)
	return container.NewBorder(nil, container.NewHBox(closeBtn), nil, nil,
		container.NewVScroll(container.NewVBox(head, what, where, hint)))
}
