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
		tp.CheckRead() // must not panic either
		tp.CheckSQLite()
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

func TestCompile_PlaceholderWhereANameGoes_Refused(t *testing.T) {
	tests := []struct{ name, src, where string }{
		{"select from", "SELECT * FROM {{1}}", "FROM 后面"},
		{"from quoted literal", "SELECT * FROM '{{1}}'", "FROM 后面"},
		{"subquery from", "SELECT * FROM t WHERE a IN (SELECT b FROM {{2}})", "FROM 后面"},
		{"from list", "SELECT * FROM t, {{1}}", "表名列表"},
		{"join", "SELECT * FROM t JOIN {{1}} ON t.a = b", "JOIN 后面"},
		{"left join", "SELECT * FROM t LEFT JOIN {{群号}} USING (a)", "JOIN 后面"},
		{"insert into", "INSERT INTO {{1}} (a) VALUES (1)", "INTO 后面"},
		{"insert column list", "INSERT INTO t (a, {{1}}) VALUES (1, 2)", "列名列表"},
		{"insert column list of a qualified table", "INSERT INTO erp.t ({{1}}) VALUES (2)", "列名列表"},
		{"update table", "UPDATE {{1}} SET a = 1", "UPDATE 后面"},
		{"update set column", "UPDATE t SET {{1}} = 2", "SET 后面"},
		{"update second set column", "UPDATE t SET a = COALESCE({{2}}, a), {{1}} = 3", "SET 后面"},
		{"delete from", "DELETE FROM {{1}} WHERE a = 1", "FROM 后面"},
		{"table before a column", "SELECT {{1}}.col FROM t", "带点的名称"},
		{"column after a table", "SELECT t.{{1}} FROM t", "带点的名称"},
		{"alias", "SELECT name AS {{1}} FROM t", "AS 后面"},
		{"order by", "SELECT * FROM t ORDER BY {{1}}", "排序"},
		{"order by second key with direction", "SELECT * FROM t ORDER BY a, {{1}} DESC", "排序"},
		{"order by quoted", "SELECT * FROM t ORDER BY '{{1}}' LIMIT 5", "排序"},
		{"group by", "SELECT a, COUNT(*) FROM t GROUP BY {{1}}", "分组"},
		{"partition by", "SELECT ROW_NUMBER() OVER (PARTITION BY {{1}}) FROM t", "分组"},
		{"placeholder in a quoted name", `SELECT "{{1}}" FROM t`, "表名或列名"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.src, names)
			if err == nil {
				t.Fatalf("Compile(%q) accepted a placeholder where a name goes", tc.src)
			}
			msg := err.Error()
			// Names the placeholder, where it is, and what to write instead.
			if !strings.Contains(msg, "{{") || !strings.Contains(msg, tc.where) || !strings.Contains(msg, "占位符只能放在值的位置") {
				t.Fatalf("Compile(%q) error = %q, want the placeholder, %q and what to write instead", tc.src, msg, tc.where)
			}
		})
	}
}

func TestCompile_PlaceholderWhereAValueGoes_Accepted(t *testing.T) {
	for _, src := range []string{
		"SELECT * FROM t WHERE name = {{1}}",
		"SELECT xtuser FROM staff WHERE qq='{{来源QQ}}'",
		"SELECT * FROM t WHERE name LIKE '%' || {{1}} || '%'",
		"SELECT from_date, update_time, created_by FROM t WHERE from_date >= {{1}}",
		"SELECT 'DELETE FROM t' AS note FROM t WHERE a = {{1}}",
		"SELECT a FROM t -- DELETE FROM {{1}}\nWHERE b = {{2}}",
		"WITH x AS (SELECT a FROM t WHERE b = {{1}}) SELECT a FROM x",
		"INSERT INTO t(a) VALUES ({{1}})",
		"INSERT INTO t (a, b) SELECT {{1}}, b FROM u WHERE c = {{2}}",
		"UPDATE t SET a = COALESCE({{1}}, a), b = {{2}} WHERE id = {{3}}",
		"SELECT {{1}} AS a, {{2}} b FROM t",
		"SELECT CAST({{1}} AS INTEGER)",
		"SELECT * FROM t WHERE EXTRACT(YEAR FROM born) = EXTRACT(YEAR FROM {{1}})",
		"SELECT SUBSTRING(name FROM {{1}} FOR 2) FROM t",
		"SELECT * FROM t WHERE a IS NOT DISTINCT FROM {{1}}",
		"SELECT * FROM t ORDER BY CASE WHEN {{1}} = 'name' THEN name END, id",
		"SELECT * FROM t ORDER BY {{1}} = name DESC",
		"SELECT * FROM t WHERE a = {{1}} ORDER BY id LIMIT {{2}} OFFSET {{3}}",
		"SELECT * FROM t WHERE a IN (SELECT b FROM u WHERE c = {{1}})",
	} {
		if _, err := Compile(src, names); err != nil {
			t.Errorf("Compile(%q): %v", src, err)
		}
	}
}

