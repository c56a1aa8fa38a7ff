// Package sqltmpl compiles QQAP-style SQL templates ("... WHERE qq = '{{来源QQ}}'")
// into a statement with bound parameters. No argument text is ever pasted into
// SQL: every placeholder, quoted or not, becomes a parameter, so injection is
// impossible by construction.
package sqltmpl

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// BindStyle is how a database driver spells a parameter.
type BindStyle int

const (
	Question BindStyle = iota // ? (SQLite, MySQL/MariaDB)
	Dollar                    // $1, $2 (PostgreSQL)
	AtP                       // @p1, @p2 (SQL Server)
)

// Resolver maps a placeholder name as written to its canonical name; ok=false
// means the placeholder is unknown and the template is rejected.
type Resolver func(name string) (canonical string, ok bool)

// Error is a template problem, in Chinese, with the byte offset where it is.
type Error struct {
	Offset int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

// part is literal text or a placeholder inside one parameter's value.
type part struct {
	lit  string
	name string // canonical placeholder name; empty for literal text
}

// Template is a compiled statement: text chunks around parameters.
type Template struct {
	chunks []string // len(chunks) == len(params)+1
	params [][]part
	Verb   string   // first keyword, upper case (SELECT, INSERT, ...)
	Names  []string // canonical placeholder names used, in first-use order
	toks   []token  // the statement without comments, for the checks in check.go
}

// Forbidden statement words: they reach outside the data source (ATTACH could
// open BotGate's own state database) or change the connection.
var forbidden = map[string]bool{"ATTACH": true, "DETACH": true, "PRAGMA": true, "VACUUM": true, "LOAD_EXTENSION": true}

// Compile parses src. A placeholder outside quotes becomes one parameter; a
// quoted literal containing placeholders ('{{来源QQ}}', '%{{1}}%') becomes one
// parameter whose value is the literal with the placeholders filled in.
func Compile(src string, resolve Resolver) (*Template, error) {
	if !utf8.ValidString(src) {
		return nil, &Error{Msg: "SQL 含有无效的字符编码（需要 UTF-8）"}
	}
	t := &Template{}
	var cur strings.Builder
	seen := map[string]bool{}
	use := func(name string) {
		if !seen[name] {
			seen[name] = true
			t.Names = append(t.Names, name)
		}
	}
	addParam := func(p []part, off int, written string) {
		t.chunks = append(t.chunks, cur.String())
		cur.Reset()
		t.params = append(t.params, p)
		t.toks = append(t.toks, token{kind: tokParam, text: written, off: off})
	}
	// placeholder parses "{{name}}" at src[i:] and returns the canonical name and the end offset.
	placeholder := func(i int) (string, int, error) {
		end := strings.Index(src[i+2:], "}}")
		if end < 0 {
			return "", 0, &Error{Offset: i, Msg: "占位符缺少结尾的 }}"}
		}
		raw := strings.TrimSpace(src[i+2 : i+2+end])
		name, ok := resolve(raw)
		if !ok {
			return "", 0, &Error{Offset: i, Msg: fmt.Sprintf("未知的占位符 {{%s}}；可用：{{来源QQ}} {{群号}} {{user}} {{content}} {{1}}..{{9}}", raw)}
		}
		use(name)
		return name, i + 2 + end + 2, nil
	}
	afterSemicolon := false
	n := len(src)
	for i := 0; i < n; {
		c := src[i]
		switch {
		case c == '-' && i+1 < n && src[i+1] == '-':
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				j = n - i
			}
			cur.WriteString(src[i : i+j])
			i += j
		case c == '/' && i+1 < n && src[i+1] == '*':
			j := strings.Index(src[i+2:], "*/")
			if j < 0 {
				return nil, &Error{Offset: i, Msg: "注释 /* 缺少结尾的 */"}
			}
			cur.WriteString(src[i : i+2+j+2])
			i += 2 + j + 2
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			cur.WriteByte(c)
			i++
		case afterSemicolon:
			return nil, &Error{Offset: i, Msg: "模板只能包含一条 SQL 语句（分号后面不能再有语句）"}
		case c == ';':
			afterSemicolon = true
			i++ // a trailing semicolon is dropped: drivers differ on accepting it
		case c == '\'':
			lit, parts, end, err := quoted(src, i, placeholder)
			if err != nil {
				return nil, err
			}
			if parts == nil {
				cur.WriteString(lit)
				t.toks = append(t.toks, token{kind: tokString, text: unquote(lit), off: i})
			} else {
				addParam(parts, i, src[i:end])
			}
			i = end
		case c == '"' || c == '`' || c == '[':
			closing := map[byte]byte{'"': '"', '`': '`', '[': ']'}[c]
			j := strings.IndexByte(src[i+1:], closing)
			if j < 0 {
				return nil, &Error{Offset: i, Msg: fmt.Sprintf("名称缺少结尾的 %c", closing)}
			}
			ident := src[i : i+1+j+1]
			if strings.Contains(ident, "{{") {
				return nil, &Error{Offset: i, Msg: fmt.Sprintf("占位符不能用在表名或列名里（%s）：占位符只能放在值的位置，"+
					"例如 WHERE name = {{1}}；表名和列名请直接写在 SQL 里", ident)}
			}
			cur.WriteString(ident)
			t.toks = append(t.toks, token{kind: tokIdent, text: ident[1 : len(ident)-1], off: i})
			i += j + 2
		case c == '{' && i+1 < n && src[i+1] == '{':
			name, end, err := placeholder(i)
			if err != nil {
				return nil, err
			}
			addParam([]part{{name: name}}, i, src[i:end])
			i = end
		case c == '?':
			return nil, &Error{Offset: i, Msg: "SQL 中不能直接写 ? 参数，请使用 {{1}}、{{来源QQ}} 等占位符"}
		case isWordByte(c):
			j := i
			for j < n && isWordByte(src[j]) {
				j++
			}
			word := strings.ToUpper(src[i:j])
			if t.Verb == "" {
				t.Verb = word
			}
			if forbidden[word] {
				return nil, &Error{Offset: i, Msg: fmt.Sprintf("模板不允许使用 %s", word)}
			}
			cur.WriteString(src[i:j])
			t.toks = append(t.toks, token{kind: tokWord, text: word, off: i})
			i = j
		default:
			_, size := utf8.DecodeRuneInString(src[i:])
			cur.WriteString(src[i : i+size])
			t.toks = append(t.toks, token{kind: tokPunct, text: src[i : i+size], off: i})
			i += size
		}
	}
	t.chunks = append(t.chunks, cur.String())
	if t.Verb == "" {
		return nil, &Error{Msg: "SQL 不能为空"}
	}
	if err := checkValuePositions(t.toks); err != nil {
		return nil, err
	}
	return t, nil
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 0x80 || unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c))
}

