package feishuapp

import (
	"fmt"
	"strings"

	"botgate/app/channel"
)

// Feishu answers a refused call with {"code": n, "msg": "..."}, under HTTP
// 200 or 400 alike (token errors are HTTP 400). Sources: the error tables
// of open.feishu.cn's im/v1 message pages (发送消息, 回复消息, 上传图片,
// copied on feishu.apifox.cn), its 通用错误码 page for the 9999xxxx codes, and
// larksuite/oapi-sdk-go/v3 core/constants.go (99991663 tenant token invalid).

// staleToken are the codes that mean the token itself was refused: it is
// fetched again, once (99991663 invalid tenant_access_token, 99991661 the
// Authorization header missing or malformed, 99991668 an invalid token).
var staleToken = map[int]bool{99991663: true, 99991661: true, 99991668: true}

// recipient marks the codes that refuse one recipient rather than the
// message: in a list, the others still get it.
const recipient = true

var codes = map[int]struct {
	permanent, recipient bool
	msg                  string
}{
	230001:   {true, false, "飞书认为请求参数不正确（230001：%s），请检查接收者和消息内容"},
	230002:   {true, false, "机器人不在该群中（230002），请先把机器人（应用）添加到群里，或检查 group 的 chat_id"},
	230006:   {true, false, "飞书应用没有启用机器人能力（230006），请在 开发者后台 → 你的应用 → 应用能力 中添加“机器人”，然后创建版本并发布"},
	230013:   {true, recipient, "接收者不在应用的可用范围内（230013），请在 开发者后台 → 你的应用 → 版本管理与发布 中把他加入可用范围并发布"},
	230020:   {false, false, "飞书限流（230020：%s），稍后重试"},
	230025:   {true, false, "消息内容超过飞书的长度限制（230025），请缩短内容"},
	230027:   {true, false, "飞书应用缺少必要的权限（230027：%s），请在 开发者后台 → 你的应用 → 权限管理 开通“以应用的身份发消息”（im:message:send_as_bot）等权限并发布"},
	99991672: {true, false, "飞书应用没有调用该接口的权限（99991672：%s），请在 开发者后台 → 你的应用 → 权限管理 开通所需权限并发布"},
	99991400: {false, false, "飞书接口调用太频繁（99991400），稍后重试"},
	99992360: {true, recipient, "飞书找不到该接收者（99992360：%s），请核对 open_id / user_id / 邮箱"},
	99992361: {true, recipient, "该 open_id 不属于这个应用（99992361），open_id 每个应用各不相同，请使用本应用下的 open_id 或改用 user_id"},
	99992364: {true, recipient, "该用户不属于本企业（99992364），请核对接收者"},
}

// badRecipient is a refusal of one recipient (see recipient).
type badRecipient struct{ err error }

func (b *badRecipient) Error() string { return b.err.Error() }
func (b *badRecipient) Unwrap() error { return b.err }

// classify turns Feishu's code into the error to report; status is the
// HTTP status it came with and detail Do's error, if any.
func classify(code int, msg string, status int, detail error) error {
	cause := fmt.Errorf("code %d: %s", code, msg)
	if detail != nil {
		cause = detail
	}
	if staleToken[code] {
		return &channel.StaleToken{Err: channel.Permanentf(cause, "飞书拒绝了新取得的 tenant_access_token（%d：%s），请确认 App ID 与 App Secret 属于同一个应用", code, msg)}
	}
	if row, ok := codes[code]; ok {
		text := row.msg
		if strings.Contains(text, "%s") {
			text = fmt.Sprintf(text, msg)
		}
		err := &channel.Error{Permanent: row.permanent, Msg: text, Err: cause}
		if row.recipient {
			return &badRecipient{err}
		}
		return err
	}
	if status >= 500 || status == 429 {
		return channel.Transientf(cause, "飞书暂时无法处理（%d：%s），稍后重试", code, msg)
	}
	return channel.Permanentf(cause, "飞书拒绝了该请求（%d：%s），请检查接收者和通道设置", code, msg)
}
