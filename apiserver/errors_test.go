package apiserver_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"botgate/apiserver"
	"botgate/app"
	"botgate/model"
)

func TestWrongMethodOnAKnownPath_SaysWhichMethods(t *testing.T) {
	e := start(t)
	tests := []struct {
		method, path string
		status       int
		allow        string // "" for the QQAP envelope, which has no Allow header
		wantMsg      string
	}{
		{"PUT", "/", 200, "", "QQAP 接口只接受 GET 和 POST 请求（收到 PUT）"},
		{"DELETE", "/", 200, "", "QQAP 接口只接受 GET 和 POST 请求（收到 DELETE）"},
		{"GET", "/api/v1/messages", 405, "POST", "地址 /api/v1/messages 只接受 POST 请求（收到 GET）"},
		{"DELETE", "/api/v1/messages/1", 405, "GET, HEAD", "地址 /api/v1/messages/1 只接受 GET、HEAD 请求（收到 DELETE）"},
		{"GET", "/api/v1/templates/x/run", 405, "POST", "只接受 POST 请求"},
		{"GET", "/webhook/qq", 405, "POST", "只接受 POST 请求"},
		{"POST", "/healthz", 405, "GET, HEAD", "只接受 GET、HEAD 请求"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, e.Base+tt.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Errcode int    `json:"errcode"`
				Errmsg  string `json:"errmsg"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatalf("reply is not JSON: %v", err)
			}
			if resp.StatusCode != tt.status || resp.Header.Get("Allow") != tt.allow || body.Errcode != model.CodeBadRequest || !strings.Contains(body.Errmsg, tt.wantMsg) {
				t.Fatalf("HTTP %d Allow %q %+v; want %d Allow %q and errmsg %q", resp.StatusCode, resp.Header.Get("Allow"), body, tt.status, tt.allow, tt.wantMsg)
			}
		})
	}
	// Unknown paths are still reported as such.
	if status, raw := e.Request("GET", "/nope", "", ""); status != 200 || !strings.Contains(raw, "未知的地址 /nope") {
		t.Fatalf("unknown path: %d %s", status, raw)
	}
	if status, raw := e.Request("PUT", "/api/v1/nope", "", ""); status != 404 || !strings.Contains(raw, "未知的接口地址") {
		t.Fatalf("unknown API path: %d %s", status, raw)
	}
}

func TestNativeAPI_WrongJSONShape_SaysWhatIsExpected(t *testing.T) {
	e := start(t)
	tests := []struct {
		path, body string
		want       string
	}{
		{"/api/v1/messages", `["to","350310976"]`, "请求内容应为 JSON 对象 {...}，收到的是 数组 [...]"},
		{"/api/v1/messages", `"hi"`, "请求内容应为 JSON 对象 {...}，收到的是 文本"},
		{"/api/v1/messages", `{"to":"1","content":5}`, "字段 content 的类型不对：应为 文本，收到的是 数字"},
		{"/api/v1/templates/%E8%B4%A6%E5%8F%B7/run", `{"args":"cs01"}`, "字段 args 的类型不对：应为 数组 [...]（每一项是 文本），收到的是 文本"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			req, _ := http.NewRequest("POST", e.Base+tt.path, strings.NewReader(tt.body))
			req.SetBasicAuth("demo", e.Password)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Errcode int    `json:"errcode"`
				Errmsg  string `json:"errmsg"`
			}
			json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != 400 || body.Errcode != model.CodeBadRequest || body.Errmsg != tt.want {
				t.Fatalf("HTTP %d %+v, want 400 %q", resp.StatusCode, body, tt.want)
			}
		})
	}
}

func TestQQAP_ParameterProblemsAreToldApart(t *testing.T) {
	e := start(t)
	auth := e.Auth().Encode()
	many := strings.Repeat("&x=1", apiserver.MaxParams) // with the credentials: MaxParams + 2
	tests := []struct {
		name, method, query, ctype, body string
		wantCode                         int
		want, notWant                    string
	}{
		{"too many query parameters", "GET", auth + many, "", "", model.CodeBadRequest, "参数太多（最多 10000 个", "% 编码"},
		{"too many form fields", "POST", "", "application/x-www-form-urlencoded", auth + many, model.CodeBadRequest, "表单内容格式错误：参数太多（最多 10000 个", "% 编码"},
		{"bad % escape", "GET", auth + "&keyword=%zz", "", "", model.CodeBadRequest, "无法解析的 % 编码（%zz）", "太多"},
		{"bad % escape in a form", "POST", "", "application/x-www-form-urlencoded", auth + "&keyword=%G1", model.CodeBadRequest, "表单内容格式错误：有无法解析的 % 编码", "太多"},
		{"raw semicolon", "GET", auth + "&content=a;b&QQ=1", "", "", model.CodeBadRequest, "分号", "% 编码"},
		// Right at the limit the request is served.
		{"as many parameters as allowed", "GET", auth + strings.Repeat("&x=1", apiserver.MaxParams-3) + "&keyword=%E8%B4%A6%E5%8F%B7", "", "", 0, "OK", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, raw := e.QQAP(tt.method, tt.query, tt.ctype, tt.body)
			if env.Errcode != tt.wantCode || !strings.Contains(env.Errmsg, tt.want) || (tt.notWant != "" && strings.Contains(env.Errmsg, tt.notWant)) {
				t.Fatalf("got %.300s; want errcode %d with %q and without %q", raw, tt.wantCode, tt.want, tt.notWant)
			}
		})
	}
}

// TestQQAP_LongURL_GetsTheEnvelope: a GET whose content is too long is
// answered by BotGate (errcode 4005), not cut off by net/http's header limit
// with a plain-text 431; only a request beyond that limit still gets the 431
// (README says so).
func TestQQAP_LongURL_GetsTheEnvelope(t *testing.T) {
	e := start(t)
	q := e.Auth()
	q.Set("QQ", seedQQ)
	q.Set("content", strings.Repeat("长", 10000)) // 30000 bytes, 90 KB percent-encoded
	env, raw := e.QQAP("GET", q.Encode(), "", "")
	if env.Errcode != model.CodeTooLong {
		t.Fatalf("errcode %d, want %d: %.200s", env.Errcode, model.CodeTooLong, raw)
	}
	q.Set("content", strings.Repeat("x", app.MaxHeaderBytes+8192))
	if status, _ := e.Request("GET", "/?"+q.Encode(), "", ""); status != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("beyond MaxHeaderBytes: HTTP %d, want 431", status)
	}
}

// waitRequestLog returns the newest request-log row whose path contains s.
func waitRequestLog(t *testing.T, e *env, s string) model.RequestLog {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		logs, err := e.App.RequestLogs(context.Background(), "", 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range logs {
			if strings.Contains(l.Path, s) {
				return l
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no request log row with %q", s)
	return model.RequestLog{}
}

func TestNativeAPI_Latin1BasicAuth_Refused_LoggedAsValidText(t *testing.T) {
	e := start(t)
	req, _ := http.NewRequest("GET", e.Base+"/api/v1/messages/1", nil)
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("J\xfcrgen:geheim")))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Errcode int    `json:"errcode"`
		Errmsg  string `json:"errmsg"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 401 || body.Errcode != model.CodeUnauthorized || !strings.Contains(body.Errmsg, "UTF-8") || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("HTTP %d %+v WWW-Authenticate %q", resp.StatusCode, body, resp.Header.Get("WWW-Authenticate"))
	}
	l := waitRequestLog(t, e, "/api/v1/messages/1")
	if !utf8.ValidString(l.APIUser) || l.APIUser != "J\uFFFDrgen" || l.Errcode != model.CodeUnauthorized {
		t.Fatalf("logged user %q errcode %d", l.APIUser, l.Errcode)
	}
	// The same for a path that is not UTF-8: found only as valid text.
	e.Request("GET", "/api/v1/messages/%FF", "", "")
	waitRequestLog(t, e, "/api/v1/messages/\uFFFD")
}
