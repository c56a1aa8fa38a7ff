package config

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	"botgate/app/channel/registry"
)

// Export is the stored configuration as a file: password hashes only, and
// secrets masked.
func Export(cur *Stored) File {
	s := cur.Settings
	if s.AuthToken != "" {
		s.AuthToken = Mask
	}
	retention, autoStart := s.LogRetentionDays, s.AutoStart
	f := File{Settings: &SettingsPatch{Listen: &s.Listen, AuthMode: &s.AuthMode, AuthToken: &s.AuthToken,
		AuthDataSource: &s.AuthDataSource, AuthSQL: &s.AuthSQL, DefaultChannel: &s.DefaultChannel, AutoStart: &autoStart,
		ChatPrefix: &s.ChatPrefix, LogRetentionDays: &retention, AdminRecipient: &s.AdminRecipient}}
	for _, name := range slices.Sorted(maps.Keys(cur.Users)) {
		u := cur.Users[name]
		f.Users = append(f.Users, User{Name: u.Name, PasswordHash: u.PasswordHash, Roles: u.Roles, Disabled: u.Disabled})
	}
	for _, name := range slices.Sorted(maps.Keys(cur.DataSources)) {
		d := cur.DataSources[name]
		f.DataSources = append(f.DataSources, DataSource{Name: d.Name, Driver: d.Driver, DSN: MaskDSN(d.DSN)})
	}
	for _, name := range slices.Sorted(maps.Keys(cur.Channels)) {
		c := cur.Channels[name]
		enabled := c.Enabled
		f.Channels = append(f.Channels, Channel{Name: c.Name, Type: c.Type, RatePerMinute: c.RatePerMinute, Enabled: &enabled, Config: Values(MaskChannel(c.Type, c.Config))})
	}
	for _, kw := range slices.Sorted(maps.Keys(cur.Templates)) {
		t := cur.Templates[kw]
		enabled := t.Enabled
		f.Templates = append(f.Templates, Template{Keyword: t.Keyword, Kind: t.Kind, DataSource: t.DataSource, SQL: t.SQL,
			Roles: t.Roles, Users: t.Users, Chat: t.Chat, Reply: t.Reply, MaxRows: t.MaxRows, TimeoutMS: t.TimeoutMS, Enabled: &enabled})
	}
	for _, name := range slices.Sorted(maps.Keys(cur.Schedules)) {
		f.Schedules = append(f.Schedules, ExportSchedule(cur.Schedules[name]))
	}
	return f
}

// MaskChannel hides a channel type's secret keys.
func MaskChannel(typ string, cfg map[string]string) map[string]string {
	out := maps.Clone(cfg)
	if out == nil {
		out = map[string]string{}
	}
	t, _ := registry.Lookup(typ)
	for _, k := range t.SecretKeys {
		if out[k] != "" {
			out[k] = Mask
		}
	}
	return out
}

var (
	// URL userinfo ends at the last @ before the path, query or fragment,
	// as net/url (and so pgx and go-mssqldb) reads it: a password with an
	// unescaped @ is masked whole.
	dsnURLPassword = regexp.MustCompile(`(://[^:/@?#]*:)[^/?#]*@`)
	// key=value forms (libpq, ADO, URL query), values plain or quoted as
	// 'a b' (libpq, with \' or ''), "a;b" or {a;b} (ADO/ODBC).
	dsnKVPassword = regexp.MustCompile(`(?i)((?:^|[;\s&?])(?:password|pwd)\s*=\s*)('(?:[^'\\]|\\.|'')*'|"(?:[^"]|"")*"|\{(?:[^}]|\}\})*\}|[^;\s&]*)`)
)

// MaskDSN hides a password in the usual DSN forms: URL (postgres://,
// sqlserver://), key=value (libpq, ADO) and go-sql-driver/mysql's
// user:pass@tcp(host)/db.
func MaskDSN(dsn string) string {
	s := dsnURLPassword.ReplaceAllString(dsn, "${1}"+Mask+"@")
	s = dsnKVPassword.ReplaceAllString(s, "${1}"+Mask)
	if !strings.Contains(s, "://") {
		s = maskMySQLDSN(s)
	}
	return s
}

// maskMySQLDSN reads user:pass@ the way go-sql-driver/mysql does: the
// database follows the last '/', the address the last '@' before it, and
// the user name ends at the first ':' — so the password may hold @ : and /.
func maskMySQLDSN(s string) string {
	slash := strings.LastIndexByte(s, '/')
	if slash < 0 {
		return s
	}
	at := strings.LastIndexByte(s[:slash], '@')
	if at < 0 {
		return s
	}
	colon := strings.IndexByte(s[:at], ':')
	if colon < 0 || strings.ContainsAny(s[:colon], "=; ") {
		return s // not user:pass@ (key=value text was handled above)
	}
	return s[:colon+1] + Mask + s[at:]
}
