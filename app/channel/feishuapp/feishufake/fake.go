// Package feishufake is a fake Feishu open platform on 127.0.0.1 for tests:
// the tenant_access_token, im/v1 messages, replies, image and file uploads,
// the chats the bot is in, the bot's info, and the long connection (the
// endpoint request and the WebSocket of protobuf frames behind it). It
// answers as open.feishu.cn does; its long connection is checked against
// the SDK's own ws client (larksuite/oapi-sdk-go/v3), so a connector that
// works with it speaks the real protocol.
package feishufake

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"botgate/app/channel/feishuapp/wsframe"
)

// Credentials and ids of the fake app.
const (
	AppID     = "cli_fakebotgate0001"
	AppSecret = "fake-app-secret"
	BotOpenID = "ou_fakebot000000000000000000000"
	ServiceID = 33554678
)

// Sent is one message the platform took (sent or replied).
type Sent struct {
	ReceiveIDType string
	ReceiveID     string
	ReplyTo       string // the message replied to, for a reply
	MsgType       string
	Content       map[string]any // the content JSON, decoded
	UUID          string
	Token         string
}

// Upload is one image or file uploaded.
type Upload struct {
	Kind   string // "image" or "file"
	Fields map[string]string
	Name   string
	Data   []byte
	Key    string
}

// Server is the fake platform.
type Server struct {
	URL string
	srv *httptest.Server

	mu         sync.Mutex
	tokens     map[string]bool
	tokenCalls int
	tokenDelay time.Duration
	unknown    map[string]bool // ids outside the app's range (230013)
	busy       map[string]int  // id → how many more sends are rate-limited (230020)
	chats      []Chat          // the chats the bot is in
	keys       map[string]bool // uploaded image and file keys
	uuids      map[string]string
	sent       []Sent
	uploads    []Upload
	seq        int
	tickets    map[string]bool
	endpoints  int
	refuse     *refusal
	handshake  http.Header // refuse the upgrade with these headers
	pingSecs   int
	conns      []*Conn
	down       bool // every HTTP call answers 503, as during an outage

	sentCh chan Sent
	connCh chan *Conn
}

type refusal struct {
	code int
	msg  string
}

// Chat is one chat the bot is in.
type Chat struct{ ID, Name string }

// New starts the fake; it is closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{tokens: map[string]bool{}, unknown: map[string]bool{}, busy: map[string]int{}, keys: map[string]bool{}, uuids: map[string]string{},
		tickets: map[string]bool{}, pingSecs: 120, sentCh: make(chan Sent, 64), connCh: make(chan *Conn, 16),
		chats: []Chat{{"oc_fakegroup0001", "销售部"}}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /open-apis/auth/v3/tenant_access_token/internal", s.token)
	mux.HandleFunc("POST /open-apis/im/v1/messages", s.create)
	mux.HandleFunc("POST /open-apis/im/v1/messages/{id}/reply", s.reply)
	mux.HandleFunc("POST /open-apis/im/v1/images", s.upload("image"))
	mux.HandleFunc("POST /open-apis/im/v1/files", s.upload("file"))
	mux.HandleFunc("GET /open-apis/im/v1/chats", s.listChats)
	mux.HandleFunc("GET /open-apis/bot/v3/info", s.botInfo)
	mux.HandleFunc("POST /callback/ws/endpoint", s.endpoint)
	mux.HandleFunc("GET /ws", s.connect)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		down := s.down
		s.mu.Unlock()
		if down {
			http.Error(w, "<html>503 Service Temporarily Unavailable</html>", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	s.URL = s.srv.URL
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("fake Feishu must listen on 127.0.0.1, got %s", s.URL)
	}
	t.Cleanup(s.Close)
	return s
}

// Close drops every long connection and stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	conns := s.conns
	s.mu.Unlock()
	for _, c := range conns {
		c.ws.CloseNow()
	}
	s.srv.CloseClientConnections()
	s.srv.Close()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// fail is Feishu's refusal: HTTP 400 and {"code","msg"}.
func fail(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"code": code, "msg": msg,
		"error": map[string]any{"log_id": "fake-log-id"}})
}

