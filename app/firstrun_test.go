package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"botgate/app/auth"
	"botgate/app/config"
	"botgate/model"
)

// A new BotGate refuses every call until an API user exists; the refusal
// says so instead of suggesting a wrong password.
func TestAuthenticate_NoUserYet_SaysSoAndHowToAddOne(t *testing.T) {
	ctx := context.Background()
	a := openAdminApp(t, time.Now())
	for _, cr := range []auth.Credentials{{User: "erp", Password: "whatever", Remote: "127.0.0.1"}, {Remote: "127.0.0.1"}} {
		_, err := a.Authenticate(ctx, cr)
		if e := model.ErrorOf(err); e.Code != model.CodeUnauthorized || !strings.Contains(e.Msg, "还没有任何 API 用户") || !strings.Contains(e.Msg, "授权") {
			t.Fatalf("credentials %+v on an empty database: %v, want 4010 saying no API user exists", cr, err)
		}
	}
	mustImport(t, a, config.File{Users: []config.User{{Name: "erp", Password: "erp-secret-1"}}})
	_, err := a.Authenticate(ctx, auth.Credentials{User: "erp", Password: "wrong-pass", Remote: "127.0.0.2"})
	if e := model.ErrorOf(err); e.Code != model.CodeUnauthorized || strings.Contains(e.Msg, "还没有") || !strings.Contains(e.Msg, "不正确") {
		t.Fatalf("a wrong password once a user exists: %v", err)
	}
}

// 试运行 is where the admin looks for the reason a template fails: its
// error says what is wrong in Chinese and ends with what to do, instead of
// sending the admin to 试运行 again.
func TestDryRun_DatabaseErrorExplainedNotCircular(t *testing.T) {
	ctx := context.Background()
	a := openAdminApp(t, time.Now())
	for _, tc := range []struct{ name, sql, want, todo string }{
		{"missing table", "SELECT name FROM staff WHERE qq = '{{来源QQ}}'", "数据库中没有表“staff”", "请检查表名是否写错"},
		{"unknown error keeps the database's words", "SELECT abs(-9223372036854775807 - 1)", "数据库报告：", "请检查 SQL 语句"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.DryRunTemplate(ctx, config.Template{Keyword: "k", SQL: tc.sql}, model.Vars{"qq": "1"}, false)
			e := model.ErrorOf(err)
			switch {
			case e.Field != "sql" || !strings.Contains(e.Msg, tc.want) || !strings.Contains(e.Msg, tc.todo):
				t.Fatalf("err = %q, want %q and %q", e.Msg, tc.want, tc.todo)
			case strings.Contains(e.Msg, "试运行该模板"):
				t.Fatalf("err %q sends the admin back to 试运行", e.Msg)
			case lastRune(e.Msg) < 0x2E80:
				t.Fatalf("err %q ends in the driver's English, not with what to do", e.Msg)
			}
		})
	}
	// The API caller still gets the template error that points at 试运行.
	mustImport(t, a, config.File{Templates: []config.Template{{Keyword: "k", SQL: "SELECT name FROM staff"}}})
	_, err := a.RunKeyword(ctx, model.Caller{Name: "x", Roles: []string{"admin"}}, "k", model.Vars{})
	if e := model.ErrorOf(err); e.Code != model.CodeQueryFailed || !strings.Contains(e.Msg, "试运行") {
		t.Fatalf("API error = %v", err)
	}
}

func lastRune(s string) rune {
	r := []rune(s)
	if len(r) == 0 {
		return 0
	}
	return r[len(r)-1]
}
