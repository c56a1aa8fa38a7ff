package config

import (
	"net"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"botgate/app/auth"
	"botgate/app/sqltmpl"
	"botgate/model"
)

// Settings are the server-wide options of the 服务 and 授权 tabs.
type Settings struct {
	Listen           string `json:"listen"`
	AuthMode         string `json:"auth_mode"`
	AuthToken        string `json:"auth_token"`
	AuthDataSource   string `json:"auth_datasource"`
	AuthSQL          string `json:"auth_sql"`
	DefaultChannel   string `json:"default_channel"`
	AutoStart        bool   `json:"auto_start"`
	ChatPrefix       string `json:"chat_prefix"`
	LogRetentionDays int    `json:"log_retention_days"`
	// AdminRecipient is where a failed scheduled push is reported (see
	// ParseAdminRecipient); "" = only the log and the 定时推送 tab.
	AdminRecipient string `json:"admin_recipient"`
}

// DefaultListen is loopback only: the LAN is opened by the admin, never by default.
const DefaultListen = "127.0.0.1:7789"

// DefaultSettings are used for keys the database does not have.
func DefaultSettings() Settings {
	return Settings{Listen: DefaultListen, AuthMode: auth.ModeUsers, AutoStart: true, LogRetentionDays: 30}
}

// SettingsFromMap reads stored settings over the defaults.
func SettingsFromMap(m map[string]string) Settings {
	s := DefaultSettings()
	str := func(k string, dst *string) {
		if v, ok := m[k]; ok {
			*dst = v
		}
	}
	str("listen", &s.Listen)
	str("auth_mode", &s.AuthMode)
	str("auth_token", &s.AuthToken)
	str("auth_datasource", &s.AuthDataSource)
	str("auth_sql", &s.AuthSQL)
	str("default_channel", &s.DefaultChannel)
	str("chat_prefix", &s.ChatPrefix)
	str("admin_recipient", &s.AdminRecipient)
	if v, ok := m["auto_start"]; ok {
		s.AutoStart = v == "true"
	}
	if v, err := strconv.Atoi(m["log_retention_days"]); err == nil && v > 0 {
		s.LogRetentionDays = v
	}
	return s
}

// Map is s as the stored key/value rows.
func (s Settings) Map() map[string]string {
	return map[string]string{
		"listen": s.Listen, "auth_mode": s.AuthMode, "auth_token": s.AuthToken,
		"auth_datasource": s.AuthDataSource, "auth_sql": s.AuthSQL, "default_channel": s.DefaultChannel,
		"auto_start": strconv.FormatBool(s.AutoStart), "chat_prefix": s.ChatPrefix,
		"log_retention_days": strconv.Itoa(s.LogRetentionDays), "admin_recipient": s.AdminRecipient,
	}
}

// ValidateListen checks a listen address ("127.0.0.1:7789", ":7789",
// "0.0.0.0:7789"). Port 0 (any free port) is meaningless as a saved setting
// but useful on the command line and in tests: allowZero accepts it.
func ValidateListen(addr string, allowZero bool) error {
	host, port, err := net.SplitHostPort(strings.TrimSpace(addr))
	if err != nil {
		return model.Invalid("listen", "监听地址 %q 格式不对，应为 IP:端口，例如 127.0.0.1:7789", addr)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 || (p == 0 && !allowZero) {
		return model.Invalid("listen", "端口 %q 无效，应为 1 到 65535 之间的数字", port)
	}
	if host != "" && host != "localhost" && net.ParseIP(host) == nil {
		return model.Invalid("listen", "监听 IP %q 无效，本机用 127.0.0.1，允许局域网访问用 0.0.0.0", host)
	}
	return nil
}

// IsLoopback tells whether addr only accepts connections from this computer.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// authNames resolves the placeholders of the sql auth query.
func authNames(name string) (string, bool) {
	switch strings.ToLower(name) {
	case "user":
		return "user", true
	case "access_token", "password", "token":
		return "password", true
	}
	return "", false
}

// CompileAuth compiles the SQL of the sql authorization mode.
func CompileAuth(sql string) (*sqltmpl.Template, error) {
	return sqltmpl.Compile(sql, authNames)
}

// apply returns s with the patched settings changed; a masked token keeps
// the stored one.
func (p SettingsPatch) apply(s Settings) Settings {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&s.Listen, p.Listen)
	set(&s.AuthMode, p.AuthMode)
	if p.AuthToken != nil && *p.AuthToken != Mask {
		s.AuthToken = strings.TrimSpace(*p.AuthToken)
	}
	set(&s.AuthDataSource, p.AuthDataSource)
	set(&s.AuthSQL, p.AuthSQL)
	set(&s.DefaultChannel, p.DefaultChannel)
	set(&s.ChatPrefix, p.ChatPrefix)
	if p.AutoStart != nil {
		s.AutoStart = *p.AutoStart
	}
	if p.LogRetentionDays != nil {
		s.LogRetentionDays = *p.LogRetentionDays
	}
	set(&s.AdminRecipient, p.AdminRecipient)
	return s
}

