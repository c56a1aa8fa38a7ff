package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"runtime/trace"
)

// startCPUProfile writes a CPU profile of serve (or the window) to the file named by
// BOTGATE_CPUPROFILE, for the benchmark's profiling (README, 性能); unset,
// which is the default, it does nothing. The profile ends when serve returns.
// BOTGATE_TRACE likewise writes an execution trace (go tool trace): where
// a request waited (the writer, a thread, the scheduler), which a CPU
// profile does not show.
func startCPUProfile(stderr io.Writer) (stop func()) {
	stopTrace := startTrace(stderr)
	stopCPU := startCPU(stderr)
	return func() { stopCPU(); stopTrace() }
}

func startTrace(stderr io.Writer) (stop func()) {
	path := os.Getenv("BOTGATE_TRACE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(stderr, "无法创建执行跟踪文件 %s：%v（检查 BOTGATE_TRACE 指向的文件夹可写）\n", path, err)
		return func() {}
	}
	if err := trace.Start(f); err != nil {
		f.Close()
		fmt.Fprintf(stderr, "无法开始执行跟踪：%v\n", err)
		return func() {}
	}
	return func() {
		trace.Stop()
		f.Close()
	}
}

func startCPU(stderr io.Writer) (stop func()) {
	path := os.Getenv("BOTGATE_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(stderr, "无法创建 CPU 性能文件 %s：%v（检查 BOTGATE_CPUPROFILE 指向的文件夹可写）\n", path, err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		fmt.Fprintf(stderr, "无法开始 CPU 性能记录：%v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
