package dingtalk

import (
	"fmt"
	"strings"

	"botgate/app/channel"
)

var tooFast = channel.Outcome{Msg: "钉钉机器人发送太频繁（每个机器人每分钟最多 20 条，超出后会被限流 10 分钟），稍后重试"}

// codes are the errcodes of DingTalk's custom robot webhook. Source: the error
// table of open.dingtalk.com/document/orgapp/custom-robot-access, as copied
// into zhaifanhua/XiHan backend/src/XiHan.Subscriptions/Bots/DingTalk/DingTalkResultErrCodeEnum.cs;
// 130101, 300001 and 300005 are older webhook answers kept from before. 310000
// is split by its errmsg in checks. A code not listed is taken as a refusal
// of this message: permanent, with DingTalk's own text.
var codes = map[int]channel.Outcome{
	-1:     {Msg: "钉钉系统繁忙（-1），稍后重试"},
	410100: tooFast,
	130101: tooFast,

	400101: {Permanent: true, Msg: "钉钉机器人的 access_token 不存在（400101），请重新复制机器人的 webhook 地址"},
	300001: {Permanent: true, Msg: "钉钉机器人的 access_token 无效或机器人已被移除（300001），请重新复制机器人的 webhook 地址"},
	300005: {Permanent: true, Msg: "钉钉机器人的 access_token 无效或机器人已被移除（300005），请重新复制机器人的 webhook 地址"},
	400013: {Permanent: true, Msg: "钉钉群已被解散（400013），请在其他群添加机器人并更新 webhook 地址"},
	400102: {Permanent: true, Msg: "钉钉机器人已停用（400102），请联系群管理员启用机器人"},
	400105: {Permanent: true, Msg: "钉钉不支持该消息类型（400105），请检查通道的 format 设置（text 或 markdown）"},
	400106: {Permanent: true, Msg: "钉钉机器人不存在（400106），请确认机器人仍在群中并重新复制 webhook 地址"},
	430101: {Permanent: true, Msg: "消息含有钉钉认为不安全的外链（430101），请修改消息内容"},
	430102: {Permanent: true, Msg: "消息含有钉钉认为不合适的文本（430102），请修改消息内容"},
	430103: {Permanent: true, Msg: "消息含有钉钉认为不合适的图片（430103），请修改消息内容"},
	430104: {Permanent: true, Msg: "消息含有钉钉认为不合适的内容（430104），请修改消息内容"},
	310000: {Permanent: true, Msg: "钉钉机器人的安全设置校验未通过（310000），请查看机器人的安全设置"},
}

// checks are the reasons DingTalk gives for 310000 (消息校验未通过), matched in
// its lower-cased errmsg ("sign not match", "keywords not in content",
// "ip X.X.X.X not in whitelist", "invalid timestamp"). "too fast" and
// "token is not exist" are older answers recognised whatever the code.
var checks = []struct {
	code int // 0: any code
	word string
	channel.Outcome
}{
	{0, "too fast", tooFast},
	{0, "token is not exist", codes[300001]},
	{310000, "sign", channel.Outcome{Permanent: true, Msg: "钉钉机器人签名校验失败（310000），请核对通道的 secret 与机器人“加签”密钥一致，并确认本机时间准确"}},
	{310000, "keyword", channel.Outcome{Permanent: true, Msg: "消息不含钉钉机器人安全设置中的自定义关键词（310000），请在消息中加入关键词或修改机器人安全设置"}},
	{310000, "whitelist", channel.Outcome{Permanent: true, Msg: "本机 IP 不在钉钉机器人的 IP 白名单中（310000），请在机器人安全设置中添加本机出口 IP"}},
	{310000, "timestamp", channel.Outcome{Permanent: true, Msg: "钉钉认为签名的时间戳无效（310000），请确认本机时间准确（误差需在 1 小时内）"}},
}

func classify(code int, msg string) error {
	if code == 0 {
		return nil
	}
	cause := fmt.Errorf("errcode %d: %s", code, msg)
	low := strings.ToLower(msg)
	for _, c := range checks {
		if (c.code == 0 || c.code == code) && strings.Contains(low, c.word) {
			return c.Err(cause)
		}
	}
	if o, ok := codes[code]; ok {
		return o.Err(cause)
	}
	return channel.Permanentf(cause, "钉钉拒绝了该消息（%d：%s），请检查消息内容和通道设置", code, msg)
}
