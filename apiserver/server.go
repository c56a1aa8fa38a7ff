// Package apiserver is BotGate's HTTP face: the QQAP-compatible endpoint at
// "/", the native /api/v1, the chat platforms' /webhook/{channel} and the
// connections they open (connect.go), and /healthz. Handlers are thin: decode, call app (or the channel's connector),
// encode. Every failure is an envelope with a Chinese message, never a panic.
package apiserver

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"botgate/app"
	"botgate/app/auth"
	"botgate/app/channel"
	"botgate/model"
)

// Authenticator checks credentials.
type Authenticator interface {
	Authenticate(ctx context.Context, c auth.Credentials) (model.Caller, error)
}

// Sender queues a message durably.
type Sender interface {
	Send(ctx context.Context, c model.Caller, r app.SendRequest) (model.Enqueued, error)
}

// TemplateRunner runs keyword templates.
type TemplateRunner interface {
	RunKeyword(ctx context.Context, c model.Caller, keyword string, vars model.Vars) (*model.KeywordResult, error)
}

// MessageReader reads a message's delivery status.
type MessageReader interface {
	Message(ctx context.Context, c model.Caller, id int64) (model.Message, error)
}

// RequestLogger records requests (already redacted).
type RequestLogger interface {
	LogRequest(l model.RequestLog)
}

// Deps are what the handlers use, each handler only its own: "/" takes Auth,
// Sender and Templates; /api/v1 those and Messages; /webhook takes Webhooks
// and Chat; /api/v1/schedules takes Schedules; the request log takes
// Requests. AppDeps wires them from *app.App.
type Deps struct {
	Auth      Authenticator
	Sender    Sender
	Templates TemplateRunner
	Messages  MessageReader
	Webhooks  Webhooks         // nil (or Chat nil): the server takes no chat pushes
	Chat      channel.Answerer // answers what webhooks receive
	Requests  RequestLogger
	Schedules ScheduleLister // nil: no /api/v1/schedules
	// Connections serves the connections platforms open to BotGate (connect.go);
	// nil: none are routed.
	Connections Connections
}

// AppDeps wires a into Deps. The webhooks' answerer is a chat of its own:
// its rate limits and late answers live as long as the handler.
func AppDeps(a *app.App) Deps {
	return Deps{Auth: a, Sender: a, Templates: a, Messages: a, Webhooks: a,
		Chat: a.Answerer(), Requests: a, Schedules: a, Connections: a}
}

// Server routes requests to the handlers and logs each one.
type Server struct {
	requests RequestLogger
	log      *slog.Logger
	now      func() time.Time
	version  string
	mux      *http.ServeMux // to tell a wrong method from an unknown path
}

// New returns the API handler. Every Deps field but Webhooks and Chat is
// required: a missing one is a wiring mistake, refused at once.
func New(d Deps, log *slog.Logger, version string) http.Handler {
	for name, dep := range map[string]any{"Auth": d.Auth, "Sender": d.Sender, "Templates": d.Templates, "Messages": d.Messages, "Requests": d.Requests} {
		if dep == nil {
			panic("apiserver.New: Deps." + name + " is nil")
		}
	}
	mux := http.NewServeMux()
	s := &Server{requests: d.Requests, log: log, now: time.Now, version: version, mux: mux}
	q := &qqap{auth: d.Auth, send: d.Sender, run: d.Templates}
	n := &native{auth: d.Auth, send: d.Sender, run: d.Templates, messages: d.Messages}
	mux.Handle("GET /healthz", apiReply(log, s.healthz))
	mux.Handle("POST /api/v1/messages", apiReply(log, n.postMessage))
	mux.Handle("GET /api/v1/messages/{id}", apiReply(log, n.getMessage))
	mux.Handle("POST /api/v1/templates/{keyword}/run", apiReply(log, n.runTemplate))
	if d.Schedules != nil {
		mux.Handle("GET /api/v1/schedules", apiReply(log, (&schedules{n: n, list: d.Schedules}).get))
	}
	hook := webhookReply(log, newWebhook(d.Webhooks, d.Chat, log))
	mux.Handle("POST /webhook/{channel}", hook)
	mux.Handle("GET /webhook/{channel}", hook) // URL verification, for the connectors that do it
	mountConnections(mux, d.Connections, log)
	mux.Handle("GET /{$}", qqapReply(log, q.serve))
	mux.Handle("POST /{$}", qqapReply(log, q.serve))
	mux.Handle("/", s.unrouted())
	return s.logged(mux)
}

// entry is filled by handlers so the log middleware can record the outcome.
type entry struct {
	user, action, keyword string
	code                  int
	msg                   string
}

type entryKey struct{}

func entryOf(r *http.Request) *entry {
	if e, ok := r.Context().Value(entryKey{}).(*entry); ok {
		return e
	}
	return &entry{}
}

