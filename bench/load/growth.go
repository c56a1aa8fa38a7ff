package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

var growth = flag.String("growth", "", "comma-separated row counts, e.g. 1000000,5000000: a copy of the state database for each (and one with no rows) pre-filled with that many delivered messages and request log rows, one server on each, and the sends of each size in rounds rotated over them, so that the sizes are compared in one run, on the same minute of the machine (empty: no growth rounds)")

// growthSizes parses -growth into the row counts to compare with an empty
// database (0 first, always).
func growthSizes(s string) ([]int, error) {
	sizes := []int{0}
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("-growth: %q is not a positive row count", f)
		}
		sizes = append(sizes, n)
	}
	if len(sizes) < 2 {
		return nil, fmt.Errorf("-growth: no row count in %q", s)
	}
	return sizes, nil
}

// growthRun is the sends on databases of each size, the same rounds.
type growthRun struct {
	sizes     []int
	c1, c32   []side
	lookup    result // GET /api/v1/messages/{id} on the largest
	prefilled []time.Duration
}

// growthRounds copies base (a stopped, configured state database with no
// messages yet) once for each size, pre-fills the copies, starts a server
// on each, then runs rounds of sends rotated over them: each round a phase
// of d/2 on every size, the order turned each round as roundsOf does.
// Every server runs the whole time (idle but for its phases), so none pays
// for a start in its rounds; the ratio of a size to the empty database is
// the median of the rounds' own ratios.
func growthRounds(dir, base, password string, sizes []int, d time.Duration, n int) (growthRun, error) {
	g := growthRun{sizes: sizes}
	var procs []*proc
	defer func() {
		for _, p := range procs {
			p.stop()
		}
	}()
	var c1, c32 []func(time.Duration) result
	var largest *proc
	var largestDB string
	for _, size := range sizes {
		db := filepath.Join(dir, fmt.Sprintf("growth-%d.db", size))
		if err := copyFile(base, db); err != nil {
			return g, err
		}
		t := time.Now()
		if size > 0 {
			if err := prefillState(db, size, 0); err != nil {
				return g, fmt.Errorf("growth prefill %d: %w", size, err)
			}
		}
		g.prefilled = append(g.prefilled, time.Since(t))
		p, err := startProc(*botgateBin, "--db", db, "serve", "--listen", "127.0.0.1:0")
		if err != nil {
			return g, err
		}
		procs = append(procs, p)
		send := qqapSend("http://"+p.addr+"/?", password, "", 10000)
		c1 = append(c1, sendPhase(1, send))
		c32 = append(c32, sendPhase(32, send))
		largest, largestDB = p, db
	}
	time.Sleep(time.Second) // the starts' own writes settle
	g.c1 = rotated(n, d, c1...)
	g.c32 = rotated(n, d, c32...)
	var err error
	g.lookup, err = messageLookups(largest, largestDB, password, d)
	return g, err
}

// rotated runs n rounds of every side, each phase d/2, the order turned
// each round (roundsOf adds the ratios to the references).
func rotated(n int, d time.Duration, sides ...func(time.Duration) result) []side {
	runs := make([][]result, len(sides))
	for i := 0; i < n; i++ {
		for k := range sides {
			j := (i + k) % len(sides)
			runs[j] = append(runs[j], sides[j](d/2))
		}
	}
	out := make([]side, len(sides))
	for j, rs := range runs {
		out[j] = sideOf(rs)
	}
	return out
}

// roundRatios is the median over rounds of s's sends/s and p99 each
// divided by base's in the same round (rounds where base has none are left
// out).
func roundRatios(s, base side) (perSec, p99 float64) {
	var rs, rp []float64
	for i := range s.roundsPerSec {
		if base.roundsPerSec[i] > 0 && base.roundsP99[i] > 0 {
			rs = append(rs, s.roundsPerSec[i]/base.roundsPerSec[i])
			rp = append(rp, s.roundsP99[i]/base.roundsP99[i])
		}
	}
	return median(rs), median(rp)
}

// within10 is the growth target: a bigger database sends no more than 10%
// slower, and its p99 is no more than 10% higher, than the empty one.
func within10(perSec, p99 float64) bool { return perSec >= 0.9 && p99 <= 1.1 }

func (g growthRun) print(d time.Duration, n int) {
	fmt.Printf("\nGrowth: the same sends on a database with 0 rows and with %s pre-filled messages and request log rows, one server on each, %d rounds of a phase of %s on every size in rotating order; a ratio is the median of the rounds' own ratios to the empty database.\n\n", rowList(g.sizes[1:]), n, d/2)
	fmt.Printf("| rows already there | pre-fill | 1 connection | ratio to 0 rows | 32 connections | ratio to 0 rows | within 10%% (sends/s ≥ 0.9x, p99 ≤ 1.1x) |\n|---|---|---|---|---|---|---|\n")
	for i, size := range g.sizes {
		r1s, r1p := roundRatios(g.c1[i], g.c1[0])
		r32s, r32p := roundRatios(g.c32[i], g.c32[0])
		verdict := "—"
		if i > 0 {
			verdict = fmt.Sprintf("1 connection: %s, 32 connections: %s", met(within10(r1s, r1p)), met(within10(r32s, r32p)))
		}
		fmt.Printf("| %s | %s | %s | %.2fx sends/s, %.2fx p99 | %s | %.2fx sends/s, %.2fx p99 | %s |\n",
			rowList([]int{size}), g.prefilled[i].Round(100*time.Millisecond), g.c1[i], r1s, r1p, g.c32[i], r32s, r32p, verdict)
	}
	for _, r := range []struct {
		name string
		s    []side
	}{{"1 connection", g.c1}, {"32 connections", g.c32}} {
		var sends, p99s []string
		for i := range g.sizes {
			sends = append(sends, roundsList(r.s[i].roundsPerSec, ""))
			p99s = append(p99s, roundsList(r.s[i].roundsP99, "ms"))
		}
		fmt.Printf("| rounds, %s: sends/s (by size) | | %s | | | | |\n", r.name, strings.Join(sends, " · "))
		fmt.Printf("| rounds, %s: p99 ms (by size) | | %s | | | | |\n", r.name, strings.Join(p99s, " · "))
	}
	fmt.Printf("| GET /api/v1/messages/{id} at %s rows, random ids, 1 connection | | %s | | | | p99 ≤ 2 ms: %s |\n",
		rowList(g.sizes[len(g.sizes)-1:]), g.lookup, met(g.lookup.p99 <= 2*time.Millisecond))
}

func rowList(ns []int) string {
	var s []string
	for _, n := range ns {
		switch {
		case n >= 1_000_000 && n%1_000_000 == 0:
			s = append(s, fmt.Sprintf("%d M", n/1_000_000))
		case n >= 1000 && n%1000 == 0:
			s = append(s, fmt.Sprintf("%d k", n/1000))
		default:
			s = append(s, strconv.Itoa(n))
		}
	}
	return strings.Join(s, " and ")
}

// copyFile copies the stopped database file src to dst. A clean stop
// leaves no WAL behind, and one that is there is copied with it.
func copyFile(src, dst string) error {
	for _, suffix := range []string{"", "-wal"} {
		in, err := os.Open(src + suffix)
		if suffix != "" && os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		out, err := os.Create(dst + suffix)
		if err != nil {
			in.Close()
			return err
		}
		_, err = io.Copy(out, in)
		in.Close()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
