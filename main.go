// Command botgate is BotGate (机器人 API 服务): a tray app and headless server
// that lets an ERP send chat messages and run keyword templates over HTTP.
// main only parses the command line; everything else is wired from app.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"botgate/apiserver"
	"botgate/app"
	"botgate/app/config"
	_ "botgate/internal/cleanlocale" // before Fyne reads the locale
	"botgate/internal/cli"
	"botgate/internal/gctune"
	_ "botgate/internal/winconsole" // Windows: subcommands print to the console they were typed in
	"botgate/service"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// mainHelp is `botgate -h`.
func mainHelp() string {
	return fmt.Sprintf(`BotGate 机器人 API 服务 %s

用法:
  botgate                      打开窗口和托盘图标（"自动启动"打开时同时启动服务）
  botgate serve [--demo]       在前台运行无界面服务；Ctrl-C 安全停止
  botgate config import 文件   导入 JSON 配置（设置、用户、通道、数据源、模板）
  botgate config export        以 JSON 输出配置（只含密码哈希，密钥已隐藏）
  botgate service install [--start]|uninstall|start|stop|status
  botgate version

每个子命令的说明：botgate 子命令 -h，例如 botgate serve -h

`, version) + cli.GlobalHelp()
}

// serveHelp is `botgate serve -h`.
func serveHelp() string {
	return `用法：botgate serve [--demo] [--db 路径] [--listen 地址]

在前台运行无界面服务（数据库不存在时创建）；Ctrl-C 安全停止。

选项:
  --demo           数据库为空时创建演示数据（用户、模板、通道），并打印 curl 示例

` + cli.GlobalHelp()
}

// configHelp is `botgate config -h`.
func configHelp() string {
	return `用法:
  botgate config import 文件   导入 JSON 配置（用 - 表示标准输入）；数据库不存在时创建
  botgate config export        以 JSON 输出配置（只含密码哈希，密钥已隐藏）；数据库必须已存在

` + cli.GlobalHelp()
}

