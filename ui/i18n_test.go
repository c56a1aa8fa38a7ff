package ui

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"botgate/assets"
)

// Every T("...") string in the source must have an English translation and a
// zh-Hans entry, or English users see Chinese and Fyne logs a failure per lookup.
func TestTranslations_EveryInterfaceStringTranslated(t *testing.T) {
	load := func(name string) map[string]string {
		b, err := assets.Translations.ReadFile("translations/" + name)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}
	en, zh := load("en.json"), load("zh_Hans.json")
	files, _ := filepath.Glob("*.go")
	call := regexp.MustCompile(`\bT\("((?:[^"\\]|\\.)*)"\)`)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(b), -1) {
			n++
			if en[m[1]] == "" || en[m[1]] == m[1] {
				t.Errorf("%s: %q has no English translation", f, m[1])
			}
			if zh[m[1]] != m[1] {
				t.Errorf("%s: %q missing from zh_Hans.json", f, m[1])
			}
		}
	}
	if n < 100 {
		t.Fatalf("found only %d T() calls; the pattern is broken", n)
	}
	if en["服务"] != "Service" {
		t.Fatalf("en[服务] = %q", en["服务"])
	}
}
