package channel

import (
	"context"
	"errors"
	"sync"
	"time"
)

// TokenCache holds one platform access token (the apps' access_token or
// tenant_access_token): fetched when first needed, kept until shortly before
// it expires, fetched once however many sends need it at the same moment,
// and dropped when the platform answers that it is no longer valid.
type TokenCache struct {
	fetch func(ctx context.Context) (token string, life time.Duration, err error)
	now   func() time.Time

	// sem lets one fetch run at a time; the others wait for it (or for
	// their own ctx) and then take its token.
	sem chan struct{}

	mu    sync.Mutex
	token string
	until time.Time
}

// TokenMargin is how long before its stated expiry a token is replaced, at
// most: a send that takes the token just before the margin still finishes
// while the platform accepts it.
const TokenMargin = 5 * time.Minute

// NewTokenCache returns a cache over fetch, which returns a new token and
// how long the platform says it lives. now nil is time.Now.
func NewTokenCache(fetch func(ctx context.Context) (string, time.Duration, error), now func() time.Time) *TokenCache {
	if now == nil {
		now = time.Now
	}
	return &TokenCache{fetch: fetch, now: now, sem: make(chan struct{}, 1)}
}

// Get returns the cached token, fetching a new one when there is none or it
// is about to expire.
func (c *TokenCache) Get(ctx context.Context) (string, error) {
	if tok := c.valid(); tok != "" {
		return tok, nil
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return "", Transientf(ctx.Err(), "等待访问令牌超时，稍后重试")
	}
	defer func() { <-c.sem }()
	if tok := c.valid(); tok != "" {
		return tok, nil // fetched by the sender we waited for
	}
	tok, life, err := c.fetch(ctx)
	if err != nil {
		return "", err
	}
	margin := min(TokenMargin, life/5)
	c.mu.Lock()
	c.token, c.until = tok, c.now().Add(life-margin)
	c.mu.Unlock()
	return tok, nil
}

func (c *TokenCache) valid() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.now().Before(c.until) {
		return c.token
	}
	return ""
}

// Drop forgets tok after the platform refused it, unless another send has
// already replaced it.
func (c *TokenCache) Drop(tok string) {
	c.mu.Lock()
	if c.token == tok {
		c.token = ""
	}
	c.mu.Unlock()
}

// Reset forgets the token whatever it is (测试连接 proves the credentials
// with a fresh fetch).
func (c *TokenCache) Reset() {
	c.mu.Lock()
	c.token = ""
	c.mu.Unlock()
}

// StaleToken is what a call returns when the platform refused the token it
// carried as expired or invalid (WeCom 42001, Feishu 99991663, DingTalk
// InvalidAuthentication); Err is the failure to report if a fresh token is
// refused too.
type StaleToken struct{ Err error }

func (e *StaleToken) Error() string { return "access token refused: " + e.Err.Error() }
func (e *StaleToken) Unwrap() error { return e.Err }

// Call runs call with the cached token. When call returns a *StaleToken the
// token is dropped and call runs once more with a fresh one; a second refusal
// returns its Err.
func (c *TokenCache) Call(ctx context.Context, call func(token string) error) error {
	for attempt := 0; ; attempt++ {
		tok, err := c.Get(ctx)
		if err != nil {
			return err
		}
		err = call(tok)
		var st *StaleToken
		if !errors.As(err, &st) {
			return err
		}
		c.Drop(tok)
		if attempt == 1 {
			return st.Err
		}
	}
}
