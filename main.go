// Command botgate is BotGate (机器人 API 服务): a tray app and headless server
// that lets an ERP send chat messages and run keyword templates over HTTP.
// main only parses the command line; everything else is wired from app.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"botgate/apiserver"
	"botgate/app"
	_ "botgate/internal/cleanlocale" // before Fyne reads the locale
	"botgate/service"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `BotGate 机器人 API 服务 %s

用法:
  botgate                      打开窗口和托盘图标（"自动启动"打开时同时启动服务）
  botgate serve [--demo]       在前台运行无界面服务；Ctrl-C 安全停止
  botgate config import 文件   导入 JSON 配置（设置、用户、通道、数据源、模板）
  botgate config export        以 JSON 输出配置（只含密码哈希，密钥已隐藏）
  botgate service install [--start]|uninstall|start|stop|status
  botgate version

全局选项:
  --db 路径        状态数据库（默认 %s，也可用环境变量 BOTGATE_DB）
  --listen 地址    覆盖保存的监听地址，例如 127.0.0.1:7789
`

// globals are the flags every subcommand accepts, before or after its name.
type globals struct {
	db, listen string
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.db, "db", g.db, "state database path")
	fs.StringVar(&g.listen, "listen", g.listen, "listen address")
}

// defaultDB is <UserConfigDir>/botgate/botgate.db, or $BOTGATE_DB.
func defaultDB() string {
	if p := os.Getenv("BOTGATE_DB"); p != "" {
		return p
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = "."
	}
	return filepath.Join(dir, "botgate", "botgate.db")
}

func run(args []string, stdout, stderr io.Writer) int {
	g := &globals{db: defaultDB()}
	fs := flag.NewFlagSet("botgate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs)
	fs.Usage = func() { fmt.Fprintf(stderr, usage, version, defaultDB()) }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return runGUI(g, stdout, stderr)
	}
	switch rest[0] {
	case "serve":
		return cmdServe(g, rest[1:], stdout, stderr)
	case "config":
		return cmdConfig(g, rest[1:], stdout, stderr)
	case "service":
		return cmdService(g, rest[1:], stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "BotGate %s\n", version)
		return 0
	case "help", "-h", "--help":
		fs.Usage()
		return 0
	}
	fmt.Fprintf(stderr, "未知的子命令 %q\n\n", rest[0])
	fs.Usage()
	return 2
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// openApp opens the state database with the HTTP API wired in.
func openApp(ctx context.Context, g *globals, log *slog.Logger) (*app.App, error) {
	return app.Open(ctx, app.Options{
		DBPath: g.db, Listen: g.listen, Log: log,
		Handler: func(a *app.App) http.Handler { return apiserver.New(a, log, version) },
	})
}

// fail prints an error for an office admin: the Chinese message, not a stack.
func fail(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, "错误："+errMsg(err))
	return 1
}

// errMsg is what an admin is told of err: the Chinese message of an
// app.Error, else the error's own text (which names the file and the cause).
func errMsg(err error) string {
	var e *app.Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return err.Error()
}

func cmdServe(g *globals, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs)
	demo := fs.Bool("demo", false, "create a working example on an empty database")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if !service.Interactive() { // started by the service manager (service install)
		return serveAsService(g, stderr)
	}
	log := newLogger(stderr)
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := openApp(ctx, g, log)
	if err != nil {
		return fail(stderr, err)
	}
	defer a.Close()
	var password string
	if *demo {
		if a.IsEmpty() {
			if password, err = a.SetupDemo(ctx); err != nil {
				return fail(stderr, err)
			}
		} else {
			fmt.Fprintln(stdout, "数据库中已有配置，未创建演示数据（演示用户的密码只在首次创建时显示）。")
		}
	}
	err = a.Serve(ctx, func(addr string) {
		fmt.Fprintf(stdout, "BotGate %s 已启动：http://%s/  （状态数据库 %s）\n", version, addr, a.DB().Path())
		if password != "" {
			printDemo(stdout, addr, password)
		}
	})
	if err != nil {
		return fail(stderr, err)
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

func cmdConfig(g *globals, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "用法：botgate config import 文件 | botgate config export")
		return 2
	}
	fs := flag.NewFlagSet("config "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	ctx := context.Background()
	log := newLogger(stderr)
	switch args[0] {
	case "import":
		if fs.NArg() != 1 {
			fmt.Fprintln(stderr, "用法：botgate config import 文件（用 - 表示标准输入）")
			return 2
		}
		var r io.Reader = os.Stdin
		if name := fs.Arg(0); name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return fail(stderr, fmt.Errorf("无法打开配置文件 %s：%w", name, err))
			}
			defer f.Close()
			r = f
		}
		cf, err := app.ParseConfig(r)
		if err != nil {
			return fail(stderr, err)
		}
		a, err := openApp(ctx, g, log)
		if err != nil {
			return fail(stderr, err)
		}
		defer a.Close()
		sum, err := a.Import(ctx, cf)
		if err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "导入完成：%s\n", sum)
		return 0
	case "export":
		a, err := openApp(ctx, g, log)
		if err != nil {
			return fail(stderr, err)
		}
		defer a.Close()
		cf, err := a.Export(ctx)
		if err != nil {
			return fail(stderr, err)
		}
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(cf); err != nil {
			return fail(stderr, err)
		}
		return 0
	}
	fmt.Fprintf(stderr, "未知的 config 子命令 %q：可用 import、export\n", args[0])
	return 2
}

// cmdService installs and controls BotGate as an OS service (main_service.go).
func cmdService(g *globals, args []string, stdout, stderr io.Writer) int {
	return serviceMain(g, args, stdout, stderr)
}
