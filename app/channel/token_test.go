package channel_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"botgate/app/channel"
)

// clock is a settable now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestTokenCache_KeptUntilShortlyBeforeExpiry(t *testing.T) {
	clk := &clock{t: time.Unix(1700000000, 0)}
	var n atomic.Int32
	c := channel.NewTokenCache(func(context.Context) (string, time.Duration, error) {
		return fmt.Sprint("tok", n.Add(1)), 2 * time.Hour, nil
	}, clk.now)
	for _, step := range []struct {
		advance time.Duration
		want    string
	}{
		{0, "tok1"},
		{time.Hour, "tok1"},
		{54 * time.Minute, "tok1"},  // 1 h 54 min: still 6 min to go
		{2 * time.Minute, "tok2"},   // 1 h 56 min: within the 5 min margin
		{110 * time.Minute, "tok2"}, // tok2 is 1 h 50 min old
	} {
		clk.add(step.advance)
		if got, err := c.Get(context.Background()); err != nil || got != step.want {
			t.Fatalf("after +%v: %q %v, want %s", step.advance, got, err, step.want)
		}
	}
	// A short-lived token keeps a fifth of its life as margin.
	short := channel.NewTokenCache(func(context.Context) (string, time.Duration, error) {
		return fmt.Sprint("s", n.Add(1)), 10 * time.Minute, nil
	}, clk.now)
	a, _ := short.Get(context.Background())
	clk.add(7 * time.Minute)
	if b, _ := short.Get(context.Background()); b != a {
		t.Fatal("refetched before 8 of 10 minutes")
	}
	clk.add(90 * time.Second)
	if b, _ := short.Get(context.Background()); b == a {
		t.Fatal("kept past 8 of 10 minutes")
	}
}

func TestTokenCache_ConcurrentCallers_OneFetch_WaitersHonourTheirContext(t *testing.T) {
	release := make(chan struct{})
	var n atomic.Int32
	c := channel.NewTokenCache(func(ctx context.Context) (string, time.Duration, error) {
		n.Add(1)
		<-release
		return "tok", time.Hour, nil
	}, nil)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tok, err := c.Get(context.Background()); err != nil || tok != "tok" {
				t.Errorf("Get = %q, %v", tok, err)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.Get(ctx); err == nil || channel.IsPermanent(err) {
		t.Fatalf("a waiter whose context ends: %v, want a transient error", err)
	}
	close(release)
	wg.Wait()
	if n.Load() != 1 {
		t.Fatalf("%d fetches for 20 concurrent callers", n.Load())
	}
}

func TestTokenCache_Call_RefetchesOnceOnAStaleToken(t *testing.T) {
	var n atomic.Int32
	c := channel.NewTokenCache(func(context.Context) (string, time.Duration, error) {
		return fmt.Sprint("tok", n.Add(1)), time.Hour, nil
	}, nil)
	var seen []string
	err := c.Call(context.Background(), func(tok string) error {
		seen = append(seen, tok)
		if tok == "tok1" {
			return &channel.StaleToken{Err: errors.New("expired")}
		}
		return nil
	})
	if err != nil || fmt.Sprint(seen) != "[tok1 tok2]" {
		t.Fatalf("Call = %v with %v, want a retry with a fresh token", err, seen)
	}
	final := channel.Permanentf(nil, "still refused")
	err = c.Call(context.Background(), func(string) error { return &channel.StaleToken{Err: final} })
	if err != final || n.Load() != 3 { // the cached tok2, then tok3
		t.Fatalf("refused twice: %v after %d fetches, want the final error after one refetch", err, n.Load())
	}
	// Drop forgets only the token it names: another sender's fresh one stays.
	tok, _ := c.Get(context.Background())
	c.Drop("some older token")
	if again, _ := c.Get(context.Background()); again != tok {
		t.Fatal("Drop of another token dropped the current one")
	}
}

// KeepListening waits longer after each failed attempt, up to 30 s, says
// why in the state, and returns at once when its context ends.
func TestKeepListening_BackoffAndState(t *testing.T) {
	in := &stateInbox{}
	ctx, cancel := context.WithCancel(context.Background())
	var starts []time.Time
	done := make(chan error, 1)
	go func() {
		done <- channel.KeepListening(ctx, in, slog.New(slog.NewTextHandler(io.Discard, nil)), 10*time.Millisecond, func(ctx context.Context, up func()) error {
			starts = append(starts, time.Now())
			if len(starts) == 5 {
				cancel()
			}
			return channel.Transientf(nil, "连不上")
		})
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("did not return")
	}
	for i := 2; i < len(starts); i++ {
		if gap, prev := starts[i].Sub(starts[i-1]), starts[i-1].Sub(starts[i-2]); gap < prev*3/2 {
			t.Errorf("wait %d = %v after %v: want it to double", i, gap, prev)
		}
	}
	if st := in.last(); st.Connected || st.Err != "重连中：连不上" {
		t.Fatalf("state %+v", st)
	}
}

type stateInbox struct {
	mu sync.Mutex
	st []channel.ListenerState
}

func (b *stateInbox) Answer(context.Context, channel.Incoming) channel.Answer {
	return channel.Answer{}
}
func (b *stateInbox) SetState(s channel.ListenerState) {
	b.mu.Lock()
	b.st = append(b.st, s)
	b.mu.Unlock()
}
func (b *stateInbox) last() channel.ListenerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.st[len(b.st)-1]
}
