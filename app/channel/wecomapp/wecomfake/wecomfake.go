// Package wecomfake is a fake WeCom (企业微信) for tests: an httptest server on
// 127.0.0.1 that answers the self-built app's API as WeCom does, checking
// what WeCom checks (the corp's id and secret, the access token and its
// expiry, the agentid, the recipients in the app's visible range, media
// ids it issued, chats the app created), and the platform's side of the
// callback: messages encrypted and signed by WeCom's 加解密方案说明, written
// here from the document, not from BotGate's code.
package wecomfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Media is an uploaded temporary medium.
type Media struct {
	Type, Filename string
	Data           []byte
}

// Sent is one message WeCom accepted.
type Sent struct {
	Path    string // /cgi-bin/message/send or /cgi-bin/appchat/send
	ToUser  string
	ChatID  string
	AgentID int64
	MsgType string
	Content string // text or markdown
	Media   *Media // image or file
	Body    []byte // as posted
}

// Server is the fake WeCom. Its fields are set before the first call.
type Server struct {
	URL       string
	CorpID    string
	Secret    string
	AgentID   int64
	Users     map[string]string  // the app's visible range: userid -> name
	Parties   map[int64][]string // visible departments -> their userids (agent/get, user/simplelist)
	ExpiresIn int                // gettoken's expires_in, seconds (default 7200)
	Now       func() time.Time   // the fake's clock (default time.Now)

	srv *httptest.Server

	mu       sync.Mutex
	tokens   map[string]time.Time // token -> expiry
	issued   int
	media    map[string]Media
	chats    map[string][]string
	sent     []Sent
	requests []string // "METHOD path", in order
	down     *outage
}

type outage struct {
	status  int // HTTP status to answer (0: 200 with errcode -1)
	remains int // calls left; <0 until Up
}

// New starts a fake corp "ww-fake-corp" whose app 1000002 (secret "app-secret")
// sees zhangsan and lisi; it is closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{CorpID: "ww-fake-corp", Secret: "app-secret", AgentID: 1000002,
		Users: map[string]string{"zhangsan": "张三", "lisi": "李四"}, Parties: map[int64][]string{},
		tokens: map[string]time.Time{}, media: map[string]Media{}, chats: map[string][]string{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("fake WeCom must listen on 127.0.0.1, got %s", s.URL)
	}
	t.Cleanup(s.srv.Close)
	return s
}

// Client is an HTTP client that reaches the fake.
func (s *Server) Client() *http.Client { return s.srv.Client() }

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// RevokeTokens ends every token early, as WeCom may ("企业微信可能会出于运营需要，提前使access_token失效").
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	s.tokens = map[string]time.Time{}
	s.mu.Unlock()
}

// Down makes the next n API calls fail (n < 0: until Up): with HTTP status,
// or with errcode -1 (系统繁忙) when status is 0.
func (s *Server) Down(status, n int) {
	s.mu.Lock()
	s.down = &outage{status: status, remains: n}
	s.mu.Unlock()
}

// Up ends an outage.
func (s *Server) Up() {
	s.mu.Lock()
	s.down = nil
	s.mu.Unlock()
}

// TokensIssued counts successful gettoken calls.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued
}

// Sent returns the messages accepted so far.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// Requests returns "METHOD path" of every request, in order.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// AddChat makes a chat as appchat/create would.
func (s *Server) AddChat(id string, users ...string) {
	s.mu.Lock()
	s.chats[id] = users
	s.mu.Unlock()
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	json.NewEncoder(w).Encode(v)
}

