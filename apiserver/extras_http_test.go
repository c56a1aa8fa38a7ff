package apiserver_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"botgate/apiserver"
	"botgate/model"
)

// A send's mentions and attachments over real HTTP, into the demo's log
// channel (which takes every extra): stored with the message, shown by the
// status API, and bounded by the message's own limit whatever the form.

// pngOf is n bytes that sniff as a PNG: the signature and random bytes, so
// that their base64 holds + and / as real image data does.
func pngOf(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	copy(b, "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// native calls the native API as the demo user.
func native(e *env, method, path, body string, header ...string) (int, string) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("demo:"+e.Password))
	return e.Request(method, path, "application/json", body, append([]string{"Authorization", basic}, header...)...)
}

// view is GET /api/v1/messages/{id}'s reply, as far as these tests read it.
type view struct {
	ID          int64                  `json:"id"`
	Status      string                 `json:"status"`
	At          []model.Mention        `json:"at"`
	Attachments []model.AttachmentInfo `json:"attachments"`
}

func TestSend_AtAndImage_EachEndpoint_StoredAndShownByStatus(t *testing.T) {
	e := start(t)
	img := pngOf(t, 3000)
	b64 := base64.StdEncoding.EncodeToString(img)
	wantAt := []model.Mention{{ID: "10001", Name: "张三"}, {ID: "all"}}
	wantAtt := []model.AttachmentInfo{{Kind: "image", Name: "image.png", Size: len(img), SHA256: sha(img)}}

	q := e.Auth()
	q.Set("group", "20002")
	q.Set("content", "请审批")
	q.Set("at", "10001:张三,all")
	q.Set("image", "base64://"+b64)
	form := e.Auth()
	form.Set("group", "20002")
	form.Set("at", "10001:张三,all")
	form.Set("image", "base64://"+b64)
	jsonBody, _ := json.Marshal(map[string]any{"group": "20002", "at": []string{"10001:张三", "all"}, "image": []string{"base64://" + b64}})
	tests := []struct {
		name                     string
		method, query, ctype, in string
	}{
		{"QQAP GET", "GET", q.Encode(), "", ""},
		{"QQAP POST form, image only", "POST", "", "application/x-www-form-urlencoded", form.Encode()},
		{"QQAP POST JSON", "POST", e.Auth().Encode(), "application/json", string(jsonBody)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, raw := e.QQAP(tt.method, tt.query, tt.ctype, tt.in)
			if env.Errcode != 0 || env.MsgID == 0 {
				t.Fatalf("reply %s", raw)
			}
			e.WaitStatus(env.MsgID, model.StatusDelivered)
			m, err := e.App.DB().Message(context.Background(), env.MsgID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m.At, wantAt) || !reflect.DeepEqual(m.Attachments, wantAtt) || m.TargetKind != "group" {
				t.Fatalf("stored at %+v attachments %+v kind %s", m.At, m.Attachments, m.TargetKind)
			}
			atts, err := e.App.DB().Attachments(context.Background(), env.MsgID)
			if err != nil || len(atts) != 1 || sha(atts[0].Data) != sha(img) {
				t.Fatalf("stored bytes differ: %v", err)
			}
		})
	}
	// The request log keeps the GET's path without the image data.
	l := waitRequestLog(t, e, "content=")
	if strings.Contains(l.Path, url.QueryEscape(b64[:40])) || len(l.Path) > 500 || !strings.Contains(l.Path, "字节已省略") {
		t.Fatalf("request log path keeps the image (%d bytes): %.200s", len(l.Path), l.Path)
	}

	t.Run("native POST with at and attachments, then GET its status", func(t *testing.T) {
		body := fmt.Sprintf(`{"to":"20002","type":"group","content":"请审批","at":["10001:张三","all"],
			"attachments":[{"kind":"image","name":"图表.png","data":%q},{"kind":"file","name":"发票.pdf","data":%q}]}`,
			b64, base64.StdEncoding.EncodeToString([]byte("%PDF-1.4\n发票")))
		status, raw := native(e, "POST", "/api/v1/messages", body)
		var v view
		if err := json.Unmarshal([]byte(raw), &v); status != http.StatusAccepted || err != nil {
			t.Fatalf("HTTP %d %s", status, raw)
		}
		want := []model.AttachmentInfo{{Kind: "image", Name: "图表.png", Size: len(img), SHA256: sha(img)},
			{Kind: "file", Name: "发票.pdf", Size: len("%PDF-1.4\n发票"), SHA256: sha([]byte("%PDF-1.4\n发票"))}}
		if !reflect.DeepEqual(v.At, wantAt) || !reflect.DeepEqual(v.Attachments, want) {
			t.Fatalf("POST reply %s", raw)
		}
		if strings.Contains(raw, b64[:40]) {
			t.Fatalf("the reply carries the bytes: %.300s", raw)
		}
		e.WaitStatus(v.ID, model.StatusDelivered)
		status, raw = native(e, "GET", fmt.Sprint("/api/v1/messages/", v.ID), "")
		var got view
		if err := json.Unmarshal([]byte(raw), &got); status != 200 || err != nil || got.Status != "delivered" ||
			!reflect.DeepEqual(got.At, wantAt) || !reflect.DeepEqual(got.Attachments, want) {
			t.Fatalf("GET HTTP %d %s", status, raw)
		}
	})
	t.Run("a plain message shows empty lists", func(t *testing.T) {
		status, raw := native(e, "POST", "/api/v1/messages", `{"to":"20002","content":"hi"}`)
		if status != http.StatusAccepted || !strings.Contains(raw, `"at":[]`) || !strings.Contains(raw, `"attachments":[]`) {
			t.Fatalf("HTTP %d %s", status, raw)
		}
	})
}

