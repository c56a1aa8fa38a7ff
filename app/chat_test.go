package app

import (
	"botgate/app/config"
	"botgate/model"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseChat(t *testing.T) {
	tests := []struct {
		name, text, prefix string
		ok                 bool
		keyword            string
		args               []string
		rest               string
	}{
		{"keyword alone", "账号", "", true, "账号", []string{}, ""},
		{"arguments split on any space, rest kept as typed", "  账号  cs02\u3000张三  ", "", true, "账号", []string{"cs02", "张三"}, "cs02\u3000张三"},
		{"multi-line message", "请假 3\n家里有事", "", true, "请假", []string{"3", "家里有事"}, "3\n家里有事"},
		{"prefix required and stripped", "#账号 cs02", "#", true, "账号", []string{"cs02"}, "cs02"},
		{"space after prefix allowed", "# 账号", "#", true, "账号", []string{}, ""},
		{"full-width prefix accepted", "＃账号", "#", true, "账号", []string{}, ""},
		{"without prefix is chatter", "账号", "#", false, "", nil, ""},
		{"prefix alone is chatter", "#", "#", false, "", nil, ""},
		{"blank message is chatter", " \n ", "", false, "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kw, args, rest, ok := ParseChat(tt.text, tt.prefix)
			if ok != tt.ok || kw != tt.keyword || rest != tt.rest || (ok && !slices.Equal(args, tt.args)) {
				t.Fatalf("ParseChat(%q, %q) = %q %q %q %v; want %q %q %q %v", tt.text, tt.prefix, kw, args, rest, ok, tt.keyword, tt.args, tt.rest, tt.ok)
			}
		})
	}
}

func rowsOf(n int) [][]any {
	var rows [][]any
	for i := 1; i <= n; i++ {
		rows = append(rows, []any{int64(i), "零件" + string(rune('A'+i-1))})
	}
	return rows
}

func TestFormatRows(t *testing.T) {
	cols := []string{"id", "name"}
	vars := model.Vars{"qq": "289192968", "1": "cs02"}
	tests := []struct {
		name, reply string
		res         model.KeywordResult
		maxRows     int
		maxRunes    int
		want        string
	}{
		{"one row: pattern only, no header", "{{name}}({{id}})", model.KeywordResult{Columns: cols, Rows: rowsOf(1)}, 10, 3000,
			"零件A(1)"},
		{"several rows get a count header", "{{name}}({{id}})", model.KeywordResult{Columns: cols, Rows: rowsOf(2)}, 10, 3000,
			"查到 2 条：\n零件A(1)\n零件B(2)"},
		{"no pattern: column：value pairs", "", model.KeywordResult{Columns: cols, Rows: rowsOf(1)}, 10, 3000,
			"id：1，name：零件A"},
		{"single column without pattern is the value", "", model.KeywordResult{Columns: []string{"n"}, Rows: [][]any{{int64(42)}}}, 10, 3000,
			"42"},
		{"no rows: default text", "{{name}}", model.KeywordResult{Columns: cols}, 10, 3000,
			"没有查到结果"},
		{"no rows: template's empty text with variables", "{{name}}\nempty: QQ {{来源QQ}} 没有登记", model.KeywordResult{Columns: cols}, 10, 3000,
			"QQ 289192968 没有登记"},
		{"custom header with count and keyword, even for one row", "表头：【{{关键字}}】共 {{count}} 条\n{{name}}", model.KeywordResult{Columns: cols, Rows: rowsOf(1)}, 10, 3000,
			"【零件】共 1 条\n零件A"},
		{"empty header line removes the header", "header:\n{{name}}", model.KeywordResult{Columns: cols, Rows: rowsOf(2)}, 10, 3000,
			"零件A\n零件B"},
		{"row cap: the rest counted", "{{name}}", model.KeywordResult{Columns: cols, Rows: rowsOf(5)}, 3, 3000,
			"查到 5 条：\n零件A\n零件B\n零件C\n…还有 2 条"},
		{"row cap on a capped query: at least", "{{name}}", model.KeywordResult{Columns: cols, Rows: rowsOf(5), Truncated: true}, 3, 3000,
			"查到 5 条以上：\n零件A\n零件B\n零件C\n…还有 2 条以上"},
		{"capped query, all fetched rows shown", "{{name}}", model.KeywordResult{Columns: cols, Rows: rowsOf(2), Truncated: true}, 10, 3000,
			"查到 2 条以上：\n零件A\n零件B\n…还有更多结果，请加条件缩小范围"},
		{"length limit drops whole rows and counts them", "{{name}}", model.KeywordResult{Columns: cols, Rows: rowsOf(5)}, 10, 23,
			"查到 5 条：\n零件A\n零件B\n…还有 3 条"},
		{"column names match case-insensitively; variables and unknown names", "{{NAME}} {{来源QQ}} {{1}} {{nosuch}}", model.KeywordResult{Columns: cols, Rows: rowsOf(1)}, 10, 3000,
			"零件A 289192968 cs02 {{nosuch}}"},
		{"NULL shows as empty, floats without exponent", "[{{a}}][{{b}}]", model.KeywordResult{Columns: []string{"a", "b"}, Rows: [][]any{{nil, 1234567.5}}}, 10, 3000,
			"[][1234567.5]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := formatRows("零件", tt.reply, &tt.res, vars, tt.maxRows, tt.maxRunes)
			if got != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > tt.maxRunes {
				t.Fatalf("reply has %d characters, limit %d", n, tt.maxRunes)
			}
		})
	}
}

