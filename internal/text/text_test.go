package text

import (
	"testing"
	"unicode/utf8"
)

func TestCap(t *testing.T) {
	tests := []struct {
		name, s string
		n       int
		want    string
	}{
		{"short text unchanged", "账号", 5, "账号"},
		{"exactly the limit unchanged", "12345", 5, "12345"},
		{"cut on characters, not bytes", "一二三四五六", 4, "一二三…"},
		{"limit 1 leaves the mark", "abc", 1, "…"},
		{"limit 0 still marks the cut", "abc", 0, "…"},
		{"negative limit does not panic", "abc", -3, "…"},
		{"empty text with limit 0 stays empty", "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Cap(tt.s, tt.n)
			if got != tt.want {
				t.Fatalf("Cap(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
			}
			if tt.n >= 1 && utf8.RuneCountInString(got) > tt.n {
				t.Fatalf("Cap(%q, %d) has %d characters", tt.s, tt.n, utf8.RuneCountInString(got))
			}
		})
	}
}
