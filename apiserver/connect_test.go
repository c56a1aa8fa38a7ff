package apiserver_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"botgate/apiserver"
	"botgate/app/channel"
	"botgate/model"
)

// The connection routes without any platform: a fake type declares a path
// prefix, a fake connector stands for its channel. What is proven is
// apiserver's part: the routes from the declarations, the lookup, the sub
// path, a refusal encoded as a webhook's, the request log.

type fakeAcceptor struct {
	err  error
	subs []string
}

func (f *fakeAcceptor) Accept(w http.ResponseWriter, r *http.Request, sub string) error {
	f.subs = append(f.subs, sub)
	if f.err != nil {
		return f.err
	}
	io.WriteString(w, "served")
	return nil
}

type fakeConnections map[string]channel.Acceptor

func (f fakeConnections) AcceptPaths() []string { return []string{"/plat/v1/ws/", "/other/"} }

func (f fakeConnections) Acceptor(prefix, name string) (channel.Acceptor, error) {
	if a, ok := f[prefix+name]; ok {
		return a, nil
	}
	return nil, model.Errorf(model.CodeNoChannel, "通道“%s”不在 %s 接受连接", name, prefix)
}

func TestConnectRoute_RoutesDeclaredPrefixesToTheConnector(t *testing.T) {
	bot := &fakeAcceptor{}
	refusing := &fakeAcceptor{err: &channel.WebhookError{Status: 403, Code: model.CodeUnauthorized, Msg: "令牌不对"}}
	reqs := make(fakeRequests, 16)
	d := routeDeps(nil, nil, reqs)
	d.Connections = fakeConnections{"/plat/v1/ws/bot": bot, "/other/bot": refusing}
	srv := httptest.NewServer(apiserver.New(d, discardLog(), "test"))
	defer srv.Close()
	tests := []struct {
		method, path string
		status       int
		body         string
		logCode      int
		logPath      string
	}{
		{"GET", "/plat/v1/ws/bot?access_token=s3cret", 200, "served", 0, "/plat/v1/ws/bot?access_token=***"},
		{"GET", "/plat/v1/ws/bot/api", 200, "served", 0, "/plat/v1/ws/bot/api"},
		{"GET", "/plat/v1/ws/nosuch", 404, `{"errcode":4041,"errmsg":"通道“nosuch”不在 /plat/v1/ws/ 接受连接"}` + "\n", model.CodeNoChannel, "/plat/v1/ws/nosuch"},
		{"GET", "/other/bot", 403, `{"errcode":4010,"errmsg":"令牌不对"}` + "\n", model.CodeUnauthorized, "/other/bot"},
		{"POST", "/plat/v1/ws/bot", 405, "", model.CodeBadRequest, "/plat/v1/ws/bot"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || (tt.body != "" && string(b) != tt.body) {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, b, tt.status, tt.body)
			}
			l := nextLog(t, reqs)
			if l.Errcode != tt.logCode || l.Path != tt.logPath || (tt.method == "GET" && l.Action != "connect") {
				t.Fatalf("request log %+v", l)
			}
		})
	}
	if strings.Join(bot.subs, ",") != ",api" || len(refusing.subs) != 1 {
		t.Fatalf("the connectors got subs %q and %q", bot.subs, refusing.subs)
	}
}
