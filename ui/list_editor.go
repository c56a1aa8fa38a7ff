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
type listEditor[T any] struct {
	u        *UI
	items    []T
	list     *widget.List
	selected int // index in items of the item in the form; -1: a new one

	spec listSpec[T]
}

// listSpec is a tab's part of its listEditor.
type listSpec[T any] struct {
	errs   *fieldErrors  // where a failed load or delete shows, cleared on pick
	status *widget.Label // the outcome line, emptied on pick
	name   func(T) string
	line   func(T) string      // the item's row in the list
	fetch  func() ([]T, error) // the saved items
	fill   func(T)             // puts an item into the form
	blank  func()              // empties the form for a new item
	reload func()              // refreshes after a save or delete; nil: load
	save   func(context.Context, config.File) (config.Summary, error)
	del    func(context.Context, string) error
}

func newListEditor[T any](u *UI, spec listSpec[T]) *listEditor[T] {
	l := &listEditor[T]{u: u, selected: -1, spec: spec}
	l.list = widget.NewList(func() int { return len(l.items) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(spec.line(l.items[i])) })
	l.list.OnSelected = func(i widget.ListItemID) { l.edit(i) }
	return l
}

// load reads the saved items into the list.
func (l *listEditor[T]) load() {
	items, err := l.spec.fetch()
	if err != nil {
		l.spec.errs.show(err)
		return
	}
	l.items = items
	l.list.Refresh()
}

func (l *listEditor[T]) reload() {
	if l.spec.reload != nil {
		l.spec.reload()
		return
	}
	l.load()
}

// edit puts items[i] into the form (the list's OnSelected).
func (l *listEditor[T]) edit(i int) {
	if i < 0 || i >= len(l.items) {
		return
	}
	l.selected = i
	l.spec.fill(l.items[i])
	l.spec.errs.clear()
	l.spec.status.SetText("")
}

// reset empties the form for a new item.
func (l *listEditor[T]) reset() {
	l.selected = -1
	l.list.UnselectAll()
	l.spec.blank()
	l.spec.errs.clear()
	l.spec.status.SetText("")
}

// selectName selects the item called name in the list, which fills the form.
func (l *listEditor[T]) selectName(name string) {
	for i, it := range l.items {
		if l.spec.name(it) == name {
			l.list.Select(i)
		}
	}
}

// current is the name of the item in the form ("" for a new one).
func (l *listEditor[T]) current() string { return selectedName(l.items, l.selected, l.spec.name) }

// saveItem saves cf, which holds the item called name as the form shows it.
// A refusal shows at its field; on success done (translated, with a %s for
// the name) is reported, and the list reloaded with the item selected.
func (l *listEditor[T]) saveItem(cf config.File, name, done string) bool {
	if _, err := l.spec.save(l.u.ctx, cf); err != nil {
		l.spec.errs.show(err)
		return false
	}
	l.spec.errs.clear()
	setStatus(l.spec.status, nil, fmt.Sprintf(done, name))
	l.reload()
	l.selectName(name)
	return true
}

// remove deletes the item in the form after asking (see deleteSelected);
// d carries the tab's words.
func (l *listEditor[T]) remove(d deletion) {
	d.name, d.errs, d.status, d.del = l.current(), l.spec.errs, l.spec.status, l.spec.del
	d.after = func() { l.reset(); l.reload() }
	l.u.deleteSelected(d)
}