func ok(w http.ResponseWriter, data any) {
	writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "success", "data": data})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AppID     string `json:"app_id"`
		AppSecret string `json:"app_secret"`
	}
	json.NewDecoder(r.Body).Decode(&req)
	s.mu.Lock()
	s.tokenCalls++
	n, delay := s.tokenCalls, s.tokenDelay
	s.mu.Unlock()
	time.Sleep(delay)
	switch {
	case req.AppID != AppID:
		fail(w, 10003, "invalid param")
		return
	case req.AppSecret != AppSecret:
		fail(w, 10014, "app secret invalid")
		return
	}
	tok := fmt.Sprintf("t-fake-%d", n)
	s.mu.Lock()
	s.tokens[tok] = true
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "tenant_access_token": tok, "expire": 7200})
}

// Down makes every HTTP call fail with 503 until Down(false).
func (s *Server) Down(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// TokenCalls is how many tokens were asked for.
func (s *Server) TokenCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenCalls
}

// SlowTokens makes each token request take d.
func (s *Server) SlowTokens(d time.Duration) {
	s.mu.Lock()
	s.tokenDelay = d
	s.mu.Unlock()
}

// ExpireTokens makes every token issued so far invalid.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	clear(s.tokens)
	s.mu.Unlock()
}

// authorised checks "Authorization: Bearer <tenant_access_token>" as the
// open API does: HTTP 400 with 99991661 when missing, 99991663 when invalid.
func (s *Server) authorised(w http.ResponseWriter, r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	tok, found := strings.CutPrefix(h, "Bearer ")
	if !found || tok == "" {
		fail(w, 99991661, "Missing access token for authorization. Please make a request with token attached.")
		return "", false
	}
	s.mu.Lock()
	valid := s.tokens[tok]
	s.mu.Unlock()
	if !valid {
		fail(w, 99991663, "Invalid access token for authorization. Please make a request with token attached.")
		return "", false
	}
	return tok, true
}

// Unknown puts ids outside the app's availability range.
func (s *Server) Unknown(ids ...string) {
	s.mu.Lock()
	for _, id := range ids {
		s.unknown[id] = true
	}
	s.mu.Unlock()
}

// Busy makes the next n sends to id hit the frequency limit (230020).
func (s *Server) Busy(id string, n int) {
	s.mu.Lock()
	s.busy[id] = n
	s.mu.Unlock()
}

// SetChats sets the chats the bot is in.
func (s *Server) SetChats(chats ...Chat) {
	s.mu.Lock()
	s.chats = chats
	s.mu.Unlock()
}

var idTypes = map[string]string{"open_id": "ou_", "union_id": "on_", "chat_id": "oc_", "user_id": "", "email": ""}