func errReply(w http.ResponseWriter, code int, msg string) {
	reply(w, map[string]any{"errcode": code, "errmsg": msg})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	if d := s.down; d != nil && d.remains != 0 {
		d.remains--
		if d.status != 0 {
			http.Error(w, "upstream unavailable", d.status)
			return
		}
		errReply(w, -1, "system busy")
		return
	}
	q := r.URL.Query()
	if r.URL.Path == "/cgi-bin/gettoken" {
		s.getToken(w, r.Method, q.Get("corpid"), q.Get("corpsecret"))
		return
	}
	tok := q.Get("access_token")
	exp, ok := s.tokens[tok]
	switch {
	case tok == "":
		errReply(w, 41001, "access_token missing")
		return
	case !ok:
		errReply(w, 40014, "invalid access_token")
		return
	case !s.now().Before(exp):
		errReply(w, 42001, "access_token expired")
		return
	}
	want := map[string]string{"/cgi-bin/message/send": "POST", "/cgi-bin/appchat/send": "POST", "/cgi-bin/media/upload": "POST",
		"/cgi-bin/appchat/create": "POST", "/cgi-bin/agent/get": "GET", "/cgi-bin/user/simplelist": "GET"}[r.URL.Path]
	switch {
	case want == "":
		http.NotFound(w, r)
		return
	case r.Method != want:
		errReply(w, 43004, "require "+want)
		return
	}
	switch r.URL.Path {
	case "/cgi-bin/message/send", "/cgi-bin/appchat/send":
		s.send(w, r.URL.Path, body)
	case "/cgi-bin/media/upload":
		s.upload(w, r, q.Get("type"), body)
	case "/cgi-bin/appchat/create":
		s.createChat(w, body)
	case "/cgi-bin/agent/get":
		s.agent(w, q.Get("agentid"))
	case "/cgi-bin/user/simplelist":
		s.simpleList(w, q.Get("department_id"))
	}
}

func (s *Server) getToken(w http.ResponseWriter, method, corp, secret string) {
	switch {
	case method != http.MethodGet:
		errReply(w, 43004, "require GET")
	case corp == "":
		errReply(w, 41002, "corpid missing")
	case corp != s.CorpID:
		errReply(w, 40013, "invalid corpid")
	case secret == "":
		errReply(w, 41004, "corpsecret missing")
	case secret != s.Secret:
		errReply(w, 40001, "invalid credential")
	default:
		s.issued++
		life := s.ExpiresIn
		if life == 0 {
			life = 7200
		}
		tok := fmt.Sprintf("tok-%d", s.issued)
		s.tokens[tok] = s.now().Add(time.Duration(life) * time.Second)
		reply(w, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": tok, "expires_in": life})
	}
}

type sendBody struct {
	ToUser   string                    `json:"touser"`
	ChatID   string                    `json:"chatid"`
	MsgType  string                    `json:"msgtype"`
	AgentID  int64                     `json:"agentid"`
	Text     *struct{ Content string } `json:"text"`
	Markdown *struct{ Content string } `json:"markdown"`
	Image    *struct {
		MediaID string `json:"media_id"`
	} `json:"image"`
	File *struct {
		MediaID string `json:"media_id"`
	} `json:"file"`
}

func (s *Server) send(w http.ResponseWriter, path string, body []byte) {
	var b sendBody
	if err := json.Unmarshal(body, &b); err != nil {
		errReply(w, 47001, "data format error")
		return
	}
	sent := Sent{Path: path, ToUser: b.ToUser, ChatID: b.ChatID, AgentID: b.AgentID, MsgType: b.MsgType, Body: body}
	switch b.MsgType {
	case "text", "markdown":
		c := b.Text
		if b.MsgType == "markdown" {
			c = b.Markdown
		}
		switch {
		case c == nil || c.Content == "":
			errReply(w, 44004, "empty content")
			return
		case len(c.Content) > 2048:
			errReply(w, 45002, "content size out of limit")
			return
		}
		sent.Content = c.Content
	case "image", "file":
		var id string
		if b.MsgType == "image" && b.Image != nil {
			id = b.Image.MediaID
		} else if b.MsgType == "file" && b.File != nil {
			id = b.File.MediaID
		}
		m, ok := s.media[id]
		if !ok || m.Type != b.MsgType {
			errReply(w, 40007, "invalid media_id")
			return
		}
		sent.Media = &m
	default:
		errReply(w, 40008, "invalid message type")
		return
	}
	if path == "/cgi-bin/appchat/send" {
		if _, ok := s.chats[b.ChatID]; !ok {
			errReply(w, 86003, "chatid not found")
			return
		}
		s.sent = append(s.sent, sent)
		errReply(w, 0, "ok")
		return
	}
	if b.AgentID != s.AgentID {
		errReply(w, 301002, "api forbidden for agent")
		return
	}
	if b.ToUser == "" {
		errReply(w, 82001, "All touser & toparty & totag invalid")
		return
	}
	var invalid []string
	ok := 0
	for _, u := range strings.Split(b.ToUser, "|") {
		if _, known := s.Users[strings.ToLower(u)]; known || u == "@all" {
			ok++
		} else {
			invalid = append(invalid, strings.ToLower(u))
		}
	}
	if ok == 0 {
		errReply(w, 81013, "user & party & tag all invalid")
		return
	}
	s.sent = append(s.sent, sent)
	reply(w, map[string]any{"errcode": 0, "errmsg": "ok", "invaliduser": strings.Join(invalid, "|"), "invalidparty": "", "invalidtag": "",
		"unlicenseduser": "", "msgid": fmt.Sprintf("msg-%d", len(s.sent)), "response_code": ""})
}

// upload takes 上传临时素材's form: one file in the field "media".
func (s *Server) upload(w http.ResponseWriter, r *http.Request, typ string, body []byte) {
	if typ != "image" && typ != "file" && typ != "voice" && typ != "video" {
		errReply(w, 40005, "invalid file type")
		return
	}
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		errReply(w, 41005, "media data missing")
		return
	}
	part, err := multipart.NewReader(bytes.NewReader(body), params["boundary"]).NextPart()
	if err != nil || part.FormName() != "media" || part.FileName() == "" {
		errReply(w, 41005, "media data missing")
		return
	}
	data, _ := io.ReadAll(part)
	ct := http.DetectContentType(data)
	switch {
	case len(data) <= 5:
		errReply(w, 40006, "invalid file size")
		return
	case typ == "image" && ct != "image/png" && ct != "image/jpeg":
		errReply(w, 40004, "invalid media type")
		return
	}
	id := fmt.Sprintf("media-%d", len(s.media)+1)
	s.media[id] = Media{Type: typ, Filename: part.FileName(), Data: data}
	reply(w, map[string]any{"errcode": 0, "errmsg": "", "type": typ, "media_id": id, "created_at": strconv.FormatInt(s.now().Unix(), 10)})
}

