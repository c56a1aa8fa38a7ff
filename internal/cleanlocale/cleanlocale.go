// Package cleanlocale settles the interface language before Fyne reads it.
//
// Debian and Ubuntu servers and containers default to LANG=C.UTF-8. Fyne's
// lang package reads the locale in its init, cannot parse "C.UTF-8" and logs
// "Fyne error: Error parsing user locale C" (three lines, several times),
// even for `botgate service status`. Such a locale names no language, so we
// name BotGate's default, Chinese, through LANGUAGE, which is read only when
// the locale is not plain C.
//
// It must initialize before fyne.io/fyne/v2/lang: Go initializes packages
// that are ready in import-path order, and "botgate/..." sorts before
// "fyne.io/...", so a blank import from package main is enough.
package cleanlocale

import (
	"os"
	"strings"
)

func init() { settle(os.Getenv, os.Setenv) }

// settle sets LANGUAGE=zh_CN when the locale in effect is C.<charset> or
// POSIX.<charset> and LANGUAGE is unset.
func settle(getenv func(string) string, setenv func(string, string) error) {
	if getenv("LANGUAGE") != "" {
		return
	}
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := getenv(k)
		if v == "" {
			continue
		}
		if strings.HasPrefix(v, "C.") || strings.HasPrefix(v, "POSIX.") {
			_ = setenv("LANGUAGE", "zh_CN")
		}
		return
	}
}