func (s *Server) checkContent(msgType, raw string) (map[string]any, string) {
	var c map[string]any
	if json.Unmarshal([]byte(raw), &c) != nil {
		return nil, "content is not a valid json string"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch msgType {
	case "text":
		if _, ok := c["text"].(string); !ok {
			return nil, "text content needs text"
		}
	case "post":
		if _, ok := c["zh_cn"].(map[string]any); !ok {
			return nil, "post content needs a language"
		}
	case "image":
		if k, _ := c["image_key"].(string); !s.keys[k] {
			return nil, "invalid image_key"
		}
	case "file":
		if k, _ := c["file_key"].(string); !s.keys[k] {
			return nil, "invalid file_key"
		}
	default:
		return nil, "invalid msg_type"
	}
	return c, ""
}

func (s *Server) take(m Sent) string {
	s.mu.Lock()
	if id, dup := s.uuids[m.UUID]; dup && m.UUID != "" {
		s.mu.Unlock()
		return id // Feishu sends a uuid once an hour
	}
	s.seq++
	id := fmt.Sprintf("om_fake%d", s.seq)
	if m.UUID != "" {
		s.uuids[m.UUID] = id
	}
	s.sent = append(s.sent, m)
	s.mu.Unlock()
	s.sentCh <- m
	return id
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	tok, ok2 := s.authorised(w, r)
	if !ok2 {
		return
	}
	idType := r.URL.Query().Get("receive_id_type")
	var req struct {
		ReceiveID string `json:"receive_id"`
		MsgType   string `json:"msg_type"`
		Content   string `json:"content"`
		UUID      string `json:"uuid"`
	}
	json.NewDecoder(r.Body).Decode(&req)
	prefix, known := idTypes[idType]
	if !known || !strings.HasPrefix(req.ReceiveID, prefix) || (idType == "email") != strings.Contains(req.ReceiveID, "@") {
		fail(w, 230001, "Your request contains an invalid request parameter, ext=invalid receive_id.")
		return
	}
	content, bad := s.checkContent(req.MsgType, req.Content)
	if bad != "" {
		fail(w, 230001, "Your request contains an invalid request parameter, ext="+bad)
		return
	}
	s.mu.Lock()
	unknown := s.unknown[req.ReceiveID]
	busy := s.busy[req.ReceiveID] > 0
	if busy {
		s.busy[req.ReceiveID]--
	}
	inChat := false
	for _, c := range s.chats {
		inChat = inChat || c.ID == req.ReceiveID
	}
	s.mu.Unlock()
	switch {
	case busy:
		fail(w, 230020, "This operation triggers the frequency limit.")
		return
	case unknown:
		fail(w, 230013, "Bot has NO availability to this user.")
		return
	case idType == "chat_id" && !inChat:
		fail(w, 230002, "The bot can not be outside the group.")
		return
	}
	id := s.take(Sent{ReceiveIDType: idType, ReceiveID: req.ReceiveID, MsgType: req.MsgType, Content: content, UUID: req.UUID, Token: tok})
	ok(w, map[string]any{"message_id": id, "msg_type": req.MsgType, "chat_id": "oc_fakechat", "create_time": fmt.Sprint(time.Now().UnixMilli())})
}

func (s *Server) reply(w http.ResponseWriter, r *http.Request) {
	tok, ok2 := s.authorised(w, r)
	if !ok2 {
		return
	}
	var req struct {
		MsgType string `json:"msg_type"`
		Content string `json:"content"`
		UUID    string `json:"uuid"`
	}
	json.NewDecoder(r.Body).Decode(&req)
	id := r.PathValue("id")
	if !strings.HasPrefix(id, "om_") {
		fail(w, 230011, "The message is recalled or deleted.")
		return
	}
	content, bad := s.checkContent(req.MsgType, req.Content)
	if bad != "" {
		fail(w, 230001, "Your request contains an invalid request parameter, ext="+bad)
		return
	}
	mid := s.take(Sent{ReplyTo: id, MsgType: req.MsgType, Content: content, UUID: req.UUID, Token: tok})
	ok(w, map[string]any{"message_id": mid, "parent_id": id, "root_id": id})
}

func (s *Server) upload(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok2 := s.authorised(w, r); !ok2 {
			return
		}
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			fail(w, 234001, "Invalid request param.")
			return
		}
		f, fh, err := r.FormFile(kind)
		if err != nil {
			fail(w, 234001, "Invalid request param: no "+kind)
			return
		}
		data, _ := io.ReadAll(f)
		fields := map[string]string{}
		for k, v := range r.MultipartForm.Value {
			fields[k] = v[0]
		}
		switch {
		case kind == "image" && fields["image_type"] != "message":
			fail(w, 234001, "Invalid request param: image_type")
			return
		case kind == "image" && !strings.HasPrefix(http.DetectContentType(data), "image/"):
			fail(w, 234011, "Can't recognize image format.")
			return
		case kind == "file" && (fields["file_type"] == "" || fields["file_name"] == "" || len(data) == 0):
			fail(w, 234001, "Invalid request param: file_type, file_name and a file are required")
			return
		}
		s.mu.Lock()
		s.seq++
		key := fmt.Sprintf("%s_v2_fake%d", map[string]string{"image": "img", "file": "file"}[kind], s.seq)
		s.keys[key] = true
		s.uploads = append(s.uploads, Upload{Kind: kind, Fields: fields, Name: fh.Filename, Data: data, Key: key})
		s.mu.Unlock()
		ok(w, map[string]string{kind + "_key": key})
	}
}

