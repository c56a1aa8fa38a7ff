package channel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxReply bounds how much of a platform reply is read; replies are small JSON.
const maxReply = 1 << 20

// Request is one HTTP call to a platform.
type Request struct {
	Method   string // default POST
	URL      string
	Header   http.Header
	JSON     any        // body encoded as JSON, if not nil
	Form     url.Values // body form-encoded, if not nil (and JSON is nil)
	Body     []byte     // raw body, if JSON and Form are nil
	CType    string     // content type for Body
	Platform string     // platform name for messages, e.g. "OneBot"
}

// Do sends r and decodes a JSON reply into out (when out is not nil). It
// classifies failures the same way for every connector: network errors, 5xx and
// 429 are transient; 401/403 (credentials) and other 4xx (wrong URL or request)
// are permanent, because retrying cannot fix a configuration.
func Do(ctx context.Context, client *http.Client, r Request, out any) error {
	var body io.Reader
	ctype := r.CType
	switch {
	case r.JSON != nil:
		b, err := json.Marshal(r.JSON)
		if err != nil {
			return Permanentf(err, "消息无法编码")
		}
		body, ctype = bytes.NewReader(b), "application/json; charset=utf-8"
	case r.Form != nil:
		body, ctype = strings.NewReader(r.Form.Encode()), "application/x-www-form-urlencoded"
	case r.Body != nil:
		body = bytes.NewReader(r.Body)
	}
	method := r.Method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(ctx, method, r.URL, body)
	if err != nil {
		return Permanentf(err, "%s 地址无效，请检查通道的 url 设置", r.Platform)
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Transientf(ctx.Err(), "%s 没有及时响应", r.Platform)
		}
		return Transientf(err, "无法连接 %s，请确认它正在运行且地址正确", r.Platform)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return Transientf(err, "读取 %s 的响应失败", r.Platform)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return Permanentf(httpErr(resp, raw), "%s 拒绝了授权(HTTP %d)，请检查通道的令牌/密钥设置", r.Platform, resp.StatusCode)
	case resp.StatusCode == http.StatusTooManyRequests:
		return Transientf(httpErr(resp, raw), "%s 限流(HTTP 429)，稍后重试", r.Platform)
	case resp.StatusCode >= 500:
		return Transientf(httpErr(resp, raw), "%s 服务器错误(HTTP %d)，稍后重试", r.Platform, resp.StatusCode)
	case resp.StatusCode >= 400:
		return Permanentf(httpErr(resp, raw), "%s 不接受该请求(HTTP %d)，请检查通道的 url 设置", r.Platform, resp.StatusCode)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return Transientf(fmt.Errorf("%w: %.200q", err, raw), "%s 的响应不是预期的 JSON", r.Platform)
	}
	return nil
}

// StatusError is the detail of a failure reported by Do for an HTTP error
// status; connectors use HTTPStatus to word their own message for it.
type StatusError struct {
	Code int
	Text string // status line and the start of the body
	Body []byte // the whole reply body: some platforms explain a 4xx with a JSON code
}

func (e *StatusError) Error() string { return e.Text }

// HTTPStatus returns the HTTP status code behind err when Do failed because of
// one, else 0.
func HTTPStatus(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// ErrorBody returns the reply body behind err when Do failed because of an HTTP
// error status, else nil. Connectors whose platform puts its error code in the
// body of a 4xx reply decode it to classify by that code rather than by the
// status alone.
func ErrorBody(err error) []byte {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Body
	}
	return nil
}

func httpErr(resp *http.Response, raw []byte) error {
	return &StatusError{Code: resp.StatusCode, Text: resp.Status + ": " + strings.TrimSpace(string(raw[:min(len(raw), 300)])), Body: raw}
}
