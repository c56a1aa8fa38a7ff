// Package procstat reads what a process has spent so far from Linux's /proc,
// for the benchmarks: CPU time, resident memory and the bytes it dirtied for
// the disk. Elsewhere every call returns an error.
package procstat

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// CPU is the process's user plus system time so far, all threads.
func CPU(pid int) (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command's closing parenthesis (which may hold
	// spaces): utime and stime are the 12th and 13th, in clock ticks of
	// 1/100 s (USER_HZ, 100 on every Linux this runs on).
	rest := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(rest) < 13 {
		return 0, errors.New("procstat: short /proc/PID/stat")
	}
	utime, err1 := strconv.ParseInt(rest[11], 10, 64)
	stime, err2 := strconv.ParseInt(rest[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// WriteBytes is write_bytes from /proc/PID/io: each page of the page cache
// the process dirtied, whether or not an fsync followed.
func WriteBytes(pid int) (int64, error) {
	return field(fmt.Sprintf("/proc/%d/io", pid), "write_bytes:")
}

// RSSKB is the process's resident memory (VmRSS) in KB.
func RSSKB(pid int) (int64, error) {
	return field(fmt.Sprintf("/proc/%d/status", pid), "VmRSS:")
}

// field returns the first number after name on its line of path.
func field(path, name string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name); ok {
			f := strings.Fields(v)
			if len(f) == 0 {
				break
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("procstat: no %s in %s", name, path)
}