// Uploads lists the images and files uploaded.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Upload(nil), s.uploads...)
}

func (s *Server) listChats(w http.ResponseWriter, r *http.Request) {
	if _, ok2 := s.authorised(w, r); !ok2 {
		return
	}
	var size, start int
	fmt.Sscan(r.URL.Query().Get("page_size"), &size)
	fmt.Sscan(strings.TrimPrefix(r.URL.Query().Get("page_token"), "page-"), &start)
	if size <= 0 || size > 100 {
		size = 20
	}
	s.mu.Lock()
	chats := s.chats
	s.mu.Unlock()
	end := min(start+size, len(chats))
	items := []map[string]string{}
	for _, c := range chats[min(start, end):end] {
		items = append(items, map[string]string{"chat_id": c.ID, "name": c.Name, "avatar": "", "owner_id": "ou_owner", "owner_id_type": "open_id", "tenant_key": "fake"})
	}
	more := end < len(chats)
	token := ""
	if more {
		token = fmt.Sprintf("page-%d", end)
	}
	ok(w, map[string]any{"items": items, "page_token": token, "has_more": more})
}

func (s *Server) botInfo(w http.ResponseWriter, r *http.Request) {
	if _, ok2 := s.authorised(w, r); !ok2 {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok",
		"bot": map[string]any{"activate_status": 2, "app_name": "BotGate 测试", "avatar_url": "", "ip_white_list": []string{}, "open_id": BotOpenID}})
}

// Sent lists the messages taken so far.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// NextSent waits for the next message taken, for up to 20 s (a busy machine is slow, a missing message still fails).
func (s *Server) NextSent(t testing.TB) Sent {
	t.Helper()
	select {
	case m := <-s.sentCh:
		return m
	case <-time.After(20 * time.Second):
		t.Fatal("the fake Feishu received no message")
		return Sent{}
	}
}

// RefuseStream makes the endpoint request fail with code (0: accept).
func (s *Server) RefuseStream(code int, msg string) {
	s.mu.Lock()
	s.refuse = nil
	if code != 0 {
		s.refuse = &refusal{code, msg}
	}
	s.mu.Unlock()
}

// RefuseHandshake makes the WebSocket upgrade fail with the Handshake-*
// headers the frontier sends (status 0: accept).
func (s *Server) RefuseHandshake(status int, msg string, authCode int) {
	s.mu.Lock()
	s.handshake = nil
	if status != 0 {
		s.handshake = http.Header{"Handshake-Status": {fmt.Sprint(status)}, "Handshake-Msg": {msg}, "Handshake-Autherrcode": {fmt.Sprint(authCode)}}
	}
	s.mu.Unlock()
}

// PingInterval sets the ping interval, in seconds, the platform tells clients.
func (s *Server) PingInterval(secs int) {
	s.mu.Lock()
	s.pingSecs = secs
	s.mu.Unlock()
}

// Endpoints is how many long connection endpoints were asked for.
func (s *Server) Endpoints() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.endpoints
}

func (s *Server) clientConfig() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[string]int{"ReconnectCount": -1, "ReconnectInterval": 120, "ReconnectNonce": 30, "PingInterval": s.pingSecs}
}

// endpoint is POST /callback/ws/endpoint: credentials in, a WebSocket URL
// with its device_id, service_id and ticket out, and the client settings.
func (s *Server) endpoint(w http.ResponseWriter, r *http.Request) {
	var req struct{ AppID, AppSecret string }
	json.NewDecoder(r.Body).Decode(&req)
	s.mu.Lock()
	s.endpoints++
	s.seq++
	n, refuse := s.seq, s.refuse
	s.mu.Unlock()
	switch {
	case req.AppID != AppID || req.AppSecret != AppSecret:
		writeJSON(w, http.StatusOK, map[string]any{"code": 1000040344, "msg": "app id or app secret invalid"})
		return
	case refuse != nil:
		writeJSON(w, http.StatusOK, map[string]any{"code": refuse.code, "msg": refuse.msg})
		return
	}
	ticket := fmt.Sprintf("fake-ticket-%d", n)
	s.mu.Lock()
	s.tickets[ticket] = true
	s.mu.Unlock()
	u := fmt.Sprintf("ws%s/ws?fpid=493&aid=552564&device_id=fake-device-%d&access_key=fake&service_id=%d&ticket=%s",
		strings.TrimPrefix(s.URL, "http"), n, ServiceID, ticket)
	writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "data": map[string]any{"URL": u, "ClientConfig": s.clientConfig()}})
}

