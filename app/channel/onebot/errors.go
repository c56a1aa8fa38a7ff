package onebot

import (
	"fmt"
	"strings"

	"botgate/app/channel"
)

// retcodes are the OneBot failure codes whose meaning does not depend on the
// implementation's wording. Sources (see docs/channels.md, 错误分类):
//   - 100–201: the CQHTTP retcode table that go-cqhttp kept
//     (kyubotics/coolq-http-api docs/4.15/API.md; Mrs4s/go-cqhttp coolq/api.go Failed);
//   - 400, 404: NapCat and LLBot answer bad parameters or an unknown action over
//     HTTP with these retcodes (NapNeko/NapCatQQ packages/napcat-onebot/action/OneBotAction.ts,
//     LLOneBot/LuckyLilliaBot src/onebot11/action/BaseAction.ts and connect/http.ts),
//     and go-cqhttp answers an unknown action with 404 (modules/api/api.go);
//   - 1400–1404: OneBot v11's WebSocket form of HTTP 400/401/403/404
//     (botuniverse/onebot-11 communication/ws.md);
//   - 200, 1200: what NapCat and LLBot return when the action threw; the
//     message decides (see wordings), and without a known one it is retried.
var retcodes = map[int]channel.Outcome{
	100:  {Permanent: true, Msg: "OneBot 认为参数缺失或无效，请检查接收者 QQ 号/群号和消息内容"},
	102:  {Permanent: true, Msg: "OneBot 没有权限完成发送（参数有效但没有权限，例如机器人不在该群），请检查接收者"},
	103:  {Permanent: true, Msg: "OneBot 操作失败（权限不足或文件系统异常），请查看 NapCat/LLBot 的日志"},
	104:  {Permanent: true, Msg: "QQ 的登录凭证已失效，请在 NapCat/LLBot 中重新登录 QQ"},
	201:  {Permanent: false, Msg: "OneBot 的工作线程池没有初始化，请重启 NapCat/LLBot；消息会自动重试"},
	200:  {Permanent: false, Msg: "OneBot 发送失败，稍后重试"},
	400:  {Permanent: true, Msg: "OneBot 不接受请求参数，请检查接收者 QQ 号/群号是否为数字"},
	404:  {Permanent: true, Msg: "OneBot 没有该接口，请确认 url 指向 NapCat/LLBot 的 HTTP 服务（默认端口 3000）"},
	1200: {Permanent: false, Msg: "OneBot 发送失败，稍后重试"},
	1400: {Permanent: true, Msg: "OneBot 不接受请求参数，请检查接收者 QQ 号/群号是否为数字"},
	1401: {Permanent: true, Msg: "OneBot 要求 access_token，请在通道设置中填写与 NapCat/LLBot 相同的 access_token"},
	1403: {Permanent: true, Msg: "OneBot 拒绝了 access_token，请检查通道设置中的 access_token 是否与 NapCat/LLBot 中的一致"},
	1404: {Permanent: true, Msg: "OneBot 没有该接口，请确认 url 指向 NapCat/LLBot 的 HTTP 服务（默认端口 3000）"},
}

