package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"botgate/assets"
)

// cjkTheme is Fyne's theme with the embedded CJK font first. The font has no
// Latin glyphs, so Fyne resolves Latin letters in its own (bold, italic or
// monospace) font and only Chinese in ours: the window is legible on a
// Windows or Linux install without any CJK font.
type cjkTheme struct{ fyne.Theme }

func newTheme() fyne.Theme { return cjkTheme{theme.DefaultTheme()} }

func (t cjkTheme) Font(s fyne.TextStyle) fyne.Resource {
	if s.Symbol {
		return t.Theme.Font(s)
	}
	return assets.CJKFont
}
