package ui

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"botgate/model"
)

// fieldErrors is what every form of the window shares: validation messages
// under the field they belong to, the outcome line, and the mark of unsaved
// changes. A message goes away when it no longer applies: editing a field
// clears that field's message, and any edit clears the form's general
// message and outcome ("连接成功" said nothing about the address typed since).
type fieldErrors struct {
	labels  map[string]*widget.Label
	bound   map[*widget.Label]bool // cleared when their own widget is edited
	general *widget.Label
	// status is the form's outcome line ("已保存", "连接成功"); may be nil.
	status *widget.Label
	// relayout lays the page out again after a message appears or goes: a
	// wrapped label that changes size is not re-measured by its container.
	relayout func()
	quiet    int // > 0 while the form is filled by the program, not edited

	snapshot func() string // the form's content, compared with base
	base     string
	unsaved  *widget.Label
}

func newFieldErrors(u *UI) *fieldErrors {
	f := &fieldErrors{labels: map[string]*widget.Label{}, bound: map[*widget.Label]bool{}, general: errLabel()}
	if u != nil {
		f.relayout = u.relayout
	}
	return f
}

func errLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

// field wraps w with the error label for the given app field name(s); an
// edit of w clears it.
func (f *fieldErrors) field(w fyne.CanvasObject, names ...string) fyne.CanvasObject {
	l := errLabel()
	for _, n := range names {
		f.labels[n] = l
	}
	if onEdit(w, func() { f.edited(l) }) {
		f.bound[l] = true
	}
	return container.NewVBox(w, l)
}

// watch makes edits of ws count as edits of the form (checkboxes and
// selects without a message of their own).
func (f *fieldErrors) watch(ws ...fyne.CanvasObject) {
	for _, w := range ws {
		onEdit(w, func() { f.edited(nil) })
	}
}

// onEdit chains fn after the change callback of every input in o (o itself
// or inside its containers); it reports whether there was one. Callbacks set
// on the input later replace fn, so tabs set theirs first.
func onEdit(o fyne.CanvasObject, fn func()) bool {
	found := false
	switch w := o.(type) {
	case *widget.Entry:
		w.OnChanged = chain(w.OnChanged, func(string) { fn() })
		found = true
	case *widget.Select:
		w.OnChanged = chain(w.OnChanged, func(string) { fn() })
		found = true
	case *widget.Check:
		prev := w.OnChanged
		w.OnChanged = func(b bool) {
			if prev != nil {
				prev(b)
			}
			fn()
		}
		found = true
	case *widget.RadioGroup:
		w.OnChanged = chain(w.OnChanged, func(string) { fn() })
		found = true
	case *fyne.Container:
		for _, c := range w.Objects {
			found = onEdit(c, fn) || found
		}
	}
	return found
}

// edited runs after an edit by the admin: l is the edited field's message.
func (f *fieldErrors) edited(l *widget.Label) {
	if f.quiet > 0 {
		return
	}
	changed := false
	hide := func(x *widget.Label) {
		if x != nil && x.Visible() {
			x.SetText("")
			x.Hide()
			changed = true
		}
	}
	hide(l)
	for _, x := range f.labels {
		if !f.bound[x] {
			hide(x)
		}
	}
	hide(f.general)
	if f.status != nil && f.status.Visible() {
		clearStatus(f.status)
		changed = true
	}
	if f.markUnsaved() || changed {
		f.layout()
	}
}

// filling runs fn, which puts values into the form, without counting it as
// an edit; the result is the saved state the unsaved mark compares with.
func (f *fieldErrors) filling(fn func()) {
	f.quiet++
	defer func() {
		f.quiet--
		f.saved()
	}()
	fn()
}

// track starts marking unsaved changes: snapshot is the form's content. It
// returns the mark, to be placed beside the save button.
func (f *fieldErrors) track(snapshot func() string) *widget.Label {
	f.snapshot = snapshot
	f.unsaved = widget.NewLabel(T("● 有未保存的修改"))
	f.unsaved.Importance = widget.WarningImportance
	f.unsaved.Hide()
	f.base = snapshot()
	return f.unsaved
}

// saved takes the form as it is now as saved.
func (f *fieldErrors) saved() {
	if f.snapshot == nil {
		return
	}
	f.base = f.snapshot()
	if f.markUnsaved() {
		f.layout()
	}
}

// dirty tells whether the form differs from what was saved or loaded.
func (f *fieldErrors) dirty() bool { return f.snapshot != nil && f.snapshot() != f.base }

// markUnsaved shows or hides the mark; it reports a change.
func (f *fieldErrors) markUnsaved() bool {
	if f.unsaved == nil {
		return false
	}
	d := f.dirty()
	if d == f.unsaved.Visible() {
		return false
	}
	if d {
		f.unsaved.Show()
	} else {
		f.unsaved.Hide()
	}
	return true
}

func (f *fieldErrors) layout() {
	if f.relayout != nil {
		f.relayout()
	}
}

// show clears old messages and puts err next to its field (or at the bottom).
func (f *fieldErrors) show(err error) {
	f.clearLabels()
	if err != nil {
		var e *model.Error
		l := f.general
		if errors.As(err, &e) {
			if fl, ok := f.labels[e.Field]; ok {
				l = fl
			}
		}
		l.SetText(errText(err))
		l.Show()
		if f.status != nil {
			clearStatus(f.status)
		}
	}
	f.layout()
}

func (f *fieldErrors) clear() {
	f.clearLabels()
	f.layout()
}

func (f *fieldErrors) clearLabels() {
	for _, l := range f.labels {
		l.SetText("")
		l.Hide()
	}
	f.general.SetText("")
	f.general.Hide()
}

// text returns the message shown for field ("" for the general one).
func (f *fieldErrors) text(field string) string {
	l := f.general
	if field != "" {
		l = f.labels[field]
	}
	if l == nil || !l.Visible() {
		return ""
	}
	return l.Text
}

// ok reports a success on the outcome line and clears the messages.
func (f *fieldErrors) ok(msg string) {
	f.clearLabels()
	if f.status != nil {
		setStatus(f.status, nil, msg)
	}
	f.layout()
}

// busy says on the outcome line what is under way.
func (f *fieldErrors) busy(msg string) {
	f.clearLabels()
	if f.status != nil {
		f.status.Importance = widget.MediumImportance
		f.status.SetText(msg)
		f.status.Show()
	}
	f.layout()
}

// statusLabel is a one-line outcome label under a button row, hidden while
// it has nothing to say (an empty label still takes a line).
func statusLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

func setStatus(l *widget.Label, err error, ok string) {
	if err != nil {
		l.Importance = widget.DangerImportance
		l.SetText(errText(err))
	} else {
		l.Importance = widget.SuccessImportance
		l.SetText(ok)
	}
	l.Show()
}

func clearStatus(l *widget.Label) {
	l.SetText("")
	l.Hide()
}

// notice is a message from the window itself, shown like a validation error.
func notice(msg string) error { return &model.Error{Code: model.CodeInvalid, Msg: msg} }

// fieldNotice is a notice shown at the field called field.
func fieldNotice(field, msg string) error {
	return &model.Error{Code: model.CodeInvalid, Field: field, Msg: msg}
}
