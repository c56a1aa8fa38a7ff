// Package gctune keeps Go's garbage collector from running dozens of times
// a second while the server is busy on a small heap.
//
// A busy BotGate server keeps only 1–3 MB live, so with the default GOGC of
// 100 the collector's goal stays at its 4 MB floor: at 32 connections it
// ran about 90 times a second, and raising GOGC to 400 cut the server's CPU
// per send by about 14% (README, 性能测试). A fixed higher GOGC would also
// let an idle server's heap drift up to the larger goal, and the idle
// headless process is meant to stay under 20 MB; so the goal is raised only
// while collections are frequent, and put back when they stop.
package gctune

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Settings for Run; zero fields take the defaults below.
type Settings struct {
	Floor    uint64        // heap goal to keep while busy (bytes); default 16 MiB
	Busy     int           // collections a second that mean busy; default 30
	Calm     time.Duration // time without a collection before the default comes back; default 3 s
	Interval time.Duration // how often to look; default 250 ms, so a burst of sends is met within it
	Max      int           // highest GC percent set; default 800
	// set applies a GC percent and returns the previous one
	// (debug.SetGCPercent); tests record instead.
	set func(int) int
}

const defaultPercent = 100 // Go's own default, which GOGC unset means

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
	if s.Interval == 0 {
		s.Interval = 250 * time.Millisecond
	}
	if s.Max == 0 {
		s.Max = 800
	}
	if s.set == nil {
		s.set = debug.SetGCPercent
	}
}

// Start runs the tuner in its own goroutine until ctx ends, when the
// percent goes back to the default; if the admin set GOGC it does nothing
// (the runtime keeps what they chose).
func Start(ctx context.Context, s Settings) {
	if os.Getenv("GOGC") != "" {
		return
	}
	s.fill()
	go run(ctx, s)
}

func run(ctx context.Context, s Settings) {
	samples := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/gc/heap/live:bytes"}}
	read := func() (cycles, live uint64) {
		metrics.Read(samples)
		for i, v := range samples {
			if v.Value.Kind() != metrics.KindUint64 { // not in this runtime: stay at the default
				return 0, 0
			}
			if i == 0 {
				cycles = v.Value.Uint64()
			} else {
				live = v.Value.Uint64()
			}
		}
		return cycles, live
	}
	current, quiet := defaultPercent, time.Duration(0)
	last, _ := read()
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	defer func() {
		if current != defaultPercent {
			s.set(defaultPercent)
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cycles, live := read()
		n := cycles - last
		last = cycles
		if n == 0 {
			quiet += s.Interval
		} else {
			quiet = 0
		}
		busy := float64(n) >= float64(s.Busy)*s.Interval.Seconds()
		if want := s.percent(busy, quiet >= s.Calm, live, current); want != current {
			s.set(want)
			current = want
		}
	}
}

// percent is the GC percent to run with after an interval that was busy
// (Busy collections a second or more) or ended a calm (no collection for
// Calm), with live bytes after the last collection, the percent now being
// current. Busy: a goal of about Floor (live × (1 + percent/100)), never
// below the default nor above Max. Calm: the default. In between, a raised percent stays, so that a busy server
// that now collects less often keeps the goal that made it so, but comes
// down if the live heap has grown: the goal stays near Floor and never
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
