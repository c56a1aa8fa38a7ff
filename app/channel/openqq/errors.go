package openqq

import (
	"fmt"

	"botgate/app/channel"
)

// retryLater is Openqq's answer for a send that Webqq itself reported as
// failed: Web QQ drops messages when the session is unwell, and a later try
// usually passes.
var retryLater = channel.Outcome{Msg: "Openqq 发送失败，稍后重试；若持续失败请确认 Webqq 仍在线"}

// codes are the "code" values of Openqq's send replies. Both versions use the
// same ones: the seed's plugin (hexsum/Mojo-Webqq lib/Mojo/Webqq/Plugin/Openqq.pm
// and lib/Mojo/Webqq/Message.pm before the 2016-12 rewrite, commit f52577b^)
// and 2.x (sjdy521/Mojo-Webqq v2.2.7: lib/Mojo/Webqq/Plugin/Openqq.pm for
// 100–105 and -6, lib/Mojo/Webqq/Message/Base.pm parse_send_status_msg and
// Message/Handle.pm for 0 and -1…-5): 0 is sent, 100–105 name a recipient
// Openqq cannot find, -6 is the plugin's auth callback refusing the request,
// -1…-5 are Webqq's send status.
var codes = map[int]channel.Outcome{
	100: {Permanent: true, Msg: "Openqq 找不到接收者：对方不是机器人 QQ 的好友或 id 已变化，请确认好友的 QQ 号，或在通讯录中重新查看 id"},
	101: {Permanent: true, Msg: "Openqq 找不到接收者：机器人不在该群或 gid 已变化，请确认群号，或在通讯录中重新查看 gid"},
	102: {Permanent: true, Msg: "Openqq 找不到接收者：讨论组不存在或 did 已变化，请在通讯录中重新查看 did"},
	103: {Permanent: true, Msg: "Openqq 找不到接收者：该群成员不存在，请检查接收者"},
	104: {Permanent: true, Msg: "Openqq 找不到接收者：该讨论组成员不存在，请检查接收者"},
	105: {Permanent: true, Msg: "Openqq 找不到接收者：群成员或讨论组成员不存在，请检查接收者"},
	-6:  {Permanent: true, Msg: "Openqq 的 auth 回调拒绝了 BotGate 的请求，请在 Openqq 插件的 auth 设置中放行本机"},
	-1:  retryLater, // 数据格式错误
	-2:  retryLater, // 响应未知
	-3:  retryLater, // 发送异常
	-4:  retryLater, // 响应未知
	-5:  retryLater, // 发送异常1202 / TTL失效
}

// classify words a send reply whose code is not 0; status is Openqq's text
// and info (2.x only) its detail, e.g. "未识别返回值:100100".
func classify(code int, status, info string) error {
	o, ok := codes[code]
	if !ok {
		o = retryLater
	}
	if info != "" {
		status += "，" + info
	}
	o.Msg += fmt.Sprintf("（code %d：%s）", code, status)
	return o.Err(fmt.Errorf("code %d: %s", code, status))
}
