package app

import (
	"botgate/app/channel"
	"botgate/model"
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"botgate/internal/text"
)

// Chat → keyword → answer. A webhook (apiserver) turns a platform's event into
// a ChatMessage; Chat.Handle finds the keyword, checks who may ask, runs the
// template and formats the rows as chat text. The webhook returns that text in
// its HTTP reply (the platform's "quick reply"); when the query is slower than
// the platform would wait, the answer goes through the outbox instead.

// Chat outcomes, stored in the inbound log.
const (
	ChatAnswered = "answered" // rows, "没有查到结果" or "已登记 N 条" went back
	ChatRefused  = "refused"  // the sender may not use the template: the 5010 text went back
	ChatNotChat  = "not_chat" // the template is not marked for chat: no reply
	ChatLimited  = "limited"  // the sender asked too often
	ChatFailed   = "failed"   // the query failed, or the late answer could not be queued
	ChatPending  = "pending"  // (only in ChatAnswer) the answer will come through the outbox
)

// How an answer reached the chat.
const (
	ViaQuick  = "quick"  // in the webhook's HTTP reply
	ViaOutbox = "outbox" // as a normal send, after the quick-reply window passed
)

// ChatMessage is one text message from a chat platform, platform markup removed.
type ChatMessage struct {
	Channel    string // the channel's name (the webhook path)
	ID         string // the platform's message id; empty: none, the message is not deduplicated
	Sender     string // the sender's QQ number or platform id: {{来源QQ}}
	SenderName string
	Group      string // group number; empty in a private chat: {{群号}}
	Text       string
	// ReplyQQ and ReplyGroup address a late answer sent through the outbox;
	// empty means Sender and Group. Openqq needs its "id:"/"gid:" forms when a
	// report carries session ids only.
	ReplyQQ, ReplyGroup string
}

// ChatAnswer tells the webhook what to answer right away.
type ChatAnswer struct {
	Reply   string // the quick reply; empty = answer nothing
	Keyword string // empty for ordinary chatter
	Outcome string // empty for ordinary chatter
	// Duplicate is set when the message's id was answered already (a
	// platform's retry, a replayed webhook): nothing is answered or logged.
	Duplicate bool
}

// ChatConfig tunes chat answering. Zero values get the defaults.
type ChatConfig struct {
	// QuickTimeout is how long the webhook waits for the answer before giving
	// up on the quick reply. OneBot implementations and Openqq wait a few
	// seconds for the HTTP reply; past that the reply would be lost.
	QuickTimeout time.Duration
	PerMinute    int // keyword messages per sender per minute
	Burst        int // how many may come at once before the pace applies
	MaxRows      int // rows shown in one chat reply (the template's max_rows caps the query)
	Now          func() time.Time
}

// DefaultChatConfig is what a running server uses.
func DefaultChatConfig() ChatConfig {
	return ChatConfig{QuickTimeout: 3 * time.Second, PerMinute: 10, Burst: 5, MaxRows: 10, Now: time.Now}
}

// ChatReplyLimit is the longest chat reply, in characters, for a channel type.
func ChatReplyLimit(typ string) int {
	t, _ := channelType(typ)
	return t.ReplyLimit()
}

// Chat answers chat messages for one running server. It holds the per-sender
// rate limits and the late answers still being computed.
type Chat struct {
	a   *App
	cfg ChatConfig

	mu      sync.Mutex
	senders map[string]*senderState

	recent *recentIDs // message ids answered lately, per channel

	wg sync.WaitGroup // late answers on their way to the outbox
}

type senderState struct {
	lim    *rate.Limiter
	seen   time.Time
	warned bool // the "too often" notice went out; stay silent until allowed again
}

// NewChat returns a chat answerer over a's templates and outbox.
func (a *App) NewChat(cfg ChatConfig) *Chat {
	def := DefaultChatConfig()
	if cfg.QuickTimeout <= 0 {
		cfg.QuickTimeout = def.QuickTimeout
	}
	if cfg.PerMinute <= 0 {
		cfg.PerMinute = def.PerMinute
	}
	if cfg.Burst <= 0 {
		cfg.Burst = def.Burst
	}
	if cfg.MaxRows <= 0 {
		cfg.MaxRows = def.MaxRows
	}
	if cfg.Now == nil {
		cfg.Now = a.opts.Now
	}
	return &Chat{a: a, cfg: cfg, senders: map[string]*senderState{}, recent: newRecentIDs(dedupeSize, dedupeTTL)}
}

