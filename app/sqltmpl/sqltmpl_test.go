package sqltmpl

import (
	"reflect"
	"strings"
	"testing"
)

func names(n string) (string, bool) {
	switch strings.ToLower(n) {
	case "来源qq", "qq":
		return "qq", true
	case "群号", "group":
		return "group", true
	case "user", "content":
		return strings.ToLower(n), true
	}
	if len(n) == 1 && n[0] >= '1' && n[0] <= '9' {
		return n, true
	}
	return "", false
}

func TestCompile_PlaceholdersBecomeParameters(t *testing.T) {
	vals := map[string]string{"qq": "289192968", "1": "cs01", "user": "admin", "group": "g1"}
	tests := []struct {
		name, src    string
		wantQuestion string
		wantDollar   string
		wantArgs     []any
		wantVerb     string
	}{
		{"seed quoted form", "SELECT xtuser FROM staff WHERE qq='{{来源QQ}}'", "SELECT xtuser FROM staff WHERE qq=?", "SELECT xtuser FROM staff WHERE qq=$1", []any{"289192968"}, "SELECT"},
		{"unquoted", "SELECT * FROM t WHERE a = {{1}} OR b = {{qq}}", "SELECT * FROM t WHERE a = ? OR b = ?", "SELECT * FROM t WHERE a = $1 OR b = $2", []any{"cs01", "289192968"}, "SELECT"},
		{"like pattern inside quotes", "SELECT * FROM t WHERE name LIKE '%{{1}}%'", "SELECT * FROM t WHERE name LIKE ?", "SELECT * FROM t WHERE name LIKE $1", []any{"%cs01%"}, "SELECT"},
		{"plain literal kept", "SELECT 'a''b' AS x, * FROM t WHERE u = {{user}}", "SELECT 'a''b' AS x, * FROM t WHERE u = ?", "SELECT 'a''b' AS x, * FROM t WHERE u = $1", []any{"admin"}, "SELECT"},
		{"escaped quote in templated literal", "SELECT * FROM t WHERE n = 'it''s {{1}}'", "SELECT * FROM t WHERE n = ?", "SELECT * FROM t WHERE n = $1", []any{"it's cs01"}, "SELECT"},
		{"missing value binds empty", "SELECT * FROM t WHERE a = {{9}}", "SELECT * FROM t WHERE a = ?", "SELECT * FROM t WHERE a = $1", []any{""}, "SELECT"},
		{"comment left alone", "SELECT 1 -- {{unknown}} ?\nFROM t", "SELECT 1 -- {{unknown}} ?\nFROM t", "SELECT 1 -- {{unknown}} ?\nFROM t", []any{}, "SELECT"},
		{"trailing semicolon dropped", "UPDATE t SET a={{1}} WHERE q={{群号}};", "UPDATE t SET a=? WHERE q=?", "UPDATE t SET a=$1 WHERE q=$2", []any{"cs01", "g1"}, "UPDATE"},
		{"spaces inside braces", "SELECT * FROM t WHERE a = {{ 1 }}", "SELECT * FROM t WHERE a = ?", "SELECT * FROM t WHERE a = $1", []any{"cs01"}, "SELECT"},
		{"quoted identifier without placeholder", `SELECT "名字" FROM [t] WHERE a={{1}}`, `SELECT "名字" FROM [t] WHERE a=?`, `SELECT "名字" FROM [t] WHERE a=$1`, []any{"cs01"}, "SELECT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tp, err := Compile(tc.src, names)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if got := tp.SQL(Question); got != tc.wantQuestion {
				t.Errorf("SQL(?) = %q, want %q", got, tc.wantQuestion)
			}
			if got := tp.SQL(Dollar); got != tc.wantDollar {
				t.Errorf("SQL($) = %q, want %q", got, tc.wantDollar)
			}
			if got := tp.Args(vals); !reflect.DeepEqual(got, tc.wantArgs) {
				t.Errorf("Args = %#v, want %#v", got, tc.wantArgs)
			}
			if tp.Verb != tc.wantVerb {
				t.Errorf("Verb = %q, want %q", tp.Verb, tc.wantVerb)
			}
		})
	}
}

func TestCompile_AtPStyleNumbersEachParameter(t *testing.T) {
	tp, err := Compile("SELECT * FROM t WHERE a={{1}} AND b='{{2}}'", names)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tp.SQL(AtP), "SELECT * FROM t WHERE a=@p1 AND b=@p2"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCompile_RejectsUnsafeOrBrokenTemplates(t *testing.T) {
	tests := []struct{ name, src, wantMsg string }{
		{"unknown placeholder", "SELECT * FROM t WHERE a={{密码}}", "未知的占位符"},
		{"unterminated placeholder", "SELECT * FROM t WHERE a={{1", "缺少结尾的 }}"},
		{"placeholder in identifier", `SELECT "{{1}}" FROM t`, "表名或列名"},
		{"placeholder in bracket identifier", `SELECT * FROM [{{1}}]`, "表名或列名"},
		{"second statement", "SELECT 1; DELETE FROM t", "一条 SQL 语句"},
		{"attach", "ATTACH DATABASE 'x.db' AS x", "ATTACH"},
		{"pragma", "PRAGMA table_info(t)", "PRAGMA"},
		{"raw question mark", "SELECT * FROM t WHERE a = ?", "不能直接写 ?"},
		{"unterminated string", "SELECT * FROM t WHERE a = 'x", "单引号"},
		{"unterminated comment", "SELECT 1 /* x", "*/"},
		{"empty", "  ", "不能为空"},
		{"invalid utf8", "SELECT '\xff'", "UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.src, names)
			if err == nil || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("Compile(%q) error = %v, want one containing %q", tc.src, err, tc.wantMsg)
			}
		})
	}
}

// FuzzCompile: no input panics, and a compiled template never carries argument
// text in its SQL: the values only ever travel as parameters.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"SELECT xtuser, name, qq FROM staff WHERE qq = '{{来源QQ}}' OR xtuser = {{1}}",
		"SELECT * FROM t WHERE n LIKE '%{{1}}%' -- {{x}}",
		"UPDATE t SET a='{{2}}' WHERE b={{1}};",
		`SELECT "a" FROM [b] WHERE c='''{{1}}'''`,
		"SELECT /* {{1}} */ 1",
		"{{", "'{{1}}", "{{1}}}}", "SELECT '{{1}}' || {{2}}",
	} {
		f.Add(s, "x' OR '1'='1")
	}
	f.Fuzz(func(t *testing.T, src, arg string) {
		tp, err := Compile(src, names)
		if err != nil {
			return
		}
		marker := "\x00INJECT\x00" + arg
		vals := map[string]string{"qq": marker, "group": marker, "user": marker, "content": marker, "1": marker, "2": marker}
		args := tp.Args(vals)
		if len(args) != tp.NumParams() {
			t.Fatalf("%d args for %d params", len(args), tp.NumParams())
		}
		for _, style := range []BindStyle{Question, Dollar, AtP} {
			if q := tp.SQL(style); strings.Contains(q, "\x00INJECT\x00") {
				t.Fatalf("argument text reached the SQL: %q", q)
			}
		}
	})
}
