package ui

import (
	"database/sql"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	_ "modernc.org/sqlite"
)

func fyneTextStyle(symbol bool) fyne.TextStyle { return fyne.TextStyle{Symbol: symbol} }

// key is the entry of the channel form's field called k (nil: none).
func (c *channelsTab) key(k string) *widget.Entry {
	if c.form == nil || c.form.inputs[k] == nil {
		return nil
	}
	return c.form.inputs[k].entry
}

// label is how the channel form labels field k.
func (c *channelsTab) label(k string) string { return T(c.form.inputs[k].f.Label) }

// createSQLite makes an SQLite file at path with one table, as an ERP's would be.
func createSQLite(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE goods (code TEXT, name TEXT, stock INTEGER)`); err != nil {
		t.Fatal(err)
	}
}

// visibleTexts is every text an admin sees in o: labels, buttons, checkbox
// and radio texts, dropdowns (their choice or placeholder), entries (their
// text or placeholder) and drawn text. Hidden objects are skipped.
func visibleTexts(o fyne.CanvasObject) []string {
	var out []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch x := o.(type) {
		case *widget.Label:
			out = append(out, x.Text)
			return
		case *widget.Button:
			out = append(out, x.Text)
			return
		case *widget.Check:
			out = append(out, x.Text)
			return
		case *widget.RadioGroup:
			out = append(out, x.Options...)
			return
		case *widget.Select:
			if x.Selected != "" {
				out = append(out, x.Selected)
			} else {
				out = append(out, x.PlaceHolder)
			}
			return
		case *widget.Entry:
			if x.Text != "" {
				out = append(out, x.Text)
			} else {
				out = append(out, x.PlaceHolder)
			}
			return
		case *canvas.Text:
			out = append(out, x.Text)
			return
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
			return
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}
