package ui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"botgate/app/config"
)

// listEditor is what the four list tabs (API users, channels, templates,
// data sources) share: the saved items in a list on the left, the one the
// form on the right edits, and the steps around them — load, pick, start a
// new one, select after a save, delete. The tab says how an item is named,
// shown and put into its form.
type listEditor[Item any] struct {
	u        *UI
	items    []Item
	list     *widget.List
	selected int // index in items of the item in the form; -1: a new one
	// selecting is set while the program moves the highlight itself, so
	// that the list's OnSelected does not fill the form again.
	selecting bool

	spec listSpec[Item]
}

// listSpec is a tab's part of its listEditor.
type listSpec[Item any] struct {
	errs *fieldErrors // messages, outcome line and unsaved mark of the form
	// what the items are ("通道") and the field their name is typed in
	// ("name", "keyword"), for the refusal to save over another item.
	what, nameField string
	name            func(Item) string
	line            func(Item) string      // the item's row in the list
	fetch           func() ([]Item, error) // the saved items
	fill            func(Item)             // puts an item into the form
	blank           func()                 // empties the form for a new item
	reload          func()                 // refreshes after a save or delete; nil: load
	save            func(context.Context, config.File) (config.Summary, error)
	del             func(context.Context, string) error
}

func newListEditor[Item any](u *UI, spec listSpec[Item]) *listEditor[Item] {
	l := &listEditor[Item]{u: u, selected: -1, spec: spec}
	l.list = widget.NewList(func() int { return len(l.items) },
		func() fyne.CanvasObject {
			lb := widget.NewLabel("")
			lb.Truncation = fyne.TextTruncateEllipsis
			return lb
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(spec.line(l.items[i])) })
	l.list.OnSelected = func(i widget.ListItemID) {
		if !l.selecting {
			l.pick(i)
		}
	}
	return l
}

// load reads the saved items into the list. The item in the form stays
// highlighted wherever it moved (a config import may have added items
// before it); while the form holds no unsaved edits it shows the item as
// saved now. An item that is gone leaves the form as a new one.
func (l *listEditor[Item]) load() {
	items, err := l.spec.fetch()
	if err != nil {
		l.spec.errs.show(err)
		return
	}
	cur := l.current()
	l.items = items
	l.selected = -1
	for i, it := range items {
		if cur != "" && l.spec.name(it) == cur {
			l.selected = i
		}
	}
	l.highlight()
	if l.selected >= 0 && !l.spec.errs.dirty() {
		l.spec.errs.filling(func() { l.spec.fill(items[l.selected]) })
	}
	l.list.Refresh()
}

// highlight moves the list's selection to the item in the form.
func (l *listEditor[Item]) highlight() {
	l.selecting = true
	defer func() { l.selecting = false }()
	if l.selected < 0 {
		l.list.UnselectAll()
		return
	}
	l.list.Select(l.selected)
}

func (l *listEditor[Item]) reload() {
	if l.spec.reload != nil {
		l.spec.reload()
		return
	}
	l.load()
}

// pick is the admin choosing items[i] in the list. Unsaved edits of another
// item are not dropped without asking.
func (l *listEditor[Item]) pick(i int) {
	if i < 0 || i >= len(l.items) || i == l.selected {
		return
	}
	if !l.spec.errs.dirty() {
		l.edit(i)
		return
	}
	l.highlight() // back, until the admin decides
	l.askDiscard(func() {
		l.edit(i)
		l.highlight()
	})
}

// askDiscard runs discard after the admin agreed to drop the form's edits.
func (l *listEditor[Item]) askDiscard(discard func()) {
	what := l.current()
	if what == "" {
		what = T("新建的项目")
	}
	l.u.confirm(T("放弃修改"), fmt.Sprintf(T("“%s”有未保存的修改，放弃这些修改吗？"), what), T("放弃修改"), discard)
}

// edit puts items[i] into the form.
func (l *listEditor[Item]) edit(i int) {
	if i < 0 || i >= len(l.items) {
		return
	}
	l.selected = i
	l.spec.errs.filling(func() { l.spec.fill(l.items[i]) })
	l.spec.errs.clear()
	if l.spec.errs.status != nil {
		clearStatus(l.spec.errs.status)
	}
}

// reset empties the form for a new item, asking first when it holds edits.
func (l *listEditor[Item]) reset() {
	if l.spec.errs.dirty() {
		l.askDiscard(l.blankForm)
		return
	}
	l.blankForm()
}

func (l *listEditor[Item]) blankForm() {
	l.selected = -1
	l.highlight()
	l.spec.errs.filling(l.spec.blank)
	l.spec.errs.clear()
	if l.spec.errs.status != nil {
		clearStatus(l.spec.errs.status)
	}
}

// selectName puts the item called name into the form and highlights it.
func (l *listEditor[Item]) selectName(name string) {
	for i, it := range l.items {
		if l.spec.name(it) == name {
			l.selected = i
			l.spec.errs.filling(func() { l.spec.fill(it) })
			l.highlight()
			return
		}
	}
}

// current is the name of the item in the form ("" for a new one).
func (l *listEditor[Item]) current() string { return selectedName(l.items, l.selected, l.spec.name) }

// nameTaken tells whether an item called name is saved now (read again:
// the list may be older than the database).
func (l *listEditor[Item]) nameTaken(name string) bool {
	items, err := l.spec.fetch()
	if err != nil {
		return false // the save itself will report the database
	}
	for _, it := range items {
		if l.spec.name(it) == name {
			return true
		}
	}
	return false
}

// saveItem saves cf, which holds the item called name as the form shows it.
// A refusal shows at its field; on success the list is reloaded with the
// item in the form, and done (translated, with a %s for the name) is
// reported on the outcome line — the same way on every tab.
func (l *listEditor[Item]) saveItem(cf config.File, name, done string) bool {
	// Saving upserts by name: a new item, or one renamed in the form, under
	// the name of another saved item would silently replace that one.
	if name != l.current() && l.nameTaken(name) {
		l.spec.errs.show(fieldNotice(l.spec.nameField, fmt.Sprintf(T("%s“%s”已存在，没有保存。要修改它，请在左侧列表中选中它；要新建，请换一个名称。"), l.spec.what, name)))
		return false
	}
	if _, err := l.spec.save(l.u.ctx, cf); err != nil {
		l.spec.errs.show(err)
		return false
	}
	l.spec.errs.saved() // the form as it is now is what was saved
	l.reload()
	l.selectName(name)
	l.spec.errs.ok(fmt.Sprintf(done, name))
	return true
}

// remove deletes the item in the form after asking (see deleteSelected);
// d carries the tab's words.
func (l *listEditor[Item]) remove(d deletion) {
	d.name, d.errs, d.del = l.current(), l.spec.errs, l.spec.del
	d.after = func() { l.selected = -1; l.blankForm(); l.reload() }
	l.u.deleteSelected(d)
}
