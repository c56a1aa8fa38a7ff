package e2e_test

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"botgate/model"
)

// Mentions and attachments from an ERP's HTTP call to the platform's
// request: QQAP and native decoding, app's checks, the outbox (the bytes
// stored and read back), the connector's mapping, a fake platform.

var (
	// A PNG's signature and header, then bytes whose base64 has + and /.
	chartPNG   = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 0xfb, 0xef, 0xff, 0xfe, 0x3e, 0x00, 1, 2, 3)
	invoicePDF = []byte("%PDF-1.4\n发票 2024-001\n")
)

// post is one request a fake platform received.
type post struct {
	Path string
	Body map[string]any // a JSON body
	File string         // an upload's file name
	Data []byte         // an upload's bytes
}

// fakePlatform is a WeCom and DingTalk robot in one: it records the posts to
// the webhooks, answers upload_media with a media_id as WeCom does, and
// serves /files/ for URL attachments.
type fakePlatform struct {
	mu    sync.Mutex
	posts []post
}

func (f *fakePlatform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/files/") {
		if r.URL.Path != "/files/invoice.pdf" {
			http.NotFound(w, r)
			return
		}
		w.Write(invoicePDF)
		return
	}
	p := post{Path: r.URL.Path}
	if strings.HasSuffix(r.URL.Path, "/upload_media") {
		// WeCom's robot guide: multipart field "media", filename and filelength.
		_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		part, err := multipart.NewReader(r.Body, params["boundary"]).NextPart()
		if err != nil || part.FormName() != "media" {
			http.Error(w, "bad upload", http.StatusBadRequest)
			return
		}
		p.File = part.FileName()
		p.Data, _ = io.ReadAll(part)
	} else if err := json.NewDecoder(r.Body).Decode(&p.Body); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.posts = append(f.posts, p)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if p.File != "" {
		io.WriteString(w, `{"errcode":0,"errmsg":"ok","type":"file","media_id":"3a8asd892asd8asd","created_at":"1380000000"}`)
		return
	}
	io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
}

// take returns and forgets the posts so far.
func (f *fakePlatform) take() []post {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.posts
	f.posts = nil
	return p
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// jsonOf decodes s as a test's expected body.
func jsonOf(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return m
}

func extrasEnv(t *testing.T) (*env, *fakePlatform, string) {
	t.Helper()
	e := start(t)
	fake := &fakePlatform{}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	cfg, _ := json.Marshal(map[string]any{"channels": []map[string]any{
		{"name": "企业微信群", "type": "wecom", "config": map[string]string{"url": srv.URL + "/cgi-bin/webhook/send?key=k"}},
		{"name": "钉钉群", "type": "dingtalk", "config": map[string]string{"url": srv.URL + "/robot/send?access_token=t"}},
		{"name": "飞书群", "type": "feishu", "config": map[string]string{"url": srv.URL + "/open-apis/bot/v2/hook/h"}},
		{"name": "qq", "type": "onebot", "config": map[string]string{"url": srv.URL}},
	}})
	e.ImportJSON(string(cfg))
	return e, fake, srv.URL
}

func nativeSend(t *testing.T, e *env, body string) (int, map[string]any) {
	t.Helper()
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("demo:"+e.Password))
	status, raw := e.Request("POST", "/api/v1/messages", "application/json", body, "Authorization", basic)
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("HTTP %d %s", status, raw)
	}
	return status, m
}

