package apiserver

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"botgate/app"
	"botgate/app/auth"
	"botgate/app/channel"
	"botgate/model"
)

// native serves /api/v1.
type native struct {
	auth     Authenticator
	send     Sender
	run      TemplateRunner
	messages MessageReader
}

// caller authenticates a /api/v1 request: HTTP Basic, or Bearer in token mode.
func (s *native) caller(r *http.Request) (model.Caller, error) {
	cr := auth.Credentials{Remote: remoteHost(r)}
	if user, pass, ok := r.BasicAuth(); ok {
		cr.User, cr.Password = user, pass
	} else if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		cr.Password = strings.TrimSpace(tok)
	}
	entryOf(r).user = cr.User
	if !utf8.ValidString(cr.User) || !utf8.ValidString(cr.Password) {
		// Some clients encode Basic credentials in Latin-1 or GBK; no
		// stored name or password could match those bytes.
		return model.Caller{}, model.Errorf(model.CodeUnauthorized, "HTTP Basic 授权中的用户名或密码不是 UTF-8 编码（可能是 Latin-1 或 GBK）：请让客户端按 UTF-8 发送，或改用只含字母数字的用户名和密码")
	}
	return s.auth.Authenticate(r.Context(), cr)
}

// decodeJSON reads a JSON body into v with clear errors.
func decodeJSON(r *http.Request, v any) error {
	body, err := readRequest(r)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Field == "" {
				return model.Errorf(model.CodeBadRequest, "请求内容应为 JSON 对象 {...}，收到的是 %s", jsonValueName(te.Value))
			}
			return model.Errorf(model.CodeBadRequest, "字段 %s 的类型不对：应为 %s，收到的是 %s", te.Field, goTypeName(te.Type), jsonValueName(te.Value))
		}
		if strings.HasPrefix(err.Error(), "json: unknown field") {
			return model.Errorf(model.CodeBadRequest, "未知字段 %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return model.Errorf(model.CodeBadRequest, "请求内容不是有效的 JSON：%s", channel.JSONProblem(err))
	}
	return nil
}

// goTypeName says in words what JSON a Go type takes; Go's own names
// ("apiserver.messageRequest", "[]string") mean nothing to an ERP's author.
func goTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "文本"
	case reflect.Slice, reflect.Array:
		return "数组 [...]（每一项是 " + goTypeName(t.Elem()) + "）"
	case reflect.Struct, reflect.Map:
		return "JSON 对象 {...}"
	case reflect.Bool:
		return "true 或 false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "数字"
	}
	return t.String()
}

// jsonValueName names the kind of JSON value encoding/json reports in
// UnmarshalTypeError.Value.
func jsonValueName(v string) string {
	switch {
	case v == "array":
		return "数组 [...]"
	case v == "object":
		return "JSON 对象 {...}"
	case v == "string":
		return "文本"
	case v == "bool":
		return "true/false"
	case v == "number" || strings.HasPrefix(v, "number "):
		return "数字"
	}
	return v
}

// messageRequest is the body of POST /api/v1/messages: either to + type, or
// the QQAP pair qq + group.
type messageRequest struct {
	Channel string `json:"channel"`
	To      string `json:"to"`
	Type    string `json:"type"` // private (default) or group
	QQ      string `json:"qq"`
	Group   string `json:"group"`
	Content string `json:"content"`
}

// messageView is the status of one message, as DESIGN.md names it.
type messageView struct {
	ID          int64   `json:"id"`
	Channel     string  `json:"channel"`
	To          string  `json:"to"`
	ToType      string  `json:"to_type"`
	Status      string  `json:"status"`
	Attempts    int     `json:"attempts"`
	LastError   string  `json:"last_error"`
	CreatedAt   string  `json:"created_at"`
	DeliveredAt *string `json:"delivered_at"`
	// Invalid are the recipients of a delivered list the platform refused.
	Invalid []string `json:"invalid,omitempty"`
}

func viewOf(m model.Message) messageView {
	v := messageView{ID: m.ID, Channel: m.Channel, To: m.Target, ToType: m.TargetKind, Status: m.Status,
		Attempts: m.Attempts, LastError: m.LastError, CreatedAt: m.CreatedAt.Local().Format(time.RFC3339Nano), Invalid: m.Invalid}
	if !m.DeliveredAt.IsZero() {
		d := m.DeliveredAt.Local().Format(time.RFC3339Nano)
		v.DeliveredAt = &d
	}
	return v
}

func (s *native) postMessage(w http.ResponseWriter, r *http.Request) error {
	c, err := s.caller(r)
	if err != nil {
		return err
	}
	e := entryOf(r)
	e.action = "send"
	var req messageRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	sr := app.SendRequest{Channel: req.Channel, QQ: req.QQ, Group: req.Group, Content: req.Content, IdemKey: r.Header.Get("Idempotency-Key")}
	if len(sr.IdemKey) > 200 {
		return model.Errorf(model.CodeBadRequest, "Idempotency-Key 太长（最多 200 个字符）")
	}
	if req.To != "" {
		switch req.Type {
		case "", "private":
			sr.QQ, sr.Group = req.To, ""
		case "group":
			sr.QQ, sr.Group = "", req.To
		default:
			return model.Errorf(model.CodeBadRequest, "type 应为 private（好友）或 group（群）")
		}
	}
	en, err := s.send.Send(r.Context(), c, sr)
	if err != nil {
		return err
	}
	m, err := s.messages.Message(r.Context(), c, en.ID)
	if err != nil {
		return err
	}
	status := http.StatusAccepted
	if en.Existing {
		status = http.StatusOK // a retried request with the same Idempotency-Key: the earlier message
	}
	writeJSON(w, status, viewOf(m))
	return nil
}

func (s *native) getMessage(w http.ResponseWriter, r *http.Request) error {
	c, err := s.caller(r)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return model.Errorf(model.CodeNoMessage, "消息编号 %q 无效", r.PathValue("id"))
	}
	m, err := s.messages.Message(r.Context(), c, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewOf(m))
	return nil
}

// runRequest is the body of POST /api/v1/templates/{keyword}/run.
type runRequest struct {
	Args    []string `json:"args"`
	QQ      string   `json:"qq"`
	Group   string   `json:"group"`
	Content string   `json:"content"`
}

func (s *native) runTemplate(w http.ResponseWriter, r *http.Request) error {
	c, err := s.caller(r)
	if err != nil {
		return err
	}
	e := entryOf(r)
	e.action, e.keyword = "keyword", r.PathValue("keyword")
	var req runRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.Args) > 9 {
		return model.Errorf(model.CodeBadRequest, "args 最多 9 个参数（对应 {{1}}..{{9}}）")
	}
	vars := model.Vars{"qq": req.QQ, "group": req.Group, "user": c.Name, "content": req.Content}
	vars.SetArgs(req.Args)
	res, err := s.run.RunKeyword(r.Context(), c, e.keyword, vars)
	if err != nil {
		return err
	}
	body := map[string]any{"kind": res.Kind}
	if res.Kind == model.KindQuery {
		cols := res.Columns
		if cols == nil {
			cols = []string{}
		}
		body["columns"], body["data"], body["truncated"] = cols, encodeRows(res.Columns, res.Rows), res.Truncated
	} else {
		body["affected"] = res.Affected
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}
