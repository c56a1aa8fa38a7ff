package auth

import (
	"sync"
	"time"
)

// Throttle counts failed logins per key (a client address, a user name) and
// locks a key out for a while once it fails too often.
type Throttle struct {
	mu      sync.Mutex
	limit   int
	window  time.Duration
	lockout time.Duration
	now     func() time.Time
	keys    map[string]*attempts
}

type attempts struct {
	fails   int
	first   time.Time
	until   time.Time
	lockout time.Duration
}

// NewThrottle allows limit failures per window; past that the key is locked for
// lockout, doubling on each further lock up to 16 times lockout.
func NewThrottle(limit int, window, lockout time.Duration, now func() time.Time) *Throttle {
	return &Throttle{limit: limit, window: window, lockout: lockout, now: now, keys: map[string]*attempts{}}
}

// Blocked reports whether key is locked out and for how long still.
func (t *Throttle) Blocked(key string) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	a := t.keys[key]
	if a == nil {
		return false, 0
	}
	if d := a.until.Sub(t.now()); d > 0 {
		return true, d
	}
	return false, 0
}

// Fail records one failure for key.
func (t *Throttle) Fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	a := t.keys[key]
	if a == nil {
		if len(t.keys) > 100000 {
			t.pruneLocked(now) // bound memory against address spraying
		}
		a = &attempts{lockout: t.lockout}
		t.keys[key] = a
	}
	if now.Sub(a.first) > t.window && now.After(a.until) {
		a.fails, a.first = 0, now
	}
	a.fails++
	if a.fails >= t.limit {
		a.until = now.Add(a.lockout)
		a.fails, a.first = 0, now
		if a.lockout < 16*t.lockout {
			a.lockout *= 2
		}
	}
}

// Succeed forgets key's failures.
func (t *Throttle) Succeed(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if a := t.keys[key]; a != nil && !a.until.After(t.now()) {
		delete(t.keys, key)
	}
}

func (t *Throttle) pruneLocked(now time.Time) {
	for k, a := range t.keys {
		if now.Sub(a.first) > t.window && now.After(a.until) {
			delete(t.keys, k)
		}
	}
}
