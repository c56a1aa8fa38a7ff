package gewe

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
	"botgate/model"
)

const botWxid = "wxid_0xsqb3o0tsvz22" // the device's own account in the callbacks below

// answerer records what it is asked and answers reply (or nothing).
type answerer struct {
	mu       sync.Mutex
	reply    string
	got      []channel.Incoming
	deadline time.Duration // how long the ctx it got had left
}

var _ channel.Answerer = (*answerer)(nil)

func (a *answerer) Answer(ctx context.Context, in channel.Incoming) channel.Answer {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.got = append(a.got, in)
	if d, ok := ctx.Deadline(); ok {
		a.deadline = time.Until(d)
	}
	return channel.Answer{Reply: a.reply}
}

// textMsg is a text callback as GeWe posts it (回调消息详解, 文本消息).
func textMsg(appid, from, content, push string) string {
	b, _ := json.Marshal(map[string]any{
		"TypeName": "AddMsg", "Appid": appid, "Wxid": botWxid,
		"Data": map[string]any{
			"MsgId": 1040356095, "FromUserName": map[string]string{"string": from}, "ToUserName": map[string]string{"string": botWxid},
			"MsgType": 1, "Content": map[string]string{"string": content}, "Status": 3, "ImgStatus": 1, "ImgBuf": map[string]int{"iLen": 0},
			"CreateTime": 1705043418, "MsgSource": "<msgsource>\n\t<signature>v1_volHXhv4</signature>\n</msgsource>\n",
			"PushContent": push, "NewMsgId": json.Number("7773749793478223190"), "MsgSeq": 640356095,
		},
	})
	return string(b)
}

func push(body, remote, query string) channel.WebhookRequest {
	q, _ := url.ParseQuery(query)
	return channel.WebhookRequest{Channel: "wx", Method: http.MethodPost, Header: http.Header{"Content-Type": {"application/json"}}, Query: q, Remote: remote, Body: []byte(body)}
}

func hookConn(t *testing.T, srv *ct.Server, secret string) *Connector {
	t.Helper()
	c, err := New(channel.Config{Name: "wx", Type: "gewe", Values: map[string]string{"url": srv.URL, "token": token, "appid": appID, "secret": secret}}, srv.Deps())
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Connector)
}

