package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"botgate/assets"
)

// The interface is written in Chinese; assets/translations/en.json maps each
// string to English. Fyne picks the translation from the system locale, and a
// string without a translation stays Chinese, so Chinese is the default.
func init() {
	if err := lang.AddTranslationsFS(assets.Translations, "translations"); err != nil {
		// Only a broken build gets here; the Chinese text still shows.
		fyne.LogError("loading embedded translations", err)
	}
}

// T translates an interface string. Never pass user data or text holding
// "{{": fyne's lang treats it as a template.
func T(s string) string { return lang.L(s) }