// wordings classify a failure by the implementation's message, checked before
// the retcode because NapCat and LLBot put every thrown error under retcode 200
// and go-cqhttp every failure under 100. Matching is on lower-cased substrings
// of msg, message and wording; the first row that matches wins, so the
// specific rows come before the general ones.
var wordings = []struct {
	words []string
	channel.Outcome
}{
	// NapCat SendMsg.ts createContext, LLBot utils.ts createPeer: the QQ number
	// resolves to no user.
	{[]string{"无法获取用户信息"}, channel.Outcome{Permanent: true, Msg: "OneBot 找不到接收者：该 QQ 号不存在或机器人查不到此人，请检查 QQ 号"}},
	// go-cqhttp coolq/api.go CQSendGroupMessage.
	{[]string{"group_not_found", "群聊不存在"}, channel.Outcome{Permanent: true, Msg: "OneBot 找不到接收者：机器人不在该群中，请检查群号或把机器人拉进群"}},
	// go-cqhttp FRIEND_NOT_FOUND; the general wording earlier versions matched.
	{[]string{"friend_not_found", "好友不存在", "不是好友"}, channel.Outcome{Permanent: true, Msg: "OneBot 找不到接收者：对方不是机器人 QQ 的好友，请先加好友"}},
	// LLBot ntqqapi/core.ts sendMessage.
	{[]string{"被禁言"}, channel.Outcome{Permanent: true, Msg: "机器人在该群被禁言，请联系群管理员解除禁言后重新发送"}},
	// go-cqhttp EMPTY_MSG_ERROR; NapCat and LLBot "消息体无法解析".
	{[]string{"empty_msg_error", "消息为空", "消息体无法解析"}, channel.Outcome{Permanent: true, Msg: "OneBot 认为消息为空或无法解析，请检查消息内容"}},
	// NapCat "请指定正确的 group_id 或 user_id", LLBot "请指定 group_id 或 user_id".
	{[]string{"请指定"}, channel.Outcome{Permanent: true, Msg: "OneBot 没有收到有效的接收者，请检查 QQ 号/群号"}},
	// NapCat http-server.ts "不支持的Api", LLBot "API 不存在", go-cqhttp API_NOT_FOUND.
	{[]string{"不支持的api", "api 不存在", "api_not_found"}, channel.Outcome{Permanent: true, Msg: "OneBot 不支持该接口，请确认 url 指向 NapCat/LLBot 的 HTTP 服务（默认端口 3000）"}},
	// go-cqhttp SEND_MSG_API_ERROR: a private message to a non-friend, or a
	// group message the server refused (the account is under risk control,
	// "账号可能被风控"); sending the same again makes the second worse.
	{[]string{"send_msg_api_error", "blocked by server"}, channel.Outcome{Permanent: true, Msg: "go-cqhttp 无法发送：私聊需要对方是好友，群消息被拒多为账号被风控，请查看 go-cqhttp 的日志"}},
	// NapCat "Server is closed": its HTTP server is switched off; the admin
	// can switch it on again before the retry window ends.
	{[]string{"server is closed"}, channel.Outcome{Permanent: false, Msg: "NapCat 的 HTTP 服务已关闭，请在 NapCat 网络配置中启用；消息会自动重试"}},
	// NapCat helper/event.ts "Timeout: NTEvent ...", "未知错误，可能操作超时".
	{[]string{"timeout", "超时"}, channel.Outcome{Permanent: false, Msg: "OneBot 发送超时（QQ 没有及时确认），稍后重试"}},
	// Older implementations word an unknown recipient in general terms.
	{[]string{"不存在", "找不到", "not found", "not exist"}, channel.Outcome{Permanent: true, Msg: "OneBot 找不到接收者，请确认对方是机器人 QQ 的好友或机器人在该群中"}},
}

// classify turns a failed reply into an error. It is never called for retcode
// 0 (ok) or 1 (async: accepted). The message ends with the retcode and the
// implementation's own wording, which often says more than the table can.
func classify(r reply) error {
	cause := fmt.Errorf("retcode %d: %s %s %s", r.Retcode, r.Msg, r.Message, r.Wording)
	o, ok := byWording(r)
	if !ok {
		o, ok = retcodes[r.Retcode]
	}
	if !ok {
		o = channel.Outcome{Msg: "OneBot 发送失败，稍后重试"}
	}
	o.Msg += fmt.Sprintf("（retcode %d%s）", r.Retcode, detail(r))
	return o.Err(cause)
}

func byWording(r reply) (channel.Outcome, bool) {
	text := strings.ToLower(r.Msg + " " + r.Message + " " + r.Wording)
	for _, w := range wordings {
		for _, word := range w.words {
			if strings.Contains(text, word) {
				return w.Outcome, true
			}
		}
	}
	return channel.Outcome{}, false
}
