//go:build nogui

package main

import (
	"fmt"
	"io"

	"botgate/internal/cli"
)

// runGUI: the headless build has no window; say what to run instead.
func runGUI(g *cli.Globals, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "这是无界面版本(nogui)，没有窗口。请运行 botgate serve 启动服务，或 botgate --help 查看用法。")
	return 2
}