func TestHandleWebhook_Callbacks(t *testing.T) {
	image := strings.Replace(textMsg(appID, "wxid_phyyedw9xap22", `<?xml version="1.0"?><msg><img aeskey="9b70" /></msg>`, "朝夕。 : [图片]"), `"MsgType":1`, `"MsgType":3`, 1)
	tests := []struct {
		name      string
		body      string
		want      *channel.Incoming // nil: acknowledged, the answerer not asked
		wantTo    string            // the postText toWxid of the answer
		wantText  string
		wantAts   string
		wantCalls int
	}{
		{"private text: the sender is the wxid, answered by postText to them",
			textMsg(appID, "wxid_phyyedw9xap22", "账号 cs02", "朝夕。 : 账号 cs02"),
			&channel.Incoming{Channel: "wx", ID: "7773749793478223190", Sender: "wxid_phyyedw9xap22", SenderName: "朝夕。", Text: "账号 cs02"},
			"wxid_phyyedw9xap22", "答", "", 1},
		{"group text: the sender from the content's prefix, answered in the group mentioning them",
			textMsg(appID, room, "wxid_phyyedw9xap22:\n账号 cs02", "朝夕。 : 账号 cs02"),
			&channel.Incoming{Channel: "wx", ID: "7773749793478223190", Sender: "wxid_phyyedw9xap22", SenderName: "朝夕。", Group: room, Text: "账号 cs02"},
			room, "@朝夕。 答", "wxid_phyyedw9xap22", 1},
		{"group text mentioning the bot: the mention (ended by U+2005) is not the keyword",
			textMsg(appID, room, "wxid_phyyedw9xap22:\n@小助手\u2005账号 cs02", "朝夕。在群聊中@了你"),
			&channel.Incoming{Channel: "wx", ID: "7773749793478223190", Sender: "wxid_phyyedw9xap22", SenderName: "朝夕。", Group: room, Text: "账号 cs02"},
			room, "@朝夕。 答", "wxid_phyyedw9xap22", 1},
		{"group text without a name to write: answered without a mention",
			textMsg(appID, room, "wxid_phyyedw9xap22:\n账号", ""),
			&channel.Incoming{Channel: "wx", ID: "7773749793478223190", Sender: "wxid_phyyedw9xap22", Group: room, Text: "账号"},
			room, "答", "", 1},
		{"the callback check GeWe posts when the URL is set", `{"testMsg":"回调地址链接成功！","token":"` + token + `"}`, nil, "", "", "", 0},
		{"an image", image, nil, "", "", "", 0},
		{"a contact change", `{"TypeName":"ModContacts","Appid":"` + appID + `","Wxid":"` + botWxid + `","Data":{"UserName":{"string":"wxid_a"}}}`, nil, "", "", "", 0},
		{"the device went offline", `{"TypeName":"Offline","Appid":"` + appID + `","Wxid":"` + botWxid + `"}`, nil, "", "", "", 0},
		{"another device of the same token", textMsg("wx_another", "wxid_phyyedw9xap22", "账号", "x : 账号"), nil, "", "", "", 0},
		{"the device's own message, sent from the phone", textMsg(appID, botWxid, "账号", "我 : 账号"), nil, "", "", "", 0},
		{"the device's own message in a group", textMsg(appID, room, botWxid+":\n账号", "我 : 账号"), nil, "", "", "", 0},
		{"a group notice without a sender", textMsg(appID, room, "你修改群名为“GeWe test1”", ""), nil, "", "", "", 0},
		{"an official account", textMsg(appID, "gh_6651e07e4b2d", "账号", ""), nil, "", "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &geweV2{t: t, prefix: "/gewe/v2/api"}
			srv := ct.New(t, g.answer)
			a := &answerer{reply: "答"}
			resp, err := hookConn(t, srv, "").HandleWebhook(context.Background(), push(tt.body, "127.0.0.1", ""), a)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != http.StatusOK || resp.Body != nil {
				t.Fatalf("reply %+v, want an empty 200: GeWe ignores what the callback answers", resp)
			}
			if tt.want == nil {
				if len(a.got) != 0 || len(srv.Calls()) != 0 {
					t.Fatalf("asked %+v, sent %v: want neither", a.got, calls(srv))
				}
				return
			}
			if len(a.got) != 1 || !reflect.DeepEqual(a.got[0], *tt.want) {
				t.Fatalf("asked %+v\nwant  %+v", a.got, *tt.want)
			}
			if a.deadline <= 0 || a.deadline > quickWindow {
				t.Fatalf("the answer may take %v, want at most %v: GeWe waits 3 s for the callback", a.deadline, quickWindow)
			}
			got := srv.Calls()
			if len(got) != tt.wantCalls {
				t.Fatalf("calls %v", calls(srv))
			}
			got[0].Expect(t, http.MethodPost, "/gewe/v2/api/message/postText", "application/json")
			want, _ := json.Marshal(textReq{AppID: appID, ToWxid: tt.wantTo, Content: tt.wantText, Ats: tt.wantAts})
			ct.JSONEq(t, got[0].Body, string(want))
		})
	}
}

func TestHandleWebhook_NothingToSay_NothingSent(t *testing.T) {
	srv := ct.New(t, ct.Always(ct.JSON(`{"ret":200}`)))
	a := &answerer{}
	resp, err := hookConn(t, srv, "").HandleWebhook(context.Background(), push(textMsg(appID, "wxid_a", "大家好", ""), "127.0.0.1", ""), a)
	if err != nil || resp.Status != 200 || len(a.got) != 1 || len(srv.Calls()) != 0 {
		t.Fatalf("got %+v %v, asked %d, sent %d", resp, err, len(a.got), len(srv.Calls()))
	}
}

