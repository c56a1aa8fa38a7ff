package app

import (
	"botgate/model"
	"net"
	"strconv"
	"strings"

	"botgate/app/auth"
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
}

// DefaultListen is loopback only: the LAN is opened by the admin, never by default.
const DefaultListen = "127.0.0.1:7789"

// DefaultSettings are used for keys the database does not have.
func DefaultSettings() Settings {
	return Settings{Listen: DefaultListen, AuthMode: auth.ModeUsers, AutoStart: true, LogRetentionDays: 30}
}

// settingsFromMap reads stored settings over the defaults.
func settingsFromMap(m map[string]string) Settings {
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
	if v, ok := m["auto_start"]; ok {
		s.AutoStart = v == "true"
	}
	if v, err := strconv.Atoi(m["log_retention_days"]); err == nil && v > 0 {
		s.LogRetentionDays = v
	}
	return s
}

func (s Settings) toMap() map[string]string {
	return map[string]string{
		"listen": s.Listen, "auth_mode": s.AuthMode, "auth_token": s.AuthToken,
		"auth_datasource": s.AuthDataSource, "auth_sql": s.AuthSQL, "default_channel": s.DefaultChannel,
		"auto_start": strconv.FormatBool(s.AutoStart), "chat_prefix": s.ChatPrefix,
		"log_retention_days": strconv.Itoa(s.LogRetentionDays),
	}
}

// ValidateListen checks a listen address ("127.0.0.1:7789", ":7789", "0.0.0.0:7789").
func ValidateListen(addr string) error { return validateListen(addr, false) }

// validateListen optionally accepts port 0 (any free port): useful on the
// command line and in tests, meaningless as a saved setting.
func validateListen(addr string, allowZero bool) error {
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
