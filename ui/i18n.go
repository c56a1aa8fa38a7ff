package ui

import (
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"botgate/assets"
)

// The interface is written in Chinese; assets/translations/en.json maps each
// string to English. Fyne picks the translation from the system locale, and a
// string without a translation stays Chinese, so Chinese is the default.
//
// They load on first use, not at init: loading reads the system locale, and
// Fyne logs an error for LANG=C, which command-line runs of the same binary
// (`botgate service status` on a server) should not print.
var loadTranslations = sync.OnceFunc(func() {
	if err := lang.AddTranslationsFS(assets.Translations, "translations"); err != nil {
		// Only a broken build gets here; the Chinese text still shows.
		fyne.LogError("loading embedded translations", err)
	}
})

// T translates an interface string. Never pass user data or text holding
// "{{": fyne's lang treats it as a template.
func T(s string) string {
	loadTranslations()
	return lang.L(s)
}
