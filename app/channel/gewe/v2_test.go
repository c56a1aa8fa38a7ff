package gewe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
	"botgate/model"
)

const (
	token = "tok-123"
	appID = "wx_ECMY4oEDuQAP6WimpWwWv"
	room  = "34757816141@chatroom"
)

// geweV2 is a fake GeWe that checks what the real one checks, as its
// OpenAPI pages and the replies quoted in Devo919/Gewechat's issues show:
// the token header ("X-GEWE-TOKEN=… 不可用或已过期"), the device
// ("[appId]设备不存在"), the required fields of each call; it answers the
// documented success bodies. online is what checkOnline says.
type geweV2 struct {
	t      *testing.T
	prefix string
	online atomic.Bool
	fail   atomic.Value // a reply body for every message call when set
}

func (g *geweV2) answer(c ct.Call) ct.Reply {
	path, ok := strings.CutPrefix(c.Path, g.prefix)
	if !ok || c.Method != http.MethodPost {
		return ct.Reply{Status: http.StatusNotFound, Body: `{"timestamp":"2024-01-01T00:00:00.000+00:00","status":404,"error":"Not Found","path":"` + c.Path + `"}`}
	}
	if !strings.HasPrefix(c.Header.Get("Content-Type"), "application/json") {
		g.t.Errorf("%s: Content-Type %q", path, c.Header.Get("Content-Type"))
	}
	if got := c.Header.Get("X-GEWE-TOKEN"); got != token {
		return ct.JSON(`{"ret":500,"msg":"HTTP HEADER: X-GEWE-TOKEN=` + got + ` 不可用或已过期"}`)
	}
	var body map[string]any
	if err := json.Unmarshal(c.Body, &body); err != nil {
		g.t.Errorf("%s: body is not JSON: %s", path, c.Body)
	}
	if body["appId"] != appID {
		return ct.JSON(fmt.Sprintf(`{"ret":500,"msg":"操作失败","data":{"code":"-1","msg":"[%v]设备不存在"}}`, body["appId"]))
	}
	need := map[string][]string{
		"/message/postText": {"toWxid", "content"}, "/message/postImage": {"toWxid", "imgUrl"},
		"/message/postFile": {"toWxid", "fileName", "fileUrl"}, "/message/postAppMsg": {"toWxid", "appmsg"},
		"/group/getChatroomMemberList": {"chatroomId"}, "/contacts/getBriefInfo": {"wxids"},
	}
	for _, k := range need[path] {
		if v, ok := body[k]; !ok || v == "" {
			return ct.JSON(`{"ret":500,"msg":"参数错误：` + k + ` 不能为空"}`)
		}
	}
	if strings.HasPrefix(path, "/message/") {
		if f, _ := g.fail.Load().(string); f != "" {
			return ct.JSON(f)
		}
	}
	switch path {
	case "/message/postText":
		return ct.JSON(`{"ret":200,"msg":"操作成功","data":{"toWxid":"` + body["toWxid"].(string) + `","createTime":1703841160,"msgId":0,"newMsgId":3768973957878705000,"type":1}}`)
	case "/message/postImage":
		return ct.JSON(`{"ret":200,"msg":"操作成功","data":{"toWxid":"x","createTime":0,"msgId":640355969,"newMsgId":8992614056172360000,"type":null,"aesKey":"7678","fileId":"3052","length":1096,"width":400,"height":400,"md5":"e635"}}`)
	case "/message/postFile", "/message/postAppMsg":
		return ct.JSON(`{"ret":200,"msg":"操作成功","data":{"toWxid":"x","createTime":1703841225,"msgId":769523509,"newMsgId":4399037329770756000,"type":6}}`)
	case "/login/checkOnline":
		return ct.JSON(fmt.Sprintf(`{"ret":200,"msg":"操作成功","data":%v}`, g.online.Load()))
	case "/group/getChatroomMemberList":
		return ct.JSON(`{"ret":200,"msg":"操作成功","data":{"memberList":[
			{"wxid":"zhangchuan2288","nickName":"朝夕。","inviterUserName":null,"memberFlag":1,"displayName":null,"bigHeadImgUrl":"","smallHeadImgUrl":""},
			{"wxid":"wxid_0xsqb3o0tsvz22","nickName":"G","inviterUserName":"zhangchuan2288","memberFlag":2049,"displayName":"G1","bigHeadImgUrl":"","smallHeadImgUrl":""}],
			"chatroomOwner":"zhangchuan2288","adminWxid":null}}`)
	}
	return ct.Reply{Status: http.StatusNotFound, Body: `{"status":404,"error":"Not Found"}`}
}

