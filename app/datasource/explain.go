package datasource

import (
	"errors"
	"regexp"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// ExplainQuery says in Chinese why a template's statement failed, for the
// errors an admin meets while writing one (a table or column that is not
// there, a typo in the SQL, missing rights): what happened and what to do;
// both "" when it is none of them. The window's 试运行 shows them in place
// of the driver's English.
func ExplainQuery(err error) (what, todo string) {
	if err == nil {
		return "", ""
	}
	var (
		pgErr *pgconn.PgError
		myErr *mysql.MySQLError
	)
	kind, name := "", ""
	switch {
	case errors.As(err, &pgErr):
		kind = map[string]string{"42P01": "table", "42703": "column", "42601": "syntax", "42501": "rights", "22P02": "value", "42883": "function"}[pgErr.Code]
		name = quoted(pgErr.Message)
	case errors.As(err, &myErr):
		kind = map[uint16]string{1146: "table", 1054: "column", 1064: "syntax", 1142: "rights", 1143: "rights", 1305: "function"}[myErr.Number]
		name = quoted(myErr.Message)
		if kind == "table" {
			name = lastPart(name) // 'erp.goods' → goods
		}
	case mssqlNumber(err) != 0:
		kind = map[int32]string{208: "table", 207: "column", 102: "syntax", 156: "syntax", 229: "rights", 195: "function"}[mssqlNumber(err)]
		name = quoted(err.Error())
	default: // SQLite: "SQL logic error: no such table: staff (1)"
		for k, re := range sqliteErrors {
			if m := re.FindStringSubmatch(err.Error()); m != nil {
				kind = k
				if len(m) > 1 {
					name = m[1]
				}
			}
		}
	}
	switch kind {
	case "table":
		return "数据库中没有表“" + name + "”", "请检查表名是否写错，并确认模板选的数据源是 ERP 的数据库（内置 data.db 里只有自己建的表）"
	case "column":
		return "表中没有列“" + name + "”", "请检查列名是否写错，或先在数据库里确认这张表有哪些列"
	case "syntax":
		if name != "" {
			return "SQL 语法有误（在“" + name + "”附近）", "请检查拼写、逗号和引号"
		}
		return "SQL 语法有误", "请检查拼写、逗号和引号"
	case "rights":
		return "数据库用户没有读取这张表的权限", "请让数据库管理员给数据源中的用户授权"
	case "value":
		return "参数的值与列的类型不符（例如给数字列传了文字）", "请检查示例参数，或在 SQL 中转换类型"
	case "function":
		return "数据库不认识 SQL 中的函数“" + name + "”", "不同数据库的函数名不同，请换成该数据库的写法"
	}
	return "", ""
}

var sqliteErrors = map[string]*regexp.Regexp{
	"table":    regexp.MustCompile(`no such table: ([^\s(]+)`),
	"column":   regexp.MustCompile(`no such column: ([^\s(]+)`),
	"syntax":   regexp.MustCompile(`near "([^"]*)": syntax error`),
	"function": regexp.MustCompile(`no such function: ([^\s(]+)`),
}

var quotedName = regexp.MustCompile(`["'“]([^"'”]+)["'”]`)

// quoted is the first name a driver's message quotes.
func quoted(msg string) string {
	if m := quotedName.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return ""
}

func lastPart(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			return s[i+1:]
		}
	}
	return s
}
