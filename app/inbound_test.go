package app

import (
	"botgate/app/channel"
	"botgate/model"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"botgate/app/config"
	"botgate/storage"
)

func TestWebhook_FindsTheLiveConnector_OrSaysWhy(t *testing.T) {
	a := openChatApp(t)
	ctx := context.Background()
	off := false
	mustImport(t, a, config.File{Channels: []config.Channel{
		{Name: "webqq", Type: "openqq", Config: config.Values{"url": "http://127.0.0.1:1"}},
		{Name: "old", Type: "onebot", Enabled: &off, Config: config.Values{"url": "http://127.0.0.1:1"}},
		{Name: "robot", Type: "wecom", Config: config.Values{"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}},
	}})
	// Saved past the checks (a hand edit): the connector cannot be built.
	if err := a.DB().Update(ctx, func(tx *storage.Tx) error {
		return tx.UpsertChannel(model.Channel{Name: "broken", Type: "onebot", Config: map[string]string{"url": "ftp://127.0.0.1"}, Enabled: true})
	}); err != nil {
		t.Fatal(err)
	}
	if err := a.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		want string // "" = a connector; else the whole message
	}{
		{"qq", ""},
		{"webqq", ""},
		{"nosuch", "通道“nosuch”不存在：上报地址应为 /webhook/<通道名称>，请核对通道名称"},
		{"old", "通道“old”已停用，请在“通道”中启用后再上报"},
		{"log", "通道“log”的类型 log 不接收聊天消息；聊天查询支持 onebot、openqq、gewe 和 wecom_app 通道"},
		{"robot", "通道“robot”的类型 wecom 不接收聊天消息；聊天查询支持 onebot、openqq、gewe 和 wecom_app 通道"},
		{"broken", "通道“broken”配置有误（OneBot 通道的 url 必须是以 http:// 或 https:// 开头的完整地址（例如 http://127.0.0.1:3000）），请在“通道”中修正后再上报"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wh, err := a.Webhook(tt.name)
			if tt.want == "" {
				if err != nil || wh == nil {
					t.Fatalf("got %v %v, want the connector", wh, err)
				}
				if lc := a.state.Load().channels[tt.name]; wh.(channel.Channel) != lc.ch {
					t.Fatal("not the live connector: the one the outbox sends through")
				}
				return
			}
			var e *model.Error
			if !errors.As(err, &e) || e.Code != model.CodeNoChannel || e.Msg != tt.want || wh != nil {
				t.Fatalf("got %v %v, want 4041 %q", wh, err, tt.want)
			}
		})
	}
}

// A channel saved with a new secret gets a new connector: the webhook checks
// pushes against what is saved now.
// The connections platforms open to BotGate are routed under the prefixes
// the types declare, to the live connector of the named channel.
func TestAcceptor_FindsTheLiveConnector_OrSaysWhy(t *testing.T) {
	a := openChatApp(t)
	off := false
	mustImport(t, a, config.File{Channels: []config.Channel{
		{Name: "rev", Type: "onebot", Config: config.Values{"transport": "ws-reverse"}},
		{Name: "oldrev", Type: "onebot", Enabled: &off, Config: config.Values{"transport": "ws-reverse"}},
	}})
	if got := a.AcceptPaths(); len(got) != 1 || got[0] != "/onebot/v11/ws/" {
		t.Fatalf("AcceptPaths = %q", got)
	}
	tests := []struct {
		prefix, name string
		want         string // "" = the live connector
	}{
		{"/onebot/v11/ws/", "rev", ""},
		{"/onebot/v11/ws/", "qq", ""}, // over http: its connector refuses, saying which setting to change
		{"/onebot/v11/ws/", "nosuch", "通道“nosuch”不存在：连接地址应为 /onebot/v11/ws/<通道名称>，请核对通道名称"},
		{"/onebot/v11/ws/", "oldrev", "通道“oldrev”已停用，请在“通道”中启用后再连接"},
		{"/onebot/v11/ws/", "log", "通道“log”的类型 log 不在 /onebot/v11/ws/ 接受连接"},
		{"/other/", "rev", "通道“rev”的类型 onebot 不在 /other/ 接受连接"},
	}
	for _, tt := range tests {
		acc, err := a.Acceptor(tt.prefix, tt.name)
		if tt.want == "" {
			if err != nil || acc.(channel.Channel) != a.state.Load().channels[tt.name].ch {
				t.Errorf("%s%s: %v %v, want the live connector", tt.prefix, tt.name, acc, err)
			}
			continue
		}
		var e *model.Error
		if !errors.As(err, &e) || e.Code != model.CodeNoChannel || e.Msg != tt.want {
			t.Errorf("%s%s: %v, want %q", tt.prefix, tt.name, err, tt.want)
		}
	}
}

