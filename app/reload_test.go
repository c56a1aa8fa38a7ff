package app

import (
	"botgate/app/config"
	"botgate/model"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// openServeApp opens an App on a fresh database whose HTTP handler answers
// "ok", with the saved listen address set to listenAddr.
func openServeApp(t *testing.T, dbPath, listenAddr string) *App {
	t.Helper()
	ctx := context.Background()
	a, err := Open(ctx, Options{DBPath: dbPath, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Handler: func(*App) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if listenAddr != "" {
		setListen(t, a, listenAddr)
	}
	return a
}

// setListen saves a new listen address the way `config import` and the GUI do.
func setListen(t *testing.T, a *App, addr string) {
	t.Helper()
	if _, err := a.Import(context.Background(), config.File{Settings: &config.SettingsPatch{Listen: &addr}}); err != nil {
		t.Fatal(err)
	}
}

// freePort returns a loopback port nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

var quick = &http.Client{Timeout: 2 * time.Second}

func answers(addr string) bool {
	resp, err := quick.Get("http://" + addr + "/")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b) == "ok"
}

// waitFor polls cond for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestReload_ListenChanged_ServerMovesWithin2s(t *testing.T) {
	oldAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	a := openServeApp(t, filepath.Join(t.TempDir(), "botgate.db"), oldAddr)
	if _, err := a.StartServer(); err != nil {
		t.Fatal(err)
	}
	if !answers(oldAddr) {
		t.Fatalf("server does not answer on %s", oldAddr)
	}
	newAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	start := time.Now()
	setListen(t, a, newAddr)
	waitFor(t, 2*time.Second, "answers on the new address", func() bool { return answers(newAddr) })
	t.Logf("moved in %v", time.Since(start).Round(time.Millisecond))
	if answers(oldAddr) {
		t.Errorf("old address %s still answers after the move", oldAddr)
	}
	if ok, addr := a.Running(); !ok || addr != newAddr {
		t.Errorf("Running() = %v %q, want true %q", ok, addr, newAddr)
	}
	info, ok, err := FindServer(a.DB().Path())
	if err != nil || !ok || info.Addr != newAddr || info.PID != os.Getpid() {
		t.Errorf("FindServer = %+v %v %v, want this process at %s", info, ok, err, newAddr)
	}
	if err := a.ListenProblem(); err != nil {
		t.Errorf("ListenProblem = %v after a successful move", err)
	}
}

func TestReload_PortInUse_OldListenerKeepsServingAndProblemIsReported(t *testing.T) {
	oldAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	a := openServeApp(t, filepath.Join(t.TempDir(), "botgate.db"), oldAddr)
	if _, err := a.StartServer(); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyAddr := busy.Addr().String()
	_, port, _ := net.SplitHostPort(busyAddr)

	setListen(t, a, busyAddr)
	waitFor(t, 2*time.Second, "ListenProblem reports the busy port", func() bool { return a.ListenProblem() != nil })
	msg := model.ErrorOf(a.ListenProblem()).Msg
	if want := "端口 " + port + " 已被占用"; !strings.Contains(msg, want) {
		t.Errorf("problem = %q, want it to contain %q", msg, want)
	}
	if !answers(oldAddr) {
		t.Fatalf("old address %s stopped answering although the new port was busy", oldAddr)
	}
	if ok, addr := a.Running(); !ok || addr != oldAddr {
		t.Errorf("Running() = %v %q, want still %q", ok, addr, oldAddr)
	}

	// Once the other program frees the port, the server takes it by itself.
	busy.Close()
	waitFor(t, 3*time.Second, "moves once the port is free", func() bool { return answers(busyAddr) })
	waitFor(t, time.Second, "problem cleared", func() bool { return a.ListenProblem() == nil })
}

func TestReload_SamePortOtherHost_MovesDespiteOwnListener(t *testing.T) {
	// 127.0.0.1:P -> localhost:P is the shape of the "allow LAN" switch
	// (127.0.0.1:P -> 0.0.0.0:P) without binding beyond loopback: the new
	// bind conflicts with our own listener, which must be handed over.
	port := freePort(t)
	a := openServeApp(t, filepath.Join(t.TempDir(), "botgate.db"), fmt.Sprintf("127.0.0.1:%d", port))
	if _, err := a.StartServer(); err != nil {
		t.Fatal(err)
	}
	setListen(t, a, fmt.Sprintf("localhost:%d", port))
	waitFor(t, 2*time.Second, "rebound to localhost", func() bool {
		a.srvMu.Lock()
		defer a.srvMu.Unlock()
		return a.server.srv.Configured() == fmt.Sprintf("localhost:%d", port)
	})
	if err := a.ListenProblem(); err != nil {
		t.Errorf("ListenProblem = %v; the move to the same port must succeed", err)
	}
	_, addr := a.Running()
	if !answers(addr) {
		t.Errorf("not answering on %s after the same-port move", addr)
	}
}

func TestReload_ServeKeepsRunningAcrossMoves(t *testing.T) {
	a := openServeApp(t, filepath.Join(t.TempDir(), "botgate.db"), fmt.Sprintf("127.0.0.1:%d", freePort(t)))
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, nil) }()
	waitFor(t, 2*time.Second, "server up", func() bool { ok, _ := a.Running(); return ok })
	for range 2 {
		next := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		setListen(t, a, next)
		waitFor(t, 2*time.Second, "answers on "+next, func() bool { return answers(next) })
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v after a rebind; it must keep running", err)
	default:
	}
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve = %v at stop", err)
		}
	case <-time.After(ShutdownTimeout):
		t.Fatal("Serve did not return after cancel")
	}
	if _, ok, _ := FindServer(a.DB().Path()); ok {
		t.Error("lock still held after Serve returned")
	}
}

func TestLock_SecondServerOnSameDatabase_RefusedWithHolder(t *testing.T) {
	db := filepath.Join(t.TempDir(), "botgate.db")
	first := openServeApp(t, db, "")
	first.opts.Listen = "127.0.0.1:0"
	addr, err := first.StartServer()
	if err != nil {
		t.Fatal(err)
	}
	second := openServeApp(t, db, "")
	second.opts.Listen = "127.0.0.1:0"
	_, err = second.StartServer()
	if !errors.Is(err, ErrServerRunning) {
		t.Fatalf("second StartServer = %v, want ErrServerRunning", err)
	}
	msg := model.ErrorOf(err).Msg
	for _, want := range []string{"同一个数据库只能运行一个服务", fmt.Sprintf("进程 %d", os.Getpid()), "http://" + addr + "/"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if ok, _ := second.Running(); ok {
		t.Error("second app reports running after refusal")
	}
	info, ok, err := second.FindServer()
	if err != nil || !ok || info.Addr != addr {
		t.Errorf("second.FindServer = %+v %v %v, want the first at %s", info, ok, err, addr)
	}

	first.StopServer()
	if _, ok, _ := second.FindServer(); ok {
		t.Error("FindServer still sees a server after the first stopped")
	}
	if _, err := second.StartServer(); err != nil {
		t.Fatalf("second could not start after the first stopped: %v", err)
	}
}
