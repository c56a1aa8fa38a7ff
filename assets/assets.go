// Package assets holds what the window embeds: the app and tray icons, the
// English translation of the Chinese interface, and a CJK font so Chinese
// renders on a machine without one.
package assets

//go:generate go run icons_gen.go

import (
	"embed"

	"fyne.io/fyne/v2"
)

//go:embed icons/app.png
var appIcon []byte

//go:embed icons/tray_running.png
var trayRunning []byte

//go:embed icons/tray_stopped.png
var trayStopped []byte

// cjkFont is Droid Sans Fallback (Apache 2.0, see fonts/NOTICE) cut down to
// CJK ideographs, punctuation and the space (a text run shaped in this face
// needs its spaces, or they draw as boxes). It holds no Latin letters: Fyne
// asks the theme font first for every rune, so Latin text keeps Fyne's own
// font (and monospace stays monospace) while Chinese comes from here. A
// single-face .ttf, because Fyne cannot load .ttc collections.
//
//go:embed fonts/cjk.ttf
var cjkFont []byte

// Translations are the interface strings keyed by their Chinese text:
// en.json is what ui.T shows in English; zh_Hans.json lists every string
// (a test keeps both complete).
//
//go:embed translations/*.json
var Translations embed.FS

var (
	// AppIcon is the window and application icon.
	AppIcon fyne.Resource = fyne.NewStaticResource("botgate.png", appIcon)
	// TrayRunning is the tray icon while the server runs.
	TrayRunning fyne.Resource = fyne.NewStaticResource("tray_running.png", trayRunning)
	// TrayStopped is the tray icon while the server is stopped.
	TrayStopped fyne.Resource = fyne.NewStaticResource("tray_stopped.png", trayStopped)
	// CJKFont renders Chinese text.
	CJKFont fyne.Resource = fyne.NewStaticResource("cjk.ttf", cjkFont)
)
