package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"botgate/app"
	"botgate/app/config"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func okHandler(*app.App) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
}

// openReal opens a real App on db whose API answers "ok".
func openReal(ctx context.Context, db string) (*app.App, error) {
	return app.Open(ctx, app.Options{DBPath: db, Log: quiet, Handler: okHandler})
}

// importListen saves a listen address from a second handle on the database,
// the way `botgate config import` does from another process.
func importListen(t *testing.T, db, addr string) {
	t.Helper()
	a, err := openReal(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Import(context.Background(), config.File{Settings: &config.SettingsPatch{Listen: &addr}}); err != nil {
		t.Fatal(err)
	}
}

func get(addr string) bool {
	c := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get("http://" + addr + "/")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == 200
}

func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("not within %v: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestProgram_RealApp_StartServesReloadsStops(t *testing.T) {
	db := filepath.Join(t.TempDir(), "botgate.db")
	first := freeAddr(t)
	importListen(t, db, first)
	var failed []error
	p := &Program{Log: quiet, Open: func(ctx context.Context) (Server, error) { return openReal(ctx, db) },
		Fail: func(err error) { failed = append(failed, err) }}

	t0 := time.Now()
	if err := p.Start(nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 100*time.Millisecond {
		t.Errorf("Start took %v; a service manager expects it to return at once", d)
	}
	eventually(t, 5*time.Second, "serving on the saved address", func() bool { return get(first) })
	if info, ok, _ := app.FindServer(db); !ok || info.Addr != first {
		t.Errorf("FindServer = %+v %v, want the service at %s", info, ok, first)
	}

	// Reload: a new listen address saved by another process moves the service.
	second := freeAddr(t)
	importListen(t, db, second)
	eventually(t, 2*time.Second, "moved to the new address", func() bool { return get(second) })

	t0 = time.Now()
	if err := p.Stop(nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("graceful stop took %v", d)
	}
	if get(second) {
		t.Error("still answering after Stop")
	}
	if _, ok, _ := app.FindServer(db); ok {
		t.Error("database still locked after Stop")
	}
	if len(failed) != 0 {
		t.Errorf("Fail called on a clean stop: %v", failed)
	}
	if err := p.Stop(nil); err != nil {
		t.Errorf("second Stop = %v, want nil", err)
	}
}

// fakeServer is a Server whose behaviour the test scripts.
type fakeServer struct {
	mu       sync.Mutex
	serveErr error
	ignore   bool // ignore cancellation (a stuck shutdown)
	closed   bool
}

func (f *fakeServer) Serve(ctx context.Context, ready func(string)) error {
	if f.serveErr != nil {
		return f.serveErr
	}
	ready("127.0.0.1:1")
	if f.ignore {
		select {}
	}
	<-ctx.Done()
	return nil
}

func (f *fakeServer) Close() error { f.mu.Lock(); f.closed = true; f.mu.Unlock(); return nil }

func TestProgram_Failures_ReportedForRestart(t *testing.T) {
	tests := []struct {
		name       string
		openErr    error
		serveErr   error
		want       string
		wantClosed bool
	}{
		{name: "database cannot be opened", openErr: errors.New("disk gone"), want: "打开 BotGate 失败：disk gone"},
		{name: "port in use at start", serveErr: errors.New("端口 7789 已被占用"), want: "端口 7789 已被占用", wantClosed: true},
		{name: "second server on the database", serveErr: fmt.Errorf("x: %w", app.ErrServerRunning), want: "another BotGate", wantClosed: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := &fakeServer{serveErr: tc.serveErr}
			failed := make(chan error, 1)
			p := &Program{Log: quiet, Fail: func(err error) {
				srv.mu.Lock()
				closed := srv.closed
				srv.mu.Unlock()
				if tc.wantClosed && !closed {
					err = fmt.Errorf("Fail before Close: %w", err)
				}
				failed <- err
			}, Open: func(context.Context) (Server, error) {
				if tc.openErr != nil {
					return nil, tc.openErr
				}
				return srv, nil
			}}
			if err := p.Start(nil); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-failed:
				if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "Fail before Close") {
					t.Errorf("Fail(%v), want %q after Close", err, tc.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Fail was not called")
			}
		})
	}
}

func TestProgram_StopTimesOut_WhenShutdownHangs(t *testing.T) {
	p := &Program{Log: quiet, StopTimeout: 100 * time.Millisecond,
		Open: func(context.Context) (Server, error) { return &fakeServer{ignore: true}, nil }}
	p.Start(nil)
	time.Sleep(20 * time.Millisecond)
	t0 := time.Now()
	err := p.Stop(nil)
	if err == nil || !strings.Contains(err.Error(), "未能在") {
		t.Fatalf("Stop = %v, want a timeout error", err)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("Stop waited %v despite a 100ms timeout", d)
	}
}

func TestProgram_StartDoesNotWaitForSlowOpen(t *testing.T) {
	release := make(chan struct{})
	p := &Program{Log: quiet, Open: func(ctx context.Context) (Server, error) {
		<-release
		return &fakeServer{}, nil
	}}
	t0 := time.Now()
	p.Start(nil)
	if d := time.Since(t0); d > 50*time.Millisecond {
		t.Errorf("Start blocked %v on Open", d)
	}
	close(release)
	if err := p.Stop(nil); err != nil {
		t.Fatal(err)
	}
}
