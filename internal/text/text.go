// Package text holds string helpers shared by packages that cannot import
// each other (the chat answerer and the storage layer).
package text

import "unicode/utf8"

// Cap cuts s to at most n characters (not bytes: Chinese text stays whole),
// marking the cut with "…". An n of 1 or less leaves only the mark, so even a
// nonsensical limit gives a visible cut instead of a panic or an empty text.
func Cap(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return "…"
	}
	i := 0
	for k := range s {
		if i == n-1 {
			return s[:k] + "…"
		}
		i++
	}
	return s
}
