package apiserver

import (
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeQQAP: no query string, body or content type panics the decoder,
// and whatever it accepts is valid UTF-8 with at most 9 arguments.
func FuzzDecodeQQAP(f *testing.F) {
	seeds := []struct{ query, ctype, body string }{
		{"Access_token=x&user=admin&QQ=350310976&group=350310976&content=%E6%B5%8B&keyword=%E8%B4%A6%E5%8F%B7", "", ""},
		{"Access_token=x&user=admin", "application/json", `{"qq": "350310976", "group": "", "content": "信息内容", "Keyword": "账号", "data": [{"content": "admin"}, {"content": "350310976"}]}`},
		{"", "application/x-www-form-urlencoded", "Access_token=x&user=a&keyword=k&data=1&data=2"},
		{"data=%5B%7B%22content%22%3A1%7D%5D", "", ""},
		{"", "application/json", `{"data":[1,2.5,true,null,{"CONTENT":"x"}]}`},
		{"", "text/plain", `{"qq": 350310976}`},
		{"%zz", "", ""},
		{"", "application/json", "{\"content\":\"\xff\"}"},
		{"at=a:%E5%BC%A0,all&image=base64://iVBORw0KGgo=&image=http://a/b.png", "", ""},
		{"", "application/json", `{"at":["a",1],"image":["base64://iVBOR w0K\r\nGgo","https://x"]}`},
		{"", "application/x-www-form-urlencoded", "image=base64://iVBOR+w0KGgo&image=data:x"},
	}
	for _, s := range seeds {
		f.Add(s.query, s.ctype, s.body)
	}
	f.Fuzz(func(t *testing.T, query, ctype, body string) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", ctype)
		q, err := DecodeQQAP(r)
		if err != nil {
			return
		}
		if len(q.Args) > 9 {
			t.Fatalf("%d args accepted", len(q.Args))
		}
		for _, s := range append([]string{q.Token, q.User, q.QQ, q.Group, q.Content, q.Keyword, q.Channel}, q.Args...) {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 accepted: %q", s)
			}
		}
	})
}
