package ui

import "fyne.io/fyne/v2"

func fyneTextStyle(symbol bool) fyne.TextStyle { return fyne.TextStyle{Symbol: symbol} }
