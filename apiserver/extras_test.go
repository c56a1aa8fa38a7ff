package apiserver

import (
	"bytes"
	"encoding/base64"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"botgate/model"
)

// pngData is a PNG's signature and header chunk start with bytes chosen so
// that its standard base64 has both + and /, the two characters a query
// string mangles.
var pngData = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 0xfb, 0xef, 0xff, 0xfe, 0x3e, 0x00)

var (
	pngB64    = base64.StdEncoding.EncodeToString(pngData)
	pngB64URL = base64.RawURLEncoding.EncodeToString(pngData)
)

func init() {
	if !strings.ContainsAny(pngB64, "+") || !strings.ContainsAny(pngB64, "/") {
		panic("pngB64 should hold + and /: " + pngB64)
	}
}

func imgData(d []byte) model.Attachment { return model.Attachment{Kind: model.AttachImage, Data: d} }
func imgURL(u string) model.Attachment  { return model.Attachment{Kind: model.AttachImage, URL: u} }

func TestDecodeQQAP_AtAndImage_EachForm(t *testing.T) {
	form := "application/x-www-form-urlencoded"
	tests := []struct {
		name, method, query, ctype, body string
		wantAt                           []model.Mention
		wantImages                       []model.Attachment
	}{
		{"GET: at list with names and all, one image URL", "GET",
			"content=hi&at=" + url.QueryEscape("zhangsan, 13800001111:张三,ALL") + "&image=" + url.QueryEscape("https://erp.example/chart.png"), "", "",
			[]model.Mention{{ID: "zhangsan"}, {ID: "13800001111", Name: "张三"}, {ID: "all"}}, []model.Attachment{imgURL("https://erp.example/chart.png")}},
		{"GET: repeated image, base64 percent-encoded, and a URL", "GET",
			"image=" + url.QueryEscape("base64://"+pngB64) + "&IMAGE=" + url.QueryEscape("http://erp/a.png"), "", "",
			nil, []model.Attachment{imgData(pngData), imgURL("http://erp/a.png")}},
		{"GET: + left unencoded arrives as a space and is read as +", "GET",
			"image=base64://" + pngB64, "", "", nil, []model.Attachment{imgData(pngData)}},
		{"GET: URL-safe base64 without padding", "GET",
			"image=base64://" + pngB64URL, "", "", nil, []model.Attachment{imgData(pngData)}},
		{"GET: empty image and at are no image and no mention", "GET",
			"content=hi&image=&at=", "", "", nil, nil},
		{"POST form: repeated image and at", "POST", "",
			form, "at=lisi&image=" + url.QueryEscape("base64://"+pngB64) + "&image=" + url.QueryEscape("base64://"+pngB64),
			[]model.Mention{{ID: "lisi"}}, []model.Attachment{imgData(pngData), imgData(pngData)}},
		{"POST JSON: image a string, at a list", "POST", "", "application/json",
			`{"content":"hi","at":"lisi:李四","image":"base64://` + pngB64 + `"}`,
			[]model.Mention{{ID: "lisi", Name: "李四"}}, []model.Attachment{imgData(pngData)}},
		{"POST JSON: image an array, at an array with a number, base64 wrapped in lines", "POST", "", "text/plain",
			`{"content":"hi","at":["lisi",13800001111],"image":["https://erp/a.png","base64://` + pngB64[:8] + `\r\n` + pngB64[8:] + `"]}`,
			[]model.Mention{{ID: "lisi"}, {ID: "13800001111"}}, []model.Attachment{imgURL("https://erp/a.png"), imgData(pngData)}},
		{"POST JSON body's images win over the query's", "POST", "image=" + url.QueryEscape("http://q/x.png"), "application/json",
			`{"image":["http://body/y.png"]}`, nil, []model.Attachment{imgURL("http://body/y.png")}},
		{"POST JSON without image keeps the query's", "POST", "image=" + url.QueryEscape("http://q/x.png"), "application/json",
			`{"content":"hi","image":null}`, nil, []model.Attachment{imgURL("http://q/x.png")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/", strings.NewReader(tt.body))
			r.URL.RawQuery = tt.query
			r.Header.Set("Content-Type", tt.ctype)
			q, err := DecodeQQAP(r)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(q.At, tt.wantAt) {
				t.Errorf("at = %+v, want %+v", q.At, tt.wantAt)
			}
			if !reflect.DeepEqual(q.Images, tt.wantImages) {
				t.Errorf("images = %v, want %v", q.Images, tt.wantImages)
			}
			if want := tt.wantImages != nil || tt.wantAt != nil || q.Content != ""; q.Sends() != want {
				t.Errorf("Sends() = %v, want %v", q.Sends(), want)
			}
		})
	}
}

