//go:build unix

package service

import (
	"context"
	"errors"
	"os"
	"os/exec"
)

// systemElevator asks for root through pkexec (polkit's password dialog),
// which desktop Linux has; without it, or without a display to show the
// dialog on, there is no way to ask and the window says to use sudo.
func systemElevator() Elevator {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return nil
	}
	pkexec, err := exec.LookPath("pkexec")
	if err != nil {
		return nil
	}
	return func(ctx context.Context, _ uintptr, exe string, args []string) (int, error) {
		err := exec.CommandContext(ctx, pkexec, append([]string{exe}, args...)...).Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			// pkexec: 126 = the dialog was dismissed, 127 = not authorized.
			switch c := exit.ExitCode(); c {
			case 126:
				return c, ErrElevationCancelled
			case 127:
				return c, ErrElevationDenied
			}
			return exit.ExitCode(), nil
		}
		if err != nil {
			return -1, err
		}
		return 0, nil
	}
}
