package apiserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"botgate/app"
	"botgate/app/auth"
	"botgate/app/channel"
	"botgate/model"
)

// QQAPRequest is a decoded QQAP call. Parameter names are case-insensitive.
type QQAPRequest struct {
	Token, User        string
	QQ, Group, Content string
	Keyword, Channel   string
	Args               []string
	At                 []model.Mention    // from at: "id" or "id:显示名", comma-separated
	Images             []model.Attachment // from each image: a URL or base64:// data
}

// Sends tells whether the request asks for a message: text, an image or a
// mention (a mention alone is refused by app.Send, with its reason).
func (q QQAPRequest) Sends() bool {
	return q.Content != "" || len(q.Images) > 0 || len(q.At) > 0
}

// DecodeQQAP reads a QQAP request from the query string and, for POST, the
// body (JSON as in the seed, or form-encoded). Body values win over the
// query; so do the body's images, when it has any.
func DecodeQQAP(r *http.Request) (QQAPRequest, error) {
	params, err := parseParams(r.URL.RawQuery, "请求参数格式错误：地址中")
	if err != nil {
		return QQAPRequest{}, err
	}
	vals := lowerKeys(params)
	var args []string
	images, imagesFromForm := inOrder(r.URL.RawQuery, params, "image"), true
	if r.Method == http.MethodPost {
		body, err := readSendRequest(r)
		if err != nil {
			return QQAPRequest{}, err
		}
		if len(bytes.TrimSpace(body)) > 0 {
			b, err := decodeBody(r.Header.Get("Content-Type"), body)
			if err != nil {
				return QQAPRequest{}, err
			}
			for k, v := range b.vals {
				vals[k] = v
			}
			args = b.args
			if b.images != nil {
				images, imagesFromForm = b.images, b.form
			}
		}
	}
	if raw := valuesOf(params, "data"); args == nil && raw != nil {
		if args, err = formArgs(raw); err != nil {
			return QQAPRequest{}, err
		}
	}
	q := QQAPRequest{
		Token: vals["access_token"], User: vals["user"], QQ: vals["qq"], Group: vals["group"],
		Content: vals["content"], Keyword: strings.TrimSpace(vals["keyword"]), Channel: vals["channel"], Args: args,
	}
	for _, s := range append(append([]string{q.Token, q.User, q.QQ, q.Group, q.Content, q.Keyword, q.Channel, vals["at"]}, q.Args...), images...) {
		if !utf8.ValidString(s) {
			return QQAPRequest{}, model.Errorf(model.CodeBadEncoding, "请求中有无效的字符编码，请使用 UTF-8")
		}
	}
	if q.At, err = model.ParseMentions(vals["at"]); err != nil {
		return QQAPRequest{}, err
	}
	if q.Images, err = qqapImages(images, imagesFromForm); err != nil {
		return QQAPRequest{}, err
	}
	return q, nil
}

