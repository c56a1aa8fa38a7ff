package wecom

import (
	"botgate/model"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"strings"

	"botgate/app/channel"
)

// Robot limits from WeCom's 群机器人配置说明: an image "（base64编码前）最大不能
// 超过2M，支持JPG,PNG格式"; an uploaded file "大小在5B~20M之间" (BotGate's own
// cap of 10 MiB a message is lower).
const (
	MaxImage    = 2 << 20
	MinFileSize = 5
)

type image struct {
	Base64 string `json:"base64"`
	MD5    string `json:"md5"` // of the bytes before base64
}

type file struct {
	MediaID string `json:"media_id"`
}

// content is the text a text or markdown body carries.
func (b body) content() string {
	switch {
	case b.Text != nil:
		return b.Text.Content
	case b.Markdown != nil:
		return b.Markdown.Content
	}
	return ""
}

// textBody is m's text with its mentions. A text message mentions through
// mentioned_list (userids) and mentioned_mobile_list (mobiles), after the
// channel's configured ones; "all" is WeCom's "@all". A markdown message has
// no such fields: WeCom reads "<@userid>" in its content, added at the end
// for each mention the content lacks.
func (c *Connector) textBody(m channel.Message) body {
	if c.Format == "markdown" {
		content := m.Content
		for _, at := range m.At {
			if tag := "<@" + at.ID + ">"; !strings.Contains(content, tag) {
				content += " " + tag
			}
		}
		return body{MsgType: "markdown", Markdown: &markdown{Content: content}}
	}
	users, mobiles := append([]string(nil), c.mentioned...), append([]string(nil), c.mobiles...)
	for _, at := range m.At {
		switch {
		case at.ID == model.MentionAll:
			users = appendNew(users, "@all")
		case channel.IsMobile(at.ID):
			mobiles = appendNew(mobiles, at.ID)
		default:
			users = appendNew(users, at.ID)
		}
	}
	return body{MsgType: "text", Text: &text{Content: m.Content, MentionedList: users, MentionedMobileList: mobiles}}
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// CheckExtras applies the robot's rules to mentions and attachments: a
// mention needs text to ride on; markdown mentions by userid only; images
// are PNG or JPG of at most 2 MB; files at least 5 bytes. Attachments given
// by URL are checked once fetched, at delivery.
func (c *Connector) CheckExtras(m channel.Message) error {
	if len(m.At) > 0 && strings.TrimSpace(m.Content) == "" {
		return channel.Unsupported(platform, "只有 @成员 的图片或文件", "@成员 只能随文字消息发送，请同时填写 content")
	}
	if c.Format == "markdown" && len(m.At) > 0 {
		for _, at := range m.At {
			if at.ID == model.MentionAll || channel.IsMobile(at.ID) {
				return channel.Unsupported(platform, "markdown 消息 @手机号或 @all", "markdown 消息只能按 userid @成员（<@userid>）；请改用 userid，或把通道的 format 设为 text")
			}
		}
		if err := c.CheckContent(c.textBody(m).content()); err != nil {
			return err
		}
	}
	for _, a := range m.Attachments {
		if a.Data == nil {
			continue
		}
		if err := checkData(a); err != nil {
			return err
		}
	}
	return nil
}

func checkData(a model.Attachment) error {
	switch {
	case a.Kind == model.AttachImage && channel.ImageFormat(a.Data) != "png" && channel.ImageFormat(a.Data) != "jpeg":
		return channel.Unsupported(platform, "该格式的图片", fmt.Sprintf("图片“%s”只能是 PNG 或 JPG；其他格式请按文件（kind=file）发送", a.Name))
	case a.Kind == model.AttachImage && len(a.Data) > MaxImage:
		return channel.Unsupported(platform, "超过 2 MB 的图片", fmt.Sprintf("图片“%s”有 %.1f MB，请压缩后再发，或按文件（kind=file）发送", a.Name, float64(len(a.Data))/(1<<20)))
	case a.Kind == model.AttachFile && len(a.Data) < MinFileSize:
		return channel.Unsupported(platform, "小于 5 字节的文件", fmt.Sprintf("文件“%s”只有 %d 字节", a.Name, len(a.Data)))
	}
	return nil
}

// mediaBodies fetches URL attachments, checks them, uploads files, and
// returns a post for each attachment, in order.
func (c *Connector) mediaBodies(ctx context.Context, as []model.Attachment) ([]body, error) {
	var out []body
	for _, a := range as {
		data, err := channel.FetchAttachment(ctx, c.Client, a)
		if err != nil {
			return nil, err
		}
		a.Data = data
		if err := checkData(a); err != nil {
			return nil, err
		}
		if a.Kind == model.AttachImage {
			sum := md5.Sum(data)
			out = append(out, body{MsgType: "image", Image: &image{Base64: base64.StdEncoding.EncodeToString(data), MD5: hex.EncodeToString(sum[:])}})
			continue
		}
		id, err := c.upload(ctx, a.Name, data)
		if err != nil {
			return nil, err
		}
		out = append(out, body{MsgType: "file", File: &file{MediaID: id}})
	}
	return out, nil
}

// uploadURL is the robot's upload_media address: the webhook's, with
// /send replaced, its key kept, and type=file.
func (c *Connector) uploadURL() (string, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return "", channel.Permanentf(err, "企业微信机器人的 url 无效")
	}
	u.Path = strings.TrimSuffix(u.Path, "/send") + "/upload_media"
	q := u.Query()
	q.Set("type", "file")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

type uploaded struct {
	channel.ErrCodeReply
	MediaID string `json:"media_id"`
}

// upload sends data as the multipart field "media" (the form WeCom's
// robot guide shows: filename and filelength in the part's disposition)
// and returns its media_id, valid three days: it is used at once.
func (c *Connector) upload(ctx context.Context, name string, data []byte) (string, error) {
	u, err := c.uploadURL()
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="media"; filename="%s"; filelength=%d`, quoteEscaper.Replace(name), len(data)))
	h.Set("Content-Type", "application/octet-stream")
	part, err := w.CreatePart(h)
	if err == nil {
		_, err = part.Write(data)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return "", channel.Permanentf(err, "文件“%s”无法编码", name)
	}
	var r uploaded
	code, msg, err := c.Post(ctx, channel.Request{URL: u, Body: buf.Bytes(), CType: w.FormDataContentType()}, &r)
	if err != nil {
		return "", err
	}
	if err := classify(code, msg); err != nil {
		return "", err
	}
	if r.MediaID == "" {
		return "", channel.Transientf(nil, "企业微信机器人上传文件后没有返回 media_id，稍后重试")
	}
	return r.MediaID, nil
}

// quoteEscaper is mime/multipart's escaping of a quoted file name.
var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"")
