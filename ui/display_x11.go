//go:build linux || freebsd || openbsd || netbsd

package ui

import "os"

// NoDisplay says why no window can open here: a server reached over SSH has
// no X11 or Wayland display, and Fyne would panic trying.
func NoDisplay() string {
	if os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != "" {
		return ""
	}
	return "没有图形界面（DISPLAY 和 WAYLAND_DISPLAY 都没有设置），无法打开窗口。在服务器上请用 botgate serve 在前台运行，" +
		"或用 botgate service install 安装为系统服务；无界面版 botgate-linux-amd64-nogui 不需要图形界面。"
}
