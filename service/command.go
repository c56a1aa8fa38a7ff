package service

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"botgate/internal/cli"
	"botgate/storage"
)

// help is `botgate service -h`. --report, which the window uses, is left
// out: it is no use to an admin. The default database it names is the
// service commands' own (DefaultDB: on Windows the machine-wide one under
// %ProgramData%, not the admin's %APPDATA% that other commands use).
func help() string {
	return `用法：botgate [--db 路径] service install [--start]|uninstall|start|stop|status

每个数据库可以安装成一个系统服务，开机时自动启动：
  install [--start]   安装系统服务（需要管理员权限）；--start 同时立即启动
  uninstall           卸载系统服务（数据库、配置和日志文件都保留）
  start               启动服务，等它开始监听
  stop                停止服务，等它关闭数据库
  status              查看服务状态（没有安装服务时，数据库必须已存在）

` + cli.GlobalHelpFor(DefaultDB(cli.DefaultDB()))
}

// Command runs `botgate service ACTION` (args: ACTION and its flags)
// against the real service manager and returns the exit code. g holds the
// global flags given before "service"; they may also follow the action.
func Command(g cli.Globals, args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		return cli.UsageError(stderr, "缺少 service 子命令", help())
	case cli.IsHelp(args[0]):
		fmt.Fprint(stdout, help())
		return 0
	}
	fs := flag.NewFlagSet("service "+args[0], flag.ContinueOnError)
	g.Register(fs)
	// --report: the window runs these commands with administrator rights in a
	// process whose output it cannot see, so the outcome goes to this file.
	report := fs.String("report", "", "write the outcome to this file")
	start := fs.Bool("start", false, "install: also start the service now")
	if code, ok := cli.Parse(fs, args[1:], help(), stdout, stderr); !ok {
		return code
	}
	if *report != "" {
		// The window created the file; opening it without O_CREATE is what
		// Linux allows root for another user's file in /tmp (protected_regular).
		// If it cannot be opened, the action still runs; only its words are lost.
		if f, err := os.OpenFile(*report, os.O_WRONLY|os.O_TRUNC, 0); err == nil {
			defer f.Close()
			stdout, stderr = f, f
		}
	}
	if code, ok := cli.NoArgs(fs, help(), stderr); !ok {
		return code
	}
	if g.Listen != "" && args[0] == "install" {
		// The service must follow the saved address so that a change in the
		// window or by config import moves it; a fixed --listen would not.
		fmt.Fprintln(stderr, "错误：安装服务时不能用 --listen。请先用窗口的“服务”页或 botgate config import 保存监听地址，服务会使用它，修改后也会自动切换。")
		return 2
	}
	ctl, err := ForDatabase(g.DB)
	if err != nil {
		return cli.Fail(stderr, err)
	}
	if *start && args[0] != "install" {
		fmt.Fprintln(stderr, "错误：--start 只能和 service install 一起用")
		return 2
	}
	return command(context.Background(), ctl, args[0], *start, stdout, stderr)
}

// command carries out one action on ctl and prints the outcome.
// With start, install also starts the service.
func command(ctx context.Context, ctl *Control, action string, start bool, stdout, stderr io.Writer) int {
	switch action {
	case "install":
		if start {
			st, err := ctl.InstallAndStart(ctx)
			if err != nil {
				return cli.Fail(stderr, err)
			}
			fmt.Fprintf(stdout, "已安装并启动系统服务 %s（数据库 %s），开机时自动启动。监听地址 http://%s/\n日志：系统日志，以及 %s\n",
				st.Name, st.DB, st.Server.Addr, LogPath(st.DB))
			return 0
		}
		if err := ctl.Install(ctx); err != nil {
			return cli.Fail(stderr, err)
		}
		st, _ := ctl.Status(ctx)
		fmt.Fprintf(stdout, "已安装系统服务 %s（数据库 %s），开机时自动启动。\n现在启动：botgate --db %s service start\n日志：系统日志，以及 %s\n",
			st.Name, st.DB, QuoteArg(st.DB), LogPath(st.DB))
		return 0
	case "uninstall":
		if err := ctl.Uninstall(ctx); err != nil {
			return cli.Fail(stderr, err)
		}
		fmt.Fprintln(stdout, "已卸载系统服务（数据库、配置和日志文件都保留）。")
		return 0
	case "start":
		st, err := ctl.Start(ctx)
		if err != nil {
			return cli.Fail(stderr, err)
		}
		fmt.Fprintf(stdout, "服务正在运行，监听地址 http://%s/\n", st.Server.Addr)
		return 0
	case "stop":
		if err := ctl.Stop(ctx); err != nil {
			return cli.Fail(stderr, err)
		}
		fmt.Fprintln(stdout, "服务已停止。")
		return 0
	case "status":
		st, err := ctl.Status(ctx)
		if err != nil {
			return cli.Fail(stderr, err)
		}
		// Status reads only the service manager and the lock file, so it
		// creates nothing. A service installed for a database it has not
		// created yet (install without --start) is a real state to report;
		// otherwise a missing database is most likely a mistyped --db, which
		// "未安装" would hide.
		if !st.Installed && !st.Serving {
			if err := storage.CheckExists(st.DB); err != nil {
				return cli.Fail(stderr, err)
			}
		}
		fmt.Fprintln(stdout, "服务状态："+st.String())
		return 0
	}
	return cli.UsageError(stderr, fmt.Sprintf("未知的 service 子命令 %q", action), help())
}
