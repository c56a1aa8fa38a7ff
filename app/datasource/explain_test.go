package datasource_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"botgate/app/datasource"
)

// The mistakes an admin makes while writing a template, as each real
// database reports them, come back in Chinese with what to do.
func TestExplainQuery_TableColumnAndSyntaxMistakes(t *testing.T) {
	sources := []struct{ driver, dsn string }{
		{"sqlite", filepath.Join(t.TempDir(), "erp.db")},
		{"postgres", serverDSN(t, "BOTGATE_TEST_PG_DSN")},
		{"mysql", serverDSN(t, "BOTGATE_TEST_MYSQL_DSN")},
	}
	mistakes := []struct{ name, sql, what, todo string }{
		{"missing table", "SELECT name FROM no_such_table_bg", "数据库中没有表“no_such_table_bg”", "请检查表名"},
		{"missing column", "SELECT no_such_col_bg FROM explain_bg", "表中没有列“no_such_col_bg”", "请检查列名"},
		{"syntax", "SELECT name FORM explain_bg", "SQL 语法有误", "请检查拼写"},
	}
	for _, s := range sources {
		t.Run(s.driver, func(t *testing.T) {
			ctx := context.Background()
			src, err := datasource.Open(ctx, s.driver, s.dsn, "")
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if _, err := src.Exec(ctx, "CREATE TABLE explain_bg (name VARCHAR(20))", nil); err != nil {
				t.Fatal(err)
			}
			defer src.Exec(ctx, "DROP TABLE explain_bg", nil)
			for _, m := range mistakes {
				_, err := src.Query(ctx, m.sql, nil, 10)
				what, todo := datasource.ExplainQuery(err)
				if !strings.Contains(what, m.what) || !strings.HasPrefix(todo, m.todo) {
					t.Errorf("%s: ExplainQuery(%v) = %q, %q; want %q, %q…", m.name, err, what, todo, m.what, m.todo)
				}
			}
		})
	}
}

func TestExplainQuery_OtherErrorsAreLeftToTheCaller(t *testing.T) {
	if what, todo := datasource.ExplainQuery(context.DeadlineExceeded); what != "" || todo != "" {
		t.Fatalf("a timeout was explained as %q %q", what, todo)
	}
}
