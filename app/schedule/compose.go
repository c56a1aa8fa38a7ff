package schedule

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"botgate/app/chat"
	"botgate/internal/text"
	"botgate/model"
)

// Target is one recipient of a schedule's message.
type Target struct {
	Kind string // "private" or "group"
	To   string // "" with Kind group: the channel's own group (a group robot)
}

// Targets are a schedule's recipients: its private ones, then its groups;
// none at all means the channel's own group (a group robot), which the send
// check refuses on a channel that needs a recipient.
func Targets(s model.Schedule) []Target {
	var ts []Target
	for _, to := range s.To {
		ts = append(ts, Target{Kind: "private", To: to})
	}
	for _, g := range s.Groups {
		ts = append(ts, Target{Kind: "group", To: g})
	}
	if len(ts) == 0 {
		ts = append(ts, Target{Kind: "group"})
	}
	return ts
}

// maxHeaderRunes bounds the header line so the rows always have room.
const maxHeaderRunes = 200

// Compose is the text of a slot's message: the header line (its
// placeholders filled), then the rows as the template's reply format renders
// them in chat (chat.FormatRows: the template's own header, a row per line,
// "…还有 N 条" when they do not all fit), within maxRunes characters. The
// template's max_rows caps the rows, as it caps the query.
func Compose(s model.Schedule, t model.Template, res *model.KeywordResult, vars model.Vars, slot time.Time, maxRunes int) string {
	header := text.Cap(renderHeader(s.Header, s, slot, len(res.Rows)), maxHeaderRunes)
	budget := maxRunes
	if header != "" {
		budget -= utf8.RuneCountInString(header) + 1
	}
	maxRows := t.MaxRows
	if maxRows <= 0 {
		maxRows = 50
	}
	body := chat.FormatRows(t.Keyword, t.Reply, res, vars, maxRows, max(budget, 1))
	if header == "" {
		return body
	}
	return header + "\n" + body
}

// renderHeader fills the header's placeholders: {{日期}}/{{date}} (the
// slot's date, 2006-01-02), {{时间}}/{{time}} (15:04), {{星期}}/{{weekday}},
// {{条数}}/{{count}} and {{名称}}/{{name}} (the schedule's).
func renderHeader(h string, s model.Schedule, slot time.Time, rows int) string {
	h = strings.TrimSpace(strings.ReplaceAll(h, "\r\n", "\n"))
	if !strings.Contains(h, "{{") {
		return h
	}
	date, clock, week, count := slot.Format("2006-01-02"), slot.Format("15:04"), "星期"+weekdays[slot.Weekday()], strconv.Itoa(rows)
	return strings.NewReplacer(
		"{{日期}}", date, "{{date}}", date,
		"{{时间}}", clock, "{{time}}", clock,
		"{{星期}}", week, "{{weekday}}", week,
		"{{条数}}", count, "{{count}}", count,
		"{{名称}}", s.Name, "{{name}}", s.Name,
	).Replace(h)
}
