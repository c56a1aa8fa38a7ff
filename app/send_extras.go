package app

import (
	"botgate/model"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"botgate/app/channel"
)

// maxNameBytes bounds an attachment's file name; platforms show names, not paths.
const maxNameBytes = 200

// maxURLBytes bounds an attachment's URL.
const maxURLBytes = 2048

// checkAttachments validates and normalizes a send's attachments, whatever
// the channel: kind, exactly one of URL and data, the URL's scheme, a safe
// file name (defaulted when empty), real image bytes for an image, and the
// per-message size. It returns copies; the caller's slice is not changed.
func checkAttachments(in []model.Attachment) ([]model.Attachment, error) {
	if len(in) == 0 {
		return nil, nil
	}
	if len(in) > model.MaxAttachments {
		return nil, model.Errorf(model.CodeBadRequest, "一条消息最多 %d 个附件，当前 %d 个，请拆成多条发送", model.MaxAttachments, len(in))
	}
	out := make([]model.Attachment, len(in))
	total := 0
	for i, a := range in {
		a.Kind = strings.ToLower(strings.TrimSpace(a.Kind))
		a.URL = strings.TrimSpace(a.URL)
		a.Name = strings.TrimSpace(a.Name)
		if a.Kind != model.AttachImage && a.Kind != model.AttachFile {
			return nil, model.Errorf(model.CodeBadRequest, "附件的 kind 只能是 image（图片）或 file（文件），不是 %q", a.Kind)
		}
		switch {
		case a.URL != "" && a.Data != nil:
			return nil, model.Errorf(model.CodeBadRequest, "附件 %d 同时给了网址和数据，请只给一种", i+1)
		case a.URL == "" && a.Data == nil:
			return nil, model.Errorf(model.CodeBadRequest, "附件 %d 没有内容：请给出 http(s) 网址或 base64 数据", i+1)
		case a.URL == "" && len(a.Data) == 0:
			return nil, model.Errorf(model.CodeBadRequest, "附件 %d 的数据是空的", i+1)
		case a.URL != "":
			if err := checkURL(a.URL); err != nil {
				return nil, err
			}
		}
		if a.Name != "" {
			if err := checkFileName(a.Name); err != nil {
				return nil, err
			}
		}
		if a.Kind == model.AttachImage && a.Data != nil && channel.ImageFormat(a.Data) == "" {
			return nil, model.Errorf(model.CodeBadRequest, "附件“%s”不是 PNG、JPEG、GIF 或 WEBP 图片，请检查数据，或按文件（kind=file）发送", nameOr(a.Name, fmt.Sprint("第 ", i+1, " 个")))
		}
		if a.Name == "" {
			a.Name = defaultName(a)
		}
		total += len(a.Data)
		out[i] = a
	}
	if total > model.MaxAttachmentBytes {
		return nil, model.Errorf(model.CodeTooLarge, "附件共 %.1f MiB，超过每条消息 %d MiB 的上限，请压缩或拆成多条发送", float64(total)/(1<<20), model.MaxAttachmentBytes>>20)
	}
	return out, nil
}

func nameOr(name, alt string) string {
	if name != "" {
		return name
	}
	return alt
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(raw) > maxURLBytes {
		return &model.Error{Code: model.CodeBadRequest, Msg: fmt.Sprintf("附件网址 %.80q 无效：必须是 http:// 或 https:// 开头的完整网址（最长 %d 字节）", raw, maxURLBytes), Err: err}
	}
	return nil
}

// checkFileName refuses a name a platform or a recipient's computer could read
// as a path: folder separators, "..", a drive colon, control characters.
func checkFileName(name string) error {
	bad := ""
	switch {
	case !utf8.ValidString(name):
		bad = "不是有效的 UTF-8 文本"
	case len(name) > maxNameBytes:
		bad = fmt.Sprintf("太长（最多 %d 字节）", maxNameBytes)
	case strings.ContainsAny(name, `/\:`) || strings.Contains(name, ".."):
		bad = "不能含有 / \\ : 或 ..（只填文件名，不带路径）"
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		bad = "含有控制字符"
	}
	if bad != "" {
		return model.Errorf(model.CodeBadRequest, "附件文件名 %.60q %s", name, bad)
	}
	return nil
}

// defaultName names an attachment sent without one: the URL's last path
// element when it is a safe name, else image.png / file.pdf by its bytes.
func defaultName(a model.Attachment) string {
	if a.URL != "" {
		if u, err := url.Parse(a.URL); err == nil {
			if base := path.Base(u.Path); base != "/" && base != "." && checkFileName(base) == nil {
				return base
			}
		}
		return a.Kind
	}
	if a.Kind == model.AttachImage {
		ext := channel.ImageFormat(a.Data)
		if ext == "jpeg" {
			ext = "jpg"
		}
		return "image." + ext
	}
	ct, _, _ := strings.Cut(http.DetectContentType(a.Data), ";")
	switch ct {
	case "application/pdf":
		return "file.pdf"
	case "application/zip":
		return "file.zip"
	case "text/plain":
		return "file.txt"
	}
	return "file.bin"
}

// checkSupport refuses, with errcode 4007, a mention or attachment the
// channel cannot carry: first by its type's Extras, then by the connector's
// own finer rules. The message names the channel and what it can send.
func checkSupport(name string, lc *liveChannel, m channel.Message) error {
	t, _ := channelType(lc.cfg.Type)
	ex := t.Extras
	what := ""
	switch {
	case len(m.At) > 0 && !ex.Mention:
		what = "@成员"
	case len(m.At) > 0 && m.Kind != channel.Group:
		return model.Errorf(model.CodeUnsupported, "通道“%s”：@成员只能用在群消息中，私聊消息不能 @；请去掉 at，或改发到群", name)
	}
	for _, a := range m.Attachments {
		if what != "" {
			break
		}
		switch {
		case a.Kind == model.AttachImage && !ex.Image:
			what = "图片"
		case a.Kind == model.AttachImage && ex.ImageURLOnly && a.Data != nil:
			what = "上传的图片数据（只能用 http(s) 网址）"
		case a.Kind == model.AttachFile && !ex.File:
			what = "文件"
		}
	}
	if what != "" {
		return model.Errorf(model.CodeUnsupported, "通道“%s”（%s）不支持发送%s；%s", name, t.Title, what, ex.Describe())
	}
	if c, ok := lc.ch.(channel.ExtrasChecker); ok {
		if err := c.CheckExtras(m); err != nil {
			return &model.Error{Code: model.CodeUnsupported, Msg: "通道“" + name + "”：" + channel.Explain(err)}
		}
	}
	return nil
}
