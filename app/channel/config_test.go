package channel

import (
	"strings"
	"testing"
)

func TestBaseURL_WantsAWholeHTTPAddress(t *testing.T) {
	tests := []struct {
		name, raw, want, wantErr string
	}{
		{"trailing slashes go", " http://127.0.0.1:3000// ", "http://127.0.0.1:3000", ""},
		{"https with a path", "https://oapi.dingtalk.com/robot/send?access_token=x", "https://oapi.dingtalk.com/robot/send?access_token=x", ""},
		{"missing names the example", "", "", "X 通道缺少 url（例如 http://127.0.0.1:1）"},
		{"other scheme", "ftp://127.0.0.1", "", "必须是以 http:// 或 https:// 开头的完整地址"},
		{"no host", "http://", "", "完整地址"},
		{"no scheme", "127.0.0.1:3000", "", "完整地址"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BaseURL(Config{Values: map[string]string{"url": tt.raw}}, "url", "X", "http://127.0.0.1:1")
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("got %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %q, %v; want a permanent error with %q", got, err, tt.wantErr)
			}
		})
	}
}
