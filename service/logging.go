package service

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
)

// SystemLogger is the part of the system log (Windows event log, syslog)
// that BotGate writes to; kardianos' service.Logger is one.
type SystemLogger interface {
	Error(v ...any) error
	Warning(v ...any) error
	Info(v ...any) error
}

// sysHandler sends slog records to the system log as "msg key=value ..."
// lines: the time and level are the system log's own fields.
type sysHandler struct {
	sys   SystemLogger
	level slog.Leveler
	mu    *sync.Mutex
	buf   *bytes.Buffer
	text  slog.Handler // formats attrs into buf; shared buffer guarded by mu
}

// NewSystemHandler is a slog.Handler writing records at level and above to sys.
func NewSystemHandler(sys SystemLogger, level slog.Leveler) slog.Handler {
	buf := &bytes.Buffer{}
	drop := func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey) {
			return slog.Attr{}
		}
		return a
	}
	return &sysHandler{sys: sys, level: level, mu: &sync.Mutex{}, buf: buf,
		text: slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: drop})}
}

func (h *sysHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *sysHandler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	h.buf.Reset()
	err := h.text.Handle(ctx, r)
	line := strings.TrimSpace(strings.TrimPrefix(h.buf.String(), "msg="))
	h.mu.Unlock()
	if err != nil {
		return err
	}
	switch {
	case r.Level >= slog.LevelError:
		return h.sys.Error(line)
	case r.Level >= slog.LevelWarn:
		return h.sys.Warning(line)
	default:
		return h.sys.Info(line)
	}
}

func (h *sysHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.text = h.text.WithAttrs(as)
	return &c
}

func (h *sysHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.text = h.text.WithGroup(name)
	return &c
}