func (s *Server) connect(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	valid := s.tickets[ticket]
	delete(s.tickets, ticket)
	refuse := s.handshake
	s.mu.Unlock()
	if refuse != nil || !valid {
		if refuse == nil {
			refuse = http.Header{"Handshake-Status": {"514"}, "Handshake-Msg": {"ticket invalid"}, "Handshake-Autherrcode": {"1000040351"}}
		}
		for k, v := range refuse {
			w.Header()[k] = v
		}
		w.WriteHeader(http.StatusForbidden)
		return
	}
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	ws.SetReadLimit(4 << 20)
	c := &Conn{s: s, ws: ws, Ticket: ticket, DeviceID: r.URL.Query().Get("device_id"), acks: map[string]chan []byte{}, done: make(chan struct{}), pings: make(chan wsframe.Frame, 16)}
	s.mu.Lock()
	s.conns = append(s.conns, c)
	s.mu.Unlock()
	s.connCh <- c
	c.read()
}

// NextConn waits for the next long connection, for up to 10 s.
func (s *Server) NextConn(t testing.TB) *Conn {
	t.Helper()
	select {
	case c := <-s.connCh:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("nobody opened a long connection to the fake Feishu")
		return nil
	}
}

// Conn is the platform's side of one long connection.
type Conn struct {
	s        *Server
	ws       *websocket.Conn
	Ticket   string
	DeviceID string
	// PartGap, when set, is a pause between the parts of an event Push
	// splits. The SDK's own client (v3.4.20, ws/client.go) handles every
	// frame in a goroutine of its own, and its combine() reads the parts
	// cache and then sets it: two parts arriving together can each start a
	// fresh buffer, and the event is never whole. The SDK test paces the
	// parts so that it checks the wire format, not that race.
	PartGap time.Duration

	mu    sync.Mutex
	acks  map[string]chan []byte
	seq   uint64
	done  chan struct{}
	pings chan wsframe.Frame
	mute  bool // answer no pings
}

// read answers pings with pongs (carrying the client settings) and takes
// the responses to events, until the connection ends.
func (c *Conn) read() {
	defer close(c.done)
	for {
		_, data, err := c.ws.Read(context.Background())
		if err != nil {
			return
		}
		var f wsframe.Frame
		if f.Unmarshal(data) != nil {
			continue
		}
		switch {
		case f.Method == wsframe.MethodControl && f.Get(wsframe.HeaderType) == "ping":
			select {
			case c.pings <- f:
			default:
			}
			c.mu.Lock()
			mute := c.mute
			c.mu.Unlock()
			if mute {
				continue
			}
			cfg, _ := json.Marshal(c.s.clientConfig())
			pong := wsframe.Frame{Method: wsframe.MethodControl, Service: f.Service, Headers: []wsframe.Header{{Key: wsframe.HeaderType, Value: "pong"}}, Payload: cfg}
			c.write(&pong)
		case f.Method == wsframe.MethodData:
			c.mu.Lock()
			ch := c.acks[f.Get(wsframe.HeaderMessageID)]
			c.mu.Unlock()
			if ch != nil {
				ch <- f.Payload
			}
		}
	}
}

func (c *Conn) write(f *wsframe.Frame) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageBinary, f.Marshal())
}

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// NextPing waits for the client's next ping, for up to 20 s (a busy machine is slow, a missing message still fails).
func (c *Conn) NextPing(t testing.TB) wsframe.Frame {
	t.Helper()
	select {
	case f := <-c.pings:
		return f
	case <-time.After(20 * time.Second):
		t.Fatal("the client sent no ping")
		return wsframe.Frame{}
	}
}

