package ui

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// fakeLoop stands in for Fyne's main loop: queued functions run in order when
// the test says so, and a fake clock moves only by what the naps wait and by
// the work the test puts between them.
type fakeLoop struct {
	queued []func()
	clock  time.Time
	hidden bool
	waits  []time.Duration // what each nap asked for
	// took says how long a nap's wait really lasts (an OS event can end it
	// early, handling one can make it longer); nil: as long as asked.
	took func(n int, d time.Duration) time.Duration
	fail bool // the wait reports an error
	// inline runs queued functions at once, as fyne.Do does on the main
	// goroutine once Fyne is quitting.
	inline bool
	logs   bytes.Buffer
}

func newFakeLoop() (*fakeLoop, *idler) {
	l := &fakeLoop{clock: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), hidden: true}
	p := &idler{
		hidden: func() bool { return l.hidden },
		wait: func(d time.Duration) error {
			if l.fail {
				return errors.New("PlatformError: Win32: failed to wait")
			}
			l.waits = append(l.waits, d)
			if l.took != nil {
				d = l.took(len(l.waits), d)
			}
			l.clock = l.clock.Add(d)
			return nil
		},
		queue: func(f func()) {
			if l.inline {
				f()
				return
			}
			l.queued = append(l.queued, f)
		},
		now: func() time.Time { return l.clock },
		log: slog.New(slog.NewTextHandler(&l.logs, nil)),
	}
	return l, p
}

// step runs what is queued now (one nap, normally) and then spends gap, as
// the loop's own work between two naps would.
func (l *fakeLoop) step(gap time.Duration) {
	q := l.queued
	l.queued = nil
	for _, f := range q {
		f()
	}
	l.clock = l.clock.Add(gap)
}

func count(ds []time.Duration, d time.Duration) int {
	n := 0
	for _, x := range ds {
		if x == d {
			n++
		}
	}
	return n
}

func TestIdler_NapsWhileHiddenAndStopsWhenShown(t *testing.T) {
	l, p := newFakeLoop()
	p.park()
	p.park() // the close intercept can run twice: still one chain of naps
	if len(l.queued) != 1 {
		t.Fatalf("queued %d naps, want 1", len(l.queued))
	}
	for range 20 {
		l.step(time.Millisecond)
	}
	if len(l.waits) != 20 || count(l.waits, napHidden) != 20 {
		t.Fatalf("waits %v, want 20 of %v", l.waits, napHidden)
	}
	if len(l.queued) != 1 {
		t.Fatalf("after 20 naps %d queued, want the next one", len(l.queued))
	}

	l.hidden = false // 打开主窗口
	l.step(0)
	if len(l.queued) != 0 || p.parked || len(l.waits) != 20 {
		t.Fatalf("shown: queued %d, parked %v, waits %d; want the naps to stop at once", len(l.queued), p.parked, len(l.waits))
	}

	l.hidden = true // closed to the tray again
	p.park()
	l.step(0)
	if len(l.waits) != 21 || l.waits[20] != napHidden {
		t.Fatalf("hidden again: waits %v", l.waits)
	}
}

func TestIdler_KeepsFynesPaceWhileTheAdminUsesTheTray(t *testing.T) {
	tests := []struct {
		name string
		took func(n int, d time.Duration) time.Duration
		gap  func(n int) time.Duration // the loop's work after nap n
	}{
		{"an OS event ends the third nap early (a click on the Windows tray)",
			func(n int, d time.Duration) time.Duration {
				if n == 3 {
					return 5 * time.Millisecond
				}
				return d
			}, nil},
		{"handling an event inside the third nap takes long (a tray menu held open)",
			func(n int, d time.Duration) time.Duration {
				if n == 3 {
					return 2 * time.Second
				}
				return d
			}, nil},
		{"a queued action runs for 40 ms after the third nap (a Linux tray click)",
			nil, func(n int) time.Duration {
				if n == 3 {
					return 40 * time.Millisecond
				}
				return time.Millisecond
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, p := newFakeLoop()
			l.took = tt.took
			p.park()
			for n := 1; n <= 3+busyNaps+5; n++ {
				gap := time.Millisecond
				if tt.gap != nil {
					gap = tt.gap(n)
				}
				l.step(gap)
			}
			want := make([]time.Duration, 0, len(l.waits))
			for n := 1; n <= len(l.waits); n++ {
				if n > 3 && n <= 3+busyNaps {
					want = append(want, napBusy)
				} else {
					want = append(want, napHidden)
				}
			}
			for i := range want {
				if l.waits[i] != want[i] {
					t.Fatalf("nap %d waited %v, want %v (all: %v)", i+1, l.waits[i], want[i], l.waits)
				}
			}
		})
	}
}

func TestIdler_AFailedWaitLeavesTheLoopToFyne(t *testing.T) {
	l, p := newFakeLoop()
	l.fail = true
	p.park()
	l.step(0)
	if len(l.queued) != 0 || !p.broken {
		t.Fatalf("after a failed wait: queued %d, broken %v", len(l.queued), p.broken)
	}
	if !strings.Contains(l.logs.String(), "failed to wait") {
		t.Fatalf("log does not say why: %q", l.logs.String())
	}
	l.fail = false
	p.park() // closed to the tray again: no second try
	if len(l.queued) != 0 {
		t.Fatalf("parked again after a failure")
	}
}

// Quit while the window is in the tray: Fyne's Quit clears "running" before
// the loop ends, and from then on fyne.Do runs the function at once. The nap
// that runs then must stop, not call the next nap itself (found in review:
// the naps then nested for ever and 退出 hung in 4 of 10 runs).
func TestIdler_StopsWhenFyneRunsItInline(t *testing.T) {
	l, p := newFakeLoop()
	p.park()
	l.step(0)
	l.inline = true // Quit
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.step(0)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the naps kept running each other after Quit")
	}
	if len(l.waits) != 2 || p.parked {
		t.Fatalf("after Quit: %d waits (want 2: one before, the last queued one), parked %v", len(l.waits), p.parked)
	}
	l.step(0)
	if len(l.waits) != 2 {
		t.Fatalf("naps went on after Quit: %d waits", len(l.waits))
	}
}
