package config

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"botgate/app/sqltmpl"
	"botgate/model"
)

// CheckTemplate checks a template being saved or tried against the data
// sources it may name, and returns it as stored and its compiled statement.
func CheckTemplate(t Template, sources map[string]model.DataSource) (model.Template, *sqltmpl.Template, error) {
	st := model.Template{Keyword: strings.TrimSpace(t.Keyword), Kind: strings.TrimSpace(t.Kind), DataSource: strings.TrimSpace(t.DataSource),
		SQL: strings.TrimSpace(t.SQL), Roles: cleanList(t.Roles), Users: cleanList(t.Users), Chat: t.Chat, Reply: t.Reply,
		MaxRows: t.MaxRows, TimeoutMS: t.TimeoutMS, Enabled: true}
	if t.Enabled != nil {
		st.Enabled = *t.Enabled
	}
	if st.Keyword == "" {
		return st, nil, model.Invalid("keyword", "关键字不能为空")
	}
	if strings.IndexFunc(st.Keyword, unicode.IsSpace) >= 0 || utf8.RuneCountInString(st.Keyword) > 32 {
		return st, nil, model.Invalid("keyword", "关键字不能包含空格，最多 32 个字")
	}
	if st.Kind == "" {
		st.Kind = model.KindQuery
	}
	driver := "sqlite" // the built-in data source
	if st.DataSource != "" && st.DataSource != DefaultSource {
		d, ok := sources[st.DataSource]
		if !ok {
			return st, nil, model.Invalid("datasource", "数据源“%s”不存在，请先在“数据源”中添加", st.DataSource)
		}
		driver = d.Driver
	}
	stmt, e := CompileTemplate(st.Kind, driver, st.SQL)
	if e != nil {
		return st, nil, e
	}
	if st.MaxRows == 0 {
		st.MaxRows = 50
	}
	if st.MaxRows < 1 || st.MaxRows > 10000 {
		return st, nil, model.Invalid("max_rows", "最多行数必须在 1 到 10000 之间")
	}
	if st.TimeoutMS == 0 {
		st.TimeoutMS = 5000
	}
	if st.TimeoutMS < 100 || st.TimeoutMS > 120000 {
		return st, nil, model.Invalid("timeout_ms", "超时必须在 100 到 120000 毫秒之间")
	}
	return st, stmt, nil
}

// CompileTemplate is the one check of a template's SQL, used when a
// template is saved, tried and loaded: it compiles, fits the kind, and is
// allowed on the data source's driver (what sqlite may not read).
func CompileTemplate(kind, driver, sql string) (*sqltmpl.Template, *model.Error) {
	stmt, err := sqltmpl.Compile(sql, model.VarName)
	if err != nil {
		return nil, model.Invalid("sql", "%v", err)
	}
	if e := checkVerb(kind, stmt); e != nil {
		return nil, e
	}
	if driver == "sqlite" {
		if err := stmt.CheckSQLite(); err != nil {
			return nil, model.Invalid("sql", "%v", err)
		}
	}
	return stmt, nil
}

// checkVerb makes sure a template's statement fits its kind.
func checkVerb(kind string, stmt *sqltmpl.Template) *model.Error {
	switch kind {
	case model.KindQuery:
		if err := stmt.CheckRead(); err != nil {
			return model.Invalid("sql", "%v", err)
		}
	case model.KindInsert, model.KindUpdate:
		if !slices.Contains([]string{"INSERT", "UPDATE", "DELETE", "REPLACE", "WITH", "MERGE"}, stmt.Verb) {
			return model.Invalid("sql", "填报/修改模板必须是 INSERT、UPDATE 或 DELETE 语句（现在是 %s）", stmt.Verb)
		}
	default:
		return model.Invalid("kind", "模板类型 %q 无效，应为 query（查询）、insert（填报）或 update（修改）", kind)
	}
	return nil
}
