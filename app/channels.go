package app

import (
	"context"
	"maps"
	"strings"

	"golang.org/x/time/rate"

	"botgate/app/channel"
	"botgate/app/channel/registry"
	"botgate/app/config"
	"botgate/model"
	"botgate/storage"
)

// ChannelTypes lists every connector type BotGate knows, in the order the GUI shows them.
func ChannelTypes() []channel.Type { return registry.Types() }

// channelType finds a connector type by its config name.
func channelType(name string) (channel.Type, bool) { return registry.Lookup(name) }

// connectorDeps are what every connector this App builds shares.
func (a *App) connectorDeps() channel.Deps {
	return channel.Deps{HTTP: a.opts.HTTPClient, Now: a.opts.Now, Log: a.log}
}

// buildChannel makes the live form of a saved channel: its connector (or
// why there is none) and the rate limiter its sends wait for.
func (a *App) buildChannel(c model.Channel) *liveChannel {
	lc := &liveChannel{cfg: c}
	t, extra := a.extraType(c.Type)
	if extra {
		lc.ch, lc.err = registry.Build(t, c, a.connectorDeps())
	} else {
		lc.ch, t, lc.err = registry.New(c, a.connectorDeps())
	}
	perMin := c.RatePerMinute
	if perMin == 0 {
		perMin = t.RatePerMinute
	}
	if perMin > 0 {
		// Burst of a few lets a short flurry through, then the platform's pace holds.
		lc.limiter = rate.NewLimiter(rate.Limit(float64(perMin)/60), min(perMin, 5))
	}
	return lc
}

// ChannelKinds lists the connector types for the channel form.
func (a *App) ChannelKinds() []channel.Type { return ChannelTypes() }

// ListChannels returns the channels with secret keys masked; saving a masked
// value back keeps the stored secret.
func (a *App) ListChannels(ctx context.Context) ([]config.Channel, error) {
	cf, err := a.Export(ctx)
	return cf.Channels, err
}

// DeleteChannel removes a channel; the default channel must be changed first,
// otherwise every send without a channel would start failing.
func (a *App) DeleteChannel(ctx context.Context, name string) error {
	if a.Settings().DefaultChannel == name {
		return model.Invalid("name", "通道“%s”是默认通道，不能删除：请先把别的通道设为默认", name)
	}
	if err := a.refuseIfScheduled(ctx, "通道", name, func(s model.Schedule) bool { return s.Channel == name }); err != nil {
		return err
	}
	return a.deleteOne(ctx, "通道", name, func(tx *storage.Tx) error { return tx.DeleteChannel(name) })
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
// like a save; masked secrets take the stored values. A form that is the
// saved channel as it runs gets the running connector: one whose platform
// connects to BotGate (OneBot ws-reverse) can only be tested through the
// connection the running one holds.
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
	if lc := a.state.Load().channels[sc.Name]; lc != nil && lc.err == nil && lc.cfg.Type == sc.Type && maps.Equal(lc.cfg.Config, sc.Config) {
		t, _ := channelType(sc.Type)
		return lc.ch, t, nil
	}
	ch, t, err := registry.New(sc, a.connectorDeps())
	if err != nil {
		return nil, t, model.Invalid("config", "%s", channel.Explain(err))
	}
	return ch, t, nil
}

// SendTest queues a test message on a saved channel ("发送测试消息"), with
// the mentions and attachments the window's dialog sets. It is delivered
// while the server runs, like any other message.
func (a *App) SendTest(ctx context.Context, r SendRequest) (int64, error) {
	e, err := a.Send(ctx, model.Caller{Name: "", Roles: []string{"admin"}}, r)
	return e.ID, err
}

// CreateChannelChat creates a group chat of users on the platform behind c
// (the form as shown, like TestChannel) and returns its id, for the
// platforms whose group sends reach only the chats the app created.
func (a *App) CreateChannelChat(ctx context.Context, c config.Channel, name, owner string, users []string) (string, error) {
	ch, t, err := a.formConnector(ctx, c)
	if err != nil {
		return "", err
	}
	cc, ok := ch.(channel.ChatCreator)
	if !ok {
		return "", model.Invalid("type", "通道类型 %s 不需要也不能在这里创建群聊", t.Title)
	}
	id, err := cc.CreateChat(ctx, name, owner, users)
	if err != nil {
		return "", &model.Error{Code: model.CodeNoChannel, Field: "config", Msg: "创建群聊失败：" + channel.Explain(err), Err: err}
	}
	return id, nil
}