// Mute stops the platform answering pings, as a dead network would.
func (c *Conn) Mute() {
	c.mu.Lock()
	c.mute = true
	c.mu.Unlock()
}

// Push sends an event, its payload split into parts frames (≥ 1), and
// returns the client's response payload ({"code":200,...}).
func (c *Conn) Push(event []byte, parts int) ([]byte, error) {
	c.mu.Lock()
	c.seq++
	id := fmt.Sprintf("fake-event-msg-%s-%d", c.Ticket, c.seq)
	ch := make(chan []byte, 1)
	c.acks[id] = ch
	seq := c.seq
	c.mu.Unlock()
	parts = max(parts, 1)
	size := (len(event) + parts - 1) / parts
	for i := range parts {
		if i > 0 && c.PartGap > 0 {
			time.Sleep(c.PartGap)
		}
		chunk := event[min(i*size, len(event)):min((i+1)*size, len(event))]
		f := wsframe.Frame{SeqID: seq, LogID: seq, Service: ServiceID, Method: wsframe.MethodData, Payload: chunk,
			Headers: []wsframe.Header{{Key: wsframe.HeaderType, Value: "event"}, {Key: wsframe.HeaderMessageID, Value: id},
				{Key: wsframe.HeaderSum, Value: fmt.Sprint(parts)}, {Key: wsframe.HeaderSeq, Value: fmt.Sprint(i)},
				{Key: wsframe.HeaderTraceID, Value: "fake-trace"}, {Key: "timestamp", Value: fmt.Sprint(time.Now().UnixMilli())}}}
		if err := c.write(&f); err != nil {
			return nil, err
		}
	}
	select {
	case p := <-ch:
		return p, nil
	case <-c.done:
		return nil, fmt.Errorf("connection ended before event %s was answered", id)
	case <-time.After(20 * time.Second):
		return nil, fmt.Errorf("event %s was not answered", id)
	}
}

// Drop ends the connection abruptly, as a network failure does.
func (c *Conn) Drop() { c.ws.CloseNow() }

// Mention is one @ in a message.
type Mention struct{ Key, OpenID, Name string }

// Text builds the im.message.receive_v1 event (schema 2.0) of a text
// message from sender: chatID "" is a one-to-one chat; text uses the
// mentions' keys (@_user_1) as Feishu writes them.
func (s *Server) Text(sender, chatID, text string, mentions ...Mention) []byte {
	s.mu.Lock()
	s.seq++
	n := s.seq
	s.mu.Unlock()
	chatType := "group"
	if chatID == "" {
		chatType, chatID = "p2p", "oc_fakep2p"+sender
	}
	content, _ := json.Marshal(map[string]string{"text": text})
	var ms []map[string]any
	for _, m := range mentions {
		ms = append(ms, map[string]any{"key": m.Key, "id": map[string]string{"open_id": m.OpenID, "union_id": "on_" + m.OpenID, "user_id": ""},
			"name": m.Name, "tenant_key": "fake-tenant"})
	}
	now := fmt.Sprint(time.Now().UnixMilli())
	ev := map[string]any{
		"schema": "2.0",
		"header": map[string]any{"event_id": fmt.Sprintf("fake-event-%d", n), "token": "", "create_time": now,
			"event_type": "im.message.receive_v1", "tenant_key": "fake-tenant", "app_id": AppID},
		"event": map[string]any{
			"sender": map[string]any{"sender_id": map[string]string{"open_id": sender, "union_id": "on_" + sender, "user_id": "u" + sender},
				"sender_type": "user", "tenant_key": "fake-tenant"},
			"message": map[string]any{"message_id": fmt.Sprintf("om_fakein%d", n), "root_id": "", "parent_id": "", "create_time": now,
				"update_time": now, "chat_id": chatID, "chat_type": chatType, "message_type": "text", "content": string(content),
				"mentions": ms, "user_agent": "Mozilla/5.0 Lark/7.0"},
		},
	}
	b, _ := json.Marshal(ev)
	return b
}

// BotMention is the @ of the fake app's bot.
var BotMention = Mention{Key: "@_user_1", OpenID: BotOpenID, Name: "BotGate 测试"}
