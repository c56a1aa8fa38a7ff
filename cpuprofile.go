package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"runtime/trace"
)

// startCPUProfile writes a CPU profile of serve (or the window) to the file
// named by BOTGATE_CPUPROFILE, for the benchmark's profiling (README, 性能);
// BOTGATE_TRACE likewise writes an execution trace (go tool trace): where
// a request waited (the writer, a thread, the scheduler), which a CPU
// profile does not show. Unset, which is the default, they do nothing. They
// end when serve returns.
func startCPUProfile(stderr io.Writer) (stop func()) {
	stopTrace := startRecording(stderr, "BOTGATE_TRACE", "执行跟踪", trace.Start, trace.Stop)
	stopCPU := startRecording(stderr, "BOTGATE_CPUPROFILE", "CPU 性能记录", pprof.StartCPUProfile, pprof.StopCPUProfile)
	return func() { stopCPU(); stopTrace() }
}

// startRecording starts a recording into the file named by env, if set.
func startRecording(stderr io.Writer, env, what string, start func(io.Writer) error, end func()) (stop func()) {
	path := os.Getenv(env)
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(stderr, "无法创建文件 %s（%s）：%v（检查 %s 指向的文件夹可写）\n", path, what, err, env)
		return func() {}
	}
	if err := start(f); err != nil {
		f.Close()
		fmt.Fprintf(stderr, "无法开始%s：%v\n", what, err)
		return func() {}
	}
	return func() {
		end()
		f.Close()
	}
}
