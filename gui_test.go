//go:build !nogui

package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// Opening the window where it cannot open ends with a Chinese reason and
// exit status 1, never a panic: over SSH with no display at all, and with a
// display that does not answer (as a Windows machine without OpenGL makes
// Fyne panic; here GLFW fails to connect).
func TestGUI_NoUsableDisplay_ExplainedNotPanicked(t *testing.T) {
	tests := []struct {
		name    string
		display string
		want    string
	}{
		{"no display", "", "没有图形界面"},
		{"display that does not answer", ":987", "无法打开窗口"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := botgateCmd(t, "--db", filepath.Join(t.TempDir(), "botgate.db"))
			var env []string
			for _, kv := range cmd.Env {
				if !strings.HasPrefix(kv, "DISPLAY=") && !strings.HasPrefix(kv, "WAYLAND_DISPLAY=") {
					env = append(env, kv)
				}
			}
			if tt.display != "" {
				env = append(env, "DISPLAY="+tt.display)
			}
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 1 {
				t.Fatalf("exit %v (%v), want 1:\n%s", cmd.ProcessState, err, out)
			}
			if !strings.Contains(string(out), "错误："+tt.want) || strings.Contains(string(out), "goroutine ") {
				t.Fatalf("output:\n%s", out)
			}
		})
	}
}
