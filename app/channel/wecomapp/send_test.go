package wecomapp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
	"botgate/app/channel/wecomapp"
	"botgate/app/channel/wecomapp/wecomfake"
	"botgate/model"
)

var (
	pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{7}, 40)...)
	gifBytes = []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")
	pdfBytes = []byte("%PDF-1.4\n报销单")
)

// The bodies WeCom's 发送应用消息 and 应用推送消息 document, as the fake
// decodes them: touser with agentid, or chatid; text or markdown by the
// channel's format; media by the media_id the upload returned.
func TestSend_Bodies_AsDocumented(t *testing.T) {
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(pdfBytes) }))
	defer files.Close()
	tests := []struct {
		name   string
		format string
		msg    channel.Message
		want   []wecomfake.Sent // Body left out of the comparison
	}{
		{"text to one member", "", textTo("zhangsan"),
			[]wecomfake.Sent{{Path: "/cgi-bin/message/send", ToUser: "zhangsan", AgentID: 1000002, MsgType: "text", Content: "审批已通过"}}},
		{"a list is one call", "", textTo("zhangsan|lisi"),
			[]wecomfake.Sent{{Path: "/cgi-bin/message/send", ToUser: "zhangsan|lisi", AgentID: 1000002, MsgType: "text", Content: "审批已通过"}}},
		{"markdown by the channel's format", "markdown", channel.Message{Kind: channel.Private, To: "lisi", Content: "**报销** <font color=\"info\">已通过</font>"},
			[]wecomfake.Sent{{Path: "/cgi-bin/message/send", ToUser: "lisi", AgentID: 1000002, MsgType: "markdown", Content: "**报销** <font color=\"info\">已通过</font>"}}},
		{"group chat by chatid", "", channel.Message{Kind: channel.Group, To: "wrchat0001", Content: "今日报表"},
			[]wecomfake.Sent{{Path: "/cgi-bin/appchat/send", ChatID: "wrchat0001", MsgType: "text", Content: "今日报表"}}},
		{"text, then image, then file fetched from its URL", "", channel.Message{Kind: channel.Private, To: "zhangsan", Content: "附件如下",
			Attachments: []model.Attachment{{Kind: "image", Name: "chart.png", Data: pngBytes}, {Kind: "file", Name: "报销单.pdf", URL: files.URL + "/r.pdf"}}},
			[]wecomfake.Sent{
				{Path: "/cgi-bin/message/send", ToUser: "zhangsan", AgentID: 1000002, MsgType: "text", Content: "附件如下"},
				{Path: "/cgi-bin/message/send", ToUser: "zhangsan", AgentID: 1000002, MsgType: "image", Media: &wecomfake.Media{Type: "image", Filename: "chart.png", Data: pngBytes}},
				{Path: "/cgi-bin/message/send", ToUser: "zhangsan", AgentID: 1000002, MsgType: "file", Media: &wecomfake.Media{Type: "file", Filename: "报销单.pdf", Data: pdfBytes}},
			}},
		{"only a file, to a group chat", "", channel.Message{Kind: channel.Group, To: "wrchat0001", Attachments: []model.Attachment{{Kind: "file", Name: "a.pdf", Data: pdfBytes}}},
			[]wecomfake.Sent{{Path: "/cgi-bin/appchat/send", ChatID: "wrchat0001", MsgType: "file", Media: &wecomfake.Media{Type: "file", Filename: "a.pdf", Data: pdfBytes}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := wecomfake.New(t)
			fake.AddChat("wrchat0001", "zhangsan", "lisi")
			c := connect(t, fake, nil, map[string]string{"format": tt.format})
			ct.WantError(t, c.Send(context.Background(), tt.msg), false, "")
			got := fake.Sent()
			for i := range got {
				got[i].Body = nil
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("WeCom got\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

// The upload is 上传临时素材's multipart form: type in the query, the field
// "media" with the file name and its length in the disposition.
func TestSend_Upload_IsTheDocumentedForm(t *testing.T) {
	srv := ct.New(t, func(c ct.Call) ct.Reply {
		switch c.Path {
		case "/cgi-bin/gettoken":
			return ct.JSON(`{"errcode":0,"errmsg":"ok","access_token":"t1","expires_in":7200}`)
		case "/cgi-bin/media/upload":
			return ct.JSON(`{"errcode":0,"errmsg":"","type":"image","media_id":"1G6nrLmr5EC3MMb_-zK1dDdzmd0p7cNliYu9V5w7o8K0","created_at":"1380000000"}`)
		}
		return ct.JSON(`{"errcode":0,"errmsg":"ok","invaliduser":""}`)
	})
	ch, err := wecomapp.New(channel.Config{Values: map[string]string{"url": srv.URL, "corp_id": "ww1", "corp_secret": "s", "agent_id": "1000002"}}, srv.Deps())
	if err != nil {
		t.Fatal(err)
	}
	err = ch.Send(context.Background(), channel.Message{Kind: channel.Private, To: "zhangsan", Attachments: []model.Attachment{{Kind: "image", Name: `图"表.png`, Data: pngBytes}}})
	ct.WantError(t, err, false, "")
	calls := srv.Calls()
	if len(calls) != 3 {
		t.Fatalf("%d calls, want gettoken, upload, send", len(calls))
	}
	up := calls[1]
	up.Expect(t, http.MethodPost, "/cgi-bin/media/upload", "multipart/form-data")
	if up.Query.Get("type") != "image" || up.Query.Get("access_token") != "t1" {
		t.Fatalf("upload query %s", up.RawQuery)
	}
	head := string(up.Body[:bytes.Index(up.Body, []byte("\r\n\r\n"))])
	if !strings.Contains(head, fmt.Sprintf(`Content-Disposition: form-data; name="media"; filename="图\"表.png"; filelength=%d`, len(pngBytes))) {
		t.Fatalf("part header %q", head)
	}
	calls[2].Expect(t, http.MethodPost, "/cgi-bin/message/send", "application/json")
	ct.JSONEq(t, calls[2].Body, `{"touser":"zhangsan","msgtype":"image","agentid":1000002,"image":{"media_id":"1G6nrLmr5EC3MMb_-zK1dDdzmd0p7cNliYu9V5w7o8K0"}}`)
}

// invaliduser: delivered to the rest, the refused ids reported in the case
// they were given (WeCom lowercases them); all refused fails for good.
func TestSend_PartialRecipients(t *testing.T) {
	tests := []struct {
		name    string
		to      string
		invalid []string
		perm    string // "" when delivered
	}{
		{"one of three unknown", "zhangsan|wangwu|lisi", []string{"wangwu"}, ""},
		{"mixed case kept", "ZhangSan|WangWu", []string{"WangWu"}, ""},
		{"all unknown: 81013", "wangwu|zhaoliu", nil, "接收者全部无效（81013）"},
		{"all known", "zhangsan|lisi", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := wecomfake.New(t)
			c := connect(t, fake, nil, nil)
			err := c.Send(context.Background(), textTo(tt.to))
			if tt.perm != "" {
				ct.WantError(t, err, true, tt.perm)
				return
			}
			invalid, ok := channel.Delivered(err)
			if !ok || !slices.Equal(invalid, tt.invalid) {
				t.Fatalf("Send = %v: delivered %v, invalid %v; want delivered, invalid %v", err, ok, invalid, tt.invalid)
			}
			var p *channel.PartlyDelivered
			if len(tt.invalid) > 0 && (!errors.As(err, &p) || !strings.Contains(p.Msg, strings.Join(tt.invalid, "、")) || !strings.Contains(p.Msg, "可见范围")) {
				t.Fatalf("note %v", err)
			}
		})
	}
}

// Each message of a text-and-attachments send reports the same refusals;
// they are listed once.
func TestSend_PartialRecipients_AcrossSeveralMessages(t *testing.T) {
	fake := wecomfake.New(t)
	c := connect(t, fake, nil, nil)
	err := c.Send(context.Background(), channel.Message{Kind: channel.Private, To: "zhangsan|wangwu", Content: "附件",
		Attachments: []model.Attachment{{Kind: "file", Name: "a.pdf", Data: pdfBytes}}})
	if invalid, ok := channel.Delivered(err); !ok || !slices.Equal(invalid, []string{"wangwu"}) || len(fake.Sent()) != 2 {
		t.Fatalf("Send = %v, %d messages", err, len(fake.Sent()))
	}
}

func TestSend_GroupChatTheAppDidNotCreate_SaysHowToMakeOne(t *testing.T) {
	fake := wecomfake.New(t)
	c := connect(t, fake, nil, nil)
	ct.WantError(t, c.Send(context.Background(), channel.Message{Kind: channel.Group, To: "someoneelses", Content: "x"}), true, "群聊不存在（86003）")
	id, err := c.CreateChat(context.Background(), "报表群", "zhangsan", []string{"zhangsan", "lisi", "zhangsan"})
	if err != nil || id == "" {
		t.Fatalf("CreateChat = %q, %v", id, err)
	}
	ct.WantError(t, c.Send(context.Background(), channel.Message{Kind: channel.Group, To: id, Content: "报表"}), false, "")
	if _, err := c.CreateChat(context.Background(), "一个人", "", []string{"zhangsan"}); err == nil || !strings.Contains(err.Error(), "至少要有 2 个成员") {
		t.Fatalf("a chat of one: %v", err)
	}
}

func TestValidateTarget(t *testing.T) {
	fake := wecomfake.New(t)
	c := connect(t, fake, nil, nil)
	tests := []struct {
		kind, to string
		msg      string // "" when valid
	}{
		{channel.Private, "zhangsan", ""},
		{channel.Private, "zhang.san-01|li_si|a@b.com", ""},
		{channel.Private, "@all", ""},
		{channel.Private, "zhangsan,lisi", "用 | 分隔（不是逗号）"},
		{channel.Private, "张三", "通讯录成员详情里的“账号”"},
		{channel.Private, "a|@all", "@all"},
		{channel.Private, strings.Repeat("u|", 1001), "一次最多发给 1000 人"},
		{channel.Private, " | ", "缺少接收者"},
		{channel.Group, "wrchat0001", ""},
		{channel.Group, "群 1", "appchat/create"},
	}
	for _, tt := range tests {
		t.Run(tt.kind+" "+tt.to[:min(len(tt.to), 20)], func(t *testing.T) {
			err := c.ValidateTarget(tt.kind, tt.to)
			if (err == nil) != (tt.msg == "") || (err != nil && !strings.Contains(err.Error(), tt.msg)) {
				t.Fatalf("ValidateTarget = %v, want %q", err, tt.msg)
			}
		})
	}
}

// What WeCom would refuse is refused before anything is sent: too long,
// pictures it cannot show, files of 5 bytes or fewer.
func TestSend_RefusedBeforeAnyCall(t *testing.T) {
	tests := []struct {
		name   string
		format string
		msg    channel.Message
		want   string
	}{
		{"text over 2048 bytes", "", channel.Message{Kind: channel.Private, To: "zhangsan", Content: strings.Repeat("字", 683)}, "文本消息最多 2048 字节"},
		{"markdown over 2048 bytes", "markdown", channel.Message{Kind: channel.Private, To: "zhangsan", Content: strings.Repeat("x", 2049)}, "markdown 消息最多 2048 字节"},
		{"a GIF", "", channel.Message{Kind: channel.Private, To: "zhangsan", Attachments: []model.Attachment{{Kind: "image", Name: "a.gif", Data: gifBytes}}}, "只能是 PNG 或 JPG"},
		{"a 5-byte file", "", channel.Message{Kind: channel.Private, To: "zhangsan", Attachments: []model.Attachment{{Kind: "file", Name: "a.txt", Data: []byte("12345")}}}, "大于 5 字节"},
		{"empty", "", channel.Message{Kind: channel.Private, To: "zhangsan", Content: " "}, "不接受空消息"},
		{"a bad userid", "", channel.Message{Kind: channel.Private, To: "张三", Content: "x"}, "userid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := wecomfake.New(t)
			c := connect(t, fake, nil, map[string]string{"format": tt.format})
			ct.WantError(t, c.Send(context.Background(), tt.msg), true, tt.want)
			if r := fake.Requests(); len(r) != 0 {
				t.Fatalf("calls made: %v", r)
			}
		})
	}
	fake := wecomfake.New(t)
	c := connect(t, fake, nil, nil)
	if err := c.CheckExtras(channel.Message{Attachments: []model.Attachment{{Kind: "image", Name: "a.gif", Data: gifBytes}}}); err == nil || !channel.IsPermanent(err) {
		t.Fatalf("CheckExtras let a GIF through: %v", err)
	}
	if err := c.CheckContent(strings.Repeat("字", 682)); err != nil {
		t.Fatalf("2046 bytes refused: %v", err)
	}
}

// WeCom drops what one app sends a member beyond 30 a minute without an
// error; the connector holds each member to its pace instead, and a send
// that would wait past its deadline fails as transient.
func TestSend_PerMemberPace(t *testing.T) {
	fake := wecomfake.New(t)
	c := connect(t, fake, nil, nil)
	for range 10 {
		ct.WantError(t, c.Send(context.Background(), textTo("zhangsan")), false, "")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	ct.WantError(t, c.Send(ctx, textTo("zhangsan")), false, "每个成员每分钟最多收 30 条")
	ct.WantError(t, c.Send(ctx, textTo("lisi")), false, "") // another member is not held back
	if n := len(fake.Sent()); n != 11 {
		t.Fatalf("%d delivered, want 11", n)
	}
}

// 测试连接 is a fresh token and agent/get; 通讯录 is the app's visible range:
// the members it names and those of its departments.
func TestTestAndContacts(t *testing.T) {
	fake := wecomfake.New(t)
	fake.Users["wangwu"] = "王五"
	fake.Parties[2] = []string{"lisi", "wangwu"}
	c := connect(t, fake, nil, nil)
	if err := c.Test(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := c.Test(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := fake.TokensIssued(); n != 2 {
		t.Fatalf("测试连接 fetched %d tokens in two tests, want a fresh one each", n)
	}
	list, err := c.Contacts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(list, func(a, b channel.Contact) int { return strings.Compare(a.ID, b.ID) })
	want := []channel.Contact{{Kind: "private", ID: "lisi", Name: "李四"}, {Kind: "private", ID: "wangwu", Name: "王五"}, {Kind: "private", ID: "zhangsan", Name: "zhangsan"}}
	if !reflect.DeepEqual(list, want) {
		t.Fatalf("contacts %+v, want %+v", list, want)
	}
	reqs := fake.Requests()
	if reqs[0] != "GET /cgi-bin/gettoken" || reqs[1] != "GET /cgi-bin/agent/get" {
		t.Fatalf("requests %v", reqs)
	}
}

func TestNew_ConfigErrorsSayWhatToFill(t *testing.T) {
	base := map[string]string{"corp_id": "ww1", "corp_secret": "s", "agent_id": "1000002"}
	tests := []struct {
		name string
		set  map[string]string
		msg  string
	}{
		{"defaults are enough", nil, ""},
		{"agent id not a number", map[string]string{"agent_id": "HR助手"}, "AgentId（一串数字"},
		{"missing secret", map[string]string{"corp_secret": ""}, "缺少必填设置：corp_secret"},
		{"token without key", map[string]string{"callback_token": "t"}, "同时填写 callback_token 和 callback_aes_key"},
		{"short key", map[string]string{"callback_token": "t", "callback_aes_key": "abc"}, "43 个字母或数字"},
		{"unknown format", map[string]string{"format": "html"}, "format 只能是 text 或 markdown"},
		{"bad url", map[string]string{"url": "qyapi.weixin.qq.com"}, "http:// 或 https://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vals := map[string]string{}
			for k, v := range base {
				vals[k] = v
			}
			for k, v := range tt.set {
				vals[k] = v
			}
			_, err := wecomapp.New(channel.Config{Values: vals}, channel.Deps{})
			if (err == nil) != (tt.msg == "") || (err != nil && !strings.Contains(err.Error(), tt.msg)) {
				t.Fatalf("New = %v, want %q", err, tt.msg)
			}
		})
	}
}

// The window's form: every key has a field with a Chinese label and help
// saying where the value is found; required ones are marked.
func TestType_FieldsDescribeEveryKey(t *testing.T) {
	ty := wecomapp.Type
	if len(ty.Fields) != len(ty.Keys) {
		t.Fatalf("%d fields for %d keys", len(ty.Fields), len(ty.Keys))
	}
	for _, f := range ty.Fields {
		if !slices.Contains(ty.Keys, f.Key) || f.Label == "" || f.Help == "" {
			t.Errorf("field %+v", f)
		}
		if f.Required != slices.Contains(ty.Required, f.Key) {
			t.Errorf("field %s: required %v, Type.Required says otherwise", f.Key, f.Required)
		}
		if (f.Kind == channel.FieldSecret) != slices.Contains(ty.SecretKeys, f.Key) {
			t.Errorf("field %s: kind %s, SecretKeys says otherwise", f.Key, f.Kind)
		}
	}
	help := map[string]string{"corp_id": "我的企业 → 企业信息", "agent_id": "应用管理 → 自建应用", "corp_secret": "企业可信IP", "callback_token": "设置API接收"}
	for _, f := range ty.Fields {
		if want, ok := help[f.Key]; ok && !strings.Contains(f.Help, want) {
			t.Errorf("field %s: help %q lacks %q", f.Key, f.Help, want)
		}
	}
}
