package e2e_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"botgate/apiserver"
	"botgate/app"
	"botgate/app/config"
	"botgate/model"
)

const (
	hookSecret = "s3cret"
	hookBotQQ  = "10000"
)

type hookFixture struct {
	a    *app.App
	srv  *httptest.Server
	data *sql.DB // the demo data file the templates read and write
}

func hookLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// openHookApp is a real App on a temp state DB with the demo (staff table, 账号
// template, log channel) and the channels and templates the chat tests use.
func openHookApp(t *testing.T) (*app.App, *sql.DB) {
	t.Helper()
	ctx := context.Background()
	a, err := app.Open(ctx, app.Options{DBPath: filepath.Join(t.TempDir(), "botgate.db"), Log: hookLog()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := a.SetupDemo(ctx); err != nil {
		t.Fatal(err)
	}
	data, err := sql.Open("sqlite", a.DataPath())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { data.Close() })
	for _, q := range []string{
		`CREATE TABLE parts (name TEXT, qty INTEGER)`,
		`CREATE TABLE leave (qq TEXT, days TEXT, reason TEXT)`,
	} {
		if _, err := data.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 30; i++ {
		if _, err := data.Exec(`INSERT INTO parts VALUES (?, ?)`, fmt.Sprintf("P%02d", i), i); err != nil {
			t.Fatal(err)
		}
	}
	off := false
	_, err = a.Import(ctx, config.File{
		Channels: []config.Channel{
			{Name: "qq", Type: "onebot", Config: config.Values{"url": "http://127.0.0.1:1", "secret": hookSecret}},
			{Name: "local", Type: "onebot", Config: config.Values{"url": "http://127.0.0.1:1"}},
			{Name: "webqq", Type: "openqq", Config: config.Values{"url": "http://127.0.0.1:1"}},
			{Name: "webqq-lan", Type: "openqq", Config: config.Values{"url": "http://127.0.0.1:1", "secret": hookSecret}},
			{Name: "old", Type: "onebot", Enabled: &off, Config: config.Values{"url": "http://127.0.0.1:1"}},
		},
		Templates: []config.Template{
			{Keyword: "零件", Kind: model.KindQuery, SQL: "SELECT name, qty FROM parts ORDER BY name", Chat: true, Reply: "{{name}} × {{qty}}"},
			{Keyword: "密码", Kind: model.KindQuery, SQL: "SELECT name FROM staff WHERE qq = {{来源QQ}}", Chat: true, Users: []string{"350310976"}},
			{Keyword: "工资", Kind: model.KindQuery, SQL: "SELECT name FROM staff WHERE qq = {{来源QQ}}"},
			{Keyword: "请假", Kind: model.KindInsert, SQL: "INSERT INTO leave (qq, days, reason) VALUES ({{来源QQ}}, {{1}}, {{2}})", Chat: true},
			{Keyword: "改名", Kind: model.KindUpdate, SQL: "UPDATE staff SET name = {{1}} WHERE qq = '{{来源QQ}}'", Chat: true},
			{Keyword: "慢", Kind: model.KindQuery, Chat: true,
				SQL: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) SELECT count(*) AS n FROM c", TimeoutMS: 60000},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return a, data
}

func newHookFixture(t *testing.T) *hookFixture {
	t.Helper()
	a, data := openHookApp(t)
	srv := httptest.NewServer(apiserver.New(apiserver.AppDeps(a), hookLog(), "test"))
	t.Cleanup(srv.Close)
	return &hookFixture{a: a, srv: srv, data: data}
}

func hookSign(body string) string {
	mac := hmac.New(sha1.New, []byte(hookSecret))
	mac.Write([]byte(body))
	return "sha1=" + hex.EncodeToString(mac.Sum(nil))
}

// hookPost sends body to /webhook/{channel}; sig "" sends no X-Signature.
func hookPost(t *testing.T, base, channel, body, sig string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/webhook/"+channel, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Self-ID", hookBotQQ)
	if sig != "" {
		req.Header.Set("X-Signature", sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// obMsgID numbers the events the builders below make: each is a new message,
// as on a real platform (the webhook answers a repeated message id once).
var obMsgID atomic.Int64

// Event bodies as NapCat posts them.
func obPrivate(user, nick, message string) string {
	m, _ := json.Marshal(message)
	id := obMsgID.Add(1)
	return fmt.Sprintf(`{"self_id":%s,"user_id":%s,"time":1700000000,"message_id":%d,"message_seq":%d,"real_id":%d,"message_type":"private",`+
		`"sender":{"user_id":%s,"nickname":%q,"card":""},"raw_message":%s,"font":14,"sub_type":"friend","message":%s,"message_format":"string","post_type":"message"}`,
		hookBotQQ, user, id, id, id, user, nick, m, m)
}

func obGroup(user, card, groupID, message string) string {
	m, _ := json.Marshal(message)
	return fmt.Sprintf(`{"self_id":%s,"user_id":%s,"time":1700000000,"message_id":%d,"message_type":"group",`+
		`"sender":{"user_id":%s,"nickname":"nick","card":%q,"role":"member"},"raw_message":%s,"font":14,"sub_type":"normal","message":%s,"message_format":"string","post_type":"message","group_id":%s}`,
		hookBotQQ, user, obMsgID.Add(1), user, card, m, m, groupID)
}

func obGroupArray(user, groupID, segments string) string {
	return fmt.Sprintf(`{"self_id":%s,"user_id":%s,"time":1700000000,"message_id":%d,"message_type":"group",`+
		`"sender":{"user_id":%s,"nickname":"小明","card":"销售-小明","role":"member"},"raw_message":"","font":14,"sub_type":"normal","message":%s,"message_format":"array","post_type":"message","group_id":%s}`,
		hookBotQQ, user, obMsgID.Add(1), user, segments, groupID)
}

const (
	obHeartbeat = `{"time":1700000000,"self_id":10000,"post_type":"meta_event","meta_event_type":"heartbeat","status":{"online":true,"good":true},"interval":30000}`
	obLifecycle = `{"time":1700000000,"self_id":10000,"post_type":"meta_event","meta_event_type":"lifecycle","sub_type":"connect"}`
	obNotice    = `{"time":1700000000,"self_id":10000,"post_type":"notice","notice_type":"group_increase","sub_type":"approve","group_id":123456,"operator_id":1,"user_id":10003}`
	obRequest   = `{"time":1700000000,"self_id":10000,"post_type":"request","request_type":"friend","user_id":10004,"comment":"账号","flag":"f1"}`
	obSentByBot = `{"self_id":10000,"user_id":10000,"time":1700000000,"message_id":9,"message_type":"private","sender":{"user_id":10000,"nickname":"bot"},"raw_message":"账号","message":"账号","post_type":"message_sent","target_id":289192968}`
)

// obQuick is the expected OneBot quick operation.
func obQuick(reply string, inGroup bool) map[string]any {
	m := map[string]any{"reply": reply, "auto_escape": true}
	if inGroup {
		m["at_sender"] = true
	}
	return m
}

func hookJSON(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("reply is not JSON: %q", body)
	}
	return m
}

func hookPartsReply() string {
	lines := []string{"查到 30 条："}
	for i := 1; i <= 10; i++ {
		lines = append(lines, fmt.Sprintf("P%02d × %d", i, i))
	}
	return strings.Join(append(lines, "…还有 20 条"), "\n")
}

func TestWebhook_OneBot_EventsGetExactReplies(t *testing.T) {
	f := newHookFixture(t)
	tests := []struct {
		name   string
		body   string
		status int
		want   map[string]any // nil: no body (204)
	}{
		{"private message, string form: the sender's rows", obPrivate("289192968", "测试员01", "账号"), 200,
			obQuick("查到 2 条：\n测试员01(cs01) QQ 289192968\ncscs(cs03) QQ 289192968", false)},
		{"group message, array form with @bot: one row, at the sender",
			obGroupArray("10001", "123456", `[{"type":"at","data":{"qq":"10000"}},{"type":"text","data":{"text":" 账号 "}},{"type":"text","data":{"text":"cs02"}}]`), 200,
			obQuick("测试员02(cs02) QQ 2303831209", true)},
		{"group message, CQ-code string form", obGroup("10001", "小明", "123456", "[CQ:at,qq=10000] 账号 cs02"), 200,
			obQuick("测试员02(cs02) QQ 2303831209", true)},
		{"image between words keeps them apart",
			obGroupArray("10001", "123456", `[{"type":"text","data":{"text":"账号"}},{"type":"image","data":{"file":"a.jpg","url":"http://127.0.0.1/a.jpg"}},{"type":"text","data":{"text":"cs02"}}]`), 200,
			obQuick("测试员02(cs02) QQ 2303831209", true)},
		{"heartbeat acknowledged without action", obHeartbeat, 204, nil},
		{"lifecycle acknowledged", obLifecycle, 204, nil},
		{"notice acknowledged", obNotice, 204, nil},
		{"friend request acknowledged, its comment is not a query", obRequest, 204, nil},
		{"the bot's own sent message is ignored", obSentByBot, 204, nil},
		{"a message from the bot's own QQ is ignored", obPrivate(hookBotQQ, "bot", "账号"), 204, nil},
		{"chatter without a keyword gets no reply", obGroup("10001", "小明", "123456", "今天中午吃什么"), 204, nil},
		{"a keyword inside a sentence is not a keyword", obGroup("10001", "小明", "123456", "我的账号忘了"), 204, nil},
		{"template not marked for chat stays silent", obPrivate("289192968", "测试员01", "工资"), 204, nil},
		{"sender not allowed gets the 5010 text and no rows", obPrivate("289192968", "测试员01", "密码"), 200,
			obQuick(model.MsgForbidden, false)},
		{"sender listed in the template's users is answered", obPrivate("350310976", "管理员", "密码"), 200,
			obQuick("管理员", false)},
		{"injection in an argument is just text: nothing found", obPrivate("10009", "路人", "账号 x'OR'1'='1"), 200,
			obQuick("没有查到结果", false)},
		{"more rows than a chat shows: first 10 and the rest counted", obGroup("10001", "小明", "123456", "零件"), 200,
			obQuick(hookPartsReply(), true)},
		{"insert from chat says what changed; injection stored as text", obPrivate("289192968", "测试员01", "请假 3 x');DROP/**/TABLE/**/staff;--"), 200,
			obQuick("已登记 1 条", false)},
		{"update from chat says what changed", obPrivate("289192968", "测试员01", "改名 新名字"), 200,
			obQuick("已修改 2 条", false)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := hookPost(t, f.srv.URL, "qq", tt.body, hookSign(tt.body))
			if status != tt.status {
				t.Fatalf("status %d, want %d (body %q)", status, tt.status, body)
			}
			if tt.want == nil {
				if body != "" {
					t.Fatalf("want no body, got %q", body)
				}
				return
			}
			if got := hookJSON(t, body); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("reply\n%v\nwant\n%v", got, tt.want)
			}
		})
	}

	// The rows in the data source: the insert stored the argument as text,
	// the staff table survived it, and the update changed the sender's rows only.
	var qq, days, reason string
	if err := f.data.QueryRow(`SELECT qq, days, reason FROM leave`).Scan(&qq, &days, &reason); err != nil {
		t.Fatal(err)
	}
	if qq != "289192968" || days != "3" || reason != "x');DROP/**/TABLE/**/staff;--" {
		t.Fatalf("leave row = %q %q %q", qq, days, reason)
	}
	got := map[string]string{}
	rows, err := f.data.Query(`SELECT xtuser, name FROM staff ORDER BY xtuser`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var u, n string
		rows.Scan(&u, &n)
		got[u] = n
	}
	rows.Close()
	want := map[string]string{"admin": "管理员", "cs01": "新名字", "cs02": "测试员02", "cs03": "新名字"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("staff = %v, want %v", got, want)
	}

	// The inbound log: who asked what and what happened; chatter is not there.
	logs, err := f.a.InboundLogs(context.Background(), model.InboundFilter{Channel: "qq"})
	if err != nil {
		t.Fatal(err)
	}
	var summary []string
	for i := len(logs) - 1; i >= 0; i-- {
		l := logs[i]
		summary = append(summary, fmt.Sprintf("%s|%s|%s|%s|%d|%s", l.Sender, l.Group, l.Keyword, l.Outcome, l.Rows, l.Via))
	}
	wantLog := []string{
		"289192968||账号|answered|2|quick",
		"10001|123456|账号|answered|1|quick",
		"10001|123456|账号|answered|1|quick",
		"10001|123456|账号|answered|1|quick",
		"289192968||工资|not_chat|0|",
		"289192968||密码|refused|0|quick",
		"350310976||密码|answered|1|quick",
		"10009||账号|answered|0|quick",
		"10001|123456|零件|answered|30|quick",
		"289192968||请假|answered|1|quick",
		"289192968||改名|answered|2|quick",
	}
	if strings.Join(summary, "\n") != strings.Join(wantLog, "\n") {
		t.Fatalf("inbound log:\n%s\nwant\n%s", strings.Join(summary, "\n"), strings.Join(wantLog, "\n"))
	}
	if logs[len(logs)-1].SenderName != "测试员01" || logs[len(logs)-2].SenderName != "销售-小明" || logs[len(logs)-2].Text != "账号 cs02" {
		t.Fatalf("sender names (card first) and trimmed text not logged: %+v", logs[len(logs)-2])
	}
}

func TestWebhook_OneBot_Signature(t *testing.T) {
	f := newHookFixture(t)
	body := obPrivate("10001", "小明", "账号 cs02")
	other := obPrivate("10001", "小明", "账号 admin")
	tests := []struct {
		name, channel, sig string
		status             int
		errcode            float64
	}{
		{"valid signature answered", "qq", hookSign(body), 200, 0},
		{"missing signature: 401", "qq", "", 401, model.CodeUnauthorized},
		{"signature made with another secret: 403", "qq", "sha1=" + strings.Repeat("ab", 20), 403, model.CodeUnauthorized},
		{"signature of another body (tampered): 403", "qq", hookSign(other), 403, model.CodeUnauthorized},
		{"signature without sha1= prefix: 403", "qq", strings.TrimPrefix(hookSign(body), "sha1="), 403, model.CodeUnauthorized},
		{"signature that is not hex: 403", "qq", "sha1=zz", 403, model.CodeUnauthorized},
		{"channel without secret accepts this computer", "local", "", 200, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, resp := hookPost(t, f.srv.URL, tt.channel, body, tt.sig)
			if status != tt.status {
				t.Fatalf("status %d, want %d (%s)", status, tt.status, resp)
			}
			m := hookJSON(t, resp)
			if tt.status == 200 {
				if m["reply"] != "测试员02(cs02) QQ 2303831209" {
					t.Fatalf("reply %v", m)
				}
				return
			}
			if m["errcode"] != tt.errcode || !strings.Contains(m["errmsg"].(string), "secret") && !strings.Contains(m["errmsg"].(string), "X-Signature") {
				t.Fatalf("error body %v", m)
			}
			if _, leaked := m["reply"]; leaked {
				t.Fatalf("rejected event answered: %v", m)
			}
		})
	}

	t.Run("channel without secret refuses other computers", func(t *testing.T) {
		h := apiserver.New(apiserver.AppDeps(f.a), hookLog(), "test")
		req := httptest.NewRequest(http.MethodPost, "/webhook/local", strings.NewReader(body))
		req.RemoteAddr = "192.168.1.23:50000"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 403 || !strings.Contains(rec.Body.String(), "secret") {
			t.Fatalf("status %d body %s", rec.Code, rec.Body)
		}
	})
	// Openqq cannot sign: its post_api URL carries ?secret= instead.
	openqqBody := `{"type":"friend_message","msg_class":"recv","sender_id":"77","content":"账号 cs02"}`
	for _, tc := range []struct {
		name, query string
		status      int
	}{
		{"openqq from another computer with the secret in the URL", "?secret=" + hookSecret, 200},
		{"openqq with a wrong secret", "?secret=guess", 403},
		{"openqq without the secret", "", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := apiserver.New(apiserver.AppDeps(f.a), hookLog(), "test")
			req := httptest.NewRequest(http.MethodPost, "/webhook/webqq-lan"+tc.query, strings.NewReader(openqqBody))
			req.RemoteAddr = "192.168.1.40:50000"
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status == 401 && !strings.Contains(rec.Body.String(), "post_api") {
				t.Fatalf("the missing secret is not explained for Mojo-Webqq: %s", rec.Body)
			}
			if tc.status == 200 && hookJSON(t, rec.Body.String())["reply"] != "测试员02(cs02) QQ 2303831209" {
				t.Fatalf("reply %s", rec.Body)
			}
		})
	}
	t.Run("signed channel accepts other computers", func(t *testing.T) {
		h := apiserver.New(apiserver.AppDeps(f.a), hookLog(), "test")
		req := httptest.NewRequest(http.MethodPost, "/webhook/qq", strings.NewReader(body))
		req.RemoteAddr = "172.17.0.2:50000" // NapCat in Docker
		req.Header.Set("x-signature", hookSign(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || hookJSON(t, rec.Body.String())["reply"] != "测试员02(cs02) QQ 2303831209" {
			t.Fatalf("status %d body %s", rec.Code, rec.Body)
		}
	})
	logs, _ := f.a.InboundLogs(context.Background(), model.InboundFilter{})
	if len(logs) != 4 {
		t.Fatalf("only the 4 accepted events (3 OneBot, 1 Openqq) may reach the chat, log has %d", len(logs))
	}
}

func TestWebhook_GarbageGets4xx_NeverACrash(t *testing.T) {
	f := newHookFixture(t)
	big := `{"post_type":"message","message":"` + strings.Repeat("x", apiserver.MaxWebhookBody) + `"}`
	tests := []struct {
		name, channel, body string
		status              int
	}{
		{"not JSON", "qq", "hello", 400},
		{"empty body", "qq", "", 400},
		{"JSON array", "qq", `[1,2]`, 400},
		{"two objects", "qq", `{"post_type":"message"} {}`, 400},
		{"missing post_type", "qq", `{"user_id":1,"message":"账号"}`, 400},
		{"message without user_id", "qq", `{"post_type":"message","message_type":"private","message":"账号"}`, 400},
		{"group message without group_id", "qq", `{"post_type":"message","message_type":"group","user_id":1,"message":"账号"}`, 400},
		{"message that is an object", "qq", `{"post_type":"message","message_type":"private","user_id":1,"message":{"a":1}}`, 400},
		{"segments that are not objects", "qq", `{"post_type":"message","message_type":"private","user_id":1,"message":[1,2]}`, 400},
		{"user_id that is an object", "qq", `{"post_type":"message","message_type":"private","user_id":{"x":1},"message":"账号"}`, 400},
		{"post_type that is a number", "qq", `{"post_type":5}`, 400},
		{"not UTF-8", "qq", "{\"post_type\":\"message\",\"message_type\":\"private\",\"user_id\":1,\"message\":\"\xff\xfe\"}", 400},
		{"body over the limit", "qq", big, 413},
		{"unknown channel", "nosuch", obHeartbeat, 404},
		{"channel type that does not receive chat", "log", obHeartbeat, 404},
		{"disabled channel", "old", obHeartbeat, 404},
		{"openqq report without type", "webqq", `{"content":"账号"}`, 400},
		{"openqq message without sender", "webqq", `{"type":"friend_message","content":"账号"}`, 400},
		{"openqq group message without group", "webqq", `{"type":"group_message","sender_id":"5","content":"账号"}`, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := hookPost(t, f.srv.URL, tt.channel, tt.body, hookSign(tt.body))
			if status != tt.status {
				t.Fatalf("status %d, want %d (%s)", status, tt.status, body)
			}
			m := hookJSON(t, body)
			if code, _ := m["errcode"].(float64); code == 0 || m["errmsg"] == "" {
				t.Fatalf("error body %v", m)
			}
		})
	}
	// Still serving, and nothing reached the chat.
	if status, body := hookPost(t, f.srv.URL, "qq", obHeartbeat, hookSign(obHeartbeat)); status != 204 {
		t.Fatalf("after garbage: %d %s", status, body)
	}
	if logs, _ := f.a.InboundLogs(context.Background(), model.InboundFilter{}); len(logs) != 0 {
		t.Fatalf("garbage reached the chat: %+v", logs)
	}
}

func TestWebhook_Openqq_Reports(t *testing.T) {
	f := newHookFixture(t)
	// The seed's own example report, with the content changed to a keyword.
	seedReport := `{ "receiver":"小灰",
"msg_time":"1442542632",
"content":"账号 cs02",
"msg_class":"recv",
"sender_id":"2372835507",
"receiver_id":"4072574066",
"group":"PERL学习交流",
"group_id":"2617047292",
"sender":"灰灰",
"msg_id":"10856",
"type":"group_message"
}`
	newer := `{"time":"1442542632","content":"账号","class":"recv","sender":"测试员01","sender_id":"2372835507","sender_uid":289192968,` +
		`"receiver":"小灰","receiver_id":"4072574066","receiver_uid":"123456","id":"10857","type":"friend_message","post_type":"receive_message"}`
	tests := []struct {
		name, body string
		status     int
		reply      string
		sender     string
	}{
		{"seed's group report answered with {\"reply\"}", seedReport, 200, "测试员02(cs02) QQ 2303831209", "2372835507"},
		{"newer layout uses the QQ number for {{来源QQ}}", newer, 200, "查到 2 条：\n测试员01(cs01) QQ 289192968\ncscs(cs03) QQ 289192968", "289192968"},
		{"@mention before the keyword is skipped",
			`{"type":"group_message","msg_class":"recv","sender_id":"77","group_id":"88","content":"@小灰 零件"}`, 200,
			hookPartsReply(), "77"},
		{"discussion message answered", `{"type":"discuss_message","msg_class":"recv","sender_id":"77","discuss_id":"99","content":"账号 cs02"}`, 200,
			"测试员02(cs02) QQ 2303831209", "77"},
		{"the bot's own message (msg_class send) is ignored", `{"type":"friend_message","msg_class":"send","sender_id":"4072574066","content":"账号"}`, 204, "", ""},
		{"the bot's own message (post_type send_message) is ignored", `{"type":"friend_message","post_type":"send_message","class":"send","content":"账号"}`, 204, "", ""},
		{"events are acknowledged", `{"post_type":"event","event":"new_friend","params":[{"id":"1","uid":123}]}`, 204, "", ""},
		{"chatter gets no reply", `{"type":"group_message","msg_class":"recv","sender_id":"77","group_id":"88","content":"大家好"}`, 204, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := hookPost(t, f.srv.URL, "webqq", tt.body, "")
			if status != tt.status {
				t.Fatalf("status %d, want %d (%s)", status, tt.status, body)
			}
			if tt.status == 204 {
				return
			}
			if got := hookJSON(t, body); !reflect.DeepEqual(got, map[string]any{"reply": tt.reply}) {
				t.Fatalf("reply %v, want %q", got, tt.reply)
			}
			logs, _ := f.a.InboundLogs(context.Background(), model.InboundFilter{Limit: 1})
			if logs[0].Sender != tt.sender || logs[0].Channel != "webqq" {
				t.Fatalf("logged %+v, want sender %s", logs[0], tt.sender)
			}
		})
	}
}

func TestWebhook_SlowAnswer_GoesThroughTheChannelsNormalSend(t *testing.T) {
	a, _ := openHookApp(t)
	chat := a.NewChat(app.ChatConfig{QuickTimeout: 5 * time.Millisecond})
	deps := apiserver.AppDeps(a)
	deps.Chat = chat
	srv := httptest.NewServer(apiserver.New(deps, hookLog(), "test"))
	defer srv.Close()

	tests := []struct {
		name, body, kind, to, content string
	}{
		{"group question: group answer naming the sender", obGroup("10001", "小明", "123456", "慢"), "group", "123456", "@小明 200000"},
		{"private question: private answer", obPrivate("289192968", "测试员01", "慢"), "private", "289192968", "200000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			status, body := hookPost(t, srv.URL, "qq", tt.body, hookSign(tt.body))
			if status != 204 || body != "" {
				t.Fatalf("status %d body %q: the quick reply must be empty once the window passed", status, body)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("webhook took %v", d)
			}
			chat.Wait()
			msgs, err := a.DB().Messages(context.Background(), model.MessageFilter{Limit: 1})
			if err != nil || len(msgs) != 1 {
				t.Fatalf("outbox: %v %v", msgs, err)
			}
			m := msgs[0]
			if m.Channel != "qq" || m.TargetKind != tt.kind || m.Target != tt.to || m.Content != tt.content || m.Status != model.StatusQueued {
				t.Fatalf("queued %+v", m)
			}
			logs, _ := a.InboundLogs(context.Background(), model.InboundFilter{Limit: 1})
			if logs[0].Via != app.ViaOutbox || logs[0].MsgID != m.ID || logs[0].Outcome != app.ChatAnswered {
				t.Fatalf("inbound %+v", logs[0])
			}
		})
	}
}

func TestWebhook_RateLimitPerSender(t *testing.T) {
	f := newHookFixture(t)
	ask := func(user string) (int, string) {
		b := obPrivate(user, "x", "账号 cs02")
		return hookPost(t, f.srv.URL, "qq", b, hookSign(b))
	}
	for i := range app.DefaultChatConfig().Burst {
		if status, body := ask("10001"); status != 200 || !strings.Contains(body, "cs02") {
			t.Fatalf("message %d: %d %s", i+1, status, body)
		}
	}
	status, body := ask("10001")
	if status != 200 || !strings.Contains(hookJSON(t, body)["reply"].(string), "查询太频繁") {
		t.Fatalf("over the limit: want one notice, got %d %s", status, body)
	}
	if status, body := ask("10001"); status != 204 {
		t.Fatalf("still over the limit: want silence, got %d %s", status, body)
	}
	if status, body := ask("10002"); status != 200 || !strings.Contains(body, "cs02") {
		t.Fatalf("another sender is not limited: %d %s", status, body)
	}
}

// A signed body must be checked byte for byte: re-encoding the JSON would
// change it, so the check runs on the raw body before any parsing.
func TestWebhook_SignatureCoversRawBytes(t *testing.T) {
	f := newHookFixture(t)
	body := obPrivate("10001", "小明", "账号 cs02")
	var pretty bytes.Buffer
	json.Indent(&pretty, []byte(body), "", "  ")
	if status, _ := hookPost(t, f.srv.URL, "qq", pretty.String(), hookSign(pretty.String())); status != 200 {
		t.Fatalf("indented body signed as sent: %d", status)
	}
	if status, _ := hookPost(t, f.srv.URL, "qq", pretty.String(), hookSign(body)); status != 403 {
		t.Fatalf("signature of the compact form must not match the indented body: %d", status)
	}
}

// TestWebhook_ReplayedMessage_AnsweredOnce: a platform's retry or a replayed
// capture (same body, same valid signature, same message id) gets an empty
// acknowledgement the second time, and the keyword runs once.
func TestWebhook_ReplayedMessage_AnsweredOnce(t *testing.T) {
	f := newHookFixture(t)
	ob := obPrivate("289192968", "测试员01", "请假 1 复诊")
	obNoID := strings.Replace(obGroup("10001", "小明", "123456", "账号 cs02"), `"message_id":`, `"message_no":`, 1)
	oq := `{"type":"friend_message","class":"recv","sender_uid":289192968,"sender_id":"1","id":"555","content":"账号 cs02"}`
	oqSeed := `{"type":"friend_message","msg_class":"recv","sender_id":"2372835507","msg_id":"10856","content":"账号 cs02"}`
	tests := []struct {
		name, channel, body, sig string
		wantStatuses             []int
	}{
		{"OneBot: same signed event twice", "qq", ob, hookSign(ob), []int{200, 204, 204}},
		{"OneBot: an event without message_id is not deduplicated", "qq", obNoID, hookSign(obNoID), []int{200, 200}},
		{"Openqq newer layout: same id twice", "webqq", oq, "", []int{200, 204}},
		{"Openqq seed layout: same msg_id twice", "webqq", oqSeed, "", []int{200, 204}},
		{"the same id on another channel is another message", "webqq-lan?secret=" + hookSecret, oq, "", []int{200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, want := range tt.wantStatuses {
				status, body := hookPost(t, f.srv.URL, tt.channel, tt.body, tt.sig)
				if status != want {
					t.Fatalf("delivery %d: status %d, want %d (%q)", i+1, status, want, body)
				}
				if status == 204 && body != "" {
					t.Fatalf("delivery %d: an empty acknowledgement has no body, got %q", i+1, body)
				}
			}
		})
	}
	// The insert ran once although the event came three times.
	var n int
	if err := f.data.QueryRow(`SELECT count(*) FROM leave WHERE reason = '复诊'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("leave rows = %d (%v), want 1", n, err)
	}
	logs, err := f.a.InboundLogs(context.Background(), model.InboundFilter{})
	if err != nil || len(logs) != 6 {
		t.Fatalf("inbound rows = %d (%v), want 6: one per distinct message", len(logs), err)
	}
}
