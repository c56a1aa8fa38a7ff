package xuanxuan

import (
	"fmt"
	"strings"

	"botgate/app/channel"
)

// entryErrors are the answers of the entry check that the XuanXuan server
// (built on the ZenTao framework) runs on every signed x.php call before the
// method: {"errcode":401,"errmsg":"无效的token参数"}, or the bare reason phrase
// in errmsg or in {"error":"INVALID_TOKEN"} when the server has no entry
// language strings. Sources: easysoft/zentaopms module/common/model.php
// (checkEntry, checkEntryToken, response), module/entry/config.php (errcode)
// and module/entry/lang/zh-cn.php (errmsg). None of them can pass by itself:
// each needs the admin to fix the channel or the application in 应用集成.
var entryErrors = map[string]channel.Outcome{
	"PARAM_CODE_MISSING":    {Permanent: true, Msg: "喧喧没有收到应用代号（PARAM_CODE_MISSING），请在通道设置中填写 code"},
	"PARAM_TOKEN_MISSING":   {Permanent: true, Msg: "喧喧没有收到签名（PARAM_TOKEN_MISSING），请确认 url 只填服务器地址、请求没有被代理改写"},
	"SESSION_CODE_MISSING":  {Permanent: true, Msg: "喧喧的会话缺少应用代号（SESSION_CODE_MISSING），请确认请求没有被代理改写，并重启喧喧服务后重试"},
	"SESSION_VERIFY_FAILED": {Permanent: true, Msg: "喧喧的会话校验失败（SESSION_VERIFY_FAILED），请确认本机出口 IP 固定、请求没有被代理改写"},
	"EMPTY_KEY":             {Permanent: true, Msg: "喧喧后台该应用没有密钥（EMPTY_KEY），请在“应用集成”中为应用生成密钥并填入通道设置的 key"},
	"INVALID_TOKEN":         {Permanent: true, Msg: "喧喧拒绝了签名（INVALID_TOKEN），请核对通道设置中的 key 与喧喧后台“应用集成”里该应用的密钥一致"},
	"IP_DENIED":             {Permanent: true, Msg: "本机 IP 不在喧喧应用允许的 IP 列表中（IP_DENIED），请在“应用集成”中添加本机 IP"},
	"ACCOUNT_UNBOUND":       {Permanent: true, Msg: "喧喧应用没有绑定用户账号（ACCOUNT_UNBOUND），请在“应用集成”中为应用绑定账号或开启免密"},
	"INVALID_ACCOUNT":       {Permanent: true, Msg: "喧喧应用绑定的账号不存在（INVALID_ACCOUNT），请在“应用集成”中重新绑定账号"},
	"EMPTY_ENTRY":           {Permanent: true, Msg: "喧喧找不到该应用（EMPTY_ENTRY），请核对通道设置中的 code 与喧喧后台“应用集成”里的应用代号一致"},
	"CALLED_TIME":           {Permanent: true, Msg: "喧喧认为签名已失效（CALLED_TIME），请检查本机时间是否准确"},
	"ERROR_TIMESTAMP":       {Permanent: true, Msg: "喧喧拒绝了时间戳（ERROR_TIMESTAMP），请检查本机时间是否准确"},
}

// entryTexts maps the Chinese errmsg the server sends to its reason phrase
// (module/entry/lang/zh-cn.php).
var entryTexts = map[string]string{
	"缺少code参数":       "PARAM_CODE_MISSING",
	"缺少token参数":      "PARAM_TOKEN_MISSING",
	"缺少session code": "SESSION_CODE_MISSING",
	"应用未设置密钥":        "EMPTY_KEY",
	"无效的token参数":     "INVALID_TOKEN",
	"session验证失败":    "SESSION_VERIFY_FAILED",
	"该IP被限制访问":       "IP_DENIED",
	"未绑定用户":          "ACCOUNT_UNBOUND",
	"用户不存在":          "INVALID_ACCOUNT",
	"应用不存在":          "EMPTY_ENTRY",
	"Token已失效":       "CALLED_TIME",
	"错误的时间戳。":        "ERROR_TIMESTAMP",
}

// entryCodes classify by errcode alone when errmsg is neither a phrase nor a
// known text (module/entry/config.php: 401 for every code/token problem).
var entryCodes = map[int]channel.Outcome{
	401: {Permanent: true, Msg: "喧喧拒绝了应用凭据（401），请核对通道设置中的 code 和 key 与喧喧后台“应用集成”里的一致"},
	403: {Permanent: true, Msg: "喧喧拒绝了本机的访问（403：IP 不在允许列表或应用没有绑定账号），请检查喧喧后台“应用集成”的设置"},
	404: entryErrors["EMPTY_ENTRY"],
	405: entryErrors["CALLED_TIME"],
	406: entryErrors["INVALID_ACCOUNT"],
	407: entryErrors["ERROR_TIMESTAMP"],
}

// entryError classifies an entry-check answer; ok is false when r is not one.
func entryError(r reply) (err error, ok bool) {
	msg := strings.TrimSpace(r.ErrMsg)
	if msg == "" {
		msg = strings.TrimSpace(r.Error)
	}
	code := int(r.ErrCode.Int64())
	if msg == "" && code == 0 {
		return nil, false
	}
	cause := fmt.Errorf("errcode %d: %s", code, msg)
	phrase := strings.ToUpper(msg)
	if p, known := entryTexts[msg]; known {
		phrase = p
	}
	if o, known := entryErrors[phrase]; known {
		return o.Err(cause), true
	}
	if o, known := entryCodes[code]; known {
		return o.Err(cause), true
	}
	// An undocumented answer of this shape: the 4xx family is the caller's
	// fault like every documented one, anything else may be the server's.
	if code >= 400 && code < 500 {
		return channel.Permanentf(cause, "喧喧拒绝了请求（%d：%s），请核对通道设置中的 url、code 和 key", code, msg), true
	}
	return channel.Transientf(cause, "喧喧返回错误（%d：%s），稍后重试", code, msg), true
}
