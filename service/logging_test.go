package service

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

type fakeSys struct{ lines []string }

func (f *fakeSys) add(kind string, v ...any) error {
	f.lines = append(f.lines, kind+": "+fmt.Sprint(v...))
	return nil
}
func (f *fakeSys) Error(v ...any) error   { return f.add("E", v...) }
func (f *fakeSys) Warning(v ...any) error { return f.add("W", v...) }
func (f *fakeSys) Info(v ...any) error    { return f.add("I", v...) }

var _ SystemLogger = (*fakeSys)(nil)

func TestSystemHandler_LevelsAndAttrs(t *testing.T) {
	sys := &fakeSys{}
	log := slog.New(NewSystemHandler(sys, slog.LevelInfo)).With("db", "/srv/botgate.db")
	log.Debug("not sent")
	log.Info("BotGate service started", "addr", "127.0.0.1:7789")
	log.Warn("slow")
	log.WithGroup("http").Error("HTTP server stopped", "err", "boom")
	want := []string{
		`I: "BotGate service started" db=/srv/botgate.db addr=127.0.0.1:7789`,
		`W: slow db=/srv/botgate.db`,
		`E: "HTTP server stopped" db=/srv/botgate.db http.err=boom`,
	}
	if strings.Join(sys.lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("system log got\n%s\nwant\n%s", strings.Join(sys.lines, "\n"), strings.Join(want, "\n"))
	}
}
