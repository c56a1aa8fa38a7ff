package sqltmpl

// Save-time checks on the statement's tokens. Compile drops comments and keeps
// string literals and quoted names as single tokens, so a keyword inside
// '...', "...", [...] or a comment is never mistaken for SQL here.

import (
	"fmt"
	"slices"
	"strings"
)

type tokKind int

const (
	tokNone   tokKind = iota // before the first and after the last token
	tokWord                  // bare word, upper case: SELECT, staff, from_date, 名字, 1
	tokIdent                 // "name", `name`, [name]: text is the name inside
	tokString                // '...' without placeholders: text is the value
	tokParam                 // a bound parameter: {{1}} or '%{{1}}%'; text is as written
	tokPunct                 // any other character: ( ) , . = ...
)

type token struct {
	kind tokKind
	text string
	off  int
}

func (t token) is(kind tokKind, texts ...string) bool {
	return t.kind == kind && slices.Contains(texts, t.text)
}

// unquote returns the value of a '...' literal as written in SQL.
func unquote(lit string) string {
	return strings.ReplaceAll(lit[1:len(lit)-1], "''", "'")
}

// frame is one level of parentheses (the statement itself is the outermost).
type frame struct {
	query  bool   // holds a statement or subquery, not function arguments
	cols   bool   // the column list of INSERT INTO t (...)
	clause string // the clause being read at this level: FROM, SET, ORDER BY ...
}

// clauses start a part of a statement; the clause decides what a comma-separated
// item at that level is (a table after FROM, a column after SET or ORDER BY).
var clauses = map[string]bool{"SELECT": true, "FROM": true, "WHERE": true, "HAVING": true, "LIMIT": true, "OFFSET": true,
	"SET": true, "VALUES": true, "ON": true, "USING": true, "RETURNING": true, "UNION": true, "EXCEPT": true,
	"INTERSECT": true, "WINDOW": true, "FETCH": true, "FOR": true}

// operators continue an expression: "ORDER BY {{1}} = col" sorts by something
// that differs per row, "ORDER BY {{1}} DESC" does not.
var operators = map[string]bool{"AND": true, "OR": true, "IS": true, "IN": true, "NOT": true, "LIKE": true,
	"GLOB": true, "REGEXP": true, "MATCH": true, "BETWEEN": true}

// checkValuePositions refuses a parameter where SQL wants a name: a bound
// parameter is always a value, so "FROM {{1}}" fails on the database with a
// syntax error at best, and "ORDER BY {{1}}" silently sorts by a constant.
func checkValuePositions(toks []token) error {
	stack := []frame{{query: true}}
	for k, tk := range toks {
		top := &stack[len(stack)-1]
		var prev2, prev, next token
		if k > 1 {
			prev2 = toks[k-2]
		}
		if k > 0 {
			prev = toks[k-1]
		}
		if k+1 < len(toks) {
			next = toks[k+1]
		}
		switch {
		case tk.is(tokPunct, "("):
			stack = append(stack, frame{query: next.is(tokWord, "SELECT", "WITH", "VALUES"), cols: insertColumns(toks[:k])})
		case tk.is(tokPunct, ")"):
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
		case tk.kind == tokWord && (tk.text == "ORDER" || tk.text == "GROUP" || tk.text == "PARTITION") && next.is(tokWord, "BY"):
			top.clause = tk.text + " BY"
		case tk.is(tokWord, "FROM") && prev.is(tokWord, "DISTINCT"):
			// IS [NOT] DISTINCT FROM value
		case tk.is(tokWord, "SET") && prev.is(tokWord, "CHARACTER"):
			// CHARACTER SET utf8 (MySQL), not UPDATE ... SET
		case tk.kind == tokWord && clauses[tk.text]:
			top.clause = tk.text
		case tk.kind == tokParam:
			if where, what := namePosition(top, prev2, prev, next); where != "" {
				if what == "" {
					return &Error{Offset: tk.off, Msg: fmt.Sprintf("%s %s 只会按一个固定的值%s（每一行都一样），不能用来选择列："+
						"占位符只能放在值的位置，不能代替列名；请直接写列名，例如 %s name", top.clause, tk.text, where, top.clause)}
				}
				return &Error{Offset: tk.off, Msg: fmt.Sprintf("占位符 %s 不能用在%s：占位符只能放在值的位置（例如 WHERE name = {{1}}），"+
					"不能代替表名或列名；请把%s直接写在 SQL 里", tk.text, where, what)}
			}
		}
	}
	return nil
}

// namePosition tells whether a parameter after prev2 prev and before next
// stands where a name goes: where it is and what name belongs there. For a
// lone sort or group key it returns the action and no name.
func namePosition(top *frame, prev2, prev, next token) (where, what string) {
	switch {
	case prev.is(tokPunct, ".") || next.is(tokPunct, "."):
		return "带点的名称里（表名.列名）", "表名和列名"
	case prev.is(tokWord, "JOIN", "INTO", "UPDATE", "TABLE"):
		return " " + prev.text + " 后面", "表名"
	case prev.is(tokWord, "FROM") && top.query && !prev2.is(tokWord, "DISTINCT"):
		// In function arguments FROM takes a value: EXTRACT(YEAR FROM {{1}});
		// so does IS [NOT] DISTINCT FROM.
		return " FROM 后面", "表名"
	case prev.is(tokWord, "AS"):
		return " AS 后面", "别名或类型名"
	case top.cols:
		return " INSERT 的列名列表里", "列名"
	case top.clause == "FROM" && top.query && prev.is(tokPunct, ","):
		return " FROM 后面的表名列表里", "表名"
	case top.clause == "SET" && (prev.is(tokWord, "SET") || prev.is(tokPunct, ",")):
		return " SET 后面", "列名"
	case strings.HasSuffix(top.clause, " BY") && (prev.is(tokWord, "BY") || prev.is(tokPunct, ",")) && keyEnds(next):
		if top.clause == "ORDER BY" {
			return "排序", ""
		}
		return "分组", ""
	}
	return "", ""
}

