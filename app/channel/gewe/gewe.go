// Package gewe sends personal-WeChat messages through GeWe, with the
// X-GEWE-TOKEN header and the logged-in device's appid. Two APIs are in use:
//
//   - v2, today's GeWe (the default, v2.go): POST /gewe/v2/api/message/postText
//     {appId, toWxid, content, ats}, postImage and postFile by URL,
//     postAppMsg; "ret": 200 means done. Also the online check (测试连接),
//     the contact list (通讯录) and the callback (webhook.go).
//   - v1, the seed's (v1.go): POST /api/message/sendmsg with a to_wxid_list
//     (text is msg_type 1) and /api/message/sendapp; "ret": 0 means sent.
//
// A message whose content is an <appmsg> XML node is sent as an app message
// (mini-program cards, links...) by either API.
package gewe

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"botgate/app/channel"
	"botgate/model"
)

// Type registers the connector. A personal account that sends fast risks being
// restricted by WeChat, hence 20 a minute by default (GeWe's FAQ suggests
// 20–40 and a queue).
var Type = channel.Type{
	Name:          "gewe",
	Title:         "个人微信 (GeWe)",
	Keys:          []string{"url", "token", "appid", "api", "secret"},
	SecretKeys:    []string{"token", "secret"},
	Required:      []string{"url", "token", "appid"},
	RatePerMinute: 20,
	Caps:          channel.Caps{Test: true, Directory: true, Validates: true, Webhook: true},
	Fields:        fields,
	// GeWe fetches images and files itself (postImage imgUrl, postFile
	// fileUrl): links only, and uploaded bytes are refused (CheckExtras).
	Extras: channel.Extras{Mention: true, Image: true, ImageURLOnly: true, File: true},
	New:    New,
}

const platform = "GeWe"

// The config key "api".
const (
	apiV2 = "v2" // today's GeWe API, the default
	apiV1 = "v1" // the seed's
)

// Connector is one GeWe device (a logged-in WeChat account).
type Connector struct {
	base  string // the url as configured, without a trailing slash
	v2    string // the v2 API's prefix: base + /gewe/v2/api, or base when it already ends in /v2/api
	api   string // apiV2 or apiV1
	token string
	appid string
	// secret, when set, must be in the callback URL's query (?secret=):
	// GeWe does not sign its callbacks.
	secret string
	client *http.Client
	log    *slog.Logger
}

var (
	_ channel.Channel         = (*Connector)(nil)
	_ channel.TargetValidator = (*Connector)(nil)
	_ channel.ExtrasChecker   = (*Connector)(nil)
	_ channel.Tester          = (*Connector)(nil)
	_ channel.Directory       = (*Connector)(nil)
)

// New builds the connector; url is the GeWe API server: http://api.geweapi.com
// for GeWe's cloud, http://服务器:2531/v2/api for a self-hosted GeWe (gewechat).
func New(cfg channel.Config, deps channel.Deps) (channel.Channel, error) {
	base, err := channel.BaseURL(cfg, "url", platform, "http://api.geweapi.com")
	if err != nil {
		return nil, err
	}
	if err := channel.NeedKeys(cfg, platform, "token", "appid"); err != nil {
		return nil, err
	}
	api := strings.ToLower(strings.TrimSpace(cfg.Values["api"]))
	switch api {
	case "":
		api = apiV2
	case apiV2, apiV1:
	default:
		return nil, &channel.Error{Permanent: true, Msg: "GeWe 通道的 api 只能是 v2（现在的 GeWe 接口，默认）或 v1（旧版 /api/message/sendmsg），不是 “" + cfg.Values["api"] + "”"}
	}
	log := deps.Log
	if log == nil {
		log = slog.Default()
	}
	return &Connector{base: base, v2: v2Prefix(base), api: api, token: strings.TrimSpace(cfg.Values["token"]),
		appid: strings.TrimSpace(cfg.Values["appid"]), secret: cfg.Values["secret"], client: deps.HTTP, log: log}, nil
}

// v2Prefix is where the v2 API lives: GeWe's cloud serves it under
// /gewe/v2/api, a self-hosted GeWe (Devo919/Gewechat: "http://ip:2531/v2/api")
// under /v2/api, which the admin then types as part of the url.
func v2Prefix(base string) string {
	if u, err := url.Parse(base); err == nil && strings.HasSuffix(u.Path, "/v2/api") {
		return base
	}
	return base + "/gewe/v2/api"
}

