package gewe

import (
	"context"
	"fmt"
	"net/http"

	"botgate/app/channel"
)

// The seed's API (/work/shared/seeds/gewe-wechat-api.txt): sendmsg with a
// to_wxid_list, sendapp for <appmsg> XML; "ret": 0 means sent, msg_err
// explains a failure, and data.List holds one Ret per recipient.

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

type v1Reply struct {
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

// sendV1 delivers m (its target trimmed and checked) through the seed's API.
// A mention is its wxid in "at" and "@昵称" in the content, as the seed's
// note on sendmsg says; the seed has no member list, so an id without a name
// is written as it is.
func (c *Connector) sendV1(ctx context.Context, m channel.Message) error {
	// The documented example sends at [""] and an empty msg_source for plain text.
	content, at := m.Content, []string{""}
	if len(m.At) > 0 {
		content, at = mentionText(m.Content, m.At, nil)
	}
	path, body := "/api/message/sendmsg", any(sendMsg{AppID: c.appid, ToWxidList: []textItem{
		{At: at, Content: content, MsgSource: "", MsgType: 1, ToWxid: m.To},
	}})
	if xml, ok := appMsg(m.Content); ok {
		path, body = "/api/message/sendapp", sendApp{AppID: c.appid, ToWxid: m.To, XML: xml}
	}
	var r v1Reply
	err := channel.Do(ctx, c.client, channel.Request{
		URL: c.base + path, Header: http.Header{"X-Gewe-Token": {c.token}}, JSON: body, Platform: platform,
	}, &r)
	if err != nil {
		return c.httpError(err)
	}
	switch {
	case r.Ret == nil:
		return channel.Transientf(fmt.Errorf("reply without ret: %+v", r), "GeWe 的响应缺少 ret，请确认 url 指向 GeWe 接口服务")
	case *r.Ret != 0:
		return c.classify(*r.Ret, first(r.MsgErr, r.Msg))
	}
	for _, it := range r.Data.List {
		if it.Ret != 0 {
			return c.classify(it.Ret, "微信拒绝发送给 "+first(it.ToUsetName.String, m.To))
		}
	}
	return nil
}
