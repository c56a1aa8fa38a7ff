// Package dingtalkfake is a fake DingTalk open platform on 127.0.0.1 for
// tests: the internal app's access token, the robot's send APIs, session
// webhooks, and Stream mode (the gateway that hands out an endpoint and a
// ticket, and the WebSocket behind it). It answers as api.dingtalk.com does;
// its Stream side is checked against the SDK's own client
// (dingtalk-stream-sdk-go), so a connector that works with it speaks the
// real protocol.
package dingtalkfake

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
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/chatbot"
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/payload"
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/utils"
)

// Credentials the fake accepts.
const (
	ClientID     = "dingbotgatetest0001"
	ClientSecret = "fake-client-secret"
)

// Sent is one message the fake platform took.
type Sent struct {
	Via       string   // "oto" (batchSend), "group" (groupMessages/send) or "session" (sessionWebhook)
	To        []string // userIds, or the openConversationId, or the session
	RobotCode string
	MsgKey    string            // sampleText, sampleMarkdown, ...; "text" for a session reply
	Param     map[string]string // msgParam decoded; the session reply's text
	AtUserIDs []string          // a session reply's at.atUserIds
	Token     string
}

// Server is the fake platform.
type Server struct {
	URL string
	srv *httptest.Server

	mu           sync.Mutex
	tokens       map[string]bool
	tokenCalls   int
	tokenDelay   time.Duration
	tickets      map[string]bool
	opens        []payload.ConnectionEndpointRequest
	refuseStream string // gateway answers 400 with this code
	unknown      map[string]bool
	flow         map[string]int // userId → how many more sends are rate-limited
	sent         []Sent
	conns        []*Conn
	seq          int

	sentCh chan Sent
	connCh chan *Conn
	closed chan struct{}

	down bool // every HTTP call answers 503, as during an outage

	// silent: the platform's side never reads, so it answers no
	// WebSocket ping (only this package's tests set it).
	silent bool
}

// New starts the fake; it is closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{tokens: map[string]bool{}, tickets: map[string]bool{}, unknown: map[string]bool{}, flow: map[string]int{},
		sentCh: make(chan Sent, 64), connCh: make(chan *Conn, 16), closed: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1.0/oauth2/accessToken", s.token)
	mux.HandleFunc("POST "+utils.GetConnectionEndpointAPIUrl, s.open)
	mux.HandleFunc("GET /connect", s.connect)
	mux.HandleFunc("POST /v1.0/robot/oToMessages/batchSend", s.oto)
	mux.HandleFunc("POST /v1.0/robot/groupMessages/send", s.group)
	mux.HandleFunc("POST /robot/sendBySession", s.session)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		down := s.down
		s.mu.Unlock()
		if down {
			v1Error(w, http.StatusServiceUnavailable, "ServiceUnavailable", "服务暂时不可用")
			return
		}
		mux.ServeHTTP(w, r)
	}))
	s.URL = s.srv.URL
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("fake DingTalk must listen on 127.0.0.1, got %s", s.URL)
	}
	t.Cleanup(s.Close)
	return s
}

// Close drops every Stream connection and stops the server.
func (s *Server) Close() {
	close(s.closed)
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
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// v1Error is the v1.0 API's refusal.
func v1Error(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"code": code, "message": msg, "requestid": "FAKE-REQUEST-ID"})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	var req struct{ AppKey, AppSecret string }
	json.NewDecoder(r.Body).Decode(&req)
	s.mu.Lock()
	s.tokenCalls++
	n, delay := s.tokenCalls, s.tokenDelay
	s.mu.Unlock()
	time.Sleep(delay)
	if req.AppKey != ClientID || req.AppSecret != ClientSecret {
		v1Error(w, http.StatusBadRequest, "invalidClientIdOrSecret", "无效的clientId或clientSecret")
		return
	}
	tok := fmt.Sprintf("dt-token-%d", n)
	s.mu.Lock()
	s.tokens[tok] = true
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"accessToken": tok, "expireIn": 7200})
}

// Down makes every HTTP call fail with 503 until Down(false).
func (s *Server) Down(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// TokenCalls is how many access tokens were asked for.
func (s *Server) TokenCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenCalls
}

// SlowTokens makes each token request take d (to let concurrent sends meet).
func (s *Server) SlowTokens(d time.Duration) {
	s.mu.Lock()
	s.tokenDelay = d
	s.mu.Unlock()
}

// ExpireTokens makes every token issued so far invalid, as after 7200 s.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	clear(s.tokens)
	s.mu.Unlock()
}

