package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"botgate/model"
	"botgate/storage"
)

// Every flag error the flag package makes is told in Chinese, with help, exit 2.
func TestParse_BadFlags_ChineseWithHelpExit2(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--nope"}, "错误：未知的选项 --nope"},
		{[]string{"--db"}, "错误：选项 --db 后面缺少值"},
		{[]string{"--demo=maybe"}, `错误：选项 --demo 的值 "maybe" 无效：只能是 true 或 false`},
		{[]string{"---demo"}, "错误：无法识别的参数 ---demo（选项的写法如 --db 路径）"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			g := &Globals{DB: "x.db"}
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			g.Register(fs)
			fs.Bool("demo", false, "")
			var stdout, stderr bytes.Buffer
			code, ok := Parse(fs, tt.args, "用法：botgate serve\n", &stdout, &stderr)
			if ok || code != 2 || stdout.Len() != 0 {
				t.Fatalf("ok %v code %d stdout %q", ok, code, stdout.String())
			}
			if got := stderr.String(); !strings.HasPrefix(got, tt.want+"\n") || !strings.HasSuffix(got, "用法：botgate serve\n") {
				t.Fatalf("stderr %q, want %q and the help", got, tt.want)
			}
		})
	}
}

// Flags after the subcommand override the globals given before it.
func TestGlobals_AfterTheSubcommand_Override(t *testing.T) {
	g := &Globals{DB: "before.db", Listen: "127.0.0.1:1"}
	fs := flag.NewFlagSet("service status", flag.ContinueOnError)
	g.Register(fs)
	if _, ok := Parse(fs, []string{"--db", "after.db"}, "", &bytes.Buffer{}, &bytes.Buffer{}); !ok {
		t.Fatal("parse failed")
	}
	if g.DB != "after.db" || g.Listen != "127.0.0.1:1" {
		t.Fatalf("globals %+v", g)
	}
}

func TestErrMsg_WhatTheAdminIsTold(t *testing.T) {
	missing := storage.CheckExists(filepath.Join(t.TempDir(), "none.db"))
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"model error: its message only", fmt.Errorf("wrapped: %w", &model.Error{Code: model.CodeInvalid, Msg: "端口已被占用", Err: errors.New("bind")}), "端口已被占用"},
		{"missing database: what to do", missing, "。请检查 --db 路径（或环境变量 BOTGATE_DB）"},
		{"other: its own text", errors.New("打开 x 失败"), "打开 x 失败"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ErrMsg(tt.err)
			if !strings.Contains(got, tt.want) || strings.Contains(got, "wrapped") {
				t.Fatalf("ErrMsg = %q, want %q", got, tt.want)
			}
			var b bytes.Buffer
			if code := Fail(&b, tt.err); code != 1 || b.String() != "错误："+got+"\n" {
				t.Fatalf("Fail = %d, %q", code, b.String())
			}
		})
	}
}
