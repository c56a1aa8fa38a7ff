package channel_test

import (
	"botgate/model"
	"bytes"
	"context"
	"strings"
	"testing"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
)

func TestFetchAttachment(t *testing.T) {
	big := strings.Repeat("x", model.MaxAttachmentBytes+1)
	srv := ct.New(t, func(c ct.Call) ct.Reply {
		switch c.Path {
		case "/ok.png":
			return ct.Reply{Body: "\x89PNG\r\n\x1a\n"}
		case "/big":
			return ct.Reply{Body: big}
		case "/empty":
			return ct.Reply{}
		}
		return ct.Reply{Status: 503}
	})
	tests := []struct {
		name      string
		a         model.Attachment
		want      string
		permanent bool
		wantErr   string
	}{
		{"bytes are returned as they are", model.Attachment{Name: "a", Data: []byte("abc")}, "abc", false, ""},
		{"a URL is downloaded", model.Attachment{Name: "ok.png", URL: srv.URL + "/ok.png"}, "\x89PNG\r\n\x1a\n", false, ""},
		{"an error status is retried", model.Attachment{Name: "x", URL: srv.URL + "/down"}, "", false, "HTTP 503"},
		{"an unreachable host is retried", model.Attachment{Name: "x", URL: "http://127.0.0.1:1/x"}, "", false, "请确认该地址可以从 BotGate 所在电脑访问"},
		{"an empty body is retried", model.Attachment{Name: "x", URL: srv.URL + "/empty"}, "", false, "空文件"},
		{"over 10 MiB is refused for good", model.Attachment{Name: "big", URL: srv.URL + "/big"}, "", true, "超过 10 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := channel.FetchAttachment(context.Background(), srv.Deps().HTTP, tt.a)
			ct.WantError(t, err, tt.permanent, tt.wantErr)
			if tt.wantErr == "" && !bytes.Equal(got, []byte(tt.want)) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestImageFormat_IsMobile_MarkdownImage(t *testing.T) {
	for data, want := range map[string]string{"\x89PNG\r\n\x1a\n": "png", "\xff\xd8\xff\xe0": "jpeg", "GIF89a": "gif", "RIFF\x00\x00\x00\x00WEBPVP": "webp", "%PDF-1.4": "", "<svg>": ""} {
		if got := channel.ImageFormat([]byte(data)); got != want {
			t.Errorf("ImageFormat(%q) = %q, want %q", data, got, want)
		}
	}
	for id, want := range map[string]bool{"13800001111": true, "23800001111": false, "1380000111": false, "1380000111a": false, "zhangsan": false} {
		if channel.IsMobile(id) != want {
			t.Errorf("IsMobile(%q) != %v", id, want)
		}
	}
	if got := channel.MarkdownImage("a[1]\nb", "http://h/a (1).png"); got != "![a1 b](http://h/a%20%281%29.png)" {
		t.Errorf("MarkdownImage = %s", got)
	}
}

// Every channel type declares what it carries, and says it in Chinese.
func TestExtras_Describe(t *testing.T) {
	tests := []struct {
		e    channel.Extras
		want string
	}{
		{channel.Extras{}, "该通道只能发送文字"},
		{channel.Extras{Mention: true, Image: true, ImageURLOnly: true}, "该通道可以发送文字和@成员（仅群消息）、图片（仅 http(s) 网址）"},
		{channel.Extras{Mention: true, Image: true, File: true}, "该通道可以发送文字和@成员（仅群消息）、图片、文件"},
	}
	for _, tt := range tests {
		if got := tt.e.Describe(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.e, got, tt.want)
		}
	}
}
