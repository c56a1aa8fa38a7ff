package app

// Admin operations for the window (ui): listing and deleting configuration,
// trying templates, testing channels and data sources, and the counts the
// 服务 tab shows. Saving goes through Import, the one validated write path.

import (
	"botgate/model"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"botgate/app/channel"
	"botgate/app/channel/registry"
	"botgate/app/config"
	"botgate/app/datasource"
	"botgate/storage"
)

// ListUsers returns the API users without their password hashes.
func (a *App) ListUsers(ctx context.Context) ([]config.User, error) {
	cf, err := a.Export(ctx)
	if err != nil {
		return nil, err
	}
	for i := range cf.Users {
		cf.Users[i].PasswordHash = ""
	}
	return cf.Users, nil
}

// ListChannels returns the channels with secret keys masked; saving a masked
// value back keeps the stored secret.
func (a *App) ListChannels(ctx context.Context) ([]config.Channel, error) {
	cf, err := a.Export(ctx)
	return cf.Channels, err
}

// ListTemplates returns the keyword templates.
func (a *App) ListTemplates(ctx context.Context) ([]config.Template, error) {
	cf, err := a.Export(ctx)
	return cf.Templates, err
}

// ListDataSources returns the added data sources (not the built-in one) with
// passwords in DSNs masked.
func (a *App) ListDataSources(ctx context.Context) ([]config.DataSource, error) {
	cf, err := a.Export(ctx)
	return cf.DataSources, err
}

// DataSourceNames lists every data source a template may use, the built-in first.
func (a *App) DataSourceNames() []string {
	st := a.state.Load()
	names := []string{DefaultSource}
	for n := range st.sources {
		if n != DefaultSource {
			names = append(names, n)
		}
	}
	slices.Sort(names[1:])
	return names
}

// ChannelKinds lists the connector types for the channel form.
func (a *App) ChannelKinds() []channel.Type { return ChannelTypes() }

// Drivers lists the data source drivers for the data source form.
func (a *App) Drivers() []string { return datasource.Drivers() }

// GenerateToken returns a fresh random token for token mode.
func (a *App) GenerateToken() string { return NewToken() }

// DBPath is the state database file.
func (a *App) DBPath() string { return a.db.Path() }

// DeleteUser removes an API user.
func (a *App) DeleteUser(ctx context.Context, name string) error {
	return a.deleteOne(ctx, "用户", name, func(tx *storage.Tx) error { return tx.DeleteUser(name) })
}

// RenameUser renames an API user, keeping password, roles and the templates
// that name the user. Programs calling with the old name must be changed.
func (a *App) RenameUser(ctx context.Context, from, to string) error {
	to = strings.TrimSpace(to)
	if err := config.CheckName("name", "用户", to); err != nil {
		return err
	}
	if to == from {
		return nil
	}
	err := a.db.Update(ctx, func(tx *storage.Tx) error { return tx.RenameUser(from, to) })
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return model.Invalid("name", "用户“%s”不存在（可能已被删除），请刷新列表", from)
	case errors.Is(err, storage.ErrExists):
		return model.Invalid("name", "用户“%s”已存在，请换一个名字", to)
	case err != nil:
		return err
	}
	return a.Reload(ctx)
}

// DeleteTemplate removes a keyword template.
func (a *App) DeleteTemplate(ctx context.Context, keyword string) error {
	return a.deleteOne(ctx, "模板", keyword, func(tx *storage.Tx) error { return tx.DeleteTemplate(keyword) })
}

// DeleteChannel removes a channel; the default channel must be changed first,
// otherwise every send without a channel would start failing.
func (a *App) DeleteChannel(ctx context.Context, name string) error {
	if a.Settings().DefaultChannel == name {
		return model.Invalid("name", "通道“%s”是默认通道，不能删除：请先把别的通道设为默认", name)
	}
	return a.deleteOne(ctx, "通道", name, func(tx *storage.Tx) error { return tx.DeleteChannel(name) })
}

// DeleteDataSource removes a data source that no template and no SQL
// authorization still uses.
func (a *App) DeleteDataSource(ctx context.Context, name string) error {
	if name == DefaultSource {
		return model.Invalid("name", "内置数据库“%s”不能删除", DefaultSource)
	}
	cur, err := a.current(ctx)
	if err != nil {
		return err
	}
	var users []string
	for _, t := range cur.Templates {
		if t.DataSource == name {
			users = append(users, t.Keyword)
		}
	}
	if len(users) > 0 {
		slices.Sort(users)
		return model.Invalid("name", "数据源“%s”仍被模板 %s 使用：请先修改或删除这些模板", name, strings.Join(users, "、"))
	}
	if cur.Settings.AuthDataSource == name {
		return model.Invalid("name", "数据源“%s”用于 SQL 授权：请先在“授权”中换一个数据源", name)
	}
	return a.deleteOne(ctx, "数据源", name, func(tx *storage.Tx) error { return tx.DeleteDataSource(name) })
}

