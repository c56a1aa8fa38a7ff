// Package onebottest is a OneBot v11 implementation for tests, speaking over
// WebSocket as NapCat does today (NapNeko/NapCatQQ
// packages/napcat-onebot/network/websocket-server.ts and websocket-client.ts,
// action/OneBotAction.ts): as the server BotGate connects to (transport ws)
// and as the client that connects to BotGate (transport ws-reverse). It
// answers actions with NapCat's envelope and the action's echo, refuses a
// wrong token as NapCat does (it accepts the upgrade, sends a retcode 1403
// frame and closes), sends the lifecycle event on connect and heartbeats,
// pushes the chat events a test scripts, and can drop its socket in the
// middle of a send. Everything listens or dials on 127.0.0.1 only.
package onebottest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// SelfID is the fake's own QQ number.
const SelfID = 10000

// Action is one action the fake received.
type Action struct {
	Action string          `json:"action"`
	Params json.RawMessage `json:"params"`
	Echo   json.RawMessage `json:"echo"`
	// Dropped is set when the fake closed its socket instead of answering.
	Dropped bool `json:"-"`
}

// Message is the "message" param of a send, as text when it is a string, or
// the raw segments.
func (a Action) Message() string {
	var p struct {
		Message json.RawMessage `json:"message"`
	}
	json.Unmarshal(a.Params, &p)
	var s string
	if json.Unmarshal(p.Message, &s) == nil {
		return s
	}
	return string(p.Message)
}

// Fake is one OneBot implementation. Set its fields before it serves.
type Fake struct {
	Token string // the token NapCat's network config has; "" = none
	// Heartbeat, when set, is the interval of the heartbeat meta events
	// (NapCat's heartInterval); Online is their status.online.
	Heartbeat time.Duration
	Online    bool
	// Answer, when set, answers an action instead of the default: its data,
	// retcode and message. The default answers send_* with a message_id,
	// get_login_info with SelfID, the lists empty, and anything else with
	// NapCat's 1404 "不支持的API".
	Answer func(a Action) (data any, retcode int, message string)
	// Delay, when set, is how long the answer to an action waits; answers
	// are then written as they fall due, not in the order of the actions.
	Delay func(a Action) time.Duration

	mu      sync.Mutex
	actions []Action
	drops   map[string]int // action name -> how many to drop
	conns   map[*websocket.Conn]bool
	events  map[*websocket.Conn]bool // connections that get events
	changed chan struct{}            // closed and replaced at every change
	nextID  int
}

// New returns a fake with no token whose heartbeats (none by default) say online.
func New() *Fake {
	return &Fake{Online: true, drops: map[string]int{}, conns: map[*websocket.Conn]bool{}, events: map[*websocket.Conn]bool{}, changed: make(chan struct{})}
}

// changedLocked wakes the waiters. Called with mu held.
func (f *Fake) changedLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// DropNext makes the fake close its socket, without answering, the next n
// times it receives action: the message was written, never acknowledged.
func (f *Fake) DropNext(action string, n int) {
	f.mu.Lock()
	f.drops[action] += n
	f.mu.Unlock()
}

// Actions are the actions received so far.
func (f *Fake) Actions() []Action {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Action(nil), f.actions...)
}

// Delivered are the send actions the fake answered (not the dropped ones).
func (f *Fake) Delivered() []Action {
	var out []Action
	for _, a := range f.Actions() {
		if strings.HasPrefix(a.Action, "send_") && !a.Dropped {
			out = append(out, a)
		}
	}
	return out
}

// Connections is how many sockets are open now.
func (f *Fake) Connections() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.conns)
}

// Wait waits up to d for cond, checked at every change and every 20 ms.
func (f *Fake) Wait(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(d)
	for !cond() {
		f.mu.Lock()
		ch := f.changed
		f.mu.Unlock()
		select {
		case <-ch:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("waited %v for %s; actions %+v", d, what, f.Actions())
		}
	}
}

