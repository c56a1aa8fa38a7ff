package gewe

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"botgate/app/channel"
	"botgate/model"
)

// Today's GeWe API, from its OpenAPI pages (GeWe's doc.geweapi.com, mirrored
// in Wangnov/gewe-rs docs/GeweAPI-Official): every call is a JSON POST with
// X-GEWE-TOKEN and the device's appId, answered {"ret": 200, "msg", "data"}
// on success; anything else is a failure explained by msg (and data.msg).

type v2Reply struct {
	Ret  *int            `json:"ret"`
	Msg  string          `json:"msg"`
	Data json.RawMessage `json:"data"`
}

// call posts body to the v2 path and decodes the reply's data into data
// (when not nil).
func (c *Connector) call(ctx context.Context, path string, body, data any) error {
	var r v2Reply
	err := channel.Do(ctx, c.client, channel.Request{
		URL: c.v2 + path, Header: http.Header{"X-Gewe-Token": {c.token}}, JSON: body, Platform: platform,
	}, &r)
	if err != nil {
		return c.httpError(err)
	}
	switch {
	case r.Ret == nil:
		return channel.Transientf(fmt.Errorf("%s: reply without ret: %.200s", path, r.Data), "GeWe 的响应缺少 ret，请确认 url 指向 GeWe 接口服务")
	case *r.Ret != 200:
		return c.classify(*r.Ret, reason(r))
	}
	if data == nil || len(r.Data) == 0 {
		return nil
	}
	if err := json.Unmarshal(r.Data, data); err != nil {
		return channel.Transientf(fmt.Errorf("%s: %w: %.200s", path, err, r.Data), "GeWe 的响应不是预期的格式，请确认 url 指向 GeWe 接口服务")
	}
	return nil
}

// reason is a failed reply's msg, and data.msg when data explains more.
func reason(r v2Reply) string {
	var d struct {
		Msg string `json:"msg"`
	}
	if bytes.HasPrefix(bytes.TrimSpace(r.Data), []byte("{")) && json.Unmarshal(r.Data, &d) == nil && strings.TrimSpace(d.Msg) != "" {
		return first(r.Msg) + "：" + d.Msg
	}
	return first(r.Msg)
}

// The message calls (消息模块: 发送文字消息, 发送图片消息, 发送文件消息, 发送appmsg消息).
type (
	textReq struct {
		AppID   string `json:"appId"`
		ToWxid  string `json:"toWxid"`
		Content string `json:"content"`
		Ats     string `json:"ats,omitempty"` // comma-separated wxids; notify@all for everyone
	}
	imageReq struct {
		AppID  string `json:"appId"`
		ToWxid string `json:"toWxid"`
		ImgURL string `json:"imgUrl"`
	}
	fileReq struct {
		AppID    string `json:"appId"`
		ToWxid   string `json:"toWxid"`
		FileURL  string `json:"fileUrl"`
		FileName string `json:"fileName"`
	}
	appMsgReq struct {
		AppID  string `json:"appId"`
		ToWxid string `json:"toWxid"`
		AppMsg string `json:"appmsg"`
	}
)

