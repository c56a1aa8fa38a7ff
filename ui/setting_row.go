package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"botgate/app/config"
)

// settingRow edits one setting where it is used (the chat prefix beside the
// templates, log retention beside the logs): an entry, a save button, the
// error under the entry and the outcome. Saving goes through Import like
// every other save.
type settingRow struct {
	u     *UI
	ctrl  SettingsController
	field string
	entry *widget.Entry
	errs  *fieldErrors
	saved *widget.Label
	box   fyne.CanvasObject
	load  func(config.Settings) string
	patch func(text string) (*config.SettingsPatch, error)
}

// newSettingRow builds the row for the setting named field (its config file
// key, which validation errors carry).
func newSettingRow(u *UI, field, label, placeholder string, load func(config.Settings) string, patch func(text string) (*config.SettingsPatch, error)) *settingRow {
	r := &settingRow{u: u, ctrl: u.ctrl, field: field, entry: widget.NewEntry(), errs: newFieldErrors(u), saved: statusLabel(), load: load, patch: patch}
	r.errs.status = r.saved
	r.entry.SetPlaceHolder(placeholder)
	r.entry.OnSubmitted = func(string) { r.save() }
	save := widget.NewButtonWithIcon(T("保存"), theme.DocumentSaveIcon(), r.save)
	entry := r.errs.field(r.entry, field)
	unsaved := r.errs.track(func() string { return r.entry.Text })
	r.box = container.NewVBox(
		container.NewBorder(nil, nil, widget.NewLabel(label), container.NewHBox(save, unsaved), entry),
		r.errs.general, r.saved)
	return r
}

func (r *settingRow) refresh() {
	r.errs.filling(func() { r.entry.SetText(r.load(r.ctrl.Settings())) })
}

func (r *settingRow) save() {
	p, err := r.patch(r.entry.Text)
	if err == nil {
		_, err = r.ctrl.Import(r.u.ctx, config.File{Settings: p})
	}
	if err != nil {
		r.errs.show(err)
		return
	}
	r.refresh()
	r.errs.ok(T("已保存"))
}