// Push sends an event (a JSON object) to every connection that takes events.
func (f *Fake) Push(ctx context.Context, event string) {
	f.mu.Lock()
	var to []*websocket.Conn
	for c := range f.events {
		to = append(to, c)
	}
	f.mu.Unlock()
	for _, c := range to {
		c.Write(ctx, websocket.MessageText, []byte(event))
	}
}

// Private is a private chat message event as NapCat posts it (array form,
// its default messagePostFormat).
func Private(messageID int, user int64, text string) string {
	t, _ := json.Marshal(text)
	return fmt.Sprintf(`{"self_id":%d,"user_id":%d,"time":1700000000,"message_id":%d,"message_seq":%d,"real_id":%d,"message_type":"private","sender":{"user_id":%d,"nickname":"测试员","card":""},"raw_message":%s,"font":14,"sub_type":"friend","message":[{"type":"text","data":{"text":%s}}],"message_format":"array","post_type":"message"}`,
		SelfID, user, messageID, messageID, messageID, user, t, t)
}

// Group is a group chat message event that starts by mentioning the bot.
func Group(messageID int, group, user int64, text string) string {
	t, _ := json.Marshal(text)
	raw, _ := json.Marshal(fmt.Sprintf("[CQ:at,qq=%d] %s", SelfID, text))
	return fmt.Sprintf(`{"self_id":%d,"user_id":%d,"time":1700000000,"message_id":%d,"message_type":"group","group_id":%d,"sender":{"user_id":%d,"nickname":"小明","card":"销售-小明","role":"member"},"raw_message":%s,"font":14,"sub_type":"normal","message":[{"type":"at","data":{"qq":"%d"}},{"type":"text","data":{"text":" "}},{"type":"text","data":{"text":%s}}],"message_format":"array","post_type":"message"}`,
		SelfID, user, messageID, group, user, raw, SelfID, t)
}

// Server is the fake as NapCat's “WebSocket服务器” (transport ws), on 127.0.0.1.
func (f *Fake) Server(t testing.TB) *httptest.Server {
	srv := httptest.NewServer(f)
	t.Cleanup(func() {
		f.CloseAll()
		srv.Close()
	})
	return srv
}

// ServeHTTP is NapCat's OB11WebSocketServerAdapter: it upgrades first and
// checks the token after (access_token in the query wins over the
// Authorization header), answering a mismatch with a 1403 frame and a close.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	if f.Token != "" {
		got := r.URL.Query().Get("access_token")
		if got == "" { // authorization?.split('Bearer ').pop()
			parts := strings.Split(r.Header.Get("Authorization"), "Bearer ")
			got = parts[len(parts)-1]
		}
		if got != f.Token {
			c.Write(r.Context(), websocket.MessageText, envelope(nil, "failed", 1403, "token验证失败", json.RawMessage("null")))
			c.Close(websocket.StatusNormalClosure, "")
			return
		}
	}
	events := r.URL.Path != "/api" && r.URL.Path != "/api/"
	f.serve(context.Background(), c, events)
}

// Connect is the fake as NapCat's “WebSocket客户端” (transport ws-reverse):
// it dials url with NapCat's headers and serves the connection until it
// ends or ctx does. It returns the handshake's HTTP status when the dial is
// refused.
func (f *Fake) Connect(ctx context.Context, url, token, role string) (status int, err error) {
	h := http.Header{
		"X-Self-Id":     {fmt.Sprint(SelfID)},
		"Authorization": {"Bearer " + token},
		"User-Agent":    {"OneBot/11"},
	}
	if role != "" {
		h.Set("X-Client-Role", role)
	}
	c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		if resp != nil {
			return resp.StatusCode, err
		}
		return 0, err
	}
	f.serve(ctx, c, !strings.EqualFold(role, "API"))
	return http.StatusSwitchingProtocols, nil
}

// Keep connects to url over and over, as NapCat does after a drop (every
// reconnectInterval, here every = 100 ms), until ctx ends.
func (f *Fake) Keep(ctx context.Context, url, token string, every time.Duration) {
	for ctx.Err() == nil {
		f.Connect(ctx, url, token, "Universal")
		select {
		case <-ctx.Done():
		case <-time.After(every):
		}
	}
}