// Wait blocks until every late answer has been queued or given up on.
func (c *Chat) Wait() { c.wg.Wait() }

// ChatChannel returns a channel's saved configuration (type, config keys such
// as the webhook secret, enabled) for the webhook to check an event against.
func (a *App) ChatChannel(name string) (model.Channel, bool) {
	lc := a.state.Load().channels[name]
	if lc == nil {
		return model.Channel{}, false
	}
	cfg := lc.cfg
	cfg.Config = maps.Clone(cfg.Config)
	return cfg, true
}

// InboundLogs lists chat messages that named a keyword, newest first (GUI 日志).
func (a *App) InboundLogs(ctx context.Context, f model.InboundFilter) ([]model.Inbound, error) {
	return a.db.InboundLogs(ctx, f)
}

// ParseChat splits a chat message into its keyword, the {{1}}..{{9}}
// arguments and the rest of the text ({{content}}). With a prefix (such as
// "#"), only messages that start with it count; its full-width form ("＃") is
// accepted too, as Chinese input methods type it. ok is false for chatter.
func ParseChat(text, prefix string) (keyword string, args []string, rest string, ok bool) {
	s := strings.TrimSpace(text)
	if p := strings.TrimSpace(prefix); p != "" {
		n := matchPrefix(s, p)
		if n < 0 {
			return "", nil, "", false
		}
		s = strings.TrimSpace(s[n:])
	}
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return "", nil, "", false
	}
	keyword = fields[0]
	rest = strings.TrimSpace(s[len(keyword):])
	return keyword, fields[1:], rest, true
}

// matchPrefix returns how many bytes of s the prefix p covers, comparing
// full-width ASCII forms as their half-width letters; -1 when s lacks it.
func matchPrefix(s, p string) int {
	i := 0
	for _, pr := range p {
		if i >= len(s) {
			return -1
		}
		sr, size := utf8.DecodeRuneInString(s[i:])
		if halfWidth(sr) != halfWidth(pr) {
			return -1
		}
		i += size
	}
	return i
}

func halfWidth(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		return r - 0xFEE0
	}
	return r
}

