package app

import (
	"context"
	"fmt"

	"botgate/app/channel"
	"botgate/app/channel/dingtalk"
	"botgate/app/channel/feishu"
	"botgate/app/channel/gewe"
	"botgate/app/channel/logchan"
	"botgate/app/channel/onebot"
	"botgate/app/channel/openqq"
	"botgate/app/channel/wecom"
	"botgate/app/channel/wxmp"
	"botgate/app/channel/xuanxuan"
)

// ChannelTypes lists every connector type BotGate knows, in the order the GUI shows them.
func ChannelTypes() []channel.Type {
	return []channel.Type{
		onebot.Type,
		openqq.Type,
		gewe.Type,
		wecom.Type,
		dingtalk.Type,
		feishu.Type,
		xuanxuan.Type,
		wxmp.Type,
		logchan.Type,
	}
}

// channelType finds a connector type by its config name.
func channelType(name string) (channel.Type, bool) {
	for _, t := range ChannelTypes() {
		if t.Name == name {
			return t, true
		}
	}
	return channel.Type{}, false
}

// buildConnector makes a connector from a (possibly unsaved) configuration, as
// the GUI's "测试连接" and "通讯录" buttons need before the admin saves.
func buildConnector(cfg channel.Config, deps channel.Deps) (channel.Channel, error) {
	t, ok := channelType(cfg.Type)
	if !ok {
		return nil, &channel.Error{Permanent: true, Msg: fmt.Sprintf("未知的通道类型 %q", cfg.Type)}
	}
	return t.New(cfg, deps)
}

// TestChannelConfig runs the connector's harmless check of its URL and
// credentials ("测试连接"). For group-robot webhooks (wecom, dingtalk, feishu)
// the check posts a short, visible test message, the only proof a webhook offers.
func TestChannelConfig(ctx context.Context, cfg channel.Config, deps channel.Deps) error {
	ch, err := buildConnector(cfg, deps)
	if err != nil {
		return err
	}
	t, ok := ch.(channel.Tester)
	if !ok {
		return &channel.Error{Permanent: true, Msg: fmt.Sprintf("通道类型 %s 没有可用于测试的接口，请直接发送一条消息试试", cfg.Type)}
	}
	return t.Test(ctx)
}

// ChannelContacts lists the platform's friends, groups, chat groups or users
// ("通讯录"), for the channel types that offer a listing.
func ChannelContacts(ctx context.Context, cfg channel.Config, deps channel.Deps) ([]channel.Contact, error) {
	ch, err := buildConnector(cfg, deps)
	if err != nil {
		return nil, err
	}
	d, ok := ch.(channel.Directory)
	if !ok {
		return nil, &channel.Error{Permanent: true, Msg: fmt.Sprintf("通道类型 %s 的平台不提供通讯录列表", cfg.Type)}
	}
	return d.Contacts(ctx)
}

// ChannelCapabilities tells the GUI which buttons a channel type supports.
func ChannelCapabilities(typ string) (test, contacts, validates bool) {
	t, ok := channelType(typ)
	if !ok {
		return false, false, false
	}
	vals := map[string]string{}
	for _, k := range t.Required {
		vals[k] = "http://127.0.0.1:1" // passes every factory's checks of a required key
	}
	ch, err := t.New(channel.Config{Name: "probe", Type: typ, Values: vals}, channel.Deps{})
	if err != nil {
		return false, false, false
	}
	_, test = ch.(channel.Tester)
	_, contacts = ch.(channel.Directory)
	_, validates = ch.(channel.TargetValidator)
	return test, contacts, validates
}
