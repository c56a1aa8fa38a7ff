package app

import (
	"botgate/app/config"
	"botgate/model"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	testPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR....")
	testGIF = []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")
	testPDF = []byte("%PDF-1.4\n...")
)

// extrasApp has one channel of every type, none of them reachable: nothing
// these tests send may get past the checks into the outbox unless accepted.
func extrasApp(t *testing.T) *App {
	t.Helper()
	a := openAdminApp(t, time.Now())
	u := "http://127.0.0.1:1"
	mustImport(t, a, config.File{Channels: []config.Channel{
		{Name: "qq", Type: "onebot", Config: config.Values{"url": u}},
		{Name: "webqq", Type: "openqq", Config: config.Values{"url": u}},
		{Name: "wx", Type: "gewe", Config: config.Values{"url": u, "token": "t", "appid": "a"}},
		{Name: "企微群", Type: "wecom", Config: config.Values{"url": u + "/cgi-bin/webhook/send?key=k"}},
		{Name: "企微md", Type: "wecom", Config: config.Values{"url": u + "/cgi-bin/webhook/send?key=k", "format": "markdown"}},
		{Name: "钉钉群", Type: "dingtalk", Config: config.Values{"url": u + "/robot/send?access_token=x"}},
		{Name: "飞书群", Type: "feishu", Config: config.Values{"url": u + "/open-apis/bot/v2/hook/x"}},
		{Name: "喧喧", Type: "xuanxuan", Config: config.Values{"url": u, "code": "c", "key": "k"}},
		{Name: "公众号", Type: "wxmp", Config: config.Values{"url": u, "client_id": "i", "client_secret": "s", "application_key": "k"}},
		{Name: "记录", Type: "log"},
	}})
	return a
}

func img(data []byte) []model.Attachment { return []model.Attachment{{Kind: "image", Data: data}} }

