package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"botgate/storage"
)

// TestMain lets the test binary act as botgate itself: with BOTGATE_TEST_MAIN=1
// it runs the command line instead of the tests. Process-level tests (crash,
// reload, second instance) start real subprocesses this way, with no separate build.
func TestMain(m *testing.M) {
	if os.Getenv("BOTGATE_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// botgateCmd returns a command that runs botgate with args.
func botgateCmd(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "BOTGATE_TEST_MAIN=1")
	return cmd
}

var listeningLine = regexp.MustCompile(`已启动：http://([0-9.:]+)/`)

// startServe runs `botgate --db db serve --listen 127.0.0.1:0 extra...` and
// returns the process and the address it listens on, once it listens.
func startServe(t *testing.T, db string, extra ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd, addr, _ := startBotgate(t, append([]string{"--db", db, "serve", "--listen", "127.0.0.1:0"}, extra...)...)
	return cmd, addr
}

// startBotgate runs botgate with args and waits for its first "已启动" line.
// It returns the process, that address, and the process's stderr (its log).
// Stdout keeps being read, so a server that rebinds never blocks on it.
func startBotgate(t *testing.T, args ...string) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	cmd := botgateCmd(t, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := listeningLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default: // a later line (a rebind); the caller only waits for the first
				}
			}
		}
	}()
	select {
	case a := <-addr:
		return cmd, a, stderr
	case <-time.After(15 * time.Second):
		t.Fatalf("botgate %v did not start listening; stderr:\n%s", args, stderr.String())
	}
	return nil, "", nil
}

// createDB creates an empty state database at path, as serve or the window would.
func createDB(t *testing.T, path string) {
	t.Helper()
	db, err := storage.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}

// runIn runs the command line with args after --db db, in this process.
func runIn(db string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(append([]string{"--db", db}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// assertNothingAt fails unless the folder dir holds nothing: no database,
// no -wal or -shm, no data.db, or (when absent) that it was not created.
func assertNothingAt(t *testing.T, dir string, existed bool) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	switch {
	case !existed && !errors.Is(err, fs.ErrNotExist):
		t.Errorf("folder %s was created (stat error %v, entries %v)", dir, err, entries)
	case existed && (err != nil || len(entries) > 0):
		t.Errorf("files created in %s: %v (%v)", dir, entries, err)
	}
}

// Commands that only read must not create a database where none is: a
// mistyped --db would otherwise leave an empty one behind and "succeed".
func TestReadOnlyCommands_MissingDatabase_FailInChineseAndCreateNothing(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string // in stderr when wantCode != 0, else in stdout
	}{
		{"config export", []string{"config", "export"}, 1, "数据库不存在："},
		{"service status", []string{"service", "status"}, 1, "数据库不存在："},
		{"version", []string{"version"}, 0, "BotGate "},
		{"help", []string{"help"}, 0, "用法"},
		{"unknown subcommand", []string{"frob"}, 2, "未知的子命令"},
	}
	layouts := []struct {
		name      string
		dirExists bool
	}{{"missing folder", false}, {"empty folder", true}}
	for _, tc := range tests {
		for _, l := range layouts {
			t.Run(tc.name+"/"+l.name, func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "新文件夹")
				if l.dirExists {
					if err := os.Mkdir(dir, 0o700); err != nil {
						t.Fatal(err)
					}
				}
				db := filepath.Join(dir, "botgate.db")
				code, stdout, stderr := runIn(db, tc.args...)
				if code != tc.wantCode {
					t.Errorf("exit %d, want %d; stdout %q stderr %q", code, tc.wantCode, stdout, stderr)
				}
				got := stdout
				if tc.wantCode != 0 {
					got = stderr
				}
				if !strings.Contains(got, tc.want) {
					t.Errorf("output %q lacks %q", got, tc.want)
				}
				if tc.wantCode == 1 {
					// The message names the file and says what to do.
					for _, w := range []string{"数据库不存在：" + db, "请检查 --db 路径", "botgate serve --demo"} {
						if !strings.Contains(stderr, w) {
							t.Errorf("stderr %q lacks %q", stderr, w)
						}
					}
				}
				assertNothingAt(t, dir, l.dirExists)
			})
		}
	}
}