func TestFormatRows_HugeRowIsCutToTheLimit(t *testing.T) {
	res := &model.KeywordResult{Columns: []string{"memo"}, Rows: [][]any{{strings.Repeat("长", 5000)}, {"短"}}}
	got := formatRows("备注", "", res, model.Vars{}, 10, 100)
	if n := utf8.RuneCountInString(got); n > 100 {
		t.Fatalf("reply has %d characters, limit 100", n)
	}
	if !strings.HasPrefix(got, "查到 2 条：\n长") || !strings.Contains(got, "…") || !strings.HasSuffix(got, "\n短") {
		t.Fatalf("long row should be cut with … and the short row kept: %q", got)
	}
}

func TestFormatAffected(t *testing.T) {
	tests := []struct {
		name, kind, reply string
		n                 int64
		want              string
	}{
		{"insert default", model.KindInsert, "", 1, "已登记 1 条"},
		{"update default", model.KindUpdate, "", 3, "已修改 3 条"},
		{"update that matched nothing says so", model.KindUpdate, "", 0, "已修改 0 条"},
		{"template reply with count and argument", model.KindInsert, "已记下 {{1}} 天假，共 {{条数}} 条", 1, "已记下 3 天假，共 1 条"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatAffected("请假", tt.kind, tt.reply, tt.n, model.Vars{"1": "3"}, 3000); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// --- Chat over a real App ---

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// openChatApp is a demo App (staff table, 账号 template) plus an OneBot
// channel "qq" and the templates the chat tests use. Nothing is delivered:
// the dispatcher only runs while the server is started.
func openChatApp(t *testing.T) *App {
	t.Helper()
	return openChatAppLog(t, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// openChatAppLog is openChatApp logging to log.
func openChatAppLog(t *testing.T, log *slog.Logger) *App {
	t.Helper()
	ctx := context.Background()
	a, err := Open(ctx, Options{DBPath: filepath.Join(t.TempDir(), "botgate.db"), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := a.SetupDemo(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", a.DataPath())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE leave (qq TEXT, days TEXT, reason TEXT)`); err != nil {
		t.Fatal(err)
	}
	_, err = a.Import(ctx, config.File{
		Channels: []config.Channel{{Name: "qq", Type: "onebot", Config: config.Values{"url": "http://127.0.0.1:1", "secret": "s3cret"}}},
		Templates: []config.Template{
			{Keyword: "密码", Kind: model.KindQuery, SQL: "SELECT name FROM staff WHERE qq = {{来源QQ}}", Chat: true, Users: []string{"350310976"}},
			{Keyword: "工资", Kind: model.KindQuery, SQL: "SELECT name FROM staff WHERE qq = {{来源QQ}}", Chat: false},
			{Keyword: "请假", Kind: model.KindInsert, SQL: "INSERT INTO leave (qq, days, reason) VALUES ({{来源QQ}}, {{1}}, {{2}})", Chat: true},
			{Keyword: "慢", Kind: model.KindQuery, Chat: true,
				SQL: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) SELECT count(*) AS n FROM c", TimeoutMS: 60000},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func inbound(t *testing.T, a *App) []model.Inbound {
	t.Helper()
	rows, err := a.InboundLogs(context.Background(), model.InboundFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestChat_Outcomes_RepliesAndInboundLog(t *testing.T) {
	a := openChatApp(t)
	c := a.NewChat(ChatConfig{})
	ctx := context.Background()
	tests := []struct {
		name    string
		msg     ChatMessage
		reply   string
		outcome string
		logged  bool
	}{
		{"chatter is neither answered nor logged", ChatMessage{Sender: "289192968", Text: "今天中午吃什么"}, "", "", false},
		{"chat template answers the sender's rows", ChatMessage{Sender: "289192968", Text: "账号"}, "查到 2 条：\n测试员01(cs01) QQ 289192968\ncscs(cs03) QQ 289192968", ChatAnswered, true},
		{"sender listed in the template's users may use it", ChatMessage{Sender: "350310976", Text: "密码"}, "管理员", ChatAnswered, true},
		{"sender not listed gets the 5010 text, no rows", ChatMessage{Sender: "289192968", Text: "密码"}, model.MsgForbidden, ChatRefused, true},
		{"template not marked for chat stays silent", ChatMessage{Sender: "289192968", Text: "工资"}, "", ChatNotChat, true},
		{"insert answers what changed", ChatMessage{Sender: "289192968", Text: "请假 3 家里有事"}, "已登记 1 条", ChatAnswered, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(inbound(t, a))
			tt.msg.Channel = "qq"
			got := c.Handle(ctx, tt.msg)
			if got.Reply != tt.reply || got.Outcome != tt.outcome {
				t.Fatalf("got reply %q outcome %q; want %q %q", got.Reply, got.Outcome, tt.reply, tt.outcome)
			}
			rows := inbound(t, a)
			if !tt.logged {
				if len(rows) != before {
					t.Fatalf("chatter was logged: %+v", rows[0])
				}
				return
			}
			if len(rows) != before+1 {
				t.Fatalf("want one new inbound row, have %d → %d", before, len(rows))
			}
			r := rows[0]
			if r.Outcome != tt.outcome || r.Sender != tt.msg.Sender || r.Text != tt.msg.Text || r.Channel != "qq" {
				t.Fatalf("inbound row %+v", r)
			}
			if (tt.reply != "") != (r.Via == ViaQuick) {
				t.Fatalf("via %q for reply %q", r.Via, tt.reply)
			}
		})
	}
}

func TestChat_RateLimitPerSender_NoticeOnceThenSilence(t *testing.T) {
	a := openChatApp(t)
	clock := &fakeClock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.Local)}
	c := a.NewChat(ChatConfig{PerMinute: 6, Burst: 2, Now: clock.Now})
	ctx := context.Background()
	ask := func(sender string) ChatAnswer {
		return c.Handle(ctx, ChatMessage{Channel: "qq", Sender: sender, Text: "账号 cs02"})
	}
	for i := range 2 {
		if got := ask("10001"); got.Outcome != ChatAnswered {
			t.Fatalf("message %d within the burst: %+v", i+1, got)
		}
	}
	if got := ask("10001"); got.Outcome != ChatLimited || !strings.Contains(got.Reply, "查询太频繁") {
		t.Fatalf("third message should be held back with a notice: %+v", got)
	}
	if got := ask("10001"); got.Outcome != ChatLimited || got.Reply != "" {
		t.Fatalf("fourth message should be held back silently: %+v", got)
	}
	if got := ask("10002"); got.Outcome != ChatAnswered {
		t.Fatalf("another sender has their own limit: %+v", got)
	}
	clock.Add(10 * time.Second) // 6 per minute: one more after 10 s
	if got := ask("10001"); got.Outcome != ChatAnswered {
		t.Fatalf("after the pause the sender is answered again: %+v", got)
	}
	limited, err := a.InboundLogs(ctx, model.InboundFilter{Outcome: ChatLimited})
	if err != nil || len(limited) != 2 {
		t.Fatalf("want 2 limited rows in the log, got %d (%v)", len(limited), err)
	}
}

func TestChat_SlowAnswerGoesThroughTheOutbox(t *testing.T) {
	a := openChatApp(t)
	c := a.NewChat(ChatConfig{QuickTimeout: 5 * time.Millisecond})
	ctx := context.Background()
	got := c.Handle(ctx, ChatMessage{Channel: "qq", Sender: "10001", SenderName: "小明", Group: "123456", Text: "慢"})
	if got.Reply != "" || got.Outcome != ChatPending {
		t.Fatalf("a slow answer must not be the quick reply: %+v", got)
	}
	c.Wait()
	msgs, err := a.DB().Messages(ctx, model.MessageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Fatalf("want 1 queued message, got %d", len(msgs))
	}
	m := msgs[0]
	if m.Channel != "qq" || m.TargetKind != "group" || m.Target != "123456" || m.Content != "@小明 200000" || m.Status != model.StatusQueued {
		t.Fatalf("queued message %+v", m)
	}
	rows := inbound(t, a)
	if len(rows) != 1 || rows[0].Outcome != ChatAnswered || rows[0].Via != ViaOutbox || rows[0].MsgID != m.ID || rows[0].Rows != 1 {
		t.Fatalf("inbound row %+v", rows)
	}
}
