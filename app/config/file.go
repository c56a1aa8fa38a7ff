// Package config is BotGate's configuration as admins write it: the JSON of
// `botgate config import/export` and the window's backup/restore, its checks
// with Chinese reasons, and the masking of secrets in what is shown or
// exported. It reads and writes no database: app loads the stored rows into a
// Stored, asks Check what a file would change, and writes that in one
// transaction.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"botgate/model"
)

// Mask replaces secrets in exports; importing it back keeps the stored secret.
const Mask = "******"

// DefaultSource is the name of the embedded SQLite data file beside the state DB.
const DefaultSource = "default"

// File is the JSON of `botgate config import/export` and the GUI's
// backup/restore. Import upserts what it names and leaves the rest alone.
type File struct {
	Settings    *SettingsPatch `json:"settings,omitempty"`
	Users       []User         `json:"users,omitempty"`
	DataSources []DataSource   `json:"datasources,omitempty"`
	Channels    []Channel      `json:"channels,omitempty"`
	Templates   []Template     `json:"templates,omitempty"`
	Schedules   []Schedule     `json:"schedules,omitempty"`
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
	AdminRecipient   *string `json:"admin_recipient,omitempty"`
}

// User is an API user: a plain password on import (stored hashed), or
// the hash itself as exported.
type User struct {
	Name         string   `json:"name"`
	Password     string   `json:"password,omitempty"`
	PasswordHash string   `json:"password_hash,omitempty"`
	Roles        []string `json:"roles"`
	Disabled     bool     `json:"disabled,omitempty"`
}

// DataSource is a database templates run against.
type DataSource struct {
	Name   string `json:"name"`
	Driver string `json:"driver"`
	DSN    string `json:"dsn"`
}

// Channel is a chat connector.
type Channel struct {
	Name          string `json:"name"`
	Type          string `json:"type"`
	RatePerMinute int    `json:"rate_per_minute"`
	Enabled       *bool  `json:"enabled,omitempty"`
	Config        Values `json:"config"`
}

// Values are a channel's config keys; numbers and booleans in the file
// are accepted and kept as text.
type Values map[string]string

// UnmarshalJSON accepts string, number and boolean values.
func (v *Values) UnmarshalJSON(b []byte) error {
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return errors.New("config 必须是键值对象")
	}
	*v = Values{}
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

// Template is a keyword template.
type Template struct {
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

// Summary counts what an import changed.
type Summary struct {
	Settings, Users, DataSources, Channels, Templates, Schedules int
}

func (s Summary) String() string {
	out := fmt.Sprintf("设置 %d 项，用户 %d 个，数据源 %d 个，通道 %d 个，模板 %d 个", s.Settings, s.Users, s.DataSources, s.Channels, s.Templates)
	if s.Schedules > 0 {
		out += fmt.Sprintf("，定时推送 %d 个", s.Schedules)
	}
	return out
}

// Parse decodes a config file with a clear Chinese error for bad JSON.
func Parse(r io.Reader) (File, error) {
	var f File
	body, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return f, model.Invalid("", "读取配置文件失败：%v", err)
	}
	if !utf8.Valid(body) {
		return f, model.Invalid("", "配置文件不是 UTF-8 编码，请另存为 UTF-8 后再导入")
	}
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line := 1 + bytes.Count(body[:min(int(se.Offset), len(body))], []byte("\n"))
			return f, model.Invalid("", "配置文件 JSON 格式错误（第 %d 行附近）：%v", line, se)
		case errors.As(err, &te):
			return f, model.Invalid(te.Field, "配置文件中 %s 的类型不对：应为 %s", te.Field, te.Type)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return f, model.Invalid("", "配置文件中有未知字段 %s，请检查拼写", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return f, model.Invalid("", "配置文件无法读取：%v", err)
	}
	return f, nil
}
