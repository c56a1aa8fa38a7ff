package apiserver_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"botgate/apiserver"
	"botgate/app"
	"botgate/app/auth"
	"botgate/app/channel"
	"botgate/model"
)

// The webhook route without any platform: a fake connector stands for one,
// so what is proven here is apiserver's part (lookup, body cap, request,
// encoding, request log), whatever connector answers.

// fakeHook answers every push with resp/err after asking the answerer about
// msg (when set), and records the request it got.
type fakeHook struct {
	msg  *channel.Incoming
	resp channel.WebhookResponse
	err  error
	got  []channel.WebhookRequest
}

func (h *fakeHook) HandleWebhook(ctx context.Context, req channel.WebhookRequest, a channel.Answerer) (channel.WebhookResponse, error) {
	h.got = append(h.got, req)
	if h.msg != nil {
		a.Answer(ctx, *h.msg)
	}
	return h.resp, h.err
}

type fakeHooks map[string]channel.Webhook

func (f fakeHooks) Webhook(name string) (channel.Webhook, error) {
	if h, ok := f[name]; ok {
		return h, nil
	}
	return nil, model.Errorf(model.CodeNoChannel, "通道“%s”不存在", name)
}

// fakeChat answers from a table by text.
type fakeChat map[string]channel.Answer

func (f fakeChat) Answer(_ context.Context, in channel.Incoming) channel.Answer { return f[in.Text] }

// fakeRequests hands each request log row to the test.
type fakeRequests chan model.RequestLog

func (f fakeRequests) LogRequest(l model.RequestLog) { f <- l }

// refuseAll stands for the services the webhook never calls.
type refuseAll struct{}

func (refuseAll) Authenticate(context.Context, auth.Credentials) (model.Caller, error) {
	return model.Caller{}, errors.New("not used")
}
func (refuseAll) Send(context.Context, model.Caller, app.SendRequest) (model.Enqueued, error) {
	return model.Enqueued{}, errors.New("not used")
}
func (refuseAll) RunKeyword(context.Context, model.Caller, string, model.Vars) (*model.KeywordResult, error) {
	return nil, errors.New("not used")
}
func (refuseAll) Message(context.Context, model.Caller, int64) (model.Message, error) {
	return model.Message{}, errors.New("not used")
}

func routeDeps(hooks apiserver.Webhooks, chat channel.Answerer, reqs fakeRequests) apiserver.Deps {
	return apiserver.Deps{Auth: refuseAll{}, Sender: refuseAll{}, Templates: refuseAll{}, Messages: refuseAll{},
		Webhooks: hooks, Chat: chat, Requests: reqs}
}

func nextLog(t *testing.T, reqs fakeRequests) model.RequestLog {
	t.Helper()
	select {
	case l := <-reqs:
		return l
	case <-time.After(5 * time.Second):
		t.Fatal("no request log row")
	}
	return model.RequestLog{}
}

func TestWebhookRoute_EncodesWhatTheConnectorAnswers(t *testing.T) {
	tests := []struct {
		name       string
		hook       *fakeHook
		status     int
		ctype      string
		body       string
		logCode    int
		logMsg     string
		logKeyword string
	}{
		{"a JSON body, encoded as the API encodes",
			&fakeHook{msg: &channel.Incoming{ID: "9", Text: "账号"}, resp: channel.WebhookResponse{Body: map[string]any{"reply": "行<&>", "n": 1}}},
			200, "application/json; charset=utf-8", `{"n":1,"reply":"行\u003c\u0026\u003e"}` + "\n", 0, "", "账号"},
		{"text sent as it is (a URL check's echo)", &fakeHook{resp: channel.WebhookResponse{Body: "echo-123"}},
			200, "text/plain; charset=utf-8", "echo-123", 0, "", ""},
		{"bytes sent as they are, with the connector's status", &fakeHook{resp: channel.WebhookResponse{Status: 202, Body: []byte("<xml/>")}},
			202, "text/plain; charset=utf-8", "<xml/>", 0, "", ""},
		{"nothing to say: 204 without a body", &fakeHook{resp: channel.WebhookResponse{}}, 204, "", "", 0, "", ""},
		{"a repeated message is noted in the request log",
			&fakeHook{msg: &channel.Incoming{ID: "42", Text: "重复"}}, 204, "", "", 0, "重复的消息（编号 42），已忽略", "账号"},
		{"a refusal: the connector's status, errcode and text",
			&fakeHook{err: &channel.WebhookError{Status: 403, Code: model.CodeUnauthorized, Msg: "签名不匹配"}},
			403, "application/json; charset=utf-8", `{"errcode":4010,"errmsg":"签名不匹配"}` + "\n", model.CodeUnauthorized, "签名不匹配", ""},
		{"a connector's unexpected error: 500, detail kept out of the reply",
			&fakeHook{err: errors.New("disk on fire")},
			500, "application/json; charset=utf-8", `{"errcode":5000,"errmsg":"服务内部错误，请查看 BotGate 日志或联系管理员"}` + "\n", model.CodeInternal, "服务内部错误，请查看 BotGate 日志或联系管理员", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reqs := make(fakeRequests, 4)
			chat := fakeChat{"账号": {Reply: "x", Keyword: "账号"}, "重复": {Keyword: "账号", Duplicate: true}}
			srv := httptest.NewServer(apiserver.New(routeDeps(fakeHooks{"bot": tt.hook}, chat, reqs), discardLog(), "test"))
			defer srv.Close()
			resp, err := http.Post(srv.URL+"/webhook/bot?secret=s&x=1", "application/json", strings.NewReader(`{"any":"thing"}`))
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != tt.ctype || string(b) != tt.body {
				t.Fatalf("got %d %q %q, want %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), b, tt.status, tt.ctype, tt.body)
			}
			l := nextLog(t, reqs)
			if l.Action != "webhook" || l.Errcode != tt.logCode || l.Errmsg != tt.logMsg || l.Keyword != tt.logKeyword || l.Path != "/webhook/bot?secret=***&x=1" {
				t.Fatalf("request log %+v", l)
			}
			// What the connector was handed: the request as read, nothing of net/http's server types.
			if len(tt.hook.got) != 1 {
				t.Fatalf("connector called %d times", len(tt.hook.got))
			}
			got := tt.hook.got[0]
			if got.Channel != "bot" || got.Method != "POST" || got.Remote != "127.0.0.1" || string(got.Body) != `{"any":"thing"}` ||
				!reflect.DeepEqual(got.Query["secret"], []string{"s"}) || got.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("connector got %+v", got)
			}
		})
	}
}

