package feishuapp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
	"botgate/app/channel/feishuapp/feishufake"
	"botgate/model"
)

func newConn(t *testing.T, base string, vals map[string]string) *Connector {
	t.Helper()
	v := map[string]string{"url": base, "app_id": feishufake.AppID, "app_secret": feishufake.AppSecret}
	for k, x := range vals {
		v[k] = x
	}
	ch, err := New(channel.Config{Name: "fs", Type: Type.Name, Values: v}, channel.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	c := ch.(*Connector)
	c.retryFirst, c.pongWait = 20*time.Millisecond, 300*time.Millisecond
	return c
}

var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")

func TestNew_Defaults(t *testing.T) {
	c := newConn(t, "", nil)
	if c.base != defaultURL || c.format != "text" || len(c.nonce) != 8 {
		t.Errorf("defaults: %q %q %q", c.base, c.format, c.nonce)
	}
	_, err := New(channel.Config{Values: map[string]string{"app_id": "x"}}, channel.Deps{})
	ct.WantError(t, err, true, "app_secret")
}

func TestReceiveIDType_FromTheIDsForm(t *testing.T) {
	for to, want := range map[string]string{"ou_7d8a6e6df7621556ce0d21922b676706ccs": "open_id", "on_94a1ee5551019f18cd73d9f111898cf2": "union_id",
		"zhang.san@example.com": "email", "oc_a0553eda9014c201e6969b478895c230": "chat_id", "3e3cf96b": "user_id"} {
		if got := receiveIDType(to); got != want {
			t.Errorf("receiveIDType(%q) = %s, want %s", to, got, want)
		}
	}
}

// Tokens: one fetch for concurrent sends; Feishu's HTTP 400 with 99991663
// makes one refetch; a new token refused again is reported.
func TestToken_FetchedOnce_RefetchedOnceOn99991663(t *testing.T) {
	s := feishufake.New(t)
	c := newConn(t, s.URL, nil)
	s.SlowTokens(100 * time.Millisecond)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Send(context.Background(), channel.Message{Kind: channel.Private, To: "ou_a", Content: "x"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := s.TokenCalls(); n != 1 {
		t.Fatalf("%d token fetches for 8 concurrent sends, want 1", n)
	}
	s.SlowTokens(0)
	s.ExpireTokens()
	if err := c.Send(context.Background(), channel.Message{Kind: channel.Private, To: "ou_a", Content: "after"}); err != nil {
		t.Fatal(err)
	}
	if n := s.TokenCalls(); n != 2 {
		t.Fatalf("%d token fetches, want 2", n)
	}

	srv := ct.New(t, func(call ct.Call) ct.Reply {
		if call.Path == tokenPath {
			return ct.JSON(`{"code":0,"msg":"ok","tenant_access_token":"t-1","expire":7200}`)
		}
		return ct.Reply{Status: 400, Body: `{"code":99991663,"msg":"Invalid access token for authorization."}`}
	})
	err := newConn(t, srv.URL, nil).Send(context.Background(), channel.Message{Kind: channel.Private, To: "ou_a", Content: "x"})
	ct.WantError(t, err, true, "新取得的 tenant_access_token")
	if n := len(srv.Calls()); n != 4 {
		t.Fatalf("%d calls, want token, send, token, send", n)
	}
}

func TestToken_WrongSecret_SaysWhereToFindIt(t *testing.T) {
	s := feishufake.New(t)
	c := newConn(t, s.URL, map[string]string{"app_secret": "wrong"})
	err := c.Send(context.Background(), channel.Message{Kind: channel.Private, To: "ou_a", Content: "x"})
	ct.WantError(t, err, true, "飞书拒绝了 App ID / App Secret（10014：app secret invalid）")
	ct.WantError(t, err, true, "凭证与基础信息")
}

func decodeContent(t *testing.T, m feishufake.Sent) string {
	t.Helper()
	b, _ := json.Marshal(m.Content)
	return string(b)
}

// What each message becomes on the wire: the receive_id_type, msg_type and
// content Feishu documents.
func TestSend_Messages(t *testing.T) {
	img := model.Attachment{Kind: model.AttachImage, Name: "chart.png", Data: pngBytes}
	pdf := model.Attachment{Kind: model.AttachFile, Name: "报表.pdf", Data: []byte("%PDF-1.4 fake")}
	tests := []struct {
		name   string
		format string
		m      channel.Message
		want   []string // "receive_id_type receive_id msg_type content"
	}{
		{"text to an open_id", "", channel.Message{Kind: channel.Private, To: "ou_a", Content: "报销已批准"},
			[]string{`open_id ou_a text {"text":"报销已批准"}`}},
		{"by email", "", channel.Message{Kind: channel.Private, To: "zhang@example.com", Content: "x"},
			[]string{`email zhang@example.com text {"text":"x"}`}},
		{"group with mentions", "", channel.Message{Kind: channel.Group, To: "oc_fakegroup0001", Content: "请处理",
			At: []model.Mention{{ID: "ou_b", Name: "李四"}, {ID: model.MentionAll}}},
			[]string{`chat_id oc_fakegroup0001 text {"text":"请处理 \u003cat user_id=\"ou_b\"\u003e李四\u003c/at\u003e \u003cat user_id=\"all\"\u003e所有人\u003c/at\u003e"}`}},
		{"a late answer's @ becomes a mention", "", channel.Message{Kind: channel.Group, To: "oc_fakegroup0001", Content: "@ou_c 答案"},
			[]string{`chat_id oc_fakegroup0001 text {"text":"\u003cat user_id=\"ou_c\"\u003e\u003c/at\u003e 答案"}`}},
		{"markdown is a post with an md paragraph", "markdown", channel.Message{Kind: channel.Private, To: "ou_a", Content: "**日报**"},
			[]string{`open_id ou_a post {"zh_cn":{"content":[[{"tag":"md","text":"**日报**"}]],"title":""}}`}},
		{"an image alone", "", channel.Message{Kind: channel.Private, To: "ou_a", Attachments: []model.Attachment{img}},
			[]string{`open_id ou_a image {"image_key":"img_v2_fake1"}`}},
		{"text, image and file", "", channel.Message{Kind: channel.Group, To: "oc_fakegroup0001", Content: "图表 ", At: []model.Mention{{ID: "ou_b", Name: "李四"}},
			Attachments: []model.Attachment{img, pdf}},
			[]string{`chat_id oc_fakegroup0001 post {"zh_cn":{"content":[[{"tag":"text","text":"图表  "},{"tag":"at","user_id":"ou_b"}],[{"image_key":"img_v2_fake1","tag":"img"}]],"title":""}}`,
				`chat_id oc_fakegroup0001 file {"file_key":"file_v2_fake2"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := feishufake.New(t)
			c := newConn(t, s.URL, map[string]string{"format": tt.format})
			tt.m.ID = 42
			if err := c.Send(context.Background(), tt.m); err != nil {
				t.Fatal(err)
			}
			sent := s.Sent()
			if len(sent) != len(tt.want) {
				t.Fatalf("%d messages, want %d: %+v", len(sent), len(tt.want), sent)
			}
			for i, m := range sent {
				if got := m.ReceiveIDType + " " + m.ReceiveID + " " + m.MsgType + " " + decodeContent(t, m); got != tt.want[i] {
					t.Errorf("message %d\n got %s\nwant %s", i, got, tt.want[i])
				}
				if want := "botgate-" + c.nonce + "-42-0-" + string(rune('0'+i)); m.UUID != want {
					t.Errorf("uuid %q, want %q", m.UUID, want)
				}
			}
		})
	}
}

func TestSend_Uploads(t *testing.T) {
	s := feishufake.New(t)
	c := newConn(t, s.URL, nil)
	err := c.Send(context.Background(), channel.Message{Kind: channel.Private, To: "ou_a", Attachments: []model.Attachment{
		{Kind: model.AttachImage, Name: "a.png", Data: pngBytes},
		{Kind: model.AttachFile, Name: "报表.XLSX", Data: []byte("PK\x03\x04 fake")},
		{Kind: model.AttachFile, Name: "notes.txt", Data: []byte("hello")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ups := s.Uploads()
	want := []string{"image a.png map[image_type:message]", "file 报表.XLSX map[file_name:报表.XLSX file_type:xls]", "file notes.txt map[file_name:notes.txt file_type:stream]"}
	for i, u := range ups {
		if got := u.Kind + " " + u.Name + " " + mapString(u.Fields); i >= len(want) || got != want[i] {
			t.Errorf("upload %d: %s", i, got)
		}
	}
	if len(ups) != 3 || string(ups[0].Data) != string(pngBytes) {
		t.Fatalf("uploads %+v", ups)
	}
}

func mapString(m map[string]string) string {
	b, _ := json.Marshal(m)
	return strings.NewReplacer(`{`, "map[", `}`, "]", `"`, "", ",", " ").Replace(string(b))
}

// A list of people: one call each. Those Feishu refuses (outside the app's
// range) are named and the others have the message; all refused fails; a
// retry after a rate limit mid-list does not repeat what was sent (uuid).
func TestSend_RecipientLists(t *testing.T) {
	s := feishufake.New(t)
	c := newConn(t, s.URL, nil)
	s.Unknown("ou_ghost")

	err := c.Send(context.Background(), channel.Message{ID: 1, Kind: channel.Private, To: "ou_a|ou_ghost|ou_b", Content: "通知"})
	var pd *channel.PartlyDelivered
	if !errors.As(err, &pd) || !reflect.DeepEqual(pd.Invalid, []string{"ou_ghost"}) || !strings.Contains(pd.Msg, "可用范围") {
		t.Fatalf("got %v, want a PartlyDelivered naming ou_ghost", err)
	}
	if n := len(s.Sent()); n != 2 {
		t.Fatalf("%d sent, want 2", n)
	}

	err = c.Send(context.Background(), channel.Message{ID: 2, Kind: channel.Private, To: "ou_ghost", Content: "通知"})
	ct.WantError(t, err, true, "不在应用的可用范围内（230013）")
	if errors.As(err, &pd) {
		t.Fatal("all refused must fail")
	}

	s.Busy("ou_d", 1)
	m := channel.Message{ID: 3, Kind: channel.Private, To: "ou_c|ou_d", Content: "重试"}
	ct.WantError(t, c.Send(context.Background(), m), false, "230020")
	if err := c.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, x := range s.Sent()[2:] {
		to = append(to, x.ReceiveID)
	}
	if !reflect.DeepEqual(to, []string{"ou_c", "ou_d"}) {
		t.Fatalf("after the retry Feishu has %v, want ou_c once and ou_d", to)
	}
}

func TestSend_BotNotInTheChat(t *testing.T) {
	s := feishufake.New(t)
	err := newConn(t, s.URL, nil).Send(context.Background(), channel.Message{Kind: channel.Group, To: "oc_elsewhere", Content: "x"})
	ct.WantError(t, err, true, "机器人不在该群中（230002）")
}

func TestValidateAndExtras_RefusedBeforeQueueing(t *testing.T) {
	c := newConn(t, "http://127.0.0.1:1", nil)
	for _, tt := range []struct{ kind, to, want string }{
		{channel.Group, "12345", "oc_ 开头"},
		{channel.Private, "oc_abc", "填在 group"},
		{channel.Private, strings.Repeat("ou_a|", 51), "最多发给 50 人"},
		{channel.Private, "ou_a b", "无效"},
	} {
		if err := c.ValidateTarget(tt.kind, tt.to); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ValidateTarget(%s, %q) = %v, want %q", tt.kind, tt.to, err, tt.want)
		}
	}
	ct.WantError(t, c.CheckExtras(channel.Message{Attachments: []model.Attachment{{Kind: model.AttachImage, Name: "a.bmp", Data: []byte("BM not png")}}}), true, "PNG")
	ct.WantError(t, c.CheckExtras(channel.Message{Attachments: []model.Attachment{{Kind: model.AttachFile, Name: "a.txt", Data: []byte{}}}}), true, "空文件")
	ct.WantError(t, c.CheckContent(strings.Repeat("汉", MaxText/3)), true, "最多 150 KB")
	md := newConn(t, "http://127.0.0.1:1", map[string]string{"format": "markdown"})
	ct.WantError(t, md.CheckContent(strings.Repeat("汉", MaxPost/3)), true, "富文本消息最多 30 KB")
	if err := c.CheckContent(strings.Repeat("汉", 20000)); err != nil {
		t.Errorf("20000 汉字 as text: %v", err)
	}
}

// One row per code in errors.go, under HTTP 400 as Feishu sends them, and
// codes it does not list by their status.
func TestClassify_DocumentedCodes(t *testing.T) {
	tests := []struct {
		code      int
		permanent bool
		want      string
	}{
		{230001, true, "参数不正确"},
		{230002, true, "机器人不在该群中"},
		{230006, true, "机器人能力"},
		{230013, true, "可用范围"},
		{230020, false, "限流"},
		{230025, true, "长度限制"},
		{230027, true, "im:message:send_as_bot"},
		{99991672, true, "权限管理"},
		{99991400, false, "太频繁"},
		{99992360, true, "找不到该接收者"},
		{99992361, true, "open_id 不属于这个应用"},
		{99992364, true, "不属于本企业"},
		{12345, true, "飞书拒绝了该请求（12345：说明）"},
	}
	for _, tt := range tests {
		srv := ct.New(t, func(call ct.Call) ct.Reply {
			if call.Path == tokenPath {
				return ct.JSON(`{"code":0,"msg":"ok","tenant_access_token":"t-1","expire":7200}`)
			}
			return ct.Reply{Status: 400, Body: `{"code":` + itoa(tt.code) + `,"msg":"说明"}`}
		})
		err := newConn(t, srv.URL, nil).Send(context.Background(), channel.Message{Kind: channel.Private, To: "ou_a", Content: "x"})
		ct.WantError(t, err, tt.permanent, tt.want)
	}
	// The same codes under HTTP 200, and an unknown one under 5xx.
	ct.WantError(t, classify(230002, "m", 200, nil), true, "机器人不在该群中")
	ct.WantError(t, classify(1, "busy", 503, nil), false, "暂时无法处理")
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestContacts_ChatsTheBotIsIn_AllPages(t *testing.T) {
	s := feishufake.New(t)
	var chats []feishufake.Chat
	for i := range 130 {
		chats = append(chats, feishufake.Chat{ID: "oc_" + itoa(i), Name: "群" + itoa(i)})
	}
	s.SetChats(chats...)
	got, err := newConn(t, s.URL, nil).Contacts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 130 || got[0] != (channel.Contact{Kind: channel.Group, ID: "oc_0", Name: "群0"}) || got[129].ID != "oc_129" {
		t.Fatalf("%d contacts, first %+v", len(got), got[0])
	}
}

func TestTest_TokenAndBotInfo_SendsNothing(t *testing.T) {
	s := feishufake.New(t)
	c := newConn(t, s.URL, nil)
	if err := c.Test(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.knownBot() != feishufake.BotOpenID || len(s.Sent()) != 0 || s.TokenCalls() != 1 {
		t.Fatalf("bot %q, sent %d, tokens %d", c.knownBot(), len(s.Sent()), s.TokenCalls())
	}
	ct.WantError(t, newConn(t, s.URL, map[string]string{"app_id": "cli_other"}).Test(context.Background()), true, "10003")
}
