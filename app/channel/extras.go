package channel

import (
	"botgate/model"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Extras is what a channel type can carry beyond text: the support table of
// docs/channels.md, in code. app.Send refuses (errcode 4007) a mention,
// image or file the type does not take, before the message is queued; a
// connector with finer rules (formats, sizes) adds them with ExtrasChecker.
type Extras struct {
	Mention bool // members can be mentioned in a group message
	Image   bool
	File    bool
	// ImageURLOnly: the platform takes an image only as a link it fetches
	// itself (DingTalk robot markdown); uploaded bytes are refused.
	ImageURLOnly bool
}

// Describe says in Chinese what e allows, for the 4007 message: "可以发送：@成员、图片（仅网址）".
func (e Extras) Describe() string {
	var can []string
	if e.Mention {
		can = append(can, "@成员（仅群消息）")
	}
	switch {
	case e.Image && e.ImageURLOnly:
		can = append(can, "图片（仅 http(s) 网址）")
	case e.Image:
		can = append(can, "图片")
	}
	if e.File {
		can = append(can, "文件")
	}
	if len(can) == 0 {
		return "该通道只能发送文字"
	}
	return "该通道可以发送文字和" + strings.Join(can, "、")
}

// ExtrasChecker is implemented by connectors whose platform limits mentions
// or attachments beyond what their type's Extras say (WeCom robot images are
// PNG/JPG ≤ 2 MB; a markdown robot message mentions by userid only). Like
// ContentChecker, app calls it before queueing and Send calls it again; the
// error is permanent and says what the platform takes.
type ExtrasChecker interface {
	CheckExtras(m Message) error
}

// FetchTimeout bounds the download of one URL attachment at delivery.
const FetchTimeout = 20 * time.Second

// FetchAttachment returns a's bytes: Data when it has them, else the body
// of a GET of its URL (at most model.MaxAttachmentBytes, within
// FetchTimeout). Network errors and error statuses are transient (the
// message is retried with backoff, like a platform that is down); a body
// over the cap is permanent, since no retry makes it smaller.
func FetchAttachment(ctx context.Context, client *http.Client, a model.Attachment) ([]byte, error) {
	if a.Data != nil {
		return a.Data, nil
	}
	ctx, cancel := context.WithTimeout(ctx, FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.URL, nil)
	if err != nil {
		return nil, Permanentf(err, "附件“%s”的地址无效：%s", a.Name, a.URL)
	}
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, Transientf(err, "下载附件“%s”失败（%s），请确认该地址可以从 BotGate 所在电脑访问；稍后重试", a.Name, a.URL)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, Transientf(fmt.Errorf("GET %s: %s", a.URL, resp.Status), "下载附件“%s”失败（HTTP %d），稍后重试", a.Name, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, model.MaxAttachmentBytes+1))
	switch {
	case err != nil:
		return nil, Transientf(err, "下载附件“%s”中断，稍后重试", a.Name)
	case len(b) > model.MaxAttachmentBytes:
		return nil, Permanentf(nil, "附件“%s”超过 %d MiB，BotGate 不发送（%s）", a.Name, model.MaxAttachmentBytes>>20, a.URL)
	case len(b) == 0:
		return nil, Transientf(nil, "下载附件“%s”得到的是空文件（%s），稍后重试", a.Name, a.URL)
	}
	return b, nil
}

// ImageFormat names the format of image bytes by their signature: "png",
// "jpeg", "gif" or "webp"; "" for anything else.
func ImageFormat(data []byte) string {
	switch http.DetectContentType(data) {
	case "image/png":
		return "png"
	case "image/jpeg":
		return "jpeg"
	case "image/gif":
		return "gif"
	case "image/webp":
		return "webp"
	}
	return ""
}

// IsMobile tells a mainland mobile number (11 digits from 1) from a user id:
// the robots mention the two through different fields.
func IsMobile(id string) bool {
	if len(id) != 11 || id[0] != '1' {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}

// MentionName is the name to write for m in the text: its display name, else its id.
func MentionName(m model.Mention) string {
	if m.Name != "" {
		return m.Name
	}
	return m.ID
}

// MarkdownImage is a markdown image line for an image link: the name as
// its alt text (without brackets), and the URL's parentheses and spaces
// escaped so that they cannot end the link.
func MarkdownImage(name, url string) string {
	return "![" + altEscaper.Replace(name) + "](" + linkEscaper.Replace(url) + ")"
}

var (
	altEscaper  = strings.NewReplacer("[", "", "]", "", "\n", " ")
	linkEscaper = strings.NewReplacer("(", "%28", ")", "%29", " ", "%20")
)

// Unsupported is the permanent failure of a mention or attachment the
// platform cannot carry; what says which ("图片"), why the reason.
func Unsupported(platform, what, why string) error {
	msg := fmt.Sprintf("%s不支持发送%s", platform, what)
	if why != "" {
		msg += "：" + why
	}
	return &Error{Permanent: true, Msg: msg}
}
