// Command load is BotGate's benchmark. In one run, on loopback only, it
// measures the headless botgate binary side by side with bench/refserver:
// QQAP sends per second and p50/p99 latency at 1 and 32 connections, keyword
// query p99 on a 100k-row indexed table, idle RSS, and time from start to
// listening. It prints a Markdown table (README's benchmark section).
//
//	go build -tags nogui -o bench/out/botgate . && go build -o bench/out/refserver ./bench/refserver
//	go run ./bench/load -botgate bench/out/botgate -ref bench/out/refserver
package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite"
)

var (
	botgateBin = flag.String("botgate", "bench/out/botgate", "headless botgate binary")
	refBin     = flag.String("ref", "bench/out/refserver", "reference server binary")
	duration   = flag.Duration("d", 5*time.Second, "duration of each load phase")
	rows       = flag.Int("rows", 100000, "rows in the keyword query table")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type result struct {
	reqs     int
	errors   int
	perSec   float64
	p50, p99 time.Duration
	lat      []time.Duration // sorted
	elapsed  time.Duration
}

// merge combines runs of the same phase into one result.
func merge(rs ...result) result {
	var m result
	for _, r := range rs {
		m.reqs += r.reqs
		m.errors += r.errors
		m.elapsed += r.elapsed
		m.lat = append(m.lat, r.lat...)
	}
	slices.Sort(m.lat)
	m.perSec = float64(m.reqs) / m.elapsed.Seconds()
	if len(m.lat) > 0 {
		m.p50 = m.lat[len(m.lat)*50/100]
		m.p99 = m.lat[min(len(m.lat)-1, len(m.lat)*99/100)]
	}
	return m
}

// versus runs a BotGate phase and the same phase on the reference in the
// order A B B A, each half as long, and merges each side: the machine's
// drift over the minute (other load, page cache, CPU frequency) then weighs
// on both sides alike instead of on whichever ran first.
func versus(d time.Duration, a, b func(time.Duration) result) (result, result) {
	a1 := a(d / 2)
	b1 := b(d / 2)
	b2 := b(d / 2)
	a2 := a(d / 2)
	return merge(a1, a2), merge(b1, b2)
}

func (r result) String() string {
	return fmt.Sprintf("%.0f/s, p50 %s, p99 %s", r.perSec, ms(r.p50), ms(r.p99))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

var listening = regexp.MustCompile(`已启动：http://([0-9.:]+)/`)
var demoPassword = regexp.MustCompile(`密码 ([A-Za-z0-9]+)`)

// proc is a started server.
type proc struct {
	cmd   *exec.Cmd
	addr  string
	out   string // stdout up to the listening line
	start time.Duration
}

// startProc runs a server and waits for its "已启动" line; start is the time
// from exec to a successful TCP connect.
func startProc(bin string, args ...string) (*proc, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stderr = io.Discard
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd}
	sc := bufio.NewScanner(stdout)
	var out strings.Builder
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			p.addr = m[1]
			break
		}
	}
	if p.addr == "" {
		cmd.Process.Kill()
		return nil, fmt.Errorf("%s did not start: %s", bin, out.String())
	}
	for {
		c, err := net.Dial("tcp", p.addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Since(t0) > 10*time.Second {
			return nil, err
		}
	}
	p.start = time.Since(t0)
	go func() {
		// Keep reading so the demo output (printed after the listening line) never blocks.
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
		}
	}()
	time.Sleep(50 * time.Millisecond)
	p.out = out.String()
	return p, nil
}

func (p *proc) stop() {
	p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
	}
}

func (p *proc) rssKB() int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			n, _ := strconv.Atoi(strings.Fields(line)[1])
			return n
		}
	}
	return -1
}

