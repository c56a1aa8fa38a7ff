package wecom

import (
	"fmt"

	"botgate/app/channel"
)

// codes are the WeCom errcodes a robot webhook can answer, from WeCom's global
// error code table (developer.work.weixin.qq.com/document/path/90313, as
// generated into zsmhub/workweixin apis/api_error.go). A code not listed is
// taken as a refusal of this message: permanent, with WeCom's own text.
var codes = map[int]channel.Outcome{
	-1:    {Msg: "企业微信系统繁忙（-1），稍后重试"},
	45009: {Msg: "企业微信机器人发送太频繁（45009，每个机器人每分钟最多 20 条），稍后重试"},
	45033: {Msg: "企业微信机器人并发调用太多（45033），稍后重试"},
	// Not in WeCom's table but answered in the past for the same reason.
	45047: {Msg: "企业微信机器人发送太频繁（45047，每个机器人每分钟最多 20 条），稍后重试"},

	93000: {Permanent: true, Msg: "企业微信机器人 webhook 地址无效或机器人已被移出群（93000），请在群设置中重新复制机器人的 webhook 地址"},
	93004: {Permanent: true, Msg: "企业微信机器人已被停用（93004），请在群设置中启用机器人或新建一个并更新 webhook 地址"},
	93008: {Permanent: true, Msg: "企业微信机器人不在群里（93008），请把机器人重新加入群并更新 webhook 地址"},
	40008: {Permanent: true, Msg: "企业微信不接受该消息类型（40008），请检查通道的 format 设置（text 或 markdown）"},
	40035: {Permanent: true, Msg: "企业微信认为参数不合法（40035），请检查 mentioned_list、mentioned_mobile_list 和消息内容"},
	40058: {Permanent: true, Msg: "企业微信认为参数不合法（40058），请检查 mentioned_list、mentioned_mobile_list 和消息内容"},
	40063: {Permanent: true, Msg: "企业微信认为参数为空（40063），请检查消息内容"},
	44004: {Permanent: true, Msg: "企业微信认为消息内容为空（44004），请检查消息内容"},
	45002: {Permanent: true, Msg: "消息内容超过企业微信的大小限制（45002），请缩短内容或拆成多条发送"},
}

func classify(code int, msg string) error {
	if code == 0 {
		return nil
	}
	cause := fmt.Errorf("errcode %d: %s", code, msg)
	if o, ok := codes[code]; ok {
		return o.Err(cause)
	}
	return channel.Permanentf(cause, "企业微信拒绝了该消息（%d：%s），请检查消息内容和通道设置", code, msg)
}
