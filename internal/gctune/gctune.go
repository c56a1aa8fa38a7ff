// Package gctune keeps Go's garbage collector from running dozens of times
// a second while the server is busy on a small heap.
//
// A busy BotGate server keeps only 1–3 MB live, so with the default GOGC of
// 100 the collector's goal stays at its 4 MB floor: at 32 connections it
// ran 90–114 times a second, and raising GOGC to 400 cut the server's CPU
// per send by about 14% (README, 性能测试). A fixed higher GOGC would also
// let an idle server's heap drift up to the larger goal, and the idle
// headless process is meant to stay under 20 MB; so the goal is raised only
// while collections are frequent, and put back when they stop.
package gctune

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// Settings for Start; zero fields take the defaults below.
type Settings struct {
	Floor uint64        // heap goal to keep while busy (bytes); default 16 MiB
	Busy  int           // collections a second that mean busy; default 30
	Calm  time.Duration // time without a collection before the default comes back; default 3 s
	Max   int           // highest GC percent set; default 800
	// set applies a GC percent and returns the previous one
	// (debug.SetGCPercent); tests record instead.
	set func(int) int
}

const (
	defaultPercent = 100 // Go's own default, which GOGC unset means
	window         = 8   // collections whose times give the rate
)

func (s *Settings) fill() {
	if s.Floor == 0 {
		s.Floor = 16 << 20
	}
	if s.Busy == 0 {
		// One ERP connection made ~11 collections a second at 2600
		// sends/s, 8 connections ~54 and 32 connections ~114
		// (GODEBUG=gctrace=1); raising the goal bought no CPU at one
		// connection, so that load keeps Go's default and its memory.
		s.Busy = 30
	}
	if s.Calm == 0 {
		s.Calm = 3 * time.Second
	}
	if s.Max == 0 {
		s.Max = 800
	}
	if s.set == nil {
		s.set = debug.SetGCPercent
	}
}

// Start runs the tuner until ctx ends, when the percent goes back to the
// default; if the admin set GOGC it does nothing (the runtime keeps what
// they chose).
func Start(ctx context.Context, s Settings) {
	if os.Getenv("GOGC") != "" {
		return
	}
	s.fill()
	start(ctx, s)
}

// tuner hears of each collection from a finalizer, so an idle server,
// which collects about once in two minutes, pays nothing for it: no
// ticker wakes the process (polling four times a second cost an idle
// server 0.05% of a core).
type tuner struct {
	s       Settings
	mu      sync.Mutex
	current int
	times   [window]time.Time // the last collections' times, a ring
	n       int               // collections heard of
	calm    *time.Timer       // runs restore once no collection came for Calm
	stopped bool
	live    []metrics.Sample
}

// sentinel is garbage made for its finalizer: a struct with a pointer, so
// that the runtime's tiny allocator does not share it with other objects
// (a finalizer on such an object might never run).
type sentinel struct{ t *tuner }

// start begins listening for collections; the returned channel closes once
// ctx has ended and the default is back.
func start(ctx context.Context, s Settings) <-chan struct{} {
	t := &tuner{s: s, current: defaultPercent, live: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	t.calm = time.AfterFunc(time.Hour, t.restore)
	t.calm.Stop()
	t.arm()
	done := make(chan struct{})
	go func() {
		<-ctx.Done()
		t.mu.Lock()
		t.stopped = true
		t.calm.Stop()
		t.setLocked(defaultPercent)
		t.mu.Unlock()
		close(done)
	}()
	return done
}

// arm makes the next collection call collected.
func (t *tuner) arm() {
	runtime.SetFinalizer(&sentinel{t: t}, func(x *sentinel) { x.t.collected() })
}

// collected runs on the finalizer goroutine after each collection.
func (t *tuner) collected() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	t.arm()
	now := time.Now()
	t.times[t.n%window] = now
	t.n++
	// The oldest of the last window collections is the slot written next.
	busy := t.n >= window && now.Sub(t.times[t.n%window])*time.Duration(t.s.Busy) <= (window-1)*time.Second
	t.setLocked(t.s.percent(busy, false, t.liveBytes(), t.current))
	if t.current != defaultPercent {
		t.calm.Reset(t.s.Calm)
	}
}

// restore is the calm: no collection for Calm.
func (t *tuner) restore() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.stopped {
		t.setLocked(t.s.percent(false, true, t.liveBytes(), t.current))
	}
}

func (t *tuner) setLocked(p int) {
	if p != t.current {
		t.s.set(p)
		t.current = p
	}
}

// liveBytes is the heap marked live by the last collection (0: this
// runtime does not say).
func (t *tuner) liveBytes() uint64 {
	metrics.Read(t.live)
	if t.live[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return t.live[0].Value.Uint64()
}

// percent is the GC percent to run with, the percent now being current and
// live the bytes the last collection left. Busy (the last collections came
// Busy a second or faster): a goal of about Floor (live × (1 +
// percent/100)), never below the default nor above Max. Calm (none came for
// Calm): the default. In between, a raised percent stays, so that a busy
// server that now collects less often keeps the goal that made it so, but
// comes down if the live heap has grown: the goal stays near Floor and never
// becomes a multiple of a large heap (a burst of image sends).
func (s *Settings) percent(busy, calm bool, live uint64, current int) int {
	forFloor := func() int {
		return min(max(int(s.Floor*100/live)-100, defaultPercent), s.Max)
	}
	switch {
	case calm:
		return defaultPercent
	case live == 0: // no figure: nothing to go by
		return current
	case busy:
		return forFloor()
	case current > defaultPercent:
		return min(current, forFloor())
	}
	return current
}
