package app

import (
	"botgate/app/config"
	"botgate/model"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

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
