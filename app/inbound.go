package app

import (
	"botgate/app/channel"
	"botgate/model"
	"errors"
	"slices"
	"strings"
)

// Inbound chat as the HTTP server sees it: the connector that takes a
// channel's webhook pushes, and the answerer they go to.

// Webhook returns the live connector of channel name when its platform pushes
// chat messages to BotGate. An unknown or disabled channel, or one whose type
// takes no webhook, is a *model.Error (errcode 4041) saying what to fix.
func (a *App) Webhook(name string) (channel.Webhook, error) {
	lc := a.state.Load().channels[name]
	switch {
	case lc == nil:
		return nil, model.Errorf(model.CodeNoChannel, "通道“%s”不存在：上报地址应为 /webhook/<通道名称>，请核对通道名称", name)
	case !lc.cfg.Enabled:
		return nil, model.Errorf(model.CodeNoChannel, "通道“%s”已停用，请在“通道”中启用后再上报", name)
	}
	notChat := model.Errorf(model.CodeNoChannel, "通道“%s”的类型 %s 不接收聊天消息；聊天查询支持 %s 通道", name, lc.cfg.Type, joinAnd(webhookTypes()))
	t, ok := channelType(lc.cfg.Type)
	if !ok || !t.Caps.Webhook {
		return nil, notChat
	}
	if lc.err != nil {
		return nil, &model.Error{Code: model.CodeNoChannel, Msg: "通道“" + name + "”配置有误（" + errText(lc.err) + "），请在“通道”中修正后再上报", Err: lc.err}
	}
	wh, ok := lc.ch.(channel.Webhook)
	if !ok {
		return nil, notChat
	}
	return wh, nil
}

// errText is the admin's part of a connector's build error.
func errText(err error) string {
	var e *channel.Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return err.Error()
}

// webhookTypes names the channel types that take webhook pushes, in the
// GUI's order.
func webhookTypes() []string {
	var names []string
	for _, t := range ChannelTypes() {
		if t.Caps.Webhook {
			names = append(names, t.Name)
		}
	}
	return names
}

// joinAnd lists names as Chinese does: "a、b 和 c".
func joinAnd(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], "、") + " 和 " + names[len(names)-1]
}

// AcceptPaths are the path prefixes under which platforms connect to
// BotGate (channel.Type.AcceptPath), each once, for the HTTP server's routes.
func (a *App) AcceptPaths() []string {
	var paths []string
	for _, t := range append(slices.Clone(a.opts.ExtraChannelTypes), ChannelTypes()...) {
		if t.AcceptPath != "" && !slices.Contains(paths, t.AcceptPath) {
			paths = append(paths, t.AcceptPath)
		}
	}
	return paths
}

// Acceptor returns the live connector of channel name when its type takes
// connections under prefix. An unknown or disabled channel, one of another
// type, or one whose configuration is wrong is a *model.Error (errcode 4041)
// saying what to fix; the connector itself refuses a configuration that
// takes none (OneBot over http).
func (a *App) Acceptor(prefix, name string) (channel.Acceptor, error) {
	lc := a.state.Load().channels[name]
	switch {
	case lc == nil:
		return nil, model.Errorf(model.CodeNoChannel, "通道“%s”不存在：连接地址应为 %s<通道名称>，请核对通道名称", name, prefix)
	case !lc.cfg.Enabled:
		return nil, model.Errorf(model.CodeNoChannel, "通道“%s”已停用，请在“通道”中启用后再连接", name)
	}
	t, ok := a.extraType(lc.cfg.Type)
	if !ok {
		t, ok = channelType(lc.cfg.Type)
	}
	if !ok || t.AcceptPath != prefix {
		return nil, model.Errorf(model.CodeNoChannel, "通道“%s”的类型 %s 不在 %s 接受连接", name, lc.cfg.Type, prefix)
	}
	if lc.err != nil {
		return nil, &model.Error{Code: model.CodeNoChannel, Msg: "通道“" + name + "”配置有误（" + errText(lc.err) + "），请在“通道”中修正后再连接", Err: lc.err}
	}
	acc, ok := lc.ch.(channel.Acceptor)
	if !ok {
		return nil, model.Errorf(model.CodeNoChannel, "通道“%s”不接受平台主动连接", name)
	}
	return acc, nil
}
