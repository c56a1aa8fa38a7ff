package feishu

import (
	"fmt"

	"botgate/app/channel"
)

// codes are the codes of Feishu's custom bot webhook. Source: the error table
// of Feishu's custom bot guide (open.feishu.cn, 自定义机器人使用指南), as
// copied into zhaifanhua/XiHan backend/src/XiHan.Subscriptions/Bots/Lark/LarkResultErrCodeEnum.cs
// (9499, 19021, 19022, 19024); 19001 and 11232 are kept from before. A code
// not listed is taken as a refusal of this message: permanent, with Feishu's
// own text.
var codes = map[int]channel.Outcome{
	11232: {Msg: "飞书机器人发送太频繁（11232，每分钟最多 100 条、每秒 5 条），稍后重试"},

	9499:  {Permanent: true, Msg: "飞书不接受该请求（9499：请求体格式错误或超过 20 KB），请检查通道的 url 是否为机器人 webhook 地址"},
	19001: {Permanent: true, Msg: "飞书机器人 webhook 地址无效或机器人已被移除（19001），请重新复制机器人的 webhook 地址"},
	19021: {Permanent: true, Msg: "飞书机器人签名校验失败（19021），请核对通道的 secret 与机器人“签名校验”密钥一致，并确认本机时间准确（误差需小于 1 小时）"},
	19022: {Permanent: true, Msg: "本机 IP 不在飞书机器人的 IP 白名单中（19022），请在机器人安全设置中添加本机出口 IP"},
	19024: {Permanent: true, Msg: "消息不含飞书机器人安全设置中的自定义关键词（19024），请在消息中加入关键词或修改机器人安全设置"},
}

// result is a webhook reply, in its current and its older shape.
type result struct {
	Code          *int   `json:"code"`
	Msg           string `json:"msg"`
	StatusCode    *int   `json:"StatusCode"`
	StatusMessage string `json:"StatusMessage"`
}

// Result returns the reply's code and message; ok is false when it has none.
func (r *result) Result() (int, string, bool) {
	switch {
	case r.Code != nil:
		return *r.Code, r.Msg, true
	case r.StatusCode != nil:
		return *r.StatusCode, r.StatusMessage, true
	}
	return 0, "", false
}

func classify(code int, msg string) error {
	if code == 0 {
		return nil
	}
	cause := fmt.Errorf("code %d: %s", code, msg)
	if o, ok := codes[code]; ok {
		return o.Err(cause)
	}
	return channel.Permanentf(cause, "飞书拒绝了该消息（%d：%s），请检查消息内容和通道设置", code, msg)
}