// qqapImages reads the image values; empty ones are skipped, as an ERP
// template leaves a parameter it has nothing for.
func qqapImages(vs []string, formEncoded bool) ([]model.Attachment, error) {
	var nonEmpty []string
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			nonEmpty = append(nonEmpty, v)
		}
	}
	var out []model.Attachment
	for i, v := range nonEmpty {
		n := i + 1
		if len(nonEmpty) == 1 {
			n = 0
		}
		a, err := qqapImage(n, v, formEncoded)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// MaxParams is how many parameters a query string or form may have. It is
// net/url's own limit (its defaultMaxParams, which ParseQuery reports only as
// "number of URL query parameters exceeded limit"), counted the same way, so
// BotGate can say what is wrong.
const MaxParams = 10000

// parseParams is url.ParseQuery with each of its failures told apart; where
// starts the message ("请求参数格式错误：地址中").
func parseParams(raw, where string) (url.Values, error) {
	if n := strings.Count(raw, "&") + 1; n > MaxParams {
		return nil, model.Errorf(model.CodeBadRequest, "%s参数太多（最多 %d 个，收到 %d 个）", where, MaxParams, n)
	}
	v, err := url.ParseQuery(raw)
	var ee url.EscapeError
	switch {
	case err == nil:
		return v, nil
	case errors.As(err, &ee):
		return nil, model.Errorf(model.CodeBadRequest, "%s有无法解析的 %% 编码（%s）：%% 后面应是两位十六进制数，%% 本身要写成 %%25", where, validText(string(ee)))
	case strings.Contains(err.Error(), "semicolon"):
		return nil, model.Errorf(model.CodeBadRequest, "%s有未编码的分号 ;：参数之间用 & 分隔，内容中的分号要写成 %%3B", where)
	}
	return nil, &model.Error{Code: model.CodeBadRequest, Msg: where + "参数无法解析", Err: err}
}

func lowerKeys(v url.Values) map[string]string {
	m := make(map[string]string, len(v))
	for k, vs := range v {
		if len(vs) > 0 {
			m[strings.ToLower(k)] = vs[0]
		}
	}
	return m
}

// valuesOf returns every value of a case-insensitively named parameter.
func valuesOf(v url.Values, name string) []string {
	var out []string
	for k, vs := range v {
		if strings.EqualFold(k, name) {
			out = append(out, vs...)
		}
	}
	return out
}

// inOrder is valuesOf in the order the values stand in raw (the query or
// form they were parsed from): url.Values keeps the order within one
// spelling of a name only, and images written as image=…&IMAGE=… must
// reach the chat in the order the ERP wrote them.
func inOrder(raw string, v url.Values, name string) []string {
	var keys []string
	for k := range v {
		if strings.EqualFold(k, name) {
			keys = append(keys, k)
		}
	}
	if len(keys) < 2 {
		return valuesOf(v, name)
	}
	first := func(k string) int {
		for i, part := range strings.Split(raw, "&") {
			pk, _, _ := strings.Cut(part, "=")
			if uk, err := url.QueryUnescape(pk); err == nil && uk == k {
				return i
			}
		}
		return -1
	}
	slices.SortFunc(keys, func(a, b string) int { return first(a) - first(b) })
	var out []string
	for _, k := range keys {
		out = append(out, v[k]...)
	}
	return out
}

// body is a decoded QQAP body: the single values by lower-case name, the
// template arguments, and every image value (nil: the body has none).
type body struct {
	vals   map[string]string
	args   []string
	images []string
	form   bool // a form body: its values were percent-decoded
}

// decodeBody handles JSON and form bodies; an unknown or missing content type
// is sniffed, because ERP scripts often send JSON as text/plain.
func decodeBody(ctype string, raw []byte) (body, error) {
	mt, _, _ := mime.ParseMediaType(ctype)
	// A form body never starts with "{", so a JSON-looking body is JSON whatever
	// the header says (curl -d sends the seed's JSON as form-urlencoded).
	isJSON := strings.Contains(mt, "json") || bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{"))
	if !isJSON {
		form, err := parseParams(string(raw), "表单内容格式错误：")
		if err != nil {
			return body{}, err
		}
		args, err := formArgs(valuesOf(form, "data"))
		if err != nil {
			return body{}, err
		}
		return body{vals: lowerKeys(form), args: args, images: inOrder(string(raw), form, "image"), form: true}, nil
	}
	if !utf8.Valid(raw) {
		return body{}, model.Errorf(model.CodeBadEncoding, "请求内容不是有效的 UTF-8 编码")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return body{}, model.Errorf(model.CodeBadRequest, "请求内容不是有效的 JSON 对象：%s", channel.JSONProblem(err))
	}
	if dec.More() {
		return body{}, model.Errorf(model.CodeBadRequest, "请求内容只能是一个 JSON 对象")
	}
	b := body{vals: map[string]string{}}
	for k, v := range obj {
		var err error
		switch lk := strings.ToLower(k); lk {
		case "data":
			b.args, err = jsonArgs(v)
		case "image":
			// A string or an array of strings (null: none, the query's stand).
			var list []string
			if list, err = jsonList(k, v); err == nil && list != nil {
				b.images = append(append([]string{}, b.images...), list...)
			}
		case "at":
			// A comma list or an array of entries.
			var list []string
			if list, err = jsonList(k, v); err == nil {
				b.vals[lk] = strings.Join(list, ",")
			}
		default:
			s, ok := scalar(v)
			if !ok {
				return body{}, model.Errorf(model.CodeBadRequest, "参数 %s 必须是文本或数字", k)
			}
			b.vals[lk] = s
		}
		if err != nil {
			return body{}, err
		}
	}
	return b, nil
}

// scalar converts a JSON value to the text a template binds.
func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case nil:
		return "", true
	case bool:
		if x {
			return "true", true
		}
		return "false", true
	}
	return "", false
}

