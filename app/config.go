package app

import (
	"botgate/model"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"botgate/app/auth"
	"botgate/app/channel"
	"botgate/app/channel/registry"
	"botgate/app/datasource"
	"botgate/app/sqltmpl"
	"botgate/storage"
)

// Mask replaces secrets in exports; importing it back keeps the stored secret.
const Mask = "******"

// ConfigFile is the JSON of `botgate config import/export` and the GUI's
// backup/restore. Import upserts what it names and leaves the rest alone.
type ConfigFile struct {
	Settings    *SettingsPatch     `json:"settings,omitempty"`
	Users       []UserConfig       `json:"users,omitempty"`
	DataSources []DataSourceConfig `json:"datasources,omitempty"`
	Channels    []ChannelConfig    `json:"channels,omitempty"`
	Templates   []TemplateConfig   `json:"templates,omitempty"`
}

// SettingsPatch names only the settings to change.
type SettingsPatch struct {
	Listen           *string `json:"listen,omitempty"`
	AuthMode         *string `json:"auth_mode,omitempty"`
	AuthToken        *string `json:"auth_token,omitempty"`
	AuthDataSource   *string `json:"auth_datasource,omitempty"`
	AuthSQL          *string `json:"auth_sql,omitempty"`
	DefaultChannel   *string `json:"default_channel,omitempty"`
	AutoStart        *bool   `json:"auto_start,omitempty"`
	ChatPrefix       *string `json:"chat_prefix,omitempty"`
	LogRetentionDays *int    `json:"log_retention_days,omitempty"`
}

// UserConfig is an API user: a plain password on import (stored hashed), or
// the hash itself as exported.
type UserConfig struct {
	Name         string   `json:"name"`
	Password     string   `json:"password,omitempty"`
	PasswordHash string   `json:"password_hash,omitempty"`
	Roles        []string `json:"roles"`
	Disabled     bool     `json:"disabled,omitempty"`
}

// DataSourceConfig is a database templates run against.
type DataSourceConfig struct {
	Name   string `json:"name"`
	Driver string `json:"driver"`
	DSN    string `json:"dsn"`
}

// ChannelConfig is a chat connector.
type ChannelConfig struct {
	Name          string       `json:"name"`
	Type          string       `json:"type"`
	RatePerMinute int          `json:"rate_per_minute"`
	Enabled       *bool        `json:"enabled,omitempty"`
	Config        ConfigValues `json:"config"`
}

// ConfigValues are a channel's config keys; numbers and booleans in the file
// are accepted and kept as text.
type ConfigValues map[string]string

// UnmarshalJSON accepts string, number and boolean values.
func (v *ConfigValues) UnmarshalJSON(b []byte) error {
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return errors.New("config 必须是键值对象")
	}
	*v = ConfigValues{}
	for k, x := range raw {
		switch t := x.(type) {
		case string:
			(*v)[k] = t
		case float64:
			(*v)[k] = strconv.FormatFloat(t, 'f', -1, 64)
		case bool:
			(*v)[k] = strconv.FormatBool(t)
		case nil:
			(*v)[k] = ""
		default:
			return fmt.Errorf("config 的 %q 必须是文本、数字或布尔值", k)
		}
	}
	return nil
}

// TemplateConfig is a keyword template.
type TemplateConfig struct {
	Keyword    string   `json:"keyword"`
	Kind       string   `json:"kind"`
	DataSource string   `json:"datasource"`
	SQL        string   `json:"sql"`
	Roles      []string `json:"roles"`
	Users      []string `json:"users"`
	Chat       bool     `json:"chat"`
	Reply      string   `json:"reply"`
	MaxRows    int      `json:"max_rows"`
	TimeoutMS  int      `json:"timeout_ms"`
	Enabled    *bool    `json:"enabled,omitempty"`
}

// ImportSummary counts what an import changed.
type ImportSummary struct {
	Settings, Users, DataSources, Channels, Templates int
}