// authorised checks the x-acs-dingtalk-access-token header as the v1.0 API
// does: HTTP 400 InvalidAuthentication for a missing, wrong or expired one.
func (s *Server) authorised(w http.ResponseWriter, r *http.Request) (string, bool) {
	tok := r.Header.Get("x-acs-dingtalk-access-token")
	s.mu.Lock()
	ok := s.tokens[tok]
	s.mu.Unlock()
	if !ok {
		v1Error(w, http.StatusBadRequest, "InvalidAuthentication", "不合法的access_token")
	}
	return tok, ok
}

// Unknown makes userIds that do not exist in the organisation.
func (s *Server) Unknown(ids ...string) {
	s.mu.Lock()
	for _, id := range ids {
		s.unknown[id] = true
	}
	s.mu.Unlock()
}

// FlowControl makes the next n sends to id rate-limited.
func (s *Server) FlowControl(id string, n int) {
	s.mu.Lock()
	s.flow[id] = n
	s.mu.Unlock()
}

func (s *Server) record(m Sent) {
	s.mu.Lock()
	s.sent = append(s.sent, m)
	s.mu.Unlock()
	s.sentCh <- m
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
		t.Fatal("the fake DingTalk received no message")
		return Sent{}
	}
}

func decodeParam(raw string) (map[string]string, bool) {
	var p map[string]string
	return p, json.Unmarshal([]byte(raw), &p) == nil
}

var msgKeys = map[string]bool{"sampleText": true, "sampleMarkdown": true, "sampleImageMsg": true, "sampleLink": true, "sampleActionCard": true}

func (s *Server) oto(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.authorised(w, r)
	if !ok {
		return
	}
	var req struct {
		RobotCode string   `json:"robotCode"`
		UserIDs   []string `json:"userIds"`
		MsgKey    string   `json:"msgKey"`
		MsgParam  string   `json:"msgParam"`
	}
	json.NewDecoder(r.Body).Decode(&req)
	p, okParam := decodeParam(req.MsgParam)
	switch {
	case req.RobotCode != ClientID:
		v1Error(w, http.StatusBadRequest, "invalidParameter.robotCode.auth", "该应用的appkey和机器人的robotCode不匹配，请使用机器人所属应用的appkey")
		return
	case len(req.UserIDs) == 0:
		v1Error(w, http.StatusBadRequest, "invalidParameter.userIds.empty", "用户userId列表为空")
		return
	case len(req.UserIDs) > 20:
		v1Error(w, http.StatusBadRequest, "invalidParameter.userIds.overMax", "用户userId列表超过最大限制")
		return
	case !msgKeys[req.MsgKey]:
		v1Error(w, http.StatusBadRequest, "invalidParameter.msgKey.invalid", "msgKey无效")
		return
	case !okParam:
		v1Error(w, http.StatusBadRequest, "invalidParameter.msgParam.invalid", "msgParam必须是json格式")
		return
	}
	reply := map[string]any{"processQueryKey": "fake-pqk", "invalidStaffIdList": []string{}, "flowControlledStaffIdList": []string{}}
	var got, invalid, flow []string
	s.mu.Lock()
	for _, id := range req.UserIDs {
		switch {
		case s.unknown[id]:
			invalid = append(invalid, id)
		case s.flow[id] > 0:
			s.flow[id]--
			flow = append(flow, id)
		default:
			got = append(got, id)
		}
	}
	s.mu.Unlock()
	if invalid != nil {
		reply["invalidStaffIdList"] = invalid
	}
	if flow != nil {
		reply["flowControlledStaffIdList"] = flow
	}
	if got != nil {
		s.record(Sent{Via: "oto", To: got, RobotCode: req.RobotCode, MsgKey: req.MsgKey, Param: p, Token: tok})
	}
	writeJSON(w, http.StatusOK, reply)
}

func (s *Server) group(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.authorised(w, r)
	if !ok {
		return
	}
	var req struct {
		RobotCode          string `json:"robotCode"`
		OpenConversationID string `json:"openConversationId"`
		MsgKey             string `json:"msgKey"`
		MsgParam           string `json:"msgParam"`
	}
	json.NewDecoder(r.Body).Decode(&req)
	p, okParam := decodeParam(req.MsgParam)
	switch {
	case req.RobotCode != ClientID:
		v1Error(w, http.StatusBadRequest, "invalidParameter.robotCode.notExsit", "机器人不存在")
		return
	case !strings.HasPrefix(req.OpenConversationID, "cid"):
		v1Error(w, http.StatusBadRequest, "invalid.openConversationId", "无效的openConversationId")
		return
	case !msgKeys[req.MsgKey] || !okParam:
		v1Error(w, http.StatusBadRequest, "invalidParameter.param.invalid", "参数不合法")
		return
	case len(req.MsgParam) > 15000:
		v1Error(w, http.StatusBadRequest, "invalidParameter.msgParam.invalid", "msgParam长度超过限制")
		return
	}
	s.record(Sent{Via: "group", To: []string{req.OpenConversationID}, RobotCode: req.RobotCode, MsgKey: req.MsgKey, Param: p, Token: tok})
	writeJSON(w, http.StatusOK, map[string]string{"processQueryKey": "fake-pqk"})
}

