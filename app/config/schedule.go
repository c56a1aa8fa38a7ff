package config

import (
	"strings"
	"unicode/utf8"

	"botgate/app/channel"
	"botgate/app/channel/registry"
	"botgate/app/schedule"
	"botgate/model"
)

// Schedule is a scheduled push (定时推送) as the config file writes it.
// to, group and at are comma lists, as the QQAP parameters of those names.
type Schedule struct {
	Name      string   `json:"name"`
	Cron      string   `json:"cron"`
	TZ        string   `json:"tz,omitempty"` // "" = Asia/Shanghai
	Template  string   `json:"template"`
	Args      []string `json:"args"`
	Channel   string   `json:"channel"` // "" = the default channel
	To        string   `json:"to"`
	Group     string   `json:"group"`
	At        string   `json:"at"`
	Header    string   `json:"header"`
	SkipEmpty bool     `json:"skip_empty"`
	CatchUp   string   `json:"catch_up,omitempty"` // "30m", "1h" (default), "2h30m"
	Enabled   *bool    `json:"enabled,omitempty"`
}

// CheckSchedule checks a schedule being saved: a cron expression and zone
// that parse, a query template that exists (in templates: the stored ones
// and the file's), a channel that exists (channels; "" is defaultChannel)
// and recipients it can address. old is the stored schedule of that name
// when had, whose enabled flag an import without one keeps.
func CheckSchedule(s Schedule, old model.Schedule, had bool, templates map[string]model.Template, channels map[string]model.Channel, defaultChannel string) (model.Schedule, error) {
	ss := model.Schedule{Name: strings.TrimSpace(s.Name), Cron: strings.Join(strings.Fields(s.Cron), " "), TZ: strings.TrimSpace(s.TZ),
		Template: strings.TrimSpace(s.Template), Args: trimAll(s.Args), Channel: strings.TrimSpace(s.Channel),
		To: splitTargets(s.To), Groups: splitTargets(s.Group), At: strings.TrimSpace(s.At),
		Header: strings.TrimSpace(s.Header), SkipEmpty: s.SkipEmpty, Enabled: true}
	if s.Enabled != nil {
		ss.Enabled = *s.Enabled
	} else if had {
		ss.Enabled = old.Enabled
	}
	if err := CheckName("name", "定时推送", ss.Name); err != nil {
		return ss, err
	}
	if _, err := schedule.Parse(ss.Cron, ss.TZ); err != nil {
		return ss, err
	}
	var err error
	if ss.CatchUp, err = schedule.ParseCatchUp(s.CatchUp); err != nil {
		return ss, err
	}
	if ss.Template == "" {
		return ss, model.Invalid("template", "缺少模板(template)：请选择一个查询模板")
	}
	t, ok := templates[ss.Template]
	switch {
	case !ok:
		return ss, model.Invalid("template", "模板“%s”不存在，请先在“交互查询”中添加，或检查关键字", ss.Template)
	case t.Kind != model.KindQuery:
		return ss, model.Invalid("template", "模板“%s”是填报/修改模板，定时推送只能用查询(query)模板：定时修改数据太危险", ss.Template)
	}
	if len(ss.Args) > 9 {
		return ss, model.Invalid("args", "参数(args)最多 9 个（对应 {{1}}..{{9}}）")
	}
	name := ss.Channel
	if name == "" {
		name = defaultChannel
	}
	if name == "" {
		return ss, model.Invalid("channel", "没有设置默认通道：请填写通道(channel)")
	}
	c, ok := channels[name]
	if !ok {
		return ss, model.Invalid("channel", "通道“%s”不存在，请先在“通道”中添加，或检查名称", name)
	}
	if err := checkTargets(ss, c); err != nil {
		return ss, err
	}
	if utf8.RuneCountInString(ss.Header) > 200 {
		return ss, model.Invalid("header", "表头最多 200 个字")
	}
	return ss, nil
}

