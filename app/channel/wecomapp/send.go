package wecomapp

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"strings"

	"botgate/app/channel"
	"botgate/model"
)

// The send APIs: 发送应用消息 (POST /cgi-bin/message/send, touser "a|b|c",
// agentid) and 应用推送消息 (POST /cgi-bin/appchat/send, chatid), the same
// message bodies on both; images and files are first uploaded as 临时素材
// (POST /cgi-bin/media/upload?type=image|file, multipart field "media") and
// sent by media_id.

const (
	sendPath    = "/cgi-bin/message/send"
	chatPath    = "/cgi-bin/appchat/send"
	uploadPath  = "/cgi-bin/media/upload"
	MinFileSize = 5 // 上传的媒体文件限制: "所有文件size必须大于5个字节"
)

type content struct {
	Content string `json:"content"`
}

type mediaRef struct {
	MediaID string `json:"media_id"`
}

// message is a message/send or appchat/send body.
type message struct {
	ToUser   string    `json:"touser,omitempty"`
	ChatID   string    `json:"chatid,omitempty"`
	MsgType  string    `json:"msgtype"`
	AgentID  int64     `json:"agentid,omitempty"`
	Text     *content  `json:"text,omitempty"`
	Markdown *content  `json:"markdown,omitempty"`
	Image    *mediaRef `json:"image,omitempty"`
	File     *mediaRef `json:"file,omitempty"`
}

// sendReply is message/send's answer: the recipients it refused, "|"-joined
// and lowercased ("返回包中的userid，不区分大小写，统一转为小写"). unlicenseduser
// are in the visible range but lack the account licence: they get nothing either.
type sendReply struct {
	status
	InvalidUser    string `json:"invaliduser"`
	UnlicensedUser string `json:"unlicenseduser"`
}

type uploadReply struct {
	status
	MediaID string `json:"media_id"`
}

// Send delivers m: to a person or a "|" list of them (one message/send for
// the list), or to a group chat the app created. Text (or markdown) and
// each attachment are messages of their own, text first; every attachment is
// fetched and uploaded before the first is sent, so a failure there sends
// nothing. Recipients WeCom refuses while it delivers to the others make a
// channel.PartlyDelivered; all of them refused is a permanent failure.
func (c *Connector) Send(ctx context.Context, m channel.Message) error {
	if err := c.ValidateTarget(m.Kind, m.To); err != nil {
		return channel.Permanentf(nil, "%s", err.Error())
	}
	if len(m.Attachments) == 0 {
		if err := channel.CheckEmpty(platform, m.Content); err != nil {
			return err
		}
	}
	if err := c.CheckExtras(m); err != nil {
		return err
	}
	var posts []message
	if strings.TrimSpace(m.Content) != "" {
		if err := c.CheckContent(m.Content); err != nil {
			return err
		}
		body := message{MsgType: c.format}
		if c.format == "markdown" {
			body.Markdown = &content{m.Content}
		} else {
			body.Text = &content{m.Content}
		}
		posts = append(posts, body)
	}
	ids := recipients(m.To)
	if m.Kind != channel.Group {
		if err := c.pace.wait(ctx, ids); err != nil {
			return err
		}
	}
	media, err := c.uploadAll(ctx, m.Attachments)
	if err != nil {
		return err
	}
	posts = append(posts, media...)
	if m.Kind == channel.Group {
		for _, p := range posts {
			p.ChatID = strings.TrimSpace(m.To)
			if err := c.call(ctx, chatPath, nil, channel.Request{JSON: p}, &status{}); err != nil {
				return err
			}
		}
		return nil
	}
	refused := refusals{ids: ids}
	for _, p := range posts {
		p.ToUser, p.AgentID = strings.Join(ids, "|"), c.agentID
		var r sendReply
		if err := c.call(ctx, sendPath, nil, channel.Request{JSON: p}, &r); err != nil {
			return err
		}
		refused.add(r.InvalidUser)
		refused.add(r.UnlicensedUser)
		if refused.all() {
			// What 81013 says when WeCom counts them all invalid itself.
			return codes[81013].Err(fmt.Errorf("invaliduser %q unlicenseduser %q", r.InvalidUser, r.UnlicensedUser))
		}
	}
	return refused.result()
}

