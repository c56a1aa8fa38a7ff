package channel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// BaseURL reads cfg.Values[key] as an http(s) URL without a trailing slash. The
// messages name the platform and show an example, so the admin knows what to type.
func BaseURL(cfg Config, key, platform, example string) (string, error) {
	raw := strings.TrimRight(strings.TrimSpace(cfg.Values[key]), "/")
	if raw == "" {
		return "", &Error{Permanent: true, Msg: fmt.Sprintf("%s 通道缺少 %s（例如 %s）", platform, key, example)}
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", &Error{Permanent: true, Msg: fmt.Sprintf("%s 通道的 %s 必须是以 http:// 或 https:// 开头的完整地址（例如 %s）", platform, key, example), Err: err}
	}
	return raw, nil
}

// NeedKeys returns a permanent error naming every key of keys that is empty in cfg.
func NeedKeys(cfg Config, platform string, keys ...string) error {
	var missing []string
	for _, k := range keys {
		if strings.TrimSpace(cfg.Values[k]) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &Error{Permanent: true, Msg: fmt.Sprintf("%s 通道缺少必填设置：%s", platform, strings.Join(missing, "、"))}
}

// CheckSize refuses a text longer than max bytes (UTF-8) before it is sent: the
// platform would reject it anyway, and splitting one outbox message into several
// platform messages would duplicate the first parts when a later part is retried.
func CheckSize(platform, what, text string, max int) error {
	if n := len(text); n > max {
		return Permanentf(nil, "消息过长：%s%s最多 %d 字节（约 %d 个汉字），当前 %d 字节。请缩短内容或拆成多条发送", platform, what, max, max/3, n)
	}
	return nil
}

// CheckEmpty refuses an empty message, which every platform rejects.
func CheckEmpty(platform, text string) error {
	if strings.TrimSpace(text) == "" {
		return Permanentf(nil, "消息内容为空，%s 不接受空消息", platform)
	}
	return nil
}

// Flex is a JSON value that platforms send either as a string or as a number
// ("qq": "123456" in one reply, 123456 in another). It keeps the text form.
type Flex string

// UnmarshalJSON accepts a string, a number, or null.
func (f *Flex) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*f = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = Flex(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*f = Flex(n.String())
	}
	return nil
}

// Int64 parses the value as an integer (0 when it is not one).
func (f Flex) Int64() int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(string(f)), 10, 64)
	return n
}

// SplitList splits a comma/semicolon/whitespace separated config value (or
// target) into its non-empty items, e.g. "1, 4;admin" → [1 4 admin].
func SplitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || r == '，' || r == '；' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
}