func run(args []string, stdout, stderr io.Writer) int {
	g := &cli.Globals{DB: cli.DefaultDB()}
	fs := flag.NewFlagSet("botgate", flag.ContinueOnError)
	g.Register(fs)
	if code, ok := cli.Parse(fs, args, mainHelp(), stdout, stderr); !ok {
		return code
	}
	rest := fs.Args()
	if len(rest) == 0 {
		if !dbGiven(fs) {
			g.DB = service.WindowDB(g.DB) // Windows: the service's shared database once it exists
		}
		return runGUI(g, stdout, stderr)
	}
	switch rest[0] {
	case "serve":
		return cmdServe(g, rest[1:], stdout, stderr)
	case "config":
		return cmdConfig(g, rest[1:], stdout, stderr)
	case "service":
		if !dbGiven(fs) {
			g.DB = service.DefaultDB(g.DB) // Windows: %ProgramData%, shared with the LocalSystem service
		}
		return service.Command(*g, rest[1:], stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "BotGate %s\n", version)
		return 0
	case "help":
		fmt.Fprint(stdout, mainHelp())
		return 0
	}
	return cli.UsageError(stderr, fmt.Sprintf("未知的子命令 %q", rest[0]), mainHelp())
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// openApp opens the state database with the HTTP API wired in, creating it
// if missing.
func openApp(ctx context.Context, g *cli.Globals, log *slog.Logger) (*app.App, error) {
	return openAppWith(ctx, g, log, false)
}

// openExistingApp is openApp for commands that only read: a missing database
// is an error (a mistyped --db must not leave an empty database behind).
func openExistingApp(ctx context.Context, g *cli.Globals, log *slog.Logger) (*app.App, error) {
	return openAppWith(ctx, g, log, true)
}

func openAppWith(ctx context.Context, g *cli.Globals, log *slog.Logger, mustExist bool) (*app.App, error) {
	opts := appOptions(g, log)
	opts.MustExist = mustExist
	return app.Open(ctx, opts)
}

// appOptions are the App's options for the command line g, with the HTTP API wired in.
func appOptions(g *cli.Globals, log *slog.Logger) app.Options {
	return app.Options{
		DBPath: g.DB, Listen: g.Listen, Log: log,
		Handler: func(a *app.App) http.Handler { return apiserver.New(apiserver.AppDeps(a), log, version) },
	}
}

func cmdServe(g *cli.Globals, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	g.Register(fs)
	demo := fs.Bool("demo", false, "create a working example on an empty database")
	asService := fs.Bool(service.AsServiceFlag, false, "started by the service manager (registered by service install; not in the help)")
	if code, ok := cli.Parse(fs, args, serveHelp(), stdout, stderr); !ok {
		return code
	}
	if code, ok := cli.NoArgs(fs, serveHelp(), stderr); !ok {
		return code
	}
	// One tuner for both ways of serving, for as long as serve runs (see
	// the package: GC CPU under load on a small heap).
	tune, untune := context.WithCancel(context.Background())
	defer untune()
	gctune.Start(tune, gctune.Settings{})
	if *asService || !service.Interactive() { // started by the service manager (service install)
		return serveAsService(g, stderr)
	}
	log := newLogger(stderr)
	slog.SetDefault(log)
	defer startCPUProfile(stderr)()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := openApp(ctx, g, log)
	if err != nil {
		return cli.Fail(stderr, err)
	}
	defer a.Close()
	var password string
	if *demo {
		if a.IsEmpty() {
			if password, err = a.SetupDemo(ctx); err != nil {
				return cli.Fail(stderr, err)
			}
		} else {
			fmt.Fprintln(stdout, "数据库中已有配置，未创建演示数据（演示用户的密码只在首次创建时显示）。"+
				"忘了密码：在窗口“授权”页选中 demo，填新密码后保存；或导入 {\"users\":[{\"name\":\"demo\",\"password\":\"新密码\"}]}（botgate config import 文件）。"+
				"要重新开始：换一个 --db 路径再运行 serve --demo。")
		}
	}
	err = a.Serve(ctx, func(addr string) {
		fmt.Fprintf(stdout, "BotGate %s 已启动：http://%s/  （状态数据库 %s）\n", version, addr, a.DB().Path())
		if password != "" {
			printDemo(stdout, addr, password)
		}
	})
	if err != nil {
		return cli.Fail(stderr, err)
	}
	fmt.Fprintln(stdout, "BotGate 已停止。")
	return 0
}

func printDemo(w io.Writer, addr, password string) {
	base := "http://" + addr + "/"
	q := url.Values{"Access_token": {password}, "user": {app.DemoUser}, "QQ": {"289192968"}, "keyword": {"账号"}}
	send := url.Values{"Access_token": {password}, "user": {app.DemoUser}, "QQ": {"350310976"}, "content": {"API发送消息测试"}}
	fmt.Fprintf(w, `
演示数据已创建：
  用户 %s  密码 %s   （只显示这一次，请记下）
  模板 “账号”：SELECT xtuser, name, qq FROM staff WHERE qq = '{{来源QQ}}' OR xtuser = {{1}}
  通道 “log”：只记录消息，不真正发送

试一试（查询）：
  curl '%s?%s'
试一试（发送）：
  curl '%s?%s'
`, app.DemoUser, password, base, q.Encode(), base, send.Encode())
}

func cmdConfig(g *cli.Globals, args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		return cli.UsageError(stderr, "缺少 config 子命令：可用 import、export", configHelp())
	case cli.IsHelp(args[0]):
		fmt.Fprint(stdout, configHelp())
		return 0
	case args[0] != "import" && args[0] != "export":
		// Before parsing the flags: the wrong word is the mistake to report.
		return cli.UsageError(stderr, fmt.Sprintf("未知的 config 子命令 %q：可用 import、export", args[0]), configHelp())
	}
	fs := flag.NewFlagSet("config "+args[0], flag.ContinueOnError)
	g.Register(fs)
	if code, ok := cli.Parse(fs, args[1:], configHelp(), stdout, stderr); !ok {
		return code
	}
	ctx := context.Background()
	log := newLogger(stderr)
	if args[0] == "export" {
		if code, ok := cli.NoArgs(fs, configHelp(), stderr); !ok {
			return code
		}
		return configExport(ctx, g, log, stdout, stderr)
	}
	if fs.NArg() != 1 {
		return cli.UsageError(stderr, "config import 需要一个配置文件（用 - 表示标准输入）", configHelp())
	}
	return configImport(ctx, g, fs.Arg(0), log, stdout, stderr)
}

// configImport imports the configuration file name ("-": standard input),
// creating the database if it is missing.
func configImport(ctx context.Context, g *cli.Globals, name string, log *slog.Logger, stdout, stderr io.Writer) int {
	var r io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return cli.Fail(stderr, fmt.Errorf("无法打开配置文件 %s：%w", name, err))
		}
		defer f.Close()
		r = f
	}
	cf, err := config.Parse(r)
	if err != nil {
		return cli.Fail(stderr, err)
	}
	a, err := openApp(ctx, g, log)
	if err != nil {
		return cli.Fail(stderr, err)
	}
	defer a.Close()
	sum, err := a.Import(ctx, cf)
	if err != nil {
		return cli.Fail(stderr, err)
	}
	fmt.Fprintf(stdout, "导入完成：%s\n", sum)
	return 0
}

// configExport prints the configuration as JSON; the database must exist.
func configExport(ctx context.Context, g *cli.Globals, log *slog.Logger, stdout, stderr io.Writer) int {
	a, err := openExistingApp(ctx, g, log)
	if err != nil {
		return cli.Fail(stderr, err)
	}
	defer a.Close()
	cf, err := a.Export(ctx)
	if err != nil {
		return cli.Fail(stderr, err)
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(cf); err != nil {
		return cli.Fail(stderr, err)
	}
	return 0
}

// serveAsService is `botgate serve` started by the service manager: the same
// server, with the manager's start/stop protocol and the service logs.
func serveAsService(g *cli.Globals, stderr io.Writer) int {
	err := service.Run(g.DB, func(ctx context.Context, log *slog.Logger) (service.Server, error) {
		return openApp(ctx, g, log)
	})
	if err != nil {
		return cli.Fail(stderr, err)
	}
	return 0
}

// dbGiven tells whether --db was on the command line parsed by fs.
func dbGiven(fs *flag.FlagSet) (given bool) {
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "db" })
	return given
}

var _ service.Server = (*app.App)(nil)
