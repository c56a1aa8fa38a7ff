package app

import (
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
