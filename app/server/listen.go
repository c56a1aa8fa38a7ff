package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"botgate/model"
)

// Listen binds addr, with the admin-facing message for the usual failures.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	_, port, _ := net.SplitHostPort(addr)
	if isAddrInUse(err) {
		return nil, &model.Error{Code: model.CodeInvalid, Field: "listen", Msg: fmt.Sprintf("端口 %s 已被占用：可能 BotGate 已在运行，或其他程序占用了它；请关闭该程序或换一个端口", port), Err: err}
	}
	return nil, &model.Error{Code: model.CodeInvalid, Field: "listen", Msg: fmt.Sprintf("无法监听 %s：%v。请检查监听地址是否为本机的 IP", addr, err), Err: err}
}

// wsaeAddrInUse is Windows' WSAEADDRINUSE; syscall.EADDRINUSE there is a Go
// invention that the socket calls never return.
const wsaeAddrInUse = syscall.Errno(10048)

func isAddrInUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE) || errors.Is(err, wsaeAddrInUse)
}

// follow moves the server when the configured listen address changes (GUI,
// config import).
func (s *Server) follow(ctx context.Context) {
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.rebind()
	}
}

// rebind binds the configured address if it differs from the served one. The
// old listener is closed only once the new one is bound, so a port in use
// leaves the server reachable where it was; the failure is logged once and
// shown by ListenProblem, and retried every tick (the port may be freed).
// Connections already open on the old listener finish normally.
func (s *Server) rebind() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return
	}
	want := s.cfg.Want()
	if want == s.want {
		s.listenErr = nil
		return
	}
	log := s.cfg.Log
	old, oldAddr := s.ln, s.addr
	ln, err := s.bindNext(want)
	if err != nil {
		if s.listenErr == nil || s.listenErr.Error() != err.Error() {
			log.Error("cannot listen on the new address; still serving the old one",
				"new", want, "serving", s.addr, "reason", model.ErrorOf(err).Msg)
		}
		s.listenErr = err
		return
	}
	if ln == nil { // bindNext already swapped (same-port move)
		old = nil
	} else {
		s.serveOn(ln)
	}
	s.want, s.listenErr = want, nil
	if old != nil {
		old.retired.Store(true)
		old.Close()
	}
	// Idle keep-alive connections accepted on the old address would go on
	// answering there; closing idle ones (on every listener: the only way
	// net/http offers) makes clients reconnect to the new address.
	// Requests in flight finish and get "Connection: close".
	s.srv.SetKeepAlivesEnabled(false)
	s.srv.SetKeepAlivesEnabled(true)
	if err := s.lock.SetAddr(s.addr); err != nil {
		log.Warn("could not record the listen address in the lock file", "err", err)
	}
	log.Info("BotGate moved to the new listen address", "addr", s.addr, "old", oldAddr)
}

// bindNext binds want. Moving between hosts on the same port (127.0.0.1:7789
// to 0.0.0.0:7789, the "allow LAN" switch) conflicts with our own listener, so
// in that case the old listener is closed first and, if the new bind still
// fails, taken back. It returns (nil, nil) when it already made the swap.
// Called with mu held.
func (s *Server) bindNext(want string) (net.Listener, error) {
	if err := s.cfg.Check(want); err != nil {
		return nil, err
	}
	ln, err := Listen(want)
	if err == nil || !isAddrInUse(err) || !samePort(s.addr, want) {
		return ln, err
	}
	old := s.ln
	old.retired.Store(true)
	old.Close()
	ln, err = Listen(want)
	if err == nil {
		s.serveOn(ln)
		return nil, nil
	}
	back, berr := Listen(old.Addr().String())
	if berr != nil {
		// Nothing listens now; make Serve return so the service manager or
		// the window can restart and report it.
		s.cfg.Log.Error("lost the listener while moving it", "err", berr)
		s.fail(berr)
		return nil, err
	}
	s.serveOn(back)
	return nil, err
}

func samePort(a, b string) bool {
	_, pa, err1 := net.SplitHostPort(a)
	_, pb, err2 := net.SplitHostPort(b)
	return err1 == nil && err2 == nil && pa == pb
}
