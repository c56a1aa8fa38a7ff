package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"

	"botgate/app/auth"
	"botgate/app/channel"
	"botgate/app/channel/registry"
	"botgate/app/datasource"
	"botgate/model"
)

// Stored is the saved configuration a file is checked against and applied
// over: masked secrets take the stored values, templates may name the data
// sources already there.
type Stored struct {
	Settings    Settings
	Users       map[string]model.User
	DataSources map[string]model.DataSource
	Channels    map[string]model.Channel
	Templates   map[string]model.Template
	Schedules   map[string]model.Schedule
}

// Changes are a checked file as the rows to write, in one transaction.
type Changes struct {
	Settings    map[string]string // every setting after the patch; nil when the file names none
	DataSources []model.DataSource
	Channels    []model.Channel
	Users       []model.User // passwords hashed
	Templates   []model.Template
	Schedules   []model.Schedule
	Summary     Summary
}

// Check validates the whole of f against cur before anything is written,
// so that a bad entry anywhere changes nothing; statePath is the state
// database, which no data source may point at. cur is not modified.
func Check(f File, cur *Stored, statePath string) (Changes, error) {
	var ch Changes
	// Data sources first: templates and auth refer to them.
	sources := map[string]model.DataSource{}
	maps.Copy(sources, cur.DataSources)
	for i, d := range f.DataSources {
		sd, err := CheckDataSource(d, sources[strings.TrimSpace(d.Name)])
		if err == nil && sd.Driver == "sqlite" && datasource.IsSQLiteFile(sd.DSN, statePath) {
			err = model.Invalid("dsn", "数据源不能指向 BotGate 自己的状态数据库 %s，请选择 ERP 的数据库文件", statePath)
		}
		if err != nil {
			return Changes{}, prefix(err, "数据源", d.Name, i)
		}
		sources[sd.Name] = sd
		ch.DataSources = append(ch.DataSources, sd)
	}
	channels := map[string]model.Channel{}
	maps.Copy(channels, cur.Channels)
	for i, c := range f.Channels {
		old, had := channels[strings.TrimSpace(c.Name)]
		sc, err := CheckChannel(c, old, had)
		if err != nil {
			return Changes{}, prefix(err, "通道", c.Name, i)
		}
		channels[sc.Name] = sc
		ch.Channels = append(ch.Channels, sc)
	}
	for i, u := range f.Users {
		su, err := checkUser(u, cur.Users)
		if err != nil {
			return Changes{}, prefix(err, "用户", u.Name, i)
		}
		ch.Users = append(ch.Users, su)
	}
	for i, t := range f.Templates {
		st, _, err := CheckTemplate(t, sources)
		if err != nil {
			return Changes{}, prefix(err, "模板", t.Keyword, i)
		}
		ch.Templates = append(ch.Templates, st)
	}
	settings := cur.Settings
	if f.Settings != nil {
		if err := validatePrefix(f.Settings.ChatPrefix); err != nil {
			return Changes{}, prefix(err, "设置", "", -1)
		}
		settings = f.Settings.apply(cur.Settings)
		if err := validateSettings(settings, &Stored{DataSources: sources, Channels: channels}); err != nil {
			return Changes{}, prefix(err, "设置", "", -1)
		}
		ch.Settings = settings.Map()
		ch.Summary.Settings = f.Settings.count()
	}
	// Schedules last: they name templates, channels and the default channel.
	templates := map[string]model.Template{}
	maps.Copy(templates, cur.Templates)
	for _, t := range ch.Templates {
		templates[t.Keyword] = t
	}
	for i, s := range f.Schedules {
		old, had := cur.Schedules[strings.TrimSpace(s.Name)]
		ss, err := CheckSchedule(s, old, had, templates, channels, settings.DefaultChannel)
		if err != nil {
			return Changes{}, prefix(err, "定时推送", s.Name, i)
		}
		ch.Schedules = append(ch.Schedules, ss)
	}
	// Hashed only once everything passed: bcrypt is slow on purpose.
	for i := range ch.Users {
		if ch.Users[i].PasswordHash == "" && f.Users[i].Password != "" {
			h, err := auth.Hash(f.Users[i].Password)
			if err != nil {
				return Changes{}, model.Invalid("password", "用户“%s”：%v", ch.Users[i].Name, err)
			}
			ch.Users[i].PasswordHash = h
		}
	}
	ch.Summary.Users, ch.Summary.DataSources = len(ch.Users), len(ch.DataSources)
	ch.Summary.Channels, ch.Summary.Templates, ch.Summary.Schedules = len(ch.Channels), len(ch.Templates), len(ch.Schedules)
	return ch, nil
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

// validName is ^[\p{L}\p{N}_.\-]{1,64}$ written out: compiled, that
// regexp repeats the Unicode letter class 64 times, and it was 2.5 MB of
// the idle server's heap (GODEBUG=inittrace=1), an eighth of its RSS.
func validName(name string) bool {
	n := 0
	for _, r := range name { // invalid UTF-8 comes as U+FFFD, which is refused
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) && r != '_' && r != '.' && r != '-' {
			return false
		}
		n++
	}
	return n >= 1 && n <= 64
}