// Handle answers one chat message. It never fails: problems become the
// reply (or silence) and a row in the inbound log. A message whose id the
// channel reported lately is answered once: the repeat gets silence.
func (c *Chat) Handle(ctx context.Context, m ChatMessage) ChatAnswer {
	start := c.cfg.Now()
	if m.ID != "" && c.recent.seen(m.Channel, m.ID, start) {
		c.a.log.Info("duplicate incoming message ignored", "channel", m.Channel, "id", m.ID)
		return ChatAnswer{Duplicate: true}
	}
	st := c.a.state.Load()
	kw, args, rest, ok := ParseChat(m.Text, st.settings.ChatPrefix)
	if !ok {
		return ChatAnswer{}
	}
	t := st.templates[kw]
	if t == nil || !t.Enabled || t.stmt == nil {
		return ChatAnswer{} // not a keyword: ordinary chatter, neither answered nor logged
	}
	in := model.Inbound{At: start, Channel: m.Channel, Sender: m.Sender, SenderName: m.SenderName, Group: m.Group, Keyword: kw, Text: strings.TrimSpace(m.Text)}
	if !t.Chat {
		// A keyword for the ERP only. Silence: a chat reply would tell the
		// group the keyword exists, and nobody asked the bot for it.
		in.Outcome, in.Detail = ChatNotChat, fmt.Sprintf("模板“%s”没有勾选“聊天可用”，聊天中不回复；需要时请在“交互查询”中勾选", kw)
		c.record(in, start)
		return ChatAnswer{Keyword: kw, Outcome: ChatNotChat}
	}
	if allowed, notify := c.allow(m.Channel+"\x00"+m.Sender, start); !allowed {
		in.Outcome, in.Detail = ChatLimited, fmt.Sprintf("超过每人每分钟 %d 次的查询限制", c.cfg.PerMinute)
		a := ChatAnswer{Keyword: kw, Outcome: ChatLimited}
		if notify {
			a.Reply = fmt.Sprintf("查询太频繁了，请稍等一会儿再发（每人每分钟最多 %d 次）", c.cfg.PerMinute)
			in.Via = ViaQuick
		}
		c.record(in, start)
		return a
	}
	vars := model.Vars{"qq": m.Sender, "group": m.Group, "content": rest}
	vars.SetArgs(args)
	maxRunes := channel.DefaultReplyRunes
	if lc := st.channels[m.Channel]; lc != nil {
		maxRunes = ChatReplyLimit(lc.cfg.Type)
	}
	done := make(chan chatResult, 1)
	// The query must not die with the webhook request: if the platform hangs
	// up, the answer still goes out through the outbox. The template's own
	// timeout bounds it.
	qctx := context.WithoutCancel(ctx)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				c.a.log.Error("panic while answering chat", "keyword", kw, "panic", p)
				done <- chatResult{err: model.ErrorOf(fmt.Errorf("panic: %v", p))}
			}
		}()
		res, err := c.a.RunKeyword(qctx, model.Caller{Chat: true, Sender: m.Sender}, kw, vars)
		done <- chatResult{res: res, err: err}
	}()
	timer := time.NewTimer(c.cfg.QuickTimeout)
	defer timer.Stop()
	select {
	case r := <-done:
		reply := c.answer(&in, t, r, vars, maxRunes)
		if reply != "" {
			in.Via = ViaQuick
		}
		c.record(in, start)
		return ChatAnswer{Reply: reply, Keyword: kw, Outcome: in.Outcome}
	case <-timer.C:
	case <-ctx.Done():
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.late(qctx, m, in, t, <-done, vars, maxRunes, start)
	}()
	return ChatAnswer{Keyword: kw, Outcome: ChatPending}
}

type chatResult struct {
	res *model.KeywordResult
	err error
}

// late sends an answer that missed the quick-reply window through the outbox,
// to the chat the question came from.
func (c *Chat) late(ctx context.Context, m ChatMessage, in model.Inbound, t *compiledTemplate, r chatResult, vars model.Vars, maxRunes int, start time.Time) {
	reply := c.answer(&in, t, r, vars, maxRunes)
	if reply == "" {
		c.record(in, start)
		return
	}
	qq, group := m.ReplyQQ, m.ReplyGroup
	if qq == "" {
		qq = m.Sender
	}
	if group == "" {
		group = m.Group
	}
	if m.Group != "" {
		// The quick reply would have @-mentioned the sender; a plain send
		// cannot, so say whom the answer is for.
		who := m.SenderName
		if who == "" {
			who = m.Sender
		}
		reply = text.Cap("@"+who+" "+reply, maxRunes)
	}
	e, err := c.a.Send(ctx, model.Caller{Chat: true, Sender: m.Sender}, SendRequest{Channel: m.Channel, QQ: qq, Group: group, Content: reply})
	if err != nil {
		in.Outcome, in.Detail = ChatFailed, "回复超时后改用通道发送，但未能保存："+model.ErrorOf(err).Msg
		c.a.log.Warn("late chat answer not queued", "channel", m.Channel, "keyword", in.Keyword, "err", err)
	} else {
		in.Via, in.MsgID = ViaOutbox, e.ID
	}
	c.record(in, start)
}

