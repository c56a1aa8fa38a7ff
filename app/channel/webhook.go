package channel

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"botgate/model"
)

// Checks every webhook connector makes the same way; the platform's own
// steps (which header, which fields) stay in its package.

// BadEvent refuses a push whose content is malformed (400, errcode 4000).
func BadEvent(msg string) error {
	return &WebhookError{Status: http.StatusBadRequest, Code: model.CodeBadRequest, Msg: msg}
}

// LocalOnly is the rule for a channel without a secret: only this computer
// may push to it. Anyone else could claim to be any sender and read the rows
// a template filters by {{来源QQ}}.
func LocalOnly(name, remote string) error {
	if ip := net.ParseIP(remote); ip != nil && ip.IsLoopback() {
		return nil
	}
	return &WebhookError{Status: http.StatusForbidden, Code: model.CodeUnauthorized,
		Msg: "通道“" + name + "”没有设置 secret，只接受本机(127.0.0.1)的上报；机器人在其他电脑或 Docker 中时，请给通道设置 secret，并在机器人的 HTTP 上报中填写相同的密钥"}
}

// CheckQuerySecret verifies a push from a platform that cannot sign (Openqq,
// GeWe): its callback URL carries ?secret=, compared with the channel's in
// constant time. where names the URL the admin edits ("Mojo-Webqq 的
// post_api 地址").
func CheckQuerySecret(q url.Values, secret, where string) error {
	got := q.Get("secret")
	switch {
	case got == "":
		return &WebhookError{Status: http.StatusUnauthorized, Code: model.CodeUnauthorized,
			Msg: "缺少 secret：通道设置了 secret，请在 " + where + "后加上 ?secret=通道密钥（密钥中有 + & % # 等符号时要做 URL 编码）"}
	case !SecretEqual(got, secret):
		return &WebhookError{Status: http.StatusForbidden, Code: model.CodeUnauthorized, Msg: "上报地址中的 secret 与通道设置不一致，请核对"}
	}
	return nil
}

// StripMentions drops the "@昵称" words an incoming message starts with, so
// that "@机器人 账号" reads as "账号". A mention ends at any space: WeChat
// ends one with U+2005, WebQQ with a space or a full-width space.
func StripMentions(s string) string {
	s = strings.TrimSpace(s)
	for strings.HasPrefix(s, "@") {
		i := strings.IndexFunc(s, unicode.IsSpace) // U+2005 and U+3000 are spaces too
		if i < 0 {
			return ""
		}
		s = strings.TrimSpace(s[i:])
	}
	return s
}

// SecretEqual compares a secret a platform sent with the configured one in
// constant time; hashing both first hides the length too.
func SecretEqual(got, want string) bool {
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// CheckSHA1Signature verifies sig, "sha1=<hex HMAC-SHA1 of body keyed by
// secret>" (OneBot's X-Signature), over the raw body: re-encoding the JSON
// would change the bytes.
func CheckSHA1Signature(sig, secret string, body []byte) error {
	hexSig, ok := strings.CutPrefix(sig, "sha1=")
	got, err := hex.DecodeString(hexSig)
	if !ok || err != nil || len(got) != sha1.Size {
		return &WebhookError{Status: http.StatusForbidden, Code: model.CodeUnauthorized, Msg: "X-Signature 格式不对，应为 sha1=<40 位十六进制>"}
	}
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), got) {
		return &WebhookError{Status: http.StatusForbidden, Code: model.CodeUnauthorized, Msg: "X-Signature 签名不匹配：机器人 HTTP 上报的密钥与通道 secret 不一致，请核对"}
	}
	return nil
}

// DecodeEvent reads a verified push body, one JSON object, into v; what names
// the format for the message ("OneBot v11 事件").
func DecodeEvent(body []byte, v any, what string) error {
	if !utf8.Valid(body) {
		return &WebhookError{Status: http.StatusBadRequest, Code: model.CodeBadEncoding, Msg: "上报内容不是有效的 UTF-8 编码"}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return BadEvent("上报内容为空，应为 " + what + " 的 JSON")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return BadEvent("上报内容不是有效的 " + what + " JSON：" + JSONProblem(err))
	}
	return nil
}

// JSONProblem says in words where JSON failed to decode; Go's own text
// ("invalid character 'h'...") means nothing to an admin. The HTTP API words
// its bodies' errors with it too.
func JSONProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "第 " + strconv.Itoa(int(se.Offset)) + " 个字节附近有语法错误"
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "应为 JSON 对象 {...}"
	}
	return "内容不完整"
}