// session takes a reply posted to a message's sessionWebhook; it answers
// as a custom robot webhook does.
func (s *Server) session(w http.ResponseWriter, r *http.Request) {
	var req struct {
		MsgType string            `json:"msgtype"`
		Text    map[string]string `json:"text"`
		At      struct {
			AtUserIDs []string `json:"atUserIds"`
		} `json:"at"`
	}
	body, _ := io.ReadAll(r.Body)
	if json.Unmarshal(body, &req) != nil || req.MsgType != "text" {
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 40035, "errmsg": "缺少参数 json"})
		return
	}
	s.record(Sent{Via: "session", To: []string{r.URL.Query().Get("session")}, MsgKey: req.MsgType, Param: req.Text, AtUserIDs: req.At.AtUserIDs})
	writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok"})
}

// RefuseStream makes the gateway refuse connections with code (empty: accept).
func (s *Server) RefuseStream(code string) {
	s.mu.Lock()
	s.refuseStream = code
	s.mu.Unlock()
}

// Opens lists the gateway requests received.
func (s *Server) Opens() []payload.ConnectionEndpointRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]payload.ConnectionEndpointRequest(nil), s.opens...)
}

// open is POST /v1.0/gateway/connections/open: credentials and
// subscriptions in, endpoint and a one-time ticket out.
func (s *Server) open(w http.ResponseWriter, r *http.Request) {
	var req payload.ConnectionEndpointRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		v1Error(w, http.StatusBadRequest, "invalidParameter", "请求体不是JSON")
		return
	}
	s.mu.Lock()
	s.opens = append(s.opens, req)
	refuse := s.refuseStream
	s.seq++
	ticket := fmt.Sprintf("fake-ticket-%d", s.seq)
	s.mu.Unlock()
	switch {
	case req.ClientId != ClientID || req.ClientSecret != ClientSecret:
		v1Error(w, http.StatusUnauthorized, "Unauthorized", "clientId或clientSecret错误")
		return
	case refuse != "":
		v1Error(w, http.StatusForbidden, refuse, "应用未开通Stream模式或未发布")
		return
	}
	s.mu.Lock()
	s.tickets[ticket] = true
	s.mu.Unlock()
	ws := "ws" + strings.TrimPrefix(s.URL, "http") + "/connect"
	writeJSON(w, http.StatusOK, payload.ConnectionEndpointResponse{Endpoint: ws, Ticket: ticket})
}

func (s *Server) connect(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	ok := s.tickets[ticket]
	delete(s.tickets, ticket) // one connection per ticket
	s.mu.Unlock()
	if !ok {
		http.Error(w, `{"code":"invalidTicket","message":"ticket无效"}`, http.StatusForbidden)
		return
	}
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	ws.SetReadLimit(4 << 20)
	c := &Conn{s: s, ws: ws, Ticket: ticket, acks: map[string]chan payload.DataFrameResponse{}, done: make(chan struct{})}
	s.mu.Lock()
	s.conns = append(s.conns, c)
	s.mu.Unlock()
	s.connCh <- c
	if s.silent {
		<-s.closed
		return
	}
	c.read()
}

// NextConn waits for the next Stream connection, for up to 10 s.
func (s *Server) NextConn(t testing.TB) *Conn {
	t.Helper()
	select {
	case c := <-s.connCh:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("nobody opened a Stream connection to the fake DingTalk")
		return nil
	}
}

// Conn is the platform's side of one Stream connection.
type Conn struct {
	s      *Server
	ws     *websocket.Conn
	Ticket string

	mu   sync.Mutex
	acks map[string]chan payload.DataFrameResponse
	seq  int
	done chan struct{}
}