// The same commands on a database that exists work as before, and the
// commands that write still create a missing one.
func TestCommands_ExistingOrCreatedDatabase(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "cfg.json")
	if err := os.WriteFile(cfg, []byte(`{"users":[{"name":"erp","password":"erp-secret-1"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		create bool // the database exists before the command
		args   []string
		want   string // in stdout
	}{
		{"config export", true, []string{"config", "export"}, `"settings"`},
		{"service status", true, []string{"service", "status"}, "服务状态：未安装"},
		{"config import creates", false, []string{"config", "import", cfg}, "导入完成"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "新文件夹", "botgate.db")
			if tc.create {
				createDB(t, db)
			}
			code, stdout, stderr := runIn(db, tc.args...)
			if code != 0 || !strings.Contains(stdout, tc.want) {
				t.Fatalf("exit %d, stdout %q stderr %q; want %q", code, stdout, stderr, tc.want)
			}
			if _, err := os.Stat(db); err != nil {
				t.Errorf("database after %v: %v", tc.args, err)
			}
		})
	}
}

// english matches what Go's flag package would have printed.
var english = regexp.MustCompile(`(?i)usage|flag|defined|argument|invalid|help requested`)

func TestHelp_EachCommand_ChineseUsageOnStdoutExit0(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-h"}, "botgate serve [--demo]"},
		{[]string{"--help"}, "botgate serve [--demo]"},
		{[]string{"help"}, "botgate serve [--demo]"},
		{[]string{"serve", "-h"}, "用法：botgate serve [--demo]"},
		{[]string{"serve", "--help"}, "用法：botgate serve [--demo]"},
		{[]string{"config", "-h"}, "botgate config export"},
		{[]string{"config", "export", "-h"}, "botgate config export"},
		{[]string{"config", "import", "--help"}, "botgate config import 文件"},
		{[]string{"service", "-h"}, "用法：botgate [--db 路径] service install"},
		{[]string{"service", "status", "-h"}, "用法：botgate [--db 路径] service install"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "absent")
			code, stdout, stderr := runIn(filepath.Join(dir, "botgate.db"), tc.args...)
			if code != 0 || stderr != "" {
				t.Errorf("exit %d, stderr %q; want 0 and nothing", code, stderr)
			}
			if !strings.Contains(stdout, tc.want) || !strings.Contains(stdout, "--db 路径") {
				t.Errorf("stdout %q lacks %q and the global options", stdout, tc.want)
			}
			if m := english.FindString(stdout); m != "" {
				t.Errorf("help has English %q:\n%s", m, stdout)
			}
			assertNothingAt(t, dir, false)
		})
	}
}

func TestBadCommandLine_ChineseErrorAndUsageOnStderrExit2(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown global flag", []string{"-x"}, "未知的选项 --x"},
		{"unknown serve flag", []string{"serve", "--bogus"}, "未知的选项 --bogus"},
		{"missing value", []string{"serve", "--listen"}, "选项 --listen 后面缺少值"},
		{"bad boolean", []string{"serve", "--demo=maybe"}, `选项 --demo 的值 "maybe" 无效：只能是 true 或 false`},
		{"bad flag syntax", []string{"serve", "---demo"}, "无法识别的参数 ---demo"},
		{"extra serve argument", []string{"serve", "extra", "--demo"}, `多余的参数 "extra"`},
		{"unknown subcommand", []string{"frob"}, `未知的子命令 "frob"`},
		{"config without subcommand", []string{"config"}, "缺少 config 子命令"},
		{"unknown config subcommand", []string{"config", "exprt", "--x"}, `未知的 config 子命令 "exprt"`},
		{"config import without file", []string{"config", "import"}, "config import 需要一个配置文件"},
		{"config export argument", []string{"config", "export", "out.json"}, `多余的参数 "out.json"`},
		{"unknown config flag", []string{"config", "export", "--pretty"}, "未知的选项 --pretty"},
		{"service without subcommand", []string{"service"}, "缺少 service 子命令"},
		{"unknown service flag", []string{"service", "status", "--nope"}, "未知的选项 --nope"},
		{"service argument", []string{"service", "status", "now"}, `多余的参数 "now"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "absent")
			code, stdout, stderr := runIn(filepath.Join(dir, "botgate.db"), tc.args...)
			if code != 2 || stdout != "" {
				t.Errorf("exit %d, stdout %q; want 2 and nothing", code, stdout)
			}
			if !strings.Contains(stderr, "错误："+tc.want) || !strings.Contains(stderr, "用法") {
				t.Errorf("stderr %q lacks %q and the usage", stderr, "错误："+tc.want)
			}
			if m := english.FindString(stderr); m != "" {
				t.Errorf("stderr has English %q:\n%s", m, stderr)
			}
			assertNothingAt(t, dir, false)
		})
	}
}

func TestServiceCommand_BadUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no action", []string{"service"}, "用法：botgate [--db 路径] service"},
		{"unknown action", []string{"service", "restartx"}, "未知的 service 子命令"},
		{"--listen at install", []string{"--listen", "127.0.0.1:1", "service", "install"}, "安装服务时不能用 --listen"},
		{"--start but not install", []string{"service", "stop", "--start"}, "--start 只能和 service install 一起用"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"--db", filepath.Join(t.TempDir(), "x.db")}, tc.args...)
			if code := run(args, &stdout, &stderr); code == 0 {
				t.Errorf("exit 0 for %v", tc.args)
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.want)
			}
		})
	}
}