// newV2 starts the fake and a v2 connector on it; prefix is "/gewe/v2/api"
// (GeWe's cloud) unless the test says otherwise.
func newV2(t *testing.T) (*Connector, *ct.Server, *geweV2) {
	t.Helper()
	g := &geweV2{t: t, prefix: "/gewe/v2/api"}
	g.online.Store(true)
	srv := ct.New(t, g.answer)
	return newConnAPI(t, srv, ""), srv, g
}

// calls is each request's path and body, in order.
func calls(srv *ct.Server) (out []string) {
	for _, c := range srv.Calls() {
		out = append(out, c.Path+" "+string(c.Body))
	}
	return out
}

func TestV2_Send_BuildsTheDocumentedRequests(t *testing.T) {
	img := model.Attachment{Kind: model.AttachImage, Name: "a.png", URL: "http://127.0.0.1:9/a.png"}
	xls := model.Attachment{Kind: model.AttachFile, Name: "a909.xls", URL: "http://127.0.0.1:9/pkg/a909.xls?sign=1&t=2"}
	tests := []struct {
		name string
		msg  channel.Message
		want []string // path and JSON body of each call
	}{
		{"private text: postText without ats",
			channel.Message{Kind: channel.Private, To: "wxid_phyyedw9xap22", Content: "库存预警"},
			[]string{`/gewe/v2/api/message/postText {"appId":"wx_ECMY4oEDuQAP6WimpWwWv","toWxid":"wxid_phyyedw9xap22","content":"库存预警"}`}},
		{"group text mentioning a member by the name given (id:显示名)",
			channel.Message{Kind: channel.Group, To: room, Content: "我在测试艾特内容", At: []model.Mention{{ID: "wxid_phyyedw9xap22", Name: "猿猴"}}},
			[]string{`/gewe/v2/api/message/postText {"appId":"wx_ECMY4oEDuQAP6WimpWwWv","toWxid":"34757816141@chatroom","content":"@猿猴 我在测试艾特内容","ats":"wxid_phyyedw9xap22"}`}},
		{"names not given are looked up in the member list: group nickname, else nickname",
			channel.Message{Kind: channel.Group, To: room, Content: "开会", At: []model.Mention{{ID: "wxid_0xsqb3o0tsvz22"}, {ID: "zhangchuan2288"}}},
			[]string{
				`/gewe/v2/api/group/getChatroomMemberList {"appId":"wx_ECMY4oEDuQAP6WimpWwWv","chatroomId":"34757816141@chatroom"}`,
				`/gewe/v2/api/message/postText {"appId":"wx_ECMY4oEDuQAP6WimpWwWv","toWxid":"34757816141@chatroom","content":"@G1 @朝夕。 开会","ats":"wxid_0xsqb3o0tsvz22,zhangchuan2288"}`}},
		{"a member not in the list is written by its wxid",
			channel.Message{Kind: channel.Group, To: room, Content: "开会", At: []model.Mention{{ID: "wxid_gone"}}},
			[]string{
				`/gewe/v2/api/group/getChatroomMemberList {"appId":"wx_ECMY4oEDuQAP6WimpWwWv","chatroomId":"34757816141@chatroom"}`,
				`/gewe/v2/api/message/postText {"appId":"wx_ECMY4oEDuQAP6WimpWwWv","toWxid":"34757816141@chatroom","content":"@wxid_gone 开会","ats":"wxid_gone"}`}},
		{"all is notify@all and @所有人; a name already in the text is not written twice",
			channel.Message{Kind: channel.Group, To: room, Content: "请 @猿猴 确认", At: []model.Mention{{ID: model.MentionAll}, {ID: "wxid_phyyedw9xap22", Name: "猿猴"}}},
			[]string{`/gewe/v2/api/message/postText {"appId":"wx_ECMY4oEDuQAP6WimpWwWv","toWxid":"34757816141@chatroom","content":"@所有人 请 @猿猴 确认","ats":"notify@all,wxid_phyyedw9xap22"}`}},
		{"text, then the image and the file by URL",
			channel.Message{Kind: channel.Group, To: room, Content: "日报", Attachments: []model.Attachment{img, xls}},
			[]string{
				`/gewe/v2/api/message/postText {"appId":"wx_ECMY4oEDuQAP6WimpWwWv","toWxid":"34757816141@chatroom","content":"日报"}`,
				`/gewe/v2/api/message/postImage {"appId":"wx_ECMY4oEDuQAP6WimpWwWv","toWxid":"34757816141@chatroom","imgUrl":"http://127.0.0.1:9/a.png"}`,
				`/gewe/v2/api/message/postFile {"appId":"wx_ECMY4oEDuQAP6WimpWwWv","toWxid":"34757816141@chatroom","fileUrl":"http://127.0.0.1:9/pkg/a909.xls?sign=1\u0026t=2","fileName":"a909.xls"}`}},
		{"an image without text is one postImage",
			channel.Message{Kind: channel.Private, To: "wxid_phyyedw9xap22", Attachments: []model.Attachment{img}},
			[]string{`/gewe/v2/api/message/postImage {"appId":"wx_ECMY4oEDuQAP6WimpWwWv","toWxid":"wxid_phyyedw9xap22","imgUrl":"http://127.0.0.1:9/a.png"}`}},
		{"appmsg XML uses postAppMsg",
			channel.Message{Kind: channel.Private, To: "wxid_phyyedw9xap22", Content: ` <appmsg appid="" sdkver="0"><title>腾讯云助手</title><type>33</type></appmsg>`},
			[]string{`/gewe/v2/api/message/postAppMsg {"appId":"wx_ECMY4oEDuQAP6WimpWwWv","toWxid":"wxid_phyyedw9xap22","appmsg":"\u003cappmsg appid=\"\" sdkver=\"0\"\u003e\u003ctitle\u003e腾讯云助手\u003c/title\u003e\u003ctype\u003e33\u003c/type\u003e\u003c/appmsg\u003e"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, srv, _ := newV2(t)
			ct.WantError(t, c.Send(context.Background(), tt.msg), false, "")
			got := srv.Calls()
			if len(got) != len(tt.want) {
				t.Fatalf("calls:\n%s\nwant:\n%s", strings.Join(calls(srv), "\n"), strings.Join(tt.want, "\n"))
			}
			for i, w := range tt.want {
				path, body, _ := strings.Cut(w, " ")
				got[i].Expect(t, http.MethodPost, path, "application/json")
				ct.JSONEq(t, got[i].Body, body)
				if h := got[i].Header.Get("X-GEWE-TOKEN"); h != token {
					t.Errorf("X-GEWE-TOKEN = %q", h)
				}
			}
		})
	}
}

// A self-hosted GeWe (gewechat) serves the same API under /v2/api, which the
// admin types as part of the url.
func TestV2_SelfHostedPrefix(t *testing.T) {
	g := &geweV2{t: t, prefix: "/v2/api"}
	srv := ct.New(t, g.answer)
	for _, u := range []string{srv.URL + "/v2/api", srv.URL + "/v2/api/"} {
		c, err := New(channel.Config{Values: map[string]string{"url": u, "token": token, "appid": appID}}, srv.Deps())
		if err != nil {
			t.Fatal(err)
		}
		ct.WantError(t, c.Send(context.Background(), channel.Message{Kind: channel.Private, To: "wxid_x", Content: "hi"}), false, "")
	}
	if got := srv.Calls(); len(got) != 2 || got[0].Path != "/v2/api/message/postText" || got[1].Path != "/v2/api/message/postText" {
		t.Fatalf("calls %v", calls(srv))
	}
}

func TestV2_Send_ClassifiesFailures(t *testing.T) {
	msg := channel.Message{Kind: channel.Group, To: room, Content: "hi"}
	tests := []struct {
		name      string
		reply     string // every message call's reply; "" = the fake's own checks decide
		token     string
		appid     string
		url       string
		permanent bool
		wantMsg   string
	}{
		{name: "device offline (ret 500, data.msg) is retried", reply: `{"ret":500,"msg":"发送消息失败","data":{"code":"-1","msg":"微信已离线"}}`,
			wantMsg: "GeWe 设备不在线（发送消息失败：微信已离线），请在 GeWe 后台重新登录微信"},
		{name: "a token GeWe refuses is permanent, and not repeated in the message", token: "tok-999", permanent: true,
			wantMsg: "GeWe 拒绝了 token（HTTP HEADER: X-GEWE-TOKEN=****** 不可用或已过期），请检查通道设置中的 token"},
		{name: "an unknown device is permanent", appid: "wx_other", permanent: true, wantMsg: "GeWe 不认识该设备（操作失败：[wx_other]设备不存在），请检查通道设置中的 appid"},
		{name: "another failure is retried with GeWe's words", reply: `{"ret":500,"msg":"发送消息失败","data":{"code":"-2","msg":null}}`, wantMsg: "GeWe 发送失败（发送消息失败），稍后重试"},
		{name: "the seed's success (ret 0) is not today's", reply: `{"ret":0,"msg":"success"}`, wantMsg: "GeWe 发送失败（success）"},
		{name: "a reply without ret is retried", reply: `{"code":0}`, wantMsg: "缺少 ret"},
		{name: "a url without the API (404) is permanent and says what to type", url: "/nothing-here", permanent: true, wantMsg: "http://api.geweapi.com，自己部署的 GeWe（gewechat）填 http://服务器:2531/v2/api"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &geweV2{t: t, prefix: "/gewe/v2/api"}
			g.fail.Store(tt.reply)
			srv := ct.New(t, g.answer)
			vals := map[string]string{"url": srv.URL + tt.url, "token": cmpOr(tt.token, token), "appid": cmpOr(tt.appid, appID)}
			c, err := New(channel.Config{Values: vals}, srv.Deps())
			if err != nil {
				t.Fatal(err)
			}
			err = c.Send(context.Background(), msg)
			ct.WantError(t, err, tt.permanent, tt.wantMsg)
			if tt.token != "" && strings.Contains(err.Error(), tt.token) {
				t.Fatalf("the token is in the error: %v", err)
			}
		})
	}
	t.Run("HTTP 401 names the token", func(t *testing.T) {
		srv := ct.New(t, ct.Always(ct.Reply{Status: 401}))
		ct.WantError(t, newConnAPI(t, srv, "v2").Send(context.Background(), msg), true, "重新获取 token")
	})
	t.Run("a failed attachment after the text fails the message", func(t *testing.T) {
		srv := ct.New(t, func(c ct.Call) ct.Reply {
			if strings.HasSuffix(c.Path, "/postImage") {
				return ct.JSON(`{"ret":500,"msg":"发送图片失败","data":{"code":"-1","msg":"下载图片失败"}}`)
			}
			return ct.JSON(`{"ret":200,"msg":"操作成功","data":{}}`)
		})
		m := msg
		m.Attachments = []model.Attachment{{Kind: model.AttachImage, Name: "a.png", URL: "http://127.0.0.1:9/a.png"}}
		ct.WantError(t, newConnAPI(t, srv, "v2").Send(context.Background(), m), false, "下载图片失败")
	})
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Bytes cannot go to GeWe, which fetches by URL; the seed's API sends text
// only. Refused by CheckExtras (before queueing) and again by Send, without
// a request.
func TestCheckExtras_RefusesWhatGeWeCannotFetch(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n0000")
	tests := []struct {
		name, api string
		msg       channel.Message
		wantMsg   string // "" = accepted
	}{
		{"v2: image and file by URL", "v2", channel.Message{Attachments: []model.Attachment{{Kind: model.AttachImage, Name: "a.png", URL: "http://x/a.png"}, {Kind: model.AttachFile, Name: "b.pdf", URL: "http://x/b.pdf"}}}, ""},
		{"v2: uploaded image", "v2", channel.Message{Attachments: []model.Attachment{{Kind: model.AttachImage, Name: "a.png", Data: png}}}, "GeWe不支持发送上传的图片：GeWe 只能按网址发送图片/文件（由 GeWe 服务器自己下载），“a.png”请以 GeWe 服务器能访问的 http(s) 网址发送"},
		{"v2: uploaded file", "v2", channel.Message{Attachments: []model.Attachment{{Kind: model.AttachFile, Name: "b.pdf", Data: []byte("%PDF-1.4")}}}, "GeWe不支持发送上传的文件：GeWe 只能按网址发送图片/文件"},
		{"v2: mentions and all", "v2", channel.Message{Kind: channel.Group, At: []model.Mention{{ID: "all"}, {ID: "wxid_a"}}}, ""},
		{"v1: mentions by id", "v1", channel.Message{Kind: channel.Group, At: []model.Mention{{ID: "wxid_a", Name: "阿"}}}, ""},
		{"v1: no attachments at all", "v1", channel.Message{Attachments: []model.Attachment{{Kind: model.AttachImage, Name: "a.png", URL: "http://x/a.png"}}}, "旧版接口（api 为 v1）只能发送文字；请把通道的 api 改为 v2"},
		{"v1: no @所有人", "v1", channel.Message{Kind: channel.Group, At: []model.Mention{{ID: "all"}}}, "没有 @所有人"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, ct.Always(ct.JSON(`{"ret":200,"msg":"操作成功"}`)))
			c := newConnAPI(t, srv, tt.api)
			err := c.CheckExtras(tt.msg)
			if tt.wantMsg == "" {
				ct.WantError(t, err, false, "")
				return
			}
			ct.WantError(t, err, true, tt.wantMsg)
			m := tt.msg
			m.Kind, m.To, m.Content = channel.Group, room, "hi"
			ct.WantError(t, c.Send(context.Background(), m), true, tt.wantMsg)
			if n := len(srv.Calls()); n != 0 {
				t.Fatalf("%d requests sent", n)
			}
		})
	}
}

// The seed's sendmsg mentions by wxid in "at" and "@昵称" in the content.
func TestV1_Mentions(t *testing.T) {
	srv := ct.New(t, ct.Always(ct.JSON(sent)))
	m := channel.Message{Kind: channel.Group, To: room, Content: "开会", At: []model.Mention{{ID: "wxid_a", Name: "阿"}, {ID: "wxid_b"}}}
	ct.WantError(t, newConn(t, srv).Send(context.Background(), m), false, "")
	ct.JSONEq(t, srv.Only(t).Body, `{"appid":"wx_ECMY4oEDuQAP6WimpWwWv","to_wxid_list":[{"at":["wxid_a","wxid_b"],"content":"@阿 @wxid_b 开会","msg_source":"","msg_type":1,"to_wxid":"34757816141@chatroom"}]}`)
}

func TestV2_Test_ChecksTheDeviceIsOnline(t *testing.T) {
	c, srv, g := newV2(t)
	ct.WantError(t, c.Test(context.Background()), false, "")
	call := srv.Only(t)
	call.Expect(t, http.MethodPost, "/gewe/v2/api/login/checkOnline", "application/json")
	ct.JSONEq(t, call.Body, `{"appId":"wx_ECMY4oEDuQAP6WimpWwWv"}`)
	g.online.Store(false)
	ct.WantError(t, c.Test(context.Background()), true, "设备 wx_ECMY4oEDuQAP6WimpWwWv 的微信不在线，请在 GeWe 后台重新扫码登录")

	bad, err := New(channel.Config{Values: map[string]string{"url": srv.URL, "token": "wrong", "appid": appID}}, srv.Deps())
	if err != nil {
		t.Fatal(err)
	}
	ct.WantError(t, bad.(*Connector).Test(context.Background()), true, "检查通道设置中的 token")

	v1 := newConnAPI(t, srv, "v1")
	ct.WantError(t, v1.Test(context.Background()), true, "没有测试接口")
}

func TestV2_Contacts_NamesFriendsAndRooms(t *testing.T) {
	var friends []string
	for i := range 23 {
		friends = append(friends, fmt.Sprintf("wxid_%02d", i))
	}
	friends = append(friends, "tmessage", "medianote", "weixin", "filehelper", "gh_7aac992b0363")
	var listFails atomic.Bool
	srv := ct.New(t, func(c ct.Call) ct.Reply {
		if c.Header.Get("X-GEWE-TOKEN") != token {
			return ct.JSON(`{"ret":500,"msg":"token 不可用"}`)
		}
		switch c.Path {
		case "/gewe/v2/api/contacts/fetchContactsList":
			if listFails.Load() {
				return ct.Reply{Status: http.StatusGatewayTimeout}
			}
			fallthrough
		case "/gewe/v2/api/contacts/fetchContactsListCache":
			b, _ := json.Marshal(map[string]any{"ret": 200, "msg": "操作成功", "data": map[string]any{
				"friends": friends, "chatrooms": []string{room}, "ghs": []string{"gh_d7293b5f14f4"}}})
			return ct.JSON(string(b))
		case "/gewe/v2/api/contacts/getBriefInfo":
			var req struct{ Wxids []string }
			json.Unmarshal(c.Body, &req)
			if len(req.Wxids) > briefBatch {
				return ct.JSON(`{"ret":500,"msg":"wxids 最多 20 个"}`)
			}
			var out []map[string]any
			for _, id := range req.Wxids {
				out = append(out, map[string]any{"userName": id, "nickName": "昵称" + id, "remark": map[bool]string{true: "备注"}[id == "wxid_01"]})
			}
			b, _ := json.Marshal(map[string]any{"ret": 200, "msg": "获取联系人信息成功", "data": out})
			return ct.JSON(string(b))
		}
		return ct.Reply{Status: 404}
	})
	c := newConnAPI(t, srv, "v2")
	for _, fails := range []bool{false, true} {
		listFails.Store(fails)
		got, err := c.Contacts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 25 {
			t.Fatalf("fails=%v: %d contacts: %+v", fails, len(got), got)
		}
		want := map[string]channel.Contact{
			"wxid_00":    {Kind: channel.Private, ID: "wxid_00", Name: "昵称wxid_00"},
			"wxid_01":    {Kind: channel.Private, ID: "wxid_01", Name: "备注"},
			"wxid_22":    {Kind: channel.Private, ID: "wxid_22", Name: "昵称wxid_22"},
			"filehelper": {Kind: channel.Private, ID: "filehelper", Name: "昵称filehelper"},
			room:         {Kind: channel.Group, ID: room, Name: "昵称" + room},
		}
		for _, ctc := range got {
			if w, ok := want[ctc.ID]; ok && !reflect.DeepEqual(ctc, w) {
				t.Errorf("%s = %+v, want %+v", ctc.ID, ctc, w)
			}
			if ctc.ID == "tmessage" || ctc.ID == "weixin" || strings.HasPrefix(ctc.ID, "gh_") {
				t.Errorf("WeChat's own account %s listed", ctc.ID)
			}
		}
	}
	ct.WantError(t, func() error { _, err := newConnAPI(t, srv, "v1").Contacts(context.Background()); return err }(), true, "没有通讯录接口")
}

func TestNew_API(t *testing.T) {
	for api, want := range map[string]string{"": apiV2, "v2": apiV2, " V1 ": apiV1} {
		c, err := New(channel.Config{Values: map[string]string{"url": "http://127.0.0.1:2531", "token": "t", "appid": "a", "api": api}}, channel.Deps{})
		if err != nil || c.(*Connector).api != want {
			t.Errorf("api %q: %v; want %s", api, err, want)
		}
	}
	_, err := New(channel.Config{Values: map[string]string{"url": "http://127.0.0.1:2531", "token": "t", "appid": "a", "api": "v3"}}, channel.Deps{})
	ct.WantError(t, err, true, "api 只能是 v2（现在的 GeWe 接口，默认）或 v1")
}

func TestFields_DescribeTheKeys(t *testing.T) { ct.CheckFields(t, Type) }
