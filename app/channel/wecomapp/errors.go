package wecomapp

import (
	"fmt"
	"regexp"

	"botgate/app/channel"
)

// codes are the errcodes an app's calls meet, from WeCom's 全局错误码 page
// (developer.work.weixin.qq.com/document/path/90313, as generated into
// xen0n/go-workwx errcodes/mod.go), each worded with the next step. A code
// not listed is taken as a refusal of this message: permanent, with WeCom's
// own text. gettoken's own codes are in tokenCodes.
var codes = map[int]channel.Outcome{
	-1:    {Msg: "企业微信系统繁忙（-1），稍后重试"},
	45009: {Msg: "企业微信接口调用超过频率限制（45009），稍后重试"},
	45033: {Msg: "企业微信接口并发调用超过限制（45033），稍后重试"},
	40007: {Msg: "企业微信不认可刚上传的图片或文件（40007 不合法的media_id），稍后重新上传并重试"},

	40013:  {Permanent: true, Msg: "企业ID 不正确（40013）：请在企业微信管理后台“我的企业 → 企业信息”最下方复制企业ID，填到通道的 corp_id"},
	40056:  {Permanent: true, Msg: "agent_id 不正确（40056 不合法的agentid）：请在“应用管理 → 自建应用 → 本应用”详情页复制 AgentId"},
	301002: {Permanent: true, Msg: "agent_id 与 Secret 不属于同一个应用（301002 无权限操作指定的应用）：请确认 agent_id 和 corp_secret 都取自“应用管理 → 自建应用”里的同一个应用"},
	48002:  {Permanent: true, Msg: "本应用没有调用该接口的权限（48002）：群聊接口（appchat）只允许可见范围设为根部门的自建应用调用，请在应用详情页把“可见范围”改为整个企业"},
	81013:  {Permanent: true, Msg: "接收者全部无效（81013）：userid 不存在、已离职，或不在本应用的可见范围内；请检查 userid（通讯录 → 成员详情 → 账号），或在应用详情页“可见范围”中添加他们"},
	60111:  {Permanent: true, Msg: "userid 不存在（60111）：成员已退出、被删除或不在本应用的可见范围内；请检查 userid（通讯录 → 成员详情 → 账号）"},
	40003:  {Permanent: true, Msg: "userid 无效（40003）：请检查 userid（通讯录 → 成员详情 → 账号），已离职成员的 userid 会失效"},
	60011:  {Permanent: true, Msg: "接收者不在本应用的可见范围内（60011 无权限）：请在应用详情页“可见范围”中添加他们或他们的部门"},
	82001:  {Permanent: true, Msg: "没有接收者（82001）：请填写成员的 userid"},
	86001:  {Permanent: true, Msg: "群聊 chatid 不合法（86001）：group 应为本应用用 appchat/create 创建的群聊的 chatid"},
	86003:  {Permanent: true, Msg: "群聊不存在（86003）：应用只能发到自己用 appchat/create 创建的群聊，请在通道窗口中创建群聊并使用显示的 chatid"},
	40008:  {Permanent: true, Msg: "企业微信不接受该消息类型（40008），请检查通道的 format（text 或 markdown）"},
	44004:  {Permanent: true, Msg: "消息内容为空（44004），企业微信不接受空消息"},
	45002:  {Permanent: true, Msg: "消息内容超过企业微信的大小限制（45002，最多 2048 字节），请缩短内容或拆成多条发送"},
	40004:  {Permanent: true, Msg: "企业微信不接受该媒体文件类型（40004）：图片只能是 PNG 或 JPG，其他格式请按文件（kind=file）发送"},
	40006:  {Permanent: true, Msg: "文件大小不符合企业微信的限制（40006）：图片最大 10 MB，文件最大 20 MB，且都要大于 5 字节"},
	45001:  {Permanent: true, Msg: "图片或文件超过企业微信的大小限制（45001）：图片最大 10 MB，文件最大 20 MB"},
	44001:  {Permanent: true, Msg: "上传的文件是空的（44001）"},
}

// tokenCodes are what gettoken answers for wrong credentials. 40001 from
// gettoken blames the secret; from any other call, the token (token.go).
var tokenCodes = map[int]channel.Outcome{
	40001: {Permanent: true, Msg: "Secret 不正确（40001）：请在“应用管理 → 自建应用 → 本应用”详情页查看 Secret（发到管理员的企业微信客户端），重置过 Secret 要同步更新 corp_secret；应用已停用也会这样"},
	40091: {Permanent: true, Msg: "Secret 不正确（40091 secret不合法）：可能填了别的企业或别的应用的 Secret，请在本应用详情页重新查看"},
	41002: {Permanent: true, Msg: "缺少企业ID（41002）：请填写通道的 corp_id"},
	41004: {Permanent: true, Msg: "缺少 Secret（41004）：请填写通道的 corp_secret"},
}

// fromIP is how 60020's errmsg names the address WeCom saw ("… from ip: 1.2.3.4, more info …").
var fromIP = regexp.MustCompile(`from ip:\s*([0-9A-Fa-f.:]+)`)

func classify(code int, msg string) error {
	if code == 0 {
		return nil
	}
	cause := fmt.Errorf("errcode %d: %s", code, msg)
	if code == 60020 {
		ip := "BotGate 所在网络的公网出口 IP"
		if m := fromIP.FindStringSubmatch(msg); m != nil {
			ip = m[1]
		}
		return channel.Permanentf(cause, "企业微信拒绝了来自 %s 的调用（60020 不安全的访问IP）：请在“应用管理 → 自建应用 → 本应用 → 企业可信IP”中添加 %s，保存后约 1 分钟生效", ip, ip)
	}
	if o, ok := codes[code]; ok {
		return o.Err(cause)
	}
	return channel.Permanentf(cause, "企业微信拒绝了该请求（%d：%s），请检查接收者和通道设置", code, msg)
}

func classifyToken(code int, msg string) error {
	if o, ok := tokenCodes[code]; ok {
		return o.Err(fmt.Errorf("gettoken errcode %d: %s", code, msg))
	}
	return classify(code, msg)
}

// tokenStillRefused is a token refused even right after it was fetched:
// no retry helps, the app itself is the problem.
func tokenStillRefused(code int, msg string) error {
	return channel.Permanentf(fmt.Errorf("errcode %d: %s", code, msg),
		"企业微信拒绝了刚取得的 access_token（%d）：请确认本应用没有被停用，corp_secret 是本应用（agent_id 对应的应用）的 Secret", code)
}
