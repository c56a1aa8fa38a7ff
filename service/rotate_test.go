package service

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRotatingFile_RotatesAtSizeAndKeepsN(t *testing.T) {
	path := filepath.Join(t.TempDir(), "botgate.log")
	r, err := OpenRotating(path, 100, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	line := func(i int) string { return fmt.Sprintf("line %02d %s\n", i, strings.Repeat("x", 30)) } // 40 bytes
	for i := range 10 {
		if _, err := r.Write([]byte(line(i))); err != nil {
			t.Fatal(err)
		}
	}
	// 2 lines per file (a third would pass 100 bytes): 8,9 current; 6,7 in .1; 4,5 in .2; older dropped.
	want := map[string]string{path: line(8) + line(9), path + ".1": line(6) + line(7), path + ".2": line(4) + line(5)}
	for p, w := range want {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != w {
			t.Errorf("%s = %q, want %q", filepath.Base(p), b, w)
		}
	}
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Errorf("kept more than 2 old files: %v", err)
	}
}

func TestRotatingFile_ReopenAppendsAndCountsExistingSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "botgate.log")
	os.WriteFile(path, []byte(strings.Repeat("a", 90)), 0o600)
	r, err := OpenRotating(path, 100, 1)
	if err != nil {
		t.Fatal(err)
	}
	r.Write([]byte("0123456789AB")) // 90+12 > 100: rotates first
	r.Close()
	if b, _ := os.ReadFile(path); string(b) != "0123456789AB" {
		t.Errorf("current = %q", b)
	}
	if b, _ := os.ReadFile(path + ".1"); len(b) != 90 {
		t.Errorf("rotated = %d bytes, want the 90 existing ones", len(b))
	}
}

func TestRotatingFile_OversizedWriteGoesInWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "botgate.log")
	r, _ := OpenRotating(path, 10, 1)
	big := strings.Repeat("z", 50)
	if n, err := r.Write([]byte(big)); err != nil || n != 50 {
		t.Fatalf("Write = %d, %v", n, err)
	}
	r.Close()
	if b, _ := os.ReadFile(path); string(b) != big {
		t.Errorf("file = %q", b)
	}
	if _, err := r.Write([]byte("late")); err == nil {
		t.Error("write after Close succeeded")
	}
}