// CloseAll closes every socket, as NapCat does when it stops.
func (f *Fake) CloseAll() {
	f.mu.Lock()
	var all []*websocket.Conn
	for c := range f.conns {
		all = append(all, c)
	}
	f.mu.Unlock()
	for _, c := range all {
		c.CloseNow()
	}
}

// serve runs one connection: the lifecycle event, heartbeats and the actions.
func (f *Fake) serve(ctx context.Context, c *websocket.Conn, events bool) {
	c.SetReadLimit(64 << 20)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f.mu.Lock()
	f.conns[c] = true
	if events {
		f.events[c] = true
	}
	f.changedLocked()
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.conns, c)
		delete(f.events, c)
		f.changedLocked()
		f.mu.Unlock()
		c.CloseNow()
	}()
	if events {
		c.Write(ctx, websocket.MessageText, []byte(fmt.Sprintf(`{"time":%d,"self_id":%d,"post_type":"meta_event","meta_event_type":"lifecycle","sub_type":"connect"}`, time.Now().Unix(), SelfID)))
		if f.Heartbeat > 0 {
			go func() {
				t := time.NewTicker(f.Heartbeat)
				defer t.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-t.C:
						c.Write(ctx, websocket.MessageText, []byte(fmt.Sprintf(`{"time":%d,"self_id":%d,"post_type":"meta_event","meta_event_type":"heartbeat","status":{"online":%v,"good":true},"interval":%d}`,
							time.Now().Unix(), SelfID, f.Online, f.Heartbeat.Milliseconds())))
					}
				}
			}()
		}
	}
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		var a Action
		if json.Unmarshal(data, &a) != nil {
			c.Write(ctx, websocket.MessageText, envelope(nil, "failed", 1400, "json解析失败,请检查数据格式", json.RawMessage("null")))
			continue
		}
		f.mu.Lock()
		drop := f.drops[a.Action] > 0
		if drop {
			f.drops[a.Action]--
			a.Dropped = true
		}
		f.actions = append(f.actions, a)
		f.nextID++
		id := f.nextID
		f.changedLocked()
		f.mu.Unlock()
		if drop {
			return // the socket closes with the send unanswered
		}
		if f.Delay != nil {
			go func() {
				select {
				case <-ctx.Done():
				case <-time.After(f.Delay(a)):
					c.Write(ctx, websocket.MessageText, f.reply(a, id))
				}
			}()
			continue
		}
		c.Write(ctx, websocket.MessageText, f.reply(a, id))
	}
}

// reply is NapCat's answer to a.
func (f *Fake) reply(a Action, id int) []byte {
	if f.Answer != nil {
		data, retcode, msg := f.Answer(a)
		status := "ok"
		if retcode != 0 {
			status = "failed"
		}
		return envelope(data, status, retcode, msg, a.Echo)
	}
	switch a.Action {
	case "send_private_msg", "send_group_msg", "send_msg":
		return envelope(map[string]any{"message_id": id}, "ok", 0, "", a.Echo)
	case "get_login_info":
		return envelope(map[string]any{"user_id": SelfID, "nickname": "机器人"}, "ok", 0, "", a.Echo)
	case "get_friend_list", "get_group_list":
		return envelope([]any{}, "ok", 0, "", a.Echo)
	}
	return envelope(nil, "failed", 1404, "不支持的API "+a.Action, a.Echo)
}

// envelope is NapCat's OB11Response.
func envelope(data any, status string, retcode int, message string, echo json.RawMessage) []byte {
	if len(echo) == 0 {
		echo = json.RawMessage(`""`) // NapCat: echo ?? ''
	}
	b, _ := json.Marshal(map[string]any{"status": status, "retcode": retcode, "data": data, "message": message, "wording": message, "echo": echo, "stream": "normal-action"})
	return b
}