func TestExtras_HTTPToPlatform_MentionsAndAttachmentsArriveAsDocumented(t *testing.T) {
	e, fake, base := extrasEnv(t)
	img64 := base64.StdEncoding.EncodeToString(chartPNG)
	imagePost := fmt.Sprintf(`{"msgtype":"image","image":{"base64":%q,"md5":%q}}`, img64, md5hex(chartPNG))

	t.Run("QQAP GET to WeCom: at and an image as base64", func(t *testing.T) {
		q := e.Auth()
		q.Set("channel", "企业微信群")
		q.Set("content", "今日销售，请审批")
		q.Set("at", "zhangsan,13800001111:张三,all")
		// The + of the base64 left unencoded, as a hand-built ERP URL has it.
		raw := q.Encode() + "&image=base64://" + strings.ReplaceAll(url.QueryEscape(img64), "%2B", "+")
		env, reply := e.QQAP("GET", raw, "", "")
		if env.Errcode != 0 {
			t.Fatalf("reply %s", reply)
		}
		e.WaitStatus(env.MsgID, model.StatusDelivered)
		got := fake.take()
		want := []post{
			{Path: "/cgi-bin/webhook/send", Body: jsonOf(t, `{"msgtype":"text","text":{"content":"今日销售，请审批","mentioned_list":["zhangsan","@all"],"mentioned_mobile_list":["13800001111"]}}`)},
			{Path: "/cgi-bin/webhook/send", Body: jsonOf(t, imagePost)},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("posts\n got %+v\nwant %+v", got, want)
		}
	})

	t.Run("native POST to WeCom: at, image data and a file by URL", func(t *testing.T) {
		status, m := nativeSend(t, e, fmt.Sprintf(`{"channel":"企业微信群","content":"发票已开","at":["lisi"],
			"attachments":[{"kind":"image","name":"chart.png","data":%q},{"kind":"file","name":"发票.pdf","url":%q}]}`, img64, base+"/files/invoice.pdf"))
		if status != http.StatusAccepted {
			t.Fatalf("HTTP %d %v", status, m)
		}
		e.WaitStatus(int64(m["id"].(float64)), model.StatusDelivered)
		got := fake.take()
		want := []post{
			{Path: "/cgi-bin/webhook/upload_media", File: "发票.pdf", Data: invoicePDF},
			{Path: "/cgi-bin/webhook/send", Body: jsonOf(t, `{"msgtype":"text","text":{"content":"发票已开","mentioned_list":["lisi"]}}`)},
			{Path: "/cgi-bin/webhook/send", Body: jsonOf(t, imagePost)},
			{Path: "/cgi-bin/webhook/send", Body: jsonOf(t, `{"msgtype":"file","file":{"media_id":"3a8asd892asd8asd"}}`)},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("posts\n got %+v\nwant %+v", got, want)
		}
	})

	t.Run("QQAP POST JSON to DingTalk: image URLs in an array, a mention by mobile", func(t *testing.T) {
		env, reply := e.QQAP("POST", e.Auth().Encode(), "application/json",
			`{"channel":"钉钉群","content":"今日销售","at":"13800001111","image":["https://erp.example.com/chart.png"]}`)
		if env.Errcode != 0 {
			t.Fatalf("reply %s", reply)
		}
		e.WaitStatus(env.MsgID, model.StatusDelivered)
		got := fake.take()
		want := []post{{Path: "/robot/send", Body: jsonOf(t,
			`{"msgtype":"markdown","markdown":{"title":"今日销售","text":"今日销售 @13800001111\n\n![chart.png](https://erp.example.com/chart.png)"},"at":{"atMobiles":["13800001111"]}}`)}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("posts\n got %+v\nwant %+v", got, want)
		}
	})
}

// TestExtras_HTTP_WhatAChannelCannotCarry_RefusedBeforeQueueing: 4007 with
// the channel's name in the QQAP reply and HTTP 422 natively; nothing
// reaches the platform or the outbox.
func TestExtras_HTTP_WhatAChannelCannotCarry_RefusedBeforeQueueing(t *testing.T) {
	e, fake, _ := extrasEnv(t)
	img64 := base64.StdEncoding.EncodeToString(chartPNG)
	tests := []struct {
		name, channel, qq, at, image string
		wantIn                       []string
	}{
		{"uploaded image to DingTalk", "钉钉群", "", "", "base64://" + img64, []string{"钉钉群", "http(s) 网址"}},
		{"image to Feishu", "飞书群", "", "", "https://erp/a.png", []string{"飞书群", "图片"}},
		{"mention of a name to QQ", "qq", "", "zhangsan", "", []string{"qq", "不是 QQ 号"}},
		{"GIF to WeCom", "企业微信群", "", "", "base64://" + base64.StdEncoding.EncodeToString([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")), []string{"企业微信群", "PNG 或 JPG"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := e.Auth()
			q.Set("channel", tt.channel)
			q.Set("group", "20002")
			q.Set("content", "x")
			if tt.at != "" {
				q.Set("at", tt.at)
			}
			if tt.image != "" {
				q.Set("image", tt.image)
			}
			env, reply := e.QQAP("GET", q.Encode(), "", "")
			if env.Errcode != model.CodeUnsupported || env.MsgID != 0 {
				t.Fatalf("QQAP reply %s", reply)
			}
			for _, w := range tt.wantIn {
				if !strings.Contains(env.Errmsg, w) {
					t.Errorf("%q lacks %q", env.Errmsg, w)
				}
			}
			body, _ := json.Marshal(map[string]any{"channel": tt.channel, "to": "20002", "type": "group", "content": "x", "at": tt.at,
				"attachments": attachmentsOf(tt.image)})
			if status, m := nativeSend(t, e, string(body)); status != http.StatusUnprocessableEntity || m["errcode"] != float64(model.CodeUnsupported) {
				t.Fatalf("native: HTTP %d %v", status, m)
			}
		})
	}
	if got := fake.take(); len(got) != 0 {
		t.Fatalf("the platform got %d posts", len(got))
	}
	if ms, err := e.App.DB().Messages(context.Background(), model.MessageFilter{}); err != nil || len(ms) != 0 {
		t.Fatalf("queued %d (%v)", len(ms), err)
	}
}

// attachmentsOf is a QQAP image value as native attachments.
func attachmentsOf(image string) []map[string]string {
	switch {
	case image == "":
		return nil
	case strings.HasPrefix(image, "base64://"):
		return []map[string]string{{"kind": "image", "data": strings.TrimPrefix(image, "base64://")}}
	}
	return []map[string]string{{"kind": "image", "url": image}}
}
