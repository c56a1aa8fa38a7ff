// Command load is BotGate's benchmark. In one run, on loopback only, it
// measures the headless botgate binary side by side with bench/refserver:
// QQAP sends per second and p50/p99 latency at 1 and 32 connections, keyword
// query p99 on a 100k-row indexed table, idle RSS, and time from start to
// listening; then (-image-kb, default 200) sends carrying an image, in
// rounds alternated with plain-text sends, reported as a ratio to the plain
// text of the same run; with -prune N, sends during the retention prune at
// start of N old rows (and after it); with -growth N,M the same sends on
// databases of 0, N and M rows, rotated in one run; and (-backlog, on by default) sends
// while another client fills a rate-limited channel, with a check that the
// default channel's messages are still delivered. It prints a Markdown table
// (README's benchmark section).
//
//	go build -tags nogui -o bench/out/botgate . && go build -o bench/out/refserver ./bench/refserver
//	go run ./bench/load -botgate bench/out/botgate -ref bench/out/refserver
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
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

	"botgate/bench/procstat"
)

var (
	botgateBin  = flag.String("botgate", "bench/out/botgate", "headless botgate binary")
	refBin      = flag.String("ref", "bench/out/refserver", "reference server binary")
	duration    = flag.Duration("d", 5*time.Second, "duration of each load phase")
	rows        = flag.Int("rows", 100000, "rows in the keyword query table")
	imageKB     = flag.Int("image-kb", 200, "KB of the image in the attachment rounds (0: no attachment rounds)")
	rounds      = flag.Int("rounds", 5, "attachment rounds, each a plain-text and an image phase of d/2 in alternating order")
	sendRounds  = flag.Int("send-rounds", 4, "rounds of the send comparison, each a BotGate, FULL and NORMAL phase of d/2 in rotating order")
	prefill     = flag.Int("prefill", 0, "rows put in the outbox (delivered) and in the request log before the server starts: a database that has grown")
	backlog     = flag.Bool("backlog", true, "1-connection send rounds while another client fills a rate-limited channel (60/min), during the BotGate phases only")
	backlogRate = flag.Int("backlog-rate", 200, "sends/s of the backlog client")
	backlogTo   = flag.Int("backlog-recipients", 100, "recipients the backlog client's sends rotate over (100: more than the dispatcher's 64 in flight; 1: one recipient's queue, past 5000 rows once -backlog-rate × the BotGate phases exceed it)")
	prune       = flag.Int("prune", 0, "rows older than the retention window put in the outbox (delivered) and in the request log before a restart: 1-connection sends during the startup prune, and after it (0: no prune rows)")
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

// side is one server's figures over the rounds of a comparison: the
// medians of its rounds' sends/s and p99, and the rounds merged (p50, errors).
type side struct {
	all          result
	perSec       float64
	p99          time.Duration
	roundsPerSec []float64
	roundsP99    []float64 // ms
	ratioFull    float64   // median over rounds of this side's sends/s / FULL's
	ratioFullP99 float64   // median over rounds of this side's p99 / FULL's
	ratioNormal  float64   // median over rounds of this side's sends/s / NORMAL's
	use          usage     // what the server spent over all the rounds (usageOver)
}

func (s side) String() string {
	return fmt.Sprintf("%.0f/s, p50 %s, p99 %s", s.perSec, ms(s.all.p50), ms(s.p99))
}

// roundsOf runs n rounds of one phase on every server, each phase d/2, the
// order rotated each round (A B C, B C A, C A B, …): the machine's drift over
// the minute (other load, page cache, CPU frequency, the database growing)
// then weighs on every side alike instead of on whichever ran first. Each
// figure is the median of the rounds; a ratio is the median of the rounds'
// own ratios, which on a busy machine is steadier than either figure alone.
// sides[1] is the FULL reference and sides[2] the NORMAL one.
func roundsOf(n int, d time.Duration, sides ...func(time.Duration) result) []side {
	out := rotated(n, d, sides...)
	for j := range out {
		out[j].ratioFull, out[j].ratioFullP99 = roundRatios(out[j], out[1])
		out[j].ratioNormal, _ = roundRatios(out[j], out[2])
	}
	return out
}

// sideOf is the figures of one side's rounds, without the ratios.
func sideOf(rs []result) side {
	var s side
	for _, r := range rs {
		s.roundsPerSec = append(s.roundsPerSec, r.perSec)
		s.roundsP99 = append(s.roundsP99, float64(r.p99.Microseconds())/1000)
	}
	s.all = merge(rs...)
	s.perSec = median(s.roundsPerSec)
	s.p99 = time.Duration(median(s.roundsP99) * float64(time.Millisecond))
	return s
}

// met is "met" or "NOT met" for the table.
func met(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func roundsList(xs []float64, unit string) string {
	var b strings.Builder
	for i, x := range xs {
		if i > 0 {
			b.WriteString(" / ")
		}
		if unit == "ms" {
			fmt.Fprintf(&b, "%.2f", x)
		} else {
			fmt.Fprintf(&b, "%.0f", x)
		}
	}
	return b.String()
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
	t0    time.Time
	start time.Duration

	mu     sync.Mutex
	pruned map[string]time.Duration // what → time from exec to its "pruned" log line
}

// prunedLine is the retention prune's log line (slog's text handler on
// stderr) for one table, e.g. msg=pruned what="finished messages" rows=2000.
var prunedLine = regexp.MustCompile(`msg=pruned what="([^"]+)"`)

// startProc runs a server and waits for its "已启动" line; start is the time
// from exec to a successful TCP connect.
func startProc(bin string, args ...string) (*proc, error) {
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, t0: t0, pruned: map[string]time.Duration{}}
	go p.watchLog(stderr)
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

// watchLog reads the server's log to its end, noting when each "pruned"
// line came. The log channel writes a line per message, so nothing else is
// kept, and a line too long for the scanner must not stop the reading: the
// server would block on a full pipe.
func (p *proc) watchLog(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if m := prunedLine.FindSubmatch(sc.Bytes()); m != nil {
			at := time.Since(p.t0)
			p.mu.Lock()
			p.pruned[string(m[1])] = at
			p.mu.Unlock()
		}
	}
	io.Copy(io.Discard, r)
}

// prunedAt is when the prune logged what ("request log", "finished
// messages"), from exec; ok is false while it has not.
func (p *proc) prunedAt(what string) (at time.Duration, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	at, ok = p.pruned[what]
	return at, ok
}

// stop interrupts the server and waits for it; a stopped one is left alone,
// so a server stopped early can keep its deferred stop.
func (p *proc) stop() {
	if p.cmd.ProcessState != nil {
		return
	}
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
	n, err := procstat.RSSKB(p.cmd.Process.Pid)
	if err != nil {
		return -1
	}
	return int(n)
}

// load runs conns workers for the duration, each calling next() for a URL to GET.
func load(conns int, d time.Duration, next func(worker, i int) string, check func([]byte) bool) result {
	return loadReq(conns, d, func(w, i int) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, next(w, i), nil)
		return req
	}, check)
}

