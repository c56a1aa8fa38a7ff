package datasource_test

// The common template suite: the same templates, run through app (Import,
// RunKeyword, Authenticate) against SQLite, PostgreSQL and MariaDB/MySQL.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"botgate/app"
	"botgate/app/auth"
	"botgate/app/config"
	"botgate/app/datasource"
	"botgate/model"
)

// erp is one prepared database with BotGate in front of it.
type erp struct {
	c     dbCase
	src   datasource.Source // direct access, for setup and checks
	app   *app.App
	staff string // table names, unique per run
	login string
}

// b64 of the two BLOB values: ff 00 41 (not text) and "abc" (valid UTF-8, still binary).
const (
	photo1 = "/wBB"
	photo2 = "YWJj"
)

func newERP(t *testing.T, c dbCase) *erp {
	t.Helper()
	e := &erp{c: c, src: openSource(t, c), staff: uniqueName("bg_staff"), login: uniqueName("bg_login")}
	suffix := ""
	if c.driver == "mysql" {
		suffix = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
	}
	mustExec(t, e.src, fmt.Sprintf(`CREATE TABLE %s (id INTEGER PRIMARY KEY, name %s NOT NULL, qq %s, amount %s,
		note %s NULL, born %s NULL, seen %s NULL, photo %s NULL)%s`,
		e.staff, c.text, c.bigint, c.decimal, c.text, c.date, c.datetime, c.blob, suffix))
	mustExec(t, e.src, fmt.Sprintf(`CREATE TABLE %s (login %s NOT NULL, pw %s NOT NULL)%s`, e.login, c.text, c.text, suffix))
	t.Cleanup(func() {
		ctx := context.Background()
		e.src.Exec(ctx, "DROP TABLE "+e.staff, nil)
		e.src.Exec(ctx, "DROP TABLE "+e.login, nil)
		if c.sneakyDrop != "" {
			e.src.Exec(ctx, fmt.Sprintf(c.sneakyDrop, e.staff), nil)
		}
	})
	if c.sneakySetup != "" {
		mustExec(t, e.src, fmt.Sprintf(c.sneakySetup, e.staff))
	}
	mustExec(t, e.src, fmt.Sprintf(`INSERT INTO %s (id, name, qq, amount, note, born, seen, photo) VALUES
		(1, '张三（财务部）😀', 9007199254740993, '12345678901234.56', NULL, '2024-02-29', '2024-02-29 08:30:05', %s),
		(2, '李四', 10001, '0.10', 'O''Brien', NULL, NULL, %s),
		(3, 'Wang', 10002, '0.20', '', '1999-12-31', '1999-12-31 23:59:59', NULL)`,
		e.staff, c.hexBlob("ff0041"), c.hexBlob("616263")))
	mustExec(t, e.src, fmt.Sprintf(`INSERT INTO %s (login, pw) VALUES ('erpuser', 's3cret!'), ('张会计', '密码123')`, e.login))

	ctx := context.Background()
	a, err := app.Open(ctx, app.Options{DBPath: filepath.Join(t.TempDir(), "botgate.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	e.app = a
	T := e.staff
	tpl := func(kw, kind, sql string, maxRows, timeoutMS int) config.Template {
		return config.Template{Keyword: kw, Kind: kind, DataSource: "erp", SQL: sql, MaxRows: maxRows, TimeoutMS: timeoutMS}
	}
	cf := config.File{
		DataSources: []config.DataSource{{Name: "erp", Driver: c.driver, DSN: c.dsn}},
		Templates: []config.Template{
			tpl("员工", "query", "SELECT id, name, qq, amount, note, born, seen, photo FROM "+T+" WHERE qq = '{{来源QQ}}' OR id = {{1}} ORDER BY id", 0, 0),
			tpl("按名", "query", "SELECT id, name FROM "+T+" WHERE name LIKE '%{{1}}%' ORDER BY id", 0, 0),
			tpl("名字", "query", "SELECT id, name, note FROM "+T+" WHERE name = {{1}} ORDER BY id", 0, 0),
			tpl("占位符", "query", "SELECT {{来源QQ}} AS qq, {{群号}} AS grp, {{user}} AS usr, {{content}} AS content, "+
				"{{1}} AS a1, {{2}} AS a2, {{3}} AS a3, {{4}} AS a4, {{5}} AS a5, {{6}} AS a6, {{7}} AS a7, {{8}} AS a8, {{9}} AS a9, "+
				"'[{{1}}-{{9}}]' AS quoted", 0, 0),
			tpl("加", "insert", "INSERT INTO "+T+" (id, name, qq, amount, note, born, seen) VALUES ({{1}}, {{2}}, {{来源QQ}}, {{3}}, {{4}}, {{5}}, {{6}})", 0, 0),
			tpl("改", "update", "UPDATE "+T+" SET amount = {{2}} WHERE id = {{1}}", 0, 0),
			tpl("慢", "query", fmt.Sprintf(c.sleep, "slow_"+T), 0, 300),
			tpl("合计", "query", "SELECT SUM(amount) AS total FROM "+T+" WHERE id IN (2, 3)", 0, 0),
			tpl("全部", "query", "SELECT id FROM "+T+" ORDER BY id", 2, 0),
		},
	}
	if c.sneakyWrite != "" {
		cf.Templates = append(cf.Templates, tpl("偷改", "query", fmt.Sprintf(c.sneakyWrite, T), 0, 0))
	}
	if _, err := a.Import(ctx, cf); err != nil {
		t.Fatalf("import: %v", err)
	}
	return e
}

func (e *erp) run(t *testing.T, kw string, vars model.Vars) (*model.KeywordResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return e.app.RunKeyword(ctx, model.Caller{Name: "admin"}, kw, vars)
}

func (e *erp) mustRun(t *testing.T, kw string, vars model.Vars) *model.KeywordResult {
	t.Helper()
	r, err := e.run(t, kw, vars)
	if err != nil {
		t.Fatalf("%s: %v (%v)", kw, err, errors.Unwrap(err))
	}
	return r
}

// nameOf1 reads row 1's name directly, to prove a write did or did not happen.
func (e *erp) nameOf1(t *testing.T) string {
	t.Helper()
	r, err := e.src.Query(context.Background(), "SELECT name FROM "+e.staff+" WHERE id = 1", nil, 1)
	if err != nil || len(r.Rows) != 1 {
		t.Fatalf("reading row 1: %v %v", r, err)
	}
	return r.Rows[0][0].(string)
}

func (e *erp) count(t *testing.T) int64 {
	t.Helper()
	r, err := e.src.Query(context.Background(), "SELECT COUNT(*) FROM "+e.staff, nil, 1)
	if err != nil {
		t.Fatalf("count: %v", err)
	}
	return r.Rows[0][0].(int64)
}

func TestSuite_Query_MapsTypesForERP(t *testing.T) {
	forEachDB(t, func(t *testing.T, c dbCase) {
		e := newERP(t, c)
		r := e.mustRun(t, "员工", model.Vars{"qq": "10001", "1": "1"})
		wantCols := []string{"id", "name", "qq", "amount", "note", "born", "seen", "photo"}
		if !reflect.DeepEqual(r.Columns, wantCols) {
			t.Fatalf("columns = %v, want %v", r.Columns, wantCols)
		}
		want := [][]any{
			{int64(1), "张三（财务部）😀", int64(9007199254740993), "12345678901234.56", nil, "2024-02-29", "2024-02-29T08:30:05", photo1},
			{int64(2), "李四", int64(10001), "0.10", "O'Brien", nil, nil, photo2},
		}
		if !reflect.DeepEqual(r.Rows, want) {
			t.Fatalf("rows =\n%#v\nwant\n%#v", r.Rows, want)
		}
		// What the ERP finally reads: integers as exact numbers, money as text.
		js, _ := json.Marshal(r.Rows[0])
		if wantJS := `[1,"张三（财务部）😀",9007199254740993,"12345678901234.56",null,"2024-02-29","2024-02-29T08:30:05","/wBB"]`; string(js) != wantJS {
			t.Fatalf("JSON = %s, want %s", js, wantJS)
		}
	})
}

func TestSuite_DecimalSum_IsExact(t *testing.T) {
	forEachDB(t, func(t *testing.T, c dbCase) {
		e := newERP(t, c)
		r := e.mustRun(t, "合计", nil)
		got := r.Rows[0][0]
		if c.exactSum {
			if got != "0.30" {
				t.Fatalf("SUM(0.10, 0.20) = %#v, want exact \"0.30\"", got)
			}
			return
		}
		// SQLite has no decimal type: SUM is floating point (documented);
		// the stored text itself stays exact, as TestSuite_Query_MapsTypesForERP shows.
		if f, ok := got.(float64); !ok || f < 0.2999 || f > 0.3001 {
			t.Fatalf("SQLite SUM = %#v", got)
		}
	})
}

func TestSuite_EveryPlaceholder_BindsItsValue(t *testing.T) {
	forEachDB(t, func(t *testing.T, c dbCase) {
		e := newERP(t, c)
		vars := model.Vars{"qq": "10001", "group": "群123", "user": "张三", "content": "内容 with 'quote'"}
		vars.SetArgs([]string{"一", "2", "3", "4", "5", "6", "7", "8", "九"})
		r := e.mustRun(t, "占位符", vars)
		want := []any{"10001", "群123", "张三", "内容 with 'quote'", "一", "2", "3", "4", "5", "6", "7", "8", "九", "[一-九]"}
		if len(r.Rows) != 1 || !reflect.DeepEqual(r.Rows[0], want) {
			t.Fatalf("row = %#v, want %#v", r.Rows, want)
		}
	})
}

func TestSuite_InjectionAttempts_AreInert(t *testing.T) {
	attacks := []string{
		"' OR '1'='1",
		"' OR 1=1 --",
		"李四' OR 'x'='x",
		"x'; DROP TABLE %s; --",
		"'); DELETE FROM %s; --",
		`\'; DELETE FROM %s; -- `,
		"%' OR '%'='",
		"1 UNION SELECT login, pw, pw FROM %s",
	}
	forEachDB(t, func(t *testing.T, c dbCase) {
		e := newERP(t, c)
		before := e.count(t)
		for _, a := range attacks {
			a = strings.ReplaceAll(a, "%s", e.staff)
			for _, kw := range []string{"名字", "按名"} {
				r, err := e.run(t, kw, model.Vars{"1": a})
				if err != nil {
					t.Fatalf("%s(%q): %v", kw, a, err)
				}
				if len(r.Rows) != 0 {
					t.Fatalf("%s(%q) matched rows %v: the argument was not taken literally", kw, a, r.Rows)
				}
			}
		}
		// The hostile text is stored and read back byte for byte.
		hostile := "x'); DROP TABLE " + e.staff + "; -- \\ \" `"
		if r := e.mustRun(t, "加", model.Vars{"1": "50", "2": hostile, "qq": "1", "3": "1.00", "4": "n", "5": "2024-01-01", "6": "2024-01-01 00:00:00"}); r.Affected != 1 {
			t.Fatalf("insert affected %d", r.Affected)
		}
		r := e.mustRun(t, "名字", model.Vars{"1": hostile})
		if len(r.Rows) != 1 || r.Rows[0][1] != hostile {
			t.Fatalf("hostile name read back as %#v", r.Rows)
		}
		if got := e.count(t); got != before+1 {
			t.Fatalf("rows = %d, want %d: an attack changed the table", got, before+1)
		}
	})
}

func TestSuite_InsertAndUpdate_WriteExactly(t *testing.T) {
	forEachDB(t, func(t *testing.T, c dbCase) {
		e := newERP(t, c)
		r := e.mustRun(t, "加", model.Vars{"1": "10", "2": "王五·仓库", "qq": "123456789012", "3": "99999999999999.99",
			"4": "备注：含\"引号\"和\n换行", "5": "2023-12-31", "6": "2023-12-31 23:59:58"})
		if r.Affected != 1 {
			t.Fatalf("insert affected %d, want 1", r.Affected)
		}
		if r := e.mustRun(t, "改", model.Vars{"1": "10", "2": "0.01"}); r.Affected != 1 {
			t.Fatalf("update affected %d, want 1", r.Affected)
		}
		// Setting the value it already has still counts the row (MySQL: CLIENT_FOUND_ROWS).
		if r := e.mustRun(t, "改", model.Vars{"1": "10", "2": "0.01"}); r.Affected != 1 {
			t.Fatalf("same-value update affected %d, want 1", r.Affected)
		}
		if r := e.mustRun(t, "改", model.Vars{"1": "999", "2": "1"}); r.Affected != 0 {
			t.Fatalf("update of a missing row affected %d", r.Affected)
		}
		got := e.mustRun(t, "员工", model.Vars{"qq": "123456789012", "1": "-1"})
		want := [][]any{{int64(10), "王五·仓库", int64(123456789012), "0.01", "备注：含\"引号\"和\n换行", "2023-12-31", "2023-12-31T23:59:58", nil}}
		if !reflect.DeepEqual(got.Rows, want) {
			t.Fatalf("rows = %#v, want %#v", got.Rows, want)
		}
		e.mustRun(t, "改", model.Vars{"1": "10", "2": "99999999999999.99"})
		if got := e.mustRun(t, "员工", model.Vars{"qq": "123456789012", "1": "-1"}).Rows[0][3]; got != "99999999999999.99" {
			t.Fatalf("amount = %#v after update, want exact 99999999999999.99", got)
		}
	})
}

func TestSuite_QueryTemplate_CannotWrite(t *testing.T) {
	forEachDB(t, func(t *testing.T, c dbCase) {
		e := newERP(t, c)
		// Through app: a query template that is a SELECT but writes in a function.
		if c.sneakyWrite == "" {
			// SQLite: no SELECT writes; the query path below is the proof.
		} else if _, err := e.run(t, "偷改", nil); err == nil {
			t.Fatalf("a writing query template ran")
		} else if model.ErrorOf(err).Code != model.CodeQueryFailed {
			t.Fatalf("error = %v, want code %d", err, model.CodeQueryFailed)
		}
		// Through the data source: plain writes sent down the query path.
		for _, q := range []string{
			"UPDATE " + e.staff + " SET name = 'hacked' WHERE id = 1",
			"DELETE FROM " + e.staff,
			"INSERT INTO " + e.staff + " (id, name) VALUES (77, 'x')",
		} {
			if _, err := e.src.Query(context.Background(), q, nil, 10); err == nil {
				t.Errorf("Query(%q) succeeded; query path must be read-only", q)
			}
		}
		if got := e.nameOf1(t); got != "张三（财务部）😀" {
			t.Fatalf("row 1 name = %q: the query path wrote", got)
		}
		if got := e.count(t); got != 3 {
			t.Fatalf("rows = %d, want 3", got)
		}
	})
}

func TestSuite_SlowQuery_TimesOutAndServerStops(t *testing.T) {
	forEachDB(t, func(t *testing.T, c dbCase) {
		e := newERP(t, c)
		start := time.Now()
		_, err := e.run(t, "慢", nil)
		elapsed := time.Since(start)
		if model.ErrorOf(err).Code != model.CodeQueryTimeout {
			t.Fatalf("err = %v, want code %d (timeout)", err, model.CodeQueryTimeout)
		}
		if elapsed > 2*time.Second {
			t.Fatalf("timeout of 300ms took %v", elapsed)
		}
		t.Logf("%s: 300ms template timeout answered after %v", c.name, elapsed.Round(time.Millisecond))
		if c.driver != "sqlite" {
			waitServerIdle(t, e, "slow_"+e.staff)
		}
		// The pool is still usable after the cancel.
		if r := e.mustRun(t, "员工", model.Vars{"1": "1"}); len(r.Rows) != 1 {
			t.Fatalf("after timeout: %v", r.Rows)
		}
	})
}

// waitServerIdle checks that the server itself stopped the statement marked
// with marker — the timeout reached the server, not only the client.
func waitServerIdle(t *testing.T, e *erp, marker string) {
	t.Helper()
	var q string
	switch e.c.driver {
	case "postgres":
		q = "SELECT COUNT(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND query LIKE '%" + marker + "%'"
	case "mysql":
		q = "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND INFO LIKE '%" + marker + "%'"
	}
	deadline := time.Now().Add(1500 * time.Millisecond)
	for {
		r, err := e.src.Query(context.Background(), q, nil, 1)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		n := r.Rows[0][0].(int64)
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d statement(s) still running on the server 1.5s after the timeout", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSuite_RowCap_Truncates(t *testing.T) {
	forEachDB(t, func(t *testing.T, c dbCase) {
		e := newERP(t, c)
		r := e.mustRun(t, "全部", nil)
		if !reflect.DeepEqual(r.Rows, [][]any{{int64(1)}, {int64(2)}}) || !r.Truncated {
			t.Fatalf("rows = %v truncated = %v, want 2 rows and truncated", r.Rows, r.Truncated)
		}
	})
}

func TestSuite_SQLAuth_ChecksERPUserTable(t *testing.T) {
	forEachDB(t, func(t *testing.T, c dbCase) {
		e := newERP(t, c)
		mode, ds := auth.ModeSQL, "erp"
		authSQL := "SELECT login FROM " + e.login + " WHERE login = '{{user}}' AND pw = {{Access_token}}"
		if _, err := e.app.Import(context.Background(), config.File{Settings: &config.SettingsPatch{AuthMode: &mode, AuthDataSource: &ds, AuthSQL: &authSQL}}); err != nil {
			t.Fatalf("import sql auth: %v", err)
		}
		tests := []struct {
			name, user, pw string
			ok             bool
		}{
			{"right pair passes", "erpuser", "s3cret!", true},
			{"Chinese user and password pass", "张会计", "密码123", true},
			{"wrong password fails", "erpuser", "wrong", false},
			{"unknown user fails", "nobody", "s3cret!", false},
			{"injection in password fails", "erpuser", "' OR '1'='1", false},
			{"injection in user fails", "' OR 1=1 --", "x", false},
			{"password of another user fails", "erpuser", "密码123", false},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				// A distinct client address each, so the failure throttle of one case cannot decide another.
				_, err := e.app.Authenticate(context.Background(), auth.Credentials{User: tc.user, Password: tc.pw, Remote: fmt.Sprintf("127.0.0.%d", i+2)})
				if tc.ok && err != nil {
					t.Fatalf("rejected: %v (%v)", err, errors.Unwrap(err))
				}
				if !tc.ok && model.ErrorOf(err).Code != model.CodeUnauthorized {
					t.Fatalf("err = %v, want code %d", err, model.CodeUnauthorized)
				}
			})
		}
	})
}