// load runs conns workers for the duration, each calling next() for a URL.
func load(conns int, d time.Duration, next func(worker, i int) string, check func([]byte) bool) result {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	var mu sync.Mutex
	var lat []time.Duration
	var errs int
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for i := 0; ctx.Err() == nil; i++ {
				s := time.Now()
				resp, err := client.Get(next(w, i))
				if err != nil {
					bad++
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || !check(body) {
					bad++
					continue
				}
				mine = append(mine, time.Since(s))
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	el := time.Since(t0)
	slices.Sort(lat)
	r := result{reqs: len(lat), errors: errs, perSec: float64(len(lat)) / el.Seconds(), lat: lat, elapsed: el}
	if len(lat) > 0 {
		r.p50 = lat[len(lat)*50/100]
		r.p99 = lat[min(len(lat)-1, len(lat)*99/100)]
	}
	return r
}

func okEnvelope(b []byte) bool {
	var e struct {
		Errcode int `json:"errcode"`
	}
	return json.Unmarshal(b, &e) == nil && e.Errcode == 0
}

// makeQueryTable fills data.db (the default data source) with n staff rows, indexed on qq.
func makeQueryTable(path string, n int) error {
	db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`CREATE TABLE bench_staff (xtuser TEXT PRIMARY KEY, name TEXT, qq TEXT, dept TEXT)`); err != nil {
		return err
	}
	st, err := tx.Prepare(`INSERT INTO bench_staff VALUES (?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if _, err := st.Exec(fmt.Sprintf("u%06d", i), fmt.Sprintf("员工%06d", i), strconv.Itoa(100000000+i), "部门"+strconv.Itoa(i%50)); err != nil {
			return err
		}
	}
	st.Close()
	if _, err := tx.Exec(`CREATE INDEX bench_staff_qq ON bench_staff (qq)`); err != nil {
		return err
	}
	return tx.Commit()
}

func run() error {
	dir, err := os.MkdirTemp("", "botgate-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db := filepath.Join(dir, "botgate.db")

	// First start creates the demo (user, template, log channel).
	p, err := startProc(*botgateBin, "--db", db, "serve", "--demo", "--listen", "127.0.0.1:0")
	if err != nil {
		return err
	}
	m := demoPassword.FindStringSubmatch(p.out)
	p.stop()
	if m == nil {
		return fmt.Errorf("no demo password in output:\n%s", p.out)
	}
	password := m[1]
	if err := makeQueryTable(filepath.Join(dir, "data.db"), *rows); err != nil {
		return fmt.Errorf("query table: %w", err)
	}
	cfg := filepath.Join(dir, "bench.json")
	os.WriteFile(cfg, []byte(`{"templates":[{"keyword":"查询","kind":"query","sql":"SELECT xtuser, name, qq, dept FROM bench_staff WHERE qq = '{{来源QQ}}'"}]}`), 0o600)
	if out, err := exec.Command(*botgateBin, "--db", db, "config", "import", cfg).CombinedOutput(); err != nil {
		return fmt.Errorf("config import: %v: %s", err, out)
	}

	// Start to listening: the median of 5 restarts on the configured database.
	var starts []time.Duration
	for i := 0; i < 5; i++ {
		p, err := startProc(*botgateBin, "--db", db, "serve", "--listen", "127.0.0.1:0")
		if err != nil {
			return err
		}
		starts = append(starts, p.start)
		p.stop()
	}
	slices.Sort(starts)

	p, err = startProc(*botgateBin, "--db", db, "serve", "--listen", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer p.stop()
	time.Sleep(2 * time.Second)
	idleRSS := p.rssKB()

	base := "http://" + p.addr + "/?"
	send := func(w, i int) string {
		return base + url.Values{"Access_token": {password}, "user": {"demo"}, "QQ": {strconv.Itoa(10000 + w)}, "content": {"bench " + strconv.Itoa(i)}}.Encode()
	}
	query := func(w, i int) string {
		return base + url.Values{"Access_token": {password}, "user": {"demo"}, "QQ": {strconv.Itoa(100000000 + rand.IntN(*rows))}, "keyword": {"查询"}}.Encode()
	}
	ref, err := startProc(*refBin, "-db", filepath.Join(dir, "ref.db"), "-listen", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ref.stop()
	refURL := "http://" + ref.addr + "/?"
	refSend := func(w, i int) string {
		return refURL + url.Values{"QQ": {strconv.Itoa(10000 + w)}, "content": {"bench " + strconv.Itoa(i)}}.Encode()
	}
	phase := func(conns int, next func(w, i int) string) func(time.Duration) result {
		return func(d time.Duration) result { return load(conns, d, next, okEnvelope) }
	}
	bg1, r1 := versus(*duration, phase(1, send), phase(1, refSend))
	bg32, r32 := versus(*duration, phase(32, send), phase(32, refSend))
	q1 := load(1, *duration, query, okEnvelope)
	q32 := load(32, *duration, query, okEnvelope)
	loadedRSS := p.rssKB()

	fmt.Printf("| measure | BotGate | reference (net/http + 1 SQLite insert) | ratio / target |\n|---|---|---|---|\n")
	fmt.Printf("| QQAP send, 1 connection | %s | %s | %.2fx (target ≥ 0.7x) |\n", bg1, r1, bg1.perSec/r1.perSec)
	fmt.Printf("| QQAP send, 32 connections | %s | %s | %.2fx (target ≥ 0.7x) |\n", bg32, r32, bg32.perSec/r32.perSec)
	fmt.Printf("| keyword query, 100k rows, 1 connection | %s | — | p99 target < 5 ms |\n", q1)
	fmt.Printf("| keyword query, 100k rows, 32 connections | %s | — | |\n", q32)
	fmt.Printf("| idle RSS (headless) | %.1f MB | — | target < 20 MB |\n", float64(idleRSS)/1024)
	fmt.Printf("| RSS after the load | %.1f MB | — | |\n", float64(loadedRSS)/1024)
	fmt.Printf("| start to listening (median of 5) | %s | — | target < 200 ms |\n", ms(starts[2]))
	fmt.Printf("\nerrors: botgate send %d/%d, query %d/%d, reference %d/%d; phase length %s; %d CPUs\n",
		bg1.errors, bg32.errors, q1.errors, q32.errors, r1.errors, r32.errors, *duration, numCPU())
	return nil
}

func numCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
}
