package chat

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"botgate/model"
)

func TestParseChat(t *testing.T) {
	tests := []struct {
		name, text, prefix string
		ok                 bool
		keyword            string
		args               []string
		rest               string
	}{
		{"keyword alone", "账号", "", true, "账号", []string{}, ""},
		{"arguments split on any space, rest kept as typed", "  账号  cs02\u3000张三  ", "", true, "账号", []string{"cs02", "张三"}, "cs02\u3000张三"},
		{"multi-line message", "请假 3\n家里有事", "", true, "请假", []string{"3", "家里有事"}, "3\n家里有事"},
		{"prefix required and stripped", "#账号 cs02", "#", true, "账号", []string{"cs02"}, "cs02"},
		{"space after prefix allowed", "# 账号", "#", true, "账号", []string{}, ""},
		{"full-width prefix accepted", "＃账号", "#", true, "账号", []string{}, ""},
		{"without prefix is chatter", "账号", "#", false, "", nil, ""},
		{"prefix alone is chatter", "#", "#", false, "", nil, ""},
		{"blank message is chatter", " \n ", "", false, "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kw, args, rest, ok := Parse(tt.text, tt.prefix)
			if ok != tt.ok || kw != tt.keyword || rest != tt.rest || (ok && !slices.Equal(args, tt.args)) {
				t.Fatalf("Parse(%q, %q) = %q %q %q %v; want %q %q %q %v", tt.text, tt.prefix, kw, args, rest, ok, tt.keyword, tt.args, tt.rest, tt.ok)
			}
		})
	}
}

func rowsOf(n int) [][]any {
	var rows [][]any
	for i := 1; i <= n; i++ {
		rows = append(rows, []any{int64(i), "零件" + string(rune('A'+i-1))})
	}
	return rows
}

func TestFormatRows(t *testing.T) {
	cols := []string{"id", "name"}
	vars := model.Vars{"qq": "289192968", "1": "cs02"}
	tests := []struct {
		name, reply string
		res         model.KeywordResult
		maxRows     int
		maxRunes    int
		want        string
	}{
		{"one row: pattern only, no header", "{{name}}({{id}})", model.KeywordResult{Columns: cols, Rows: rowsOf(1)}, 10, 3000,
			"零件A(1)"},
		{"several rows get a count header", "{{name}}({{id}})", model.KeywordResult{Columns: cols, Rows: rowsOf(2)}, 10, 3000,
			"查到 2 条：\n零件A(1)\n零件B(2)"},
		{"no pattern: column：value pairs", "", model.KeywordResult{Columns: cols, Rows: rowsOf(1)}, 10, 3000,
			"id：1，name：零件A"},
		{"single column without pattern is the value", "", model.KeywordResult{Columns: []string{"n"}, Rows: [][]any{{int64(42)}}}, 10, 3000,
			"42"},
		{"no rows: default text", "{{name}}", model.KeywordResult{Columns: cols}, 10, 3000,
			"没有查到结果"},
		{"no rows: template's empty text with variables", "{{name}}\nempty: QQ {{来源QQ}} 没有登记", model.KeywordResult{Columns: cols}, 10, 3000,
			"QQ 289192968 没有登记"},
		{"custom header with count and keyword, even for one row", "表头：【{{关键字}}】共 {{count}} 条\n{{name}}", model.KeywordResult{Columns: cols, Rows: rowsOf(1)}, 10, 3000,
			"【零件】共 1 条\n零件A"},
		{"empty header line removes the header", "header:\n{{name}}", model.KeywordResult{Columns: cols, Rows: rowsOf(2)}, 10, 3000,
			"零件A\n零件B"},
		{"row cap: the rest counted", "{{name}}", model.KeywordResult{Columns: cols, Rows: rowsOf(5)}, 3, 3000,
			"查到 5 条：\n零件A\n零件B\n零件C\n…还有 2 条"},
		{"row cap on a capped query: at least", "{{name}}", model.KeywordResult{Columns: cols, Rows: rowsOf(5), Truncated: true}, 3, 3000,
			"查到 5 条以上：\n零件A\n零件B\n零件C\n…还有 2 条以上"},
		{"capped query, all fetched rows shown", "{{name}}", model.KeywordResult{Columns: cols, Rows: rowsOf(2), Truncated: true}, 10, 3000,
			"查到 2 条以上：\n零件A\n零件B\n…还有更多结果，请加条件缩小范围"},
		{"length limit drops whole rows and counts them", "{{name}}", model.KeywordResult{Columns: cols, Rows: rowsOf(5)}, 10, 23,
			"查到 5 条：\n零件A\n零件B\n…还有 3 条"},
		{"column names match case-insensitively; variables and unknown names", "{{NAME}} {{来源QQ}} {{1}} {{nosuch}}", model.KeywordResult{Columns: cols, Rows: rowsOf(1)}, 10, 3000,
			"零件A 289192968 cs02 {{nosuch}}"},
		{"NULL shows as empty, floats without exponent", "[{{a}}][{{b}}]", model.KeywordResult{Columns: []string{"a", "b"}, Rows: [][]any{{nil, 1234567.5}}}, 10, 3000,
			"[][1234567.5]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FormatRows("零件", tt.reply, &tt.res, vars, tt.maxRows, tt.maxRunes)
			if got != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > tt.maxRunes {
				t.Fatalf("reply has %d characters, limit %d", n, tt.maxRunes)
			}
		})
	}
}

func TestFormatRows_HugeRowIsCutToTheLimit(t *testing.T) {
	res := &model.KeywordResult{Columns: []string{"memo"}, Rows: [][]any{{strings.Repeat("长", 5000)}, {"短"}}}
	got := FormatRows("备注", "", res, model.Vars{}, 10, 100)
	if n := utf8.RuneCountInString(got); n > 100 {
		t.Fatalf("reply has %d characters, limit 100", n)
	}
	if !strings.HasPrefix(got, "查到 2 条：\n长") || !strings.Contains(got, "…") || !strings.HasSuffix(got, "\n短") {
		t.Fatalf("long row should be cut with … and the short row kept: %q", got)
	}
}

func TestFormatAffected(t *testing.T) {
	tests := []struct {
		name, kind, reply string
		n                 int64
		want              string
	}{
		{"insert default", model.KindInsert, "", 1, "已登记 1 条"},
		{"update default", model.KindUpdate, "", 3, "已修改 3 条"},
		{"update that matched nothing says so", model.KindUpdate, "", 0, "已修改 0 条"},
		{"template reply with count and argument", model.KindInsert, "已记下 {{1}} 天假，共 {{条数}} 条", 1, "已记下 3 天假，共 1 条"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatAffected("请假", tt.kind, tt.reply, tt.n, model.Vars{"1": "3"}, 3000); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
