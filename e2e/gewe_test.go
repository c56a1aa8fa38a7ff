package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"botgate/apiserver"
	"botgate/app"
	ct "botgate/app/channel/channeltest"
	"botgate/model"
)

const (
	geweToken = "gewe-tok"
	geweApp   = "wx_ECMY4oEDuQAP6WimpWwWv"
	geweBot   = "wxid_0xsqb3o0tsvz22" // the device's own account
	geweRoom  = "34757816141@chatroom"
)

// geweServer fakes GeWe's v2 API: it checks the token header and the device
// as GeWe does and answers the documented success bodies.
func geweServer(t *testing.T) *ct.Server {
	t.Helper()
	return ct.New(t, func(c ct.Call) ct.Reply {
		if !strings.HasPrefix(c.Path, "/gewe/v2/api/") {
			return ct.Reply{Status: http.StatusNotFound, Body: `{"status":404,"error":"Not Found"}`}
		}
		var body struct {
			AppID string `json:"appId"`
		}
		json.Unmarshal(c.Body, &body)
		switch {
		case c.Header.Get("X-GEWE-TOKEN") != geweToken:
			return ct.JSON(`{"ret":500,"msg":"HTTP HEADER: X-GEWE-TOKEN 不可用或已过期"}`)
		case body.AppID != geweApp:
			return ct.JSON(`{"ret":500,"msg":"操作失败","data":{"code":"-1","msg":"设备不存在"}}`)
		}
		return ct.JSON(`{"ret":200,"msg":"操作成功","data":{"toWxid":"x","createTime":1703841160,"msgId":0,"newMsgId":3768973957878705000,"type":1}}`)
	})
}

// geweChannels imports the GeWe channels the tests use, on srv.
func geweChannels(e *env, srv *ct.Server) {
	cfg := func(extra string) string {
		return `{"url":"` + srv.URL + `","token":"` + geweToken + `","appid":"` + geweApp + `"` + extra + `}`
	}
	e.ImportJSON(`{"channels":[
		{"name":"wx","type":"gewe","config":` + cfg("") + `},
		{"name":"wx-cloud","type":"gewe","config":` + cfg(`,"secret":"s3cret"`) + `},
		{"name":"wx-old","type":"gewe","config":` + cfg(`,"api":"v1"`) + `}],
	 "templates":[{"keyword":"慢","kind":"query","chat":true,"timeout_ms":60000,
		"sql":"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) SELECT count(*) AS n FROM c"}]}`)
}

var geweMsgID atomic.Int64

// geweText is a text-message callback as GeWe posts it (回调消息详解): from a
// wxid, or from a chat room with the sender before the content.
func geweText(from, sender, content, push string) string {
	if sender != "" {
		content = sender + ":\n" + content
	}
	b, _ := json.Marshal(map[string]any{
		"TypeName": "AddMsg", "Appid": geweApp, "Wxid": geweBot,
		"Data": map[string]any{
			"MsgId": 1040356095, "FromUserName": map[string]string{"string": from}, "ToUserName": map[string]string{"string": geweBot},
			"MsgType": 1, "Content": map[string]string{"string": content}, "Status": 3, "ImgStatus": 1, "ImgBuf": map[string]int{"iLen": 0},
			"CreateTime": 1705043418, "MsgSource": "<msgsource></msgsource>", "PushContent": push,
			"NewMsgId": json.Number(fmt.Sprint(7773749793478223190 - geweMsgID.Add(1))), "MsgSeq": 640356095,
		},
	})
	return string(b)
}

