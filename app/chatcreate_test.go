package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"botgate/app/channel/wecomapp/wecomfake"
	"botgate/app/config"
	"botgate/model"
)

// The window creates a group chat on a form's platform when its group sends
// reach only chats the app made (WeCom's appchat); the chatid it returns is
// one the channel can send to. Other types say they need none.
func TestCreateChannelChat(t *testing.T) {
	ctx := context.Background()
	a := openAdminApp(t, time.Now())
	fake := wecomfake.New(t)
	form := config.Channel{Name: "wx", Type: "wecom_app", Config: config.Values{"url": fake.URL, "corp_id": fake.CorpID,
		"corp_secret": fake.Secret, "agent_id": "1000002"}}
	id, err := a.CreateChannelChat(ctx, form, "报表群", "zhangsan", []string{"zhangsan", "lisi"})
	if err != nil || id == "" {
		t.Fatalf("CreateChannelChat = %q, %v", id, err)
	}
	if r := fake.Requests(); strings.Join(r, ",") != "GET /cgi-bin/gettoken,POST /cgi-bin/appchat/create" {
		t.Fatalf("requests %v", r)
	}
	_, err = a.CreateChannelChat(ctx, form, "", "", []string{"zhangsan", "nobody"})
	if e := model.ErrorOf(err); e.Field != "config" || !strings.Contains(e.Msg, "创建群聊失败：userid 不存在（60111）") {
		t.Fatalf("an unknown member: %v", err)
	}
	_, err = a.CreateChannelChat(ctx, config.Channel{Name: "w", Type: "wecom", Config: config.Values{"url": "http://127.0.0.1:1/x"}}, "", "", []string{"a", "b"})
	if e := model.ErrorOf(err); e.Field != "type" || !strings.Contains(e.Msg, "不需要也不能在这里创建群聊") {
		t.Fatalf("a robot: %v", err)
	}
}