// checkTargets checks the recipients on channel c as a send would: a
// channel with a fixed group needs none; any other one at least one, each
// in the platform's form; mentions go to groups only.
func checkTargets(s model.Schedule, c model.Channel) error {
	if _, err := model.ParseMentions(s.At); err != nil {
		return &model.Error{Code: model.CodeInvalid, Field: "at", Msg: "@成员(at)有误：" + model.ErrorOf(err).Msg}
	}
	t, ok := registry.Lookup(c.Type)
	if !ok {
		return nil // a test's own connector type: checked when it sends
	}
	none := len(s.To) == 0 && len(s.Groups) == 0
	switch {
	case none && !t.Caps.FixedTarget:
		return model.Invalid("to", "缺少接收者：请填写好友 QQ(to) 或群号(group)，多个用逗号分开")
	case s.At != "" && len(s.Groups) == 0 && !t.Caps.FixedTarget:
		return model.Invalid("at", "@成员只能用于群消息：请填写群号(group)，或清空 at")
	}
	if s.At != "" && !t.Extras.Mention {
		return model.Invalid("at", "通道“%s”（%s）不支持 @成员：%s；请清空 at", c.Name, t.Title, t.Extras.Describe())
	}
	ch, err := registry.Build(t, c, channel.Deps{})
	if err != nil {
		return nil // the channel's own problem, reported on the channel
	}
	v, ok := ch.(channel.TargetValidator)
	if !ok {
		return nil
	}
	for _, lst := range []struct {
		kind, field string
		ids         []string
	}{{channel.Private, "to", s.To}, {channel.Group, "group", s.Groups}} {
		for _, id := range lst.ids {
			if err := v.ValidateTarget(lst.kind, id); err != nil {
				return model.Invalid(lst.field, "接收者 %s 无效：%s", id, channel.Explain(err))
			}
		}
	}
	return nil
}

// splitTargets reads a comma list (ASCII or full-width commas, or 、).
func splitTargets(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == '、' })
	return cleanList(f)
}

// trimAll trims each argument; empty ones stay, as {{2}} may be meant empty.
func trimAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.TrimSpace(s)
	}
	return out
}

// ExportSchedule is s as the config file and the window show it.
func ExportSchedule(s model.Schedule) Schedule {
	enabled := s.Enabled
	args := s.Args
	if args == nil {
		args = []string{}
	}
	return Schedule{Name: s.Name, Cron: s.Cron, TZ: s.TZ, Template: s.Template, Args: args, Channel: s.Channel,
		To: strings.Join(s.To, ","), Group: strings.Join(s.Groups, ","), At: s.At, Header: s.Header, SkipEmpty: s.SkipEmpty,
		CatchUp: schedule.FormatDuration(s.CatchUp), Enabled: &enabled}
}

// AdminRecipient is where failed scheduled pushes are reported, read from
// the admin_recipient setting: "通道:QQ" (a private message), "通道:group:群号"
// (a group), or "通道" alone for a channel with a fixed group (a group robot).
type AdminRecipient struct {
	Channel, Kind, To string
}

// ParseAdminRecipient reads the admin_recipient setting; ok is false when it is empty.
func ParseAdminRecipient(s string) (r AdminRecipient, ok bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return r, false, nil
	}
	parts := strings.Split(s, ":")
	bad := model.Invalid("admin_recipient", "接收定时推送失败通知的地址 %q 格式不对：写成 通道名:QQ号（私聊）、通道名:group:群号（群），群机器人通道只写通道名", s)
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	switch {
	case len(parts) == 1:
		r = AdminRecipient{Channel: parts[0], Kind: channel.Group}
	case len(parts) == 2 && parts[1] != "":
		r = AdminRecipient{Channel: parts[0], Kind: channel.Private, To: parts[1]}
	case len(parts) == 3 && (parts[1] == "group" || parts[1] == "群") && parts[2] != "":
		r = AdminRecipient{Channel: parts[0], Kind: channel.Group, To: parts[2]}
	default:
		return r, false, bad
	}
	if r.Channel == "" {
		return r, false, bad
	}
	return r, true, nil
}