func (a *App) deleteOne(ctx context.Context, what, name string, del func(*storage.Tx) error) error {
	err := a.db.Update(ctx, del)
	if errors.Is(err, storage.ErrNotFound) {
		return model.Invalid("name", "%s“%s”不存在（可能已被删除），请刷新列表", what, name)
	}
	if err != nil {
		return err
	}
	return a.Reload(ctx)
}

// DryRunTemplate validates t without saving it and runs it with vars
// ("试运行"). Permissions are not checked: the admin is trying the SQL. A
// query only reads; an insert/update template changes data for real, so the
// caller must pass write=true after the admin confirmed.
func (a *App) DryRunTemplate(ctx context.Context, t config.Template, vars model.Vars, write bool) (*model.KeywordResult, error) {
	st := a.state.Load()
	srcs := map[string]model.DataSource{}
	for n, s := range st.sources {
		srcs[n] = s.cfg
	}
	tp, stmt, err := config.CheckTemplate(t, srcs)
	if err != nil {
		return nil, err
	}
	if tp.Kind != model.KindQuery && !write {
		return nil, model.Invalid("kind", "填报/修改模板试运行会真的修改数据，请确认后再试运行")
	}
	res, err := a.runTemplate(ctx, st, &compiledTemplate{Template: tp, stmt: stmt}, vars)
	if err != nil {
		// The admin is debugging: the driver's own words help more than "see the log".
		e := model.ErrorOf(err)
		if e.Err != nil && e.Code != model.CodeInternal {
			return nil, &model.Error{Code: e.Code, Field: "sql", Msg: e.Msg + "。原因：" + e.Err.Error(), Err: e.Err}
		}
		return nil, err
	}
	return res, nil
}

// TestChannel builds the connector from c (unsaved; masked secrets take the
// stored values) and runs its harmless connection check ("测试连接").
func (a *App) TestChannel(ctx context.Context, c config.Channel) error {
	ch, t, err := a.formConnector(ctx, c)
	if err != nil {
		return err
	}
	tester, ok := ch.(channel.Tester)
	if !ok {
		return model.Invalid("type", "通道类型 %s 不支持测试连接：请保存后用“发送测试消息”试试", t.Title)
	}
	if err := tester.Test(ctx); err != nil {
		return &model.Error{Code: model.CodeNoChannel, Field: "config", Msg: "连接失败：" + channel.Explain(err), Err: err}
	}
	return nil
}

// ChannelContacts lists the friends and groups ("通讯录") of the platform
// behind c (the form as shown, like TestChannel), so the admin can pick the
// QQ numbers and group IDs to give the ERP.
func (a *App) ChannelContacts(ctx context.Context, c config.Channel) ([]channel.Contact, error) {
	ch, t, err := a.formConnector(ctx, c)
	if err != nil {
		return nil, err
	}
	d, ok := ch.(channel.Directory)
	if !ok {
		return nil, model.Invalid("type", "通道类型 %s 的平台不提供通讯录列表", t.Title)
	}
	list, err := d.Contacts(ctx)
	if err != nil {
		return nil, &model.Error{Code: model.CodeNoChannel, Field: "config", Msg: "读取通讯录失败：" + channel.Explain(err), Err: err}
	}
	return list, nil
}

// ChannelFeatures tells which of 测试连接 and 通讯录 a channel type offers.
func (a *App) ChannelFeatures(typ string) (test, contacts bool) {
	t, _ := channelType(typ)
	return t.Caps.Test, t.Caps.Directory
}

// formConnector builds the connector of an unsaved channel form, validated
// like a save; masked secrets take the stored values.
func (a *App) formConnector(ctx context.Context, c config.Channel) (channel.Channel, channel.Type, error) {
	cur, err := a.current(ctx)
	if err != nil {
		return nil, channel.Type{}, err
	}
	old, had := cur.Channels[strings.TrimSpace(c.Name)]
	sc, err := config.CheckChannel(c, old, had)
	if err != nil {
		return nil, channel.Type{}, err
	}
	ch, t, err := registry.New(sc, a.connectorDeps())
	if err != nil {
		return nil, t, model.Invalid("config", "%s", channel.Explain(err))
	}
	return ch, t, nil
}