// A postText that fails is logged; the callback is still acknowledged, so
// GeWe does not post the message again.
func TestHandleWebhook_AnswerNotDelivered_StillAcknowledged(t *testing.T) {
	srv := ct.New(t, ct.Always(ct.JSON(`{"ret":500,"msg":"发送消息失败","data":{"code":"-1","msg":"微信已离线"}}`)))
	resp, err := hookConn(t, srv, "").HandleWebhook(context.Background(), push(textMsg(appID, "wxid_a", "账号", ""), "127.0.0.1", ""), &answerer{reply: "答"})
	if err != nil || resp.Status != 200 || len(srv.Calls()) != 1 {
		t.Fatalf("got %+v %v after %d calls", resp, err, len(srv.Calls()))
	}
}

// GeWe signs nothing: with a secret the callback URL carries ?secret=;
// without one only this computer may post.
func TestHandleWebhook_Origin(t *testing.T) {
	body := textMsg(appID, "wxid_a", "账号", "")
	tests := []struct {
		name, secret, remote, query string
		status                      int
		word                        string
	}{
		{"GeWe's cloud with the secret in the callback URL", "s3cret", "47.100.1.2", "secret=s3cret", 0, ""},
		{"a wrong secret", "s3cret", "47.100.1.2", "secret=guess", 403, "不一致"},
		{"no secret in the URL: where to put it", "s3cret", "47.100.1.2", "", 401, "GeWe 后台的回调地址后加上 ?secret="},
		{"no secret set: this computer only", "", "127.0.0.1", "", 0, ""},
		{"no secret set: another computer is told how to set one", "", "47.100.1.2", "secret=anything", 403, "GeWe 后台的回调地址设为 http://BotGate地址:7789/webhook/wx?secret=密钥"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(ct.JSON(`{"ret":200}`)))
			a := &answerer{reply: "答"}
			_, err := hookConn(t, srv, tt.secret).HandleWebhook(context.Background(), push(body, tt.remote, tt.query), a)
			if tt.status == 0 {
				if err != nil || len(a.got) != 1 {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var we *channel.WebhookError
			if !errors.As(err, &we) || we.Status != tt.status || we.Code != model.CodeUnauthorized || !strings.Contains(we.Msg, tt.word) {
				t.Fatalf("got %v, want %d mentioning %q", err, tt.status, tt.word)
			}
			if len(a.got) != 0 || len(srv.Calls()) != 0 {
				t.Fatal("a refused callback reached the answerer")
			}
		})
	}
}

func TestHandleWebhook_GarbageIsRefused(t *testing.T) {
	tests := []struct {
		name, body string
		code       int
		word       string
	}{
		{"not JSON", "hello", model.CodeBadRequest, "不是有效的 GeWe 回调 JSON"},
		{"empty", "", model.CodeBadRequest, "为空"},
		{"a text message without a sender", strings.Replace(textMsg(appID, "", "账号", ""), `"FromUserName":{"string":""}`, `"FromUserName":{}`, 1), model.CodeBadRequest, "FromUserName"},
		{"not UTF-8", "{\"TypeName\":\"AddMsg\",\"x\":\"\xff\"}", model.CodeBadEncoding, "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(ct.JSON(`{"ret":200}`)))
			a := &answerer{reply: "x"}
			_, err := hookConn(t, srv, "").HandleWebhook(context.Background(), push(tt.body, "127.0.0.1", ""), a)
			var we *channel.WebhookError
			if !errors.As(err, &we) || we.Status != 400 || we.Code != tt.code || !strings.Contains(we.Msg, tt.word) {
				t.Fatalf("got %v, want 400 %d mentioning %q", err, tt.code, tt.word)
			}
			if len(a.got) != 0 {
				t.Fatalf("garbage reached the answerer: %+v", a.got)
			}
		})
	}
}

func TestPushName(t *testing.T) {
	for in, want := range map[string]string{"朝夕。 : 123": "朝夕。", "朝夕。在群聊中@了你": "朝夕。", "": "", "[图片]": ""} {
		if got := pushName(in); got != want {
			t.Errorf("pushName(%q) = %q, want %q", in, got, want)
		}
	}
}