func TestWebhook_FollowsTheSavedSecret(t *testing.T) {
	a := openChatApp(t)
	ctx := context.Background()
	push := channel.WebhookRequest{Channel: "qq", Method: http.MethodPost, Header: http.Header{}, Query: url.Values{}, Remote: "127.0.0.1",
		Body: []byte(`{"post_type":"meta_event"}`)}
	status := func() int {
		t.Helper()
		wh, err := a.Webhook("qq")
		if err != nil {
			t.Fatal(err)
		}
		_, err = wh.HandleWebhook(ctx, push, a.NewChat(ChatConfig{}))
		var we *channel.WebhookError
		if errors.As(err, &we) {
			return we.Status
		}
		if err != nil {
			t.Fatal(err)
		}
		return 200
	}
	if got := status(); got != http.StatusUnauthorized {
		t.Fatalf("unsigned push to a channel with a secret: %d, want 401", got)
	}
	mustImport(t, a, config.File{Channels: []config.Channel{{Name: "qq", Type: "onebot", Config: config.Values{"url": "http://127.0.0.1:1"}}}})
	if got := status(); got != 200 {
		t.Fatalf("after the secret was removed: %d, want 200 (this computer)", got)
	}
}

func TestJoinAnd(t *testing.T) {
	for _, tt := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"onebot"}, "onebot"},
		{[]string{"onebot", "openqq"}, "onebot 和 openqq"},
		{[]string{"onebot", "openqq", "gewe"}, "onebot、openqq 和 gewe"},
	} {
		if got := joinAnd(tt.in); got != tt.want {
			t.Errorf("joinAnd(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Answer hands every field of an Incoming to the chat and its answer
// back: the sender and group reach the template and the inbound log, the
// late-answer address reaches the outbox, the id reaches the dedupe.
func TestChatAnswer_CarriesEveryField(t *testing.T) {
	a := openChatApp(t)
	ctx := context.Background()
	ans := a.NewChat(ChatConfig{})
	in := channel.Incoming{Channel: "qq", ID: "m1", Sender: "10001", SenderName: "销售-小明", Group: "123456", Text: " 账号 cs02 "}
	got := ans.Answer(ctx, in)
	if got.Reply != "测试员02(cs02) QQ 2303831209" || got.Keyword != "账号" || got.Duplicate {
		t.Fatalf("answer %+v", got)
	}
	rows := inbound(t, a)
	if len(rows) != 1 || rows[0].Channel != "qq" || rows[0].Sender != "10001" || rows[0].SenderName != "销售-小明" || rows[0].Group != "123456" || rows[0].Text != "账号 cs02" {
		t.Fatalf("inbound %+v", rows)
	}
	if again := ans.Answer(ctx, in); !again.Duplicate || again.Reply != "" {
		t.Fatalf("the same id again: %+v, want a silent duplicate", again)
	}

	// A late answer goes to ReplyQQ/ReplyGroup when the platform gave them.
	mustImport(t, a, config.File{Channels: []config.Channel{{Name: "webqq", Type: "openqq", Config: config.Values{"url": "http://127.0.0.1:1"}}}})
	c := a.NewChat(ChatConfig{QuickTimeout: 5 * time.Millisecond})
	late := c.Answer(ctx, channel.Incoming{Channel: "webqq", Sender: "7", SenderName: "灰灰", Group: "2617047292", Text: "慢",
		ReplyQQ: "id:7", ReplyGroup: "gid:2617047292"})
	c.Wait()
	if late.Reply != "" || late.Keyword != "慢" {
		t.Fatalf("late answer %+v", late)
	}
	msgs, err := a.DB().Messages(ctx, model.MessageFilter{Limit: 1})
	if err != nil || len(msgs) != 1 || msgs[0].Channel != "webqq" || msgs[0].Target != "gid:2617047292" || !strings.HasPrefix(msgs[0].Content, "@灰灰 ") {
		t.Fatalf("outbox %+v %v", msgs, err)
	}
}
