package openqq

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"botgate/app/channel"
	"botgate/model"
)

const hookSecret = "s3cret"

// answerer records what it is asked and answers reply (or nothing).
type answerer struct {
	reply string
	got   []channel.Incoming
}

var _ channel.Answerer = (*answerer)(nil)

func (a *answerer) Answer(_ context.Context, in channel.Incoming) channel.Answer {
	a.got = append(a.got, in)
	return channel.Answer{Reply: a.reply}
}

func hookConn(t *testing.T, secret string) *Connector {
	t.Helper()
	c, err := New(channel.Config{Name: "webqq", Type: "openqq", Values: map[string]string{"url": "http://127.0.0.1:1", "secret": secret}}, channel.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Connector)
}

// push is a report as Mojo-Webqq posts it, from remote, with query after the path.
func push(body, remote, query string) channel.WebhookRequest {
	q, _ := url.ParseQuery(query)
	return channel.WebhookRequest{Channel: "webqq", Method: http.MethodPost, Header: http.Header{"Content-Type": {"application/json"}}, Query: q, Remote: remote, Body: []byte(body)}
}

func TestHandleWebhook_Reports_BecomeIncoming(t *testing.T) {
	// The seed's own example report, with the content changed to a keyword.
	seedReport := `{ "receiver":"小灰",
"msg_time":"1442542632",
"content":"账号 cs02",
"msg_class":"recv",
"sender_id":"2372835507",
"receiver_id":"4072574066",
"group":"PERL学习交流",
"group_id":"2617047292",
"sender":"灰灰",
"msg_id":"10856",
"type":"group_message"
}`
	newer := `{"time":"1442542632","content":"账号","class":"recv","sender":"测试员01","sender_id":"2372835507","sender_uid":289192968,` +
		`"receiver":"小灰","receiver_id":"4072574066","receiver_uid":"123456","id":"10857","type":"friend_message","post_type":"receive_message"}`
	tests := []struct {
		name, body string
		want       *channel.Incoming // nil: the answerer is not asked
	}{
		{"seed's group report: session ids, answered late through gid:", seedReport,
			&channel.Incoming{Channel: "webqq", ID: "10856", Sender: "2372835507", SenderName: "灰灰", Group: "2617047292", Text: "账号 cs02",
				ReplyQQ: "id:2372835507", ReplyGroup: "gid:2617047292"}},
		{"newer layout: the QQ number is the sender", newer,
			&channel.Incoming{Channel: "webqq", ID: "10857", Sender: "289192968", SenderName: "测试员01", Text: "账号"}},
		{"newer group layout: the group number is the group",
			`{"type":"group_message","class":"recv","sender_uid":5,"group_uid":88,"group_id":"7","content":"零件"}`,
			&channel.Incoming{Channel: "webqq", Sender: "5", Group: "88", Text: "零件"}},
		{"@mentions before the keyword are skipped",
			`{"type":"group_message","msg_class":"recv","sender_id":"77","group_id":"88","content":"@小灰　@小白 零件"}`,
			&channel.Incoming{Channel: "webqq", Sender: "77", Group: "88", Text: "零件", ReplyQQ: "id:77", ReplyGroup: "gid:88"}},
		{"discussion message: did:",
			`{"type":"discuss_message","msg_class":"recv","sender_id":"77","discuss_id":"99","content":"账号 cs02"}`,
			&channel.Incoming{Channel: "webqq", Sender: "77", Group: "99", Text: "账号 cs02", ReplyQQ: "id:77", ReplyGroup: "did:99"}},
		{"temporary session message is private",
			`{"type":"sess_message","class":"recv","sender_uid":"5","content":"账号"}`,
			&channel.Incoming{Channel: "webqq", Sender: "5", Text: "账号"}},
		{"the bot's own message (msg_class send)", `{"type":"friend_message","msg_class":"send","sender_id":"4072574066","content":"账号"}`, nil},
		{"the bot's own message (post_type send_message)", `{"type":"friend_message","post_type":"send_message","class":"send","content":"账号"}`, nil},
		{"a report from the receiver itself", `{"type":"friend_message","class":"recv","sender_uid":"9","receiver_uid":"9","content":"账号"}`, nil},
		{"events are acknowledged", `{"post_type":"event","event":"new_friend","params":[{"id":"1","uid":123}]}`, nil},
		{"other message types are acknowledged", `{"type":"state_message","sender_id":"1"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &answerer{reply: "答"}
			resp, err := hookConn(t, "").HandleWebhook(context.Background(), push(tt.body, "127.0.0.1", ""), a)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if len(a.got) != 0 || resp.Body != nil {
					t.Fatalf("acknowledged with %+v, asked %+v; want an empty reply and no question", resp, a.got)
				}
				return
			}
			if len(a.got) != 1 || !reflect.DeepEqual(a.got[0], *tt.want) {
				t.Fatalf("asked %+v\nwant  %+v", a.got, *tt.want)
			}
			b, _ := json.Marshal(resp.Body)
			if string(b) != `{"reply":"答"}` || resp.Status != 0 {
				t.Fatalf("reply %d %s", resp.Status, b)
			}
		})
	}
}

func TestHandleWebhook_NothingToSay_EmptyReply(t *testing.T) {
	resp, err := hookConn(t, "").HandleWebhook(context.Background(),
		push(`{"type":"friend_message","class":"recv","sender_uid":"5","content":"大家好"}`, "127.0.0.1", ""), &answerer{})
	if err != nil || resp.Body != nil || resp.Status != 0 {
		t.Fatalf("got %+v %v, want an empty reply", resp, err)
	}
}

// Openqq cannot sign: its post_api URL carries ?secret= instead.
func TestHandleWebhook_Secret(t *testing.T) {
	body := `{"type":"friend_message","msg_class":"recv","sender_id":"77","content":"账号 cs02"}`
	mac := hmac.New(sha1.New, []byte(hookSecret))
	mac.Write([]byte(body))
	signed := "sha1=" + hex.EncodeToString(mac.Sum(nil))
	tests := []struct {
		name, secret, remote, query, sig string
		status                           int
		word                             string
	}{
		{"another computer with the secret in the URL", hookSecret, "192.168.1.40", "secret=" + hookSecret, "", 0, ""},
		{"a secret with URL-encoded symbols", "a+b&c", "192.168.1.40", "secret=a%2Bb%26c", "", 0, ""},
		{"a wrong secret", hookSecret, "192.168.1.40", "secret=guess", "", 403, "不一致"},
		{"without the secret: how to set post_api", hookSecret, "192.168.1.40", "", "", 401, "post_api"},
		{"this computer needs the secret too once set", hookSecret, "127.0.0.1", "", "", 401, "post_api"},
		{"a signed report is checked as OneBot's", hookSecret, "192.168.1.40", "", signed, 0, ""},
		{"a wrongly signed report is refused whatever the URL says", hookSecret, "192.168.1.40", "secret=" + hookSecret, "sha1=" + strings.Repeat("ab", 20), 403, "X-Signature"},
		{"no secret: this computer only", "", "127.0.0.1", "", "", 0, ""},
		{"no secret: other computers are refused", "", "192.168.1.40", "secret=anything", "", 403, "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := push(body, tt.remote, tt.query)
			if tt.sig != "" {
				req.Header.Set("X-Signature", tt.sig)
			}
			a := &answerer{reply: "测试员02(cs02) QQ 2303831209"}
			resp, err := hookConn(t, tt.secret).HandleWebhook(context.Background(), req, a)
			if tt.status == 0 {
				b, _ := json.Marshal(resp.Body)
				if err != nil || len(a.got) != 1 || string(b) != `{"reply":"测试员02(cs02) QQ 2303831209"}` {
					t.Fatalf("accepted report: %v, asked %d times, reply %s", err, len(a.got), b)
				}
				return
			}
			var we *channel.WebhookError
			if !errors.As(err, &we) || we.Status != tt.status || we.Code != model.CodeUnauthorized || !strings.Contains(we.Msg, tt.word) {
				t.Fatalf("got %v, want %d mentioning %q", err, tt.status, tt.word)
			}
			if len(a.got) != 0 {
				t.Fatal("a refused report reached the answerer")
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
		{"not JSON", "hello", model.CodeBadRequest, "不是有效的 Openqq 上报 JSON"},
		{"empty", "", model.CodeBadRequest, "为空"},
		{"report without type", `{"content":"账号"}`, model.CodeBadRequest, "缺少 type"},
		{"message without sender", `{"type":"friend_message","content":"账号"}`, model.CodeBadRequest, "sender_id"},
		{"group message without group", `{"type":"group_message","sender_id":"5","content":"账号"}`, model.CodeBadRequest, "group_id"},
		{"discussion message without discussion", `{"type":"discuss_message","sender_id":"5","content":"账号"}`, model.CodeBadRequest, "discuss_id"},
		{"content that is an object", `{"type":"friend_message","sender_id":"5","content":{"a":1}}`, model.CodeBadRequest, "JSON"},
		{"not UTF-8", "{\"type\":\"friend_message\",\"sender_id\":\"5\",\"content\":\"\xff\"}", model.CodeBadEncoding, "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &answerer{reply: "x"}
			_, err := hookConn(t, "").HandleWebhook(context.Background(), push(tt.body, "127.0.0.1", ""), a)
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
