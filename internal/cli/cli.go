// Package cli is what every botgate subcommand shares on the command line:
// the global flags (--db, --listen), their help, and the parsing that tells
// an office admin in Chinese what was wrong. The root command and
// `botgate service` (package service) both use it.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"botgate/model"
	"botgate/storage"
)

// Globals are the flags every subcommand accepts, before or after its name.
type Globals struct {
	DB, Listen string
}

// Register adds the global flags to fs, defaulting to what g holds (what was
// given before the subcommand).
func (g *Globals) Register(fs *flag.FlagSet) {
	fs.StringVar(&g.DB, "db", g.DB, "state database path")
	fs.StringVar(&g.Listen, "listen", g.Listen, "listen address")
}

// DefaultDB is <UserConfigDir>/botgate/botgate.db, or $BOTGATE_DB.
func DefaultDB() string {
	if p := os.Getenv("BOTGATE_DB"); p != "" {
		return p
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = "."
	}
	return filepath.Join(dir, "botgate", "botgate.db")
}

// GlobalHelp describes the flags of Globals.Register, for every help text.
func GlobalHelp() string { return GlobalHelpFor(DefaultDB()) }

// GlobalHelpFor is GlobalHelp for a command whose database without --db is
// defaultDB rather than DefaultDB (the service commands on Windows).
func GlobalHelpFor(defaultDB string) string {
	return fmt.Sprintf(`全局选项（写在子命令前后都可以）:
  --db 路径        状态数据库（默认 %s，也可用环境变量 BOTGATE_DB）
  --listen 地址    覆盖保存的监听地址，例如 127.0.0.1:7789
`, defaultDB)
}

// Parse parses args into fs for an admin: -h or --help prints help to
// stdout (exit 0); a bad flag is told in Chinese, followed by help, on
// stderr (exit 2). The flag package's own output is English, so it is
// silenced and its errors translated. ok is false when the command ends
// here with code.
func Parse(fs *flag.FlagSet, args []string, help string, stdout, stderr io.Writer) (code int, ok bool) {
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
	return UsageError(stderr, flagError(err), help), false
}

// UsageError prints msg and help on stderr; 2 is the exit code of a wrong command line.
func UsageError(stderr io.Writer, msg, help string) int {
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

// IsHelp tells whether arg asks for help in the place of a subcommand name,
// where the flag package does not see it.
func IsHelp(arg string) bool {
	switch arg {
	case "-h", "--h", "-help", "--help", "help":
		return true
	}
	return false
}

// NoArgs reports arguments left after a command that takes none: the flag
// package stops at the first of them, so a flag after it would be ignored
// silently (`botgate serve x --demo`).
func NoArgs(fs *flag.FlagSet, help string, stderr io.Writer) (code int, ok bool) {
	if fs.NArg() == 0 {
		return 0, true
	}
	return UsageError(stderr, fmt.Sprintf("多余的参数 %q", fs.Arg(0)), help), false
}

// Fail prints an error for an office admin: the Chinese message, not a stack.
func Fail(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, "错误："+ErrMsg(err))
	return 1
}

// ErrMsg is what an admin is told of err: the Chinese message of a
// model.Error, else the error's own text (which names the file and the cause).
// A missing database also says how to get one.
func ErrMsg(err error) string {
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
