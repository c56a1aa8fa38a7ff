package wecomapp

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"botgate/app/channel"
)

// WeCom's access token (获取access_token): GET /cgi-bin/gettoken?corpid=&corpsecret=
// answers {"errcode":0,"access_token":"…","expires_in":7200}. The doc asks
// for it to be cached rather than fetched per call (a wrong secret fetched
// again and again gets the IP blocked for an hour, 45009's note), and warns
// that WeCom may end a token early: a call answered 40014, 42001 or 40001
// drops it and is made once more with a fresh one.

const (
	tokenPath   = "/cgi-bin/gettoken"
	defaultLife = 2 * time.Hour   // when a reply omits expires_in
	renewMargin = 5 * time.Minute // renew this long before the token expires
	// refusedFor is how long a gettoken refused for good (wrong secret,
	// corp id, untrusted IP) is not asked again: a backlog of sends would
	// otherwise try the wrong secret once each, and WeCom blocks an IP that
	// does so for an hour. A changed config builds a new connector anyway.
	refusedFor = time.Minute
)

// tokenRefused are the codes that blame the access token itself.
var tokenRefused = map[int]bool{40001: true, 40014: true, 42001: true}

// tokenCache holds the app's token. A fetch under way is shared: every
// caller that needs a token meanwhile waits for that one fetch (or for its
// own ctx), so concurrent sends cost one gettoken.
type tokenCache struct {
	mu      sync.Mutex
	token   string
	renewAt time.Time
	fetch   *tokenFetch
	refused error     // gettoken's last permanent refusal
	until   time.Time // when refused may be asked again
}

type tokenFetch struct {
	done  chan struct{}
	token string
	err   error
}

// status is the errcode and errmsg every WeCom reply carries.
type status struct {
	ErrCode *int   `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func (s *status) result() (int, string, bool) {
	if s.ErrCode == nil {
		return 0, "", false
	}
	return *s.ErrCode, s.ErrMsg, true
}

// reply is a decoded WeCom reply.
type reply interface {
	result() (code int, msg string, ok bool)
}

type tokenReply struct {
	status
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"` // seconds
}

// accessToken returns the cached token, or fetches one (once, however many
// callers ask meanwhile) when there is none or it is due for renewal.
func (c *Connector) accessToken(ctx context.Context) (string, error) {
	t := &c.tokens
	t.mu.Lock()
	if t.token != "" && c.now().Before(t.renewAt) {
		tok := t.token
		t.mu.Unlock()
		return tok, nil
	}
	if t.refused != nil && c.now().Before(t.until) {
		err := t.refused
		t.mu.Unlock()
		return "", err
	}
	if f := t.fetch; f != nil {
		t.mu.Unlock()
		select {
		case <-f.done:
			return f.token, f.err
		case <-ctx.Done():
			return "", channel.Transientf(ctx.Err(), "等待企业微信 access_token 超时，稍后重试")
		}
	}
	f := &tokenFetch{done: make(chan struct{})}
	t.fetch = f
	t.mu.Unlock()
	tok, life, err := c.fetchToken(ctx)
	t.mu.Lock()
	switch {
	case err == nil:
		t.token, t.renewAt, t.refused = tok, c.now().Add(life-min(renewMargin, life/10)), nil
	case channel.IsPermanent(err):
		t.refused, t.until = err, c.now().Add(refusedFor)
	}
	t.fetch = nil
	t.mu.Unlock()
	f.token, f.err = tok, err
	close(f.done)
	return tok, err
}

// resetToken forgets the token and any refusal: 测试连接 always asks WeCom.
func (c *Connector) resetToken() {
	c.tokens.mu.Lock()
	c.tokens.token, c.tokens.refused = "", nil
	c.tokens.mu.Unlock()
}

// dropToken forgets tok after WeCom refused it, unless a newer one replaced it.
func (c *Connector) dropToken(tok string) {
	c.tokens.mu.Lock()
	if c.tokens.token == tok {
		c.tokens.token = ""
	}
	c.tokens.mu.Unlock()
}

func (c *Connector) fetchToken(ctx context.Context) (string, time.Duration, error) {
	q := url.Values{"corpid": {c.corpID}, "corpsecret": {c.secret}}
	var r tokenReply
	if err := c.do(ctx, channel.Request{Method: http.MethodGet, URL: c.base + tokenPath + "?" + q.Encode()}, &r); err != nil {
		return "", 0, err
	}
	code, msg, ok := r.result()
	switch {
	case !ok:
		return "", 0, noCode()
	case code != 0:
		return "", 0, classifyToken(code, msg)
	case r.AccessToken == "":
		return "", 0, channel.Transientf(nil, "企业微信没有返回 access_token，稍后重试")
	}
	life := time.Duration(r.ExpiresIn) * time.Second
	if life <= 0 {
		life = defaultLife
	}
	return r.AccessToken, life, nil
}

// call makes one API call with the app's token (added to query) and decodes
// the reply into out; a non-zero errcode is classified (errors.go). When
// WeCom refuses the token, it is dropped and the call made once more.
func (c *Connector) call(ctx context.Context, path string, query url.Values, req channel.Request, out reply) error {
	for fresh := false; ; fresh = true {
		tok, err := c.accessToken(ctx)
		if err != nil {
			return err
		}
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("access_token", tok)
		req.URL = c.base + path + "?" + q.Encode()
		if err := c.do(ctx, req, out); err != nil {
			return err
		}
		code, msg, ok := out.result()
		switch {
		case !ok:
			return noCode()
		case !tokenRefused[code]:
			return classify(code, msg)
		}
		c.dropToken(tok)
		if fresh {
			return tokenStillRefused(code, msg)
		}
	}
}

// do sends r with the platform's name and keeps the URL's query (the
// secret, the token) out of the error, which ends up in logs and last_error.
func (c *Connector) do(ctx context.Context, r channel.Request, out any) error {
	if r.Method == "" {
		r.Method = http.MethodPost
	}
	r.Platform = "企业微信"
	err := channel.Do(ctx, c.client, r, out)
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL, _, _ = strings.Cut(ue.URL, "?")
	}
	return err
}

func noCode() error {
	return channel.Transientf(nil, "企业微信的响应缺少 errcode，请确认通道的 url 是企业微信 API 地址（默认 %s）", DefaultURL)
}
