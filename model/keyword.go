package model

import "strings"

// Template kinds.
const (
	KindQuery  = "query"  // 交互查询
	KindInsert = "insert" // 填报表单
	KindUpdate = "update" // 修改表单
)

// Vars are a template's placeholder values by canonical name: "qq", "group",
// "user", "content", "1".."9".
type Vars map[string]string

// VarName resolves a placeholder as a template or a chat reply writes it
// ({{来源QQ}}, {{群号}}, {{1}}...) to its key in Vars; ok is false for a name
// that is no variable (a column name, a typo).
func VarName(name string) (key string, ok bool) {
	switch strings.ToLower(name) {
	case "来源qq", "qq":
		return "qq", true
	case "群号", "group":
		return "group", true
	case "user":
		return "user", true
	case "content":
		return "content", true
	}
	if len(name) == 1 && name[0] >= '1' && name[0] <= '9' {
		return name, true
	}
	return "", false
}

// SetArgs sets {{1}}..{{9}} from args (extra arguments are ignored).
func (v Vars) SetArgs(args []string) {
	for i, s := range args {
		if i >= 9 {
			break
		}
		v[string(rune('1'+i))] = s
	}
}

// Caller is who runs a template or sends: an API user (verified) or a chat sender.
type Caller struct {
	Name  string   // API user name ("" for chat senders)
	Roles []string // from the API user record
	Chat  bool     // the request came from chat (only "chat" templates answer)
	// Sender is the chat sender's id (QQ number, wxid...); a template's users
	// list may name it to let that person use the template from chat.
	Sender string
}

// KeywordResult is a template's outcome.
type KeywordResult struct {
	Kind      string
	Columns   []string
	Rows      [][]any
	Truncated bool
	Affected  int64
}