func TestWebhookRoute_RefusesBeforeTheConnector(t *testing.T) {
	hook := &fakeHook{}
	tests := []struct {
		name   string
		deps   apiserver.Deps
		path   string
		body   string
		status int
		want   string
	}{
		{"unknown channel: the lookup's text, 404", routeDeps(fakeHooks{"bot": hook}, fakeChat{}, make(fakeRequests, 1)),
			"/webhook/nosuch", "{}", 404, `{"errcode":4041,"errmsg":"通道“nosuch”不存在"}`},
		{"body over the limit: 413", routeDeps(fakeHooks{"bot": hook}, fakeChat{}, make(fakeRequests, 1)),
			"/webhook/bot", strings.Repeat("x", apiserver.MaxWebhookBody+1), 413, `{"errcode":4001,"errmsg":"上报内容太大，最多 256 KB"}`},
		{"no webhooks wired: chat pushes are off", routeDeps(nil, nil, make(fakeRequests, 1)),
			"/webhook/bot", "{}", 404, `{"errcode":4041,"errmsg":"此服务没有启用聊天消息上报"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(apiserver.New(tt.deps, discardLog(), "test"))
			defer srv.Close()
			resp, err := http.Post(srv.URL+tt.path, "application/json", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || string(b) != tt.want+"\n" {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, b, tt.status, tt.want)
			}
			if len(hook.got) != 0 {
				t.Fatal("the connector was reached")
			}
		})
	}
}

func TestNew_RefusesMissingDeps(t *testing.T) {
	d := routeDeps(nil, nil, make(fakeRequests, 1))
	d.Messages = nil
	defer func() {
		if p := recover(); p == nil || !strings.Contains(p.(string), "Deps.Messages") {
			t.Fatalf("panic %v, want one naming Deps.Messages", p)
		}
	}()
	apiserver.New(d, discardLog(), "test")
}

// verifyingHook is a fake connector whose platform checks its address with a
// GET (channel.URLVerifier): it answers with the query's echostr.
type verifyingHook struct{ fakeHook }

func (*verifyingHook) VerifiesURL() {}

// GET /webhook/{channel} reaches only a connector that verifies its address
// that way; for any other channel the path takes POST only, as before.
func TestWebhookRoute_GetReachesOnlyURLVerifiers(t *testing.T) {
	verifier := &verifyingHook{fakeHook{resp: channel.WebhookResponse{Body: "1616140317555161061"}}}
	plain := &fakeHook{resp: channel.WebhookResponse{Body: "never"}}
	hooks := fakeHooks{"app": verifier, "bot": plain}
	tests := []struct {
		method, path string
		status       int
		allow, body  string
	}{
		{"GET", "/webhook/app?echostr=abc%2B%3D&nonce=1", 200, "", "1616140317555161061"},
		{"GET", "/webhook/bot", 405, "POST", `{"errcode":4000,"errmsg":"地址 /webhook/bot 只接受 POST 请求（收到 GET）"}` + "\n"},
		{"HEAD", "/webhook/bot", 405, "POST", ""},
		{"GET", "/webhook/nosuch", 405, "POST", `{"errcode":4000,"errmsg":"通道“nosuch”不存在；地址 /webhook/nosuch 只接受 POST 请求（收到 GET）"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			srv := httptest.NewServer(apiserver.New(routeDeps(hooks, fakeChat{}, make(fakeRequests, 1)), discardLog(), "test"))
			defer srv.Close()
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || resp.Header.Get("Allow") != tt.allow || string(b) != tt.body {
				t.Fatalf("got %d Allow %q %q, want %d Allow %q %q", resp.StatusCode, resp.Header.Get("Allow"), b, tt.status, tt.allow, tt.body)
			}
		})
	}
	if len(plain.got) != 0 {
		t.Fatalf("a connector that verifies no URL was handed %d GETs", len(plain.got))
	}
	if len(verifier.got) != 1 || verifier.got[0].Method != "GET" || verifier.got[0].Query.Get("echostr") != "abc+=" {
		t.Fatalf("the verifier got %+v", verifier.got)
	}
}
