package channel_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"

	"botgate/app/channel"
	"botgate/model"
)

// wantWebhookError checks that err refuses a push with status and code and
// that its message mentions each of words (nil err: want status 0).
func wantWebhookError(t *testing.T, err error, status, code int, words ...string) {
	t.Helper()
	if status == 0 {
		if err != nil {
			t.Fatalf("want no error, got %v", err)
		}
		return
	}
	var we *channel.WebhookError
	if !errors.As(err, &we) {
		t.Fatalf("want a *WebhookError %d, got %v", status, err)
	}
	if we.Status != status || we.Code != code {
		t.Fatalf("got %d/%d %q, want %d/%d", we.Status, we.Code, we.Msg, status, code)
	}
	for _, w := range words {
		if !strings.Contains(we.Msg, w) {
			t.Errorf("message %q does not mention %q", we.Msg, w)
		}
	}
}

func TestLocalOnly_AcceptsLoopbackOnly(t *testing.T) {
	tests := []struct {
		remote string
		status int
	}{
		{"127.0.0.1", 0},
		{"127.8.9.10", 0},
		{"::1", 0},
		{"192.168.1.23", http.StatusForbidden},
		{"172.17.0.2", http.StatusForbidden}, // a bot in Docker
		{"", http.StatusForbidden},
		{"localhost", http.StatusForbidden}, // a name is not an address anyone checked
	}
	for _, tt := range tests {
		t.Run(tt.remote, func(t *testing.T) {
			wantWebhookError(t, channel.LocalOnly("qq", tt.remote), tt.status, model.CodeUnauthorized, "通道“qq”", "secret", "127.0.0.1")
		})
	}
}

func TestSecretEqual(t *testing.T) {
	tests := []struct {
		got, want string
		equal     bool
	}{
		{"s3cret", "s3cret", true},
		{"s3cret", "s3cret ", false},
		{"s3cre", "s3cret", false},
		{"", "s3cret", false},
		{"密钥+&%#", "密钥+&%#", true},
	}
	for _, tt := range tests {
		if got := channel.SecretEqual(tt.got, tt.want); got != tt.equal {
			t.Errorf("SecretEqual(%q, %q) = %v", tt.got, tt.want, got)
		}
	}
}

func TestCheckSHA1Signature(t *testing.T) {
	body := []byte(`{"post_type":"message"}`)
	sign := func(secret string, b []byte) string {
		mac := hmac.New(sha1.New, []byte(secret))
		mac.Write(b)
		return "sha1=" + hex.EncodeToString(mac.Sum(nil))
	}
	tests := []struct {
		name, sig string
		status    int
		word      string
	}{
		{"valid", sign("s3cret", body), 0, ""},
		{"another secret", sign("other", body), 403, "不匹配"},
		{"another body", sign("s3cret", []byte(`{"post_type":"notice"}`)), 403, "不匹配"},
		{"no sha1= prefix", strings.TrimPrefix(sign("s3cret", body), "sha1="), 403, "格式不对"},
		{"not hex", "sha1=zz", 403, "格式不对"},
		{"too short", "sha1=abcd", 403, "格式不对"},
		{"sha256 form", "sha256=" + strings.Repeat("ab", 32), 403, "格式不对"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantWebhookError(t, channel.CheckSHA1Signature(tt.sig, "s3cret", body), tt.status, model.CodeUnauthorized, "X-Signature", tt.word)
		})
	}
}

func TestDecodeEvent_SaysWhatIsWrong(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		code       int
		words      []string
	}{
		{"object", `{"a":"x"}`, 0, 0, nil},
		{"empty", "  ", 400, model.CodeBadRequest, []string{"为空", "测试事件"}},
		{"not JSON", "hello", 400, model.CodeBadRequest, []string{"测试事件 JSON", "第 1 个字节附近有语法错误"}},
		{"array", `[1]`, 400, model.CodeBadRequest, []string{"应为 JSON 对象 {...}"}},
		{"cut short", `{"a":`, 400, model.CodeBadRequest, []string{"第 5 个字节附近"}},
		{"not UTF-8", "{\"a\":\"\xff\"}", 400, model.CodeBadEncoding, []string{"UTF-8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v struct{ A string }
			wantWebhookError(t, channel.DecodeEvent([]byte(tt.body), &v, "测试事件"), tt.status, tt.code, tt.words...)
			if tt.status == 0 && v.A != "x" {
				t.Fatalf("decoded %+v", v)
			}
		})
	}
}

func TestStripMentions_LeadingMentionsOnly(t *testing.T) {
	for in, want := range map[string]string{
		"@小助手\u2005账号 cs02": "账号 cs02", // WeChat ends a mention with U+2005
		"@小灰　@小白 零件":        "零件",      // WebQQ: full-width and plain spaces
		" 账号 @小灰":           "账号 @小灰",
		"@小助手":              "",
		"邮件 a@b.com":        "邮件 a@b.com",
		"@小助手\u2005\n账号":    "账号",
	} {
		if got := channel.StripMentions(in); got != want {
			t.Errorf("StripMentions(%q) = %q, want %q", in, got, want)
		}
	}
}