// loadReq runs conns workers for the duration, each sending next()'s request.
func loadReq(conns int, d time.Duration, next func(worker, i int) *http.Request, check func([]byte) bool) result {
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
				resp, err := client.Do(next(w, i))
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

// qqapSend is the QQAP GET of worker w's i-th plain-text send, to QQ qq+w
// on channel (empty: the default channel, and no channel parameter).
func qqapSend(base, password, channel string, qq int) func(w, i int) string {
	return func(w, i int) string {
		v := url.Values{"Access_token": {password}, "user": {"demo"}, "QQ": {strconv.Itoa(qq + w)}, "content": {"bench " + strconv.Itoa(i)}}
		if channel != "" {
			v.Set("channel", channel)
		}
		return base + v.Encode()
	}
}

// usage is what a server process spent: CPU time (user and system) and
// the bytes it made dirty for the disk (write_bytes in /proc/PID/io: each
// page of the page cache it dirtied, whether or not an fsync followed).
// Both come from Linux's /proc; elsewhere ok is false.
type usage struct {
	ok      bool
	cpu     time.Duration
	written int64
}

func (u usage) sub(v usage) usage {
	return usage{ok: u.ok && v.ok, cpu: u.cpu - v.cpu, written: u.written - v.written}
}

// usage reads the process's usage so far.
func (p *proc) usage() usage {
	pid := p.cmd.Process.Pid
	cpu, err1 := procstat.CPU(pid)
	written, err2 := procstat.WriteBytes(pid)
	// CPU and bytes are reported together or not at all.
	return usage{ok: err1 == nil && err2 == nil, cpu: cpu, written: written}
}

// usageOver runs f and returns what each of ps spent meanwhile. BotGate
// delivers a message and writes its request log row after the reply, so
// what it spends for one phase partly falls in the phases after it; over
// all the rounds and a settle at the end, each server's figure holds all of
// its own work and the references' idle time costs them nothing.
func usageOver(ps []*proc, settle time.Duration, f func()) []usage {
	before := make([]usage, len(ps))
	for i, p := range ps {
		before[i] = p.usage()
	}
	f()
	time.Sleep(settle)
	out := make([]usage, len(ps))
	for i, p := range ps {
		out[i] = p.usage().sub(before[i])
	}
	return out
}

// settleTime is how long usageOver waits after the rounds: longer than
// BotGate's request log interval (500 ms) and its dispatcher's rounds.
const settleTime = 1500 * time.Millisecond

// perSend is a side's server CPU and dirtied bytes per acknowledged send,
// over all its rounds (usageOver), for the table.
func (s side) perSend() string {
	u := s.use
	if !u.ok || s.all.reqs == 0 {
		return "—"
	}
	n := float64(s.all.reqs)
	return fmt.Sprintf("%.0f µs CPU, %.1f KB written", float64(u.cpu.Microseconds())/n, float64(u.written)/n/1024)
}

// sendPhase is a phase of roundsOf: conns connections GETting next's URLs.
func sendPhase(conns int, next func(w, i int) string) func(time.Duration) result {
	return func(d time.Duration) result { return load(conns, d, next, okEnvelope) }
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
	os.WriteFile(cfg, benchConfig(), 0o600)
	if out, err := exec.Command(*botgateBin, "--db", db, "config", "import", cfg).CombinedOutput(); err != nil {
		return fmt.Errorf("config import: %v: %s", err, out)
	}

	// The growth rounds' databases start from this one: configured, with no
	// message yet.
	var sizes []int
	growthBase := filepath.Join(dir, "growth-base.db")
	if *growth != "" {
		if sizes, err = growthSizes(*growth); err != nil {
			return err
		}
		if err := copyFile(db, growthBase); err != nil {
			return err
		}
	}

	if *prefill > 0 {
		t := time.Now()
		if err := prefillState(db, *prefill, 0); err != nil {
			return fmt.Errorf("prefill: %w", err)
		}
		fmt.Fprintf(os.Stderr, "bench: pre-filled %d rows in the outbox and the request log in %s\n", *prefill, time.Since(t).Round(time.Millisecond))
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
	send := qqapSend(base, password, "", 10000)
	query := func(w, i int) string {
		return base + url.Values{"Access_token": {password}, "user": {"demo"}, "QQ": {strconv.Itoa(100000000 + rand.IntN(*rows))}, "keyword": {"查询"}}.Encode()
	}
	refs := map[string]*proc{}
	for _, mode := range []string{"full", "normal"} {
		ref, err := startProc(*refBin, "-db", filepath.Join(dir, "ref-"+mode+".db"), "-sync", mode, "-listen", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ref.stop()
		refs[mode] = ref
	}
	refSend := func(mode string) func(w, i int) string {
		refURL := "http://" + refs[mode].addr + "/?"
		return func(w, i int) string {
			return refURL + url.Values{"QQ": {strconv.Itoa(10000 + w)}, "content": {"bench " + strconv.Itoa(i)}}.Encode()
		}
	}
	servers := []*proc{p, refs["full"], refs["normal"]}
	sendRoundsOf := func(conns int) []side {
		var sides []side
		use := usageOver(servers, settleTime, func() {
			sides = roundsOf(*sendRounds, *duration, sendPhase(conns, send), sendPhase(conns, refSend("full")), sendPhase(conns, refSend("normal")))
		})
		for i := range sides {
			sides[i].use = use[i]
		}
		return sides
	}
	c1 := sendRoundsOf(1)
	c32 := sendRoundsOf(32)
	bg1, bg32 := c1[0].all, c32[0].all
	q1 := load(1, *duration, query, okEnvelope)
	q32 := load(32, *duration, query, okEnvelope)
	msg1, err := messageLookups(p, db, password, *duration)
	if err != nil {
		return err
	}
	loadedRSS := p.rssKB()

	fmt.Printf("Sends: the medians of %d rounds, each a BotGate, a FULL and a NORMAL phase of %s in rotating order; %d rows pre-filled in the outbox and the request log.\n\n", *sendRounds, *duration/2, *prefill)
	fmt.Printf("| measure | BotGate | insert, FULL (durable) | insert, NORMAL (no fsync) | ratio / issue target |\n|---|---|---|---|---|\n")
	fmt.Printf("| QQAP send, 1 connection | %s | %s | %s | %.2fx FULL sends/s (≥ 0.9x: %s), p99 %.2fx FULL's (≤ 1.5x: %s) |\n",
		c1[0], c1[1], c1[2], c1[0].ratioFull, met(c1[0].ratioFull >= 0.9), c1[0].ratioFullP99, met(c1[0].ratioFullP99 <= 1.5))
	fmt.Printf("| QQAP send, 32 connections | %s | %s | %s | %.2fx NORMAL sends/s (≥ 0.7x: %s), p99 %s (≤ 10 ms: %s) |\n",
		c32[0], c32[1], c32[2], c32[0].ratioNormal, met(c32[0].ratioNormal >= 0.7), ms(c32[0].p99), met(c32[0].p99 <= 10*time.Millisecond))
	for _, r := range []struct {
		name string
		s    []side
	}{{"1 connection", c1}, {"32 connections", c32}} {
		fmt.Printf("| rounds, %s: sends/s | %s | %s | %s | |\n", r.name, roundsList(r.s[0].roundsPerSec, ""), roundsList(r.s[1].roundsPerSec, ""), roundsList(r.s[2].roundsPerSec, ""))
		fmt.Printf("| rounds, %s: p99 ms | %s | %s | %s | |\n", r.name, roundsList(r.s[0].roundsP99, "ms"), roundsList(r.s[1].roundsP99, "ms"), roundsList(r.s[2].roundsP99, "ms"))
	}
	for _, r := range []struct {
		name string
		s    []side
	}{{"1 connection", c1}, {"32 connections", c32}} {
		fmt.Printf("| server per send, %s (/proc: CPU, write_bytes) | %s | %s | %s | |\n", r.name, r.s[0].perSend(), r.s[1].perSend(), r.s[2].perSend())
	}
	fmt.Printf("| GET /api/v1/messages/{id}, random ids, 1 connection | %s | — | — | p99 target ≤ 2 ms (at 5 M rows) |\n", msg1)
	fmt.Printf("| keyword query, 100k rows, 1 connection | %s | — | — | p99 target < 5 ms |\n", q1)
	fmt.Printf("| keyword query, 100k rows, 32 connections | %s | — | — | |\n", q32)
	fmt.Printf("| idle RSS (headless) | %.1f MB | — | — | target ≤ 20 MB |\n", float64(idleRSS)/1024)
	fmt.Printf("| RSS after the load | %.1f MB | — | — | |\n", float64(loadedRSS)/1024)
	fmt.Printf("| start to listening (median of 5) | %s | — | — | target < 200 ms |\n", ms(starts[2]))
	var img1, img32 imageRun
	if *imageKB > 0 {
		// After every row above, so that their figures (RSS after the load
		// included) are what they were without these rounds.
		data := imagePayload(*imageKB << 10)
		img := func(w, i int) *http.Request { return imageSend(base, password, w, i, data) }
		img1 = imageRounds(p, *rounds, *duration, sendPhase(1, send), func(d time.Duration) result { return loadReq(1, d, img, okEnvelope) })
		img32 = imageRounds(p, *rounds, *duration, sendPhase(32, send), func(d time.Duration) result { return loadReq(32, d, img, okEnvelope) })
		for _, r := range []struct {
			conns string
			run   imageRun
		}{{"1 connection", img1}, {"32 connections", img32}} {
			fmt.Printf("| QQAP send with a %d KB image (POST JSON, base64), %s | %s | — | — | %.2fx plain text (median of %d alternated rounds; plain %.0f/s) |\n",
				*imageKB, r.conns, r.run.image, r.run.ratio, *rounds, r.run.textPerSec)
		}
		peak := max(img1.peakRSS, img32.peakRSS)
		fmt.Printf("| RSS during the image sends (peak) | %.1f MB | — | — | %.2fx the RSS after the plain-text load |\n", float64(peak)/1024, float64(peak)/float64(loadedRSS))
	}
	var pr pruneRun
	if *prune > 0 {
		// Last but the backlog: a restart, on a database whose every row so
		// far stays, plus the old ones. The server lock wants p stopped first.
		p.stop()
		if p, pr, err = pruneRounds(db, password, *prune, *duration, *sendRounds); err != nil {
			return err
		}
		defer p.stop()
		pr.print(*prune, *duration)
	}
	var gr growthRun
	if len(sizes) > 0 {
		if gr, err = growthRounds(dir, growthBase, password, sizes, *duration, *sendRounds); err != nil {
			return err
		}
		gr.print(*duration, *sendRounds)
	}
	var bl backlogRun
	if *backlog {
		// Last: it leaves thousands of messages queued on the slow channel.
		full, normal := sendPhase(1, refSend("full")), sendPhase(1, refSend("normal"))
		if bl, err = backlogRounds(p, db, password, full, normal); err != nil {
			return err
		}
		bl.print()
	}
	fmt.Printf("\nerrors: botgate send %d/%d, query %d/%d, message lookup %d, FULL %d/%d, NORMAL %d/%d", bg1.errors, bg32.errors, q1.errors, q32.errors, msg1.errors,
		c1[1].all.errors, c32[1].all.errors, c1[2].all.errors, c32[2].all.errors)
	if *imageKB > 0 {
		fmt.Printf(", image send %d/%d", img1.image.errors, img32.image.errors)
	}
	if *prune > 0 {
		fmt.Printf(", send during/after the prune %d/%d", pr.during.all.errors, pr.after.all.errors)
	}
	if len(sizes) > 0 {
		var e1, e32 int
		for i := range sizes {
			e1, e32 = e1+gr.c1[i].all.errors, e32+gr.c32[i].all.errors
		}
		fmt.Printf(", growth sends %d/%d, growth message lookup %d", e1, e32, gr.lookup.errors)
	}
	if *backlog {
		fmt.Printf(", send with the backlog %d (FULL %d, NORMAL %d, the backlog client %d)", bl.c1[0].all.errors, bl.c1[1].all.errors, bl.c1[2].all.errors, bl.sender.errors)
	}
	fmt.Printf("; phase length %s; %d CPUs\n", *duration, numCPU())
	if *backlog && bl.stalled() {
		fmt.Printf("\nBUG: %d of the %d messages acknowledged on the default channel were still not delivered %.1f s after the sends, while %d messages waited on the rate-limited channel %q: one channel's backlog holds back another's deliveries.\n",
			bl.pending, bl.acked, bl.waited.Seconds(), bl.queued, slowChannel)
	}
	return nil
}

// prefillBatch is the rows of one INSERT … SELECT in prefillState. Each batch
// commits and is checkpointed before the next, so the WAL holds one batch,
// not all of them. Measured on a busy 2-CPU machine at 5M rows (-prefill
// 5000000): one statement per table took 22.3 s and grew the WAL to 479 MB
// beside the 788 MB database; batches of 1M took 16.8 s with a 96 MB WAL.
// The bench's RSS stays near 13 MB either way (the CTE streams its rows and
// SQLite's page cache is bounded), so the batching is for the disk, and time.
const prefillBatch = 1_000_000

// prefillState puts n delivered messages in the outbox and n rows in the
// request log of the (stopped) state database, the way a database looks after
// months of use: INSERT … SELECT from a recursive CTE, prefillBatch rows at a
// time. The rows are one a millisecond, the last of them age before now: with
// age 0 they are recent and the retention prune leaves them; older than the
// retention window, the prune at the next start deletes them.
func prefillState(path string, n int, age time.Duration) error {
	db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	end := time.Now().Add(-age).UnixMilli()
	for lo := 1; lo <= n; lo += prefillBatch {
		hi := min(lo+prefillBatch-1, n)
		// ?1..?2: this batch's rows; row i of n is at ?4 - ?3 + i (ms).
		for _, q := range []string{
			`WITH RECURSIVE s(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM s WHERE i < ?2)
			INSERT INTO outbox (channel, target_kind, target, content, status, attempts, next_attempt_at, created_at, delivered_at, api_user)
			SELECT 'log', 'user', CAST(20000 + i % 1000 AS TEXT), 'prefill ' || i, 'delivered', 1, ?4 - ?3 + i, ?4 - ?3 + i, ?4 - ?3 + i, 'demo' FROM s`,
			`WITH RECURSIVE s(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM s WHERE i < ?2)
			INSERT INTO request_log (at, remote, method, path, api_user, action, errcode, duration_us)
			SELECT ?4 - ?3 + i, '127.0.0.1', 'GET', '/', 'demo', 'send', 0, 300 FROM s`,
		} {
			if _, err := db.Exec(q, lo, hi, n, end); err != nil {
				return err
			}
		}
		if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			return err
		}
	}
	return nil
}

// benchConfig is the file the bench imports into the demo's database: the
// keyword query template, and the retention setting the -prune rows are old
// under (30 days is the default; written out so the scenario does not depend
// on it).
func benchConfig() []byte {
	f := map[string]any{
		"templates": []map[string]any{{"keyword": "查询", "kind": "query", "sql": "SELECT xtuser, name, qq, dept FROM bench_staff WHERE qq = '{{来源QQ}}'"}},
	}
	if *backlog {
		f["channels"] = []map[string]any{{"name": slowChannel, "type": "log", "rate_per_minute": slowPerMinute, "config": map[string]any{}}}
	}
	if *prune > 0 {
		f["settings"] = map[string]any{"log_retention_days": retentionDays}
	}
	b, _ := json.Marshal(f)
	return b
}

// retentionDays is log_retention_days in the bench's database, and pruneAge
// the age of the -prune rows: well past it (the setting allows 1–3650 days).
const (
	retentionDays = 30
	pruneAge      = 400 * 24 * time.Hour
)

// pruneRun is the startup-prune scenario's outcome.
type pruneRun struct {
	during, after side
	start         time.Duration // exec to listening, the old rows in place
	took          time.Duration // exec to the last "pruned" line, or to no old row left
	logged        bool          // took is from the log lines (else from polling the database)
	straddled     bool          // the phase the prune ended in was left out of during
	left          int64         // old rows left at the end: 0 once the prune is done
}

// pruneRounds puts n old rows in the outbox and n in the request log of the
// stopped server's database, starts it again and runs 1-connection send
// phases of d/2 back to back, from the moment it listens until its startup
// prune has deleted them all, then after phases more. The two sets cannot
// alternate (there is one startup prune). It returns the running server.
func pruneRounds(dbPath, password string, n int, d time.Duration, after int) (*proc, pruneRun, error) {
	t := time.Now()
	if err := prefillState(dbPath, n, pruneAge); err != nil {
		return nil, pruneRun{}, fmt.Errorf("prune prefill: %w", err)
	}
	fmt.Fprintf(os.Stderr, "bench: pre-filled %d old rows in the outbox and the request log in %s\n", n, time.Since(t).Round(time.Millisecond))
	p, err := startProc(*botgateBin, "--db", dbPath, "serve", "--listen", "127.0.0.1:0")
	if err != nil {
		return nil, pruneRun{}, err
	}
	pr := pruneRun{start: p.start}
	c1 := sendPhase(1, qqapSend("http://"+p.addr+"/?", password, "", 10000))
	oldRows := func() int64 {
		cut := time.Now().AddDate(0, 0, -retentionDays).UnixMilli()
		n, err := queryInt(dbPath, `SELECT (SELECT COUNT(*) FROM outbox WHERE created_at < ?1) + (SELECT COUNT(*) FROM request_log WHERE at < ?1)`, cut)
		if err != nil {
			return -1
		}
		return n
	}
	// Both tables' lines: the prune does the request log first and the
	// finished messages last. The database is polled only between phases, as
	// the fallback if a line is missed: a reader during a phase would weigh on it.
	logged := func() bool {
		a, ok1 := p.prunedAt("request log")
		b, ok2 := p.prunedAt("finished messages")
		pr.took = max(a, b)
		return ok1 && ok2
	}
	var during []result
	var ends []time.Duration // from exec, the end of each phase in during
	deadline := time.Now().Add(10 * time.Minute)
	for {
		during = append(during, c1(d/2))
		ends = append(ends, time.Since(p.t0))
		if pr.logged = logged(); pr.logged {
			break
		}
		if pr.left = oldRows(); pr.left == 0 {
			pr.took = time.Since(p.t0)
			break
		}
		if time.Now().After(deadline) {
			break // pr.left > 0 says so
		}
	}
	// The phase the prune ended in is mostly after it when the prune is
	// short; it counts only when no phase ran wholly within the prune.
	if i := slices.IndexFunc(ends, func(e time.Duration) bool { return e > pr.took }); i > 0 {
		during, pr.straddled = during[:i], true
	}
	var afters []result
	for range max(after, 1) {
		afters = append(afters, c1(d/2))
	}
	pr.during, pr.after = sideOf(during), sideOf(afters)
	pr.left = oldRows() // 0 unless the prune stopped short
	return p, pr, nil
}

// print is the scenario's rows of the table.
func (pr pruneRun) print(n int, d time.Duration) {
	took := fmt.Sprintf("%.2f s (its log lines)", pr.took.Seconds())
	if !pr.logged {
		took = fmt.Sprintf("%.2f s (old rows gone, polled between phases)", pr.took.Seconds())
	}
	if pr.left != 0 {
		took = fmt.Sprintf("NOT finished: %d old rows left", pr.left)
	}
	phases := fmt.Sprintf("%d phase(s) of %s wholly within it, the one it ended in left out", len(pr.during.roundsPerSec), d/2)
	if !pr.straddled {
		phases = fmt.Sprintf("%d phase(s) of %s begun while it ran, the last running past its end", len(pr.during.roundsPerSec), d/2)
	}
	fmt.Printf("| QQAP send, 1 connection, during the startup prune of %d + %d rows %d days old | %s | — | — | %.2fx the sends/s after it, p99 %.2fx after's (%s); prune took %s; start to listening %s |\n",
		n, n, int(pruneAge.Hours()/24), pr.during, pr.during.perSec/pr.after.perSec, float64(pr.during.p99)/float64(pr.after.p99), phases, took, ms(pr.start))
	fmt.Printf("| QQAP send, 1 connection, after the prune | %s | — | — | median of %d phases of %s |\n", pr.after, len(pr.after.roundsPerSec), d/2)
	fmt.Printf("| rounds, prune: sends/s | during %s; after %s | — | — | |\n", roundsList(pr.during.roundsPerSec, ""), roundsList(pr.after.roundsPerSec, ""))
	fmt.Printf("| rounds, prune: p99 ms | during %s; after %s | — | — | |\n", roundsList(pr.during.roundsP99, "ms"), roundsList(pr.after.roundsP99, "ms"))
}

// The backlog scenario's channel, and its recipients (QQ numbers from
// backlogQQ) and the measured connection's one recipient, apart from every
// other phase's so that its rows can be counted at the end.
const (
	slowChannel   = "slow"
	slowPerMinute = 60
	backlogQQ     = 30000
	measuredQQ    = 40000
	backlogConns  = 4 // enough that the backlog client keeps its rate when a send is slow
)

// backlogRun is the backlog scenario's outcome.
type backlogRun struct {
	c1        []side        // 1 connection: BotGate with the backlog growing, FULL, NORMAL
	sender    result        // the backlog client's phases merged: its count and errors (its latencies include its pacing)
	queued    int64         // the slow channel's messages still queued after the rounds
	acked     int           // the measured connection's acknowledged sends, all to the default channel
	delivered int64         // how many of its messages were delivered, after waiting
	pending   int64         // how many were still queued then
	waited    time.Duration // from the end of the rounds to that count
	maxLag    time.Duration // the longest queued-to-delivered among its delivered messages
}

// stalled tells whether the default channel's messages were held back.
func (b backlogRun) stalled() bool { return b.pending > 0 || b.delivered < int64(b.acked) }

// backlogRounds runs the 1-connection send rounds again, with a second
// client sending to the rate-limited channel during the BotGate phases, so
// that channel's queue grows by -backlog-rate × d/2 a round while the
// measured connection sends to the default channel. The backlog client is
// paused during the FULL and NORMAL phases: the references have no queue to
// fill, and it would only load the machine under them. Then it waits up to
// 10 s for the measured connection's messages to be delivered: a channel
// held to 60 a minute must not hold back another channel's deliveries.
func backlogRounds(p *proc, dbPath, password string, full, normal func(time.Duration) result) (backlogRun, error) {
	base := "http://" + p.addr + "/?"
	measured := sendPhase(1, qqapSend(base, password, "", measuredQQ))
	slow := qqapSend(base, password, slowChannel, backlogQQ)
	toward := func(w, k int) string { return slow(k%max(*backlogTo, 1), k) } // the recipient rotates with the sequence
	var senders []result
	withBacklog := func(d time.Duration) result {
		done := make(chan result)
		go func() { done <- load(backlogConns, d, paced(backlogConns, *backlogRate, toward), okEnvelope) }()
		r := measured(d)
		senders = append(senders, <-done)
		return r
	}
	var b backlogRun
	b.c1 = roundsOf(*sendRounds, *duration, withBacklog, full, normal)
	b.sender = merge(senders...)
	b.acked = b.c1[0].all.reqs
	var err error
	if b.queued, err = queryInt(dbPath, `SELECT COUNT(*) FROM outbox WHERE channel = ? AND status IN ('queued', 'sending')`, slowChannel); err != nil {
		return b, err
	}
	to := strconv.Itoa(measuredQQ)
	t := time.Now()
	for {
		if b.delivered, err = queryInt(dbPath, `SELECT COUNT(*) FROM outbox WHERE channel = 'log' AND target = ? AND status = 'delivered'`, to); err != nil {
			return b, err
		}
		if b.delivered >= int64(b.acked) || time.Since(t) > 10*time.Second {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.waited = time.Since(t)
	if b.pending, err = queryInt(dbPath, `SELECT COUNT(*) FROM outbox WHERE channel = 'log' AND target = ? AND status IN ('queued', 'sending')`, to); err != nil {
		return b, err
	}
	lag, err := queryInt(dbPath, `SELECT COALESCE(MAX(delivered_at - created_at), 0) FROM outbox WHERE channel = 'log' AND target = ? AND status = 'delivered'`, to)
	b.maxLag = time.Duration(lag) * time.Millisecond
	return b, err
}

// paced spaces next's requests so that conns workers together make perSec
// a second, counted from now: worker w's i-th request waits for slot
// i*conns + w, which is the k next is called with. A worker behind its
// slots does not wait, and catches up.
func paced(conns, perSec int, next func(w, k int) string) func(w, i int) string {
	t0 := time.Now()
	every := time.Second / time.Duration(max(perSec, 1))
	return func(w, i int) string {
		k := i*conns + w
		time.Sleep(time.Until(t0.Add(time.Duration(k) * every)))
		return next(w, k)
	}
}

// print is the scenario's rows of the table.
func (b backlogRun) print() {
	bg := b.c1[0]
	fmt.Printf("| QQAP send, 1 connection, while another client adds %d/s to channel %q (%d/min, %d recipients; during the BotGate phases only) | %s | %s | %s | %.2fx FULL sends/s (≥ 0.9x: %s), p99 %.2fx FULL's (≤ 1.5x: %s) |\n",
		*backlogRate, slowChannel, slowPerMinute, max(*backlogTo, 1), bg, b.c1[1], b.c1[2], bg.ratioFull, met(bg.ratioFull >= 0.9), bg.ratioFullP99, met(bg.ratioFullP99 <= 1.5))
	fmt.Printf("| rounds, backlog: sends/s | %s | %s | %s | |\n", roundsList(bg.roundsPerSec, ""), roundsList(b.c1[1].roundsPerSec, ""), roundsList(b.c1[2].roundsPerSec, ""))
	fmt.Printf("| rounds, backlog: p99 ms | %s | %s | %s | |\n", roundsList(bg.roundsP99, "ms"), roundsList(b.c1[1].roundsP99, "ms"), roundsList(b.c1[2].roundsP99, "ms"))
	fmt.Printf("| backlog of channel %q after the rounds | %d queued (the backlog client sent %d) | — | — | |\n", slowChannel, b.queued, b.sender.reqs)
	verdict := "all delivered: met"
	if b.stalled() {
		verdict = fmt.Sprintf("**BUG: %d still queued behind the backlog**", b.pending)
	}
	fmt.Printf("| default channel delivered while the backlog waits | %d of %d acknowledged sends (counted %.1f s after the rounds), the slowest queued to delivered in %s | — | — | %s |\n",
		b.delivered, b.acked, b.waited.Seconds(), ms(b.maxLag), verdict)
}

// messageLookups is GET /api/v1/messages/{id} at 1 connection for d, on
// random ids of the rows in the outbox now (pre-filled and sent).
func messageLookups(p *proc, dbPath, password string, d time.Duration) (result, error) {
	maxID, err := queryInt(dbPath, `SELECT COALESCE(MAX(id), 0) FROM outbox`)
	if err != nil || maxID == 0 {
		return result{}, fmt.Errorf("message lookups: no rows (%v)", err)
	}
	base := "http://" + p.addr + "/api/v1/messages/"
	return loadReq(1, d, func(w, i int) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, base+strconv.FormatInt(1+rand.Int64N(maxID), 10), nil)
		req.SetBasicAuth("demo", password)
		return req
	}, func(b []byte) bool { return bytes.Contains(b, []byte(`"status"`)) }), nil
}

// queryInt is the one number q answers on the state database, opened read
// only: the server running on it is not disturbed beyond a WAL reader.
func queryInt(dbPath, q string, args ...any) (int64, error) {
	db, err := sql.Open("sqlite", dbPath+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int64
	err = db.QueryRow(q, args...).Scan(&n)
	return n, err
}

// imagePayload is n bytes that a server takes for a PNG: the signature, then
// random bytes, which like a photo's do not compress.
func imagePayload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rand.IntN(256))
	}
	copy(b, "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	return []byte(base64.StdEncoding.EncodeToString(b))
}

// imageSend is a QQAP POST with a JSON body carrying b64 as base64://, the
// way an ERP sends a picture; the body is streamed from its parts.
func imageSend(base, password string, w, i int, b64 []byte) *http.Request {
	head := fmt.Sprintf(`{"qq":"%d","content":"bench image %d","image":"base64://`, 10000+w, i)
	tail := `"}`
	body := io.MultiReader(strings.NewReader(head), bytes.NewReader(b64), strings.NewReader(tail))
	req, _ := http.NewRequest(http.MethodPost, base+url.Values{"Access_token": {password}, "user": {"demo"}}.Encode(), body)
	req.ContentLength = int64(len(head) + len(b64) + len(tail))
	req.Header.Set("Content-Type", "application/json")
	return req
}

// imageRun is the outcome of the attachment rounds at one concurrency.
type imageRun struct {
	image      result  // the image phases merged (sends/s, p50, p99)
	textPerSec float64 // median sends/s of the plain-text phases
	ratio      float64 // median of each round's image/plain-text sends/s
	peakRSS    int     // KB, the highest RSS sampled during an image phase
}

// imageRounds runs n rounds of a plain-text and an image phase of d/2 each,
// in alternating order (T I, I T, …), so that the machine's drift weighs on
// both alike; the ratio is the median of the rounds' own ratios, which on a
// busy machine is steadier than either figure alone.
func imageRounds(p *proc, n int, d time.Duration, text, img func(time.Duration) result) imageRun {
	var images []result
	var ratios, textRates []float64
	peak := 0
	for i := 0; i < n; i++ {
		var t, im result
		sampled := func() result {
			stop := make(chan struct{})
			done := make(chan int)
			go func() {
				m := p.rssKB()
				tick := time.NewTicker(50 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-tick.C:
						m = max(m, p.rssKB())
					case <-stop:
						done <- max(m, p.rssKB())
						return
					}
				}
			}()
			r := img(d / 2)
			close(stop)
			peak = max(peak, <-done)
			return r
		}
		if i%2 == 0 {
			t, im = text(d/2), sampled()
		} else {
			im, t = sampled(), text(d/2)
		}
		images = append(images, im)
		textRates = append(textRates, t.perSec)
		if t.perSec > 0 {
			ratios = append(ratios, im.perSec/t.perSec)
		}
	}
	return imageRun{image: merge(images...), textPerSec: median(textRates), ratio: median(ratios), peakRSS: peak}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func numCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
}
