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
	// Spin until /proc shows 50 ms more (it counts in 10 ms ticks); on a
	// busy machine that takes longer than 50 ms of wall time.
	var after time.Duration
	for deadline := time.Now().Add(10 * time.Second); ; {
		if after, err = CPU(pid); err != nil {
			t.Fatal(err)
		}
		if after-before >= 50*time.Millisecond {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s of spinning counted as %v of CPU", after-before)
		}
	}
	if after < before {
		t.Fatalf("CPU went back from %v to %v", before, after)
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
