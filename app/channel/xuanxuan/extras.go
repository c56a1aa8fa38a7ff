package xuanxuan

import (
	"botgate/model"
	"fmt"
	"strings"

	"botgate/app/channel"
)

var _ channel.ExtrasChecker = (*Connector)(nil)

// action is a notification's button (the seed's 操作对象).
type action struct {
	Label string `json:"label"`
	URL   string `json:"url"`
	Type  string `json:"type,omitempty"`
}

// CheckExtras refuses attachment bytes: the application API has no upload,
// only links (an image shown in markdown content, a file as a button).
func (c *Connector) CheckExtras(m channel.Message) error {
	for _, a := range m.Attachments {
		if a.URL == "" {
			what := map[string]string{model.AttachImage: "上传的图片", model.AttachFile: "上传的文件"}[a.Kind]
			return channel.Unsupported(platform, what, fmt.Sprintf("喧喧应用接口只能发送链接，“%s”请以 http(s) 网址发送", a.Name))
		}
	}
	return nil
}

// withAttachments maps links onto a notification the way the seed lists its
// fields: images become markdown images in the content (contentType
// "text" is XuanXuan's markdown), files become "下载" buttons (actions),
// and the first file is also the notification's own url.
func withAttachments(n *notice, as []model.Attachment) {
	for _, a := range as {
		if a.Kind == model.AttachImage {
			n.ContentType = "text"
			n.Content = strings.TrimPrefix(n.Content+"\n\n"+channel.MarkdownImage(a.Name, a.URL), "\n\n")
			continue
		}
		if n.URL == "" {
			n.URL = a.URL
		}
		n.Actions = append(n.Actions, action{Label: "下载 " + a.Name, URL: a.URL, Type: "primary"})
	}
}