// TestSend_AttachmentSize_LimitIsTheMessagesInEveryForm: an image of exactly
// 10 MiB gets through a GET URL, a form, a QQAP JSON body and a native body
// (neither the header limit nor the body cap is lower); one byte more is
// errcode 4001 saying the 10 MiB rule, and a body beyond the send cap is
// 4001 naming both. Other endpoints keep their 1 MiB cap.
func TestSend_AttachmentSize_LimitIsTheMessagesInEveryForm(t *testing.T) {
	e := start(t)
	atLimit := pngOf(t, model.MaxAttachmentBytes)
	over := append(atLimit[:len(atLimit):len(atLimit)], 0)
	send := func(form string, data []byte) (code int, msg string) {
		t.Helper()
		b64 := base64.StdEncoding.EncodeToString(data)
		switch form {
		case "GET":
			q := e.Auth()
			q.Set("QQ", "10001")
			q.Set("image", "base64://"+b64)
			env, _ := e.QQAP("GET", q.Encode(), "", "")
			return env.Errcode, env.Errmsg
		case "form":
			q := e.Auth()
			q.Set("QQ", "10001")
			q.Set("image", "base64://"+b64)
			env, _ := e.QQAP("POST", "", "application/x-www-form-urlencoded", q.Encode())
			return env.Errcode, env.Errmsg
		case "QQAP JSON":
			env, _ := e.QQAP("POST", e.Auth().Encode(), "application/json", `{"qq":"10001","image":"base64://`+b64+`"}`)
			return env.Errcode, env.Errmsg
		}
		status, raw := native(e, "POST", "/api/v1/messages", `{"to":"10001","attachments":[{"kind":"image","data":"`+b64+`"}]}`)
		var r struct {
			Errcode int    `json:"errcode"`
			Errmsg  string `json:"errmsg"`
		}
		json.Unmarshal([]byte(raw), &r)
		if (r.Errcode == 0) != (status == http.StatusAccepted) || (r.Errcode == model.CodeTooLarge) != (status == http.StatusRequestEntityTooLarge) {
			t.Errorf("native: HTTP %d for errcode %d", status, r.Errcode)
		}
		return r.Errcode, r.Errmsg
	}
	for _, form := range []string{"GET", "form", "QQAP JSON", "native"} {
		t.Run(form, func(t *testing.T) {
			if code, msg := send(form, atLimit); code != 0 {
				t.Fatalf("10 MiB image: errcode %d %s", code, msg)
			}
			if code, msg := send(form, over); code != model.CodeTooLarge || !strings.Contains(msg, "10 MiB") {
				t.Fatalf("10 MiB + 1 byte: errcode %d %q, want 4001 naming 10 MiB", code, msg)
			}
		})
	}
	t.Run("body beyond the send cap", func(t *testing.T) {
		huge := strings.Repeat("A", apiserver.MaxSendBody)
		status, raw := native(e, "POST", "/api/v1/messages", `{"to":"10001","attachments":[{"kind":"image","data":"`+huge+`"}]}`)
		if status != http.StatusRequestEntityTooLarge || !strings.Contains(raw, "16 MiB") || !strings.Contains(raw, "10 MiB") {
			t.Fatalf("HTTP %d %.300s", status, raw)
		}
	})
	t.Run("other endpoints keep 1 MiB", func(t *testing.T) {
		status, raw := native(e, "POST", "/api/v1/templates/%E8%B4%A6%E5%8F%B7/run", `{"args":["`+strings.Repeat("x", apiserver.MaxBody)+`"]}`)
		if status != http.StatusRequestEntityTooLarge || !strings.Contains(raw, fmt.Sprint(apiserver.MaxBody, " 字节")) {
			t.Fatalf("HTTP %d %.300s", status, raw)
		}
	})
}

// TestSend_ExtrasTheChannelCannotCarry_RefusedInTheReply: the decoded
// request reaches app's support check: a mention in a private message is
// 4007 (HTTP 422) whichever endpoint, and nothing is queued.
func TestSend_ExtrasTheChannelCannotCarry_RefusedInTheReply(t *testing.T) {
	e := start(t)
	q := e.Auth()
	q.Set("QQ", "10001")
	q.Set("content", "hi")
	q.Set("at", "10002")
	env, raw := e.QQAP("GET", q.Encode(), "", "")
	if env.Errcode != model.CodeUnsupported || !strings.Contains(env.Errmsg, "群消息") || env.MsgID != 0 {
		t.Fatalf("QQAP: %s", raw)
	}
	status, raw := native(e, "POST", "/api/v1/messages", `{"to":"10001","content":"hi","at":"10002"}`)
	if status != http.StatusUnprocessableEntity || !strings.Contains(raw, `"errcode":4007`) {
		t.Fatalf("native: HTTP %d %s", status, raw)
	}
	// A mention alone is not a message.
	q.Del("content")
	q.Set("group", "20002")
	if env, raw = e.QQAP("GET", q.Encode(), "", ""); env.Errcode != model.CodeNothingToDo {
		t.Fatalf("at alone: %s", raw)
	}
	if ms, err := e.App.DB().Messages(context.Background(), model.MessageFilter{}); err != nil || len(ms) != 0 {
		t.Fatalf("queued %d (%v)", len(ms), err)
	}
}
