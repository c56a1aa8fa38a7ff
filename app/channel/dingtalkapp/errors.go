package dingtalkapp

import (
	"encoding/json"
	"fmt"
	"strings"

	"botgate/app/channel"
)

// The v1.0 API (api.dingtalk.com) answers a refused call with an HTTP 4xx
// or 5xx status and {"code": "...", "message": "...", "requestid": "..."};
// the code is a dotted name, not a number. Sources: the error tables of
// help.dingtalk.io "chatbots-send-one-on-one-chat-messages-in-batches",
// "the-robot-sends-a-group-message" and its robot query APIs; an invalid or
// expired token is HTTP 400 {"code":"InvalidAuthentication","message":
// "不合法的access_token"} (as recorded against api.dingtalk.com).

// v1Error is a refused call's body and status.
type v1Error struct {
	status  int
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e v1Error) String() string { return e.Code + "：" + e.Message }

// apiError decodes the v1.0 error body behind err, if Do failed on an HTTP
// status whose body has a code.
func apiError(err error) (v1Error, bool) {
	var e v1Error
	if err == nil || json.Unmarshal(channel.ErrorBody(err), &e) != nil || e.Code == "" {
		return e, false
	}
	e.status = channel.HTTPStatus(err)
	return e, true
}

// codes are matched by prefix against the reply's code, first match wins.
// %s is the platform's own code and message.
var codes = []struct {
	prefix    string
	permanent bool
	msg       string
}{
	{"Forbidden.AccessDenied", true, "钉钉应用没有调用该接口的权限（%s），请在 钉钉开发者后台 → 你的应用 → 开发配置 → 权限管理 中开通“企业内机器人发送消息权限”（qyapi_robot_sendmsg）并发布新版本"},
	{"invalidParameter.robotCode", true, "钉钉机器人的 robot_code 无效或与应用不匹配（%s），请在 你的应用 → 应用功能 → 机器人 页面复制 RobotCode（企业内部应用的机器人与 Client ID 相同，可以留空）"},
	{"invalidParameter.invalid", true, "钉钉找不到该机器人（%s），请确认机器人已启用且已加入该群"},
	{"invalid.openConversationId", true, "钉钉群的 openConversationId 无效（%s），请确认群 ID（cid 开头）正确，且机器人已加入该群"},
	{"invalidParameter.openConversationId", true, "钉钉群的 openConversationId 无效（%s），请确认群 ID（cid 开头）正确，且机器人已加入该群"},
	{"openConversationId", true, "钉钉群的 openConversationId 无效（%s），请确认群 ID（cid 开头）正确，且机器人已加入该群"},
	{"resource.not.found", true, "钉钉找不到机器人或群（%s），请确认 robot_code 正确、机器人已发布，并已加入该群"},
	{"bot.stopped", true, "钉钉机器人已停用（%s），请在钉钉开发者后台启用机器人并发布新版本"},
	{"invalidParameter.userIds", true, "钉钉接收者 userId 无效（%s），请填写员工的 userId（钉钉管理后台 → 通讯录 → 成员详情中可见），每次最多 20 人"},
	{"invalidParameter.msgParam", true, "钉钉不接受该消息内容（%s），消息最多 15000 字节"},
	{"invalidParameter.msgKey", true, "钉钉不接受该消息类型（%s），请检查通道的 format 设置"},
	{"Throttling", false, "钉钉接口限流（%s），稍后重试"},
	{"systemError", false, "钉钉系统繁忙（%s），稍后重试"},
	{"ServiceUnavailable", false, "钉钉服务暂时不可用（%s），稍后重试"},
}

// classify turns a failed v1.0 call into the error Send reports: a refused
// token into a *channel.StaleToken (fetched again once), a documented code
// into its outcome, any other code by its status (5xx retried, 4xx not).
// Failures without a v1.0 body keep Do's classification.
func classify(err error) error {
	e, ok := apiError(err)
	if !ok {
		return err
	}
	if e.Code == "InvalidAuthentication" {
		return &channel.StaleToken{Err: channel.Permanentf(err, "钉钉拒绝了新取得的访问令牌（%s），请确认 Client ID 与 Client Secret 属于同一个应用", e)}
	}
	for _, row := range codes {
		if strings.HasPrefix(e.Code, row.prefix) {
			return &channel.Error{Permanent: row.permanent, Msg: fmt.Sprintf(row.msg, e), Err: err}
		}
	}
	if e.status >= 500 || e.status == 429 {
		return channel.Transientf(err, "钉钉暂时无法处理（%s），稍后重试", e)
	}
	return channel.Permanentf(err, "钉钉拒绝了该消息（%s），请检查接收者和通道设置", e)
}
