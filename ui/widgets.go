package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// newSelect is a dropdown whose empty state says 请选择 (Fyne's own
// placeholder is the English "(Select one)").
func newSelect(options []string, changed func(string)) *widget.Select {
	s := widget.NewSelect(options, changed)
	s.PlaceHolder = T("请选择")
	return s
}

// helpLabel is an explanation under a field, in smaller type, wrapped to the
// form's width. (Not in an HBox: a wrapped label there gets no width.)
func helpLabel(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.SizeName = theme.SizeNameCaptionText
	return l
}

// heading is a bold section title.
func heading(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// scrollPage scrolls o vertically and keeps it clear of the scroll bar:
// Fyne draws the bar over the content's right edge, where it covered the
// last button of a row (停止, 复制).
func scrollPage(o fyne.CanvasObject) *container.Scroll {
	pad := theme.ScrollBarSize() + theme.Padding()
	return container.NewVScroll(container.New(layout.NewCustomPaddedLayout(0, 0, 0, pad), o))
}