// jsonArgs reads the seed's data: [{"content": "admin"}, ...]; plain values
// (["admin", 350310976]) are accepted too.
func jsonArgs(v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, model.Errorf(model.CodeBadRequest, `data 必须是数组，例如 [{"content":"admin"}]`)
	}
	if len(list) > 9 {
		return nil, model.Errorf(model.CodeBadRequest, "data 最多 9 个参数（对应 {{1}}..{{9}}）")
	}
	args := make([]string, 0, len(list))
	for i, item := range list {
		if obj, ok := item.(map[string]any); ok {
			var found bool
			for k, c := range obj {
				if strings.EqualFold(k, "content") {
					item, found = c, true
				}
			}
			if !found {
				return nil, model.Errorf(model.CodeBadRequest, "data 第 %d 项缺少 content", i+1)
			}
		}
		s, ok := scalar(item)
		if !ok {
			return nil, model.Errorf(model.CodeBadRequest, "data 第 %d 项的 content 必须是文本或数字", i+1)
		}
		args = append(args, s)
	}
	return args, nil
}

// formArgs reads data from a query string or form: one JSON array, or each
// data=... value as one argument.
func formArgs(raw []string) ([]string, error) {
	if len(raw) == 1 && strings.HasPrefix(strings.TrimSpace(raw[0]), "[") {
		dec := json.NewDecoder(strings.NewReader(raw[0]))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, model.Errorf(model.CodeBadRequest, "data 不是有效的 JSON 数组")
		}
		return jsonArgs(v)
	}
	if len(raw) > 9 {
		return nil, model.Errorf(model.CodeBadRequest, "data 最多 9 个参数（对应 {{1}}..{{9}}）")
	}
	return raw, nil
}

// qqap serves GET / and POST /: send when content is given, run the keyword
// when keyword is given. The reply is always HTTP 200 with an errcode.
type qqap struct {
	auth Authenticator
	send Sender
	run  TemplateRunner
}

func (s *qqap) serve(w http.ResponseWriter, r *http.Request) error {
	e := entryOf(r)
	q, err := DecodeQQAP(r)
	if err != nil {
		return err
	}
	e.user, e.keyword = q.User, q.Keyword
	if !q.Sends() && q.Keyword == "" {
		if q.Token == "" && q.User == "" && len(r.URL.RawQuery) == 0 {
			return model.Errorf(model.CodeNothingToDo, "BotGate 正在运行。请求需要 user、Access_token，以及 content（发送消息）或 keyword（查询关键字）")
		}
		return model.Errorf(model.CodeNothingToDo, "没有要做的事：请提供 content（要发送的消息）、image（图片）或 keyword（查询关键字）")
	}
	caller, err := s.auth.Authenticate(r.Context(), auth.Credentials{User: q.User, Password: q.Token, Remote: remoteHost(r)})
	if err != nil {
		return err
	}
	var extra []any
	if q.Sends() {
		e.action = "send"
		en, err := s.send.Send(r.Context(), caller, app.SendRequest{Channel: q.Channel, QQ: q.QQ, Group: q.Group, Content: q.Content,
			At: q.At, Attachments: q.Images})
		if err != nil {
			return err
		}
		extra = append(extra, "msg_id", en.ID)
	}
	data := json.RawMessage("[]")
	if q.Keyword != "" {
		e.action = strings.TrimPrefix(e.action+"+keyword", "+")
		vars := model.Vars{"qq": q.QQ, "group": q.Group, "user": caller.Name, "content": q.Content}
		vars.SetArgs(q.Args)
		res, err := s.run.RunKeyword(r.Context(), caller, q.Keyword, vars)
		if err != nil {
			if q.Sends() {
				// The message is queued and will be delivered: the reply keeps
				// the keyword's errcode but says so, or an ERP that retries on
				// errcode ≠ 0 would send it twice.
				extra = append(extra, "sent", true)
			}
			return &replyError{err: err, extra: extra}
		}
		if res.Kind == model.KindQuery {
			data = encodeRows(res.Columns, res.Rows)
			if res.Truncated {
				extra = append(extra, "truncated", true)
			}
		} else {
			extra = append(extra, "affected", res.Affected)
		}
	}
	writeEnvelope(w, http.StatusOK, model.CodeOK, "OK", data, extra...)
	return nil
}
