//go:build linux

package procstat

import (
	"os"
	"testing"
	"time"
)

func TestReadsThisProcess(t *testing.T) {
	pid := os.Getpid()
	before, err := CPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); time.Since(start) < 150*time.Millisecond; {
	} // spin: user time only moves in 10 ms ticks
	after, err := CPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	if d := after - before; d < 50*time.Millisecond || d > 10*time.Second {
		t.Fatalf("150 ms of spinning counted as %v of CPU", d)
	}
	if kb, err := RSSKB(pid); err != nil || kb < 1024 {
		t.Fatalf("RSS %d KB, %v", kb, err)
	}
	// write_bytes itself is not checked against a write: on tmpfs (a
	// TMPDIR in memory) nothing is written for the disk.
	if w, err := WriteBytes(pid); err != nil || w < 0 {
		t.Fatalf("write_bytes %d, %v", w, err)
	}
}

func TestNoSuchProcess(t *testing.T) {
	const gone = 1 << 30 // above pid_max
	if _, err := CPU(gone); err == nil {
		t.Fatal("CPU of a process that does not exist: no error")
	}
	if _, err := RSSKB(gone); err == nil {
		t.Fatal("RSS of a process that does not exist: no error")
	}
}
