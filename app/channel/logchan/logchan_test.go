package logchan

import (
	"botgate/model"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
)

func TestValidateTarget_QQNumbersUnlessAny(t *testing.T) {
	tests := []struct {
		targets, kind, to string
		ok                bool
	}{
		{"", channel.Private, "350310976", true},
		{"", channel.Group, "123456", true},
		{"", channel.Private, "abc", false},
		{"qq", channel.Group, "g1", false},
		{"QQ", channel.Private, "1 OR 1=1", false},
		{"any", channel.Private, "wxid_abc", true},
		{"any", channel.Group, "123@chatroom", true},
	}
	for _, tt := range tests {
		c, err := New(channel.Config{Name: "log", Type: "log", Values: map[string]string{"targets": tt.targets}}, channel.Deps{})
		if err != nil {
			t.Fatal(err)
		}
		err = c.(channel.TargetValidator).ValidateTarget(tt.kind, tt.to)
		if (err == nil) != tt.ok {
			t.Errorf("targets %q: ValidateTarget(%s, %q) = %v, want ok=%v", tt.targets, tt.kind, tt.to, err, tt.ok)
		}
	}
}

func TestNew_RejectsUnknownTargets(t *testing.T) {
	_, err := New(channel.Config{Name: "log", Type: "log", Values: map[string]string{"targets": "wechat"}}, channel.Deps{})
	if err == nil || !channel.IsPermanent(err) {
		t.Fatalf("want a configuration error, got %v", err)
	}
}

// The log line says what would be sent: mentions, and each attachment's
// kind, name, size and sha256 (a URL one fetched first, as a platform needing
// bytes would); a plain message's line is as before.
func TestSend_RecordsMentionsAndAttachments(t *testing.T) {
	img := []byte("\x89PNG\r\n\x1a\nimage")
	srv := ct.New(t, func(c ct.Call) ct.Reply { return ct.Reply{Body: "%PDF-1.4 remote"} })
	var buf bytes.Buffer
	deps := srv.Deps()
	deps.Log = slog.New(slog.NewTextHandler(&buf, nil))
	c, err := New(channel.Config{Name: "demo", Type: "log"}, deps)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Send(context.Background(), channel.Message{ID: 7, Kind: channel.Group, To: "123", Content: "请看",
		At:          []model.Mention{{ID: "10001", Name: "张三"}, {ID: "all"}},
		Attachments: []model.Attachment{{Kind: "image", Name: "a.png", Data: img}, {Kind: "file", Name: "b.pdf", URL: srv.URL + "/b.pdf"}}})
	if err != nil {
		t.Fatal(err)
	}
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	line := buf.String()
	for _, want := range []string{"at=10001:张三,all", "image a.png 13 bytes sha256:" + sum(img),
		"file b.pdf 15 bytes sha256:" + sum([]byte("%PDF-1.4 remote")) + " from " + srv.URL + "/b.pdf"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %q:\n%s", want, line)
		}
	}
	buf.Reset()
	if err := c.Send(context.Background(), channel.Message{ID: 8, Kind: channel.Private, To: "1", Content: "hi"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "at=") || strings.Contains(buf.String(), "attachments=") {
		t.Errorf("plain message's line has extras: %s", buf.String())
	}
	// A link that cannot be fetched fails the send as a transient failure.
	err = c.Send(context.Background(), channel.Message{ID: 9, Attachments: []model.Attachment{{Kind: "file", Name: "x", URL: "http://127.0.0.1:1/x"}}})
	ct.WantError(t, err, false, "下载附件“x”失败")
}

// The log keeps the first 200 runes of a message (not bytes: a Chinese
// message is cut between characters, never inside one), with … when cut.
func TestPreview_CutsAfter200Runes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"短消息", "短消息"},
		{strings.Repeat("中", 200), strings.Repeat("中", 200)},
		{strings.Repeat("中", 201), strings.Repeat("中", 200) + "…"},
		{strings.Repeat("a", 199) + "中文", strings.Repeat("a", 199) + "中…"},
	}
	for _, tt := range tests {
		if got := preview(tt.in); got != tt.want {
			t.Errorf("preview(%d runes) = %q (%d runes), want %d runes", len([]rune(tt.in)), got, len([]rune(got)), len([]rune(tt.want)))
		}
	}
}
