package apiserver

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"botgate/model"
)

// Decoding a send's mentions and attachments: QQAP's at and image, the
// native API's at and attachments. Only the request's form is checked here;
// app.Send checks the rest (kinds, URLs, names, sizes, the channel's
// support) the same way for every endpoint.

// MaxSendBody bounds the body of the two send endpoints (POST / and POST
// /api/v1/messages), which may carry attachments as base64: the 10 MiB of
// decoded bytes a message may have (model.MaxAttachmentBytes) are 13.4 MiB of
// base64, and ~14.2 MiB in a form body, where each + and / of it is
// percent-encoded. Any larger body has too much to be a valid message.
// Every other endpoint keeps MaxBody.
const MaxSendBody = 16 << 20

// sendBodyLimit is how the 4001 of an over-long send body reads: the body's
// cap and the per-message limit an admin actually meets.
const sendBodyLimit = "16 MiB（一条消息的附件解码后最多 10 MiB，base64 编码后约 13.4 MiB）；请压缩图片或拆成多条发送"

// base64Prefix marks QQAP image data, as in OneBot's CQ codes ([CQ:image,file=base64://…]).
const base64Prefix = "base64://"

// qqapImage reads the n-th QQAP image value (1-based; n 0: the only one):
// an http(s) URL or base64://… data. formEncoded is true for a value from a
// query string or form body, where an unencoded + has become a space.
func qqapImage(n int, v string, formEncoded bool) (model.Attachment, error) {
	item := "image"
	if n > 0 {
		item = fmt.Sprintf("image 第 %d 项", n)
	}
	v = strings.TrimSpace(v)
	lower := strings.ToLower(v[:min(len(v), 16)]) // the scheme only: data runs to megabytes
	switch {
	case strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://"):
		return model.Attachment{Kind: model.AttachImage, URL: v}, nil
	case strings.HasPrefix(lower, base64Prefix):
		data, err := decodeBase64(v[len(base64Prefix):], formEncoded)
		if err != nil {
			return model.Attachment{}, badBase64(item+" 中 base64:// 后的数据", err, formEncoded)
		}
		return model.Attachment{Kind: model.AttachImage, Data: data}, nil
	case strings.HasPrefix(lower, "data:"):
		return model.Attachment{}, model.Errorf(model.CodeBadRequest, "%s 是 data: 网址：请把开头的“data:…;base64,”换成 base64://", item)
	}
	return model.Attachment{}, model.Errorf(model.CodeBadRequest, "%s 应为 http:// 或 https:// 开头的图片网址，或 base64:// 开头的图片数据（收到 %.40q）", item, v)
}

// decodeBase64 decodes standard or URL-safe base64, padded or not, ignoring
// line breaks. In a form or query string a space can only be a + that was
// not percent-encoded (base64 has no spaces), so it is read as one; in JSON
// spaces are dropped like line breaks.
func decodeBase64(s string, formEncoded bool) ([]byte, error) {
	// The decoder skips \r and \n itself. The checks below are IndexByte,
	// not ContainsAny or a Replacer, because data runs to megabytes and a
	// profile of 200 KB image sends showed those scans.
	if strings.IndexByte(s, ' ') >= 0 || strings.IndexByte(s, '\t') >= 0 {
		space := ""
		if formEncoded {
			space = "+"
		}
		s = strings.NewReplacer("\t", "", " ", space).Replace(s)
	}
	s = strings.TrimRight(s, "=\r\n") // the padding, and a line break after it (`base64 file`)
	enc := base64.RawStdEncoding
	if strings.IndexByte(s, '-') >= 0 || strings.IndexByte(s, '_') >= 0 {
		enc = base64.RawURLEncoding
	}
	data, err := enc.DecodeString(s)
	if err == nil && data == nil {
		data = []byte{} // present but empty: app says so
	}
	return data, err
}

// badBase64 says where the data stops being base64.
func badBase64(item string, err error, formEncoded bool) error {
	var ce base64.CorruptInputError
	where := ""
	if errors.As(err, &ce) {
		where = fmt.Sprintf("（第 %d 个字符附近）", int64(ce)+1)
	}
	hint := "请检查数据是否完整"
	if formEncoded {
		hint += "；在地址或表单中 + 要写成 %2B、/ 写成 %2F（或对整个值做 URL 编码）"
	}
	return &model.Error{Code: model.CodeBadRequest, Msg: fmt.Sprintf("%s不是有效的 base64%s，%s", item, where, hint), Err: err}
}

// jsonList reads a JSON value that may be one text (or number) or an array
// of them, as at and image may be; name is the field, for the message.
func jsonList(name string, v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	list, isList := v.([]any)
	if !isList {
		list = []any{v}
	}
	out := make([]string, 0, len(list))
	for i, item := range list {
		s, ok := item.(string)
		if n, isNum := item.(json.Number); isNum {
			s, ok = n.String(), true
		}
		if !ok {
			if isList {
				return nil, model.Errorf(model.CodeBadRequest, "%s 第 %d 项必须是文本", name, i+1)
			}
			return nil, model.Errorf(model.CodeBadRequest, "%s 必须是文本或文本数组", name)
		}
		out = append(out, s)
	}
	return out, nil
}

// mentionsOf reads at entries: each a comma list of "id" or "id:显示名".
func mentionsOf(entries []string) ([]model.Mention, error) {
	return model.ParseMentions(strings.Join(entries, ","))
}

// attachmentRequest is one item of the native API's attachments.
type attachmentRequest struct {
	Kind string  `json:"kind"`
	Name string  `json:"name"`
	URL  string  `json:"url"`
	Data *string `json:"data"` // base64; nil when not given
}

// nativeAttachments decodes the native API's attachments.
func nativeAttachments(in []attachmentRequest) ([]model.Attachment, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]model.Attachment, len(in))
	for i, a := range in {
		out[i] = model.Attachment{Kind: a.Kind, Name: a.Name, URL: a.URL}
		if a.Data == nil {
			continue
		}
		item := fmt.Sprintf("attachments 第 %d 项", i+1)
		if n := strings.TrimSpace(a.Name); n != "" {
			item += fmt.Sprintf("（%.60s）", validText(n))
		}
		if strings.HasPrefix(strings.TrimSpace(*a.Data), "data:") {
			return nil, model.Errorf(model.CodeBadRequest, "%s的 data 是 data: 网址：请去掉开头的“data:…;base64,”，只留 base64 数据", item)
		}
		data, err := decodeBase64(*a.Data, false)
		if err != nil {
			return nil, badBase64(item+"的 data ", err, false)
		}
		out[i].Data = data
	}
	return out, nil
}
