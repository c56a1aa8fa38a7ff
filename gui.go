//go:build !nogui

package main

import (
	"fmt"
	"io"
)

// runGUI opens the window. Until the window lands, the default build behaves like
// the headless one and points at serve.
func runGUI(g *globals, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "窗口界面尚未包含在此版本中。请运行 botgate serve 启动服务，或 botgate --help 查看用法。")
	return 2
}
