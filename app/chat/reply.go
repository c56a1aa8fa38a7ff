package chat

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"botgate/internal/text"
	"botgate/model"
)

// Reply formatting: a template's "reply" pattern applied to its rows, within
// the platform's length limit.

// replyPattern is a template's "reply" text: lines starting with "header:"
// (表头:) and "empty:" (无结果:) set the header and the no-result text; the
// other lines are the pattern for each row.
type replyPattern struct {
	row               string
	header, empty     string
	hasHeader, hasEmp bool
}

func parseReplyPattern(s string) replyPattern {
	var p replyPattern
	var rows []string
	for _, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if v, ok := cutLabel(line, "header", "表头"); ok {
			p.header, p.hasHeader = v, true
			continue
		}
		if v, ok := cutLabel(line, "empty", "无结果"); ok {
			p.empty, p.hasEmp = v, true
			continue
		}
		rows = append(rows, line)
	}
	p.row = strings.TrimSpace(strings.Join(rows, "\n"))
	return p
}

// cutLabel reads "label: text" (ASCII or full-width colon, ASCII label in any case).
func cutLabel(line string, labels ...string) (string, bool) {
	s := strings.TrimLeft(line, " \t")
	for _, l := range labels {
		if len(s) < len(l) || !strings.EqualFold(s[:len(l)], l) {
			continue
		}
		r := s[len(l):]
		for _, colon := range []string{":", "："} {
			if v, ok := strings.CutPrefix(r, colon); ok {
				return strings.TrimSpace(v), true
			}
		}
	}
	return "", false
}

// render fills {{name}} placeholders through lookup; unknown names stay as
// written so an admin sees the typo in the reply.
func render(pattern string, lookup func(name string) (string, bool)) string {
	var b strings.Builder
	for {
		i := strings.Index(pattern, "{{")
		if i < 0 {
			b.WriteString(pattern)
			return b.String()
		}
		j := strings.Index(pattern[i+2:], "}}")
		if j < 0 {
			b.WriteString(pattern)
			return b.String()
		}
		b.WriteString(pattern[:i])
		name := strings.TrimSpace(pattern[i+2 : i+2+j])
		if v, ok := lookup(name); ok {
			b.WriteString(v)
		} else {
			b.WriteString(pattern[i : i+4+j])
		}
		pattern = pattern[i+4+j:]
	}
}

// varLookup resolves {{来源QQ}}, {{群号}}, {{1}}.. and the reply extras
// {{count}}/{{条数}} and {{keyword}}/{{关键字}}.
func varLookup(keyword, count string, vars model.Vars) func(string) (string, bool) {
	return func(name string) (string, bool) {
		switch strings.ToLower(name) {
		case "count", "条数":
			return count, true
		case "keyword", "关键字":
			return keyword, true
		}
		if canon, ok := model.VarName(name); ok {
			return vars[canon], true
		}
		return "", false
	}
}

func chatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

// FormatRows renders query rows for chat: a header when there is more than
// one row (or the template sets one), at most maxRows rows, a "…还有 N 条"
// line for the rest, and never more than maxRunes characters. reply is the
// template's reply format. Chat answers and scheduled pushes both use it, so
// a template reads the same wherever its rows go.
func FormatRows(keyword, reply string, res *model.KeywordResult, vars model.Vars, maxRows, maxRunes int) string {
	p := parseReplyPattern(reply)
	n := len(res.Rows)
	count := strconv.Itoa(n)
	if res.Truncated {
		count += " 条以上"
	}
	vl := varLookup(keyword, strconv.Itoa(n), vars)
	if n == 0 {
		if p.hasEmp && p.empty != "" {
			return text.Cap(render(p.empty, vl), maxRunes)
		}
		return "没有查到结果"
	}
	var header string
	switch {
	case p.hasHeader:
		header = render(p.header, vl)
	case n > 1:
		header = "查到 " + count
		if !res.Truncated {
			header += " 条"
		}
		header += "："
	}
	// A single row longer than half the limit is cut so that others still fit.
	lineMax := max(maxRunes/2, 1)
	lines := make([]string, 0, min(n, maxRows))
	for _, row := range res.Rows[:min(n, maxRows)] {
		lines = append(lines, text.Cap(formatRow(p.row, res.Columns, row, vl), lineMax))
	}
	for shown := len(lines); ; shown-- {
		parts := make([]string, 0, shown+2)
		if header != "" {
			parts = append(parts, header)
		}
		parts = append(parts, lines[:shown]...)
		if tail := moreLine(n-shown, res.Truncated); tail != "" {
			parts = append(parts, tail)
		}
		joined := strings.Join(parts, "\n")
		if shown == 0 || utf8.RuneCountInString(joined) <= maxRunes {
			return text.Cap(joined, maxRunes)
		}
	}
}

// moreLine says how many rows the reply left out.
func moreLine(left int, truncated bool) string {
	switch {
	case left > 0 && truncated:
		return fmt.Sprintf("…还有 %d 条以上", left)
	case left > 0:
		return fmt.Sprintf("…还有 %d 条", left)
	case truncated:
		return "…还有更多结果，请加条件缩小范围"
	}
	return ""
}

// formatRow renders one row: the pattern with {{column}} placeholders, or
// "列：值，列：值" when the template has no pattern.
func formatRow(pattern string, cols []string, row []any, vl func(string) (string, bool)) string {
	if pattern == "" {
		if len(cols) == 1 {
			return chatValue(row[0])
		}
		parts := make([]string, len(cols))
		for i, c := range cols {
			parts[i] = c + "：" + chatValue(row[i])
		}
		return strings.Join(parts, "，")
	}
	return render(pattern, func(name string) (string, bool) {
		for i, c := range cols {
			if c == name {
				return chatValue(row[i]), true
			}
		}
		for i, c := range cols {
			if strings.EqualFold(c, name) {
				return chatValue(row[i]), true
			}
		}
		return vl(name)
	})
}

// formatAffected answers an insert/update template: the template's reply
// pattern with {{count}}, or "已登记 N 条" / "已修改 N 条".
func formatAffected(keyword, kind, reply string, affected int64, vars model.Vars, maxRunes int) string {
	p := parseReplyPattern(reply)
	if p.row != "" {
		return text.Cap(render(p.row, varLookup(keyword, strconv.FormatInt(affected, 10), vars)), maxRunes)
	}
	if kind == model.KindInsert {
		return fmt.Sprintf("已登记 %d 条", affected)
	}
	return fmt.Sprintf("已修改 %d 条", affected)
}