// SendTest queues a test message on a saved channel ("发送测试消息"). It is
// delivered while the server runs, like any other message.
func (a *App) SendTest(ctx context.Context, channelName, qq, group, content string) (int64, error) {
	e, err := a.Send(ctx, model.Caller{Name: "", Roles: []string{"admin"}}, SendRequest{Channel: channelName, QQ: qq, Group: group, Content: content})
	return e.ID, err
}

// TestDataSource opens d (unsaved; a masked DSN takes the stored one) and
// pings it ("测试连接").
func (a *App) TestDataSource(ctx context.Context, d config.DataSource) error {
	cur, err := a.current(ctx)
	if err != nil {
		return err
	}
	// A connection can be tried before the name is settled.
	if name := strings.TrimSpace(d.Name); name == DefaultSource || config.CheckName("name", "数据源", name) != nil {
		d.Name = "连接测试"
	}
	sd, err := config.CheckDataSource(d, cur.DataSources[strings.TrimSpace(d.Name)])
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// datasource.Test names the cause in Chinese: host unreachable, login
	// failed, database missing, timeout.
	if err := datasource.Test(ctx, sd.Driver, sd.DSN, a.db.Path()); err != nil {
		var te *datasource.TestError
		msg := err.Error()
		if errors.As(err, &te) {
			msg = te.Msg
		}
		return &model.Error{Code: model.CodeNoSource, Field: "dsn", Msg: msg, Err: err}
	}
	return nil
}

// Stats are the 服务 tab's numbers.
type Stats struct {
	Sent, Failed, Pending int // messages created today, by outcome
	Queries, Refused      int // API requests today: keyword runs, refused credentials or permissions
	RequestsCapped        bool
	Hourly                [24]int // messages created per hour, oldest first; the last is the current hour
	HourlyStart           time.Time
}

// statsRequestCap bounds how many request log rows the counts read, so the
// window stays quick on a busy day; Stats says when it was reached.
const statsRequestCap = 1000

// Stats counts today's messages and requests and the last 24 hours of messages.
func (a *App) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	now := a.opts.Now()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	m, err := a.db.StatusCounts(ctx, today)
	if err != nil {
		return s, err
	}
	s.Sent, s.Failed = m[model.StatusDelivered], m[model.StatusFailed]
	s.Pending = m[model.StatusQueued] + m[model.StatusSending]
	// Hour buckets from cumulative counts: messages created since each boundary.
	s.HourlyStart = now.Truncate(time.Hour).Add(-23 * time.Hour)
	since := func(t time.Time) (int, error) {
		m, err := a.db.StatusCounts(ctx, t)
		n := 0
		for _, v := range m {
			n += v
		}
		return n, err
	}
	prev, err := since(s.HourlyStart)
	if err != nil {
		return s, err
	}
	for i := range 24 {
		next := 0
		if i < 23 {
			if next, err = since(s.HourlyStart.Add(time.Duration(i+1) * time.Hour)); err != nil {
				return s, err
			}
		}
		s.Hourly[i] = prev - next
		prev = next
	}
	logs, err := a.db.RequestLogs(ctx, "", statsRequestCap)
	if err != nil {
		return s, err
	}
	for _, l := range logs {
		if l.At.Before(today) {
			continue
		}
		if l.Keyword != "" {
			s.Queries++
		}
		switch l.Errcode {
		case model.CodeUnauthorized, model.CodeThrottled, model.CodeForbidden:
			s.Refused++
		}
	}
	s.RequestsCapped = len(logs) == statsRequestCap && !logs[len(logs)-1].At.Before(today)
	return s, nil
}

// Messages lists outbox rows for the 日志 tab, newest first.
func (a *App) Messages(ctx context.Context, status string, limit int) ([]model.Message, error) {
	return a.db.Messages(ctx, model.MessageFilter{Status: status, Limit: limit})
}

// ExampleURL is a ready-to-copy QQAP query URL for the running server, with
// the password left for the admin to fill in.
func ExampleURL(addr, user string) string {
	if user == "" {
		user = "用户名"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = "127.0.0.1", addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1" // listening on every interface: this computer answers on loopback
	}
	return fmt.Sprintf("http://%s/?user=%s&Access_token=密码&QQ=接收QQ&content=测试消息", net.JoinHostPort(host, port), user)
}
