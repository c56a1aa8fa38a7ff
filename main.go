// Command botgate is BotGate (机器人 API 服务): a tray app and headless server
// that lets an ERP send chat messages and run keyword templates over HTTP.
// main only parses the command line; everything else is wired from app.
package main

import (
	"botgate/model"
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
	"regexp"
	"strings"
	"syscall"

	"botgate/apiserver"
	"botgate/app"
	_ "botgate/internal/cleanlocale" // before Fyne reads the locale
	"botgate/service"
	"botgate/storage"
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

`, version) + globalHelp()
}

// globalHelp describes the flags of globals.register, for every help text.
func globalHelp() string {
	return fmt.Sprintf(`全局选项（写在子命令前后都可以）:
  --db 路径        状态数据库（默认 %s，也可用环境变量 BOTGATE_DB）
  --listen 地址    覆盖保存的监听地址，例如 127.0.0.1:7789
`, defaultDB())
}

// serveHelp is `botgate serve -h`.
func serveHelp() string {
	return `用法：botgate serve [--demo] [--db 路径] [--listen 地址]

在前台运行无界面服务（数据库不存在时创建）；Ctrl-C 安全停止。

选项:
  --demo           数据库为空时创建演示数据（用户、模板、通道），并打印 curl 示例

` + globalHelp()
}

// configHelp is `botgate config -h`.
func configHelp() string {
	return `用法:
  botgate config import 文件   导入 JSON 配置（用 - 表示标准输入）；数据库不存在时创建
  botgate config export        以 JSON 输出配置（只含密码哈希，密钥已隐藏）；数据库必须已存在

` + globalHelp()
}

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

// parseArgs parses args into fs for an admin: -h or --help prints help to
// stdout (exit 0); a bad flag is told in Chinese, followed by help, on
// stderr (exit 2). The flag package's own output is English, so it is
// silenced and its errors translated. ok is false when the command ends
// here with code.
func parseArgs(fs *flag.FlagSet, args []string, help string, stdout, stderr io.Writer) (code int, ok bool) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, help)
		return 0, false
	}
	return usageError(stderr, flagError(err), help), false
}

// usageError prints msg and help on stderr; 2 is the exit code of a wrong command line.
func usageError(stderr io.Writer, msg, help string) int {
	fmt.Fprintf(stderr, "错误：%s\n\n%s", msg, help)
	return 2
}

// badValue matches the flag package's "invalid value" and "invalid boolean
// value" errors, capturing the value and the flag.
var badValue = regexp.MustCompile(`^invalid (boolean )?value (".*") for (?:flag )?(-\S+): `)

// flagError is the Chinese for an error of flag.FlagSet.Parse. Flags are
// named as the help writes them (--db), whether one or two dashes were typed.
func flagError(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		return "未知的选项 -" + name
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return "选项 -" + name + " 后面缺少值"
	}
	if m := badValue.FindStringSubmatch(msg); m != nil {
		if m[1] != "" {
			return fmt.Sprintf("选项 -%s 的值 %s 无效：只能是 true 或 false", m[3], m[2])
		}
		return fmt.Sprintf("选项 -%s 的值 %s 无效", m[3], m[2])
	}
	if arg, ok := strings.CutPrefix(msg, "bad flag syntax: "); ok {
		return "无法识别的参数 " + arg + "（选项的写法如 --db 路径）"
	}
	return "命令行有误：" + msg
}

// isHelp tells whether arg asks for help in the place of a subcommand name,
// where the flag package does not see it.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "--h", "-help", "--help", "help":
		return true
	}
	return false
}

// noArgs reports arguments left after a command that takes none: the flag
// package stops at the first of them, so a flag after it would be ignored
// silently (`botgate serve x --demo`).
func noArgs(fs *flag.FlagSet, help string, stderr io.Writer) (code int, ok bool) {
	if fs.NArg() == 0 {
		return 0, true
	}
	return usageError(stderr, fmt.Sprintf("多余的参数 %q", fs.Arg(0)), help), false
}

func run(args []string, stdout, stderr io.Writer) int {
	g := &globals{db: defaultDB()}
	fs := flag.NewFlagSet("botgate", flag.ContinueOnError)
	g.register(fs)
	if code, ok := parseArgs(fs, args, mainHelp(), stdout, stderr); !ok {
		return code
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
		if !dbGiven(fs) {
			g.db = service.DefaultDB(g.db) // Windows: %ProgramData%, shared with the LocalSystem service
		}
		return cmdService(g, rest[1:], stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "BotGate %s\n", version)
		return 0
	case "help":
		fmt.Fprint(stdout, mainHelp())
		return 0
	}
	return usageError(stderr, fmt.Sprintf("未知的子命令 %q", rest[0]), mainHelp())
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// openApp opens the state database with the HTTP API wired in, creating it
// if missing.
func openApp(ctx context.Context, g *globals, log *slog.Logger) (*app.App, error) {
	return openAppWith(ctx, g, log, false)
}

// openExistingApp is openApp for commands that only read: a missing database
// is an error (a mistyped --db must not leave an empty database behind).
func openExistingApp(ctx context.Context, g *globals, log *slog.Logger) (*app.App, error) {
	return openAppWith(ctx, g, log, true)
}

func openAppWith(ctx context.Context, g *globals, log *slog.Logger, mustExist bool) (*app.App, error) {
	return app.Open(ctx, app.Options{
		DBPath: g.db, MustExist: mustExist, Listen: g.listen, Log: log,
		Handler: func(a *app.App) http.Handler { return apiserver.New(a, log, version) },
	})
}

// fail prints an error for an office admin: the Chinese message, not a stack.
func fail(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, "错误："+errMsg(err))
	return 1
}

// errMsg is what an admin is told of err: the Chinese message of an
// model.Error, else the error's own text (which names the file and the cause).
// A missing database also says how to get one.
func errMsg(err error) string {
	var e *model.Error
	if errors.As(err, &e) {
		return e.Msg
	}
	var missing *storage.MissingError
	if errors.As(err, &missing) {
		return missing.Error() + "。请检查 --db 路径（或环境变量 BOTGATE_DB），或先创建数据库：运行 botgate serve --demo、botgate config import 文件，或打开窗口"
	}
	return err.Error()
}

func cmdServe(g *globals, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	g.register(fs)
	demo := fs.Bool("demo", false, "create a working example on an empty database")
	asService := fs.Bool(service.AsServiceFlag, false, "started by the service manager (registered by service install; not in the help)")
	if code, ok := parseArgs(fs, args, serveHelp(), stdout, stderr); !ok {
		return code
	}
	if code, ok := noArgs(fs, serveHelp(), stderr); !ok {
		return code
	}
	if *asService || !service.Interactive() { // started by the service manager (service install)
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
	switch {
	case len(args) == 0:
		return usageError(stderr, "缺少 config 子命令：可用 import、export", configHelp())
	case isHelp(args[0]):
		fmt.Fprint(stdout, configHelp())
		return 0
	case args[0] != "import" && args[0] != "export":
		// Before parsing the flags: the wrong word is the mistake to report.
		return usageError(stderr, fmt.Sprintf("未知的 config 子命令 %q：可用 import、export", args[0]), configHelp())
	}
	fs := flag.NewFlagSet("config "+args[0], flag.ContinueOnError)
	g.register(fs)
	if code, ok := parseArgs(fs, args[1:], configHelp(), stdout, stderr); !ok {
		return code
	}
	ctx := context.Background()
	log := newLogger(stderr)
	if args[0] == "export" {
		if code, ok := noArgs(fs, configHelp(), stderr); !ok {
			return code
		}
		return configExport(ctx, g, log, stdout, stderr)
	}
	if fs.NArg() != 1 {
		return usageError(stderr, "config import 需要一个配置文件（用 - 表示标准输入）", configHelp())
	}
	return configImport(ctx, g, fs.Arg(0), log, stdout, stderr)
}

// configImport imports the configuration file name ("-": standard input),
// creating the database if it is missing.
func configImport(ctx context.Context, g *globals, name string, log *slog.Logger, stdout, stderr io.Writer) int {
	var r io.Reader = os.Stdin
	if name != "-" {
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
}

// configExport prints the configuration as JSON; the database must exist.
func configExport(ctx context.Context, g *globals, log *slog.Logger, stdout, stderr io.Writer) int {
	a, err := openExistingApp(ctx, g, log)
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

// dbGiven tells whether --db was on the command line parsed by fs.
func dbGiven(fs *flag.FlagSet) (given bool) {
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "db" })
	return given
}

// cmdService installs and controls BotGate as an OS service (main_service.go).
func cmdService(g *globals, args []string, stdout, stderr io.Writer) int {
	return serviceMain(g, args, stdout, stderr)
}
