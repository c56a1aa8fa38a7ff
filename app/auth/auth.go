// Package auth checks API credentials for the four authorization modes. The ERP
// sends its password on every call, so a verified pair is remembered (under a
// keyed hash, never in clear) and the slow password hash is paid once.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/sync/singleflight"
)

// Modes.
const (
	ModeUsers = "users"
	ModeSQL   = "sql"
	ModeToken = "token"
	ModeNone  = "none"
)

// Cost is the bcrypt cost for stored passwords.
const Cost = 10

// Errors Verify returns; the caller turns them into errcodes.
var (
	ErrMissing = errors.New("credentials missing")
	ErrBad     = errors.New("credentials wrong")
)

// ThrottledError says the client or user is locked out for RetryAfter.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string { return fmt.Sprintf("locked out for %s", e.RetryAfter) }

// Hash hashes a password for storage.
func Hash(password string) (string, error) {
	if len(password) > 72 {
		return "", errors.New("密码不能超过 72 个字节")
	}
	b, err := bcrypt.GenerateFromPassword([]byte(password), Cost)
	return string(b), err
}

// Policy is what Verify needs to know about the current configuration.
type Policy struct {
	Mode  string
	Token string
	// UserHash returns the stored hash of an enabled user ("" if no such user).
	UserHash func(name string) string
	// SQLCheck runs the admin's auth query (sql mode).
	SQLCheck func(ctx context.Context, user, password string) (bool, error)
}

// Credentials are what a client presented.
type Credentials struct {
	User     string
	Password string // Access_token, Basic password or Bearer token
	Remote   string // client address, for throttling
}

// Authenticator verifies credentials with a cache and a throttle.
type Authenticator struct {
	ttl      time.Duration
	now      func() time.Time
	byAddr   *Throttle
	byUser   *Throttle
	slow     chan struct{} // bounds concurrent bcrypt work
	dummy    []byte
	mu       sync.Mutex
	verified map[[32]byte]time.Time
	// macs are HMACs under a random key made by New, with the buffer
	// cacheKey writes into, reused: hmac.New on every request was 2% of the
	// server's CPU at 32 connections, and writing each string through the
	// hash.Hash interface allocated it again (6 allocations a request).
	macs sync.Pool
	// flight makes concurrent first requests with the same credentials share
	// one check: 32 connections opening at once each ran bcrypt before, 2 s
	// of CPU (12% of a 14 s load) before the cache had the pair.
	flight singleflight.Group
}

// New builds an Authenticator. now is injectable for tests of lockouts and expiry.
func New(now func() time.Time) *Authenticator {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	dummy, _ := bcrypt.GenerateFromPassword([]byte("botgate-timing-equaliser"), Cost)
	a := &Authenticator{
		ttl:      10 * time.Minute,
		now:      now,
		byAddr:   NewThrottle(20, 5*time.Minute, time.Minute, now),
		byUser:   NewThrottle(10, 5*time.Minute, time.Minute, now),
		slow:     make(chan struct{}, 2),
		dummy:    dummy,
		verified: map[[32]byte]time.Time{},
	}
	a.macs.New = func() any { return &keyMAC{mac: hmac.New(sha256.New, key), buf: make([]byte, 0, 128)} }
	return a
}

// Invalidate forgets every verified pair; called whenever users, passwords or
// the auth settings change.
func (a *Authenticator) Invalidate() {
	a.mu.Lock()
	a.verified = map[[32]byte]time.Time{}
	a.mu.Unlock()
}

// keyMAC is one of Authenticator.macs: an HMAC and the bytes it hashes.
type keyMAC struct {
	mac hash.Hash
	buf []byte
}

func (a *Authenticator) cacheKey(mode, user, password string) [32]byte {
	m := a.macs.Get().(*keyMAC)
	m.buf = append(append(append(append(append(m.buf[:0], mode...), 0), user...), 0), password...)
	m.mac.Reset()
	m.mac.Write(m.buf)
	clear(m.buf)
	m.buf = m.mac.Sum(m.buf[:0])
	k := [32]byte(m.buf)
	// What goes back to the pool holds no password bytes: the buffer is
	// cleared, and Reset zeroes the hash's copy of the last input block.
	m.mac.Reset()
	clear(m.buf)
	a.macs.Put(m)
	return k
}

// Verify checks c under p. It returns nil when the credentials are good.
func (a *Authenticator) Verify(ctx context.Context, p Policy, c Credentials) error {
	if p.Mode == ModeNone {
		return nil
	}
	if c.Password == "" || (p.Mode != ModeToken && c.User == "") {
		return ErrMissing
	}
	if locked, d := a.byAddr.Blocked(c.Remote); locked {
		return &ThrottledError{RetryAfter: d}
	}
	if locked, d := a.byUser.Blocked(c.User); locked && p.Mode != ModeToken {
		return &ThrottledError{RetryAfter: d}
	}
	k := a.cacheKey(p.Mode, c.User, c.Password)
	now := a.now()
	a.mu.Lock()
	exp, ok := a.verified[k]
	a.mu.Unlock()
	if ok && now.Before(exp) {
		return nil
	}
	v, err, _ := a.flight.Do(string(k[:]), func() (any, error) {
		// Shared by every caller waiting for it: one caller going away
		// must not fail the others.
		return a.check(context.WithoutCancel(ctx), p, c)
	})
	if err != nil {
		return err
	}
	good := v.(bool)
	if !good {
		a.byAddr.Fail(c.Remote)
		if p.Mode != ModeToken {
			a.byUser.Fail(c.User)
		}
		return ErrBad
	}
	a.byAddr.Succeed(c.Remote)
	a.byUser.Succeed(c.User)
	a.mu.Lock()
	if len(a.verified) > 10000 {
		a.verified = map[[32]byte]time.Time{}
	}
	a.verified[k] = now.Add(a.ttl)
	a.mu.Unlock()
	return nil
}

func (a *Authenticator) check(ctx context.Context, p Policy, c Credentials) (bool, error) {
	switch p.Mode {
	case ModeToken:
		if p.Token == "" {
			return false, nil
		}
		x, y := sha256.Sum256([]byte(c.Password)), sha256.Sum256([]byte(p.Token))
		return subtle.ConstantTimeCompare(x[:], y[:]) == 1, nil
	case ModeSQL:
		if p.SQLCheck == nil {
			return false, errors.New("sql auth not configured")
		}
		return p.SQLCheck(ctx, c.User, c.Password)
	default:
		select {
		case a.slow <- struct{}{}:
			defer func() { <-a.slow }()
		case <-ctx.Done():
			return false, ctx.Err()
		}
		hash := p.UserHash(c.User)
		if hash == "" {
			// Same work for a missing user as for a wrong password: no user enumeration by timing.
			_ = bcrypt.CompareHashAndPassword(a.dummy, []byte(c.Password))
			return false, nil
		}
		return bcrypt.CompareHashAndPassword([]byte(hash), []byte(c.Password)) == nil, nil
	}
}