// answer turns a template's outcome into chat text and fills the log row.
func (c *Chat) answer(in *model.Inbound, t *compiledTemplate, r chatResult, vars model.Vars, maxRunes int) string {
	if r.err != nil {
		e := model.ErrorOf(r.err)
		switch e.Code {
		case model.CodeForbidden:
			in.Outcome, in.Detail = ChatRefused, "发送者不在模板的 users 名单中（或模板只允许某些角色的 API 用户）"
			return model.MsgForbidden
		case model.CodeNoKeyword:
			// Removed or disabled between lookup and run: behave as if unknown.
			in.Outcome, in.Detail = ChatFailed, e.Msg
			return ""
		}
		if e.Code == model.CodeInternal {
			c.a.log.Error("chat answer failed", "keyword", t.Keyword, "err", r.err)
		}
		in.Outcome, in.Detail = ChatFailed, e.Msg
		return e.Msg
	}
	in.Outcome = ChatAnswered
	res := r.res
	switch res.Kind {
	case model.KindInsert, model.KindUpdate:
		in.Rows = res.Affected
		return formatAffected(t.Keyword, t.Kind, t.Reply, res.Affected, vars, maxRunes)
	}
	in.Rows = int64(len(res.Rows))
	maxRows := c.cfg.MaxRows
	if t.MaxRows > 0 && t.MaxRows < maxRows {
		maxRows = t.MaxRows
	}
	return formatRows(t.Keyword, t.Reply, res, vars, maxRows, maxRunes)
}

// allow applies the per-sender rate limit. notify is true the first time a
// sender is held back, so they hear why once instead of at every message.
func (c *Chat) allow(key string, now time.Time) (allowed, notify bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.senders[key]
	if s == nil {
		if len(c.senders) >= 10000 {
			c.sweep(now)
		}
		s = &senderState{lim: rate.NewLimiter(rate.Limit(float64(c.cfg.PerMinute)/60), c.cfg.Burst)}
		c.senders[key] = s
	}
	s.seen = now
	if s.lim.AllowN(now, 1) {
		s.warned = false
		return true, false
	}
	if s.warned {
		return false, false
	}
	s.warned = true
	return false, true
}

// sweep forgets senders idle long enough that their bucket is full again:
// a fresh limiter would behave the same, so memory stays bounded.
func (c *Chat) sweep(now time.Time) {
	for k, s := range c.senders {
		if now.Sub(s.seen) > 10*time.Minute {
			delete(c.senders, k)
		}
	}
}

// record writes the inbound log row (the server prunes old ones hourly).
func (c *Chat) record(in model.Inbound, start time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	in.DurationUS = c.cfg.Now().Sub(start).Microseconds()
	if _, err := c.a.db.InsertInbound(ctx, in); err != nil {
		c.a.log.Warn("writing inbound log failed", "err", err)
	}
}

// --- reply formatting ---

// replyPattern is a template's "reply" text: lines starting with "header:"
// (表头:) and "empty:" (无结果:) set the header and the no-result text; the
// other lines are the pattern for each row.
type replyPattern struct {
	row               string
	header, empty     string
	hasHeader, hasEmp bool
}

func parseReplyPattern(s string) replyPattern {
	var p replyPattern
	var rows []string
	for _, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if v, ok := cutLabel(line, "header", "表头"); ok {
			p.header, p.hasHeader = v, true
			continue
		}
		if v, ok := cutLabel(line, "empty", "无结果"); ok {
			p.empty, p.hasEmp = v, true
			continue
		}
		rows = append(rows, line)
	}
	p.row = strings.TrimSpace(strings.Join(rows, "\n"))
	return p
}

// cutLabel reads "label: text" (ASCII or full-width colon, ASCII label in any case).
func cutLabel(line string, labels ...string) (string, bool) {
	s := strings.TrimLeft(line, " \t")
	for _, l := range labels {
		if len(s) < len(l) || !strings.EqualFold(s[:len(l)], l) {
			continue
		}
		r := s[len(l):]
		for _, colon := range []string{":", "："} {
			if v, ok := strings.CutPrefix(r, colon); ok {
				return strings.TrimSpace(v), true
			}
		}
	}
	return "", false
}

// render fills {{name}} placeholders through lookup; unknown names stay as
// written so an admin sees the typo in the reply.
func render(pattern string, lookup func(name string) (string, bool)) string {
	var b strings.Builder
	for {
		i := strings.Index(pattern, "{{")
		if i < 0 {
			b.WriteString(pattern)
			return b.String()
		}
		j := strings.Index(pattern[i+2:], "}}")
		if j < 0 {
			b.WriteString(pattern)
			return b.String()
		}
		b.WriteString(pattern[:i])
		name := strings.TrimSpace(pattern[i+2 : i+2+j])
		if v, ok := lookup(name); ok {
			b.WriteString(v)
		} else {
			b.WriteString(pattern[i : i+4+j])
		}
		pattern = pattern[i+4+j:]
	}
}

