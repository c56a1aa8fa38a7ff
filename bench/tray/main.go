//go:build linux && cgo

// Command tray measures what BotGate's window costs while it sits in the
// tray: it runs the GUI binary on demo data (自动启动 on, so the server runs
// in it) on the X display in $DISPLAY with a private DBus session bus, reads
// the process's CPU time with the window shown, closes the window as the
// close button does, and reads it again with the window in the tray. With
// several binaries it alternates them round by round, and it prints the
// median of each.
//
//	go build -o bench/out/botgate-gui . && xvfb-run -a go run ./bench/tray -bin bench/out/botgate-gui
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"botgate/bench/procstat"
	"botgate/internal/xwin"
)

var (
	bins   = flag.String("bin", "bench/out/botgate-gui", "GUI binaries to compare, separated by commas")
	rounds = flag.Int("rounds", 3, "rounds; each runs every binary once, in turn")
	phase  = flag.Duration("d", 30*time.Second, "how long each phase is measured")
	settle = flag.Duration("settle", 3*time.Second, "wait after the window shows and after it is closed")
)

// result is one run of one binary.
type result struct {
	shown, hidden, headless time.Duration // CPU over one phase
	rssKB                   int64         // in the tray
}

func main() {
	flag.Parse()
	if os.Getenv("DISPLAY") == "" {
		fmt.Fprintln(os.Stderr, "tray: no X display; run it under xvfb-run -a")
		os.Exit(2)
	}
	list := strings.Split(*bins, ",")
	all := make(map[string][]result)
	fmt.Printf("%d rounds, %v a phase; CPU as %% of one core\n\n", *rounds, *phase)
	fmt.Println("| round | binary | window shown | closed to the tray | tray RSS | headless serve, idle |")
	fmt.Println("|---|---|---|---|---|---|")
	for r := 1; r <= *rounds; r++ {
		for _, bin := range list {
			res, err := run(bin)
			if err != nil {
				fmt.Fprintf(os.Stderr, "tray: %s: %v\n", bin, err)
				os.Exit(1)
			}
			all[bin] = append(all[bin], res)
			fmt.Printf("| %d | %s | %s | %s | %.0f MB | %s |\n", r, filepath.Base(bin), pct(res.shown), pct(res.hidden),
				float64(res.rssKB)/1024, pct(res.headless))
		}
	}
	fmt.Println()
	for _, bin := range list {
		rs := all[bin]
		fmt.Printf("median %s: shown %s, in the tray %s, headless idle %s\n", filepath.Base(bin),
			pct(median(rs, func(r result) time.Duration { return r.shown })),
			pct(median(rs, func(r result) time.Duration { return r.hidden })),
			pct(median(rs, func(r result) time.Duration { return r.headless })))
	}
}

func pct(cpu time.Duration) string {
	return fmt.Sprintf("%.2f%%", 100*cpu.Seconds()/phase.Seconds())
}

func median(rs []result, f func(result) time.Duration) time.Duration {
	v := make([]time.Duration, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// run measures one binary once, on a database of its own.
func run(bin string) (result, error) {
	dir, err := os.MkdirTemp("", "botgate-tray-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	db := filepath.Join(dir, "botgate.db")
	demo, err := start(bin, nil, true, "--db", db, "serve", "--demo", "--listen", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	stop(demo)

	bus, err := start("dbus-daemon", nil, true, "--session", "--nofork", "--nopidfile", "--print-address=1")
	if err != nil {
		return result{}, fmt.Errorf("dbus-daemon (package dbus): %w", err)
	}
	defer stop(bus)
	env := []string{"DBUS_SESSION_BUS_ADDRESS=" + bus.first, "XDG_CONFIG_HOME=" + dir}
	gui, err := start(bin, env, false, "--db", db, "--listen", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	defer stop(gui)

	x, err := xwin.Open()
	if err != nil {
		return result{}, err
	}
	defer x.Close()
	win, err := x.Find("BotGate", 30*time.Second)
	if err != nil {
		return result{}, err
	}
	if _, err := x.WaitViewable(win, true, 10*time.Second); err != nil {
		return result{}, err
	}
	var res result
	time.Sleep(*settle)
	if res.shown, err = cpuOver(gui.cmd.Process.Pid, *phase); err != nil {
		return result{}, err
	}
	x.AskClose(win)
	if _, err := x.WaitViewable(win, false, 5*time.Second); err != nil {
		return result{}, fmt.Errorf("closing did not hide the window: %w", err)
	}
	time.Sleep(*settle)
	if res.hidden, err = cpuOver(gui.cmd.Process.Pid, *phase); err != nil {
		return result{}, err
	}
	if res.rssKB, err = procstat.RSSKB(gui.cmd.Process.Pid); err != nil {
		return result{}, err
	}
	stop(gui)

	// The same server without a window, for the floor the tray figure stands on.
	serve, err := start(bin, nil, true, "--db", db, "serve", "--listen", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	defer stop(serve)
	time.Sleep(*settle)
	if res.headless, err = cpuOver(serve.cmd.Process.Pid, *phase); err != nil {
		return result{}, err
	}
	return res, nil
}

func cpuOver(pid int, d time.Duration) (time.Duration, error) {
	a, err := procstat.CPU(pid)
	if err != nil {
		return 0, err
	}
	time.Sleep(d)
	b, err := procstat.CPU(pid)
	if err != nil {
		return 0, fmt.Errorf("the process ended while measured: %w", err)
	}
	return b - a, nil
}

// proc is a started process and the first line it printed.
type proc struct {
	cmd   *exec.Cmd
	first string
	done  chan struct{}
}

// start runs name and, for servers and dbus-daemon, waits for the first line
// on standard output (serve's 已启动 line, the bus address); the GUI prints
// nothing there and is waited for through its window instead.
func start(name string, env []string, firstLine bool, args ...string) (*proc, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		cmd.Wait()
		close(p.done)
	}()
	if !firstLine {
		return p, nil
	}
	select {
	case p.first = <-lines:
		return p, nil
	case <-p.done:
		return nil, errors.New(name + " ended at once")
	case <-time.After(20 * time.Second):
		stop(p)
		return nil, errors.New(name + " printed nothing in 20 s")
	}
}

// stop ends p as a logout would (SIGTERM), and kills it after 15 s.
func stop(p *proc) {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}
