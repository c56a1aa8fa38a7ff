package onebot

import (
	"bytes"
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

const (
	hookSecret = "s3cret"
	botQQ      = "10000"
)

// answerer records what it is asked and answers reply (or nothing).
type answerer struct {
	reply string
	got   []channel.Incoming
}

var _ channel.Answerer = (*answerer)(nil)

func (a *answerer) Answer(_ context.Context, in channel.Incoming) channel.Answer {
	a.got = append(a.got, in)
	return channel.Answer{Reply: a.reply, Keyword: "kw"}
}

func hookConn(t *testing.T, secret string) *Connector {
	t.Helper()
	c, err := New(channel.Config{Name: "qq", Type: "onebot", Values: map[string]string{"url": "http://127.0.0.1:1", "secret": secret}}, channel.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Connector)
}

func sign(body string) string {
	mac := hmac.New(sha1.New, []byte(hookSecret))
	mac.Write([]byte(body))
	return "sha1=" + hex.EncodeToString(mac.Sum(nil))
}

// push is an event as NapCat posts it, from this computer, signed when sig is set.
func push(body, sig string) channel.WebhookRequest {
	h := http.Header{"X-Self-Id": {botQQ}}
	if sig != "" {
		h.Set("X-Signature", sig)
	}
	return channel.WebhookRequest{Channel: "qq", Method: http.MethodPost, Header: h, Query: url.Values{}, Remote: "127.0.0.1", Body: []byte(body)}
}

// encoded is the response body as the webhook writes it.
func encoded(t *testing.T, r channel.WebhookResponse) string {
	t.Helper()
	if r.Body == nil {
		return ""
	}
	b, err := json.Marshal(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func obPrivate(user, nick, message string) string {
	m, _ := json.Marshal(message)
	return `{"self_id":10000,"user_id":` + user + `,"time":1700000000,"message_id":7,"message_type":"private","sender":{"user_id":` + user +
		`,"nickname":"` + nick + `","card":""},"raw_message":` + string(m) + `,"message":` + string(m) + `,"post_type":"message"}`
}

func TestHandleWebhook_MessageEvents_BecomeIncoming(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *channel.Incoming // nil: the answerer is not asked
	}{
		{"private message, string form", obPrivate("289192968", "测试员01", "账号"),
			&channel.Incoming{Channel: "qq", ID: "7", Sender: "289192968", SenderName: "测试员01", Text: "账号"}},
		{"group message, array form with @bot: the card is the name",
			`{"self_id":10000,"user_id":10001,"message_id":-2147483000,"message_type":"group","group_id":123456,"post_type":"message",` +
				`"sender":{"nickname":"小明","card":"销售-小明"},"message":[{"type":"at","data":{"qq":"10000"}},{"type":"text","data":{"text":" 账号 "}},{"type":"text","data":{"text":"cs02"}}]}`,
			&channel.Incoming{Channel: "qq", ID: "-2147483000", Sender: "10001", SenderName: "销售-小明", Group: "123456", Text: "  账号 cs02"}},
		{"CQ codes become spaces and escapes are undone",
			`{"self_id":"10000","user_id":"10001","message_id":"8","message_type":"group","group_id":"123456","post_type":"message","sender":{"nickname":"n"},` +
				`"message":"[CQ:at,qq=10000] 账号&#91;1&#93;&#44;&amp;#91;[CQ:face,id=1]x"}`,
			&channel.Incoming{Channel: "qq", ID: "8", Sender: "10001", SenderName: "n", Group: "123456", Text: "  账号[1],&#91; x"}},
		{"an unclosed CQ code stays text", `{"user_id":1,"message_type":"private","post_type":"message","message":"a [CQ:at"}`,
			&channel.Incoming{Channel: "qq", Sender: "1", Text: "a [CQ:at"}},
		{"image between words keeps them apart",
			`{"user_id":1,"message_type":"private","post_type":"message","message":[{"type":"text","data":{"text":"账号"}},{"type":"image","data":{"file":"a.jpg"}},{"type":"text","data":{"text":"cs02"}}]}`,
			&channel.Incoming{Channel: "qq", Sender: "1", Text: "账号 cs02"}},
		{"message null: raw_message is read", `{"user_id":1,"message_type":"private","post_type":"message","message":null,"raw_message":"[CQ:at,qq=10000]账号"}`,
			&channel.Incoming{Channel: "qq", Sender: "1", Text: " 账号"}},
		{"no message_id: no ID, so not de-duplicated", `{"user_id":1,"message_type":"private","post_type":"message","message":"账号"}`,
			&channel.Incoming{Channel: "qq", Sender: "1", Text: "账号"}},
		{"heartbeat", `{"time":1700000000,"self_id":10000,"post_type":"meta_event","meta_event_type":"heartbeat","interval":30000}`, nil},
		{"lifecycle", `{"self_id":10000,"post_type":"meta_event","meta_event_type":"lifecycle","sub_type":"connect"}`, nil},
		{"notice", `{"self_id":10000,"post_type":"notice","notice_type":"group_increase","group_id":123456,"user_id":10003}`, nil},
		{"friend request: its comment is not a query", `{"self_id":10000,"post_type":"request","request_type":"friend","user_id":10004,"comment":"账号"}`, nil},
		{"the bot's own sent message", `{"self_id":10000,"user_id":10000,"message_type":"private","message":"账号","post_type":"message_sent"}`, nil},
		{"a message from the bot's own QQ", obPrivate(botQQ, "bot", "账号"), nil},
		{"the bot's QQ from X-Self-ID when self_id is missing", `{"user_id":10000,"message_type":"private","post_type":"message","message":"账号"}`, nil},
		{"guild message", `{"user_id":1,"message_type":"guild","post_type":"message","message":"账号"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &answerer{reply: "答"}
			resp, err := hookConn(t, "").HandleWebhook(context.Background(), push(tt.body, ""), a)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if len(a.got) != 0 || resp.Body != nil || resp.Status != 0 {
					t.Fatalf("acknowledged with %+v, asked %+v; want an empty reply and no question", resp, a.got)
				}
				return
			}
			if len(a.got) != 1 || !reflect.DeepEqual(a.got[0], *tt.want) {
				t.Fatalf("asked %+v\nwant  %+v", a.got, *tt.want)
			}
		})
	}
}

func TestHandleWebhook_QuickReply(t *testing.T) {
	group := `{"self_id":10000,"user_id":10001,"message_type":"group","group_id":123456,"post_type":"message","message":"账号"}`
	tests := []struct {
		name, body, reply string
		want              string // the encoded body; "" = empty reply (204)
	}{
		{"private: the reply, CQ codes escaped", obPrivate("1", "n", "账号"), "[CQ:at,qq=all] 行", `{"reply":"[CQ:at,qq=all] 行","auto_escape":true}`},
		{"group: the reply mentions the sender", group, "行", `{"reply":"行","auto_escape":true,"at_sender":true}`},
		{"nothing to say: empty reply", group, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := hookConn(t, "").HandleWebhook(context.Background(), push(tt.body, ""), &answerer{reply: tt.reply})
			if err != nil {
				t.Fatal(err)
			}
			if got := encoded(t, resp); got != tt.want || resp.Status != 0 {
				t.Fatalf("reply %d %s, want %s", resp.Status, got, tt.want)
			}
		})
	}
}

func TestHandleWebhook_Signature(t *testing.T) {
	body := obPrivate("10001", "小明", "账号 cs02")
	other := obPrivate("10001", "小明", "账号 admin")
	tests := []struct {
		name, secret, sig, remote string
		status                    int
		word                      string
	}{
		{"valid signature answered", hookSecret, sign(body), "127.0.0.1", 0, ""},
		{"signed channel accepts other computers", hookSecret, sign(body), "172.17.0.2", 0, ""},
		{"missing signature: 401", hookSecret, "", "127.0.0.1", 401, "NapCat/LLBot"},
		{"signature made with another secret: 403", hookSecret, "sha1=" + strings.Repeat("ab", 20), "127.0.0.1", 403, "不匹配"},
		{"signature of another body (tampered): 403", hookSecret, sign(other), "127.0.0.1", 403, "不匹配"},
		{"signature without sha1= prefix: 403", hookSecret, strings.TrimPrefix(sign(body), "sha1="), "127.0.0.1", 403, "格式不对"},
		{"signature that is not hex: 403", hookSecret, "sha1=zz", "127.0.0.1", 403, "格式不对"},
		{"channel without secret accepts this computer", "", "", "127.0.0.1", 0, ""},
		{"channel without secret refuses other computers", "", "", "192.168.1.23", 403, "secret"},
		{"channel without secret ignores a signature from afar", "", sign(body), "192.168.1.23", 403, "secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := push(body, tt.sig)
			req.Remote = tt.remote
			a := &answerer{reply: "测试员02(cs02) QQ 2303831209"}
			resp, err := hookConn(t, tt.secret).HandleWebhook(context.Background(), req, a)
			if tt.status == 0 {
				if err != nil || len(a.got) != 1 || encoded(t, resp) != `{"reply":"测试员02(cs02) QQ 2303831209","auto_escape":true}` {
					t.Fatalf("accepted event: %v, asked %d times, reply %s", err, len(a.got), encoded(t, resp))
				}
				return
			}
			var we *channel.WebhookError
			if !errors.As(err, &we) || we.Status != tt.status || we.Code != model.CodeUnauthorized || !strings.Contains(we.Msg, tt.word) {
				t.Fatalf("got %v, want %d %d mentioning %q", err, tt.status, model.CodeUnauthorized, tt.word)
			}
			if len(a.got) != 0 || resp.Body != nil {
				t.Fatalf("rejected event reached the answerer (%d) or was answered (%v)", len(a.got), resp.Body)
			}
		})
	}
}

// A signed body is checked byte for byte: re-encoding the JSON would change
// it, so the check runs on the raw body before any parsing.
func TestHandleWebhook_SignatureCoversRawBytes(t *testing.T) {
	body := obPrivate("10001", "小明", "账号 cs02")
	var pretty bytes.Buffer
	json.Indent(&pretty, []byte(body), "", "  ")
	c := hookConn(t, hookSecret)
	if _, err := c.HandleWebhook(context.Background(), push(pretty.String(), sign(pretty.String())), &answerer{}); err != nil {
		t.Fatalf("indented body signed as sent: %v", err)
	}
	_, err := c.HandleWebhook(context.Background(), push(pretty.String(), sign(body)), &answerer{})
	var we *channel.WebhookError
	if !errors.As(err, &we) || we.Status != 403 {
		t.Fatalf("signature of the compact form must not match the indented body: %v", err)
	}
}

// Garbage is refused with a 400 that says what is wrong, after the signature
// check: an unsigned stranger learns nothing about the format.
func TestHandleWebhook_GarbageIsRefused(t *testing.T) {
	tests := []struct {
		name, body string
		code       int
		word       string
	}{
		{"not JSON", "hello", model.CodeBadRequest, "不是有效的 OneBot v11 事件 JSON"},
		{"empty body", "", model.CodeBadRequest, "为空"},
		{"JSON array", `[1,2]`, model.CodeBadRequest, "JSON 对象"},
		{"two objects", `{"post_type":"message"} {}`, model.CodeBadRequest, "JSON"},
		{"missing post_type", `{"user_id":1,"message":"账号"}`, model.CodeBadRequest, "post_type"},
		{"message without user_id", `{"post_type":"message","message_type":"private","message":"账号"}`, model.CodeBadRequest, "user_id"},
		{"group message without group_id", `{"post_type":"message","message_type":"group","user_id":1,"message":"账号"}`, model.CodeBadRequest, "group_id"},
		{"message that is an object", `{"post_type":"message","message_type":"private","user_id":1,"message":{"a":1}}`, model.CodeBadRequest, "文本或消息段数组"},
		{"segments that are not objects", `{"post_type":"message","message_type":"private","user_id":1,"message":[1,2]}`, model.CodeBadRequest, "每一段"},
		{"user_id that is an object", `{"post_type":"message","message_type":"private","user_id":{"x":1},"message":"账号"}`, model.CodeBadRequest, "JSON"},
		{"post_type that is a number", `{"post_type":5}`, model.CodeBadRequest, "JSON"},
		{"not UTF-8", "{\"post_type\":\"message\",\"message_type\":\"private\",\"user_id\":1,\"message\":\"\xff\xfe\"}", model.CodeBadEncoding, "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &answerer{reply: "x"}
			_, err := hookConn(t, hookSecret).HandleWebhook(context.Background(), push(tt.body, sign(tt.body)), a)
			var we *channel.WebhookError
			if !errors.As(err, &we) || we.Status != 400 || we.Code != tt.code || !strings.Contains(we.Msg, tt.word) {
				t.Fatalf("got %v, want 400 %d mentioning %q", err, tt.code, tt.word)
			}
			if len(a.got) != 0 {
				t.Fatalf("garbage reached the answerer: %+v", a.got)
			}
			_, err = hookConn(t, hookSecret).HandleWebhook(context.Background(), push(tt.body, ""), a)
			if !errors.As(err, &we) || we.Status != 401 {
				t.Fatalf("unsigned garbage: %v, want 401", err)
			}
		})
	}
}
