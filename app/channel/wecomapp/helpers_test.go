package wecomapp_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"botgate/app/channel"
	"botgate/app/channel/wecomapp"
	"botgate/app/channel/wecomapp/wecomfake"
)

// clock is a time both the connector and the fake can be told to read.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.Local)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testKey is the EncodingAESKey of WeCom's published sample.
const testKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"

// config is a channel configuration that reaches fake, with extra keys over it.
func config(fake *wecomfake.Server, extra map[string]string) map[string]string {
	vals := map[string]string{"url": fake.URL, "corp_id": fake.CorpID, "corp_secret": fake.Secret, "agent_id": "1000002",
		"callback_token": "QDG6eK", "callback_aes_key": testKey}
	for k, v := range extra {
		vals[k] = v
	}
	return vals
}

// connect builds a connector on fake, reading now (nil: the real clock).
func connect(t *testing.T, fake *wecomfake.Server, now func() time.Time, extra map[string]string) *wecomapp.Connector {
	t.Helper()
	if now == nil {
		now = time.Now
	}
	ch, err := wecomapp.New(channel.Config{Name: "wx", Type: "wecom_app", Values: config(fake, extra)}, channel.Deps{HTTP: fake.Client(), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return ch.(*wecomapp.Connector)
}

// callbackOf is the fake corp's side of the channel's callback settings.
func callbackOf(fake *wecomfake.Server) wecomfake.Callback {
	return wecomfake.Callback{Token: "QDG6eK", EncodingAESKey: testKey, CorpID: fake.CorpID}
}

// recorder is an answerer that remembers what it was asked.
type recorder struct {
	mu  sync.Mutex
	got []channel.Incoming
}

func (r *recorder) Answer(_ context.Context, in channel.Incoming) channel.Answer {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, in)
	return channel.Answer{}
}

func (r *recorder) asked() []channel.Incoming {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]channel.Incoming(nil), r.got...)
}

// hook hands the connector one request as apiserver would.
func hook(t *testing.T, c *wecomapp.Connector, method string, q url.Values, body string, a channel.Answerer) (channel.WebhookResponse, error) {
	t.Helper()
	return c.HandleWebhook(context.Background(), channel.WebhookRequest{Channel: "wx", Method: method, Query: q, Remote: "203.0.113.7", Body: []byte(body)}, a)
}

// wantRefusal checks a webhook refusal's status and message.
func wantRefusal(t *testing.T, err error, status int, msg string) {
	t.Helper()
	we, ok := err.(*channel.WebhookError)
	if !ok {
		t.Fatalf("err = %v (%T), want a *channel.WebhookError", err, err)
	}
	if we.Status != status || !strings.Contains(we.Msg, msg) {
		t.Fatalf("refused %d %q, want %d containing %q", we.Status, we.Msg, status, msg)
	}
}