func (s *Server) createChat(w http.ResponseWriter, body []byte) {
	var b struct {
		Name     string   `json:"name"`
		Owner    string   `json:"owner"`
		UserList []string `json:"userlist"`
		ChatID   string   `json:"chatid"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		errReply(w, 47001, "data format error")
		return
	}
	if len(b.UserList) < 2 {
		errReply(w, 86006, "chat member count must be at least 2")
		return
	}
	for _, u := range b.UserList {
		if _, ok := s.Users[u]; !ok {
			errReply(w, 60111, "userid not found")
			return
		}
	}
	id := b.ChatID
	if id == "" {
		id = fmt.Sprintf("wrchat%04d", len(s.chats)+1)
	}
	s.chats[id] = b.UserList
	reply(w, map[string]any{"errcode": 0, "errmsg": "ok", "chatid": id})
}

func (s *Server) agent(w http.ResponseWriter, agentID string) {
	if agentID != strconv.FormatInt(s.AgentID, 10) {
		errReply(w, 301002, "api forbidden for agent")
		return
	}
	inParty := map[string]bool{}
	var parties []int64
	for p, us := range s.Parties {
		parties = append(parties, p)
		for _, u := range us {
			inParty[u] = true
		}
	}
	var users []map[string]string
	for u := range s.Users {
		if !inParty[u] {
			users = append(users, map[string]string{"userid": u})
		}
	}
	reply(w, map[string]any{"errcode": 0, "errmsg": "ok", "agentid": s.AgentID, "name": "BotGate 助手",
		"allow_userinfos": map[string]any{"user": users}, "allow_partys": map[string]any{"partyid": parties}, "close": 0})
}

func (s *Server) simpleList(w http.ResponseWriter, dept string) {
	id, _ := strconv.ParseInt(dept, 10, 64)
	us, ok := s.Parties[id]
	if !ok {
		errReply(w, 60011, "no privilege to access/modify contact/party/agent")
		return
	}
	var list []map[string]any
	for _, u := range us {
		list = append(list, map[string]any{"userid": u, "name": s.Users[u], "department": []int64{id}})
	}
	reply(w, map[string]any{"errcode": 0, "errmsg": "ok", "userlist": list})
}
