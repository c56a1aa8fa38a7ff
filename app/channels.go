package app

import (
	"botgate/app/channel"
	"botgate/app/channel/logchan"
	"botgate/app/channel/onebot"
)

// ChannelTypes lists every connector type BotGate knows, in the order the GUI shows them.
func ChannelTypes() []channel.Type {
	return []channel.Type{
		onebot.Type,
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