// geweHook posts a callback to a webhook URL as GeWe does.
func geweHook(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// postTexts are the postText bodies the fake received, in order.
func postTexts(t *testing.T, srv *ct.Server) []map[string]string {
	t.Helper()
	var out []map[string]string
	for _, c := range srv.Calls() {
		if c.Path != "/gewe/v2/api/message/postText" {
			t.Fatalf("unexpected call %s %s", c.Path, c.Body)
		}
		var m map[string]string
		if err := json.Unmarshal(c.Body, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// TestWebhook_GeWe_CallbackAnsweredByPostText: GeWe posts a chat message to
// the webhook route; the template runs and the answer goes back through
// postText, while the callback gets its empty 200.
func TestWebhook_GeWe_CallbackAnsweredByPostText(t *testing.T) {
	e := start(t)
	gewe := geweServer(t)
	geweChannels(e, gewe)
	hook := e.Base + "/webhook/wx"
	group := geweText(geweRoom, "wxid_phyyedw9xap22", "@小助手\u2005账号 cs02", "朝夕。在群聊中@了你")
	tests := []struct {
		name string
		body string
		want []map[string]string // the postText calls it causes
	}{
		{"group question: answered in the group, mentioning the sender", group,
			[]map[string]string{{"appId": geweApp, "toWxid": geweRoom, "content": "@朝夕。 测试员02(cs02) QQ 2303831209", "ats": "wxid_phyyedw9xap22"}}},
		{"the same message again (GeWe retries): answered once", group, nil},
		{"private question: answered to the sender", geweText("wxid_phyyedw9xap22", "", "账号 cs01", "朝夕。 : 账号 cs01"),
			[]map[string]string{{"appId": geweApp, "toWxid": "wxid_phyyedw9xap22", "content": "测试员01(cs01) QQ 289192968"}}},
		{"chatter: nothing sent", geweText(geweRoom, "wxid_phyyedw9xap22", "今天中午吃什么", "朝夕。 : 今天中午吃什么"), nil},
		{"the callback check when the URL is set: acknowledged", `{"testMsg":"回调地址链接成功！","token":"` + geweToken + `"}`, nil},
		{"an image: acknowledged", strings.Replace(geweText("wxid_phyyedw9xap22", "", "<msg><img/></msg>", ""), `"MsgType":1`, `"MsgType":3`, 1), nil},
		{"the device's own message: acknowledged", geweText(geweBot, "", "账号 cs01", ""), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(gewe.Calls())
			status, body := geweHook(t, hook, tt.body)
			if status != http.StatusOK || body != "" {
				t.Fatalf("status %d body %q, want an empty 200", status, body)
			}
			got := postTexts(t, gewe)[before:]
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("postText calls\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
	logs, err := e.App.InboundLogs(context.Background(), model.InboundFilter{Channel: "wx"})
	if err != nil || len(logs) != 2 {
		t.Fatalf("inbound log %+v (%v), want the two questions", logs, err)
	}
	if l := logs[1]; l.Sender != "wxid_phyyedw9xap22" || l.Group != geweRoom || l.Keyword != "账号" || l.Text != "账号 cs02" || l.Outcome != app.ChatAnswered || l.Via != app.ViaQuick || l.SenderName != "朝夕。" {
		t.Fatalf("logged %+v", l)
	}

	// GeWe's cloud calls from the internet: the secret must be in the URL.
	t.Run("a secret channel refuses a callback without it", func(t *testing.T) {
		status, body := geweHook(t, e.Base+"/webhook/wx-cloud", geweText("wxid_a", "", "账号 cs01", ""))
		if status != http.StatusUnauthorized || !strings.Contains(body, "GeWe 后台的回调地址后加上 ?secret=") {
			t.Fatalf("status %d body %s", status, body)
		}
		before := len(gewe.Calls())
		if status, _ := geweHook(t, e.Base+"/webhook/wx-cloud?secret=s3cret", geweText("wxid_a", "", "账号 cs01", "")); status != 200 || len(gewe.Calls()) != before+1 {
			t.Fatalf("status %d, %d calls", status, len(gewe.Calls())-before)
		}
	})
}

// TestWebhook_GeWe_SlowAnswer_GoesThroughTheOutbox: an answer that misses
// the quick window is queued and delivered by postText like any send.
func TestWebhook_GeWe_SlowAnswer_GoesThroughTheOutbox(t *testing.T) {
	e := start(t)
	gewe := geweServer(t)
	geweChannels(e, gewe)
	chat := e.App.NewChat(app.ChatConfig{QuickTimeout: 5 * time.Millisecond})
	deps := apiserver.AppDeps(e.App)
	deps.Chat = chat
	srv := httptest.NewServer(apiserver.New(deps, hookLog(), "test"))
	defer srv.Close()

	t0 := time.Now()
	status, body := geweHook(t, srv.URL+"/webhook/wx", geweText(geweRoom, "wxid_phyyedw9xap22", "慢", "朝夕。 : 慢"))
	if took := time.Since(t0); status != 200 || body != "" || took > 2500*time.Millisecond {
		t.Fatalf("status %d body %q after %v: GeWe gives up after 3 s", status, body, took)
	}
	chat.Wait()
	msgs, err := e.App.DB().Messages(context.Background(), model.MessageFilter{Limit: 1})
	if err != nil || len(msgs) != 1 || msgs[0].Channel != "wx" || msgs[0].Target != geweRoom || msgs[0].Content != "@朝夕。 200000" {
		t.Fatalf("outbox %+v (%v)", msgs, err)
	}
	e.WaitStatus(msgs[0].ID, model.StatusDelivered)
	got := postTexts(t, gewe)
	if len(got) != 1 || got[0]["toWxid"] != geweRoom || got[0]["content"] != "@朝夕。 200000" {
		t.Fatalf("postText %v", got)
	}
}

// TestSend_GeWe_ChecksBeforeQueueing: what GeWe cannot carry is refused with
// 4007 and nothing is queued; a URL image is delivered as postText then postImage.
func TestSend_GeWe_ChecksBeforeQueueing(t *testing.T) {
	e := start(t)
	gewe := geweServer(t)
	geweChannels(e, gewe)
	ctx := context.Background()
	demo := model.Caller{Name: "demo", Roles: []string{"admin"}}
	pdf := []byte("%PDF-1.4 test")
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	tests := []struct {
		name string
		req  app.SendRequest
		word string
	}{
		{"an uploaded file", app.SendRequest{Channel: "wx", Group: geweRoom, Content: "日报",
			Attachments: []model.Attachment{{Kind: model.AttachFile, Name: "a.pdf", Data: pdf}}}, "GeWe 只能按网址发送图片/文件"},
		{"an uploaded image", app.SendRequest{Channel: "wx", Group: geweRoom, Content: "日报",
			Attachments: []model.Attachment{{Kind: model.AttachImage, Name: "a.png", Data: png}}}, "上传的图片数据（只能用 http(s) 网址）"},
		{"the seed's API takes no attachments", app.SendRequest{Channel: "wx-old", Group: geweRoom, Content: "日报",
			Attachments: []model.Attachment{{Kind: model.AttachImage, URL: "http://127.0.0.1:9/a.png"}}}, "旧版接口（api 为 v1）只能发送文字"},
		{"a mention in a private message", app.SendRequest{Channel: "wx", QQ: "wxid_a", Content: "日报",
			At: []model.Mention{{ID: "wxid_b"}}}, "@成员只能用在群消息中"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.App.Send(ctx, demo, tt.req)
			var me *model.Error
			if !errors.As(err, &me) || me.Code != model.CodeUnsupported || !strings.Contains(me.Msg, tt.word) {
				t.Fatalf("got %v, want 4007 mentioning %q", err, tt.word)
			}
		})
	}
	if msgs, _ := e.App.DB().Messages(ctx, model.MessageFilter{}); len(msgs) != 0 {
		t.Fatalf("refused sends were queued: %+v", msgs)
	}
	q, err := e.App.Send(ctx, demo, app.SendRequest{Channel: "wx", Group: geweRoom, Content: "日报", At: []model.Mention{{ID: "wxid_b", Name: "小白"}},
		Attachments: []model.Attachment{{Kind: model.AttachImage, URL: "http://127.0.0.1:9/a.png"}}})
	if err != nil {
		t.Fatal(err)
	}
	e.WaitStatus(q.ID, model.StatusDelivered)
	var got []string
	for _, c := range gewe.Calls() {
		got = append(got, strings.TrimPrefix(c.Path, "/gewe/v2/api")+" "+string(c.Body))
	}
	want := []string{
		`/message/postText {"appId":"` + geweApp + `","toWxid":"` + geweRoom + `","content":"@小白 日报","ats":"wxid_b"}`,
		`/message/postImage {"appId":"` + geweApp + `","toWxid":"` + geweRoom + `","imgUrl":"http://127.0.0.1:9/a.png"}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calls\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
