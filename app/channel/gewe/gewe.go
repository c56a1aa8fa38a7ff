// Package gewe sends personal-WeChat messages through GeWe: POST
// /api/message/sendmsg with the X-GEWE-TOKEN header, the device's appid and a
// to_wxid_list (text is msg_type 1); "ret": 0 means sent, msg_err explains a
// failure. A message whose content is an <appmsg> XML node goes through
// /api/message/sendapp instead (mini-program cards, links...).
package gewe

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"botgate/app/channel"
)

// Type registers the connector. A personal account that sends fast risks being
// restricted by WeChat, hence 20 a minute by default.
var Type = channel.Type{
	Name: "gewe",
	Fields: []channel.Field{
		{Key: "url", Label: "GeWe 接口地址", Kind: channel.FieldText, Required: true, Example: "http://192.168.1.20:2531",
			Help: "GeWe 服务的地址和端口，写到端口为止（后面的接口路径由 BotGate 补上），在 GeWe 后台或部署说明的“API 地址”里"},
		{Key: "token", Label: "访问令牌（Token）", Kind: channel.FieldSecret, Required: true,
			Help: "GeWe 后台获取的 token（请求头 X-GEWE-TOKEN）"},
		{Key: "appid", Label: "设备 ID（appId）", Kind: channel.FieldText, Required: true, Example: "wx_ECMY4oEDuQAP6WimpWwWv",
			Help: "微信登录后 GeWe 给这台设备的 appId，在 GeWe 后台的设备列表里"},
	},
	Title:         "个人微信 (GeWe)",
	Keys:          []string{"url", "token", "appid"},
	SecretKeys:    []string{"token"},
	Required:      []string{"url", "token", "appid"},
	RatePerMinute: 20,
	Caps:          channel.Caps{Validates: true},
	// Text only for now: the GeWe mapping of at (ats) and postImage/postFile
	// comes with the current-platforms issue.
	Extras: channel.Extras{},
	New:    New,
}

const platform = "GeWe"

// Connector is one GeWe device (a logged-in WeChat account).
type Connector struct {
	base, token, appid string
	client             *http.Client
}

var (
	_ channel.Channel         = (*Connector)(nil)
	_ channel.TargetValidator = (*Connector)(nil)
)

// New builds the connector; url is the GeWe API server, e.g. http://192.0.2.10:2531.
func New(cfg channel.Config, deps channel.Deps) (channel.Channel, error) {
	base, err := channel.BaseURL(cfg, "url", platform, "http://GeWe服务器地址:端口")
	if err != nil {
		return nil, err
	}
	if err := channel.NeedKeys(cfg, platform, "token", "appid"); err != nil {
		return nil, err
	}
	return &Connector{base: base, token: strings.TrimSpace(cfg.Values["token"]), appid: strings.TrimSpace(cfg.Values["appid"]), client: deps.HTTP}, nil
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

type textItem struct {
	At        []string `json:"at"`
	Content   string   `json:"content"`
	MsgSource string   `json:"msg_source"`
	MsgType   int      `json:"msg_type"`
	ToWxid    string   `json:"to_wxid"`
}

type sendMsg struct {
	AppID      string     `json:"appid"`
	ToWxidList []textItem `json:"to_wxid_list"`
}

type sendApp struct {
	AppID  string `json:"appid"`
	ToWxid string `json:"to_wxid"`
	XML    string `json:"xml"`
}

type reply struct {
	Ret    *int   `json:"ret"`
	Msg    string `json:"msg"`
	MsgErr string `json:"msg_err"`
	Data   struct {
		List []struct {
			Ret        int `json:"Ret"`
			ToUsetName struct {
				String string `json:"string"`
			} `json:"ToUsetName"`
		} `json:"List"`
	} `json:"data"`
}

// Send delivers a text (or an <appmsg> XML) to one wxid or chat room.
func (c *Connector) Send(ctx context.Context, m channel.Message) error {
	if err := c.ValidateTarget(m.Kind, m.To); err != nil {
		return channel.Permanentf(nil, "%s", err.Error())
	}
	if err := channel.CheckEmpty(platform, m.Content); err != nil {
		return err
	}
	to := strings.TrimSpace(m.To)
	path, body := "/api/message/sendmsg", any(sendMsg{AppID: c.appid, ToWxidList: []textItem{
		// The documented example sends at [""] and an empty msg_source for plain text.
		{At: []string{""}, Content: m.Content, MsgSource: "", MsgType: 1, ToWxid: to},
	}})
	if xml := strings.TrimSpace(m.Content); strings.HasPrefix(xml, "<appmsg") {
		path, body = "/api/message/sendapp", sendApp{AppID: c.appid, ToWxid: to, XML: xml}
	}
	var r reply
	err := channel.Do(ctx, c.client, channel.Request{
		URL: c.base + path, Header: http.Header{"X-Gewe-Token": {c.token}}, JSON: body, Platform: platform,
	}, &r)
	if err != nil {
		if s := channel.HTTPStatus(err); s == http.StatusUnauthorized || s == http.StatusForbidden {
			return channel.Permanentf(err, "GeWe 拒绝了 token（HTTP %d），请在 GeWe 后台重新获取 token 并填入通道设置", s)
		}
		return err
	}
	switch {
	case r.Ret == nil:
		return channel.Transientf(fmt.Errorf("reply without ret: %+v", r), "GeWe 的响应缺少 ret，请确认 url 指向 GeWe 接口服务")
	case *r.Ret != 0:
		return classify(*r.Ret, first(r.MsgErr, r.Msg))
	}
	for _, it := range r.Data.List {
		if it.Ret != 0 {
			return classify(it.Ret, "微信拒绝发送给 "+first(it.ToUsetName.String, to))
		}
	}
	return nil
}

// classify turns GeWe's msg_err into an admin message. GeWe uses ret -1 for
// every failure, so the text decides: a device that is offline is retried
// (the admin can log it in again before the retry window ends), a bad token,
// appid or recipient is not.
func classify(ret int, text string) error {
	detail := fmt.Errorf("ret %d: %s", ret, text)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(strings.ToLower(text), w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("离线", "不在线", "未登录", "掉线", "offline"):
		return channel.Transientf(detail, "GeWe 设备不在线（%s），请在 GeWe 后台重新登录微信；消息会自动重试", text)
	case has("token"):
		return channel.Permanentf(detail, "GeWe 拒绝了 token（%s），请检查通道设置中的 token", text)
	case has("appid", "设备"):
		return channel.Permanentf(detail, "GeWe 不认识该设备（%s），请检查通道设置中的 appid", text)
	case has("不存在", "无效", "非法", "不是好友", "参数", "invalid"):
		return channel.Permanentf(detail, "GeWe 拒绝发送（%s），请检查接收者 wxid 是否正确、是否为好友或群成员", text)
	default:
		return channel.Transientf(detail, "GeWe 发送失败（%s），稍后重试", text)
	}
}

func first(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return "未说明原因"
}
