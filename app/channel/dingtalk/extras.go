package dingtalk

import (
	"botgate/model"
	"fmt"
	"strings"

	"botgate/app/channel"
)

var _ channel.ExtrasChecker = (*Connector)(nil)

// CheckExtras refuses what a custom robot cannot post: uploaded image bytes
// (it has no upload; an image is a markdown link DingTalk fetches) and files.
func (c *Connector) CheckExtras(m channel.Message) error {
	for _, a := range m.Attachments {
		switch {
		case a.Kind == model.AttachFile:
			return channel.Unsupported(platform, "文件", "钉钉自定义机器人没有上传文件的接口")
		case a.URL == "":
			return channel.Unsupported(platform, "上传的图片数据", fmt.Sprintf("图片“%s”要以 http(s) 网址发送，钉钉机器人只能在 markdown 中引用网址图片", a.Name))
		}
	}
	if len(m.At) > 0 || len(m.Attachments) > 0 {
		// The @ tags and image links count against the size limit too.
		text, _ := mentionText(m)
		return c.CheckContent(withImages(text, m.Attachments))
	}
	return nil
}

// mentionText maps m's mentions to DingTalk's at object: 11-digit mobiles
// to atMobiles, other ids to atUserIds, "all" to isAtAll. DingTalk shows a
// mention only where the text carries "@<mobile or userid>", so BotGate
// adds each one the text lacks, at its end.
func mentionText(m channel.Message) (string, at) {
	var a at
	text := m.Content
	for _, mn := range m.At {
		switch {
		case mn.ID == model.MentionAll:
			a.IsAtAll = true
			continue
		case channel.IsMobile(mn.ID):
			a.AtMobiles = append(a.AtMobiles, mn.ID)
		default:
			a.AtUserIDs = append(a.AtUserIDs, mn.ID)
		}
		if tag := "@" + mn.ID; !strings.Contains(text, tag) {
			if strings.TrimSpace(text) != "" {
				tag = " " + tag
			}
			text += tag
		}
	}
	return text, a
}

// withImages appends each image as a markdown image line.
func withImages(text string, as []model.Attachment) string {
	for _, a := range as {
		text += "\n\n" + channel.MarkdownImage(a.Name, a.URL)
	}
	return strings.TrimPrefix(text, "\n\n")
}