// sendV2 delivers m: the text first (with its mentions), then each
// attachment by URL, one call each. A failure after the first call fails
// the message, and its retry sends the earlier parts again.
func (c *Connector) sendV2(ctx context.Context, m channel.Message) error {
	if xml, ok := appMsg(m.Content); ok {
		if err := c.call(ctx, "/message/postAppMsg", appMsgReq{AppID: c.appid, ToWxid: m.To, AppMsg: xml}, nil); err != nil {
			return err
		}
	} else if strings.TrimSpace(m.Content) != "" || len(m.At) > 0 {
		text, ats := m.Content, []string(nil)
		if len(m.At) > 0 {
			text, ats = mentionText(m.Content, m.At, c.memberNames(ctx, m.To, m.At))
		}
		if err := c.postText(ctx, m.To, text, ats); err != nil {
			return err
		}
	}
	for _, a := range m.Attachments {
		var err error
		if a.Kind == model.AttachImage {
			err = c.call(ctx, "/message/postImage", imageReq{AppID: c.appid, ToWxid: m.To, ImgURL: a.URL}, nil)
		} else {
			err = c.call(ctx, "/message/postFile", fileReq{AppID: c.appid, ToWxid: m.To, FileURL: a.URL, FileName: a.Name}, nil)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// postText posts one text; ats are the wxids it mentions.
func (c *Connector) postText(ctx context.Context, to, content string, ats []string) error {
	return c.call(ctx, "/message/postText", textReq{AppID: c.appid, ToWxid: to, Content: content, Ats: strings.Join(ats, ",")}, nil)
}

// memberNames looks up, in the chat room's member list (群模块: 获取群成员列表),
// the names of the members at mentions without one: the name in the group
// (displayName) if set, else the nickname. It returns nil when every mention
// has its name; when the list cannot be read the ids are written instead, as
// a name is no reason to hold the message back.
func (c *Connector) memberNames(ctx context.Context, room string, at []model.Mention) map[string]string {
	need := false
	for _, mn := range at {
		need = need || (mn.Name == "" && mn.ID != model.MentionAll)
	}
	if !need {
		return nil
	}
	var list struct {
		MemberList []struct {
			Wxid        string `json:"wxid"`
			NickName    string `json:"nickName"`
			DisplayName string `json:"displayName"`
		} `json:"memberList"`
	}
	if err := c.call(ctx, "/group/getChatroomMemberList", map[string]string{"appId": c.appid, "chatroomId": room}, &list); err != nil {
		c.log.Warn("GeWe member list not read; mentions show their wxid", "chatroom", room, "err", err)
		return nil
	}
	names := map[string]string{}
	for _, mb := range list.MemberList {
		names[mb.Wxid] = first(mb.DisplayName, mb.NickName, mb.Wxid)
	}
	return names
}

// Test checks that the device is logged in (系统功能: 检查是否在线,
// /login/checkOnline: data true when online). The seed's API has no such call.
func (c *Connector) Test(ctx context.Context) error {
	if c.api == apiV1 {
		return channel.Permanentf(nil, "旧版 GeWe 接口（api 为 v1）没有测试接口，请直接发一条消息试试；现在的 GeWe 请把 api 改为 v2")
	}
	var online bool
	if err := c.call(ctx, "/login/checkOnline", map[string]string{"appId": c.appid}, &online); err != nil {
		return err
	}
	if !online {
		return channel.Permanentf(nil, "GeWe 已连接，但设备 %s 的微信不在线，请在 GeWe 后台重新扫码登录", c.appid)
	}
	return nil
}

// systemIDs are WeChat's own accounts that the friend list includes
// (tmessage, medianote… as in 获取通讯录列表's example): not people to message.
var systemIDs = map[string]bool{
	"tmessage": true, "medianote": true, "qmessage": true, "qqmail": true, "qqsafe": true, "weixin": true,
	"exmail_tool": true, "fmessage": true, "floatbottle": true, "newsapp": true, "mphelper": true, "notifymessage": true,
}

// briefBatch is how many wxids one getBriefInfo call takes ("最大20个").
const briefBatch = 20

// Contacts lists the friends and the chat rooms saved to the address book
// (联系人模块: 获取通讯录列表), named by 获取群/好友简要信息 (remark, else
// nickname). The list call can be slow on a large account; when it fails,
// the list GeWe cached from an earlier call (获取通讯录列表缓存) is tried.
func (c *Connector) Contacts(ctx context.Context) ([]channel.Contact, error) {
	if c.api == apiV1 {
		return nil, channel.Permanentf(nil, "旧版 GeWe 接口（api 为 v1）没有通讯录接口；现在的 GeWe 请把 api 改为 v2")
	}
	var list struct {
		Friends   []string `json:"friends"`
		Chatrooms []string `json:"chatrooms"`
	}
	req := map[string]string{"appId": c.appid}
	if err := c.call(ctx, "/contacts/fetchContactsList", req, &list); err != nil {
		if channel.IsPermanent(err) || c.call(ctx, "/contacts/fetchContactsListCache", req, &list) != nil || len(list.Friends)+len(list.Chatrooms) == 0 {
			return nil, err
		}
	}
	var out []channel.Contact
	for _, id := range list.Friends {
		if !systemIDs[id] && !strings.HasPrefix(id, "gh_") {
			out = append(out, channel.Contact{Kind: channel.Private, ID: id})
		}
	}
	for _, id := range list.Chatrooms {
		out = append(out, channel.Contact{Kind: channel.Group, ID: id})
	}
	names := map[string]string{}
	for i := 0; i < len(out); i += briefBatch {
		var ids []string
		for _, ct := range out[i:min(i+briefBatch, len(out))] {
			ids = append(ids, ct.ID)
		}
		var brief []struct {
			UserName string `json:"userName"`
			NickName string `json:"nickName"`
			Remark   string `json:"remark"`
		}
		if err := c.call(ctx, "/contacts/getBriefInfo", map[string]any{"appId": c.appid, "wxids": ids}, &brief); err != nil {
			return nil, err
		}
		for _, b := range brief {
			names[b.UserName] = first(b.Remark, b.NickName, b.UserName)
		}
	}
	for i := range out {
		out[i].Name = names[out[i].ID]
	}
	return out, nil
}