// varLookup resolves {{来源QQ}}, {{群号}}, {{1}}.. and the reply extras
// {{count}}/{{条数}} and {{keyword}}/{{关键字}}.
func varLookup(keyword, count string, vars model.Vars) func(string) (string, bool) {
	return func(name string) (string, bool) {
		switch strings.ToLower(name) {
		case "count", "条数":
			return count, true
		case "keyword", "关键字":
			return keyword, true
		}
		if canon, ok := templateNames(name); ok {
			return vars[canon], true
		}
		return "", false
	}
}

func chatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

// formatRows renders query rows for chat: a header when there is more than
// one row (or the template sets one), at most maxRows rows, a "…还有 N 条"
// line for the rest, and never more than maxRunes characters.
func formatRows(keyword, reply string, res *model.KeywordResult, vars model.Vars, maxRows, maxRunes int) string {
	p := parseReplyPattern(reply)
	n := len(res.Rows)
	count := strconv.Itoa(n)
	if res.Truncated {
		count += " 条以上"
	}
	vl := varLookup(keyword, strconv.Itoa(n), vars)
	if n == 0 {
		if p.hasEmp && p.empty != "" {
			return text.Cap(render(p.empty, vl), maxRunes)
		}
		return "没有查到结果"
	}
	var header string
	switch {
	case p.hasHeader:
		header = render(p.header, vl)
	case n > 1:
		header = "查到 " + count
		if !res.Truncated {
			header += " 条"
		}
		header += "："
	}
	// A single row longer than half the limit is cut so that others still fit.
	lineMax := max(maxRunes/2, 1)
	lines := make([]string, 0, min(n, maxRows))
	for _, row := range res.Rows[:min(n, maxRows)] {
		lines = append(lines, text.Cap(formatRow(p.row, res.Columns, row, vl), lineMax))
	}
	for shown := len(lines); ; shown-- {
		parts := make([]string, 0, shown+2)
		if header != "" {
			parts = append(parts, header)
		}
		parts = append(parts, lines[:shown]...)
		if tail := moreLine(n-shown, res.Truncated); tail != "" {
			parts = append(parts, tail)
		}
		joined := strings.Join(parts, "\n")
		if shown == 0 || utf8.RuneCountInString(joined) <= maxRunes {
			return text.Cap(joined, maxRunes)
		}
	}
}

// moreLine says how many rows the reply left out.
func moreLine(left int, truncated bool) string {
	switch {
	case left > 0 && truncated:
		return fmt.Sprintf("…还有 %d 条以上", left)
	case left > 0:
		return fmt.Sprintf("…还有 %d 条", left)
	case truncated:
		return "…还有更多结果，请加条件缩小范围"
	}
	return ""
}

// formatRow renders one row: the pattern with {{column}} placeholders, or
// "列：值，列：值" when the template has no pattern.
func formatRow(pattern string, cols []string, row []any, vl func(string) (string, bool)) string {
	if pattern == "" {
		if len(cols) == 1 {
			return chatValue(row[0])
		}
		parts := make([]string, len(cols))
		for i, c := range cols {
			parts[i] = c + "：" + chatValue(row[i])
		}
		return strings.Join(parts, "，")
	}
	return render(pattern, func(name string) (string, bool) {
		for i, c := range cols {
			if c == name {
				return chatValue(row[i]), true
			}
		}
		for i, c := range cols {
			if strings.EqualFold(c, name) {
				return chatValue(row[i]), true
			}
		}
		return vl(name)
	})
}

// formatAffected answers an insert/update template: the template's reply
// pattern with {{count}}, or "已登记 N 条" / "已修改 N 条".
func formatAffected(keyword, kind, reply string, affected int64, vars model.Vars, maxRunes int) string {
	p := parseReplyPattern(reply)
	if p.row != "" {
		return text.Cap(render(p.row, varLookup(keyword, strconv.FormatInt(affected, 10), vars)), maxRunes)
	}
	if kind == model.KindInsert {
		return fmt.Sprintf("已登记 %d 条", affected)
	}
	return fmt.Sprintf("已修改 %d 条", affected)
}