func (s ImportSummary) String() string {
	return fmt.Sprintf("设置 %d 项，用户 %d 个，数据源 %d 个，通道 %d 个，模板 %d 个", s.Settings, s.Users, s.DataSources, s.Channels, s.Templates)
}

// ParseConfig decodes a config file with a clear Chinese error for bad JSON.
func ParseConfig(r io.Reader) (ConfigFile, error) {
	var cf ConfigFile
	body, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return cf, model.Invalid("", "读取配置文件失败：%v", err)
	}
	if !utf8.Valid(body) {
		return cf, model.Invalid("", "配置文件不是 UTF-8 编码，请另存为 UTF-8 后再导入")
	}
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cf); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line := 1 + bytes.Count(body[:min(int(se.Offset), len(body))], []byte("\n"))
			return cf, model.Invalid("", "配置文件 JSON 格式错误（第 %d 行附近）：%v", line, se)
		case errors.As(err, &te):
			return cf, model.Invalid(te.Field, "配置文件中 %s 的类型不对：应为 %s", te.Field, te.Type)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return cf, model.Invalid("", "配置文件中有未知字段 %s，请检查拼写", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return cf, model.Invalid("", "配置文件无法读取：%v", err)
	}
	return cf, nil
}

// current is the stored configuration, read fresh for validation.
type current struct {
	settings  Settings
	users     map[string]model.User
	sources   map[string]model.DataSource
	channels  map[string]model.Channel
	templates map[string]model.Template
}

func (a *App) current(ctx context.Context) (*current, error) {
	m, err := a.db.Settings(ctx)
	if err != nil {
		return nil, err
	}
	c := &current{settings: settingsFromMap(m), users: map[string]model.User{}, sources: map[string]model.DataSource{},
		channels: map[string]model.Channel{}, templates: map[string]model.Template{}}
	us, err := a.db.Users(ctx)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		c.users[u.Name] = u
	}
	ds, err := a.db.DataSources(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		c.sources[d.Name] = d
	}
	cs, err := a.db.Channels(ctx)
	if err != nil {
		return nil, err
	}
	for _, ch := range cs {
		c.channels[ch.Name] = ch
	}
	ts, err := a.db.Templates(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		c.templates[t.Keyword] = t
	}
	return c, nil
}