// keyEnds: the token after a parameter ends the sort/group key (", DESC", ")", end).
func keyEnds(next token) bool {
	switch next.kind {
	case tokNone:
		return true
	case tokPunct:
		return next.text == "," || next.text == ")"
	case tokWord:
		return !operators[next.text]
	}
	return false
}

// insertColumns: toks ends with INSERT [INTO] name, so the next "(" opens its column list.
func insertColumns(toks []token) bool {
	j := len(toks) - 1
	if j < 0 || (toks[j].kind != tokWord && toks[j].kind != tokIdent) {
		return false
	}
	for j >= 2 && toks[j-1].is(tokPunct, ".") && (toks[j-2].kind == tokWord || toks[j-2].kind == tokIdent) {
		j -= 2
	}
	return j >= 1 && toks[j-1].is(tokWord, "INTO", "INSERT")
}

// writeWords change data or the schema; a read may not contain them anywhere
// (PostgreSQL runs "WITH d AS (DELETE ... RETURNING *) SELECT ..." as a write).
var writeWords = map[string]bool{"INSERT": true, "UPDATE": true, "DELETE": true, "REPLACE": true, "MERGE": true,
	"CREATE": true, "DROP": true, "ALTER": true, "TRUNCATE": true, "VACUUM": true,
	"REINDEX": true, "ANALYZE": true, "GRANT": true, "REVOKE": true}

// CheckRead refuses a statement that is not a pure read, for query templates:
// SELECT, WITH ... SELECT or VALUES, with nothing in it that writes or locks.
// The query path is also read-only on the database; this says why at save.
func (t *Template) CheckRead() error {
	const readOnly = "查询模板只能读取数据，请写 SELECT …、WITH … SELECT … 或 VALUES …；要修改数据，请把模板类型改为 insert（填报）或 update（修改）"
	if !slices.Contains([]string{"SELECT", "WITH", "VALUES"}, t.Verb) {
		return &Error{Msg: fmt.Sprintf("查询模板不能以 %s 开头：%s", t.Verb, readOnly)}
	}
	for k, tk := range t.toks {
		if tk.kind != tokWord {
			continue
		}
		var next token
		if k+1 < len(t.toks) {
			next = t.toks[k+1]
		}
		switch {
		case tk.text == "FOR" && next.is(tokWord, "UPDATE", "SHARE", "NO", "KEY"), tk.text == "LOCK" && next.is(tokWord, "IN"):
			return &Error{Offset: tk.off, Msg: "查询模板不能加锁（FOR UPDATE、FOR SHARE、LOCK IN SHARE MODE）：" +
				"加锁会挡住 ERP 对这些行的修改；请去掉这一段，普通的 SELECT 就能读到数据"}
		case tk.text == "INTO":
			return &Error{Offset: tk.off, Msg: "查询模板不能用 SELECT … INTO（会新建表，或写入变量、文件）：" +
				"请去掉 INTO 部分，直接 SELECT 要返回的列"}
		case (tk.text == "INSERT" || tk.text == "REPLACE") && next.is(tokPunct, "("):
			// the string functions INSERT(s, pos, len, new) (MySQL) and REPLACE(s, from, to)
		case writeWords[tk.text]:
			return &Error{Offset: tk.off, Msg: "查询模板不能包含 " + tk.text + "：" + readOnly}
		}
	}
	return nil
}

// sqliteSchema are SQLite's built-in tables that list every table, index and
// attached file; pragma_* table-valued functions read the same (pragma_database_list
// shows file paths).
var sqliteSchema = []string{"sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema", "sqlite_dbpage", "dbstat"}

// CheckSQLite refuses, for a template on an SQLite data source, reads of the
// schema tables and the pragma functions: they reveal the attached files'
// paths and the whole schema, not the ERP's data. Quoted names count too, and
// so does a plain string, because SQLite takes FROM 'sqlite_master' as a name.
func (t *Template) CheckSQLite() error {
	for _, tk := range t.toks {
		if tk.kind != tokWord && tk.kind != tokIdent && tk.kind != tokString {
			continue
		}
		name := strings.ToLower(strings.TrimSpace(tk.text))
		if slices.Contains(sqliteSchema, name) || (strings.HasPrefix(name, "pragma_") && tk.kind != tokString) {
			return &Error{Offset: tk.off, Msg: fmt.Sprintf("SQLite 数据源的模板不能读取 %s（它会暴露数据库的结构和文件路径）："+
				"请只查询 ERP 的业务表，表结构请在数据库工具里查看", name)}
		}
	}
	return nil
}
