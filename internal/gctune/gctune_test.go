package gctune

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	s := Settings{}
	s.fill()
	const mb = 1 << 20
	tests := []struct {
		name       string
		busy, calm bool
		live       uint64
		current    int
		want       int
	}{
		{"busy, 2 MB live: goal about 16 MB", true, false, 2 * mb, 100, 700},
		{"busy, 1 MB live: capped at Max", true, false, 1 * mb, 100, 800},
		{"busy, 12 MB live: never below the default", true, false, 12 * mb, 700, 100},
		{"busy, heap above the floor: the default", true, false, 64 * mb, 100, 100},
		{"busy but no live figure: as it is", true, false, 0, 100, 100},
		{"not busy, raised: stays", false, false, 2 * mb, 700, 700},
		{"not busy, live heap grew: the percent comes down", false, false, 4 * mb, 700, 300},
		{"not busy, heap now above the floor: the default", false, false, 40 * mb, 700, 100},
		{"not busy at the default: never raised", false, false, 1 * mb, 100, 100},
		{"calm: back to the default", false, true, 2 * mb, 700, 100},
		{"calm at the default: stays", false, true, 2 * mb, 100, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.percent(tt.busy, tt.calm, tt.live, tt.current); got != tt.want {
				t.Errorf("percent(busy=%v, calm=%v, live=%d, current=%d) = %d, want %d", tt.busy, tt.calm, tt.live, tt.current, got, tt.want)
			}
		})
	}
}

var sink []byte

// TestStart_RaisesWhileCollectingOftenAndRestoresWhenCalm drives the real
// runtime: garbage made fast enough to collect more than Busy times a
// second raises the percent; once it stops, the default comes back after
// Calm; ending the context leaves the default.
func TestStart_RaisesWhileCollectingOftenAndRestoresWhenCalm(t *testing.T) {
	var now atomic.Int64
	now.Store(defaultPercent)
	sets := make(chan int, 100)
	s := Settings{Busy: 60, Calm: 150 * time.Millisecond, set: func(p int) int {
		sets <- p
		return int(now.Swap(int64(p)))
	}}
	s.fill()
	ctx, cancel := context.WithCancel(context.Background())
	done := start(ctx, s)

	churn, stop := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(churn)
		for {
			select {
			case <-stop:
				return
			default:
			}
			for range 64 {
				sink = make([]byte, 64<<10) // the real collector runs: s.set is the recorder, so GOGC stays 100
			}
			runtime.Gosched()
		}
	}()
	wait := func(what string, ok func(int) bool) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case p := <-sets:
				if ok(p) {
					return
				}
			case <-deadline:
				t.Fatalf("no %s within 10 s (percent now %d)", what, now.Load())
			}
		}
	}
	wait("raised percent while collecting often", func(p int) bool { return p > defaultPercent })
	close(stop)
	<-churn
	wait("default percent once calm", func(p int) bool { return p == defaultPercent })
	cancel()
	<-done
	if p := now.Load(); p != defaultPercent {
		t.Errorf("after the context ended the percent is %d, want %d", p, defaultPercent)
	}
}

func TestStart_LeavesAnAdminsGOGCAlone(t *testing.T) {
	t.Setenv("GOGC", "200")
	called := make(chan int, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	Start(ctx, Settings{Busy: 1, set: func(p int) int { called <- p; return p }})
	for range 50 {
		sink = make([]byte, 1<<20)
		runtime.GC()
	}
	runtime.GC()                      // runs the finalizers queued by the collections above
	time.Sleep(20 * time.Millisecond) // a running tuner, 50 collections a second or more, would have set a percent
	select {
	case p := <-called:
		t.Fatalf("with GOGC set the tuner set the percent to %d", p)
	default:
	}
}