func queued(t *testing.T, a *App) []model.Message {
	t.Helper()
	ms, err := a.db.Messages(context.Background(), model.MessageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// Everything a channel cannot carry, and every malformed attachment or
// mention, is refused in the reply, with the code and a Chinese reason
// naming the channel, and nothing is queued.
func TestSend_Extras_RefusedBeforeQueueing(t *testing.T) {
	a := extrasApp(t)
	ctx := context.Background()
	caller := model.Caller{Name: "erp"}
	at := []model.Mention{{ID: "10001"}}
	fileURL := []model.Attachment{{Kind: "file", Name: "a.pdf", URL: "https://erp.example.com/a.pdf"}}
	imgURL := []model.Attachment{{Kind: "image", URL: "https://erp.example.com/a.png"}}
	big := bytes.Repeat([]byte{1}, 6<<20)
	tests := []struct {
		name     string
		req      SendRequest
		wantCode int
		wantMsg  []string
	}{
		// What the type does not carry (Extras).
		{"wxmp: mention", SendRequest{Channel: "公众号", QQ: "openid", Content: "x", At: at}, model.CodeUnsupported, []string{"通道“公众号”", "不支持发送@成员", "该通道只能发送文字"}},
		{"onebot: mention of a name, not a QQ number", SendRequest{Channel: "qq", Group: "123", Content: "x", At: []model.Mention{{ID: "zhangsan"}}}, model.CodeUnsupported, []string{"通道“qq”", "只能 @ QQ 号或 all"}},
		{"onebot: file", SendRequest{Channel: "qq", QQ: "1", Attachments: fileURL}, model.CodeUnsupported, []string{"不支持发送文件"}},
		{"openqq: image", SendRequest{Channel: "webqq", QQ: "1", Content: "x", Attachments: imgURL}, model.CodeUnsupported, []string{"通道“webqq”", "不支持发送图片"}},
		{"wxmp: image", SendRequest{Channel: "公众号", QQ: "openid", Content: "x", Attachments: imgURL}, model.CodeUnsupported, []string{"通道“公众号”", "不支持发送图片"}},
		{"dingtalk: uploaded image", SendRequest{Channel: "钉钉群", Attachments: img(testPNG)}, model.CodeUnsupported, []string{"通道“钉钉群”（钉钉群机器人）", "上传的图片数据", "图片（仅 http(s) 网址）"}},
		{"dingtalk: file", SendRequest{Channel: "钉钉群", Content: "x", Attachments: fileURL}, model.CodeUnsupported, []string{"不支持发送文件"}},
		{"feishu: image", SendRequest{Channel: "飞书群", Content: "x", Attachments: imgURL}, model.CodeUnsupported, []string{"通道“飞书群”", "不支持发送图片", "@成员"}},
		{"feishu: file", SendRequest{Channel: "飞书群", Attachments: fileURL}, model.CodeUnsupported, []string{"不支持发送文件"}},
		{"xuanxuan: mention", SendRequest{Channel: "喧喧", QQ: "1", Content: "x", At: at}, model.CodeUnsupported, []string{"不支持发送@成员"}},
		{"log: mention in a private message", SendRequest{Channel: "记录", QQ: "1", Content: "x", At: at}, model.CodeUnsupported, []string{"通道“记录”", "只能用在群消息中"}},
		// The connector's finer rules (CheckExtras).
		{"wecom: GIF image", SendRequest{Channel: "企微群", Attachments: img(testGIF)}, model.CodeUnsupported, []string{"通道“企微群”", "只能是 PNG 或 JPG"}},
		{"wecom: image over 2 MB", SendRequest{Channel: "企微群", Attachments: img(append(append([]byte(nil), testPNG...), make([]byte, 2<<20)...))}, model.CodeUnsupported, []string{"超过 2 MB"}},
		{"wecom markdown: mention by mobile", SendRequest{Channel: "企微md", Content: "x", At: []model.Mention{{ID: "13800001111"}}}, model.CodeUnsupported, []string{"只能按 userid"}},
		{"wecom: mention without text", SendRequest{Channel: "企微群", At: at, Attachments: img(testPNG)}, model.CodeUnsupported, []string{"请同时填写 content"}},
		{"gewe: uploaded file", SendRequest{Channel: "wx", Group: "1@chatroom", Content: "x", Attachments: []model.Attachment{{Kind: "file", Name: "a.pdf", Data: testPDF}}}, model.CodeUnsupported, []string{"通道“wx”", "GeWe 只能按网址发送图片/文件"}},
		{"gewe: uploaded image", SendRequest{Channel: "wx", Group: "1@chatroom", Attachments: img(testPNG)}, model.CodeUnsupported, []string{"通道“wx”（个人微信 (GeWe)）", "上传的图片数据"}},
		{"xuanxuan: uploaded file", SendRequest{Channel: "喧喧", QQ: "1", Attachments: []model.Attachment{{Kind: "file", Name: "a.pdf", Data: testPDF}}}, model.CodeUnsupported, []string{"通道“喧喧”", "只能发送链接"}},
		// Malformed, whatever the channel.
		{"over 10 MiB in all", SendRequest{Channel: "记录", QQ: "1", Attachments: []model.Attachment{{Kind: "file", Data: big}, {Kind: "file", Data: big}}}, model.CodeTooLarge, []string{"超过每条消息 10 MiB"}},
		{"unknown kind", SendRequest{Channel: "记录", QQ: "1", Attachments: []model.Attachment{{Kind: "video", URL: "https://h/v.mp4"}}}, model.CodeBadRequest, []string{"image（图片）或 file（文件）"}},
		{"ftp URL", SendRequest{Channel: "记录", QQ: "1", Attachments: []model.Attachment{{Kind: "file", URL: "ftp://h/a.pdf"}}}, model.CodeBadRequest, []string{"http:// 或 https://"}},
		{"file:// URL", SendRequest{Channel: "记录", QQ: "1", Attachments: []model.Attachment{{Kind: "file", URL: "file:///etc/passwd"}}}, model.CodeBadRequest, []string{"http:// 或 https://"}},
		{"name with a folder", SendRequest{Channel: "记录", QQ: "1", Attachments: []model.Attachment{{Kind: "file", Name: "../../a.pdf", Data: testPDF}}}, model.CodeBadRequest, []string{"只填文件名"}},
		{"name with a backslash", SendRequest{Channel: "记录", QQ: "1", Attachments: []model.Attachment{{Kind: "file", Name: `C:\a.pdf`, Data: testPDF}}}, model.CodeBadRequest, []string{"只填文件名"}},
		{"name with a control character", SendRequest{Channel: "记录", QQ: "1", Attachments: []model.Attachment{{Kind: "file", Name: "a\x07.pdf", Data: testPDF}}}, model.CodeBadRequest, []string{"控制字符"}},
		{"name too long", SendRequest{Channel: "记录", QQ: "1", Attachments: []model.Attachment{{Kind: "file", Name: strings.Repeat("名", 70), Data: testPDF}}}, model.CodeBadRequest, []string{"太长"}},
		{"image bytes that are no image", SendRequest{Channel: "记录", QQ: "1", Attachments: img(testPDF)}, model.CodeBadRequest, []string{"不是 PNG、JPEG、GIF 或 WEBP 图片"}},
		{"both URL and bytes", SendRequest{Channel: "记录", QQ: "1", Attachments: []model.Attachment{{Kind: "image", URL: "https://h/a.png", Data: testPNG}}}, model.CodeBadRequest, []string{"只给一种"}},
		{"neither URL nor bytes", SendRequest{Channel: "记录", QQ: "1", Content: "x", Attachments: []model.Attachment{{Kind: "image"}}}, model.CodeBadRequest, []string{"没有内容"}},
		{"empty bytes", SendRequest{Channel: "记录", QQ: "1", Attachments: []model.Attachment{{Kind: "file", Data: []byte{}}}}, model.CodeBadRequest, []string{"数据是空的"}},
		{"too many attachments", SendRequest{Channel: "记录", QQ: "1", Attachments: make([]model.Attachment, model.MaxAttachments+1)}, model.CodeBadRequest, []string{"最多 10 个附件"}},
		{"mention with an empty id", SendRequest{Channel: "记录", Group: "1", Content: "x", At: []model.Mention{{ID: " "}}}, model.CodeBadRequest, []string{"空的成员"}},
		{"mentions alone are nothing to send", SendRequest{Channel: "记录", Group: "1", At: at}, model.CodeNothingToDo, []string{"消息内容为空"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.Send(ctx, caller, tt.req)
			var e *model.Error
			if !errors.As(err, &e) || e.Code != tt.wantCode {
				t.Fatalf("err = %v, want errcode %d", err, tt.wantCode)
			}
			for _, w := range tt.wantMsg {
				if !strings.Contains(e.Msg, w) {
					t.Errorf("message %q lacks %q", e.Msg, w)
				}
			}
		})
	}
	if ms := queued(t, a); len(ms) != 0 {
		t.Fatalf("%d refused messages were queued: %+v", len(ms), ms)
	}
}

// What a channel carries is accepted and queued with the message: the
// mentions, and each attachment named (by default after its bytes or its
// URL) with its size, in one commit; content may then be empty.
func TestSend_Extras_AcceptedAndStoredWithMessage(t *testing.T) {
	a := extrasApp(t)
	ctx := context.Background()
	caller := model.Caller{Name: "erp"}
	at := []model.Mention{{ID: "10001", Name: "张三"}, {ID: "all"}}
	tests := []struct {
		name     string
		req      SendRequest
		wantAt   []model.Mention
		wantInfo []model.AttachmentInfo
	}{
		{"log: group message with mentions, an image and a file", SendRequest{Channel: "记录", Group: "123", Content: "请审批",
			At:          []model.Mention{{ID: " 10001 ", Name: "张三"}, {ID: "ALL"}, {ID: "10001"}},
			Attachments: []model.Attachment{{Kind: " Image ", Data: testPNG}, {Kind: "file", Name: "发票 3月.pdf", Data: testPDF}, {Kind: "file", URL: "https://erp.example.com/x/%E6%98%8E%E7%BB%86.xlsx?v=1"}}},
			at, []model.AttachmentInfo{{Kind: "image", Name: "image.png", Size: len(testPNG)}, {Kind: "file", Name: "发票 3月.pdf", Size: len(testPDF)},
				{Kind: "file", Name: "明细.xlsx", URL: "https://erp.example.com/x/%E6%98%8E%E7%BB%86.xlsx?v=1"}}},
		{"wecom: a PNG alone", SendRequest{Channel: "企微群", Attachments: img(testPNG)}, nil,
			[]model.AttachmentInfo{{Kind: "image", Name: "image.png", Size: len(testPNG)}}},
		{"wecom: text with mentions and a file", SendRequest{Channel: "企微群", Content: "发票", At: []model.Mention{{ID: "zhangsan"}, {ID: "13800001111"}},
			Attachments: []model.Attachment{{Kind: "file", Data: testPDF}}}, []model.Mention{{ID: "zhangsan"}, {ID: "13800001111"}},
			[]model.AttachmentInfo{{Kind: "file", Name: "file.pdf", Size: len(testPDF)}}},
		{"dingtalk: image link with a mention", SendRequest{Channel: "钉钉群", At: []model.Mention{{ID: "13800001111"}}, Attachments: []model.Attachment{{Kind: "image", URL: "https://erp.example.com/"}}},
			[]model.Mention{{ID: "13800001111"}}, []model.AttachmentInfo{{Kind: "image", Name: "image", URL: "https://erp.example.com/"}}},
		{"feishu: mention", SendRequest{Channel: "飞书群", Content: "x", At: []model.Mention{{ID: "ou_1"}}}, []model.Mention{{ID: "ou_1"}}, nil},
		{"onebot: group message with mentions and an image", SendRequest{Channel: "qq", Group: "123", Content: "到货", At: at, Attachments: img(testPNG)},
			at, []model.AttachmentInfo{{Kind: "image", Name: "image.png", Size: len(testPNG)}}},
		{"xuanxuan: file link", SendRequest{Channel: "喧喧", QQ: "1", Attachments: []model.Attachment{{Kind: "file", Name: "a.pdf", URL: "https://erp.example.com/a.pdf"}}},
			nil, []model.AttachmentInfo{{Kind: "file", Name: "a.pdf", URL: "https://erp.example.com/a.pdf"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := a.Send(ctx, caller, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			m, err := a.Message(ctx, caller, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m.At, tt.wantAt) {
				t.Errorf("At = %+v, want %+v", m.At, tt.wantAt)
			}
			for i := range m.Attachments {
				m.Attachments[i].SHA256 = "" // checked by storage's tests
			}
			if !reflect.DeepEqual(m.Attachments, tt.wantInfo) {
				t.Errorf("attachments = %+v\nwant %+v", m.Attachments, tt.wantInfo)
			}
			stored, err := a.db.Attachments(ctx, e.ID)
			if err != nil || len(stored) != len(tt.req.Attachments) {
				t.Fatalf("stored attachments %v, %v", stored, err)
			}
			for i, s := range stored {
				if !bytes.Equal(s.Data, tt.req.Attachments[i].Data) {
					t.Errorf("attachment %d bytes changed", i)
				}
			}
		})
	}
	// The caller's request is not changed by the normalization.
	req := SendRequest{Channel: "记录", QQ: "1", Attachments: []model.Attachment{{Kind: " Image ", Data: testPNG}}}
	if _, err := a.Send(ctx, caller, req); err != nil || req.Attachments[0].Kind != " Image " || req.Attachments[0].Name != "" {
		t.Fatalf("request after Send: %+v, %v", req.Attachments[0], err)
	}
}

// End to end: a send with mentions, an image and a file, accepted by
// app.Send, stored, and delivered by the running outbox through the WeCom
// robot connector as its documented posts, text first.
func TestSend_Extras_DeliveredThroughTheOutbox(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	var bodies []string
	robot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		paths, bodies = append(paths, r.URL.Path), append(bodies, string(b))
		mu.Unlock()
		if r.URL.Path == "/cgi-bin/webhook/upload_media" {
			io.WriteString(w, `{"errcode":0,"errmsg":"ok","type":"file","media_id":"MID1"}`)
			return
		}
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	defer robot.Close()
	a := openServeApp(t, filepath.Join(t.TempDir(), "botgate.db"), fmt.Sprintf("127.0.0.1:%d", freePort(t)))
	mustImport(t, a, config.File{Channels: []config.Channel{{Name: "群", Type: "wecom", Config: config.Values{"url": robot.URL + "/cgi-bin/webhook/send?key=K"}}}})
	if _, err := a.StartServer(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e, err := a.Send(ctx, model.Caller{Name: "erp"}, SendRequest{Channel: "群", Content: "请审批", At: []model.Mention{{ID: "zhangsan"}},
		Attachments: []model.Attachment{{Kind: "image", Data: testPNG}, {Kind: "file", Name: "发票.pdf", Data: testPDF}}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "delivered", func() bool {
		m, err := a.Message(ctx, model.Caller{Name: "erp"}, e.ID)
		return err == nil && m.Status == model.StatusDelivered
	})
	mu.Lock()
	defer mu.Unlock()
	want := []string{"/cgi-bin/webhook/upload_media", "/cgi-bin/webhook/send", "/cgi-bin/webhook/send", "/cgi-bin/webhook/send"}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Fatalf("requests %v, want %v", paths, want)
	}
	for i, w := range []string{`"mentioned_list":["zhangsan"]`, `"msgtype":"image"`, `"media_id":"MID1"`} {
		if !strings.Contains(bodies[i+1], w) {
			t.Errorf("post %d = %s, want %s", i+1, bodies[i+1], w)
		}
	}
	if !strings.Contains(bodies[0], string(testPDF)) {
		t.Errorf("upload does not carry the file: %q", bodies[0])
	}
}