func TestCheckRead_WritesAndLocksRefused_ReadsAccepted(t *testing.T) {
	refused := []struct{ name, src, want string }{
		{"cte then delete", "WITH x AS (SELECT 1) DELETE FROM t", "DELETE"},
		{"cte then update", "WITH x AS (SELECT 1) UPDATE t SET a = 1", "UPDATE"},
		{"cte then insert", "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", "INSERT"},
		{"writing cte", "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "DELETE"},
		{"cte then merge", "WITH s AS (SELECT 1 AS a) MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE", "MERGE"},
		{"insert returning", "INSERT INTO t (a) VALUES ({{1}}) RETURNING a", "INSERT"},
		{"update returning", "UPDATE t SET a = {{1}} RETURNING a", "UPDATE"},
		{"replace", "REPLACE INTO t (a) VALUES (1)", "REPLACE"},
		{"merge", "MERGE INTO t USING u ON t.a = u.a WHEN MATCHED THEN DELETE", "MERGE"},
		{"create", "CREATE TABLE x AS SELECT * FROM t", "CREATE"},
		{"drop", "DROP TABLE t", "DROP"},
		{"alter", "ALTER TABLE t ADD COLUMN b", "ALTER"},
		{"reindex", "REINDEX t", "REINDEX"},
		{"analyze", "ANALYZE t", "ANALYZE"},
		{"select into", "SELECT * INTO t2 FROM t", "INTO"},
		{"select into at the end", "SELECT name FROM t WHERE id = 1 INTO @x", "INTO"},
		{"for update", "SELECT * FROM t WHERE id = {{1}} FOR UPDATE", "FOR UPDATE"},
		{"for no key update", "SELECT * FROM t FOR NO KEY UPDATE", "FOR UPDATE"},
		{"for share", "SELECT * FROM t FOR SHARE", "FOR SHARE"},
		{"lock in share mode", "SELECT * FROM t LOCK IN SHARE MODE", "LOCK IN SHARE MODE"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			tp, err := Compile(tc.src, names)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tc.src, err)
			}
			err = tp.CheckRead()
			if err == nil {
				t.Fatalf("CheckRead(%q) accepted a statement that writes", tc.src)
			}
			// Names the problem and says what to write instead.
			if msg := err.Error(); !strings.Contains(msg, tc.want) || !strings.Contains(msg, "请") {
				t.Fatalf("CheckRead(%q) = %q, want one naming %q and what to do", tc.src, msg, tc.want)
			}
		})
	}
	for _, src := range []string{
		"SELECT * FROM t WHERE name = {{1}}",
		"SELECT from_date, update_time, deleted, created_at FROM t",
		"SELECT 'DELETE' AS a, 'x''; DROP TABLE t' AS b FROM t",
		"SELECT a FROM t -- DELETE FROM t\n/* UPDATE t SET a = 1 */",
		`SELECT "delete", [update], ` + "`insert`" + ` FROM t`,
		"WITH x AS (SELECT a FROM t) SELECT a FROM x",
		"WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5) SELECT n FROM c",
		"VALUES (1, {{1}})",
		"SELECT REPLACE(name, '-', '') AS n, INSERT(name, 1, 1, 'x') AS m FROM t",
		"SELECT SUBSTRING(name FROM 1 FOR 2) FROM t",
		"SELECT * FROM t FOR XML PATH",
	} {
		tp, err := Compile(src, names)
		if err != nil {
			t.Fatalf("Compile(%q): %v", src, err)
		}
		if err := tp.CheckRead(); err != nil {
			t.Errorf("CheckRead(%q): %v", src, err)
		}
	}
}

func TestCheckSQLite_SchemaAndPragmaReadsRefused(t *testing.T) {
	refused := []struct{ src, want string }{
		{"SELECT sql FROM sqlite_master", "sqlite_master"},
		{"SELECT name FROM main.sqlite_schema", "sqlite_schema"},
		{"SELECT * FROM sqlite_temp_master", "sqlite_temp_master"},
		{`SELECT * FROM "SQLITE_MASTER"`, "sqlite_master"},
		{"SELECT * FROM [sqlite_schema]", "sqlite_schema"},
		{"SELECT * FROM `sqlite_master`", "sqlite_master"},
		{"SELECT * FROM 'sqlite_master'", "sqlite_master"},
		{"SELECT * FROM t WHERE EXISTS (SELECT 1 FROM sqlite_master WHERE name = {{1}})", "sqlite_master"},
		{"SELECT * FROM pragma_table_info('staff')", "pragma_table_info"},
		{"SELECT file FROM pragma_database_list", "pragma_database_list"},
		{"SELECT * FROM sqlite_dbpage", "sqlite_dbpage"},
		{"SELECT name FROM dbstat", "dbstat"},
	}
	for _, tc := range refused {
		tp, err := Compile(tc.src, names)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tc.src, err)
		}
		err = tp.CheckSQLite()
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "请只查询") {
			t.Errorf("CheckSQLite(%q) = %v, want a refusal naming %q and what to do", tc.src, err, tc.want)
		}
	}
	for _, src := range []string{
		"SELECT * FROM staff WHERE qq = '{{来源QQ}}'",
		"SELECT sqlite_version() AS v",
		"SELECT * FROM t WHERE note = 'see pragma_table_info' -- sqlite_master",
		"SELECT master, schema_name FROM t",
	} {
		tp, err := Compile(src, names)
		if err != nil {
			t.Fatalf("Compile(%q): %v", src, err)
		}
		if err := tp.CheckSQLite(); err != nil {
			t.Errorf("CheckSQLite(%q): %v", src, err)
		}
	}
}