// Import validates the whole file first, then applies it in one transaction:
// a bad entry anywhere changes nothing.
func (a *App) Import(ctx context.Context, cf ConfigFile) (ImportSummary, error) {
	var sum ImportSummary
	cur, err := a.current(ctx)
	if err != nil {
		return sum, err
	}
	// Data sources first: templates and auth refer to them.
	var sources []model.DataSource
	for i, d := range cf.DataSources {
		sd, err := validateDataSource(d, cur.sources[strings.TrimSpace(d.Name)])
		if err == nil && sd.Driver == "sqlite" && datasource.IsSQLiteFile(sd.DSN, a.db.Path()) {
			err = model.Invalid("dsn", "数据源不能指向 BotGate 自己的状态数据库 %s，请选择 ERP 的数据库文件", a.db.Path())
		}
		if err != nil {
			return sum, prefix(err, "数据源", d.Name, i)
		}
		cur.sources[sd.Name] = sd
		sources = append(sources, sd)
	}
	var channels []model.Channel
	for i, c := range cf.Channels {
		old, had := cur.channels[strings.TrimSpace(c.Name)]
		sc, err := a.validateChannel(c, old, had)
		if err != nil {
			return sum, prefix(err, "通道", c.Name, i)
		}
		cur.channels[sc.Name] = sc
		channels = append(channels, sc)
	}
	var users []model.User
	for i, u := range cf.Users {
		su, err := validateUser(u, cur.users)
		if err != nil {
			return sum, prefix(err, "用户", u.Name, i)
		}
		users = append(users, su)
	}
	var templates []model.Template
	for i, t := range cf.Templates {
		st, _, err := validateTemplate(t, cur.sources)
		if err != nil {
			return sum, prefix(err, "模板", t.Keyword, i)
		}
		templates = append(templates, st)
	}
	settings := cur.settings
	if cf.Settings != nil {
		if err := validatePrefix(cf.Settings.ChatPrefix); err != nil {
			return sum, prefix(err, "设置", "", -1)
		}
		settings = applyPatch(settings, *cf.Settings)
		if err := validateSettings(settings, cur); err != nil {
			return sum, prefix(err, "设置", "", -1)
		}
	}
	// Hash outside the transaction: bcrypt is slow on purpose.
	for i := range users {
		if users[i].PasswordHash == "" && cf.Users[i].Password != "" {
			h, err := auth.Hash(cf.Users[i].Password)
			if err != nil {
				return sum, model.Invalid("password", "用户“%s”：%v", users[i].Name, err)
			}
			users[i].PasswordHash = h
		}
	}
	err = a.db.Update(ctx, func(tx *storage.Tx) error {
		if cf.Settings != nil {
			for k, v := range settings.toMap() {
				if err := tx.SetSetting(k, v); err != nil {
					return err
				}
			}
			sum.Settings = countPatch(*cf.Settings)
		}
		for _, d := range sources {
			if err := tx.UpsertDataSource(d); err != nil {
				return err
			}
		}
		for _, c := range channels {
			if err := tx.UpsertChannel(c); err != nil {
				return err
			}
		}
		for _, u := range users {
			if err := tx.UpsertUser(u); err != nil {
				return err
			}
		}
		for _, t := range templates {
			if err := tx.UpsertTemplate(t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return ImportSummary{}, err
	}
	sum.Users, sum.DataSources, sum.Channels, sum.Templates = len(users), len(sources), len(channels), len(templates)
	return sum, a.Reload(ctx)
}

// prefix names the entry an error belongs to.
func prefix(err error, what, name string, i int) error {
	e := model.ErrorOf(err)
	if e.Code == model.CodeInternal {
		return err
	}
	label := what
	switch {
	case name != "":
		label = fmt.Sprintf("%s“%s”", what, name)
	case i >= 0:
		label = fmt.Sprintf("第 %d 个%s", i+1, what)
	}
	return &model.Error{Code: e.Code, Field: e.Field, Msg: label + "：" + e.Msg, Err: e.Err}
}

var namePattern = regexp.MustCompile(`^[\p{L}\p{N}_.\-]{1,64}$`)

func checkName(field, what, name string) error {
	if !namePattern.MatchString(name) {
		return model.Invalid(field, "%s名称 %q 无效：1 到 64 个字符，只能用文字、数字、_ . -", what, name)
	}
	return nil
}

func validateDataSource(d DataSourceConfig, old model.DataSource) (model.DataSource, error) {
	sd := model.DataSource{Name: strings.TrimSpace(d.Name), Driver: strings.ToLower(strings.TrimSpace(d.Driver)), DSN: strings.TrimSpace(d.DSN)}
	if err := checkName("name", "数据源", sd.Name); err != nil {
		return sd, err
	}
	if sd.Name == DefaultSource {
		return sd, model.Invalid("name", "“%s”是内置数据库的名称，请换一个名称", DefaultSource)
	}
	if !slices.Contains(datasource.Drivers(), sd.Driver) {
		return sd, model.Invalid("driver", "不支持的数据库类型 %q，可选：%s", d.Driver, strings.Join(DriverNames(), "、"))
	}
	if strings.Contains(sd.DSN, Mask) && old.Name != "" && MaskDSN(old.DSN) == sd.DSN {
		sd.DSN = old.DSN // an exported, masked DSN imported back keeps its password
	}
	if sd.DSN == "" {
		return sd, model.Invalid("dsn", "缺少连接字符串(dsn)")
	}
	return sd, nil
}

// DriverNames lists the supported data source drivers.
func DriverNames() []string { return datasource.Drivers() }

func (a *App) validateChannel(c ChannelConfig, old model.Channel, had bool) (model.Channel, error) {
	sc := model.Channel{Name: strings.TrimSpace(c.Name), Type: strings.TrimSpace(c.Type), RatePerMinute: c.RatePerMinute, Enabled: true, Config: map[string]string{}}
	if err := checkName("name", "通道", sc.Name); err != nil {
		return sc, err
	}
	if c.Enabled != nil {
		sc.Enabled = *c.Enabled
	} else if had {
		sc.Enabled = old.Enabled
	}
	t, ok := channelType(sc.Type)
	if !ok {
		names := []string{}
		for _, t := range ChannelTypes() {
			names = append(names, t.Name)
		}
		return sc, model.Invalid("type", "未知的通道类型 %q，可选：%s", c.Type, strings.Join(names, "、"))
	}
	if sc.RatePerMinute < 0 || sc.RatePerMinute > 100000 {
		return sc, model.Invalid("rate_per_minute", "每分钟限速必须在 0 到 100000 之间（0 = 平台默认）")
	}
	for k, v := range c.Config {
		if !slices.Contains(t.Keys, k) {
			return sc, model.Invalid(k, "通道类型 %s 没有配置项 %q，可用：%s", t.Name, k, strings.Join(t.Keys, "、"))
		}
		v = strings.TrimSpace(v)
		if v == Mask && had && old.Type == sc.Type {
			v = old.Config[k] // masked secret from an export: keep the stored one
		}
		sc.Config[k] = v
	}
	for _, k := range t.Required {
		if sc.Config[k] == "" {
			return sc, model.Invalid(k, "缺少必填配置项 %s", k)
		}
	}
	if _, _, err := registry.New(sc, channel.Deps{}); err != nil {
		return sc, model.Invalid("config", "%s", chineseOf(err))
	}
	return sc, nil
}

func validateUser(u UserConfig, existing map[string]model.User) (model.User, error) {
	su := model.User{Name: strings.TrimSpace(u.Name), Roles: cleanList(u.Roles), Disabled: u.Disabled, PasswordHash: u.PasswordHash}
	if err := checkName("name", "用户", su.Name); err != nil {
		return su, err
	}
	switch {
	case u.Password != "" && u.PasswordHash != "":
		return su, model.Invalid("password", "password 和 password_hash 只能填一个")
	case u.PasswordHash != "":
		if !strings.HasPrefix(u.PasswordHash, "$2") {
			return su, model.Invalid("password_hash", "password_hash 不是 bcrypt 哈希；新密码请填在 password 中")
		}
	case u.Password != "":
		if len(u.Password) < 6 {
			return su, model.Invalid("password", "密码至少 6 个字符")
		}
		if len(u.Password) > 72 {
			return su, model.Invalid("password", "密码不能超过 72 个字节")
		}
	default:
		if _, ok := existing[su.Name]; !ok {
			return su, model.Invalid("password", "新用户必须设置密码(password)")
		}
	}
	return su, nil
}

func cleanList(in []string) []string {
	out := []string{}
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// ValidateTemplate checks a template without saving it (GUI: error next to the field).
func (a *App) ValidateTemplate(t TemplateConfig) error {
	st := a.state.Load()
	srcs := map[string]model.DataSource{}
	for n, s := range st.sources {
		srcs[n] = s.cfg
	}
	_, _, err := validateTemplate(t, srcs)
	return err
}

// validateTemplate checks a template being saved or tried and returns it as
// stored and its compiled statement.
func validateTemplate(t TemplateConfig, sources map[string]model.DataSource) (model.Template, *sqltmpl.Template, error) {
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
	stmt, e := compileTemplate(st.Kind, driver, st.SQL)
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

func applyPatch(s Settings, p SettingsPatch) Settings {
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
	return s
}

func countPatch(p SettingsPatch) int {
	n := 0
	for _, set := range []bool{p.Listen != nil, p.AuthMode != nil, p.AuthToken != nil, p.AuthDataSource != nil, p.AuthSQL != nil,
		p.DefaultChannel != nil, p.AutoStart != nil, p.ChatPrefix != nil, p.LogRetentionDays != nil} {
		if set {
			n++
		}
	}
	return n
}

func validateSettings(s Settings, cur *current) error {
	if err := ValidateListen(s.Listen); err != nil {
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
		if _, ok := cur.sources[s.AuthDataSource]; !ok && s.AuthDataSource != DefaultSource {
			return model.Invalid("auth_datasource", "数据源“%s”不存在", s.AuthDataSource)
		}
		stmt, err := sqltmpl.Compile(s.AuthSQL, authNames)
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
		if _, ok := cur.channels[s.DefaultChannel]; !ok {
			return model.Invalid("default_channel", "默认通道“%s”不存在", s.DefaultChannel)
		}
	}
	if s.LogRetentionDays < 1 || s.LogRetentionDays > 3650 {
		return model.Invalid("log_retention_days", "日志保留天数必须在 1 到 3650 之间")
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

// Export returns the configuration with password hashes only and secrets masked.
func (a *App) Export(ctx context.Context) (ConfigFile, error) {
	cur, err := a.current(ctx)
	if err != nil {
		return ConfigFile{}, err
	}
	s := cur.settings
	if s.AuthToken != "" {
		s.AuthToken = Mask
	}
	retention, autoStart := s.LogRetentionDays, s.AutoStart
	cf := ConfigFile{Settings: &SettingsPatch{Listen: &s.Listen, AuthMode: &s.AuthMode, AuthToken: &s.AuthToken,
		AuthDataSource: &s.AuthDataSource, AuthSQL: &s.AuthSQL, DefaultChannel: &s.DefaultChannel, AutoStart: &autoStart,
		ChatPrefix: &s.ChatPrefix, LogRetentionDays: &retention}}
	for _, name := range slices.Sorted(maps.Keys(cur.users)) {
		u := cur.users[name]
		cf.Users = append(cf.Users, UserConfig{Name: u.Name, PasswordHash: u.PasswordHash, Roles: u.Roles, Disabled: u.Disabled})
	}
	for _, name := range slices.Sorted(maps.Keys(cur.sources)) {
		d := cur.sources[name]
		cf.DataSources = append(cf.DataSources, DataSourceConfig{Name: d.Name, Driver: d.Driver, DSN: MaskDSN(d.DSN)})
	}
	for _, name := range slices.Sorted(maps.Keys(cur.channels)) {
		c := cur.channels[name]
		enabled := c.Enabled
		cf.Channels = append(cf.Channels, ChannelConfig{Name: c.Name, Type: c.Type, RatePerMinute: c.RatePerMinute, Enabled: &enabled, Config: ConfigValues(MaskChannelConfig(c.Type, c.Config))})
	}
	for _, kw := range slices.Sorted(maps.Keys(cur.templates)) {
		t := cur.templates[kw]
		enabled := t.Enabled
		cf.Templates = append(cf.Templates, TemplateConfig{Keyword: t.Keyword, Kind: t.Kind, DataSource: t.DataSource, SQL: t.SQL,
			Roles: t.Roles, Users: t.Users, Chat: t.Chat, Reply: t.Reply, MaxRows: t.MaxRows, TimeoutMS: t.TimeoutMS, Enabled: &enabled})
	}
	return cf, nil
}

// MaskChannelConfig hides a channel type's secret keys.
func MaskChannelConfig(typ string, cfg map[string]string) map[string]string {
	out := maps.Clone(cfg)
	if out == nil {
		out = map[string]string{}
	}
	t, _ := channelType(typ)
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