// CheckName checks the name of a user, channel or data source (what names it
// in the message).
func CheckName(field, what, name string) error {
	if !validName(name) {
		return model.Invalid(field, "%s名称 %q 无效：1 到 64 个字符，只能用文字、数字、_ . -", what, name)
	}
	return nil
}

// CheckDataSource checks a data source being saved or tried; old is the
// stored one of that name (zero if none), whose password a masked DSN keeps.
func CheckDataSource(d DataSource, old model.DataSource) (model.DataSource, error) {
	sd := model.DataSource{Name: strings.TrimSpace(d.Name), Driver: strings.ToLower(strings.TrimSpace(d.Driver)), DSN: strings.TrimSpace(d.DSN)}
	if err := CheckName("name", "数据源", sd.Name); err != nil {
		return sd, err
	}
	if sd.Name == DefaultSource {
		return sd, model.Invalid("name", "“%s”是内置数据库的名称，请换一个名称", DefaultSource)
	}
	if !slices.Contains(datasource.Drivers(), sd.Driver) {
		return sd, model.Invalid("driver", "不支持的数据库类型 %q，可选：%s", d.Driver, strings.Join(datasource.Drivers(), "、"))
	}
	if strings.Contains(sd.DSN, Mask) && old.Name != "" && MaskDSN(old.DSN) == sd.DSN {
		sd.DSN = old.DSN // an exported, masked DSN imported back keeps its password
	}
	if sd.DSN == "" {
		return sd, model.Invalid("dsn", "缺少连接字符串(dsn)")
	}
	return sd, nil
}

// CheckChannel checks a channel being saved or tried and builds its
// connector once to hear the platform's own objections; old is the stored
// channel of that name when had, whose secrets masked values keep.
func CheckChannel(c Channel, old model.Channel, had bool) (model.Channel, error) {
	sc := model.Channel{Name: strings.TrimSpace(c.Name), Type: strings.TrimSpace(c.Type), RatePerMinute: c.RatePerMinute, Enabled: true, Config: map[string]string{}}
	if err := CheckName("name", "通道", sc.Name); err != nil {
		return sc, err
	}
	if c.Enabled != nil {
		sc.Enabled = *c.Enabled
	} else if had {
		sc.Enabled = old.Enabled
	}
	t, ok := registry.Lookup(sc.Type)
	if !ok {
		names := []string{}
		for _, t := range registry.Types() {
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
	for _, k := range t.Needed(sc.Config) {
		if sc.Config[k] == "" {
			return sc, model.Invalid(k, "缺少必填配置项 %s", k)
		}
	}
	if _, _, err := registry.New(sc, channel.Deps{}); err != nil {
		return sc, model.Invalid("config", "%s", channel.Explain(err))
	}
	return sc, nil
}

func checkUser(u User, existing map[string]model.User) (model.User, error) {
	su := model.User{Name: strings.TrimSpace(u.Name), Roles: cleanList(u.Roles), Disabled: u.Disabled, PasswordHash: u.PasswordHash}
	if err := CheckName("name", "用户", su.Name); err != nil {
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
