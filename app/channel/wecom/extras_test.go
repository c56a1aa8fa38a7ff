package wecom

import (
	"botgate/model"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
)

var (
	pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{7}, 40)...)
	gifBytes = []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")
	pdfBytes = []byte("%PDF-1.4\n发票内容")
)

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// fakeRobot answers uploads with a media_id, serves /files/* as downloads,
// and accepts every post.
func fakeRobot(c ct.Call) ct.Reply {
	switch {
	case c.Path == "/cgi-bin/webhook/upload_media":
		return ct.JSON(`{"errcode":0,"errmsg":"ok","type":"file","media_id":"3a8asd892asd8asd","created_at":"1380000000"}`)
	case c.Path == "/files/chart.png":
		return ct.Reply{Body: string(pngBytes)}
	case c.Path == "/files/anim.gif":
		return ct.Reply{Body: string(gifBytes)}
	case c.Path == "/files/invoice.pdf":
		return ct.Reply{Body: string(pdfBytes)}
	case strings.HasPrefix(c.Path, "/files/"):
		return ct.Reply{Status: http.StatusNotFound}
	}
	return ct.JSON(ok)
}

func TestSend_Extras_BuildsDocumentedRequests(t *testing.T) {
	imgJSON := `{"msgtype":"image","image":{"base64":"` + base64.StdEncoding.EncodeToString(pngBytes) + `","md5":"` + md5hex(pngBytes) + `"}}`
	fileJSON := `{"msgtype":"file","file":{"media_id":"3a8asd892asd8asd"}}`
	tests := []struct {
		name      string
		vals      map[string]string
		msg       func(base string) channel.Message
		wantPaths []string // posts in order; "" is the webhook itself
		wantPosts []string // JSON of each post to the webhook, in order
	}{
		{"text mentions by userid, mobile and all", map[string]string{"mentioned_list": "wangqing"},
			func(string) channel.Message {
				return channel.Message{Content: "请审批", At: []model.Mention{{ID: "zhangsan", Name: "张三"}, {ID: "13800001111"}, {ID: "all"}, {ID: "wangqing"}}}
			},
			nil, []string{`{"msgtype":"text","text":{"content":"请审批","mentioned_list":["wangqing","zhangsan","@all"],"mentioned_mobile_list":["13800001111"]}}`}},
		{"markdown mentions by <@userid> in the content", map[string]string{"format": "markdown"},
			func(string) channel.Message {
				return channel.Message{Content: "**请审批** <@lisi>", At: []model.Mention{{ID: "zhangsan"}, {ID: "lisi"}}}
			},
			nil, []string{`{"msgtype":"markdown","markdown":{"content":"**请审批** <@lisi> <@zhangsan>"}}`}},
		{"image bytes as base64 and md5", nil,
			func(string) channel.Message {
				return channel.Message{Attachments: []model.Attachment{{Kind: "image", Name: "image.png", Data: pngBytes}}}
			},
			nil, []string{imgJSON}},
		{"image URL fetched by BotGate", nil,
			func(base string) channel.Message {
				return channel.Message{Attachments: []model.Attachment{{Kind: "image", Name: "chart.png", URL: base + "/files/chart.png"}}}
			},
			[]string{"/files/chart.png"}, []string{imgJSON}},
		{"file uploaded, then posted by media_id", nil,
			func(string) channel.Message {
				return channel.Message{Attachments: []model.Attachment{{Kind: "file", Name: "发票.pdf", Data: pdfBytes}}}
			},
			[]string{"/cgi-bin/webhook/upload_media"}, []string{fileJSON}},
		{"text, then image, then file", nil,
			func(base string) channel.Message {
				return channel.Message{Content: "今日报表", At: []model.Mention{{ID: "zhangsan"}}, Attachments: []model.Attachment{
					{Kind: "image", Name: "chart.png", Data: pngBytes}, {Kind: "file", Name: "invoice.pdf", URL: base + "/files/invoice.pdf"}}}
			},
			[]string{"/files/invoice.pdf", "/cgi-bin/webhook/upload_media"},
			[]string{`{"msgtype":"text","text":{"content":"今日报表","mentioned_list":["zhangsan"]}}`, imgJSON, fileJSON}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, fakeRobot)
			ct.WantError(t, newConn(t, srv, tt.vals).Send(context.Background(), tt.msg(srv.URL)), false, "")
			var others []string
			var posts []ct.Call
			for _, c := range srv.Calls() {
				if c.Path == "/cgi-bin/webhook/send" {
					posts = append(posts, c)
				} else {
					others = append(others, c.Path)
				}
			}
			if strings.Join(others, " ") != strings.Join(tt.wantPaths, " ") {
				t.Errorf("other requests %v, want %v", others, tt.wantPaths)
			}
			if len(posts) != len(tt.wantPosts) {
				t.Fatalf("%d posts, want %d", len(posts), len(tt.wantPosts))
			}
			for i, p := range posts {
				p.Expect(t, http.MethodPost, "/cgi-bin/webhook/send", "application/json")
				ct.JSONEq(t, p.Body, tt.wantPosts[i])
			}
		})
	}
}

