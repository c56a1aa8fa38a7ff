// Package registry lists the connector types BotGate knows and is the one
// place a connector is built from a channel's configuration.
package registry

import (
	"fmt"
	"maps"

	"botgate/app/channel"
	"botgate/app/channel/dingtalk"
	"botgate/app/channel/dingtalkapp"
	"botgate/app/channel/feishu"
	"botgate/app/channel/feishuapp"
	"botgate/app/channel/gewe"
	"botgate/app/channel/logchan"
	"botgate/app/channel/onebot"
	"botgate/app/channel/openqq"
	"botgate/app/channel/wecom"
	"botgate/app/channel/wecomapp"
	"botgate/app/channel/wxmp"
	"botgate/app/channel/xuanxuan"
	"botgate/model"
)

// Types lists every connector type, in the order the window shows them.
func Types() []channel.Type {
	return []channel.Type{
		onebot.Type,
		openqq.Type,
		gewe.Type,
		wecom.Type,
		wecomapp.Type,
		dingtalk.Type,
		feishu.Type,
		xuanxuan.Type,
		wxmp.Type,
		logchan.Type,
		dingtalkapp.Type,
		feishuapp.Type,
	}
}

// Lookup finds a connector type by its config name.
func Lookup(name string) (channel.Type, bool) {
	for _, t := range Types() {
		if t.Name == name {
			return t, true
		}
	}
	return channel.Type{}, false
}

// New builds the connector c describes, and returns its type. The running
// configuration, a save's check and the channel form's 测试连接 and 通讯录
// all build through here, so they agree on what a configuration means. The
// connector gets its own copy of c's config keys.
func New(c model.Channel, deps channel.Deps) (channel.Channel, channel.Type, error) {
	t, ok := Lookup(c.Type)
	if !ok {
		return nil, t, &channel.Error{Permanent: true, Msg: fmt.Sprintf("未知的通道类型 %q", c.Type)}
	}
	ch, err := Build(t, c, deps)
	return ch, t, err
}

// Build makes c's connector with type t (New after the look-up; a test's own
// type goes straight here). The connector gets its own copy of the config.
func Build(t channel.Type, c model.Channel, deps channel.Deps) (channel.Channel, error) {
	return t.New(channel.Config{Name: c.Name, Type: c.Type, Values: maps.Clone(c.Config)}, deps)
}
