package wecomapp_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"botgate/app/channel"
	"botgate/app/channel/wecomapp"
	"botgate/app/channel/wecomapp/wecomfake"
)

// WeCom's published sample (加解密方案说明 and the official weworkapi_golang
// sample.go): a corp, its callback Token and EncodingAESKey, one URL check
// and one encrypted text message, signatures included.
const (
	sampleCorp   = "wx5823bf96d3bd56c7"
	sampleToken  = "QDG6eK"
	sampleVerify = "msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780&echostr=P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D"
	samplePush   = "msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813&nonce=1372623149"
	sampleBody   = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
)

// sampleConnector is a channel with the sample's settings, its clock at the
// sample push's time.
func sampleConnector(t *testing.T, corp, token, key string) *wecomapp.Connector {
	t.Helper()
	ch, err := wecomapp.New(channel.Config{Name: "wx", Type: "wecom_app", Values: map[string]string{
		"url": "http://127.0.0.1:1", "corp_id": corp, "corp_secret": "s", "agent_id": "218", "callback_token": token, "callback_aes_key": key,
	}}, channel.Deps{Now: func() time.Time { return time.Unix(1409659813, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	return ch.(*wecomapp.Connector)
}

func query(t *testing.T, raw string) url.Values {
	t.Helper()
	q, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// The published vectors decrypt to what WeCom's sample prints: the URL
// check's echostr and a text message from the member "mycreate".
func TestCallback_OfficialSample_VerifiesAndDecrypts(t *testing.T) {
	c := sampleConnector(t, sampleCorp, sampleToken, testKey)
	resp, err := hook(t, c, http.MethodGet, query(t, sampleVerify), "", &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Body != "1616140317555161061" {
		t.Fatalf("URL check answered %#v, want the echostr's plaintext", resp)
	}
	rec := &recorder{}
	resp, err = hook(t, c, http.MethodPost, query(t, samplePush), sampleBody, rec)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusOK || resp.Body != nil {
		t.Fatalf("push answered %#v, want an empty 200", resp)
	}
	want := channel.Incoming{Channel: "wx", ID: "4561255354251345929", Sender: "mycreate", Text: "hello", ReplyLater: true}
	if got := rec.asked(); len(got) != 1 || got[0] != want {
		t.Fatalf("asked %+v, want %+v", got, want)
	}
}

// What WeCom's algorithm makes every part matter: a wrong token, key or
// corp, or a changed byte, is refused before anything is answered.
func TestCallback_OfficialSample_RefusesWhatDoesNotMatch(t *testing.T) {
	otherKey := "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	tampered := strings.Replace(sampleBody, "RypEv", "RypEw", 1)
	tests := []struct {
		name             string
		corp, token, key string
		method, q, body  string
		status           int
		msg              string
	}{
		{"another Token", sampleCorp, "other", testKey, "POST", samplePush, sampleBody, 403, "Token 与通道的 callback_token 不一致"},
		{"a changed ciphertext", sampleCorp, sampleToken, testKey, "POST", samplePush, tampered, 403, "签名不匹配"},
		{"a changed signature", sampleCorp, sampleToken, testKey, "POST", strings.Replace(samplePush, "4777", "4778", 1), sampleBody, 403, "签名不匹配"},
		{"another EncodingAESKey", sampleCorp, sampleToken, otherKey, "POST", samplePush, sampleBody, 403, "EncodingAESKey 与通道的 callback_aes_key 不一致"},
		{"another corp's message", "ww-our-corp", sampleToken, testKey, "POST", samplePush, sampleBody, 403, "发给另一个企业（wx5823bf96d3bd56c7）"},
		{"another corp's URL check", "ww-our-corp", sampleToken, testKey, "GET", sampleVerify, "", 403, "企业ID不一致"},
		{"no signature", sampleCorp, sampleToken, testKey, "POST", "timestamp=1409659813&nonce=1", sampleBody, 400, "缺少 msg_signature"},
		{"not WeCom's XML", sampleCorp, sampleToken, testKey, "POST", samplePush, `{"msg":"hi"}`, 400, "不是企业微信的加密消息"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			_, err := hook(t, sampleConnector(t, tt.corp, tt.token, tt.key), tt.method, query(t, tt.q), tt.body, rec)
			wantRefusal(t, err, tt.status, tt.msg)
			if len(rec.asked()) != 0 {
				t.Fatal("a refused push reached the answerer")
			}
		})
	}
}

// Messages encrypted by the fake WeCom (written from the document) decrypt
// whatever their length against the 32-byte padding, Chinese included;
// events and pictures are acknowledged and not answered.
func TestCallback_RoundTrip_EveryLengthAndKind(t *testing.T) {
	fake := wecomfake.New(t)
	clk := newClock()
	c := connect(t, fake, clk.Now, nil)
	cb := callbackOf(fake)
	for n := 0; n <= 70; n++ {
		text := "查询 " + strings.Repeat("a", n) + " 张三"
		rec := &recorder{}
		q, body := cb.Push(wecomfake.TextMessage(fake.CorpID, "zhangsan", text, int64(1000+n), 1000002, clk.Now()), 1000002, clk.Now(), "n1")
		resp, err := hook(t, c, http.MethodPost, q, body, rec)
		if err != nil {
			t.Fatalf("length %d: %v", n, err)
		}
		got := rec.asked()
		if resp.Status != 200 || resp.Body != nil || len(got) != 1 || got[0].Text != text || got[0].Sender != "zhangsan" || !got[0].ReplyLater {
			t.Fatalf("length %d: answered %#v, asked %+v", n, resp, got)
		}
	}
	picture := strings.Replace(wecomfake.TextMessage(fake.CorpID, "zhangsan", "x", 7, 1000002, clk.Now()), "[text]", "[image]", 1)
	for name, msg := range map[string]string{
		"event":   wecomfake.EventMessage(fake.CorpID, "zhangsan", "enter_agent", 1000002, clk.Now()),
		"picture": picture,
		"blank":   wecomfake.TextMessage(fake.CorpID, "zhangsan", "   ", 8, 1000002, clk.Now()),
	} {
		rec := &recorder{}
		q, body := cb.Push(msg, 1000002, clk.Now(), "n2")
		resp, err := hook(t, c, http.MethodPost, q, body, rec)
		if err != nil || resp.Status != 200 || resp.Body != nil || len(rec.asked()) != 0 {
			t.Fatalf("%s: %#v %v, asked %+v; want an empty 200 and no question", name, resp, err, rec.asked())
		}
	}
}

func TestCallback_URLCheck_AnswersThePlaintext(t *testing.T) {
	fake := wecomfake.New(t)
	clk := newClock()
	c := connect(t, fake, clk.Now, nil)
	cb := callbackOf(fake)
	for _, echo := range []string{"1616140317555161061", "echo+with/plus=signs", "中文回显"} {
		q := cb.VerifyQuery(echo, clk.Now().Add(-time.Hour), "n") // a URL check is not held to maxAge
		resp, err := hook(t, c, http.MethodGet, q, "", &recorder{})
		if err != nil || resp.Body != echo {
			t.Fatalf("echo %q: %#v %v", echo, resp, err)
		}
		// A "+" that reached BotGate unescaped arrives as a space.
		q.Set("echostr", strings.ReplaceAll(q.Get("echostr"), "+", " "))
		if resp, err := hook(t, c, http.MethodGet, q, "", &recorder{}); err != nil || resp.Body != echo {
			t.Fatalf("echo %q with spaces for pluses: %#v %v", echo, resp, err)
		}
	}
	q := cb.VerifyQuery("x", clk.Now(), "n")
	q.Del("echostr")
	_, err := hook(t, c, http.MethodGet, q, "", &recorder{})
	wantRefusal(t, err, 400, "缺少 echostr")
}

// A push signed long ago (a replay) or in the future (a wrong clock) is refused.
func TestCallback_StalePush_Refused(t *testing.T) {
	fake := wecomfake.New(t)
	clk := newClock()
	c := connect(t, fake, clk.Now, nil)
	cb := callbackOf(fake)
	for _, at := range []time.Duration{-11 * time.Minute, 11 * time.Minute} {
		rec := &recorder{}
		q, body := cb.Push(wecomfake.TextMessage(fake.CorpID, "zhangsan", "账号", 1, 1000002, clk.Now()), 1000002, clk.Now().Add(at), "n")
		_, err := hook(t, c, http.MethodPost, q, body, rec)
		wantRefusal(t, err, 403, "相差 11 分钟")
		if len(rec.asked()) != 0 {
			t.Fatal("a stale push reached the answerer")
		}
	}
	q, body := cb.Push(wecomfake.TextMessage(fake.CorpID, "zhangsan", "账号", 1, 1000002, clk.Now()), 1000002, clk.Now().Add(-9*time.Minute), "n")
	if _, err := hook(t, c, http.MethodPost, q, body, &recorder{}); err != nil {
		t.Fatalf("a push 9 minutes old: %v", err)
	}
}

func TestCallback_ChannelWithoutCallbackKeys_SaysWhatToSet(t *testing.T) {
	fake := wecomfake.New(t)
	c := connect(t, fake, nil, map[string]string{"callback_token": "", "callback_aes_key": ""})
	q, body := callbackOf(fake).Push(wecomfake.TextMessage(fake.CorpID, "zhangsan", "账号", 1, 1000002, time.Now()), 1000002, time.Now(), "n")
	_, err := hook(t, c, http.MethodPost, q, body, &recorder{})
	wantRefusal(t, err, 403, "没有设置 callback_token 和 callback_aes_key")
}