// count is how many settings p names.
func (p SettingsPatch) count() int {
	n := 0
	for _, set := range []bool{p.Listen != nil, p.AuthMode != nil, p.AuthToken != nil, p.AuthDataSource != nil, p.AuthSQL != nil,
		p.DefaultChannel != nil, p.AutoStart != nil, p.ChatPrefix != nil, p.LogRetentionDays != nil, p.AdminRecipient != nil} {
		if set {
			n++
		}
	}
	return n
}

func validateSettings(s Settings, cur *Stored) error {
	if err := ValidateListen(s.Listen, false); err != nil {
		return err
	}
	switch s.AuthMode {
	case auth.ModeUsers:
	case auth.ModeToken:
		if len(s.AuthToken) < 16 {
			return model.Invalid("auth_token", "令牌模式需要至少 16 个字符的令牌（可在“授权”中一键生成）")
		}
	case auth.ModeSQL:
		if s.AuthDataSource == "" {
			return model.Invalid("auth_datasource", "SQL 授权需要选择数据源")
		}
		if _, ok := cur.DataSources[s.AuthDataSource]; !ok && s.AuthDataSource != DefaultSource {
			return model.Invalid("auth_datasource", "数据源“%s”不存在", s.AuthDataSource)
		}
		stmt, err := CompileAuth(s.AuthSQL)
		if err != nil {
			return model.Invalid("auth_sql", "授权 SQL 有误：%v（可用占位符：{{user}} {{Access_token}}）", err)
		}
		if stmt.Verb != "SELECT" && stmt.Verb != "WITH" {
			return model.Invalid("auth_sql", "授权 SQL 必须是 SELECT 语句")
		}
	case auth.ModeNone:
		if !IsLoopback(s.Listen) {
			return model.Invalid("auth_mode", "授权方式“无”只能在仅本机访问(127.0.0.1)时使用")
		}
	default:
		return model.Invalid("auth_mode", "授权方式 %q 无效，可选：users、sql、token、none", s.AuthMode)
	}
	if s.DefaultChannel != "" {
		if _, ok := cur.Channels[s.DefaultChannel]; !ok {
			return model.Invalid("default_channel", "默认通道“%s”不存在", s.DefaultChannel)
		}
	}
	if s.LogRetentionDays < 1 || s.LogRetentionDays > 3650 {
		return model.Invalid("log_retention_days", "日志保留天数必须在 1 到 3650 之间")
	}
	r, ok, err := ParseAdminRecipient(s.AdminRecipient)
	if err != nil {
		return err
	}
	if ok {
		c, found := cur.Channels[r.Channel]
		if !found {
			return model.Invalid("admin_recipient", "接收定时推送失败通知的通道“%s”不存在，请检查 admin_recipient", r.Channel)
		}
		if err := checkTargets(model.Schedule{To: nonEmpty(r.Kind == "private", r.To), Groups: nonEmpty(r.Kind == "group", r.To)}, c); err != nil {
			e := model.ErrorOf(err)
			return model.Invalid("admin_recipient", "接收定时推送失败通知的地址 %q：%s", s.AdminRecipient, e.Msg)
		}
	}
	return nil
}

// validatePrefix checks a chat prefix being set. A prefix is typed before
// the keyword in chat ("#账号"): spaces in it are a mistake people cannot
// see, and a long one is surely a mistake. Only a new value is checked, so
// a prefix stored before this rule does not block other settings.
func validatePrefix(p *string) error {
	if p == nil {
		return nil
	}
	if v := strings.TrimSpace(*p); utf8.RuneCountInString(v) > 8 || strings.ContainsFunc(v, unicode.IsSpace) {
		return model.Invalid("chat_prefix", "聊天前缀最多 8 个字符，且不能有空格，例如 # 或 查；留空则不需要前缀")
	}
	return nil
}

// nonEmpty is [id] when cond holds and id is set, else nil.
func nonEmpty(cond bool, id string) []string {
	if cond && id != "" {
		return []string{id}
	}
	return nil
}