// The upload is the robot guide's multipart form: field media, the file
// name and length in its disposition, the key and type=file in the query.
func TestSend_File_UploadIsDocumentedMultipart(t *testing.T) {
	srv := ct.New(t, fakeRobot)
	err := newConn(t, srv, nil).Send(context.Background(), channel.Message{Attachments: []model.Attachment{{Kind: "file", Name: "发票.pdf", Data: pdfBytes}}})
	ct.WantError(t, err, false, "")
	up := srv.Calls()[0]
	up.Expect(t, http.MethodPost, "/cgi-bin/webhook/upload_media", "multipart/form-data")
	if up.Query.Get("key") != "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa" || up.Query.Get("type") != "file" {
		t.Errorf("upload query = %s", up.RawQuery)
	}
	_, params, err := mime.ParseMediaType(up.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	part, err := multipart.NewReader(bytes.NewReader(up.Body), params["boundary"]).NextPart()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(part)
	disp := part.Header.Get("Content-Disposition")
	if part.FormName() != "media" || part.FileName() != "发票.pdf" || !strings.Contains(disp, fmt.Sprintf("filelength=%d", len(pdfBytes))) || !bytes.Equal(got, pdfBytes) {
		t.Errorf("part %q (%s): %q", part.FormName(), disp, got)
	}
}

func TestSend_Extras_RefusedWithoutPost(t *testing.T) {
	big := append(append([]byte(nil), pngBytes...), make([]byte, MaxImage)...)
	tests := []struct {
		name      string
		vals      map[string]string
		msg       func(base string) channel.Message
		permanent bool
		wantMsg   string
	}{
		{"GIF image", nil, func(string) channel.Message {
			return channel.Message{Attachments: []model.Attachment{{Kind: "image", Name: "a.gif", Data: gifBytes}}}
		}, true, "只能是 PNG 或 JPG"},
		{"GIF image found at the URL", nil, func(base string) channel.Message {
			return channel.Message{Attachments: []model.Attachment{{Kind: "image", Name: "anim.gif", URL: base + "/files/anim.gif"}}}
		}, true, "只能是 PNG 或 JPG"},
		{"image over 2 MB", nil, func(string) channel.Message {
			return channel.Message{Attachments: []model.Attachment{{Kind: "image", Name: "big.png", Data: big}}}
		}, true, "超过 2 MB"},
		{"file under 5 bytes", nil, func(string) channel.Message {
			return channel.Message{Attachments: []model.Attachment{{Kind: "file", Name: "a.txt", Data: []byte("abc")}}}
		}, true, "5 字节"},
		{"mention without text", nil, func(string) channel.Message {
			return channel.Message{At: []model.Mention{{ID: "zhangsan"}}, Attachments: []model.Attachment{{Kind: "image", Name: "a.png", Data: pngBytes}}}
		}, true, "请同时填写 content"},
		{"markdown mention by mobile", map[string]string{"format": "markdown"}, func(string) channel.Message {
			return channel.Message{Content: "x", At: []model.Mention{{ID: "13800001111"}}}
		}, true, "只能按 userid"},
		{"download failing is retried", nil, func(base string) channel.Message {
			return channel.Message{Content: "先发的文字", Attachments: []model.Attachment{{Kind: "image", Name: "gone.png", URL: base + "/files/gone.png"}}}
		}, false, "HTTP 404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ct.New(t, fakeRobot)
			ct.WantError(t, newConn(t, srv, tt.vals).Send(context.Background(), tt.msg(srv.URL)), tt.permanent, tt.wantMsg)
			for _, c := range srv.Calls() {
				if c.Path == "/cgi-bin/webhook/send" || c.Path == "/cgi-bin/webhook/upload_media" {
					t.Errorf("refused message still reached the robot: %s %s", c.Path, c.Body)
				}
			}
		})
	}
}

// An upload the robot refuses fails the message with WeCom's reason, before anything is posted.
func TestSend_File_UploadRefused_NothingPosted(t *testing.T) {
	srv := ct.New(t, func(c ct.Call) ct.Reply {
		if c.Path == "/cgi-bin/webhook/upload_media" {
			return ct.JSON(`{"errcode":93000,"errmsg":"invalid webhook url"}`)
		}
		return ct.JSON(ok)
	})
	err := newConn(t, srv, nil).Send(context.Background(), channel.Message{Content: "附件", Attachments: []model.Attachment{{Kind: "file", Name: "a.pdf", Data: pdfBytes}}})
	ct.WantError(t, err, true, "93000")
	if n := len(srv.Calls()); n != 1 {
		t.Fatalf("%d requests, want only the refused upload", n)
	}
}