// quoted reads a '...' literal starting at src[i]. It returns the literal as
// written when it holds no placeholder, else the parts of its value.
func quoted(src string, i int, placeholder func(int) (string, int, error)) (string, []part, int, error) {
	var parts []part
	var lit strings.Builder
	hasPH := false
	for j := i + 1; j < len(src); {
		switch {
		case src[j] == '\'' && j+1 < len(src) && src[j+1] == '\'':
			lit.WriteByte('\'')
			j += 2
		case src[j] == '\'':
			if !hasPH {
				return src[i : j+1], nil, j + 1, nil
			}
			if lit.Len() > 0 {
				parts = append(parts, part{lit: lit.String()})
			}
			return "", parts, j + 1, nil
		case src[j] == '{' && j+1 < len(src) && src[j+1] == '{':
			name, end, err := placeholder(j)
			if err != nil {
				return "", nil, 0, err
			}
			if lit.Len() > 0 {
				parts = append(parts, part{lit: lit.String()})
				lit.Reset()
			}
			parts = append(parts, part{name: name})
			hasPH = true
			j = end
		default:
			lit.WriteByte(src[j])
			j++
		}
	}
	return "", nil, 0, &Error{Offset: i, Msg: "字符串缺少结尾的单引号 '"}
}

// SQL renders the statement with parameters in the given style.
func (t *Template) SQL(style BindStyle) string {
	var b strings.Builder
	for k, chunk := range t.chunks {
		b.WriteString(chunk)
		if k == len(t.params) {
			break
		}
		switch style {
		case Dollar:
			b.WriteString("$" + strconv.Itoa(k+1))
		case AtP:
			b.WriteString("@p" + strconv.Itoa(k+1))
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// NumParams is how many bound parameters the statement has.
func (t *Template) NumParams() int { return len(t.params) }

// Args returns the parameter values for vals (canonical name -> value). A
// placeholder with no value binds the empty string.
func (t *Template) Args(vals map[string]string) []any {
	args := make([]any, len(t.params))
	for k, p := range t.params {
		if len(p) == 1 && p[0].name != "" {
			args[k] = vals[p[0].name]
			continue
		}
		var b strings.Builder
		for _, pt := range p {
			if pt.name != "" {
				b.WriteString(vals[pt.name])
			} else {
				b.WriteString(pt.lit)
			}
		}
		args[k] = b.String()
	}
	return args
}
