package gewe

import (
	"fmt"
	"strings"

	"botgate/app/channel"
)

// classify turns a failed reply into an admin message. GeWe publishes no
// error codes: the seed uses ret -1 for every failure, and today's API ret
// 500 with the reason in msg and data.msg, e.g. {"ret":500,"msg":"发送消息失败",
// "data":{"code":"-1","msg":"微信已离线"}} or {"ret":500,"msg":"HTTP HEADER:
// X-GEWE-TOKEN=… 不可用或已过期"} (replies quoted in Devo919/Gewechat issues
// #199, #263 and #116). So the text decides: a device that is offline is
// retried (the admin can log it in again before the retry window ends), a
// bad token, appid or recipient is not. The token is blanked out of the text,
// which is kept in the message's last error.
func (c *Connector) classify(ret int, text string) error {
	if c.token != "" {
		text = strings.ReplaceAll(text, c.token, "******")
	}
	detail := fmt.Errorf("ret %d: %s", ret, text)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(strings.ToLower(text), w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("离线", "不在线", "未登录", "掉线", "offline"):
		return channel.Transientf(detail, "GeWe 设备不在线（%s），请在 GeWe 后台重新登录微信；消息会自动重试", text)
	case has("token"):
		return channel.Permanentf(detail, "GeWe 拒绝了 token（%s），请检查通道设置中的 token", text)
	case has("appid", "设备"):
		return channel.Permanentf(detail, "GeWe 不认识该设备（%s），请检查通道设置中的 appid", text)
	case has("不存在", "无效", "非法", "不是好友", "参数", "invalid"):
		return channel.Permanentf(detail, "GeWe 拒绝发送（%s），请检查接收者 wxid 是否正确、是否为好友或群成员", text)
	default:
		return channel.Transientf(detail, "GeWe 发送失败（%s），稍后重试", text)
	}
}

func first(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return "未说明原因"
}
