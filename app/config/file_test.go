package config_test

import (
	"strings"
	"testing"

	"botgate/app/config"
)

func TestParseConfig_ExplainsBadFiles(t *testing.T) {
	tests := []struct{ name, js, want string }{
		{"syntax error with line", "{\n\"users\": [\n{\"name\": }\n]}", "第 3 行"},
		{"unknown field", `{"userz": []}`, "未知字段"},
		{"wrong type", `{"users": {"name": "x"}}`, "类型不对"},
		{"not UTF-8", "{\"users\":[{\"name\":\"\xb2\xe2\"}]}", "UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse(strings.NewReader(tc.js))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	// A UTF-8 BOM (Windows Notepad) is fine.
	if _, err := config.Parse(strings.NewReader("\xef\xbb\xbf{}")); err != nil {
		t.Fatalf("BOM: %v", err)
	}
}