// refusals collects the recipients WeCom refused, in the case they were given.
type refusals struct {
	ids     []string
	refused []string
}

func (r *refusals) add(list string) {
	for _, got := range strings.Split(list, "|") {
		if got = strings.TrimSpace(got); got == "" {
			continue
		}
		for _, id := range r.ids {
			if strings.EqualFold(id, got) {
				got = id
				break
			}
		}
		if !containsFold(r.refused, got) {
			r.refused = append(r.refused, got)
		}
	}
}

func (r *refusals) all() bool {
	for _, id := range r.ids {
		if !containsFold(r.refused, id) {
			return false
		}
	}
	return len(r.ids) > 0
}

func (r *refusals) result() error {
	if len(r.refused) == 0 {
		return nil
	}
	return &channel.PartlyDelivered{Invalid: r.refused,
		Msg: fmt.Sprintf("企业微信已发给其他接收者，但拒绝了 %s：userid 不存在、已离职、不在本应用的可见范围内，或没有企业微信账号许可", strings.Join(r.refused, "、"))}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// CheckExtras applies WeCom's rules for uploaded media to attachments given
// as data: images PNG or JPG, every file over 5 bytes. Attachments given by
// URL are checked once fetched, at delivery.
func (c *Connector) CheckExtras(m channel.Message) error {
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
	switch f := channel.ImageFormat(a.Data); {
	case a.Kind == model.AttachImage && f != "png" && f != "jpeg":
		return channel.Unsupported(platform, "该格式的图片", fmt.Sprintf("图片“%s”只能是 PNG 或 JPG；其他格式请按文件（kind=file）发送", a.Name))
	case len(a.Data) <= MinFileSize:
		return channel.Unsupported(platform, "5 字节及以下的文件", fmt.Sprintf("“%s”只有 %d 字节，企业微信要求大于 5 字节", a.Name, len(a.Data)))
	}
	return nil
}

// uploadAll fetches URL attachments, checks and uploads each one, and
// returns its message, in order.
func (c *Connector) uploadAll(ctx context.Context, as []model.Attachment) ([]message, error) {
	var out []message
	for _, a := range as {
		data, err := channel.FetchAttachment(ctx, c.client, a)
		if err != nil {
			return nil, err
		}
		a.Data = data
		if err := checkData(a); err != nil {
			return nil, err
		}
		id, err := c.upload(ctx, a)
		if err != nil {
			return nil, err
		}
		if a.Kind == model.AttachImage {
			out = append(out, message{MsgType: "image", Image: &mediaRef{id}})
		} else {
			out = append(out, message{MsgType: "file", File: &mediaRef{id}})
		}
	}
	return out, nil
}

// upload sends a as 上传临时素材's form: the field "media" with the file's
// name and length in its disposition, and returns its media_id (valid three
// days: it is used at once).
func (c *Connector) upload(ctx context.Context, a model.Attachment) (string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="media"; filename="%s"; filelength=%d`, quoteEscaper.Replace(a.Name), len(a.Data)))
	h.Set("Content-Type", "application/octet-stream")
	part, err := w.CreatePart(h)
	if err == nil {
		_, err = part.Write(a.Data)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return "", channel.Permanentf(err, "“%s”无法编码", a.Name)
	}
	var r uploadReply
	q := url.Values{"type": {a.Kind}} // "image" or "file", as BotGate's kinds
	if err := c.call(ctx, uploadPath, q, channel.Request{Body: buf.Bytes(), CType: w.FormDataContentType()}, &r); err != nil {
		return "", err
	}
	if r.MediaID == "" {
		return "", channel.Transientf(nil, "企业微信上传“%s”后没有返回 media_id，稍后重试", a.Name)
	}
	return r.MediaID, nil
}

// quoteEscaper is mime/multipart's escaping of a quoted file name.
var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"")
