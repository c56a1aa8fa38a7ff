package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
)

// The screenshots of README and docs/gui.md: make screenshots runs the real
// window under Xvfb (ui/screenshots) and these walk it. grab(path) saves the
// screen (the X screen is grabbed: GL read-back under Xvfb's software GL
// comes out blank). Each function runs off the main goroutine and touches
// widgets through fyne.DoAndWait.

// CaptureTabs shows each tab (with its first list entry selected, a try-run,
// a dialog where one explains the tab) and saves dir/<shot>.png.
func (u *UI) CaptureTabs(dir string, settle time.Duration, grab func(path string) error) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	time.Sleep(settle)
	shot := func(name string, do func()) error {
		fyne.DoAndWait(do)
		time.Sleep(settle)
		if err := grab(filepath.Join(dir, name+".png")); err != nil {
			return fmt.Errorf("screenshot %s: %w", name, err)
		}
		return nil
	}
	closeDialog := func() {
		if top := u.win.Canvas().Overlays().Top(); top != nil {
			top.Hide()
			u.win.Canvas().Overlays().Remove(top)
		}
	}
	for i, p := range u.pages {
		err := shot(p.shot, func() {
			u.SelectTab(i)
			switch p.content {
			case u.channels.content:
				// A platform with settings to show, not the demo's log channel.
				for j, ch := range u.channels.items {
					if ch.Type != "log" {
						u.channels.list.Select(j)
						break
					}
				}
			case u.templates.content:
				u.templates.list.Select(0)
				u.templates.args.SetText("admin")
				u.templates.qq.SetText("289192968")
				u.templates.dryRun()
			case u.sources.content:
				u.sources.list.Select(0)
			}
		})
		if err != nil {
			return err
		}
		var extra string
		switch p.content {
		case u.channels.content:
			extra, err = "channels-test-message", shot("channels-test-message", func() {
				u.channels.selectName("log")
				u.channels.sendTest()
				u.channels.sender.group.SetText("123456")
				u.channels.sender.at.SetText("289192968:张三")
				u.channels.sender.content.SetText("今日订单已审核，请查收附件")
			})
		case u.logs.content:
			extra, err = "logs-message", shot("logs-message", func() {
				u.logs.inner.SelectIndex(1)
				u.logs.load()
				for _, m := range u.logs.msgs {
					if len(m.Attachments) > 0 {
						u.logs.showMessage(m)
						break
					}
				}
			})
		}
		if err != nil {
			return err
		}
		if extra != "" {
			fyne.DoAndWait(closeDialog)
		}
		if p.content == u.channels.content {
			for _, c := range ChannelFormShots {
				if err := shot(c.File, func() { u.channels.selectName(c.Channel) }); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// ChannelFormShots are the channel forms shown in docs/channels.md: one per
// transport or API version an admin chooses (ui/screenshots saves these channels).
var ChannelFormShots = []struct{ Channel, File string }{
	{"QQ-NapCat", "channel-onebot-ws-reverse"},
	{"微信-GeWe", "channel-gewe-v2"},
	{"QQ-Mojo", "channel-openqq-auto"},
}

// GuideShots are the screenshots of the first-run guide, one per step.
var GuideShots = []string{"guide-1-user", "guide-2-platform", "guide-3-template", "guide-4-ready"}

// CaptureGuide opens the first-run guide over this window (an empty
// database) and saves each step, filled in as an admin would.
func (u *UI) CaptureGuide(dir string, settle time.Duration, grab func(path string) error) error {
	fill := []func(g *guide){
		func(g *guide) {},
		func(g *guide) {
			g.kind.SetSelected(g.kindTitle("dingtalk"))
			g.cname.SetText("销售群")
			g.cform.inputs["url"].entry.SetText("https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef")
			g.cform.inputs["secret"].entry.SetText("SEC0123456789abcdef")
		},
		func(g *guide) {
			g.tryTemplate()
			g.scroll.ScrollToBottom() // the rows it returned
		},
		func(g *guide) {},
	}
	fyne.DoAndWait(u.ShowGuide)
	for i, name := range GuideShots {
		fyne.DoAndWait(func() {
			if i > 0 {
				u.guide.saveAndNext()
			}
			fill[i](u.guide)
		})
		time.Sleep(settle)
		if err := grab(filepath.Join(dir, name+".png")); err != nil {
			return fmt.Errorf("screenshot %s: %w", name, err)
		}
	}
	return nil
}