// ValidateTarget checks the wxid form: a chat room id ends with "@chatroom".
func (c *Connector) ValidateTarget(kind, to string) error {
	to = strings.TrimSpace(to)
	switch {
	case to == "" || strings.ContainsAny(to, " \t\r\n,"):
		return fmt.Errorf("接收者 %q 不是有效的微信号 wxid（一次只能填一个）", to)
	case kind == channel.Group && !strings.HasSuffix(to, "@chatroom"):
		return fmt.Errorf("群 %q 不是微信群 id，群 id 形如 123456789@chatroom", to)
	case kind != channel.Group && strings.HasSuffix(to, "@chatroom"):
		return fmt.Errorf("%q 是微信群 id，请填在 group 参数中", to)
	}
	return nil
}

// CheckExtras refuses what GeWe cannot carry, before the message is queued:
// uploaded bytes (GeWe downloads every image and file from its URL itself),
// and under the seed's API anything but text and named mentions.
func (c *Connector) CheckExtras(m channel.Message) error {
	if c.api == apiV1 {
		if len(m.Attachments) > 0 {
			return channel.Unsupported(platform, "图片和文件", "旧版接口（api 为 v1）只能发送文字；请把通道的 api 改为 v2（现在的 GeWe 接口）")
		}
		for _, mn := range m.At {
			if mn.ID == model.MentionAll {
				return channel.Unsupported(platform, "@所有人", "旧版接口（api 为 v1）没有 @所有人；请把通道的 api 改为 v2")
			}
		}
		return nil
	}
	for _, a := range m.Attachments {
		if a.URL == "" {
			what := map[string]string{model.AttachImage: "上传的图片", model.AttachFile: "上传的文件"}[a.Kind]
			return channel.Unsupported(platform, what, fmt.Sprintf("GeWe 只能按网址发送图片/文件（由 GeWe 服务器自己下载），“%s”请以 GeWe 服务器能访问的 http(s) 网址发送", a.Name))
		}
	}
	return nil
}

// Send delivers a text (or an <appmsg> XML) and its attachments to one wxid
// or chat room.
func (c *Connector) Send(ctx context.Context, m channel.Message) error {
	if err := c.ValidateTarget(m.Kind, m.To); err != nil {
		return channel.Permanentf(nil, "%s", err.Error())
	}
	if err := c.CheckExtras(m); err != nil {
		return err
	}
	if len(m.Attachments) == 0 && len(m.At) == 0 {
		if err := channel.CheckEmpty(platform, m.Content); err != nil {
			return err
		}
	}
	m.To = strings.TrimSpace(m.To)
	if c.api == apiV1 {
		return c.sendV1(ctx, m)
	}
	return c.sendV2(ctx, m)
}

// appMsg is the <appmsg> node a content holds, if it is one.
func appMsg(content string) (string, bool) {
	xml := strings.TrimSpace(content)
	return xml, strings.HasPrefix(xml, "<appmsg")
}

// mentionText writes "@昵称 " before the content for each mention it does not
// name yet, as GeWe requires ("在群内发送消息@某人时，content中需包含@xxx"),
// and returns the ids to mention ("all" becomes GeWe's notify@all). names
// gives the name for an id without one; the id itself is the last resort.
func mentionText(content string, at []model.Mention, names map[string]string) (string, []string) {
	var prefix strings.Builder
	var ids []string
	for _, mn := range at {
		id, name := mn.ID, mn.Name
		if id == model.MentionAll {
			id, name = "notify@all", "所有人"
		}
		if name == "" {
			name = names[id]
		}
		if name == "" {
			name = id
		}
		ids = append(ids, id)
		if !strings.Contains(content, "@"+name) {
			prefix.WriteString("@" + name + " ")
		}
	}
	return prefix.String() + content, ids
}

// httpError words an HTTP failure: a refused token, a wrong url.
func (c *Connector) httpError(err error) error {
	switch s := channel.HTTPStatus(err); s {
	case http.StatusUnauthorized, http.StatusForbidden:
		return channel.Permanentf(err, "GeWe 拒绝了 token（HTTP %d），请在 GeWe 后台重新获取 token 并填入通道设置", s)
	case http.StatusNotFound:
		if c.api == apiV1 {
			return channel.Permanentf(err, "GeWe 没有该接口（HTTP 404）：旧版接口（api 为 v1）的地址是 http://域名/api/message/sendmsg；现在的 GeWe 请把 api 改为 v2")
		}
		return channel.Permanentf(err, "GeWe 没有该接口（HTTP 404）：GeWe 云服务的 url 填 http://api.geweapi.com，自己部署的 GeWe（gewechat）填 http://服务器:2531/v2/api")
	}
	return err
}
