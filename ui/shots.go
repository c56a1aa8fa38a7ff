package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
)

// TabFiles names the screenshot of each tab, in tab order.
var TabFiles = []string{"service", "auth", "channels", "templates", "datasources", "logs", "schedules", "about"}

// CaptureTabs shows each tab with its first list entry selected and calls
// grab(dir/<name>.png) to save the screen, then quits the app. Call it in a
// goroutine after ShowAndRun has started (make screenshots does, under Xvfb,
// grabbing the X screen: GL read-back under Xvfb's software GL comes out blank).
func (u *UI) CaptureTabs(dir string, settle time.Duration, grab func(path string) error) error {
	defer fyne.Do(u.fa.Quit)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	time.Sleep(settle)
	for i, name := range TabFiles {
		fyne.DoAndWait(func() {
			u.SelectTab(i)
			switch i {
			case 2:
				u.channels.list.Select(0)
			case 3:
				u.templates.list.Select(0)
				u.templates.args.SetText("admin")
				u.templates.qq.SetText("289192968")
				u.templates.dryRun()
			case 4:
				u.sources.list.Select(0)
			}
		})
		time.Sleep(settle)
		if err := grab(filepath.Join(dir, name+".png")); err != nil {
			return fmt.Errorf("screenshot %s: %w", name, err)
		}
	}
	return nil
}
