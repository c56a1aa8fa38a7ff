package onebot

import (
	"strings"
	"testing"

	"botgate/app/channel"
)

// The url is checked by channel.BaseURL like every other connector's: a
// scheme without a host is refused at save, not at the first send.
func TestNew_URLRules(t *testing.T) {
	tests := []struct{ url, wantBase, wantErr string }{
		{"http://127.0.0.1:3000/", "http://127.0.0.1:3000", ""},
		{"", "", "OneBot 通道缺少 url（例如 http://127.0.0.1:3000）"},
		{"ws://127.0.0.1:3001", "", "OneBot 通道的 url 必须是以 http:// 或 https:// 开头的完整地址"},
		{"http://", "", "完整地址"},
	}
	for _, tt := range tests {
		c, err := New(channel.Config{Name: "qq", Type: "onebot", Values: map[string]string{"url": tt.url}}, channel.Deps{})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("url %q: got %v, want %q", tt.url, err, tt.wantErr)
			}
			continue
		}
		if err != nil || c.(*Connector).base != tt.wantBase {
			t.Errorf("url %q: got %v, %v; want base %q", tt.url, c, err, tt.wantBase)
		}
	}
}
