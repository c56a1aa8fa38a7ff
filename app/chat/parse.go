package chat

import (
	"strings"
	"unicode/utf8"
)

// Parse splits a chat message into its keyword, the {{1}}..{{9}}
// arguments and the rest of the text ({{content}}). With a prefix (such as
// "#"), only messages that start with it count; its full-width form ("＃") is
// accepted too, as Chinese input methods type it. ok is false for chatter.
func Parse(text, prefix string) (keyword string, args []string, rest string, ok bool) {
	s := strings.TrimSpace(text)
	if p := strings.TrimSpace(prefix); p != "" {
		n := matchPrefix(s, p)
		if n < 0 {
			return "", nil, "", false
		}
		s = strings.TrimSpace(s[n:])
	}
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return "", nil, "", false
	}
	keyword = fields[0]
	rest = strings.TrimSpace(s[len(keyword):])
	return keyword, fields[1:], rest, true
}

// matchPrefix returns how many bytes of s the prefix p covers, comparing
// full-width ASCII forms as their half-width letters; -1 when s lacks it.
func matchPrefix(s, p string) int {
	i := 0
	for _, pr := range p {
		if i >= len(s) {
			return -1
		}
		sr, size := utf8.DecodeRuneInString(s[i:])
		if halfWidth(sr) != halfWidth(pr) {
			return -1
		}
		i += size
	}
	return i
}

func halfWidth(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		return r - 0xFEE0
	}
	return r
}
