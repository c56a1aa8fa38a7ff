package ui

import (
	"fmt"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// barChart draws 24 hourly bars with the hour under every sixth one.
type barChart struct {
	widget.BaseWidget
	values    []int
	startHour int
}

func newBarChart() *barChart {
	c := &barChart{values: make([]int, 24)}
	c.ExtendBaseWidget(c)
	return c
}

func (c *barChart) set(values []int, startHour int) {
	c.values, c.startHour = append([]int(nil), values...), startHour
	c.Refresh()
}

func (c *barChart) CreateRenderer() fyne.WidgetRenderer {
	r := &barRenderer{c: c}
	r.rebuild()
	return r
}

type barRenderer struct {
	c       *barChart
	bars    []*canvas.Rectangle
	labels  []*canvas.Text
	max     *canvas.Text
	objects []fyne.CanvasObject
}

func (r *barRenderer) rebuild() {
	r.objects = r.objects[:0]
	r.bars, r.labels = nil, nil
	fg := theme.Color(theme.ColorNamePrimary)
	for i := range r.c.values {
		b := canvas.NewRectangle(fg)
		r.bars = append(r.bars, b)
		r.objects = append(r.objects, b)
		if i%6 == 0 {
			t := canvas.NewText(strconv.Itoa((r.c.startHour+i)%24)+":00", theme.Color(theme.ColorNameForeground))
			t.TextSize = theme.CaptionTextSize()
			r.labels = append(r.labels, t)
			r.objects = append(r.objects, t)
		}
	}
	r.max = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	r.max.TextSize = theme.CaptionTextSize()
	r.objects = append(r.objects, r.max)
}

func (r *barRenderer) Layout(size fyne.Size) {
	most := 0
	for _, v := range r.c.values {
		most = max(most, v)
	}
	peak := max(most, 1) // the scale of an empty chart
	r.max.Text = fmt.Sprintf(T("最多 %d 条/小时"), most)
	r.max.Move(fyne.NewPos(0, 0))
	top, labelH := float32(16), float32(16)
	h := size.Height - top - labelH
	w := size.Width / float32(max(len(r.c.values), 1))
	li := 0
	for i, v := range r.c.values {
		bh := h * float32(v) / float32(peak)
		if v > 0 {
			bh = max(bh, 2)
		}
		r.bars[i].Move(fyne.NewPos(float32(i)*w+1, top+h-bh))
		r.bars[i].Resize(fyne.NewSize(w-2, bh))
		if i%6 == 0 && li < len(r.labels) {
			r.labels[li].Move(fyne.NewPos(float32(i)*w, top+h+1))
			li++
		}
	}
}

func (r *barRenderer) MinSize() fyne.Size { return fyne.NewSize(240, 110) }

func (r *barRenderer) Refresh() {
	for i, t := range r.labels {
		t.Text = strconv.Itoa((r.c.startHour+i*6)%24) + ":00"
	}
	for _, b := range r.bars {
		b.FillColor = theme.Color(theme.ColorNamePrimary)
	}
	r.Layout(r.c.Size())
	canvas.Refresh(r.c)
}

func (r *barRenderer) Objects() []fyne.CanvasObject { return r.objects }
func (r *barRenderer) Destroy()                     {}
