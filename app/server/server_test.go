package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"botgate/app/serverlock"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// steps records what happened, in order, from several goroutines.
type steps struct {
	mu  sync.Mutex
	got []string
}

func (s *steps) add(v string) { s.mu.Lock(); s.got = append(s.got, v); s.mu.Unlock() }
func (s *steps) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// The stop order that makes a clean stop send nothing twice: the request
// being answered finishes, then the drain runs (queue closed there) with the
// lock still held and the tasks still running, then the tasks end, then the
// lock is released.
func TestStop_Order_RequestThenDrainThenTasksThenLock(t *testing.T) {
	db := filepath.Join(t.TempDir(), "botgate.db")
	var st steps
	inRequest, finish := make(chan struct{}), make(chan struct{})
	s, err := Start(Config{
		DBPath: db, Log: quiet(), Addr: "127.0.0.1:0",
		Want:  func() string { return "127.0.0.1:0" },
		Check: func(string) error { return nil },
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(inRequest)
			<-finish
			st.add("request answered")
		}),
		Tasks: []func(context.Context){func(ctx context.Context) { <-ctx.Done(); st.add("task stopped") }},
	})
	if err != nil {
		t.Fatal(err)
	}
	if info, ok, _ := serverlock.Find(db); !ok || info.Addr != s.Addr() {
		t.Fatalf("lock: %+v %v, want held with address %s", info, ok, s.Addr())
	}
	go http.Get("http://" + s.Addr() + "/")
	<-inRequest
	stopped := make(chan struct{})
	go func() {
		s.Stop(func(ctx context.Context) {
			_, held, _ := serverlock.Find(db)
			if _, ok := ctx.Deadline(); ok && held {
				st.add("drain with lock held and a deadline")
			}
		})
		st.add("stopped")
		close(stopped)
	}()
	time.Sleep(50 * time.Millisecond)
	if got := st.list(); len(got) != 0 {
		t.Fatalf("the stop went on while a request was being answered: %v", got)
	}
	close(finish)
	<-stopped
	want := []string{"request answered", "drain with lock held and a deadline", "task stopped", "stopped"}
	if got := st.list(); !slices.Equal(got, want) {
		t.Fatalf("stop order %v, want %v", got, want)
	}
	if _, ok, _ := serverlock.Find(db); ok {
		t.Fatal("lock still held after Stop")
	}
}

// A second server on the same database is refused before it binds, and the
// refusal wraps serverlock.ErrRunning.
func TestStart_SecondOnSameDatabase_RefusedByTheLock(t *testing.T) {
	db := filepath.Join(t.TempDir(), "botgate.db")
	cfg := Config{DBPath: db, Log: quiet(), Addr: "127.0.0.1:0", Want: func() string { return "127.0.0.1:0" },
		Check: func(string) error { return nil }, Handler: http.NotFoundHandler()}
	first, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Stop(nil)
	cfg.Addr = first.Addr() // the port is taken too: the lock must be what refuses
	if _, err := Start(cfg); !errors.Is(err, serverlock.ErrRunning) {
		t.Fatalf("second Start = %v, want ErrRunning", err)
	}
}
