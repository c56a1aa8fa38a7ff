package auth

import (
	"bytes"
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func usersPolicy(t *testing.T, calls *atomic.Int32) Policy {
	t.Helper()
	hash, err := Hash("s3cret-pass")
	if err != nil {
		t.Fatal(err)
	}
	return Policy{Mode: ModeUsers, UserHash: func(name string) string {
		calls.Add(1)
		if name == "erp" {
			return hash
		}
		return ""
	}}
}

func TestVerify_CachesAVerifiedPairSoTheSlowHashRunsOnce(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	a := New(c.now)
	var calls atomic.Int32
	p := usersPolicy(t, &calls)
	cr := Credentials{User: "erp", Password: "s3cret-pass", Remote: "127.0.0.1"}
	for i := 0; i < 100; i++ {
		if err := a.Verify(context.Background(), p, cr); err != nil {
			t.Fatal(err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("slow check ran %d times, want 1", n)
	}
	// A wrong password is never served from the cache.
	if err := a.Verify(context.Background(), p, Credentials{User: "erp", Password: "s3cret-pasS", Remote: "127.0.0.1"}); !errors.Is(err, ErrBad) {
		t.Fatalf("wrong password: %v", err)
	}
	// Invalidate (a user or password changed) forgets the pair.
	a.Invalidate()
	_ = a.Verify(context.Background(), p, cr)
	if n := calls.Load(); n != 3 {
		t.Fatalf("after Invalidate slow check ran %d times in all, want 3", n)
	}
	// Entries expire.
	c.t = c.t.Add(11 * time.Minute)
	_ = a.Verify(context.Background(), p, cr)
	if n := calls.Load(); n != 4 {
		t.Fatalf("after expiry slow check ran %d times in all, want 4", n)
	}
}

func TestVerify_LocksOutAUserAfterRepeatedFailures(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	a := New(c.now)
	var calls atomic.Int32
	p := usersPolicy(t, &calls)
	bad := Credentials{User: "erp", Password: "guess", Remote: "10.0.0.9"}
	for i := 0; i < 10; i++ {
		if err := a.Verify(context.Background(), p, bad); !errors.Is(err, ErrBad) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	good := Credentials{User: "erp", Password: "s3cret-pass", Remote: "127.0.0.1"}
	var te *ThrottledError
	if err := a.Verify(context.Background(), p, good); !errors.As(err, &te) || te.RetryAfter <= 0 {
		t.Fatalf("locked user: %v", err)
	}
	c.t = c.t.Add(61 * time.Second)
	if err := a.Verify(context.Background(), p, good); err != nil {
		t.Fatalf("after lockout: %v", err)
	}
}

func TestVerify_LocksOutAnAddressSprayingUsers(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	a := New(c.now)
	p := Policy{Mode: ModeToken, Token: "0123456789abcdef"}
	for i := 0; i < 20; i++ {
		_ = a.Verify(context.Background(), p, Credentials{Password: "nope", Remote: "192.0.2.1"})
	}
	var te *ThrottledError
	if err := a.Verify(context.Background(), p, Credentials{Password: "0123456789abcdef", Remote: "192.0.2.1"}); !errors.As(err, &te) {
		t.Fatalf("sprayer not locked out: %v", err)
	}
	if err := a.Verify(context.Background(), p, Credentials{Password: "0123456789abcdef", Remote: "127.0.0.1"}); err != nil {
		t.Fatalf("other address: %v", err)
	}
}

func TestVerify_Modes(t *testing.T) {
	a := New(time.Now)
	tests := []struct {
		name string
		p    Policy
		c    Credentials
		want error
	}{
		{"none needs nothing", Policy{Mode: ModeNone}, Credentials{}, nil},
		{"token right", Policy{Mode: ModeToken, Token: "tok-1234567890123"}, Credentials{Password: "tok-1234567890123"}, nil},
		{"token wrong", Policy{Mode: ModeToken, Token: "tok-1234567890123"}, Credentials{Password: "tok-x"}, ErrBad},
		{"token unset refuses", Policy{Mode: ModeToken}, Credentials{Password: "x"}, ErrBad},
		{"users missing user", Policy{Mode: ModeUsers, UserHash: func(string) string { return "" }}, Credentials{Password: "x"}, ErrMissing},
		{"users unknown user", Policy{Mode: ModeUsers, UserHash: func(string) string { return "" }}, Credentials{User: "x", Password: "x"}, ErrBad},
		{"sql ok", Policy{Mode: ModeSQL, SQLCheck: func(_ context.Context, u, p string) (bool, error) { return u == "a" && p == "b", nil }}, Credentials{User: "a", Password: "b"}, nil},
		{"sql no row", Policy{Mode: ModeSQL, SQLCheck: func(context.Context, string, string) (bool, error) { return false, nil }}, Credentials{User: "a", Password: "c"}, ErrBad},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := a.Verify(context.Background(), tc.p, tc.c); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// BenchmarkVerifyCached is the hot path of every ERP call.
func BenchmarkVerifyCached(b *testing.B) {
	a := New(time.Now)
	hash, _ := Hash("s3cret-pass")
	p := Policy{Mode: ModeUsers, UserHash: func(string) string { return hash }}
	cr := Credentials{User: "erp", Password: "s3cret-pass", Remote: "127.0.0.1"}
	_ = a.Verify(context.Background(), p, cr)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := a.Verify(context.Background(), p, cr); err != nil {
			b.Fatal(err)
		}
	}
}

// Connections that open at once with the same credentials share one bcrypt
// check instead of running one each; a wrong password is still refused to
// every one of them.
func TestVerify_ConcurrentFirstRequestsShareOneCheck(t *testing.T) {
	for _, tc := range []struct {
		name, password string
		want           error
	}{
		{"good", "s3cret-pass", nil},
		{"bad", "wrong-pass", ErrBad},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := New(time.Now)
			var calls atomic.Int32
			p := usersPolicy(t, &calls)
			cr := Credentials{User: "erp", Password: tc.password, Remote: "127.0.0.1"}
			const n = 32
			start := make(chan struct{})
			errs := make(chan error, n)
			for range n {
				go func() {
					<-start
					errs <- a.Verify(context.Background(), p, cr)
				}()
			}
			close(start)
			for range n {
				if err := <-errs; !errors.Is(err, tc.want) {
					t.Fatalf("Verify: %v, want %v", err, tc.want)
				}
			}
			// Goroutines that arrive after the shared check has ended run
			// their own (or hit the cache); far fewer than one each.
			if c := calls.Load(); c > n/4 {
				t.Errorf("%d bcrypt checks for %d concurrent requests; want them shared", c, n)
			}
		})
	}
}

// The cache key depends on mode, user and password, the same every time for
// the same three (the pooled HMAC starts afresh), and what cacheKey puts
// back in the pool holds no byte of the password.
func TestCacheKey_StableDistinctAndLeavesNoPassword(t *testing.T) {
	a := New(time.Now)
	const pw = "SuperSecretPw-123"
	k := a.cacheKey(ModeToken, "demo", pw)
	for i := range 3 {
		if got := a.cacheKey(ModeToken, "demo", pw); got != k {
			t.Fatalf("call %d: key changed", i)
		}
	}
	for _, other := range [][3]string{{ModeUsers, "demo", pw}, {ModeToken, "demo2", pw}, {ModeToken, "demo", pw + "x"}, {ModeToken, "demo\x00" + pw, ""}} {
		if a.cacheKey(other[0], other[1], other[2]) == k {
			t.Errorf("%q has the same key", other)
		}
	}
	// A long user name puts the password past the 32 bytes the MAC overwrites.
	a.cacheKey(ModeUsers, "a-user-name-longer-than-a-sha256-sum", pw)
	m := a.macs.Get().(*keyMAC)
	if bytes.Contains(m.buf[:cap(m.buf)], []byte("SuperSecret")) {
		t.Fatal("the pooled buffer still holds the password")
	}
}
