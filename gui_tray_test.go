//go:build linux && cgo && !nogui

package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"botgate/internal/xwin"
)

// The real window, closed to the tray on a real X display (Xvfb) with a real
// DBus session bus: the tray menu still opens the window and quits while the
// window loop naps (ui/idle.go), and the server keeps answering meanwhile.
// The test plays the two parts a desktop would: the window manager (the
// close button) and the tray host (clicks on the menu, over DBus).
func TestGUI_ClosedToTray_TrayMenuStillWorks(t *testing.T) {
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("this test needs an X display: run the tests under xvfb-run (README, 两条命令)")
	}
	bus := startSessionBus(t)
	db := filepath.Join(t.TempDir(), "botgate.db")
	demo, _ := startServe(t, db, "--demo") // the demo turns 自动启动 on
	demo.Process.Signal(os.Interrupt)
	demo.Wait()

	gui := botgateCmd(t, "--db", db, "--listen", "127.0.0.1:0")
	gui.Env = append(gui.Env, "DBUS_SESSION_BUS_ADDRESS="+bus, "XDG_CONFIG_HOME="+t.TempDir())
	log := &syncBuffer{}
	gui.Stdout, gui.Stderr = log, log
	gui.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // even if go test's timeout kills us
	if err := gui.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- gui.Wait() }()
	ended := false // only the test goroutine reads exited
	t.Cleanup(func() {
		if !ended {
			gui.Process.Kill()
			<-exited
		}
	})
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format+"\nbotgate's log:\n%s", append(args, log.String())...)
	}

	x, err := xwin.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	win, err := x.Find("BotGate", 30*time.Second)
	if err != nil {
		fail("%v", err)
	}
	if _, err := x.WaitViewable(win, true, 10*time.Second); err != nil {
		fail("the window did not show: %v", err)
	}
	listening := regexp.MustCompile(`msg="BotGate listening" addr=([0-9.:]+)`)
	var addr string
	waitUntil(t, 15*time.Second, "botgate's log saying where its server listens", func() bool {
		if m := listening.FindStringSubmatch(log.String()); m != nil {
			addr = m[1]
		}
		return addr != ""
	})
	menu := trayMenu(t, bus, gui.Process.Pid)

	for round := 1; round <= 2; round++ {
		x.AskClose(win)
		if _, err := x.WaitViewable(win, false, 5*time.Second); err != nil {
			fail("round %d: closing did not hide the window: %v", round, err)
		}
		time.Sleep(time.Second) // several naps
		resp, err := http.Get("http://" + addr + "/api/v1/messages/1")
		if err != nil {
			fail("round %d: the server stopped answering with the window in the tray: %v", round, err)
		}
		resp.Body.Close()
		select {
		case err := <-exited:
			ended = true
			fail("round %d: closing the window ended botgate (%v) instead of keeping it in the tray", round, err)
		default:
		}
		if round == 1 {
			menu.click(t, "打开主窗口")
			took, err := x.WaitViewable(win, true, 5*time.Second)
			if err != nil {
				fail("the tray's 打开主窗口 did not show the window: %v", err)
			}
			t.Logf("打开主窗口 showed the window %v after the click", took.Round(time.Millisecond))
		}
	}
	clicked := time.Now()
	menu.click(t, "退出")
	select {
	case err := <-exited:
		ended = true
		if err != nil {
			fail("退出 ended botgate with %v, want exit status 0", err)
		}
		t.Logf("退出 ended botgate %v after the click", time.Since(clicked).Round(time.Millisecond))
	case <-time.After(15 * time.Second):
		fail("the tray's 退出 did not end botgate within 15 s")
	}
	for _, want := range []string{"BotGate stopped", "BotGate window closed"} {
		if !strings.Contains(log.String(), want) {
			fail("the log does not say %q: the server was not stopped gracefully", want)
		}
	}
}

// startSessionBus runs a private DBus session bus for the test and returns its address.
func startSessionBus(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot start dbus-daemon (scripts/setup-debian.sh --test installs it): %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	return strings.TrimSpace(line)
}

// dbusMenu is botgate's tray menu as a StatusNotifier host sees it
// (com.canonical.dbusmenu, which Fyne's tray exports).
type dbusMenu struct {
	obj dbus.BusObject
}

func trayMenu(t *testing.T, bus string, pid int) *dbusMenu {
	t.Helper()
	conn, err := dbus.Connect(bus)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	name := fmt.Sprintf("org.kde.StatusNotifierItem-%d-1", pid)
	waitUntil(t, 10*time.Second, "botgate's tray icon "+name+" on the session bus", func() bool {
		var has bool
		err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has)
		return err == nil && has
	})
	return &dbusMenu{obj: conn.Object(name, "/StatusNotifierMenu")}
}

// click sends the "clicked" event for the item labelled label, as the tray
// host does when the admin picks it.
func (m *dbusMenu) click(t *testing.T, label string) {
	t.Helper()
	var revision uint32
	var root []any
	call := m.obj.Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{})
	if err := call.Store(&revision, &root); err != nil {
		t.Fatalf("GetLayout: %v", err)
	}
	id, ok := findItem(root, label)
	if !ok {
		t.Fatalf("the tray menu has no item %q: %v", label, root)
	}
	if err := m.obj.Call("com.canonical.dbusmenu.Event", 0, id, "clicked", dbus.MakeVariant(""), uint32(0)).Err; err != nil {
		t.Fatalf("clicking %q: %v", label, err)
	}
}

// findItem looks for label in a dbusmenu layout node (id, properties, children).
func findItem(node []any, label string) (int32, bool) {
	if len(node) != 3 {
		return 0, false
	}
	id, _ := node[0].(int32)
	if props, ok := node[1].(map[string]dbus.Variant); ok {
		if l, ok := props["label"].Value().(string); ok && l == label {
			return id, true
		}
	}
	kids, _ := node[2].([]dbus.Variant)
	for _, k := range kids {
		if child, ok := k.Value().([]any); ok {
			if id, ok := findItem(child, label); ok {
				return id, true
			}
		}
	}
	return 0, false
}
