package channel_test

import (
	"context"
	"testing"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
)

var testRobot = channel.RobotKind{Platform: "测试机器人", Example: "https://robot.example/hook", CodeKey: "errcode"}

func TestRobotKind_New_ReadsURLAndSecret(t *testing.T) {
	rb, err := testRobot.New(channel.Config{Values: map[string]string{"url": " http://127.0.0.1:1/hook/ ", "secret": " SEC1 "}}, channel.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if rb.URL != "http://127.0.0.1:1/hook" || rb.Secret != "SEC1" || rb.Now == nil || rb.Platform != "测试机器人" {
		t.Fatalf("robot = %+v", rb)
	}
	_, err = testRobot.New(channel.Config{Values: map[string]string{}}, channel.Deps{})
	ct.WantError(t, err, true, "测试机器人 通道缺少 url（例如 https://robot.example/hook）")
}

func TestRobotKind_New_FormatOnlyWhereMarkdownIsTaken(t *testing.T) {
	md := testRobot
	md.Markdown = true
	tests := []struct {
		kind    channel.RobotKind
		format  string
		want    string
		wantErr string
	}{
		{md, "", "text", ""},
		{md, " Markdown ", "markdown", ""},
		{md, "html", "", `测试机器人的 format 只能是 text 或 markdown，不是 "html"`},
		{testRobot, "markdown", "text", ""}, // a text-only robot has no format key
	}
	for _, tt := range tests {
		rb, err := tt.kind.New(channel.Config{Values: map[string]string{"url": "http://127.0.0.1:1", "format": tt.format}}, channel.Deps{})
		if tt.wantErr != "" {
			ct.WantError(t, err, true, tt.wantErr)
			continue
		}
		if err != nil || rb.Format != tt.want {
			t.Errorf("markdown=%v format %q: got %q, %v; want %q", tt.kind.Markdown, tt.format, rb.Format, err, tt.want)
		}
	}
}

// A robot's result code wins over the HTTP status, from a 4xx body too; a
// reply without one is retried.
func TestRobot_Post_ReturnsTheReplysCode(t *testing.T) {
	tests := []struct {
		name     string
		reply    ct.Reply
		wantCode int
		wantMsg  string
		perm     bool
		wantErr  string
	}{
		{"ok", ct.JSON(`{"errcode":0,"errmsg":"ok"}`), 0, "ok", false, ""},
		{"refusal in a 200", ct.JSON(`{"errcode":310000,"errmsg":"sign not match"}`), 310000, "sign not match", false, ""},
		{"refusal in a 400 body", ct.Reply{Status: 400, Body: `{"errcode":93000,"errmsg":"invalid webhook url"}`}, 93000, "invalid webhook url", false, ""},
		{"400 without a code keeps the status error", ct.Reply{Status: 404, Body: `not found`}, 0, "", true, "HTTP 404"},
		{"500 with a code is still a server error", ct.Reply{Status: 500, Body: `{"errcode":-1}`}, 0, "", false, "HTTP 500"},
		{"200 without a code", ct.JSON(`{}`), 0, "", false, "测试机器人的响应缺少 errcode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(tt.reply))
			rb, err := testRobot.New(channel.Config{Values: map[string]string{"url": srv.URL + "/hook"}}, srv.Deps())
			if err != nil {
				t.Fatal(err)
			}
			code, msg, err := rb.Post(context.Background(), channel.Request{JSON: map[string]string{"a": "b"}}, &channel.ErrCodeReply{})
			ct.WantError(t, err, tt.perm, tt.wantErr)
			if code != tt.wantCode || msg != tt.wantMsg {
				t.Errorf("code, msg = %d %q, want %d %q", code, msg, tt.wantCode, tt.wantMsg)
			}
			if got := srv.Only(t); got.Path != "/hook" {
				t.Errorf("posted to %s", got.Path)
			}
		})
	}
}