func TestDecodeQQAP_BadAtOrImage_RefusedWithTheReason(t *testing.T) {
	tests := []struct {
		name, method, query, ctype, body string
		wantCode                         int
		wantIn                           []string
	}{
		{"bad base64 in the query names the item and the + rule", "GET", "image=base64://" + url.QueryEscape("iVBOR*w0KGgo"), "", "",
			model.CodeBadRequest, []string{"image", "base64", "第 6 个字符", "%2B"}},
		{"bad base64 of the second image", "GET", "image=http://a/b.png&image=base64://%21%21", "", "",
			model.CodeBadRequest, []string{"image 第 2 项", "base64"}},
		{"bad base64 in JSON has no form hint", "POST", "", "application/json", `{"image":"base64://@@@@"}`,
			model.CodeBadRequest, []string{"image", "base64"}},
		{"a data: URL is explained", "GET", "image=" + url.QueryEscape("data:image/png;base64,"+pngB64), "", "",
			model.CodeBadRequest, []string{"data:", "base64://"}},
		{"another scheme", "GET", "image=" + url.QueryEscape("ftp://erp/a.png"), "", "",
			model.CodeBadRequest, []string{"http://", "base64://", "ftp://erp/a.png"}},
		{"raw base64 without the prefix", "POST", "", "application/json", `{"image":"` + pngB64 + `"}`,
			model.CodeBadRequest, []string{"base64://"}},
		{"image an object", "POST", "", "application/json", `{"image":{"url":"http://a"}}`,
			model.CodeBadRequest, []string{"image", "文本或文本数组"}},
		{"image array item a number", "POST", "", "application/json", `{"image":["http://a/b.png", true]}`,
			model.CodeBadRequest, []string{"image 第 2 项", "文本"}},
		{"at an object", "POST", "", "application/json", `{"at":{"id":"a"}}`,
			model.CodeBadRequest, []string{"at", "文本或文本数组"}},
		{"at with an empty entry", "GET", "at=" + url.QueryEscape("a,:张三"), "", "",
			model.CodeBadRequest, []string{"at", "空的成员"}},
		{"at with a space inside an id", "GET", "at=" + url.QueryEscape("zhang san"), "", "",
			model.CodeBadRequest, []string{"at", "空格"}},
		{"invalid UTF-8 in an image URL", "GET", "image=http://a/%FF.png", "", "",
			model.CodeBadEncoding, []string{"UTF-8"}},
		{"invalid UTF-8 in at", "GET", "at=%FF", "", "",
			model.CodeBadEncoding, []string{"UTF-8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/", strings.NewReader(tt.body))
			r.URL.RawQuery = tt.query
			r.Header.Set("Content-Type", tt.ctype)
			_, err := DecodeQQAP(r)
			ae := model.ErrorOf(err)
			if err == nil || ae.Code != tt.wantCode {
				t.Fatalf("err %v (errcode %d), want errcode %d", err, ae.Code, tt.wantCode)
			}
			for _, w := range tt.wantIn {
				if !strings.Contains(ae.Msg, w) {
					t.Errorf("message %q lacks %q", ae.Msg, w)
				}
			}
		})
	}
}

func TestDecodeQQAP_BodyOverMaxSendBody_Is4001NamingTheAttachmentLimit(t *testing.T) {
	body := `{"image":"base64://` + strings.Repeat("A", MaxSendBody) + `"}`
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	_, err := DecodeQQAP(r)
	ae := model.ErrorOf(err)
	if ae.Code != model.CodeTooLarge || !strings.Contains(ae.Msg, "16 MiB") || !strings.Contains(ae.Msg, "10 MiB") {
		t.Fatalf("got %v, want 4001 naming both limits", err)
	}
	// Just under the cap the body is read (and the data decoded).
	under := `{"image":"base64://` + strings.Repeat("A", MaxSendBody-40) + `"}`
	r = httptest.NewRequest("POST", "/", strings.NewReader(under))
	q, err := DecodeQQAP(r)
	if err != nil || len(q.Images) != 1 || len(q.Images[0].Data) != (MaxSendBody-40)*3/4 {
		t.Fatalf("under the cap: %v, %d images", err, len(q.Images))
	}
}