// logged records every request (with secrets redacted) and turns a panic into
// an error reply instead of a dropped connection.
func (s *Server) logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.now()
		e := &entry{}
		r = r.WithContext(context.WithValue(r.Context(), entryKey{}, e))
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("panic in handler", "panic", p, "path", r.URL.Path, "stack", string(debug.Stack()))
				e.code, e.msg = model.CodeInternal, "服务内部错误"
				writeEnvelope(w, http.StatusOK, model.CodeInternal, "服务内部错误，请查看 BotGate 日志", nil)
			}
			if r.URL.Path == "/healthz" {
				return
			}
			// Path, user and keyword come from the client (a Latin-1 Basic-auth
			// name, "/%FF"): the log stores text, so invalid UTF-8 is replaced.
			s.requests.LogRequest(model.RequestLog{At: start, Remote: remoteHost(r), Method: validText(r.Method), Path: validText(RedactURL(r.URL)),
				APIUser: validText(e.user), Action: e.action, Keyword: validText(e.keyword), Errcode: e.code, Errmsg: validText(e.msg),
				DurationUS: s.now().Sub(start).Microseconds()})
		}()
		next.ServeHTTP(w, r)
	})
}

// secretParams never reach a log.
var secretParams = map[string]bool{"access_token": true, "token": true, "password": true, "pwd": true, "secret": true, "key": true, "sign": true}

// RedactURL is the path and query with secret values replaced by *** and
// image data (base64://…, up to megabytes) by its length. It runs for every
// request (the request log), so it builds the result in one buffer: the
// split, join and lowercasing it did before were 5 of a send's 120
// allocations.
func RedactURL(u *url.URL) string {
	if u.RawQuery == "" {
		return u.Path
	}
	var b strings.Builder
	b.Grow(len(u.Path) + 1 + len(u.RawQuery))
	b.WriteString(u.Path)
	b.WriteByte('?')
	for i, rest := 0, u.RawQuery; ; i++ {
		p, more, found := strings.Cut(rest, "&")
		if i > 0 {
			b.WriteByte('&')
		}
		k, v, _ := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		switch {
		case err != nil:
			b.WriteString("***")
		case isSecretParam(name):
			b.WriteString(k)
			b.WriteString("=***")
		case strings.EqualFold(name, "image") && len(v) > 6 && strings.EqualFold(v[:6], "base64"):
			// "base64://" or its percent-encoded "base64%3A%2F%2F".
			b.WriteString(k)
			b.WriteString("=base64://…(")
			b.WriteString(strconv.Itoa(len(v)))
			b.WriteString(" 字节已省略)")
		default:
			b.WriteString(p)
		}
		if !found {
			return b.String()
		}
		rest = more
	}
}

// isSecretParam tells whether name is one of secretParams in any case,
// without allocating its lowercase form.
func isSecretParam(name string) bool {
	var buf [16]byte
	if len(name) > len(buf) {
		return secretParams[strings.ToLower(name)]
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 0x80 {
			// Unicode case mapping (the Kelvin sign lowers to k): as the
			// handler's own lookup does.
			return secretParams[strings.ToLower(name)]
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return secretParams[string(buf[:len(name)])]
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "version": s.version})
	return nil
}

// validText replaces invalid UTF-8 with U+FFFD.
func validText(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// routeMethods are the methods BotGate's routes use.
var routeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// allowedMethods lists the methods some route takes for r's path (nil: the
// path is unknown). The mux answers, so the list cannot drift from New.
func (s *Server) allowedMethods(r *http.Request) []string {
	var allow []string
	for _, m := range routeMethods {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := s.mux.Handler(probe); strings.HasPrefix(pattern, m+" ") {
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead) // a GET route serves HEAD too
			}
		}
	}
	return allow
}

// unrouted answers what no route takes in the envelope its caller reads:
// QQAP's for "/" and unknown paths outside /api/, JSON for the others.
func (s *Server) unrouted() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		allow := s.allowedMethods(r)
		h := noRoute(allow)
		if (allow != nil && r.URL.Path != "/") || (allow == nil && strings.HasPrefix(r.URL.Path, "/api/")) {
			apiReply(s.log, h).ServeHTTP(w, r)
			return
		}
		qqapReply(s.log, h).ServeHTTP(w, r)
	})
}

// noRoute refuses a wrong method (allow lists the right ones) or an unknown path.
func noRoute(allow []string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if allow != nil {
			if r.URL.Path == "/" {
				return &replyError{err: model.Errorf(model.CodeBadRequest, "QQAP 接口只接受 GET 和 POST 请求（收到 %s）", validText(r.Method)), log: "请求方法不对"}
			}
			w.Header().Set("Allow", strings.Join(allow, ", "))
			return &replyError{err: model.Errorf(model.CodeBadRequest, "地址 %s 只接受 %s 请求（收到 %s）", r.URL.Path, strings.Join(allow, "、"), validText(r.Method)),
				status: http.StatusMethodNotAllowed, log: "请求方法不对"}
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			return &replyError{err: model.Errorf(model.CodeBadRequest, "未知的接口地址 %s", r.URL.Path), status: http.StatusNotFound, log: "未知的地址"}
		}
		return &replyError{err: model.Errorf(model.CodeBadRequest, "未知的地址 %s，QQAP 接口地址是 /", r.URL.Path), log: "未知的地址"}
	}
}