// read takes the client's acknowledgements until the connection ends.
func (c *Conn) read() {
	defer close(c.done)
	for {
		_, data, err := c.ws.Read(context.Background())
		if err != nil {
			return
		}
		var r payload.DataFrameResponse
		if json.Unmarshal(data, &r) != nil {
			continue
		}
		c.mu.Lock()
		ch := c.acks[r.GetHeader(payload.DataFrameHeaderKMessageId)]
		c.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	}
}

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// send writes a data frame and waits, for up to 20 s, for its
// acknowledgement (none is awaited for a disconnect).
func (c *Conn) send(typ, topic, data string, wait bool) (payload.DataFrameResponse, error) {
	c.mu.Lock()
	c.seq++
	id := fmt.Sprintf("fake-msg-%s-%d", c.Ticket, c.seq)
	ch := make(chan payload.DataFrameResponse, 1)
	c.acks[id] = ch
	c.mu.Unlock()
	now := fmt.Sprint(time.Now().UnixMilli())
	df := payload.DataFrame{SpecVersion: "1.0", Type: typ, Time: time.Now().UnixMilli(), Data: data,
		Headers: payload.DataFrameHeader{"appId": "fake-app", "connectionId": c.Ticket, "contentType": payload.DataFrameContentTypeKJson,
			payload.DataFrameHeaderKMessageId: id, payload.DataFrameHeaderKTime: now, payload.DataFrameHeaderKTopic: topic}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, df.Encode()); err != nil {
		return payload.DataFrameResponse{}, err
	}
	if !wait {
		return payload.DataFrameResponse{}, nil
	}
	select {
	case r := <-ch:
		return r, nil
	case <-c.done:
		return payload.DataFrameResponse{}, fmt.Errorf("connection ended before frame %s was acknowledged", id)
	case <-ctx.Done():
		return payload.DataFrameResponse{}, fmt.Errorf("frame %s was not acknowledged", id)
	}
}

// Push sends a bot message on the CALLBACK topic and returns its acknowledgement.
func (c *Conn) Push(m chatbot.BotCallbackDataModel) (payload.DataFrameResponse, error) {
	raw, _ := json.Marshal(m)
	return c.send(utils.SubscriptionTypeKCallback, payload.BotMessageCallbackTopic, string(raw), true)
}

// Ping sends the platform's SYSTEM ping and returns the pong.
func (c *Conn) Ping(opaque string) (payload.DataFrameResponse, error) {
	return c.send(utils.SubscriptionTypeKSystem, "ping", `{"opaque":"`+opaque+`"}`, true)
}

// Disconnect tells the client to reconnect (SYSTEM disconnect), then
// closes the connection as the gateway does after a grace period.
func (c *Conn) Disconnect() {
	c.send(utils.SubscriptionTypeKSystem, "disconnect", `{"reason":"server restart"}`, false)
	select {
	case <-c.done:
	case <-time.After(time.Second):
	}
	c.ws.CloseNow()
}

// Drop ends the connection abruptly, as a network failure does.
func (c *Conn) Drop() { c.ws.CloseNow() }

// Text builds the bot message a member's text produces: group is the
// openConversationId of a group chat, empty for a one-to-one chat. Its
// sessionWebhook points at this fake and is valid for 90 minutes from now.
func (s *Server) Text(staffID, nick, group, text string) chatbot.BotCallbackDataModel {
	s.mu.Lock()
	s.seq++
	n := s.seq
	s.mu.Unlock()
	m := chatbot.BotCallbackDataModel{
		ConversationId: "cidP2PFake" + staffID, ConversationType: "1", ChatbotCorpId: "dingcorpfake", ChatbotUserId: "$:LWCP_v1:$bot",
		MsgId: fmt.Sprintf("msgFake%d", n), SenderNick: nick, SenderStaffId: staffID, SenderCorpId: "dingcorpfake",
		SenderId: "$:LWCP_v1:$" + staffID, CreateAt: time.Now().UnixMilli(),
		SessionWebhook:            fmt.Sprintf("%s/robot/sendBySession?session=fake-session-%d", s.URL, n),
		SessionWebhookExpiredTime: time.Now().Add(90 * time.Minute).UnixMilli(),
		Text:                      chatbot.BotCallbackDataTextModel{Content: text}, Msgtype: "text",
	}
	if group != "" {
		m.ConversationId, m.ConversationType, m.ConversationTitle, m.IsInAtList = group, "2", "测试群", true
		m.Text.Content = " " + text // what is left of "@机器人 text": DingTalk drops the @ and keeps the space
		m.AtUsers = []chatbot.BotCallbackDataAtUserModel{{DingtalkId: "$:LWCP_v1:$bot"}}
	}
	return m
}