func TestDecodeMessage_AtAndAttachments(t *testing.T) {
	tests := []struct {
		name, body string
		wantAt     []model.Mention
		wantAtts   []model.Attachment
	}{
		{"at a comma list", `{"to":"1","type":"group","content":"x","at":"zhangsan,13800001111:张三"}`,
			[]model.Mention{{ID: "zhangsan"}, {ID: "13800001111", Name: "张三"}}, nil},
		{"at an array with a number and all", `{"content":"x","at":["lisi:李四",350310976,"all"]}`,
			[]model.Mention{{ID: "lisi", Name: "李四"}, {ID: "350310976"}, {ID: "all"}}, nil},
		{"at null", `{"content":"x","at":null}`, nil, nil},
		{"attachments: data and url", `{"attachments":[{"kind":"image","name":"a.png","data":"` + pngB64 + `"},{"kind":"file","url":"https://erp/invoice.pdf"}]}`, nil,
			[]model.Attachment{{Kind: "image", Name: "a.png", Data: pngData}, {Kind: "file", URL: "https://erp/invoice.pdf"}}},
		{"attachments: padded data ending in a line break, as `base64 file` prints it", `{"attachments":[{"kind":"image","data":"` + pngB64 + `\n"}]}`, nil,
			[]model.Attachment{{Kind: "image", Data: pngData}}},
		{"attachments: URL-safe data without padding, in lines", `{"attachments":[{"kind":"image","data":"` + pngB64URL[:10] + `\n` + pngB64URL[10:] + `"}]}`, nil,
			[]model.Attachment{{Kind: "image", Data: pngData}}},
		{"attachments: empty data stays present (app refuses it)", `{"attachments":[{"kind":"file","data":""}]}`, nil,
			[]model.Attachment{{Kind: "file", Data: []byte{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sr, err := decodeMessage(httptest.NewRequest("POST", "/api/v1/messages", strings.NewReader(tt.body)))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(sr.At, tt.wantAt) {
				t.Errorf("at = %+v, want %+v", sr.At, tt.wantAt)
			}
			if !reflect.DeepEqual(sr.Attachments, tt.wantAtts) {
				t.Errorf("attachments = %v, want %v", sr.Attachments, tt.wantAtts)
			}
		})
	}
}

func TestDecodeMessage_BadAtOrAttachments_RefusedWithTheReason(t *testing.T) {
	tests := []struct {
		name, body string
		wantCode   int
		wantIn     []string
	}{
		{"bad base64 names the item by number and name", `{"attachments":[{"kind":"image","url":"http://a/b.png"},{"kind":"file","name":"发票.pdf","data":"JVBER*i0x"}]}`,
			model.CodeBadRequest, []string{"attachments 第 2 项", "发票.pdf", "base64", "第 6 个字符"}},
		{"a data: URL as data", `{"attachments":[{"kind":"image","data":"data:image/png;base64,` + pngB64 + `"}]}`,
			model.CodeBadRequest, []string{"attachments 第 1 项", "data:"}},
		{"attachments not an array", `{"attachments":{"kind":"image"}}`,
			model.CodeBadRequest, []string{"attachments", "数组"}},
		{"data not a string", `{"attachments":[{"kind":"image","data":[1,2]}]}`,
			model.CodeBadRequest, []string{"data", "文本"}},
		{"unknown attachment field", `{"attachments":[{"kind":"image","mime":"image/png"}]}`,
			model.CodeBadRequest, []string{"未知字段", "mime"}},
		{"at an object", `{"content":"x","at":{"id":"a"}}`,
			model.CodeBadRequest, []string{"at", "文本或文本数组"}},
		{"at with an empty entry", `{"content":"x","at":["a",":张三"]}`,
			model.CodeBadRequest, []string{"at", "空的成员"}},
		{"body over MaxSendBody", `{"attachments":[{"kind":"image","data":"` + strings.Repeat("A", MaxSendBody) + `"}]}`,
			model.CodeTooLarge, []string{"16 MiB", "10 MiB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeMessage(httptest.NewRequest("POST", "/api/v1/messages", strings.NewReader(tt.body)))
			ae := model.ErrorOf(err)
			if err == nil || ae.Code != tt.wantCode {
				t.Fatalf("err %v (errcode %d), want errcode %d", err, ae.Code, tt.wantCode)
			}
			for _, w := range tt.wantIn {
				if !strings.Contains(ae.Msg, w) {
					t.Errorf("message %q lacks %q", ae.Msg, w)
				}
			}
		})
	}
}

// RedactURL replaces the value of every secret parameter, whatever the case
// of its name (a Unicode one too: the Kelvin sign lowers to k), and an
// undecodable name with its value, and leaves the rest as sent.
func TestRedactURL_HidesSecrets(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"/", "/"},
		{"/?Access_token=pw&QQ=1&content=a%20b", "/?Access_token=***&QQ=1&content=a%20b"},
		{"/?PASSWORD=x&Pwd=y&sEcReT=z&key&sign=", "/?PASSWORD=***&Pwd=***&sEcReT=***&key=***&sign=***"},
		{"/?%E2%84%AAey=pw&k=1", "/?%E2%84%AAey=***&k=1"},
		{"/?to%6Ben=pw", "/?to%6Ben=***"},
		{"/?bad%zz=pw&ok=1&", "/?***&ok=1&"},
		{"/api?averyveryverylongparametername=1&&x", "/api?averyveryverylongparametername=1&&x"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := RedactURL(u); got != tt.want {
			t.Errorf("RedactURL(%s) = %s, want %s", tt.raw, got, tt.want)
		}
	}
}

func TestRedactURL_DropsImageData(t *testing.T) {
	data := bytes.Repeat([]byte{0xfb}, 3000)
	q := url.Values{"Access_token": {"pw"}, "image": {"base64://" + base64.StdEncoding.EncodeToString(data), "https://erp/a.png"}, "content": {"hi"}}
	u, _ := url.Parse("/?" + q.Encode())
	got := RedactURL(u)
	if strings.Contains(got, "-7-7") || strings.Contains(got, "%2B%2B") || len(got) > 300 {
		t.Fatalf("image data kept in the log path (%d bytes): %.200s", len(got), got)
	}
	for _, want := range []string{"Access_token=***", "image=base64://…(", "字节已省略)", "image=https%3A%2F%2Ferp%2Fa.png", "content=hi"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
}
