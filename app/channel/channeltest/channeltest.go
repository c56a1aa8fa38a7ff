// Package channeltest is a fake chat platform for connector contract tests: an
// httptest server on 127.0.0.1 that records every request and answers with the
// replies a test scripts (the platform's documented success and failure bodies).
package channeltest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"botgate/app/channel"
)

// Call is one request the fake platform received.
type Call struct {
	Method   string
	Path     string
	RawQuery string
	Query    url.Values
	Header   http.Header
	Body     []byte
}

// Reply is what the fake platform answers.
type Reply struct {
	Status int           // 200 when 0
	Body   string        // sent with Content-Type: application/json
	Delay  time.Duration // wait before answering (or until the client gives up)
}

// JSON is a 200 reply with body.
func JSON(body string) Reply { return Reply{Body: body} }

// Always answers every call with r.
func Always(r Reply) func(Call) Reply { return func(Call) Reply { return r } }

// Server is the fake platform.
type Server struct {
	URL    string
	srv    *httptest.Server
	mu     sync.Mutex
	calls  []Call
	answer func(Call) Reply
}

// New starts a fake platform that answers each call with answer(call); it is
// closed when the test ends.
func New(t testing.TB, answer func(Call) Reply) *Server {
	t.Helper()
	s := &Server{answer: answer}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("fake platform must listen on 127.0.0.1, got %s", s.URL)
	}
	t.Cleanup(s.srv.Close)
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c := Call{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body}
	s.mu.Lock()
	s.calls = append(s.calls, c)
	answer := s.answer
	s.mu.Unlock()
	rep := answer(c)
	if rep.Delay > 0 {
		select {
		case <-time.After(rep.Delay):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	if rep.Status == 0 {
		rep.Status = http.StatusOK
	}
	w.WriteHeader(rep.Status)
	io.WriteString(w, rep.Body)
}

// Calls returns the requests received so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Only returns the single request received, failing the test otherwise.
func (s *Server) Only(t testing.TB) Call {
	t.Helper()
	calls := s.Calls()
	if len(calls) != 1 {
		t.Fatalf("fake platform got %d requests, want 1: %+v", len(calls), calls)
	}
	return calls[0]
}

// Deps are connector dependencies that reach this server.
func (s *Server) Deps() channel.Deps {
	return channel.Deps{HTTP: s.srv.Client(), Now: time.Now}
}

// Form decodes a form-encoded body.
func (c Call) Form(t testing.TB) url.Values {
	t.Helper()
	v, err := url.ParseQuery(string(c.Body))
	if err != nil {
		t.Fatalf("body is not form-encoded: %v: %q", err, c.Body)
	}
	return v
}

// Expect checks the method, path and Content-Type of a call.
func (c Call) Expect(t testing.TB, method, path, ctype string) {
	t.Helper()
	if c.Method != method || c.Path != path {
		t.Errorf("request = %s %s, want %s %s", c.Method, c.Path, method, path)
	}
	if got := c.Header.Get("Content-Type"); ctype != "" && !strings.HasPrefix(got, ctype) {
		t.Errorf("Content-Type = %q, want %q", got, ctype)
	}
}

// JSONEq fails the test unless got and want are the same JSON value (key order
// and spacing aside; numbers are compared exactly as written).
func JSONEq(t testing.TB, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := decode(got, &g); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, got)
	}
	if err := decode([]byte(want), &w); err != nil {
		t.Fatalf("bad expected JSON: %v: %s", err, want)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON body\n got: %s\nwant: %s", got, want)
	}
}

func decode(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

// WantError checks a connector error: nil when wantMsg is "", else a
// *channel.Error whose permanence matches and whose message contains wantMsg.
func WantError(t testing.TB, err error, permanent bool, wantMsg string) {
	t.Helper()
	if wantMsg == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want one containing %q", wantMsg)
	}
	if got := channel.IsPermanent(err); got != permanent {
		t.Errorf("permanent = %v, want %v (%v)", got, permanent, err)
	}
	if !strings.Contains(err.Error(), wantMsg) {
		t.Errorf("error %q does not contain %q", err, wantMsg)
	}
}

// CheckFields fails the test unless ty's Fields describe its Keys, in order:
// a Chinese label and help for each, the secret kind exactly for SecretKeys,
// Required exactly for Required, and for a choice a default among its values.
func CheckFields(t testing.TB, ty channel.Type) {
	t.Helper()
	var keys []string
	for _, f := range ty.Fields {
		keys = append(keys, f.Key)
		if f.Label == "" || f.Help == "" {
			t.Errorf("%s.%s: label %q, help %q: both are needed", ty.Name, f.Key, f.Label, f.Help)
		}
		if secret := slices.Contains(ty.SecretKeys, f.Key); secret != (f.Kind == channel.FieldSecret) {
			t.Errorf("%s.%s: kind %s, but secret key = %v", ty.Name, f.Key, f.Kind, secret)
		}
		if req := slices.Contains(ty.Required, f.Key); req != f.Required {
			t.Errorf("%s.%s: Required %v, but in Type.Required = %v", ty.Name, f.Key, f.Required, req)
		}
		if f.Kind == channel.FieldChoice {
			var values []string
			for _, c := range f.Choices {
				values = append(values, c.Value)
				if c.Label == "" {
					t.Errorf("%s.%s: choice %q has no label", ty.Name, f.Key, c.Value)
				}
			}
			if !slices.Contains(values, f.Default) {
				t.Errorf("%s.%s: default %q is not one of %v", ty.Name, f.Key, f.Default, values)
			}
		}
	}
	if !reflect.DeepEqual(keys, ty.Keys) {
		t.Errorf("%s: fields %v, keys %v: want one field per key, in order", ty.Name, keys, ty.Keys)
	}
}
